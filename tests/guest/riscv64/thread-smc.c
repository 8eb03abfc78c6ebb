/* thread-smc.c — code generation in one thread while others run: each
 * round writes a new "li a0, N; ret" into an executable buffer and makes it
 * visible with fence.i (even rounds) or riscv_flush_icache (odd rounds);
 * both drop every translation while the worker threads are in the middle
 * of translated loops. Workers' sums and the generated results must be
 * exact. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define WORKERS 3
#define ROUNDS 300

static atomic_int stop;
static long want;

static long __attribute__((noinline)) step(long x, long i)
{
    return x + (i ^ (i >> 3));
}

static long run_steps(void)
{
    long x = 0;
    for (long i = 0; i < 10000; i++) {
        x = step(x, i);
    }
    return x;
}

static void *worker(void *arg)
{
    long rounds = 0;
    while (!stop) {
        if (run_steps() != want) {
            return (void *)-1L;
        }
        rounds++;
    }
    return (void *)(rounds > 0 ? 1L : 0L);
}

int main(void)
{
    uint32_t *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    want = run_steps();
    pthread_t th[WORKERS];
    for (long i = 0; i < WORKERS; i++) {
        pthread_create(&th[i], NULL, worker, NULL);
    }
    long bad = 0;
    for (int r = 0; r < ROUNDS; r++) {
        int n = r % 2000;
        code[0] = 0x00000513u | ((uint32_t)n << 20); /* addi a0, zero, n */
        code[1] = 0x00008067u;                        /* ret */
        if (r % 2 == 0) {
            __asm__ volatile("fence.i" ::: "memory");
        } else {
            syscall(259 /* riscv_flush_icache */, code, code + 2, 0);
        }
        long (*fn)(void) = (long (*)(void))code;
        if (fn() != n) {
            bad++;
        }
    }
    stop = 1;
    long ok = 0;
    for (int i = 0; i < WORKERS; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        ok += (long)ret == 1;
    }
    printf("generated code wrong %ld times; workers correct: %ld of %d\n", bad, ok, WORKERS);
    return 0;
}
