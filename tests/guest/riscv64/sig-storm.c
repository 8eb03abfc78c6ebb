/*
 * sig-storm.c — a 5 kHz interval timer whose SA_RESTART handler feeds a
 * pipe on every 50th signal while the program blocks reading it: every
 * read must be restarted transparently and eventually succeed, and
 * nanosleep must keep working; nothing may hang because a signal landed
 * just before a blocking host call (safe-syscall-x86_64.S).
 *
 * The one thing to know: only counts that do not depend on timing are
 * printed.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile int signals;
static int fds[2];

static void on_alarm(int sig)
{
    (void)sig;
    if (++signals % 50 == 0 && write(fds[1], "x", 1) != 1) {
        _exit(3);
    }
}

int main(void)
{
    if (pipe(fds) < 0) {
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = { { 0, 200 }, { 0, 200 } };
    setitimer(ITIMER_REAL, &it, NULL);
    char c;
    int got = 0;
    for (int i = 0; i < 20; i++) {
        got += read(fds[0], &c, 1) == 1;
    }
    struct timespec ts = { 0, 1000000 };
    for (int i = 0; i < 20; i++) {
        nanosleep(&ts, NULL);
    }
    memset(&it, 0, sizeof(it));
    setitimer(ITIMER_REAL, &it, NULL);
    printf("reads completed: %d, at least 1000 signals: %d\n", got, signals >= 1000);
    return 0;
}
