/* threads.c — pthreads under real concurrency: atomic counters (AMOs),
 * compare-and-swap loops (LR/SC), a mutex-protected counter, a condition
 * variable queue, a lock-free stack, thread-local storage, barriers,
 * semaphores, join values and detached threads. Prints only totals, which
 * are the same on every run when the emulation is right. */
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>

#define NTHREADS 6
#define ITERS 20000

static atomic_long amo_counter;
static long cas_counter;
static long mutex_counter;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static __thread long tls_value = 7;
static pthread_barrier_t barrier;
static atomic_int distinct_tids;

static void *hammer(void *arg)
{
    long id = (long)arg;
    tls_value += id;
    pthread_barrier_wait(&barrier);
    for (int i = 0; i < ITERS; i++) {
        atomic_fetch_add(&amo_counter, 1);
        long old = __atomic_load_n(&cas_counter, __ATOMIC_RELAXED);
        while (!__atomic_compare_exchange_n(&cas_counter, &old, old + 2, true, __ATOMIC_SEQ_CST,
                                            __ATOMIC_RELAXED)) {
        }
        pthread_mutex_lock(&lock);
        mutex_counter += 3;
        pthread_mutex_unlock(&lock);
    }
    if (syscall(SYS_gettid) != getpid()) {
        atomic_fetch_add(&distinct_tids, 1);
    }
    return (void *)(tls_value * 100 + id);
}

/* A bounded queue with a mutex and two condition variables. */
#define QSIZE 16
static int queue[QSIZE];
static int qhead, qtail, qcount;
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER, not_full = PTHREAD_COND_INITIALIZER;
#define ITEMS 5000

static void *producer(void *arg)
{
    for (int i = 1; i <= ITEMS; i++) {
        pthread_mutex_lock(&qlock);
        while (qcount == QSIZE) {
            pthread_cond_wait(&not_full, &qlock);
        }
        queue[qtail] = i;
        qtail = (qtail + 1) % QSIZE;
        qcount++;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&qlock);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    long sum = 0;
    for (int n = 0; n < ITEMS / 2; n++) {
        pthread_mutex_lock(&qlock);
        while (qcount == 0) {
            pthread_cond_wait(&not_empty, &qlock);
        }
        sum += queue[qhead];
        qhead = (qhead + 1) % QSIZE;
        qcount--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&qlock);
    }
    return (void *)sum;
}

/* A Treiber stack of preallocated nodes: pushes and pops race; every
 * node ends up popped exactly once. Nodes are never reused, so there is
 * no ABA problem. */
typedef struct Node {
    struct Node *next;
    int value;
} Node;
static Node *_Atomic top;
#define NODES_PER_THREAD 3000
static Node nodes[NTHREADS][NODES_PER_THREAD];
static atomic_long popped_sum, popped_count;

static void *stack_worker(void *arg)
{
    long id = (long)arg;
    for (int i = 0; i < NODES_PER_THREAD; i++) {
        Node *n = &nodes[id][i];
        n->value = (int)(id * NODES_PER_THREAD + i);
        Node *old = atomic_load(&top);
        do {
            n->next = old;
        } while (!atomic_compare_exchange_weak(&top, &old, n));
        if (i % 2) {
            Node *p = atomic_load(&top);
            while (p && !atomic_compare_exchange_weak(&top, &p, p->next)) {
            }
            if (p) {
                atomic_fetch_add(&popped_sum, p->value);
                atomic_fetch_add(&popped_count, 1);
            }
        }
    }
    return NULL;
}

static sem_t sem_done;
static atomic_int detached_ran;

static void *detached(void *arg)
{
    atomic_fetch_add(&detached_ran, 1);
    sem_post(&sem_done);
    return NULL;
}

int main(void)
{
    pthread_t th[NTHREADS];
    pthread_barrier_init(&barrier, NULL, NTHREADS);
    for (long i = 0; i < NTHREADS; i++) {
        if (pthread_create(&th[i], NULL, hammer, (void *)i) != 0) {
            printf("pthread_create failed\n");
            return 1;
        }
    }
    long joined = 0;
    for (int i = 0; i < NTHREADS; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        joined += (long)ret;
    }
    printf("amo counter %ld (want %d)\n", (long)amo_counter, NTHREADS * ITERS);
    printf("cas counter %ld (want %d)\n", cas_counter, 2 * NTHREADS * ITERS);
    printf("mutex counter %ld (want %d)\n", mutex_counter, 3 * NTHREADS * ITERS);
    printf("join values %ld, main tls %ld, threads with their own tid %d\n", joined, tls_value,
           (int)distinct_tids);

    pthread_t p, c1, c2;
    pthread_create(&p, NULL, producer, NULL);
    pthread_create(&c1, NULL, consumer, NULL);
    pthread_create(&c2, NULL, consumer, NULL);
    void *s1, *s2;
    pthread_join(p, NULL);
    pthread_join(c1, &s1);
    pthread_join(c2, &s2);
    printf("queue sum %ld (want %d)\n", (long)s1 + (long)s2, ITEMS * (ITEMS + 1) / 2);

    for (long i = 0; i < NTHREADS; i++) {
        pthread_create(&th[i], NULL, stack_worker, (void *)i);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
    }
    long rest_sum = 0, rest_count = 0;
    for (Node *n = atomic_load(&top); n; n = n->next) {
        rest_sum += n->value;
        rest_count++;
    }
    long total = NTHREADS * NODES_PER_THREAD;
    printf("stack: %ld nodes seen (want %ld), sum %ld (want %ld)\n",
           rest_count + (long)popped_count, total, rest_sum + (long)popped_sum,
           total * (total - 1) / 2);

    sem_init(&sem_done, 0, 0);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (int i = 0; i < 4; i++) {
        pthread_t d;
        pthread_create(&d, &attr, detached, NULL);
    }
    for (int i = 0; i < 4; i++) {
        sem_wait(&sem_done);
    }
    printf("detached threads ran: %d\n", (int)detached_ran);
    return 0;
}
