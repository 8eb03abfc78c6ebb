/*
 * signal.c — the guest's pending signals and their delivery: the
 * disposition table, forced (synchronous) faults, the pending set, default
 * actions (ignore, stop, terminate, terminate with core), the restart of
 * system calls a host signal interrupted, and the alternate stack state.
 *
 * The one thing to know: signal_deliver() runs at a delivery point (after
 * any exit from translated code), so the guest registers are exact; a
 * guest handler is "run" by building its frame and pointing the pc at it.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "linux-user/guest-mem.h"
#include "linux-user/guest-signal.h"
#include "linux-user/strace.h"
#include "linux-user/syscall-nr.h"
#include "mimic/log.h"

#define SIGS_CORE (SIG_BIT(SIGQUIT) | SIG_BIT(SIGILL) | SIG_BIT(SIGTRAP) | SIG_BIT(SIGABRT) | \
                   SIG_BIT(SIGBUS) | SIG_BIT(SIGFPE) | SIG_BIT(SIGSEGV) | SIG_BIT(SIGXCPU) | \
                   SIG_BIT(SIGXFSZ) | SIG_BIT(SIGSYS))
#define SIGS_IGNORED (SIG_BIT(SIGCHLD) | SIG_BIT(SIGCONT) | SIG_BIT(SIGURG) | SIG_BIT(SIGWINCH))
#define SIGS_STOP (SIG_BIT(SIGSTOP) | SIG_BIT(SIGTSTP) | SIG_BIT(SIGTTIN) | SIG_BIT(SIGTTOU))

void signal_die(int sig)
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

/* The default action of sig (a process stop or death). */
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

void signal_set_action(LinuxTask *t, int sig, const GuestSigaction *act)
{
    GuestSigaction a = *act;
    a.mask &= ~SIGS_UNBLOCKABLE;
    linux_process.sigact[sig] = a;
    signal_host_mirror(sig, a.handler);
    bool ignored = a.handler == GUEST_SIG_IGN ||
                   (a.handler == GUEST_SIG_DFL && (SIGS_IGNORED & SIG_BIT(sig)));
    if (ignored) {
        GuestSiginfo drop;
        while (signal_take(t, sig, &drop)) {
        }
    }
}

int signal_queue(LinuxTask *t, const GuestSiginfo *info)
{
    int sig = info->signo;
    if (sig < 1 || sig > GUEST_NSIG) {
        return -EINVAL;
    }
    if (log_enabled(LOG_INT)) {
        log_printf("signal %d queued (code %d)\n", sig, info->code);
    }
    if (linux_process.sigact[sig].handler == GUEST_SIG_IGN) {
        return 0;
    }
    if (!(t->sigpending & SIG_BIT(sig))) {
        t->siginfo[sig] = *info;
        t->sigpending |= SIG_BIT(sig);
    } else if (sig >= GUEST_SIGRTMIN) {
        if (t->rtqueue_len == GUEST_RTQUEUE_MAX) {
            return -EAGAIN;
        }
        t->rtqueue[t->rtqueue_len++] = *info;
    }
    t->cpu->exit_request = 1;
    return 0;
}

bool signal_take(LinuxTask *t, int sig, GuestSiginfo *info)
{
    if (!(t->sigpending & SIG_BIT(sig))) {
        return false;
    }
    *info = t->siginfo[sig];
    t->sigpending &= ~SIG_BIT(sig);
    for (int i = 0; i < t->rtqueue_len; i++) {
        if (t->rtqueue[i].signo == sig) {
            t->siginfo[sig] = t->rtqueue[i];
            t->sigpending |= SIG_BIT(sig);
            memmove(&t->rtqueue[i], &t->rtqueue[i + 1],
                    (size_t)(t->rtqueue_len - i - 1) * sizeof(t->rtqueue[0]));
            t->rtqueue_len--;
            break;
        }
    }
    return true;
}

static bool signal_restartable(unsigned nr)
{
    switch (nr) {
    case NR_nanosleep:
    case NR_clock_nanosleep:
    case NR_ppoll:
    case NR_pselect6:
    case NR_epoll_pwait:
    case NR_rt_sigsuspend:
    case NR_rt_sigtimedwait:
    case NR_futex:
        return false;
    default:
        return true;
    }
}

