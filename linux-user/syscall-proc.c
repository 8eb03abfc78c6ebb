/*
 * syscall-proc.c — process and thread system calls: exit, ids, uname,
 * limits, scheduling, futex, robust lists, getrandom, sysinfo, prctl.
 *
 * The one thing to know: mimic runs one guest thread per host thread, so
 * futexes are host futexes on the guest words, and ids are the host's.
 */
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux-user/gdb.h"
#include "linux-user/guest-mem.h"
#include "linux-user/safe-syscall.h"
#include "linux-user/syscall-nr.h"
#include "linux-user/syscall.h"
#include "linux-user/thread.h"
#include "mimic/log.h"

void process_exit(int status)
{
    gdb_user_exit(status);
    fflush(stdout);
    if (log_file) {
        fflush(log_file);
    }
    exit(status);
}

static int64_t sys_exit_group(LinuxTask *t, const uint64_t *a)
{
    process_exit((int)a[0] & 0xff);
}

static int64_t sys_exit(LinuxTask *t, const uint64_t *a)
{
    thread_exit(t, (int)a[0] & 0xff);
}

static int64_t sys_getpid(LinuxTask *t, const uint64_t *a)
{
    return getpid();
}

static int64_t sys_getppid(LinuxTask *t, const uint64_t *a)
{
    return getppid();
}

static int64_t sys_gettid(LinuxTask *t, const uint64_t *a)
{
    return t->tid;
}

static int64_t sys_getuid(LinuxTask *t, const uint64_t *a)
{
    return getuid();
}

static int64_t sys_geteuid(LinuxTask *t, const uint64_t *a)
{
    return geteuid();
}

static int64_t sys_getgid(LinuxTask *t, const uint64_t *a)
{
    return getgid();
}

static int64_t sys_getegid(LinuxTask *t, const uint64_t *a)
{
    return getegid();
}

static int64_t sys_getresuid(LinuxTask *t, const uint64_t *a)
{
    uid_t ids[3];
    getresuid(&ids[0], &ids[1], &ids[2]);
    for (int i = 0; i < 3; i++) {
        if (guest_copy_to(a[i], &ids[i], sizeof(ids[i])) < 0) {
            return -EFAULT;
        }
    }
    return 0;
}

static int64_t sys_getresgid(LinuxTask *t, const uint64_t *a)
{
    gid_t ids[3];
    getresgid(&ids[0], &ids[1], &ids[2]);
    for (int i = 0; i < 3; i++) {
        if (guest_copy_to(a[i], &ids[i], sizeof(ids[i])) < 0) {
            return -EFAULT;
        }
    }
    return 0;
}

static int64_t sys_getgroups(LinuxTask *t, const uint64_t *a)
{
    if ((int)a[0] < 0 || a[0] > 65536) {
        return -EINVAL;
    }
    gid_t *list = guest_lock(a[1], a[0] * sizeof(gid_t), GUEST_ACCESS_WRITE);
    return list ? syscall_host_ret(getgroups((int)a[0], list)) : -EFAULT;
}

static int64_t sys_getpgid(LinuxTask *t, const uint64_t *a)
{
    return syscall_host_ret(getpgid((pid_t)a[0]));
}

static int64_t sys_setpgid(LinuxTask *t, const uint64_t *a)
{
    return syscall_host_ret(setpgid((pid_t)a[0], (pid_t)a[1]));
}

static int64_t sys_getsid(LinuxTask *t, const uint64_t *a)
{
    return syscall_host_ret(getsid((pid_t)a[0]));
}

static int64_t sys_setsid(LinuxTask *t, const uint64_t *a)
{
    return syscall_host_ret(setsid());
}

static int64_t sys_uname(LinuxTask *t, const uint64_t *a)
{
    struct utsname u;
    if (uname(&u) < 0) {
        return -errno;
    }
    snprintf(u.machine, sizeof(u.machine), "riscv64");
    return guest_copy_to(a[0], &u, sizeof(u));
}

static int64_t sys_getrandom(LinuxTask *t, const uint64_t *a)
{
    void *p = guest_lock(a[0], a[1], GUEST_ACCESS_WRITE);
    return p ? syscall_host_ret(getrandom(p, a[1], (unsigned)a[2])) : -EFAULT;
}

static int64_t sys_set_tid_address(LinuxTask *t, const uint64_t *a)
{
    t->clear_child_tid = a[0];
    return t->tid;
}

static int64_t sys_set_robust_list(LinuxTask *t, const uint64_t *a)
{
    if (a[1] != 24) { /* sizeof(struct robust_list_head) */
        return -EINVAL;
    }
    t->robust_list = a[0];
    return 0;
}

