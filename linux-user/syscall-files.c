/*
 * syscall-files.c — system calls on file descriptors: read/write and their
 * vector and positioned forms, open/close, lseek, getdents64, fcntl,
 * ioctl, dup, pipe2, poll.
 *
 * The one thing to know: the asm-generic riscv64 ABI and the x86-64 host
 * share the layouts used here (iovec aside, whose base is a guest address;
 * kernel termios, winsize, flock, pollfd, linux_dirent64), so buffers are
 * checked and passed straight to the host.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "linux-user/guest-mem.h"
#include "linux-user/guest-signal.h"
#include "linux-user/proc-self.h"
#include "linux-user/safe-syscall.h"
#include "linux-user/syscall-nr.h"
#include "linux-user/syscall.h"
#include "mimic/log.h"

#define GUEST_IOV_MAX 1024

static int64_t sys_read(LinuxTask *t, const uint64_t *a)
{
    void *p = guest_lock(a[1], a[2], GUEST_ACCESS_WRITE);
    return p ? safe_syscall(t, SYS_read, (int)a[0], (long)p, (long)a[2], 0, 0, 0) : -EFAULT;
}

static int64_t sys_write(LinuxTask *t, const uint64_t *a)
{
    void *p = guest_lock(a[1], a[2], GUEST_ACCESS_READ);
    return p ? safe_syscall(t, SYS_write, (int)a[0], (long)p, (long)a[2], 0, 0, 0) : -EFAULT;
}

static int64_t sys_pread64(LinuxTask *t, const uint64_t *a)
{
    void *p = guest_lock(a[1], a[2], GUEST_ACCESS_WRITE);
    return p ? syscall_host_ret(pread((int)a[0], p, a[2], (off_t)a[3])) : -EFAULT;
}

static int64_t sys_pwrite64(LinuxTask *t, const uint64_t *a)
{
    void *p = guest_lock(a[1], a[2], GUEST_ACCESS_READ);
    return p ? syscall_host_ret(pwrite((int)a[0], p, a[2], (off_t)a[3])) : -EFAULT;
}

/* Builds the host iovec array for a guest one; NULL with *err set. */
static struct iovec *iovec_from_guest(uint64_t addr, uint64_t count, unsigned access, int64_t *err)
{
    if (count > GUEST_IOV_MAX) {
        *err = -EINVAL;
        return NULL;
    }
    struct iovec *iov = calloc(count ? count : 1, sizeof(*iov));
    const uint64_t *g = guest_lock(addr, count * 16, GUEST_ACCESS_READ);
    if (!iov || !g) {
        free(iov);
        *err = iov ? -EFAULT : -ENOMEM;
        return NULL;
    }
    for (uint64_t i = 0; i < count; i++) {
        uint64_t base = g[2 * i], len = g[2 * i + 1];
        if ((int64_t)len < 0) {
            free(iov);
            *err = -EINVAL;
            return NULL;
        }
        iov[i].iov_base = guest_lock(base, len, access);
        iov[i].iov_len = len;
        if (!iov[i].iov_base) {
            free(iov);
            *err = -EFAULT;
            return NULL;
        }
    }
    return iov;
}

static int64_t do_vector_io(LinuxTask *t, const uint64_t *a, bool write_op, bool positioned)
{
    int64_t err;
    struct iovec *iov =
        iovec_from_guest(a[1], a[2], write_op ? GUEST_ACCESS_READ : GUEST_ACCESS_WRITE, &err);
    if (!iov) {
        return err;
    }
    int fd = (int)a[0], n = (int)a[2];
    int64_t ret;
    if (positioned) {
        ssize_t r = write_op ? pwritev(fd, iov, n, (off_t)a[3]) : preadv(fd, iov, n, (off_t)a[3]);
        ret = syscall_host_ret(r);
    } else {
        ret = safe_syscall(t, write_op ? SYS_writev : SYS_readv, fd, (long)iov, n, 0, 0, 0);
    }
    free(iov);
    return ret;
}

static int64_t sys_readv(LinuxTask *t, const uint64_t *a)
{
    return do_vector_io(t, a, false, false);
}

static int64_t sys_writev(LinuxTask *t, const uint64_t *a)
{
    return do_vector_io(t, a, true, false);
}

static int64_t sys_preadv(LinuxTask *t, const uint64_t *a)
{
    return do_vector_io(t, a, false, true);
}

static int64_t sys_pwritev(LinuxTask *t, const uint64_t *a)
{
    return do_vector_io(t, a, true, true);
}

static int64_t sys_openat(LinuxTask *t, const uint64_t *a)
{
    char buf[PATH_MAX];
    int64_t err;
    const char *path = path_from_guest(a[1], buf, &err);
    if (!path) {
        return err;
    }
    int64_t fd;
    if (proc_self_open(path, (int)a[2], &fd)) {
        return fd;
    }
    return syscall_host_ret(openat((int)a[0], path, (int)a[2], (mode_t)a[3]));
}

