/*
 * sig-alarm.c — asynchronous signals: alarm() and setitimer() interrupting
 * a busy loop that never makes a system call (the signal must still be
 * delivered, promptly; also one whose head is inside its block), a blocking read() interrupted by a handler with and
 * without SA_RESTART, and pause() returning EINTR.
 *
 * The one thing to know: the timers are short (tens of milliseconds) except
 * for alarm(1); the loops only print counts as "nonzero", never values.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile int fired;
static int pipe_fd[2];

static void on_alarm(int sig)
{
    (void)sig;
    fired++;
}

static void on_alarm_write(int sig)
{
    (void)sig;
    fired++;
    if (write(pipe_fd[1], "x", 1) != 1) {
        fired = -100;
    }
}

static void arm_ms(int ms)
{
    struct itimerval it;
    memset(&it, 0, sizeof(it));
    it.it_value.tv_sec = ms / 1000;
    it.it_value.tv_usec = (ms % 1000) * 1000;
    setitimer(ITIMER_REAL, &it, NULL);
}

static void set_handler(void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigaction(SIGALRM, &sa, NULL);
}

int main(void)
{
    set_handler(on_alarm, 0);
    alarm(1);
    unsigned long spins = 0;
    while (!fired) {
        spins++;
    }
    printf("alarm: fired %d, loop ran: %d\n", fired, spins > 0);

    /* A periodic timer: three expiries interrupt the same loop. */
    fired = 0;
    struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    while (fired < 3) {
        spins++;
    }
    memset(&it, 0, sizeof(it));
    setitimer(ITIMER_REAL, &it, NULL);
    printf("itimer: fired at least 3 times: %d\n", fired >= 3);

    /* A busy loop whose head is not the first instruction of its block:
     * the translator keeps it inside the block (a brloop), and its back
     * edge must still let the signal in. */
    fired = 0;
    arm_ms(20);
    __asm__ volatile("   addi %0, %0, 1\n"
                     "1: lw t0, 0(%1)\n"
                     "   addi %0, %0, 1\n"
                     "   beqz t0, 1b\n"
                     : "+r"(spins)
                     : "r"(&fired)
                     : "t0", "memory");
    printf("loop inside a block: left after the signal: %d\n", fired == 1);

    if (pipe(pipe_fd) < 0) {
        return 1;
    }
    char c = 0;
    fired = 0;
    set_handler(on_alarm_write, SA_RESTART);
    arm_ms(50);
    ssize_t n = read(pipe_fd[0], &c, 1);
    printf("SA_RESTART read: %zd '%c', handler ran %d\n", n, c, fired);

    fired = 0;
    set_handler(on_alarm_write, 0);
    arm_ms(50);
    errno = 0;
    n = read(pipe_fd[0], &c, 1);
    printf("no SA_RESTART read: %zd errno %s, handler ran %d\n", n,
           errno == EINTR ? "EINTR" : strerror(errno), fired);
    n = read(pipe_fd[0], &c, 1);
    printf("the byte is still there: %zd '%c'\n", n, c);

    fired = 0;
    set_handler(on_alarm, SA_RESTART);
    arm_ms(50);
    errno = 0;
    int r = pause();
    printf("pause: %d errno %s, handler ran %d\n", r, errno == EINTR ? "EINTR" : "?", fired);
    return 0;
}
