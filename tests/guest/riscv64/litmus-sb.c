/* litmus-sb.c — the store-buffering litmus test on two threads: each stores
 * its flag, runs `fence rw,rw` and loads the other's flag. Both loads seeing
 * 0 is forbidden by RISC-V's memory model; an x86 host shows exactly that
 * outcome (its store buffer) unless the fence becomes a host barrier.
 * Prints how often the forbidden outcome was seen: 0 when emulated right. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#define ROUNDS 2000

/* Fresh flags for every round (no resets, so one barrier a round). */
static volatile uint64_t flag[2][ROUNDS];
static volatile uint64_t seen[2][ROUNDS];
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
    for (unsigned r = 0; r < ROUNDS; r++) {
        round_barrier(r + 1);
        uint64_t got;
        __asm__ volatile("sd %2, 0(%1)\n\t"
                         "fence rw, rw\n\t"
                         "ld %0, 0(%3)"
                         : "=&r"(got) : "r"(&flag[t][r]), "r"(1ull), "r"(&flag[1 - t][r])
                         : "memory");
        seen[t][r] = got;
    }
    round_barrier(ROUNDS + 1);
    return NULL;
}

int main(void)
{
    pthread_t other;
    pthread_create(&other, NULL, run, (void *)1);
    run((void *)0);
    pthread_join(other, NULL);
    for (unsigned r = 0; r < ROUNDS; r++) {
        forbidden += seen[0][r] == 0 && seen[1][r] == 0;
    }
    printf("store buffering with fence rw,rw: %u forbidden outcomes in %d rounds\n", forbidden,
           ROUNDS);
    return 0;
}
