/*
 * atomics.c — the A extension through __atomic_* builtins (single thread):
 * AMO add/and/or/xor/swap/min/max on 32 and 64 bits, compare-exchange
 * (LR/SC loops), and 8/16-bit atomics (LR/SC on the containing word).
 *
 * The one thing to know: results are printed after each operation, so a
 * wrong "old value" returned by an AMO shows up as well as a wrong memory.
 */
#include <stdint.h>
#include <stdio.h>

static volatile int64_t d64;
static volatile int32_t d32;
static volatile uint8_t d8[8];
static volatile uint16_t d16[4];

#define SHOW64(expr) do { unsigned long long old_ = (unsigned long long)(expr); \
        printf("%-28s old=%llx mem=%llx\n", #expr, old_, (unsigned long long)d64); } while (0)
#define SHOW32(expr) do { unsigned old_ = (unsigned)(expr); \
        printf("%-28s old=%x mem=%x\n", #expr, old_, (unsigned)d32); } while (0)

static int64_t amo_min64(volatile int64_t *p, int64_t v)
{
    int64_t r;
    __asm__ volatile("amomin.d %0, %2, (%1)" : "=r"(r) : "r"(p), "r"(v) : "memory");
    return r;
}

static uint64_t amo_maxu64(volatile int64_t *p, uint64_t v)
{
    uint64_t r;
    __asm__ volatile("amomaxu.d %0, %2, (%1)" : "=r"(r) : "r"(p), "r"(v) : "memory");
    return r;
}

static int32_t amo_max32(volatile int32_t *p, int32_t v)
{
    int32_t r;
    __asm__ volatile("amomax.w %0, %2, (%1)" : "=r"(r) : "r"(p), "r"(v) : "memory");
    return r;
}

static uint32_t amo_minu32(volatile int32_t *p, uint32_t v)
{
    uint32_t r;
    __asm__ volatile("amominu.w %0, %2, (%1)" : "=r"(r) : "r"(p), "r"(v) : "memory");
    return r;
}

/* sc.d to an address whose reservation was lost must fail (nonzero). */
static long sc_without_lr(volatile int64_t *p)
{
    long fail, tmp;
    __asm__ volatile("lr.d %1, (%2)\n\t"
                     "sc.d %0, %1, (%2)\n\t"
                     "sc.d %0, %1, (%2)"
                     : "=&r"(fail), "=&r"(tmp) : "r"(p) : "memory");
    return fail != 0;
}

int main(void)
{
    d64 = 100;
    SHOW64(__atomic_fetch_add(&d64, 5, __ATOMIC_SEQ_CST));
    SHOW64(__atomic_fetch_sub(&d64, 200, __ATOMIC_RELAXED));
    SHOW64(__atomic_fetch_and(&d64, 0xff0f, __ATOMIC_ACQUIRE));
    SHOW64(__atomic_fetch_or(&d64, 0x8000000000000000LL, __ATOMIC_RELEASE));
    SHOW64(__atomic_fetch_xor(&d64, -1, __ATOMIC_ACQ_REL));
    SHOW64(__atomic_exchange_n(&d64, -7, __ATOMIC_SEQ_CST));
    SHOW64(amo_min64(&d64, -8));
    SHOW64(amo_min64(&d64, 3));
    SHOW64(amo_maxu64(&d64, 3));
    SHOW64(__atomic_add_fetch(&d64, 1, __ATOMIC_SEQ_CST));

    int64_t expect = 12345;
    int ok = __atomic_compare_exchange_n(&d64, &expect, 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    printf("cas64 fail: ok=%d expect=%lld mem=%lld\n", ok, (long long)expect, (long long)d64);
    ok = __atomic_compare_exchange_n(&d64, &expect, 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    printf("cas64 ok:   ok=%d expect=%lld mem=%lld\n", ok, (long long)expect, (long long)d64);
    printf("sc after sc fails: %ld\n", sc_without_lr(&d64));

    d32 = -5;
    SHOW32(__atomic_fetch_add(&d32, 0x7fffffff, __ATOMIC_SEQ_CST));
    SHOW32(__atomic_fetch_and(&d32, 0xf0f0f0f0, __ATOMIC_SEQ_CST));
    SHOW32(__atomic_fetch_or(&d32, 0x80000001, __ATOMIC_SEQ_CST));
    SHOW32(__atomic_fetch_xor(&d32, 0x55555555, __ATOMIC_SEQ_CST));
    SHOW32(__atomic_exchange_n(&d32, 0x80000000, __ATOMIC_SEQ_CST));
    SHOW32(amo_max32(&d32, -1));
    SHOW32(amo_minu32(&d32, 0x7fffffff));
    int32_t e32 = 0x7fffffff;
    ok = __atomic_compare_exchange_n(&d32, &e32, -1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    printf("cas32: ok=%d mem=%x\n", ok, (unsigned)d32);
    /* amo*.w sign-extends the old value into the 64-bit register */
    int64_t wide = (int32_t)__atomic_fetch_add(&d32, 1, __ATOMIC_SEQ_CST);
    printf("sext old: %llx\n", (unsigned long long)wide);

    for (int i = 0; i < 8; i++)
        __atomic_fetch_add(&d8[i], (uint8_t)(i * 37 + 200), __ATOMIC_SEQ_CST);
    for (int i = 0; i < 4; i++)
        __atomic_exchange_n(&d16[i], (uint16_t)(0xfff0 + i), __ATOMIC_SEQ_CST);
    uint8_t e8 = d8[3];
    ok = __atomic_compare_exchange_n(&d8[3], &e8, 0x5a, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    printf("bytes:");
    for (int i = 0; i < 8; i++)
        printf(" %02x", d8[i]);
    printf(" halves:");
    for (int i = 0; i < 4; i++)
        printf(" %04x", d16[i]);
    printf(" cas8=%d\n", ok);
    return 0;
}
