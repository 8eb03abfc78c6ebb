/*
 * test-riscv-fpu.c — the exact software rounder of the F/D helpers
 * (rv_fp_round_pack) against the host FPU, plus the RMM cases the host
 * cannot produce.
 *
 * The one thing to know: x86 SSE rounds binary64 → binary32 and int64 →
 * binary64 correctly in RNE/RTZ/RDN/RUP and, like RISC-V, detects tininess
 * after rounding, so for those modes the host's results and flags are the
 * reference; the inputs are random but seeded, so a failure replays.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "target/riscv64/fpu.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* MXCSR rounding control for RISC-V RNE, RTZ, RDN, RUP. */
static const uint32_t x86_rc[4] = { 0, 3, 1, 2 };

static uint32_t host_flags(uint32_t mxcsr)
{
    return (mxcsr & 0x08 ? RV_FFLAG_OF : 0) | (mxcsr & 0x10 ? RV_FFLAG_UF : 0) |
           (mxcsr & 0x20 ? RV_FFLAG_NX : 0);
}

/* Host conversion of bits (binary64) to binary32 in mode rm. */
static uint32_t host_d_to_s(uint64_t bits, unsigned rm, uint32_t *flags)
{
    volatile double d;
    volatile float f;
    uint32_t saved, csr = 0x1f80 | x86_rc[rm] << 13, raised;
    memcpy((void *)&d, &bits, sizeof(bits));
    __asm__ volatile("stmxcsr %0" : "=m"(saved) : : "memory");
    __asm__ volatile("ldmxcsr %0" : : "m"(csr) : "memory");
    f = (float)d;
    __asm__ volatile("stmxcsr %0" : "=m"(raised) : : "memory");
    __asm__ volatile("ldmxcsr %0" : : "m"(saved) : "memory");
    *flags = host_flags(raised);
    float r = f;
    uint32_t out;
    memcpy(&out, &r, sizeof(out));
    return out;
}

static uint64_t host_l_to_d(int64_t v, unsigned rm, uint32_t *flags)
{
    volatile int64_t vv = v;
    volatile double d;
    uint32_t saved, csr = 0x1f80 | x86_rc[rm] << 13, raised;
    __asm__ volatile("stmxcsr %0" : "=m"(saved) : : "memory");
    __asm__ volatile("ldmxcsr %0" : : "m"(csr) : "memory");
    d = (double)vv;
    __asm__ volatile("stmxcsr %0" : "=m"(raised) : : "memory");
    __asm__ volatile("ldmxcsr %0" : : "m"(saved) : "memory");
    *flags = host_flags(raised);
    double r = d;
    uint64_t out;
    memcpy(&out, &r, sizeof(out));
    return out;
}

/* A random finite double around the binary32 range (normal, subnormal,
 * overflowing), often with few significant bits to hit exact ties. */
static uint64_t random_double_near_float_range(void)
{
    uint64_t r = rng_next();
    uint64_t exp = 1023 - 160 + (r % 330);
    uint64_t frac = rng_next() & ((1ULL << 52) - 1);
    if (r & (1ULL << 40)) {
        frac &= ~((1ULL << (rng_next() % 52)) - 1);
    }
    return (r >> 63) << 63 | exp << 52 | frac;
}

static void test_round_double_to_single_matches_host(void **state)
{
    (void)state;
    for (int i = 0; i < 400000; i++) {
        uint64_t bits = random_double_near_float_range();
        RVUnpacked u = rv_fp_unpack(&rv_fmt_d, bits);
        for (unsigned rm = 0; rm < 4; rm++) {
            uint32_t want_flags, got_flags = 0;
            uint32_t want = host_d_to_s(bits, rm, &want_flags);
            uint64_t got = rv_fp_round_pack(&rv_fmt_s, u.sign, u.exp, u.sig, rm, &got_flags);
            if (got != want || got_flags != want_flags) {
                print_error("%016llx rm %u: host %08x/%x soft %08llx/%x\n",
                            (unsigned long long)bits, rm, want, want_flags,
                            (unsigned long long)got, got_flags);
                fail();
            }
        }
    }
}

static void test_round_int_to_double_matches_host(void **state)
{
    (void)state;
    for (int i = 0; i < 200000; i++) {
        int64_t v = (int64_t)(rng_next() >> (rng_next() % 64));
        v = (i & 1) ? -v : v;
        bool neg = v < 0;
        uint64_t mag = neg ? -(uint64_t)v : (uint64_t)v;
        for (unsigned rm = 0; rm < 4; rm++) {
            uint32_t want_flags, got_flags = 0;
            uint64_t want = host_l_to_d(v, rm, &want_flags);
            uint64_t got = rv_fp_round_pack(&rv_fmt_d, neg, 0, mag, rm, &got_flags);
            assert_int_equal(got, want);
            assert_int_equal(got_flags, want_flags);
        }
    }
}

typedef struct RmmCase {
    const RVFloatFormat *f;
    bool sign;
    int exp;
    uint64_t sig;
    uint64_t rne, rmm;
    uint32_t flags;
} RmmCase;

static void test_rmm_ties_away(void **state)
{
    (void)state;
    const RmmCase cases[] = {
        /* 1 + 2^-24: a tie in binary32; RNE keeps 1.0, RMM goes to 1 + 2^-23 */
        { &rv_fmt_s, false, -24, (1ULL << 24) + 1, 0x3f800000, 0x3f800001, RV_FFLAG_NX },
        { &rv_fmt_s, true, -24, (1ULL << 24) + 1, 0xbf800000, 0xbf800001, RV_FFLAG_NX },
        /* 1 + 3 * 2^-24: tie between odd and even; both go up */
        { &rv_fmt_s, false, -24, (1ULL << 24) + 3, 0x3f800002, 0x3f800002, RV_FFLAG_NX },
        /* 2^53 + 1 in binary64 */
        { &rv_fmt_d, false, 0, (1ULL << 53) + 1, 0x4340000000000000, 0x4340000000000001,
          RV_FFLAG_NX },
        /* half the smallest subnormal: RNE gives 0 (UF), RMM the subnormal (UF) */
        { &rv_fmt_d, false, -1075, 1, 0, 1, RV_FFLAG_NX | RV_FFLAG_UF },
        /* largest float plus half an ulp: RMM overflows */
        { &rv_fmt_s, false, 103, (1ULL << 25) - 1, 0x7f800000, 0x7f800000,
          RV_FFLAG_NX | RV_FFLAG_OF },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const RmmCase *c = &cases[i];
        uint32_t fl_rne = 0, fl_rmm = 0;
        assert_int_equal(rv_fp_round_pack(c->f, c->sign, c->exp, c->sig, RV_RM_RNE, &fl_rne),
                         c->rne);
        assert_int_equal(rv_fp_round_pack(c->f, c->sign, c->exp, c->sig, RV_RM_RMM, &fl_rmm),
                         c->rmm);
        assert_int_equal(fl_rmm, c->flags);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_double_to_single_matches_host),
        cmocka_unit_test(test_round_int_to_double_matches_host),
        cmocka_unit_test(test_rmm_ties_away),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
