/*
 * signal-syscalls.c — the guest's signal system calls: rt_sigaction,
 * rt_sigprocmask, rt_sigpending, rt_sigsuspend, rt_sigtimedwait,
 * sigaltstack, rt_sigreturn, and kill/tgkill/tkill/rt_sigqueueinfo (sent
 * through the host kernel, also to the guest itself, so that it picks the
 * thread and keeps blocked signals pending).
 *
 * The one thing to know: the guest's signal mask is t->sigmask, mirrored
 * onto the host thread (signal-host.c); signals the host handler already
 * caught wait in t->sigpending, blocked ones the host never delivered wait
 * in the host kernel, so rt_sigpending and rt_sigtimedwait look at both.
 */
#include <signal.h>
#include <string.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux-user/guest-mem.h"
#include "linux-user/guest-signal.h"
#include "linux-user/safe-syscall.h"
#include "linux-user/syscall-nr.h"

static int64_t sys_rt_sigaction(LinuxTask *t, const uint64_t *a)
{
    int sig = (int)a[0];
    if (a[3] != 8 || sig < 1 || sig > GUEST_NSIG) {
        return -EINVAL;
    }
    GuestSigaction act;
    if (a[1] && guest_copy_from(&act, a[1], sizeof(act)) < 0) {
        return -EFAULT;
    }
    if (a[1] && (SIGS_UNBLOCKABLE & SIG_BIT(sig))) {
        return -EINVAL;
    }
    if (a[2] && guest_copy_to(a[2], &linux_process.sigact[sig], sizeof(act)) < 0) {
        return -EFAULT;
    }
    if (a[1]) {
        signal_set_action(t, sig, &act);
    }
    return 0;
}

static int64_t sys_rt_sigprocmask(LinuxTask *t, const uint64_t *a)
{
    if (a[3] != 8) {
        return -EINVAL;
    }
    uint64_t old = t->sigmask, set = 0;
    if (a[1]) {
        if (guest_copy_from(&set, a[1], sizeof(set)) < 0) {
            return -EFAULT;
        }
        switch ((int)a[0]) {
        case SIG_BLOCK:
            set = old | set;
            break;
        case SIG_UNBLOCK:
            set = old & ~set;
            break;
        case SIG_SETMASK:
            break;
        default:
            return -EINVAL;
        }
    }
    if (a[2] && guest_copy_to(a[2], &old, sizeof(old)) < 0) {
        return -EFAULT;
    }
    if (a[1]) {
        /* Newly unblocked pending signals are delivered when the syscall
         * returns to the CPU loop. */
        t->sigmask = set & ~SIGS_UNBLOCKABLE;
        signal_host_apply_mask(t);
    }
    return 0;
}

static int64_t sys_rt_sigpending(LinuxTask *t, const uint64_t *a)
{
    if (a[1] != 8) {
        return -EINVAL;
    }
    signal_host_collect(t);
    sigset_t host;
    sigpending(&host);
    uint64_t set = (t->sigpending | signal_host_guest_set(&host)) & t->sigmask;
    return guest_copy_to(a[0], &set, sizeof(set));
}

/* Waits with the guest mask replaced until a signal can be delivered; the
 * handler's frame then records the old mask (t->saved_sigmask). */