/* Limits mimic itself needs (address space, data, stack) are reported
 * but not applied: they would apply to the emulator, not the guest. */
static bool rlimit_is_emulated(int res)
{
    return res == RLIMIT_AS || res == RLIMIT_DATA || res == RLIMIT_STACK;
}

static int64_t do_prlimit(pid_t pid, int res, uint64_t new_addr, uint64_t old_addr)
{
    struct rlimit nl, ol;
    if (new_addr && guest_copy_from(&nl, new_addr, sizeof(nl)) < 0) {
        return -EFAULT;
    }
    if (old_addr && !guest_lock(old_addr, sizeof(ol), GUEST_ACCESS_WRITE)) {
        return -EFAULT;
    }
    bool self = pid == 0 || pid == getpid();
    const struct rlimit *np = new_addr && !(self && rlimit_is_emulated(res)) ? &nl : NULL;
    int64_t r = syscall_host_ret(prlimit(pid, res, np, &ol));
    if (r == 0 && old_addr) {
        r = guest_copy_to(old_addr, &ol, sizeof(ol));
    }
    return r;
}

static int64_t sys_prlimit64(LinuxTask *t, const uint64_t *a)
{
    return do_prlimit((pid_t)a[0], (int)a[1], a[2], a[3]);
}

static int64_t sys_getrlimit(LinuxTask *t, const uint64_t *a)
{
    return do_prlimit(0, (int)a[0], 0, a[1]);
}

static int64_t sys_setrlimit(LinuxTask *t, const uint64_t *a)
{
    return do_prlimit(0, (int)a[0], a[1], 0);
}

static int64_t sys_getrusage(LinuxTask *t, const uint64_t *a)
{
    struct rusage ru;
    int64_t r = syscall_host_ret(getrusage((int)a[0], &ru));
    return r < 0 ? r : guest_copy_to(a[1], &ru, sizeof(ru));
}

static int64_t sys_sched_getaffinity(LinuxTask *t, const uint64_t *a)
{
    void *p = guest_lock(a[2], a[1], GUEST_ACCESS_WRITE);
    return p ? syscall_host_ret(syscall(SYS_sched_getaffinity, (pid_t)a[0], (size_t)a[1], p))
             : -EFAULT;
}

static int64_t sys_sched_yield(LinuxTask *t, const uint64_t *a)
{
    return syscall_host_ret(sched_yield());
}

/* futex(uaddr, op, val, timeout_or_val2, uaddr2, val3) on the host futex
 * at the guest word. */
static int64_t sys_futex(LinuxTask *t, const uint64_t *a)
{
    int op = (int)a[1];
    int cmd = op & FUTEX_CMD_MASK;
    if ((a[0] & 3) || !guest_lock(a[0], 4, GUEST_ACCESS_READ)) {
        return -EFAULT;
    }
    void *uaddr2 = NULL;
    const void *timeout = NULL;
    uint64_t val2 = 0;
    switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
    case FUTEX_WAIT_REQUEUE_PI:
        if (a[3] && !(timeout = guest_lock(a[3], sizeof(struct timespec), GUEST_ACCESS_READ))) {
            return -EFAULT;
        }
        break;
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
    case FUTEX_UNLOCK_PI:
    case FUTEX_TRYLOCK_PI:
        break;
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
    case FUTEX_WAKE_OP:
    case FUTEX_CMP_REQUEUE_PI:
        val2 = a[3];
        break;
    default:
        return -ENOSYS;
    }
    if (cmd == FUTEX_WAIT_REQUEUE_PI || cmd == FUTEX_REQUEUE || cmd == FUTEX_CMP_REQUEUE ||
        cmd == FUTEX_WAKE_OP || cmd == FUTEX_CMP_REQUEUE_PI) {
        if ((a[4] & 3) || !(uaddr2 = guest_lock(a[4], 4, GUEST_ACCESS_WRITE))) {
            return -EFAULT;
        }
    }
    return safe_syscall(t, SYS_futex, (long)g2h(a[0]), op, (uint32_t)a[2],
                        timeout ? (long)timeout : (long)val2, (long)uaddr2, (uint32_t)a[5]);
}

static int64_t sys_sysinfo(LinuxTask *t, const uint64_t *a)
{
    struct sysinfo si;
    int64_t r = syscall_host_ret(sysinfo(&si));
    return r < 0 ? r : guest_copy_to(a[0], &si, sizeof(si));
}

