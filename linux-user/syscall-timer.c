/*
 * syscall-timer.c — POSIX per-process timers (timer_create, timer_settime,
 * timer_gettime, timer_getoverrun, timer_delete) on the host's timers.
 *
 * The one thing to know: struct sigevent and struct itimerspec have the
 * same 64-bit layout on riscv64 and x86-64, and timer ids and thread ids
 * are the host's, so only the notification is checked: a signal the host
 * glibc owns (32, 33 — glibc's SIGEV_THREAD uses 32) cannot be delivered
 * to the guest and is refused with EINVAL instead of never firing.
 */
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "linux-user/guest-mem.h"
#include "linux-user/guest-signal.h"
#include "linux-user/syscall-nr.h"
#include "linux-user/syscall.h"

/* struct sigevent of the 64-bit asm-generic ABI. */
typedef struct GuestSigevent {
    uint64_t value;
    int32_t signo;
    int32_t notify;
    int32_t tid; /* SIGEV_THREAD_ID */
    int32_t pad[11];
} GuestSigevent;

_Static_assert(sizeof(GuestSigevent) == 64, "sigevent is 64 bytes");

static int64_t sys_timer_create(LinuxTask *t, const uint64_t *a)
{
    GuestSigevent ev;
    GuestSigevent *evp = NULL;
    if (a[1]) {
        if (guest_copy_from(&ev, a[1], sizeof(ev)) < 0) {
            return -EFAULT;
        }
        bool signals = ev.notify == SIGEV_SIGNAL || ev.notify == (SIGEV_SIGNAL | SIGEV_THREAD_ID);
        if (signals && signal_host_owned(ev.signo)) {
            return -EINVAL;
        }
        evp = &ev;
    }
    if (!guest_lock(a[2], sizeof(int32_t), GUEST_ACCESS_WRITE)) {
        return -EFAULT;
    }
    int32_t id;
    int64_t r = syscall_host_ret(syscall(SYS_timer_create, (clockid_t)a[0], evp, &id));
    return r < 0 ? r : guest_copy_to(a[2], &id, sizeof(id));
}

static int64_t sys_timer_settime(LinuxTask *t, const uint64_t *a)
{
    struct itimerspec nv, ov;
    if (guest_copy_from(&nv, a[2], sizeof(nv)) < 0) {
        return -EFAULT;
    }
    if (a[3] && !guest_lock(a[3], sizeof(ov), GUEST_ACCESS_WRITE)) {
        return -EFAULT;
    }
    int64_t r = syscall_host_ret(
        syscall(SYS_timer_settime, (int)a[0], (int)a[1], &nv, a[3] ? &ov : NULL));
    return r < 0 || !a[3] ? r : guest_copy_to(a[3], &ov, sizeof(ov));
}

static int64_t sys_timer_gettime(LinuxTask *t, const uint64_t *a)
{
    struct itimerspec cur;
    int64_t r = syscall_host_ret(syscall(SYS_timer_gettime, (int)a[0], &cur));
    return r < 0 ? r : guest_copy_to(a[1], &cur, sizeof(cur));
}

static int64_t sys_timer_getoverrun(LinuxTask *t, const uint64_t *a)
{
    return syscall_host_ret(syscall(SYS_timer_getoverrun, (int)a[0]));
}

static int64_t sys_timer_delete(LinuxTask *t, const uint64_t *a)
{
    return syscall_host_ret(syscall(SYS_timer_delete, (int)a[0]));
}

const SyscallDef syscalls_timer[] = {
    { NR_timer_create, "timer_create", sys_timer_create, "dpp", 'd' },
    { NR_timer_settime, "timer_settime", sys_timer_settime, "ddpp", 'd' },
    { NR_timer_gettime, "timer_gettime", sys_timer_gettime, "dp", 'd' },
    { NR_timer_getoverrun, "timer_getoverrun", sys_timer_getoverrun, "d", 'd' },
    { NR_timer_delete, "timer_delete", sys_timer_delete, "d", 'd' },
    { 0, NULL, NULL, NULL, 0 },
};
