/* sig-timerfd.c — POSIX timers and signalfd: a periodic timer_create
 * timer whose SIGRTMIN+1 is read from a signalfd (the signal is blocked),
 * a one-shot timer with SIGEV_THREAD_ID aimed at a handler, timer_gettime
 * and timer_delete, and a signal sent with kill read from the signalfd. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void on_usr2(int sig, siginfo_t *si, void *uc)
{
    handled = si->si_code == SI_TIMER ? 1 : 2;
}

int main(void)
{
    int sig = SIGRTMIN + 1;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int fd = signalfd(-1, &set, SFD_CLOEXEC);
    if (fd < 0) {
        perror("signalfd");
        return 1;
    }

    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = sig;
    ev.sigev_value.sival_int = 1234;
    timer_t timer;
    if (timer_create(CLOCK_MONOTONIC, &ev, &timer) != 0) {
        perror("timer_create");
        return 1;
    }
    struct itimerspec its = { { 0, 5 * 1000 * 1000 }, { 0, 5 * 1000 * 1000 } };
    timer_settime(timer, 0, &its, NULL);
    int ticks = 0, right_value = 0;
    while (ticks < 3) {
        struct signalfd_siginfo si;
        if (read(fd, &si, sizeof(si)) != sizeof(si)) {
            perror("read");
            return 1;
        }
        ticks++;
        right_value += si.ssi_signo == (uint32_t)sig && si.ssi_code == SI_TIMER &&
                       si.ssi_int == 1234;
    }
    struct itimerspec cur;
    timer_gettime(timer, &cur);
    printf("periodic timer: %d ticks read from the signalfd, %d with the right info; "
           "interval %ld ns\n", ticks, right_value, cur.it_interval.tv_nsec);
    timer_delete(timer);

    kill(getpid(), SIGUSR1);
    struct signalfd_siginfo si;
    read(fd, &si, sizeof(si));
    printf("kill read from the signalfd: %s, from our pid: %d\n",
           si.ssi_signo == SIGUSR1 ? "SIGUSR1" : "other", si.ssi_pid == (uint32_t)getpid());

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_usr2;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR2, &sa, NULL);
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SIGUSR2;
    ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
    timer_create(CLOCK_REALTIME, &ev, &timer);
    struct itimerspec once = { { 0, 0 }, { 0, 2 * 1000 * 1000 } };
    timer_settime(timer, 0, &once, NULL);
    while (!handled) {
        pause();
    }
    printf("one-shot thread timer ran the handler: %s\n", handled == 1 ? "SI_TIMER" : "other");
    timer_delete(timer);
    return 0;
}
