/*
 * signal.c — guest signals: the sigaction table and mask (recorded), the
 * signal system calls, and the default actions (ignore, stop, terminate,
 * terminate with core) applied when a signal is raised.
 *
 * The one thing to know: guest handlers are not run yet. A signal whose
 * disposition is a guest handler gets its default action (and a -d unimp
 * line); signal_raise() is the single place where delivery will go.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux-user/guest-mem.h"
#include "linux-user/syscall-nr.h"
#include "linux-user/syscall.h"
#include "mimic/log.h"

#define SIG_BIT(sig) (1ULL << ((sig) - 1))
#define SIGS_UNBLOCKABLE (SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP))
#define SIGS_CORE (SIG_BIT(SIGQUIT) | SIG_BIT(SIGILL) | SIG_BIT(SIGTRAP) | SIG_BIT(SIGABRT) | \
                   SIG_BIT(SIGBUS) | SIG_BIT(SIGFPE) | SIG_BIT(SIGSEGV) | SIG_BIT(SIGXCPU) | \
                   SIG_BIT(SIGXFSZ) | SIG_BIT(SIGSYS))
#define SIGS_IGNORED (SIG_BIT(SIGCHLD) | SIG_BIT(SIGCONT) | SIG_BIT(SIGURG) | SIG_BIT(SIGWINCH))
#define SIGS_STOP (SIG_BIT(SIGSTOP) | SIG_BIT(SIGTSTP) | SIG_BIT(SIGTTIN) | SIG_BIT(SIGTTOU))
/* Host signals mimic handles itself: the guest's choice is not mirrored. */
#define SIGS_HOST_OWNED (SIG_BIT(SIGSEGV) | SIG_BIT(SIGBUS) | SIGS_UNBLOCKABLE)

/* Terminates mimic with host signal sig (QEMU's message first for signals
 * that dump core), so the exit status is the one the guest would have. */
static __attribute__((noreturn)) void signal_die(int sig)
{
    if (SIGS_CORE & SIG_BIT(sig)) {
        fprintf(stderr, "mimic: uncaught target signal %d (%s) - core dumped\n", sig, strsignal(sig));
    }
    fflush(stdout);
    fflush(stderr);
    if (log_file) {
        fflush(log_file);
    }
    struct rlimit nocore = { 0, 0 };
    setrlimit(RLIMIT_CORE, &nocore);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sigaction(sig, &sa, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    /* Only reached if the host refused to kill us: report it the shell way. */
    _exit(128 + sig);
}

/* The default action of sig (a thread stop or the process death). */
static void signal_default_action(int sig)
{
    if (SIGS_IGNORED & SIG_BIT(sig)) {
        return;
    }
    if (SIGS_STOP & SIG_BIT(sig)) {
        raise(SIGSTOP);
        return;
    }
    signal_die(sig);
}

void signal_raise(LinuxTask *t, int sig, int code, uint64_t addr)
{
    if (sig < 1 || sig > GUEST_NSIG) {
        return;
    }
    if (log_enabled(LOG_INT)) {
        log_printf("signal %d (code %d, addr 0x%llx) at pc 0x%llx\n", sig, code,
                   (unsigned long long)addr, (unsigned long long)t->cpu->pc);
    }
    uint64_t handler = linux_process.sigact[sig].handler;
    bool forced = code > 0; /* synchronous fault: cannot be blocked or ignored */
    if (forced) {
        signal_default_action(sig);
        return;
    }
    if (handler == GUEST_SIG_IGN) {
        return;
    }
    if (t->sigmask & SIG_BIT(sig)) {
        t->sigpending |= SIG_BIT(sig);
        return;
    }
    if (handler != GUEST_SIG_DFL && log_enabled(LOG_UNIMP)) {
        log_printf("signal %d: guest handlers are not supported yet, default action\n", sig);
    }
    signal_default_action(sig);
}

/* Raises the pending signals that are no longer blocked. */
static void signal_flush_pending(LinuxTask *t)
{
    uint64_t ready = t->sigpending & ~t->sigmask;
    for (int sig = 1; ready && sig <= GUEST_NSIG; sig++) {
        if (ready & SIG_BIT(sig)) {
            t->sigpending &= ~SIG_BIT(sig);
            ready &= ~SIG_BIT(sig);
            signal_raise(t, sig, 0, 0);
        }
    }
}

/* Mirrors SIG_IGN/SIG_DFL of classic signals to the host, so that e.g. an
 * ignored SIGPIPE or SIGINT does not kill mimic. */
static void signal_mirror_to_host(int sig, uint64_t handler)
{
    if (sig >= 32 || (SIGS_HOST_OWNED & SIG_BIT(sig))) {
        return;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = handler == GUEST_SIG_IGN ? SIG_IGN : SIG_DFL;
    sigaction(sig, &sa, NULL);
}

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
        act.mask &= ~SIGS_UNBLOCKABLE;
        linux_process.sigact[sig] = act;
        signal_mirror_to_host(sig, act.handler);
        if (act.handler == GUEST_SIG_IGN) {
            t->sigpending &= ~SIG_BIT(sig);
        }
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
        t->sigmask = set & ~SIGS_UNBLOCKABLE;
        signal_flush_pending(t);
    }
    return 0;
}

