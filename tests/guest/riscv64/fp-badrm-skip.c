/*
 * fp-badrm-skip.c — with frm holding the reserved value 5, a dynamic-mode
 * FP instruction reached by a short forward branch that jumped over an
 * earlier dynamic-mode one must trap at itself: SIGILL whose pc is that
 * instruction, with the registers the program set before it.
 *
 * The one thing to know: the translator checks frm once per stretch of
 * straight-line code (the first dynamic-mode op may fault, later ones
 * assume it valid); a branch inside the block that skips that first op
 * must not let the op after the join skip the check.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

static uintptr_t expected_pc;

static void on_sigill(int sig, siginfo_t *si, void *uc_void)
{
    ucontext_t *uc = uc_void;
    uintptr_t pc = uc->uc_mcontext.__gregs[0];
    long s2 = (long)uc->uc_mcontext.__gregs[18];
    char buf[96];
    int n = snprintf(buf, sizeof(buf), "SIGILL at the op after the join: %d, s2 = %ld\n",
                     pc == expected_pc, s2);
    if (write(1, buf, (size_t)n) != n) {
        _exit(2);
    }
    _exit(0);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_sigill;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGILL, &sa, NULL);
    volatile double a = 1.0, b = 2.0;
    volatile long one = 1;
    double r;
    uintptr_t at;
    __asm__ volatile("la %1, 2f\n"
                     "   sd %1, 0(%5)\n"
                     "   fsrmi 5\n"
                     "   li s2, 42\n"
                     "   bnez %4, 1f\n"
                     "   fadd.d %0, %2, %3, dyn\n"
                     "1: addi s2, s2, 1\n"
                     "2: fmul.d %0, %2, %3, dyn\n"
                     "   fsrmi 0\n"
                     : "=&f"(r), "=&r"(at)
                     : "f"(a), "f"(b), "r"(one), "r"(&expected_pc)
                     : "s2", "memory");
    printf("no trap: %g\n", r);
    return 1;
}
