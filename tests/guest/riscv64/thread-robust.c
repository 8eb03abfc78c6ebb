/* thread-robust.c — a robust mutex held by a thread that exits: the next
 * locker gets EOWNERDEAD, makes it consistent, and it works again; also a
 * futex wait with a timeout and pthread_cond_timedwait timing out. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static pthread_mutex_t robust;

static void *die_holding(void *arg)
{
    pthread_mutex_lock(&robust);
    return NULL; /* exits with the mutex held */
}

int main(void)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&robust, &a);
    pthread_t th;
    pthread_create(&th, NULL, die_holding, NULL);
    pthread_join(th, NULL);
    int r = pthread_mutex_lock(&robust);
    printf("lock after owner died: %s\n", r == EOWNERDEAD ? "EOWNERDEAD" : "other");
    pthread_mutex_consistent(&robust);
    pthread_mutex_unlock(&robust);
    r = pthread_mutex_lock(&robust);
    printf("lock again: %d\n", r);
    pthread_mutex_unlock(&robust);

    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 20 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&m);
    r = pthread_cond_timedwait(&c, &m, &ts);
    pthread_mutex_unlock(&m);
    printf("cond_timedwait: %s\n", r == ETIMEDOUT ? "ETIMEDOUT" : "other");
    return 0;
}
