/*
 * sig-segv.c — a SIGSEGV handler (SA_SIGINFO) that leaves by siglongjmp:
 * reads of unmapped memory (SEGV_MAPERR), writes to a read-only page
 * (SEGV_ACCERR) and a jump to unmapped code, each with the right si_addr,
 * and the signal mask restored by siglongjmp.
 *
 * The one thing to know: addresses are printed relative to the pages the
 * program mapped itself, so the output does not depend on the layout.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile uintptr_t fault_addr;
static volatile int fault_code, fault_count;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    fault_addr = (uintptr_t)si->si_addr;
    fault_code = si->si_code;
    fault_count++;
    siglongjmp(env, sig);
}

static void report(const char *what, uintptr_t base)
{
    printf("%s: caught, si_code=%s, si_addr=base+%ld\n", what,
           fault_code == SEGV_MAPERR ? "SEGV_MAPERR" : fault_code == SEGV_ACCERR ? "SEGV_ACCERR" : "?",
           (long)(fault_addr - base));
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);

    long pg = sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(p + pg, pg);                /* second page: unmapped */
    uintptr_t base = (uintptr_t)p;

    if (sigsetjmp(env, 1) == 0) {
        volatile char c = p[pg + 123];
        (void)c;
        printf("read did not fault\n");
    } else {
        report("read unmapped", base);
    }

    mprotect(p, pg, PROT_READ);
    if (sigsetjmp(env, 1) == 0) {
        ((volatile char *)p)[42] = 1;
        printf("write did not fault\n");
    } else {
        report("write read-only", base);
    }

    if (sigsetjmp(env, 1) == 0) {
        void (*volatile fn)(void) = (void (*)(void))(p + pg + 8);
        fn();
        printf("jump did not fault\n");
    } else {
        report("jump unmapped", base);
    }

    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    printf("SIGSEGV blocked after siglongjmp: %d\n", sigismember(&cur, SIGSEGV));
    printf("faults: %d\n", fault_count);

    /* SA_RESETHAND: the next fault is fatal. */
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
    sigaction(SIGSEGV, &sa, NULL);
    if (sigsetjmp(env, 1) == 0) {
        ((volatile char *)p)[1] = 1;
    }
    struct sigaction now;
    sigaction(SIGSEGV, NULL, &now);
    printf("after SA_RESETHAND: %s\n", now.sa_handler == SIG_DFL ? "SIG_DFL" : "handler");
    fflush(stdout);
    ((volatile char *)p)[2] = 1;
    printf("still alive?\n");
    return 0;
}
