/*
 * sorthash.c — memory-bound work: quicksort of a large integer array and
 * hashing of a 16 MiB buffer with a 64-bit multiply-xor hash.
 *
 * The one thing to know: the data set is larger than the host's L2, so
 * this measures loads and stores more than arithmetic.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NB_INTS (1 << 20)
#define BUF_SIZE (16 << 20)

static void quicksort(uint32_t *v, long lo, long hi)
{
    while (lo < hi) {
        uint32_t pivot = v[lo + (hi - lo) / 2];
        long i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot) i++;
            while (v[j] > pivot) j--;
            if (i <= j) {
                uint32_t t = v[i];
                v[i++] = v[j];
                v[j--] = t;
            }
        }
        if (j - lo < hi - i) {
            quicksort(v, lo, j);
            lo = i;
        } else {
            quicksort(v, i, hi);
            hi = j;
        }
    }
}

static uint64_t hash_buf(const uint64_t *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i] * 0xff51afd7ed558ccdull;
        h = (h << 27 | h >> 37) * 0xc4ceb9fe1a85ec53ull;
    }
    return h;
}

int main(void)
{
    uint32_t *v = malloc(NB_INTS * sizeof(*v));
    uint64_t *buf = malloc(BUF_SIZE);
    if (!v || !buf) {
        return 1;
    }
    uint64_t x = 88172645463325252ull;
    for (long i = 0; i < NB_INTS; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        v[i] = (uint32_t)x;
    }
    quicksort(v, 0, NB_INTS - 1);
    uint64_t check = 0;
    for (long i = 0; i < NB_INTS; i += 4096) {
        check = check * 31 + v[i];
    }
    for (size_t i = 0; i < BUF_SIZE / 8; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        buf[i] = x;
    }
    uint64_t h = 0;
    for (int r = 0; r < 2; r++) {
        buf[r] ^= h;
        h ^= hash_buf(buf, BUF_SIZE / 8);
    }
    printf("sorthash sorted-check %llu hash %016llx\n", (unsigned long long)check,
           (unsigned long long)h);
    free(v);
    free(buf);
    return 0;
}
