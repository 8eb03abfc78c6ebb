/*
 * syscall-fs.c — system calls on the file system name space: stat family,
 * access, readlink, mkdir/unlink/rename/link/symlink, chdir/getcwd, chmod,
 * chown, utimensat, statfs, truncate, umask.
 *
 * The one thing to know: struct stat is the one layout that differs
 * (riscv64 uses the asm-generic 128-byte struct, x86-64 its own), so it is
 * converted field by field; statx and statfs are the same on both.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux-user/guest-mem.h"
#include "linux-user/syscall-nr.h"
#include "linux-user/syscall.h"

/* struct stat of the asm-generic ABI (riscv64). */
typedef struct GuestStat {
    uint64_t st_dev;
    uint64_t st_ino;
    uint32_t st_mode;
    uint32_t st_nlink;
    uint32_t st_uid;
    uint32_t st_gid;
    uint64_t st_rdev;
    uint64_t pad1;
    int64_t st_size;
    int32_t st_blksize;
    int32_t pad2;
    int64_t st_blocks;
    int64_t st_atime_sec;
    uint64_t st_atime_nsec;
    int64_t st_mtime_sec;
    uint64_t st_mtime_nsec;
    int64_t st_ctime_sec;
    uint64_t st_ctime_nsec;
    uint32_t unused4;
    uint32_t unused5;
} GuestStat;

_Static_assert(sizeof(GuestStat) == 128, "asm-generic struct stat is 128 bytes");

static int64_t stat_to_guest(uint64_t addr, const struct stat *st)
{
    GuestStat g;
    memset(&g, 0, sizeof(g));
    g.st_dev = st->st_dev;
    g.st_ino = st->st_ino;
    g.st_mode = st->st_mode;
    g.st_nlink = (uint32_t)st->st_nlink;
    g.st_uid = st->st_uid;
    g.st_gid = st->st_gid;
    g.st_rdev = st->st_rdev;
    g.st_size = st->st_size;
    g.st_blksize = (int32_t)st->st_blksize;
    g.st_blocks = st->st_blocks;
    g.st_atime_sec = st->st_atim.tv_sec;
    g.st_atime_nsec = (uint64_t)st->st_atim.tv_nsec;
    g.st_mtime_sec = st->st_mtim.tv_sec;
    g.st_mtime_nsec = (uint64_t)st->st_mtim.tv_nsec;
    g.st_ctime_sec = st->st_ctim.tv_sec;
    g.st_ctime_nsec = (uint64_t)st->st_ctim.tv_nsec;
    return guest_copy_to(addr, &g, sizeof(g));
}

static int64_t sys_newfstatat(LinuxTask *t, const uint64_t *a)
{
    char buf[PATH_MAX];
    int64_t err;
    const char *path = path_from_guest(a[1], buf, &err);
    if (!path) {
        return err;
    }
    if (!guest_lock(a[2], sizeof(GuestStat), GUEST_ACCESS_WRITE)) {
        return -EFAULT;
    }
    struct stat st;
    int64_t r = syscall_host_ret(fstatat((int)a[0], path, &st, (int)a[3]));
    return r < 0 ? r : stat_to_guest(a[2], &st);
}

static int64_t sys_fstat(LinuxTask *t, const uint64_t *a)
{
    if (!guest_lock(a[1], sizeof(GuestStat), GUEST_ACCESS_WRITE)) {
        return -EFAULT;
    }
    struct stat st;
    int64_t r = syscall_host_ret(fstat((int)a[0], &st));
    return r < 0 ? r : stat_to_guest(a[1], &st);
}

static int64_t sys_statx(LinuxTask *t, const uint64_t *a)
{
    char buf[PATH_MAX];
    int64_t err;
    const char *path = path_from_guest(a[1], buf, &err);
    if (!path) {
        return err;
    }
    void *stx = guest_lock(a[4], sizeof(struct statx), GUEST_ACCESS_WRITE);
    if (!stx) {
        return -EFAULT;
    }
    return syscall_host_ret(syscall(SYS_statx, (int)a[0], path, (int)a[2], (unsigned)a[3], stx));
}

static int64_t sys_readlinkat(LinuxTask *t, const uint64_t *a)
{
    char guest_path[PATH_MAX];
    int64_t r = guest_copy_string(guest_path, sizeof(guest_path), a[1]);
    if (r < 0) {
        return r;
    }
    if ((int64_t)a[3] <= 0) {
        return -EINVAL;
    }
    char *out = guest_lock(a[2], a[3], GUEST_ACCESS_WRITE);
    if (!out) {
        return -EFAULT;
    }
    char mapped[PATH_MAX];
    const char *path = path_map(guest_path, mapped);
    if (path == linux_process.exe_path) {
        size_t len = strlen(path);
        len = len < a[3] ? len : a[3];
        memcpy(out, path, len);
        return (int64_t)len;
    }
    return syscall_host_ret(readlinkat((int)a[0], path, out, a[3]));
}

