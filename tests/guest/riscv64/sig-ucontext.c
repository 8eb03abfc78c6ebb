/*
 * sig-ucontext.c — a handler that changes the interrupted code's registers
 * through the ucontext and returns: the new values must be live after
 * rt_sigreturn (a0 here), while untouched registers (callee-saved s
 * registers, sp, ra, FP registers) come back unchanged.
 *
 * The one thing to know: the instruction after the ebreak reads a0 and
 * the s registers in the same asm statement, so the compiler cannot keep
 * copies elsewhere.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

static volatile unsigned long seen_a0, seen_s2;
static volatile int fp_ok;

static void on_trap(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    (void)sig;
    (void)si;
    seen_a0 = uc->uc_mcontext.__gregs[10];
    seen_s2 = uc->uc_mcontext.__gregs[18];
    fp_ok = uc->uc_mcontext.__fpregs.__d.__f[8] == 0x4045000000000000ull; /* fs0 = 42.0 */
    uc->uc_mcontext.__gregs[10] = 0x1234;          /* a0 */
    uc->uc_mcontext.__gregs[REG_PC] += 4;          /* skip the ebreak */
    /* Clobber the live FP register: sigreturn must restore it. */
    __asm__ volatile("fmv.d.x fs0, zero" ::: "fs0");
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_trap;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGTRAP, &sa, NULL);

    unsigned long a0_after, s2_after, fs0_after;
    unsigned long forty_two = 0x4045000000000000ull;
    __asm__ volatile("fmv.d.x fs0, %3\n"
                     "li a0, 7\n"
                     "li s2, 99\n"
                     ".option push\n.option norvc\nebreak\n.option pop\n"
                     "mv %0, a0\n"
                     "mv %1, s2\n"
                     "fmv.x.d %2, fs0\n"
                     : "=r"(a0_after), "=r"(s2_after), "=r"(fs0_after)
                     : "r"(forty_two)
                     : "a0", "s2", "fs0", "memory");
    printf("handler saw a0=%lu s2=%lu fs0 ok=%d\n", seen_a0, seen_s2, fp_ok);
    printf("after return: a0=0x%lx s2=%lu fs0 restored=%d\n", a0_after, s2_after,
           fs0_after == forty_two);
    return 0;
}
