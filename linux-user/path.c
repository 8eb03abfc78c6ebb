/*
 * path.c — guest path names to host path names: the -L sysroot
 * (QEMU_LD_PREFIX) and /proc/self/exe.
 *
 * The one thing to know: an absolute path is redirected into the sysroot
 * only when that file exists there and is not a directory, so "/" and
 * "/tmp" keep meaning the host's, while "/lib/libc.so.6" finds the guest's.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux-user/guest-mem.h"
#include "linux-user/syscall.h"

static bool path_is_self_exe(const char *p)
{
    char own[32];
    snprintf(own, sizeof(own), "/proc/%d/exe", getpid());
    return strcmp(p, "/proc/self/exe") == 0 || strcmp(p, own) == 0;
}

const char *path_map(const char *guest_path, char *buf)
{
    if (path_is_self_exe(guest_path)) {
        return linux_process.exe_path;
    }
    const char *prefix = linux_process.ld_prefix;
    if (prefix && guest_path[0] == '/') {
        struct stat st;
        int n = snprintf(buf, PATH_MAX, "%s%s", prefix, guest_path);
        if (n > 0 && n < PATH_MAX && lstat(buf, &st) == 0 && !S_ISDIR(st.st_mode)) {
            return buf;
        }
    }
    return guest_path;
}

const char *path_from_guest(uint64_t addr, char *buf, int64_t *err)
{
    char mapped[PATH_MAX];
    int64_t r = guest_copy_string(buf, PATH_MAX, addr);
    if (r < 0) {
        *err = r;
        return NULL;
    }
    const char *p = path_map(buf, mapped);
    if (p != buf) {
        size_t len = strlen(p);
        if (len >= PATH_MAX) {
            *err = -ENAMETOOLONG;
            return NULL;
        }
        memcpy(buf, p, len + 1);
    }
    return buf;
}