static int64_t sys_faccessat(LinuxTask *t, const uint64_t *a)
{
    char buf[PATH_MAX];
    int64_t err;
    const char *path = path_from_guest(a[1], buf, &err);
    return path ? syscall_host_ret(syscall(SYS_faccessat, (int)a[0], path, (int)a[2])) : err;
}

static int64_t sys_faccessat2(LinuxTask *t, const uint64_t *a)
{
    char buf[PATH_MAX];
    int64_t err;
    const char *path = path_from_guest(a[1], buf, &err);
    return path ? syscall_host_ret(syscall(SYS_faccessat2, (int)a[0], path, (int)a[2], (int)a[3]))
                : err;
}

static int64_t sys_mkdirat(LinuxTask *t, const uint64_t *a)
{
    char buf[PATH_MAX];
    int64_t err;
    const char *path = path_from_guest(a[1], buf, &err);
    return path ? syscall_host_ret(mkdirat((int)a[0], path, (mode_t)a[2])) : err;
}

static int64_t sys_unlinkat(LinuxTask *t, const uint64_t *a)
{
    char buf[PATH_MAX];
    int64_t r = guest_copy_string(buf, sizeof(buf), a[1]);
    return r < 0 ? r : syscall_host_ret(unlinkat((int)a[0], buf, (int)a[2]));
}

/* Two-path calls (rename, link, symlink) use the guest names unmapped:
 * they change the name space, which the sysroot only shadows for reads. */
static int64_t copy_two_paths(uint64_t a1, uint64_t a2, char *p1, char *p2)
{
    int64_t r = guest_copy_string(p1, PATH_MAX, a1);
    if (r >= 0) {
        r = guest_copy_string(p2, PATH_MAX, a2);
    }
    return r < 0 ? r : 0;
}

static int64_t sys_renameat2(LinuxTask *t, const uint64_t *a)
{
    char p1[PATH_MAX], p2[PATH_MAX];
    int64_t r = copy_two_paths(a[1], a[3], p1, p2);
    return r < 0 ? r : syscall_host_ret(renameat2((int)a[0], p1, (int)a[2], p2, (unsigned)a[4]));
}

static int64_t sys_renameat(LinuxTask *t, const uint64_t *a)
{
    char p1[PATH_MAX], p2[PATH_MAX];
    int64_t r = copy_two_paths(a[1], a[3], p1, p2);
    return r < 0 ? r : syscall_host_ret(renameat((int)a[0], p1, (int)a[2], p2));
}

static int64_t sys_linkat(LinuxTask *t, const uint64_t *a)
{
    char p1[PATH_MAX], p2[PATH_MAX];
    int64_t r = copy_two_paths(a[1], a[3], p1, p2);
    return r < 0 ? r : syscall_host_ret(linkat((int)a[0], p1, (int)a[2], p2, (int)a[4]));
}

static int64_t sys_symlinkat(LinuxTask *t, const uint64_t *a)
{
    char p1[PATH_MAX], p2[PATH_MAX];
    int64_t r = copy_two_paths(a[0], a[2], p1, p2);
    return r < 0 ? r : syscall_host_ret(symlinkat(p1, (int)a[1], p2));
}

static int64_t sys_getcwd(LinuxTask *t, const uint64_t *a)
{
    void *p = guest_lock(a[0], a[1], GUEST_ACCESS_WRITE);
    return p ? syscall_host_ret(syscall(SYS_getcwd, p, a[1])) : -EFAULT;
}

static int64_t sys_chdir(LinuxTask *t, const uint64_t *a)
{
    char buf[PATH_MAX];
    int64_t r = guest_copy_string(buf, sizeof(buf), a[0]);
    return r < 0 ? r : syscall_host_ret(chdir(buf));
}

static int64_t sys_fchdir(LinuxTask *t, const uint64_t *a)
{
    return syscall_host_ret(fchdir((int)a[0]));
}

static int64_t sys_umask(LinuxTask *t, const uint64_t *a)
{
    return umask((mode_t)a[0]);
}

static int64_t sys_fchmod(LinuxTask *t, const uint64_t *a)
{
    return syscall_host_ret(fchmod((int)a[0], (mode_t)a[1]));
}

