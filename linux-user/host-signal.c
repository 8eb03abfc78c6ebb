/*
 * host-signal.c — the host SIGSEGV/SIGBUS handlers that turn faults in
 * translated code (or in helpers touching guest memory) into guest
 * exceptions, on an alternate signal stack.
 *
 * The one thing to know: the handler only forwards to
 * exec_handle_host_fault() for the current thread's CPU, which longjmps
 * back into the CPU loop; if that returns, the fault is a mimic bug, so the
 * default action is restored and the fault re-raised (a real crash).
 */
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "linux-user/guest-mem.h"
#include "linux-user/host-signal.h"

static __thread CPUState *host_signal_cpu;
static __thread int host_fault_signo;
static __thread void *host_altstack;
#define HOST_ALTSTACK_SIZE (64 * 1024)

/* Host pc of the faulting instruction (x86-64 hosts). */
static uintptr_t host_signal_pc(const void *uc)
{
    const ucontext_t *ctx = uc;
    return (uintptr_t)ctx->uc_mcontext.gregs[REG_RIP];
}

static void host_signal_fault(int sig, siginfo_t *info, void *uc)
{
    uintptr_t host_addr = (uintptr_t)info->si_addr;
    if (sig == SIGSEGV && info->si_code == SEGV_ACCERR && host_addr >= guest_base) {
        uint64_t addr = host_addr - guest_base;
        if (code_pages_unprotect(addr & GUEST_PAGE_MASK, (addr & GUEST_PAGE_MASK) + GUEST_PAGE_SIZE)) {
            /* A store to a page translated code came from: retry it, and
             * leave the running block at its next check (a loop that
             * rewrote its own body runs the new code from its next pass). */
            if (host_signal_cpu) {
                __atomic_store_n(&host_signal_cpu->exit_request, 1, __ATOMIC_RELAXED);
            }
            return;
        }
    }
    host_fault_signo = sig;
    exec_handle_host_fault(host_signal_cpu, host_signal_pc(uc), (uint64_t)(uintptr_t)info->si_addr,
                           info->si_code, uc);
    /* Not a guest fault: a mimic bug (or a SIGSEGV sent from outside). Die
     * of it for real, with the default action. */
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Each thread's alternate stack is mapped once and lives as long as the
 * thread (host_signal_exit_thread unmaps it). */
int host_signal_init_thread(CPUState *cpu)
{
    stack_t ss;
    ss.ss_size = HOST_ALTSTACK_SIZE;
    ss.ss_sp = mmap(NULL, ss.ss_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ss.ss_flags = 0;
    if (ss.ss_sp == MAP_FAILED) {
        return -1;
    }
    if (sigaltstack(&ss, NULL) < 0) {
        munmap(ss.ss_sp, ss.ss_size);
        return -1;
    }
    host_signal_cpu = cpu;
    host_altstack = ss.ss_sp;
    return 0;
}

void host_signal_exit_thread(void)
{
    stack_t ss = { .ss_flags = SS_DISABLE };
    if (host_altstack && sigaltstack(&ss, NULL) == 0) {
        munmap(host_altstack, HOST_ALTSTACK_SIZE);
    }
    host_altstack = NULL;
    host_signal_cpu = NULL;
}

int host_signal_take_fault(void)
{
    int sig = host_fault_signo;
    host_fault_signo = 0;
    return sig;
}

int host_signal_init(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = host_signal_fault;
    /* SA_NODEFER: the handler leaves by siglongjmp without restoring the
     * mask, so the fault signal must not stay blocked. */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL) < 0 || sigaction(SIGBUS, &sa, NULL) < 0) {
        return -1;
    }
    return 0;
}
