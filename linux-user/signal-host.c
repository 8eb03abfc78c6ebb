/*
 * signal-host.c — host signals caught on behalf of the guest: a guest
 * handler for signal N means a host handler for N that records the host
 * siginfo for the thread it arrived on and asks that thread's CPU to leave
 * translated code (exit_request); SIG_IGN and SIG_DFL are simply set on
 * the host too.
 *
 * The one thing to know: each host thread's signal mask mirrors its guest
 * thread's mask (except the signals mimic owns), so the host kernel keeps
 * blocked signals pending and routes process-wide signals to a thread that
 * does not block them, exactly as it would for the guest. The handler runs
 * at any moment (in translated code, in a helper, in a blocking host
 * syscall, which then fails with EINTR), so it only appends to the
 * thread's queue, counts, sets exit_request (and steers a safe_syscall()
 * about to block to its EINTR exit); signal_host_collect() takes the queue
 * with host signals blocked.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>

#include "linux-user/guest-signal.h"
#include "linux-user/safe-syscall.h"

/* Host signals the guest cannot have: mimic's fault handlers, SIGKILL and
 * SIGSTOP, and the two real-time signals the host glibc keeps for itself. */
#define SIGS_HOST_OWNED (SIG_BIT(SIGSEGV) | SIG_BIT(SIGBUS) | SIGS_UNBLOCKABLE | SIG_BIT(32) | \
                         SIG_BIT(33))

static __thread LinuxTask *host_task;

bool signal_host_owned(int sig)
{
    return sig >= 1 && sig <= GUEST_NSIG && (SIGS_HOST_OWNED & SIG_BIT(sig));
}

static void signal_host_handler(int sig, siginfo_t *info, void *uc)
{
    LinuxTask *t = host_task;
    if (sig < 1 || sig > GUEST_NSIG || !t) {
        return;
    }
    int n = t->host_queue_len;
    if (n < HOST_SIGQUEUE_MAX) {
        _Static_assert(sizeof(GuestSiginfo) == sizeof(siginfo_t), "siginfo layouts differ");
        memcpy(&t->host_queue[n], info, sizeof(GuestSiginfo));
        t->host_queue[n].signo = sig;
        t->host_queue_len = n + 1;
    }
    t->host_caught++;
    t->cpu->exit_request = 1;
    /* Checked the flag but not yet in the kernel: make it fail with EINTR
     * (safe-syscall-x86_64.S). */
    greg_t *rip = &((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
    if (*rip >= (greg_t)(uintptr_t)safe_syscall_start && *rip < (greg_t)(uintptr_t)safe_syscall_end) {
        *rip = (greg_t)(uintptr_t)safe_syscall_eintr;
    }
}

uint64_t signal_host_caught(void)
{
    return host_task ? host_task->host_caught : 0;
}

void signal_host_set_task(LinuxTask *t)
{
    host_task = t;
}

void signal_host_set_of(uint64_t guest_set, sigset_t *set)
{
    sigemptyset(set);
    for (int sig = 1; sig < NSIG && sig <= GUEST_NSIG; sig++) {
        if ((guest_set & SIG_BIT(sig)) && !(SIGS_HOST_OWNED & SIG_BIT(sig))) {
            sigaddset(set, sig);
        }
    }
}

uint64_t signal_host_guest_set(const sigset_t *set)
{
    uint64_t g = 0;
    for (int sig = 1; sig < NSIG && sig <= GUEST_NSIG; sig++) {
        if (sigismember(set, sig) == 1 && !(SIGS_HOST_OWNED & SIG_BIT(sig))) {
            g |= SIG_BIT(sig);
        }
    }
    return g;
}

void signal_host_apply_mask(LinuxTask *t)
{
    if (t->host_mask_applied && t->host_mask == t->sigmask) {
        return;
    }
    sigset_t set;
    signal_host_set_of(t->sigmask, &set);
    pthread_sigmask(SIG_SETMASK, &set, NULL);
    t->host_mask = t->sigmask;
    t->host_mask_applied = true;
}

void signal_host_mirror(int sig, uint64_t handler)
{
    if (sig >= NSIG || (SIGS_HOST_OWNED & SIG_BIT(sig))) {
        return;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    if (handler == GUEST_SIG_IGN) {
        sa.sa_handler = SIG_IGN;
    } else if (handler == GUEST_SIG_DFL) {
        sa.sa_handler = SIG_DFL;
    } else {
        /* No SA_RESTART: a blocking host syscall must come back with EINTR
         * so that the guest's handler can run (the restart, if the guest
         * asked for one, is done by re-executing its ecall). */
        sa.sa_sigaction = signal_host_handler;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigfillset(&sa.sa_mask);
    }
    sigaction(sig, &sa, NULL);
}

void signal_host_inherit(LinuxTask *t)
{
    sigset_t old;
    pthread_sigmask(SIG_SETMASK, NULL, &old);
    for (int sig = 1; sig < NSIG && sig <= GUEST_NSIG; sig++) {
        struct sigaction sa;
        if (sigismember(&old, sig) == 1) {
            t->sigmask |= SIG_BIT(sig);
        }
        if (!(SIGS_HOST_OWNED & SIG_BIT(sig)) && sigaction(sig, NULL, &sa) == 0 &&
            sa.sa_handler == SIG_IGN) {
            linux_process.sigact[sig].handler = GUEST_SIG_IGN;
        }
    }
    t->sigmask &= ~SIGS_UNBLOCKABLE;
    signal_host_apply_mask(t);
}

void signal_host_exec_mask(const LinuxTask *t, sigset_t *old)
{
    sigset_t set;
    signal_host_set_of(t->sigmask, &set);
    pthread_sigmask(SIG_SETMASK, &set, old);
}

void signal_host_block_all(sigset_t *old)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, old);
}

void signal_host_restore(const sigset_t *old)
{
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

void signal_host_collect(LinuxTask *t)
{
    if (!t->host_queue_len) {
        return;
    }
    sigset_t old;
    signal_host_block_all(&old);
    for (int i = 0; i < t->host_queue_len; i++) {
        signal_queue(t, &t->host_queue[i]);
    }
    t->host_queue_len = 0;
    signal_host_restore(&old);
}