static int64_t sys_fchmodat(LinuxTask *t, const uint64_t *a)
{
    char buf[PATH_MAX];
    int64_t r = guest_copy_string(buf, sizeof(buf), a[1]);
    return r < 0 ? r : syscall_host_ret(syscall(SYS_fchmodat, (int)a[0], buf, (mode_t)a[2]));
}

static int64_t sys_fchown(LinuxTask *t, const uint64_t *a)
{
    return syscall_host_ret(fchown((int)a[0], (uid_t)a[1], (gid_t)a[2]));
}

static int64_t sys_fchownat(LinuxTask *t, const uint64_t *a)
{
    char buf[PATH_MAX];
    int64_t r = guest_copy_string(buf, sizeof(buf), a[1]);
    return r < 0 ? r
                 : syscall_host_ret(fchownat((int)a[0], buf, (uid_t)a[2], (gid_t)a[3], (int)a[4]));
}

static int64_t sys_utimensat(LinuxTask *t, const uint64_t *a)
{
    char buf[PATH_MAX];
    const char *path = NULL;
    if (a[1]) {
        int64_t r = guest_copy_string(buf, sizeof(buf), a[1]);
        if (r < 0) {
            return r;
        }
        path = buf;
    }
    const struct timespec *times = NULL;
    if (a[2] && !(times = guest_lock(a[2], 2 * sizeof(struct timespec), GUEST_ACCESS_READ))) {
        return -EFAULT;
    }
    return syscall_host_ret(syscall(SYS_utimensat, (int)a[0], path, times, (int)a[3]));
}

static int64_t sys_statfs(LinuxTask *t, const uint64_t *a)
{
    char buf[PATH_MAX];
    int64_t err;
    const char *path = path_from_guest(a[0], buf, &err);
    if (!path) {
        return err;
    }
    struct statfs *sf = guest_lock(a[1], sizeof(*sf), GUEST_ACCESS_WRITE);
    return sf ? syscall_host_ret(statfs(path, sf)) : -EFAULT;
}

static int64_t sys_fstatfs(LinuxTask *t, const uint64_t *a)
{
    struct statfs *sf = guest_lock(a[1], sizeof(*sf), GUEST_ACCESS_WRITE);
    return sf ? syscall_host_ret(fstatfs((int)a[0], sf)) : -EFAULT;
}

static int64_t sys_truncate(LinuxTask *t, const uint64_t *a)
{
    char buf[PATH_MAX];
    int64_t r = guest_copy_string(buf, sizeof(buf), a[0]);
    return r < 0 ? r : syscall_host_ret(truncate(buf, (off_t)a[1]));
}

const SyscallDef syscalls_fs[] = {
    { NR_newfstatat, "newfstatat", sys_newfstatat, "fspx", 'd' },
    { NR_fstat, "fstat", sys_fstat, "dp", 'd' },
    { NR_statx, "statx", sys_statx, "fsxxp", 'd' },
    { NR_readlinkat, "readlinkat", sys_readlinkat, "fspd", 'd' },
    { NR_faccessat, "faccessat", sys_faccessat, "fso", 'd' },
    { NR_faccessat2, "faccessat2", sys_faccessat2, "fsox", 'd' },
    { NR_mkdirat, "mkdirat", sys_mkdirat, "fso", 'd' },
    { NR_unlinkat, "unlinkat", sys_unlinkat, "fsx", 'd' },
    { NR_renameat, "renameat", sys_renameat, "fsfs", 'd' },
    { NR_renameat2, "renameat2", sys_renameat2, "fsfsx", 'd' },
    { NR_linkat, "linkat", sys_linkat, "fsfsx", 'd' },
    { NR_symlinkat, "symlinkat", sys_symlinkat, "sfs", 'd' },
    { NR_getcwd, "getcwd", sys_getcwd, "pd", 'd' },
    { NR_chdir, "chdir", sys_chdir, "s", 'd' },
    { NR_fchdir, "fchdir", sys_fchdir, "d", 'd' },
    { NR_umask, "umask", sys_umask, "o", 'd' },
    { NR_fchmod, "fchmod", sys_fchmod, "do", 'd' },
    { NR_fchmodat, "fchmodat", sys_fchmodat, "fso", 'd' },
    { NR_fchown, "fchown", sys_fchown, "ddd", 'd' },
    { NR_fchownat, "fchownat", sys_fchownat, "fsddx", 'd' },
    { NR_utimensat, "utimensat", sys_utimensat, "fspx", 'd' },
    { NR_statfs, "statfs", sys_statfs, "sp", 'd' },
    { NR_fstatfs, "fstatfs", sys_fstatfs, "dp", 'd' },
    { NR_truncate, "truncate", sys_truncate, "sd", 'd' },
    { 0, NULL, NULL, NULL, 0 },
};