/* Runs the guest handler of sig: frame, then mask and SA_RESETHAND. */
static void signal_run_handler(LinuxTask *t, int sig, const GuestSiginfo *info)
{
    GuestSigaction sa = linux_process.sigact[sig];
    if (t->restart_nr) {
        if ((sa.flags & GUEST_SA_RESTART) && signal_restartable(t->restart_nr)) {
            signal_syscall_rollback(t);
        }
        t->restart_nr = 0;
    }
    uint64_t saved = t->sigmask_saved ? t->saved_sigmask : t->sigmask;
    t->sigmask_saved = false;
    if (log_enabled(LOG_INT)) {
        log_printf("signal %d: running the guest handler 0x%llx\n", sig,
                   (unsigned long long)sa.handler);
    }
    if (log_enabled(LOG_STRACE)) {
        strace_print_signal(sig, info);
    }
    if (!signal_frame_setup(t, sig, &sa, info, saved)) {
        /* No room for the frame: the kernel forces SIGSEGV, which dies
         * unless handled, and handling it needs the same stack. */
        signal_die(SIGSEGV);
    }
    t->sigmask = saved | sa.mask;
    if (!(sa.flags & GUEST_SA_NODEFER)) {
        t->sigmask |= SIG_BIT(sig);
    }
    t->sigmask &= ~SIGS_UNBLOCKABLE;
    if (sa.flags & GUEST_SA_RESETHAND) {
        GuestSigaction dfl = { GUEST_SIG_DFL, 0, 0 };
        signal_set_action(t, sig, &dfl);
    }
}

void signal_force(LinuxTask *t, int sig, int code, uint64_t addr)
{
    if (log_enabled(LOG_INT)) {
        log_printf("signal %d (code %d, addr 0x%llx) at pc 0x%llx\n", sig, code,
                   (unsigned long long)addr, (unsigned long long)t->cpu->pc);
    }
    uint64_t handler = linux_process.sigact[sig].handler;
    if (handler == GUEST_SIG_DFL || handler == GUEST_SIG_IGN || (t->sigmask & SIG_BIT(sig))) {
        signal_die(sig);
    }
    GuestSiginfo info;
    memset(&info, 0, sizeof(info));
    info.signo = sig;
    info.code = code;
    info.u.addr = addr;
    signal_run_handler(t, sig, &info);
}

bool signal_deliverable(LinuxTask *t)
{
    signal_host_collect(t);
    return (t->sigpending & ~t->sigmask) != 0;
}

void signal_deliver(LinuxTask *t)
{
    signal_host_collect(t);
    for (int sig = 1; sig <= GUEST_NSIG; sig++) {
        GuestSiginfo info;
        if ((t->sigmask & SIG_BIT(sig)) || !signal_take(t, sig, &info)) {
            continue;
        }
        uint64_t handler = linux_process.sigact[sig].handler;
        if (handler == GUEST_SIG_IGN) {
            continue;
        }
        if (handler == GUEST_SIG_DFL) {
            signal_default_action(sig);
            continue;
        }
        signal_run_handler(t, sig, &info);
        sig--; /* a queued real-time instance may still be deliverable */
    }
    if (t->sigmask_saved) {
        t->sigmask = t->saved_sigmask;
        t->sigmask_saved = false;
    }
    if (t->restart_nr) {
        /* Interrupted, but no handler ran: the kernel restarts silently. */
        signal_syscall_rollback(t);
        t->restart_nr = 0;
    }
}

int signal_altstack_state(const LinuxTask *t, uint64_t sp)
{
    if ((t->altstack_flags & GUEST_SS_DISABLE) || t->altstack_size == 0) {
        return GUEST_SS_DISABLE;
    }
    return sp - t->altstack_sp < t->altstack_size ? GUEST_SS_ONSTACK : 0;
}

int64_t signal_altstack_set(LinuxTask *t, const GuestStack *ns, uint64_t sp)
{
    int mode = ns->flags & ~GUEST_SS_AUTODISARM;
    if (mode != 0 && mode != GUEST_SS_DISABLE && mode != GUEST_SS_ONSTACK) {
        return -EINVAL;
    }
    if (signal_altstack_state(t, sp) == GUEST_SS_ONSTACK) {
        return -EPERM;
    }
    uint64_t ss_sp = ns->sp, size = ns->size;
    if (mode == GUEST_SS_DISABLE) {
        ss_sp = size = 0;
    } else if (size < GUEST_MINSIGSTKSZ) {
        return -ENOMEM;
    }
    t->altstack_sp = ss_sp;
    t->altstack_size = size;
    t->altstack_flags = mode == GUEST_SS_DISABLE ? GUEST_SS_DISABLE
                                                 : ns->flags & GUEST_SS_AUTODISARM;
    return 0;
}