static int64_t sys_rt_sigpending(LinuxTask *t, const uint64_t *a)
{
    if (a[1] != 8) {
        return -EINVAL;
    }
    return guest_copy_to(a[0], &t->sigpending, sizeof(t->sigpending));
}

#define GUEST_SS_AUTODISARM INT32_MIN
#define GUEST_MINSIGSTKSZ 2048u

/* stack_t of the 64-bit generic ABI. */
typedef struct GuestStack {
    uint64_t sp;
    int32_t flags;
    int32_t pad;
    uint64_t size;
} GuestStack;

static int64_t sys_sigaltstack(LinuxTask *t, const uint64_t *a)
{
    GuestStack ns, os = { t->altstack_sp, t->altstack_flags, 0, t->altstack_size };
    if (a[0] && guest_copy_from(&ns, a[0], sizeof(ns)) < 0) {
        return -EFAULT;
    }
    if (a[1] && guest_copy_to(a[1], &os, sizeof(os)) < 0) {
        return -EFAULT;
    }
    if (a[0]) {
        int mode = ns.flags & ~GUEST_SS_AUTODISARM;
        if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK) {
            return -EINVAL;
        }
        if (mode == SS_DISABLE) {
            ns.sp = ns.size = 0;
        } else if (ns.size < GUEST_MINSIGSTKSZ) {
            return -ENOMEM;
        }
        t->altstack_sp = ns.sp;
        t->altstack_size = ns.size;
        t->altstack_flags = mode == SS_DISABLE ? SS_DISABLE : ns.flags & GUEST_SS_AUTODISARM;
    }
    return 0;
}

static int64_t sys_kill(LinuxTask *t, const uint64_t *a)
{
    pid_t pid = (pid_t)a[0];
    int sig = (int)a[1];
    if (sig < 0 || sig > GUEST_NSIG) {
        return -EINVAL;
    }
    if (pid == getpid() && sig) {
        signal_raise(t, sig, 0, 0);
        return 0;
    }
    return syscall_host_ret(kill(pid, sig));
}

static int64_t sys_tgkill(LinuxTask *t, const uint64_t *a)
{
    int sig = (int)a[2];
    if (sig < 0 || sig > GUEST_NSIG) {
        return -EINVAL;
    }
    if ((pid_t)a[0] == getpid() && (int)a[1] == t->tid && sig) {
        signal_raise(t, sig, 0, 0);
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
    if ((int)a[0] == t->tid && sig) {
        signal_raise(t, sig, 0, 0);
        return 0;
    }
    return syscall_host_ret(syscall(SYS_tkill, (pid_t)a[0], sig));
}

const SyscallDef syscalls_signal[] = {
    { NR_rt_sigaction, "rt_sigaction", sys_rt_sigaction, "dppd", 'd' },
    { NR_rt_sigprocmask, "rt_sigprocmask", sys_rt_sigprocmask, "dppd", 'd' },
    { NR_rt_sigpending, "rt_sigpending", sys_rt_sigpending, "pd", 'd' },
    { NR_sigaltstack, "sigaltstack", sys_sigaltstack, "pp", 'd' },
    { NR_kill, "kill", sys_kill, "dd", 'd' },
    { NR_tgkill, "tgkill", sys_tgkill, "ddd", 'd' },
    { NR_tkill, "tkill", sys_tkill, "dd", 'd' },
    { 0, NULL, NULL, NULL, 0 },
};
