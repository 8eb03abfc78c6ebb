/*
 * syscall-time.c — clocks and sleeping: clock_gettime/getres/nanosleep,
 * gettimeofday, nanosleep, times.
 *
 * The one thing to know: struct timespec, timeval and tms are 64-bit
 * fields on both riscv64 and x86-64, and clock ids are the same numbers,
 * so values are copied through unchanged.
 */
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#include "linux-user/guest-mem.h"
#include "linux-user/safe-syscall.h"
#include "linux-user/syscall-nr.h"
#include "linux-user/syscall.h"

static int64_t sys_clock_gettime(LinuxTask *t, const uint64_t *a)
{
    struct timespec ts;
    int64_t r = syscall_host_ret(clock_gettime((clockid_t)a[0], &ts));
    return r < 0 ? r : guest_copy_to(a[1], &ts, sizeof(ts));
}

static int64_t sys_clock_getres(LinuxTask *t, const uint64_t *a)
{
    struct timespec ts;
    int64_t r = syscall_host_ret(clock_getres((clockid_t)a[0], &ts));
    return r < 0 || !a[1] ? r : guest_copy_to(a[1], &ts, sizeof(ts));
}

static int64_t sys_gettimeofday(LinuxTask *t, const uint64_t *a)
{
    struct timeval tv;
    struct timezone tz;
    int64_t r = syscall_host_ret(syscall(SYS_gettimeofday, &tv, &tz));
    if (r == 0 && a[0]) {
        r = guest_copy_to(a[0], &tv, sizeof(tv));
    }
    if (r == 0 && a[1]) {
        r = guest_copy_to(a[1], &tz, sizeof(tz));
    }
    return r;
}

/* Shared by nanosleep and clock_nanosleep: req at reqa, remaining at rema. */
static int64_t do_sleep(LinuxTask *t, clockid_t clock, int flags, uint64_t reqa, uint64_t rema)
{
    struct timespec req, rem = { 0, 0 };
    if (guest_copy_from(&req, reqa, sizeof(req)) < 0) {
        return -EFAULT;
    }
    int64_t r = safe_syscall(t, SYS_clock_nanosleep, clock, flags, (long)&req, (long)&rem, 0, 0);
    if (r == -EINTR && rema && !(flags & TIMER_ABSTIME)) {
        guest_copy_to(rema, &rem, sizeof(rem));
    }
    return r;
}

static int64_t sys_nanosleep(LinuxTask *t, const uint64_t *a)
{
    return do_sleep(t, CLOCK_MONOTONIC, 0, a[0], a[1]);
}

static int64_t sys_clock_nanosleep(LinuxTask *t, const uint64_t *a)
{
    return do_sleep(t, (clockid_t)a[0], (int)a[1], a[2], a[3]);
}

static int64_t sys_times(LinuxTask *t, const uint64_t *a)
{
    struct tms tms;
    clock_t r = times(&tms);
    if (a[0] && guest_copy_to(a[0], &tms, sizeof(tms)) < 0) {
        return -EFAULT;
    }
    return (int64_t)r;
}

/* struct itimerval is four longs on both sides. */
static int64_t sys_getitimer(LinuxTask *t, const uint64_t *a)
{
    struct itimerval cur;
    int64_t r = syscall_host_ret(getitimer((int)a[0], &cur));
    if (r == 0 && guest_copy_to(a[1], &cur, sizeof(cur)) < 0) {
        return -EFAULT;
    }
    return r;
}

static int64_t sys_setitimer(LinuxTask *t, const uint64_t *a)
{
    struct itimerval nv, old;
    if (guest_copy_from(&nv, a[1], sizeof(nv)) < 0) {
        return -EFAULT;
    }
    if (a[2] && !guest_lock(a[2], sizeof(old), GUEST_ACCESS_WRITE)) {
        return -EFAULT;
    }
    int64_t r = syscall_host_ret(setitimer((int)a[0], &nv, &old));
    if (r == 0 && a[2]) {
        guest_copy_to(a[2], &old, sizeof(old));
    }
    return r;
}

const SyscallDef syscalls_time[] = {
    { NR_clock_gettime, "clock_gettime", sys_clock_gettime, "dp", 'd' },
    { NR_clock_getres, "clock_getres", sys_clock_getres, "dp", 'd' },
    { NR_gettimeofday, "gettimeofday", sys_gettimeofday, "pp", 'd' },
    { NR_nanosleep, "nanosleep", sys_nanosleep, "pp", 'd' },
    { NR_clock_nanosleep, "clock_nanosleep", sys_clock_nanosleep, "ddpp", 'd' },
    { NR_times, "times", sys_times, "p", 'd' },
    { NR_getitimer, "getitimer", sys_getitimer, "dp", 'd' },
    { NR_setitimer, "setitimer", sys_setitimer, "dpp", 'd' },
    { 0, NULL, NULL, NULL, 0 },
};
