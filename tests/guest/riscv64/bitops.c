/*
 * bitops.c — bit manipulation through GCC builtins (clz, ctz, popcount,
 * bswap, parity) and rotate idioms, over edge values and a pseudo-random walk.
 *
 * The one thing to know: this one source is built twice — plain rv64gc
 * (software sequences) and rv64gc_zba_zbb_zbs (Zb* instructions) — and both
 * builds must print exactly the same thing.
 */
#include <stdint.h>
#include <stdio.h>

static volatile uint64_t edge[] = {
    0, 1, 2, 3, 0x80, 0xff, 0x8000, 0x80000000ULL, 0xffffffffULL,
    0x100000000ULL, 0x8000000000000000ULL, 0xffffffffffffffffULL,
    0x0123456789abcdefULL, 0xf0f0f0f00f0f0f0fULL,
};

static uint64_t rotl64(uint64_t x, unsigned n) { return (x << (n & 63)) | (x >> (-n & 63)); }
static uint64_t rotr64(uint64_t x, unsigned n) { return (x >> (n & 63)) | (x << (-n & 63)); }
static uint32_t rotl32(uint32_t x, unsigned n) { return (x << (n & 31)) | (x >> (-n & 31)); }

static void show(uint64_t x, unsigned n)
{
    uint32_t w = (uint32_t)x;
    printf("%016llx n=%2u clz=%d ctz=%d pop=%d clzw=%d ctzw=%d popw=%d par=%d "
           "bswap=%016llx bswap32=%08x bswap16=%04x rotl=%016llx rotr=%016llx "
           "rotl32=%08x andn=%016llx sh2=%016llx bit=%d set=%016llx clr=%016llx "
           "min=%lld maxu=%llu sextb=%lld sexth=%lld zexth=%llu adduw=%llx\n",
           (unsigned long long)x, n, x ? __builtin_clzll(x) : 64,
           x ? __builtin_ctzll(x) : 64, __builtin_popcountll(x),
           w ? __builtin_clz(w) : 32, w ? __builtin_ctz(w) : 32,
           __builtin_popcount(w), __builtin_parityll(x),
           (unsigned long long)__builtin_bswap64(x), __builtin_bswap32(w),
           __builtin_bswap16((uint16_t)x), (unsigned long long)rotl64(x, n),
           (unsigned long long)rotr64(x, n), rotl32(w, n),
           (unsigned long long)(x & ~(uint64_t)n * 0x0101010101010101ULL),
           (unsigned long long)((x << 2) + n),
           (int)((x >> (n & 63)) & 1),
           (unsigned long long)(x | (1ULL << (n & 63))),
           (unsigned long long)(x & ~(1ULL << (n & 63))),
           (long long)((int64_t)x < (int64_t)n ? (int64_t)x : (int64_t)n),
           (unsigned long long)(x > n ? x : n), (long long)(int8_t)x,
           (long long)(int16_t)x, (unsigned long long)(uint16_t)x,
           (unsigned long long)((uint64_t)w + n));
}

int main(void)
{
    for (unsigned i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
        show(edge[i], i * 5);
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    for (unsigned i = 0; i < 64; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        show(s >> (i % 48), i);
    }
    return 0;
}
