/*
 * signal-host.c — host signals caught on behalf of the guest: a guest
 * handler for signal N means a host handler for N that records the host
 * siginfo and asks the CPU to leave translated code (exit_request); SIG_IGN
 * and SIG_DFL are simply set on the host too.
 *
 * The one thing to know: the host handler runs at any moment (in
 * translated code, in a helper, in a blocking host syscall, which then
 * fails with EINTR), so it only writes a bitmask, a siginfo slot and
 * exit_request (and steers a safe_syscall() about to block to its EINTR
 * exit); signal_host_collect() takes them with host signals blocked.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <ucontext.h>

#include "linux-user/guest-signal.h"
#include "linux-user/safe-syscall.h"

/* Host signals the guest cannot have: mimic's fault handlers, SIGKILL and
 * SIGSTOP, and the two real-time signals the host glibc keeps for itself. */
#define SIGS_HOST_OWNED (SIG_BIT(SIGSEGV) | SIG_BIT(SIGBUS) | SIGS_UNBLOCKABLE | SIG_BIT(32) | \
                         SIG_BIT(33))

static _Atomic uint64_t host_pending;
static _Atomic uint64_t host_caught;
static siginfo_t host_info[GUEST_NSIG + 1];
static LinuxTask *_Atomic host_task;

static void signal_host_handler(int sig, siginfo_t *info, void *uc)
{
    if (sig < 1 || sig > GUEST_NSIG) {
        return;
    }
    host_info[sig] = *info;
    atomic_fetch_or(&host_pending, SIG_BIT(sig));
    atomic_fetch_add(&host_caught, 1);
    LinuxTask *t = atomic_load(&host_task);
    if (t) {
        t->cpu->exit_request = 1;
    }
    /* Checked the flag but not yet in the kernel: make it fail with EINTR
     * (safe-syscall-x86_64.S). */
    greg_t *rip = &((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
    if (*rip >= (greg_t)(uintptr_t)safe_syscall_start && *rip < (greg_t)(uintptr_t)safe_syscall_end) {
        *rip = (greg_t)(uintptr_t)safe_syscall_eintr;
    }
}

uint64_t signal_host_caught(void)
{
    return atomic_load(&host_caught);
}

void signal_host_set_task(LinuxTask *t)
{
    atomic_store(&host_task, t);
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
    sigset_t none, old;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, &old);
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
}

void signal_host_exec_mask(const LinuxTask *t, sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    for (int sig = 1; sig < NSIG && sig <= GUEST_NSIG; sig++) {
        if ((t->sigmask & SIG_BIT(sig)) && !(SIGS_HOST_OWNED & SIG_BIT(sig))) {
            sigaddset(&set, sig);
        }
    }
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
    if (!atomic_load_explicit(&host_pending, memory_order_relaxed)) {
        return;
    }
    sigset_t old;
    signal_host_block_all(&old);
    uint64_t sigs = atomic_exchange(&host_pending, 0);
    for (int sig = 1; sigs && sig <= GUEST_NSIG; sig++) {
        if (!(sigs & SIG_BIT(sig))) {
            continue;
        }
        sigs &= ~SIG_BIT(sig);
        GuestSiginfo info;
        _Static_assert(sizeof(info) == sizeof(siginfo_t), "siginfo layouts differ");
        memcpy(&info, &host_info[sig], sizeof(info));
        info.signo = sig;
        signal_queue(t, &info);
    }
    signal_host_restore(&old);
}
