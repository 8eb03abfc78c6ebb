/*
 * sig-rt.c — real-time signals and waiting for signals: sigqueue() to
 * itself (SI_QUEUE, si_value), several instances of one real-time signal
 * queued while blocked and delivered in order, lower numbers first;
 * sigwaitinfo() taking a blocked pending signal without a handler running;
 * sigtimedwait() timing out with EAGAIN.
 *
 * The one thing to know: the handler blocks every signal (sa_mask full),
 * so each frame runs to completion before the next signal is delivered and
 * the order of the output is fixed. sig-rt.expected is hand-corrected:
 * qemu-riscv64 7.2 runs the SIGRTMIN+1 handler first; Linux (this program
 * built for x86-64 and run natively) and mimic deliver the lowest pending
 * number first, SIGRTMIN's three instances in the order they were queued.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void on_rt(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    printf("handler: SIGRTMIN+%d value %d code %s\n", sig - SIGRTMIN, si->si_value.sival_int,
           si->si_code == SI_QUEUE ? "SI_QUEUE" : "other");
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_rt;
    sa.sa_flags = SA_SIGINFO;
    sigfillset(&sa.sa_mask);
    sigaction(SIGRTMIN, &sa, NULL);
    sigaction(SIGRTMIN + 1, &sa, NULL);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    sigaddset(&set, SIGRTMIN + 1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    union sigval v;
    v.sival_int = 7;
    sigqueue(getpid(), SIGRTMIN + 1, v);
    for (int i = 1; i <= 3; i++) {
        v.sival_int = i;
        sigqueue(getpid(), SIGRTMIN, v);
    }
    printf("queued 4, unblocking\n");
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("after unblock\n");

    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR1);
    siginfo_t si;
    int sig = sigwaitinfo(&set, &si);
    printf("sigwaitinfo: %s, si_code %d, si_pid is self %d\n", sig == SIGUSR1 ? "SIGUSR1" : "?",
           si.si_code, si.si_pid == getpid());

    struct timespec ts = { 0, 50 * 1000 * 1000 };
    errno = 0;
    sig = sigtimedwait(&set, &si, &ts);
    printf("sigtimedwait with nothing pending: %d %s\n", sig, errno == EAGAIN ? "EAGAIN" : "?");
    return 0;
}