static int64_t sys_close(LinuxTask *t, const uint64_t *a)
{
    return syscall_host_ret(close((int)a[0]));
}

static int64_t sys_close_range(LinuxTask *t, const uint64_t *a)
{
    return syscall_host_ret(syscall(SYS_close_range, (unsigned)a[0], (unsigned)a[1], (unsigned)a[2]));
}

static int64_t sys_lseek(LinuxTask *t, const uint64_t *a)
{
    return syscall_host_ret(lseek((int)a[0], (off_t)a[1], (int)a[2]));
}

static int64_t sys_getdents64(LinuxTask *t, const uint64_t *a)
{
    void *p = guest_lock(a[1], a[2], GUEST_ACCESS_WRITE);
    return p ? syscall_host_ret(syscall(SYS_getdents64, (int)a[0], p, (unsigned)a[2])) : -EFAULT;
}

static int64_t sys_fcntl(LinuxTask *t, const uint64_t *a)
{
    int fd = (int)a[0], cmd = (int)a[1];
    switch (cmd) {
    case F_GETFD:
    case F_GETFL:
    case F_GETOWN:
    case F_GETPIPE_SZ:
    case F_GET_SEALS:
        return syscall_host_ret(fcntl(fd, cmd));
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
    case F_SETFD:
    case F_SETFL:
    case F_SETOWN:
    case F_SETPIPE_SZ:
    case F_ADD_SEALS:
        return syscall_host_ret(fcntl(fd, cmd, (int)a[2]));
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW: {
        struct flock *fl = guest_lock(a[2], sizeof(*fl), GUEST_ACCESS_WRITE);
        return fl ? syscall_host_ret(fcntl(fd, cmd, fl)) : -EFAULT;
    }
    default:
        return -EINVAL;
    }
}

typedef enum IoctlArg { IOCTL_NONE, IOCTL_INT, IOCTL_IN, IOCTL_OUT } IoctlArg;

typedef struct IoctlDef {
    uint32_t cmd;
    IoctlArg arg;
    uint32_t size;
} IoctlDef;

/* Terminal and file ioctls; the kernel struct termios (36 bytes) and
 * struct winsize (8 bytes) are the same on riscv64 and x86-64. */
static const IoctlDef ioctl_defs[] = {
    { TCGETS, IOCTL_OUT, 36 },    { TCSETS, IOCTL_IN, 36 },     { TCSETSW, IOCTL_IN, 36 },
    { TCSETSF, IOCTL_IN, 36 },    { TIOCGWINSZ, IOCTL_OUT, 8 }, { TIOCSWINSZ, IOCTL_IN, 8 },
    { TIOCGPGRP, IOCTL_OUT, 4 },  { TIOCSPGRP, IOCTL_IN, 4 },   { TIOCGSID, IOCTL_OUT, 4 },
    { FIONREAD, IOCTL_OUT, 4 },   { FIONBIO, IOCTL_IN, 4 },     { FIOASYNC, IOCTL_IN, 4 },
    { TCFLSH, IOCTL_INT, 0 },     { TCSBRK, IOCTL_INT, 0 },     { TCXONC, IOCTL_INT, 0 },
    { FIOCLEX, IOCTL_NONE, 0 },   { FIONCLEX, IOCTL_NONE, 0 },  { TIOCSCTTY, IOCTL_INT, 0 },
    { TIOCNOTTY, IOCTL_NONE, 0 },
};

static int64_t sys_ioctl(LinuxTask *t, const uint64_t *a)
{
    int fd = (int)a[0];
    uint32_t cmd = (uint32_t)a[1];
    for (size_t i = 0; i < sizeof(ioctl_defs) / sizeof(ioctl_defs[0]); i++) {
        const IoctlDef *d = &ioctl_defs[i];
        if (d->cmd != cmd) {
            continue;
        }
        switch (d->arg) {
        case IOCTL_NONE:
            return syscall_host_ret(ioctl(fd, cmd));
        case IOCTL_INT:
            return syscall_host_ret(ioctl(fd, cmd, (unsigned long)a[2]));
        case IOCTL_IN:
        case IOCTL_OUT: {
            void *p = guest_lock(a[2], d->size, d->arg == IOCTL_OUT ? GUEST_ACCESS_WRITE
                                                                    : GUEST_ACCESS_READ);
            return p ? syscall_host_ret(ioctl(fd, cmd, p)) : -EFAULT;
        }
        }
    }
    if (log_enabled(LOG_UNIMP)) {
        log_printf("Unsupported ioctl: fd %d cmd 0x%x\n", fd, cmd);
    }
    return -ENOTTY;
}

static int64_t sys_dup(LinuxTask *t, const uint64_t *a)
{
    return syscall_host_ret(dup((int)a[0]));
}

static int64_t sys_dup3(LinuxTask *t, const uint64_t *a)
{
    return syscall_host_ret(dup3((int)a[0], (int)a[1], (int)a[2]));
}

