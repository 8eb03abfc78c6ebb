/*
 * helper-fp-round.c — the exact software rounder of the F/D helpers: unpacks
 * binary32/binary64 values and rounds a wide value back to either format in
 * any of the five RISC-V rounding modes, with the NX/UF/OF flags.
 *
 * The one thing to know: underflow follows RISC-V, which detects tininess
 * after rounding: a result is tiny when rounding it to the format's precision
 * with an unbounded exponent range still gives a magnitude below the smallest
 * normal; UF is raised only for tiny results that are also inexact.
 */
#include "target/riscv64/fpu.h"

const RVFloatFormat rv_fmt_s = { 23, 8 };
const RVFloatFormat rv_fmt_d = { 52, 11 };

RVUnpacked rv_fp_unpack(const RVFloatFormat *f, uint64_t v)
{
    RVUnpacked u;
    uint64_t e = rv_fmt_exp_field(f, v);
    u.sign = (v & rv_fmt_sign(f)) != 0;
    u.sig = v & rv_fmt_frac_mask(f);
    if (e != 0) {
        u.sig |= 1ULL << f->frac_bits;
        u.exp = (int)e - rv_fmt_bias(f) - (int)f->frac_bits;
    } else {
        u.exp = 1 - rv_fmt_bias(f) - (int)f->frac_bits;
    }
    return u;
}

bool rv_fp_round_up(uint64_t sig, unsigned shift, unsigned rm, bool sign, bool *inexact)
{
    uint64_t rem, half, q;
    if (shift >= 64) {
        q = 0;
        rem = sig;
        half = 1ULL << 63;
        if (shift > 64 && sig != 0) {
            rem = 1;   /* far below one half: only its non-zeroness matters */
        }
    } else {
        q = sig >> shift;
        rem = sig & ((1ULL << shift) - 1);
        half = 1ULL << (shift - 1);
    }
    *inexact = rem != 0;
    switch (rm) {
    case RV_RM_RNE:
        return rem > half || (rem == half && (q & 1));
    case RV_RM_RMM:
        return rem >= half;
    case RV_RM_RDN:
        return rem != 0 && sign;
    case RV_RM_RUP:
        return rem != 0 && !sign;
    default:
        return false;
    }
}

/* Result of an overflow in mode rm: infinity or the largest finite value. */
static uint64_t rv_fp_overflow(const RVFloatFormat *f, bool sign, unsigned rm)
{
    uint64_t s = sign ? rv_fmt_sign(f) : 0;
    uint64_t inf = ((1ULL << f->exp_bits) - 1) << f->frac_bits;
    bool to_inf = rm == RV_RM_RNE || rm == RV_RM_RMM || (rm == RV_RM_RDN && sign) ||
                  (rm == RV_RM_RUP && !sign);
    return s | (to_inf ? inf : inf - 1);
}

uint64_t rv_fp_round_pack(const RVFloatFormat *f, bool sign, int exp, uint64_t sig,
                          unsigned rm, uint32_t *flags)
{
    uint64_t s = sign ? rv_fmt_sign(f) : 0;
    if (sig == 0) {
        return s;
    }
    int lz = __builtin_clzll(sig);
    sig <<= lz;
    /* value = 1.xxx * 2^e with the leading one at bit 63 of sig */
    int e = exp - lz + 63;
    unsigned p = f->frac_bits + 1;
    int emin = 1 - rv_fmt_bias(f);
    int emax = rv_fmt_bias(f);
    bool inexact;
    bool up = rv_fp_round_up(sig, 64 - p, rm, sign, &inexact);
    uint64_t r = (sig >> (64 - p)) + up;
    if (e >= emin) {
        if (r >> p) {
            r >>= 1;
            e++;
        }
        if (e > emax) {
            *flags |= RV_FFLAG_OF | RV_FFLAG_NX;
            return rv_fp_overflow(f, sign, rm);
        }
        if (inexact) {
            *flags |= RV_FFLAG_NX;
        }
        return s | (uint64_t)(e + rv_fmt_bias(f)) << f->frac_bits | (r & rv_fmt_frac_mask(f));
    }
    /* Below the normal range. Tiny unless rounding at full precision with an
     * unbounded exponent carries up to exactly the smallest normal. */
    bool tiny = !((r >> p) && e + 1 == emin);
    unsigned shift = 64 - p + (unsigned)(emin - e);
    up = rv_fp_round_up(sig, shift, rm, sign, &inexact);
    r = (shift >= 64 ? 0 : sig >> shift) + up;
    if (inexact) {
        *flags |= RV_FFLAG_NX | (tiny ? RV_FFLAG_UF : 0);
    }
    /* a carry into bit p-1 lands in the exponent field: the smallest normal */
    return s | r;
}
