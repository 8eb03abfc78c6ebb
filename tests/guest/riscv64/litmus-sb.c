/* litmus-sb.c — the store-buffering litmus test on two threads: each stores
 * its flag, runs `fence rw,rw` and loads the other's flag. Both loads seeing
 * 0 is forbidden by RISC-V's memory model; an x86 host shows exactly that
 * outcome (its store buffer) unless the fence becomes a host barrier.
 * Prints how often the forbidden outcome was seen: 0 when emulated right. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#define ROUNDS 5000

static volatile uint64_t flag[2][8]; /* [t][0] used: one cache line each */
static volatile uint64_t seen[2][8];
static atomic_uint arrivals;
static unsigned forbidden;

/* Both threads wait until each has arrived `round` times. */
static void round_barrier(unsigned round)
{
    atomic_fetch_add(&arrivals, 1);
    while (atomic_load(&arrivals) < 2 * round) {
    }
}

static void *run(void *arg)
{
    long t = (long)arg;
    volatile uint64_t *mine = &flag[t][0], *other = &flag[1 - t][0];
    unsigned round = 0;
    for (unsigned i = 0; i < ROUNDS; i++) {
        round_barrier(++round);
        uint64_t got;
        __asm__ volatile("sd %2, 0(%1)\n\t"
                         "fence rw, rw\n\t"
                         "ld %0, 0(%3)"
                         : "=&r"(got) : "r"(mine), "r"(1ull), "r"(other) : "memory");
        seen[t][0] = got;
        round_barrier(++round);
        if (t == 0) {
            forbidden += seen[0][0] == 0 && seen[1][0] == 0;
            flag[0][0] = flag[1][0] = 0;
        }
        round_barrier(++round);
    }
    return NULL;
}

int main(void)
{
    pthread_t other;
    pthread_create(&other, NULL, run, (void *)1);
    run((void *)0);
    pthread_join(other, NULL);
    printf("store buffering with fence rw,rw: %u forbidden outcomes in %d rounds\n", forbidden,
           ROUNDS);
    return 0;
}
