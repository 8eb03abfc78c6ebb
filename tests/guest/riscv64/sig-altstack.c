/*
 * sig-altstack.c — sigaltstack with SA_ONSTACK: the handler runs on the
 * alternate stack (a local's address lies inside it, sigaltstack reports
 * SS_ONSTACK), the uc_stack saved in the frame describes it, a handler
 * without SA_ONSTACK stays on the normal stack, and a stack overflow
 * (infinite recursion) is caught on the alternate stack.
 *
 * The one thing to know: only yes/no facts are printed, never addresses.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#define ALT_SIZE (64 * 1024)

static char *alt;
static volatile int on_alt, reported_onstack, uc_stack_ok;
static sigjmp_buf env;

static int inside_alt(const void *p)
{
    return (const char *)p >= alt && (const char *)p < alt + ALT_SIZE;
}

static void on_usr1(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    volatile int local = sig;
    (void)si;
    on_alt = inside_alt((const void *)&local);
    stack_t cur;
    sigaltstack(NULL, &cur);
    reported_onstack = (cur.ss_flags & SS_ONSTACK) != 0;
    uc_stack_ok = uc->uc_stack.ss_sp == alt && uc->uc_stack.ss_size == ALT_SIZE;
}

static void on_segv(int sig)
{
    volatile int local = sig;
    on_alt = inside_alt((const void *)&local);
    siglongjmp(env, 1);
}

static int recurse(volatile char *p)
{
    volatile char buf[1024];
    buf[0] = p ? p[0] : 0;
    return recurse(buf) + buf[0];
}

int main(void)
{
    alt = malloc(ALT_SIZE);
    stack_t ss = { .ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = 0 };
    printf("sigaltstack: %d\n", sigaltstack(&ss, NULL));
    stack_t tiny = { .ss_sp = alt, .ss_size = 16, .ss_flags = 0 };
    printf("tiny stack refused: %d\n", sigaltstack(&tiny, NULL) == -1);

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("SA_ONSTACK: on alt stack %d, SS_ONSTACK %d, uc_stack %d\n", on_alt, reported_onstack,
           uc_stack_ok);

    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("no SA_ONSTACK: on alt stack %d, SS_ONSTACK %d\n", on_alt, reported_onstack);

    stack_t cur;
    sigaltstack(NULL, &cur);
    printf("outside handler: SS_ONSTACK %d, SS_DISABLE %d\n", (cur.ss_flags & SS_ONSTACK) != 0,
           (cur.ss_flags & SS_DISABLE) != 0);

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_segv;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    on_alt = 0;
    if (sigsetjmp(env, 1) == 0) {
        recurse(NULL);
    }
    printf("stack overflow caught on alt stack: %d\n", on_alt);
    return 0;
}
