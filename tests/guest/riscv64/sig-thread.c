/* sig-thread.c — signals in a multi-threaded process: sigwait in a
 * dedicated thread for a process-wide signal blocked everywhere (default
 * disposition), pthread_kill to a given thread, a process-wide signal that
 * only one thread leaves unblocked, a thread stopped in a tight loop by a
 * signal, and SIGSEGV caught with siglongjmp inside a thread. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_t worker_id;
static atomic_int handled_in_worker, handled_elsewhere;

static void on_usr2(int sig)
{
    if (pthread_equal(pthread_self(), worker_id)) {
        atomic_fetch_add(&handled_in_worker, 1);
    } else {
        atomic_fetch_add(&handled_elsewhere, 1);
    }
}

static void *sigwaiter(void *arg)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    int sig = 0;
    sigwait(&set, &sig);
    printf("sigwait thread got signal %s\n", sig == SIGUSR1 ? "SIGUSR1" : "other");
    return NULL;
}

static atomic_int ready, stop_loop;

static void on_term(int sig)
{
    stop_loop = 1;
}

static void *spinner(void *arg)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    ready = 1;
    volatile unsigned long n = 0;
    while (!stop_loop) {
        n++;
    }
    return (void *)(long)(n > 0);
}

static __thread sigjmp_buf segv_jmp;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    siglongjmp(segv_jmp, 1);
}

static void *faulter(void *arg)
{
    volatile int *bad = (int *)(long)arg;
    if (sigsetjmp(segv_jmp, 1) == 0) {
        *bad = 1;
        return (void *)0;
    }
    return (void *)1;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    pthread_t waiter;
    pthread_create(&waiter, NULL, sigwaiter, NULL);
    usleep(20000);
    kill(getpid(), SIGUSR1);
    pthread_join(waiter, NULL);

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr2;
    sigaction(SIGUSR2, &sa, NULL);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);

    pthread_create(&worker_id, NULL, spinner, NULL);
    while (!ready) {
        usleep(1000);
    }
    pthread_kill(worker_id, SIGUSR2);
    while (handled_in_worker < 1) {
        usleep(1000);
    }
    kill(getpid(), SIGUSR2); /* only the worker leaves it unblocked */
    while (handled_in_worker < 2) {
        usleep(1000);
    }
    kill(getpid(), SIGTERM); /* stops the worker's tight loop */
    void *looped;
    pthread_join(worker_id, &looped);
    printf("SIGUSR2 handled in the worker %d times, elsewhere %d; loop ran: %ld\n",
           (int)handled_in_worker, (int)handled_elsewhere, (long)looped);

    sa.sa_handler = NULL;
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    pthread_t f1, f2;
    void *r1, *r2;
    pthread_create(&f1, NULL, faulter, (void *)16L);
    pthread_create(&f2, NULL, faulter, (void *)32L);
    pthread_join(f1, &r1);
    pthread_join(f2, &r2);
    printf("SIGSEGV caught in threads: %ld %ld\n", (long)r1, (long)r2);

    sigset_t pending;
    sigpending(&pending);
    printf("pending after all: %d\n", sigismember(&pending, SIGUSR1) + sigismember(&pending, SIGUSR2));
    return 0;
}
