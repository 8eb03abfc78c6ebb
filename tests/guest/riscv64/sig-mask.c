/*
 * sig-mask.c — blocking with sigprocmask: a blocked signal stays pending
 * (sigpending shows it), is delivered exactly once when unblocked, and
 * sigsuspend() waits with a temporary mask and restores the old one.
 *
 * The one thing to know: the handler counts calls; the prints around each
 * step show when delivery happened.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile int hits;

static void on_usr1(int sig)
{
    (void)sig;
    hits++;
}

int main(void)
{
    signal(SIGUSR1, on_usr1);
    sigset_t set, old, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    printf("USR1 blocked before: %d\n", sigismember(&old, SIGUSR1));
    raise(SIGUSR1);
    raise(SIGUSR1);
    sigpending(&pend);
    printf("while blocked: hits=%d pending=%d\n", hits, sigismember(&pend, SIGUSR1));
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("after unblock: hits=%d\n", hits);
    sigpending(&pend);
    printf("pending now: %d\n", sigismember(&pend, SIGUSR1));

    /* sigsuspend: block, send, then wait with an empty mask. */
    sigprocmask(SIG_BLOCK, &set, NULL);
    kill(getpid(), SIGUSR1);
    sigset_t empty;
    sigemptyset(&empty);
    int r = sigsuspend(&empty);
    printf("sigsuspend returned %d, hits=%d\n", r, hits);
    sigprocmask(SIG_BLOCK, NULL, &old);
    printf("USR1 blocked after sigsuspend: %d\n", sigismember(&old, SIGUSR1));
    return 0;
}