static int64_t sys_rt_sigsuspend(LinuxTask *t, const uint64_t *a)
{
    uint64_t mask;
    if (a[1] != 8) {
        return -EINVAL;
    }
    if (guest_copy_from(&mask, a[0], sizeof(mask)) < 0) {
        return -EFAULT;
    }
    t->saved_sigmask = t->sigmask;
    t->sigmask_saved = true;
    t->sigmask = mask & ~SIGS_UNBLOCKABLE;
    sigset_t old, wait_mask;
    signal_host_set_of(t->sigmask, &wait_mask);
    /* With host signals blocked between the check and sigsuspend(), a
     * signal cannot slip in unseen. */
    signal_host_block_all(&old);
    while (!signal_deliverable(t)) {
        sigsuspend(&wait_mask);
    }
    signal_host_restore(&old);
    return -EINTR;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Waits until a signal of set is pending (returns it), another signal is
 * deliverable (-EINTR) or the deadline passes (-EAGAIN; UINT64_MAX: no
 * deadline). Signals of set that the guest blocks wait in the host kernel,
 * so the host's rt_sigtimedwait takes them; a host signal caught meanwhile
 * interrupts it (safe_syscall). */
static int64_t wait_for_signal(LinuxTask *t, uint64_t set, uint64_t deadline, GuestSiginfo *info)
{
    sigset_t host_set;
    signal_host_set_of(set, &host_set);
    for (;;) {
        signal_host_collect(t);
        for (int sig = 1; sig <= GUEST_NSIG; sig++) {
            if ((set & SIG_BIT(sig)) && signal_take(t, sig, info)) {
                return sig;
            }
        }
        if (t->sigpending & ~t->sigmask) {
            return -EINTR;
        }
        struct timespec rem, *timeout = NULL;
        if (deadline != UINT64_MAX) {
            uint64_t now = now_ns();
            if (now >= deadline) {
                return -EAGAIN;
            }
            rem.tv_sec = (time_t)((deadline - now) / 1000000000u);
            rem.tv_nsec = (long)((deadline - now) % 1000000000u);
            timeout = &rem;
        }
        siginfo_t hi;
        int caught = t->host_queue_len;
        t->cpu->exit_request = 0;
        int64_t r = safe_syscall(t, SYS_rt_sigtimedwait, (long)&host_set, (long)&hi, (long)timeout,
                                 NSIG / 8, 0, 0);
        if (r > 0) {
            memcpy(info, &hi, sizeof(*info));
            info->signo = (int32_t)r;
            return r;
        }
        if (r != -EINTR || t->host_queue_len == caught) {
            return r;
        }
    }
}

static int64_t sys_rt_sigtimedwait(LinuxTask *t, const uint64_t *a)
{
    uint64_t set, deadline = UINT64_MAX;
    if (a[3] != 8) {
        return -EINVAL;
    }
    if (guest_copy_from(&set, a[0], sizeof(set)) < 0) {
        return -EFAULT;
    }
    if (a[2]) {
        struct timespec ts;
        if (guest_copy_from(&ts, a[2], sizeof(ts)) < 0) {
            return -EFAULT;
        }
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000) {
            return -EINVAL;
        }
        deadline = now_ns() + (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    }
    if (a[1] && !guest_lock(a[1], sizeof(GuestSiginfo), GUEST_ACCESS_WRITE)) {
        return -EFAULT;
    }
    GuestSiginfo info;
    int64_t r = wait_for_signal(t, set & ~SIGS_UNBLOCKABLE, deadline, &info);
    if (r > 0 && a[1]) {
        guest_copy_to(a[1], &info, sizeof(info));
    }
    return r;
}

/* signalfd4(fd, mask, sizemask, flags): a host signalfd for the host
 * version of the mask. The guest blocks those signals, so its host thread
 * does too (mirrored masks) and the host kernel keeps them for the fd;
 * struct signalfd_siginfo has the same layout on both sides. */
static int64_t sys_signalfd4(LinuxTask *t, const uint64_t *a)
{
    uint64_t mask;
    if (a[2] != 8) {
        return -EINVAL;
    }
    if (guest_copy_from(&mask, a[1], sizeof(mask)) < 0) {
        return -EFAULT;
    }
    sigset_t host;
    signal_host_set_of(mask, &host);
    return syscall_host_ret(syscall(SYS_signalfd4, (int)a[0], &host, NSIG / 8, (int)a[3]));
}

static int64_t sys_rt_sigqueueinfo(LinuxTask *t, const uint64_t *a)
{
    int sig = (int)a[1];
    GuestSiginfo info;
    if (sig < 1 || sig > GUEST_NSIG) {
        return -EINVAL;
    }
    if (guest_copy_from(&info, a[2], sizeof(info)) < 0) {
        return -EFAULT;
    }
    info.signo = sig;
    return syscall_host_ret(syscall(SYS_rt_sigqueueinfo, (pid_t)a[0], sig, &info));
}

static int64_t sys_sigaltstack(LinuxTask *t, const uint64_t *a)
{
    uint64_t sp = signal_guest_sp(t);
    GuestStack ns, os = { t->altstack_sp, signal_altstack_state(t, sp), 0, t->altstack_size };
    if (os.flags != GUEST_SS_DISABLE) {
        os.flags |= t->altstack_flags & GUEST_SS_AUTODISARM;
    }
    if (a[0] && guest_copy_from(&ns, a[0], sizeof(ns)) < 0) {
        return -EFAULT;
    }
    if (a[0]) {
        int64_t r = signal_altstack_set(t, &ns, sp);
        if (r < 0) {
            return r;
        }
    }
    if (a[1] && guest_copy_to(a[1], &os, sizeof(os)) < 0) {
        return -EFAULT;
    }
    return 0;
}

static int64_t sys_rt_sigreturn(LinuxTask *t, const uint64_t *a)
{
    return signal_frame_return(t);
}

/* A signal the host cannot carry for the guest (one mimic keeps for
 * itself: SIGSEGV, SIGBUS, 32, 33) sent to this process: queued for the
 * calling thread. */
static bool signal_to_self(LinuxTask *t, pid_t pid, int tid, int sig, int code)
{
    if (!signal_host_owned(sig) || SIGS_UNBLOCKABLE & SIG_BIT(sig) || pid != getpid() ||
        (tid && tid != t->tid)) {
        return false;
    }
    GuestSiginfo info;
    memset(&info, 0, sizeof(info));
    info.signo = sig;
    info.code = code;
    info.u.kill.pid = getpid();
    info.u.kill.uid = getuid();
    signal_queue(t, &info);
    return true;
}

static int64_t sys_kill(LinuxTask *t, const uint64_t *a)
{
    int sig = (int)a[1];
    if (sig < 0 || sig > GUEST_NSIG) {
        return -EINVAL;
    }
    if (signal_to_self(t, (pid_t)a[0], 0, sig, SI_USER)) {
        return 0;
    }
    return syscall_host_ret(kill((pid_t)a[0], sig));
}

static int64_t sys_tgkill(LinuxTask *t, const uint64_t *a)
{
    int sig = (int)a[2];
    if (sig < 0 || sig > GUEST_NSIG) {
        return -EINVAL;
    }
    if (signal_to_self(t, (pid_t)a[0], (int)a[1], sig, SI_TKILL)) {
        return 0;
    }
    return syscall_host_ret(syscall(SYS_tgkill, (pid_t)a[0], (pid_t)a[1], sig));
}

static int64_t sys_tkill(LinuxTask *t, const uint64_t *a)
{
    int sig = (int)a[1];
    if (sig < 0 || sig > GUEST_NSIG) {
        return -EINVAL;
    }
    if (signal_to_self(t, getpid(), (int)a[0], sig, SI_TKILL)) {
        return 0;
    }
    return syscall_host_ret(syscall(SYS_tkill, (pid_t)a[0], sig));
}

/* Argument letters: see SyscallDef (S signal, A sigaction, M sigset,
 * h sigprocmask how, K stack_t); output arguments are plain pointers,
 * since -strace decodes arguments before the call. */
const SyscallDef syscalls_signal[] = {
    { NR_rt_sigaction, "rt_sigaction", sys_rt_sigaction, "SApd", 'd' },
    { NR_rt_sigprocmask, "rt_sigprocmask", sys_rt_sigprocmask, "hMpd", 'd' },
    { NR_rt_sigpending, "rt_sigpending", sys_rt_sigpending, "pd", 'd' },
    { NR_rt_sigsuspend, "rt_sigsuspend", sys_rt_sigsuspend, "Md", 'd' },
    { NR_rt_sigtimedwait, "rt_sigtimedwait", sys_rt_sigtimedwait, "Mppd", 'd' },
    { NR_rt_sigqueueinfo, "rt_sigqueueinfo", sys_rt_sigqueueinfo, "dSp", 'd' },
    { NR_sigaltstack, "sigaltstack", sys_sigaltstack, "Kp", 'd' },
    { NR_signalfd4, "signalfd4", sys_signalfd4, "dMdx", 'd' },
    { NR_rt_sigreturn, "rt_sigreturn", sys_rt_sigreturn, "", 'd' },
    { NR_kill, "kill", sys_kill, "dS", 'd' },
    { NR_tgkill, "tgkill", sys_tgkill, "ddS", 'd' },
    { NR_tkill, "tkill", sys_tkill, "dS", 'd' },
    { 0, NULL, NULL, NULL, 0 },
};