static int64_t sys_pipe2(LinuxTask *t, const uint64_t *a)
{
    int fds[2];
    if (!guest_lock(a[0], sizeof(fds), GUEST_ACCESS_WRITE)) {
        return -EFAULT;
    }
    int64_t r = syscall_host_ret(pipe2(fds, (int)a[1]));
    if (r == 0) {
        guest_copy_to(a[0], fds, sizeof(fds));
    }
    return r;
}

static int64_t sys_fsync(LinuxTask *t, const uint64_t *a)
{
    return syscall_host_ret(fsync((int)a[0]));
}

static int64_t sys_fdatasync(LinuxTask *t, const uint64_t *a)
{
    return syscall_host_ret(fdatasync((int)a[0]));
}

static int64_t sys_ftruncate(LinuxTask *t, const uint64_t *a)
{
    return syscall_host_ret(ftruncate((int)a[0], (off_t)a[1]));
}

static int64_t sys_fadvise64(LinuxTask *t, const uint64_t *a)
{
    return -posix_fadvise((int)a[0], (off_t)a[1], (off_t)a[2], (int)a[3]);
}

static int64_t sys_sendfile(LinuxTask *t, const uint64_t *a)
{
    off_t *off = NULL;
    if (a[2] && !(off = guest_lock(a[2], sizeof(*off), GUEST_ACCESS_WRITE))) {
        return -EFAULT;
    }
    return syscall_host_ret(sendfile((int)a[0], (int)a[1], off, a[3]));
}

/* ppoll(fds, nfds, tmo, sigmask, sigsetsize): the guest mask is replaced
 * for the call; if a signal interrupts it, the handler's frame records
 * the old mask (as for rt_sigsuspend), else the old mask is back at once. */
static int64_t sys_ppoll(LinuxTask *t, const uint64_t *a)
{
    if (a[1] > 1u << 20) {
        return -EINVAL;
    }
    struct pollfd *fds = guest_lock(a[0], a[1] * sizeof(*fds), GUEST_ACCESS_WRITE);
    struct timespec *tmo = NULL;
    if (!fds || (a[2] && !(tmo = guest_lock(a[2], sizeof(*tmo), GUEST_ACCESS_WRITE)))) {
        return -EFAULT;
    }
    uint64_t mask;
    if (a[3]) {
        if (a[4] != 8) {
            return -EINVAL;
        }
        if (guest_copy_from(&mask, a[3], sizeof(mask)) < 0) {
            return -EFAULT;
        }
        t->saved_sigmask = t->sigmask;
        t->sigmask_saved = true;
        t->sigmask = mask & ~SIGS_UNBLOCKABLE;
    }
    int64_t r = safe_syscall(t, SYS_ppoll, (long)fds, (long)a[1], (long)tmo, 0, 8, 0);
    if (a[3] && r != -EINTR) {
        t->sigmask = t->saved_sigmask;
        t->sigmask_saved = false;
    }
    return r;
}

const SyscallDef syscalls_files[] = {
    { NR_read, "read", sys_read, "dpd", 'd' },
    { NR_write, "write", sys_write, "dpd", 'd' },
    { NR_readv, "readv", sys_readv, "dpd", 'd' },
    { NR_writev, "writev", sys_writev, "dpd", 'd' },
    { NR_preadv, "preadv", sys_preadv, "dpdd", 'd' },
    { NR_pwritev, "pwritev", sys_pwritev, "dpdd", 'd' },
    { NR_pread64, "pread64", sys_pread64, "dpdd", 'd' },
    { NR_pwrite64, "pwrite64", sys_pwrite64, "dpdd", 'd' },
    { NR_openat, "openat", sys_openat, "fsxo", 'd' },
    { NR_close, "close", sys_close, "d", 'd' },
    { NR_close_range, "close_range", sys_close_range, "ddx", 'd' },
    { NR_lseek, "lseek", sys_lseek, "ddd", 'd' },
    { NR_getdents64, "getdents64", sys_getdents64, "dpd", 'd' },
    { NR_fcntl, "fcntl", sys_fcntl, "ddx", 'd' },
    { NR_ioctl, "ioctl", sys_ioctl, "dxx", 'd' },
    { NR_dup, "dup", sys_dup, "d", 'd' },
    { NR_dup3, "dup3", sys_dup3, "ddx", 'd' },
    { NR_pipe2, "pipe2", sys_pipe2, "px", 'd' },
    { NR_fsync, "fsync", sys_fsync, "d", 'd' },
    { NR_fdatasync, "fdatasync", sys_fdatasync, "d", 'd' },
    { NR_ftruncate, "ftruncate", sys_ftruncate, "dd", 'd' },
    { NR_fadvise64, "fadvise64", sys_fadvise64, "dddd", 'd' },
    { NR_sendfile, "sendfile", sys_sendfile, "ddpd", 'd' },
    { NR_ppoll, "ppoll", sys_ppoll, "pdppd", 'd' },
    { 0, NULL, NULL, NULL, 0 },
};