static int64_t sys_prctl(LinuxTask *t, const uint64_t *a)
{
    int opt = (int)a[0];
    switch (opt) {
    case PR_SET_NAME:
    case PR_GET_NAME: {
        void *p = guest_lock(a[1], 16, opt == PR_GET_NAME ? GUEST_ACCESS_WRITE : GUEST_ACCESS_READ);
        return p ? syscall_host_ret(prctl(opt, p)) : -EFAULT;
    }
    case PR_GET_DUMPABLE:
        return syscall_host_ret(prctl(opt));
    case PR_SET_DUMPABLE:
        return a[1] <= 1 ? 0 : -EINVAL;
    default:
        return -EINVAL;
    }
}

static int64_t sys_wait4(LinuxTask *t, const uint64_t *a)
{
    int status;
    struct rusage ru;
    if (a[1] && !guest_lock(a[1], sizeof(status), GUEST_ACCESS_WRITE)) {
        return -EFAULT;
    }
    if (a[3] && !guest_lock(a[3], sizeof(ru), GUEST_ACCESS_WRITE)) {
        return -EFAULT;
    }
    int64_t r = safe_syscall(t, SYS_wait4, (pid_t)a[0], (long)&status, (int)a[2], (long)&ru, 0, 0);
    if (r > 0 && a[1]) {
        guest_copy_to(a[1], &status, sizeof(status));
    }
    if (r > 0 && a[3]) {
        guest_copy_to(a[3], &ru, sizeof(ru));
    }
    return r;
}

/* Calls the guest may make that mimic deliberately does not provide;
 * glibc falls back cleanly on -ENOSYS. */
static int64_t sys_enosys(LinuxTask *t, const uint64_t *a)
{
    return -ENOSYS;
}

const SyscallDef syscalls_proc[] = {
    { NR_exit, "exit", sys_exit, "d", 'd' },
    { NR_exit_group, "exit_group", sys_exit_group, "d", 'd' },
    { NR_getpid, "getpid", sys_getpid, "", 'd' },
    { NR_getppid, "getppid", sys_getppid, "", 'd' },
    { NR_gettid, "gettid", sys_gettid, "", 'd' },
    { NR_getuid, "getuid", sys_getuid, "", 'd' },
    { NR_geteuid, "geteuid", sys_geteuid, "", 'd' },
    { NR_getgid, "getgid", sys_getgid, "", 'd' },
    { NR_getegid, "getegid", sys_getegid, "", 'd' },
    { NR_getresuid, "getresuid", sys_getresuid, "ppp", 'd' },
    { NR_getresgid, "getresgid", sys_getresgid, "ppp", 'd' },
    { NR_getgroups, "getgroups", sys_getgroups, "dp", 'd' },
    { NR_getpgid, "getpgid", sys_getpgid, "d", 'd' },
    { NR_setpgid, "setpgid", sys_setpgid, "dd", 'd' },
    { NR_getsid, "getsid", sys_getsid, "d", 'd' },
    { NR_setsid, "setsid", sys_setsid, "", 'd' },
    { NR_uname, "uname", sys_uname, "p", 'd' },
    { NR_getrandom, "getrandom", sys_getrandom, "pdx", 'd' },
    { NR_set_tid_address, "set_tid_address", sys_set_tid_address, "p", 'd' },
    { NR_set_robust_list, "set_robust_list", sys_set_robust_list, "pd", 'd' },
    { NR_prlimit64, "prlimit64", sys_prlimit64, "ddpp", 'd' },
    { NR_getrlimit, "getrlimit", sys_getrlimit, "dp", 'd' },
    { NR_setrlimit, "setrlimit", sys_setrlimit, "dp", 'd' },
    { NR_getrusage, "getrusage", sys_getrusage, "dp", 'd' },
    { NR_sched_getaffinity, "sched_getaffinity", sys_sched_getaffinity, "ddp", 'd' },
    { NR_sched_yield, "sched_yield", sys_sched_yield, "", 'd' },
    { NR_futex, "futex", sys_futex, "pddppd", 'd' },
    { NR_sysinfo, "sysinfo", sys_sysinfo, "p", 'd' },
    { NR_prctl, "prctl", sys_prctl, "dxxxx", 'd' },
    { NR_wait4, "wait4", sys_wait4, "dpxp", 'd' },
    { NR_rseq, "rseq", sys_enosys, "pdxx", 'd' },
    { NR_membarrier, "membarrier", sys_enosys, "dxd", 'd' },
    { NR_riscv_hwprobe, "riscv_hwprobe", sys_enosys, "pdpdx", 'd' },
    { 0, NULL, NULL, NULL, 0 },
};
