/*
 * helper-fp-convert.c — fcvt between the two formats and between a format
 * and 32/64-bit signed/unsigned integers, in every rounding mode.
 *
 * The one thing to know: conversions are done entirely in integer
 * arithmetic: the operand is unpacked exactly and rounded by the same code
 * as the arithmetic results. A float-to-integer result out of range
 * saturates (NaN counts as the largest positive value) and raises NV
 * alone, never NX; 32-bit results are sign-extended, even the unsigned ones.
 */
#include "target/riscv64/fpu.h"
#include "target/riscv64/helper.h"

/* Largest magnitude of each integer kind, for positive and negative values. */
static const uint64_t rv_int_max_pos[] = {
    [RV_CVT_F_TO_W] = INT32_MAX, [RV_CVT_F_TO_WU] = UINT32_MAX,
    [RV_CVT_F_TO_L] = INT64_MAX, [RV_CVT_F_TO_LU] = UINT64_MAX,
};
static const uint64_t rv_int_max_neg[] = {
    [RV_CVT_F_TO_W] = 1ULL << 31, [RV_CVT_F_TO_WU] = 0,
    [RV_CVT_F_TO_L] = 1ULL << 63, [RV_CVT_F_TO_LU] = 0,
};

static uint64_t rv_int_result(RVFpCvtOp op, bool neg, uint64_t mag)
{
    uint64_t v = neg ? -mag : mag;
    if (op == RV_CVT_F_TO_W || op == RV_CVT_F_TO_WU) {
        v = (uint64_t)(int64_t)(int32_t)v;
    }
    return v;
}

static uint64_t rv_fp_to_int(const RVFloatFormat *f, uint64_t a, RVFpCvtOp op, unsigned rm,
                             uint32_t *flags)
{
    bool neg = (a & rv_fmt_sign(f)) != 0;
    if (rv_fp_is_nan(f, a)) {
        *flags |= RV_FFLAG_NV;
        return rv_int_result(op, false, rv_int_max_pos[op]);
    }
    bool in_range = !rv_fp_is_inf_or_nan(f, a);
    uint64_t mag = 0;
    bool inexact = false;
    if (in_range) {
        RVUnpacked u = rv_fp_unpack(f, a);
        if (u.sig == 0) {
            mag = 0;
        } else if (u.exp >= 0) {
            /* sig < 2^53: the value fits in 64 bits while exp + length <= 64 */
            in_range = u.exp + 64 - __builtin_clzll(u.sig) <= 64;
            mag = in_range ? u.sig << u.exp : 0;
        } else {
            bool up = rv_fp_round_up(u.sig, (unsigned)-u.exp, rm, neg, &inexact);
            mag = (-u.exp >= 64 ? 0 : u.sig >> -u.exp) + up;
        }
        in_range = in_range && mag <= (neg ? rv_int_max_neg[op] : rv_int_max_pos[op]);
    }
    if (!in_range) {
        *flags |= RV_FFLAG_NV;
        return rv_int_result(op, neg, neg ? rv_int_max_neg[op] : rv_int_max_pos[op]);
    }
    if (inexact) {
        *flags |= RV_FFLAG_NX;
    }
    return rv_int_result(op, neg, mag);
}

static uint64_t rv_int_to_fp(const RVFloatFormat *f, uint64_t x, RVFpCvtOp op, unsigned rm,
                             uint32_t *flags)
{
    bool neg = false;
    switch (op) {
    case RV_CVT_W_TO_F:
        x = (uint64_t)(int64_t)(int32_t)x;
        /* fall through */
    case RV_CVT_L_TO_F:
        neg = (int64_t)x < 0;
        x = neg ? -x : x;
        break;
    case RV_CVT_WU_TO_F:
        x = (uint32_t)x;
        break;
    default:
        break;
    }
    return rv_fp_round_pack(f, neg, 0, x, rm, flags);
}

/* Converts a of format from to format to (widening is exact). */
static uint64_t rv_fp_to_fp(const RVFloatFormat *from, const RVFloatFormat *to, uint64_t a,
                            unsigned rm, uint32_t *flags)
{
    bool neg = (a & rv_fmt_sign(from)) != 0;
    if (rv_fp_is_nan(from, a)) {
        if (rv_fp_is_snan(from, a)) {
            *flags |= RV_FFLAG_NV;
        }
        return rv_fp_canonical_nan(to);
    }
    if (rv_fp_is_inf_or_nan(from, a)) {
        return (neg ? rv_fmt_sign(to) : 0) | ((1ULL << to->exp_bits) - 1) << to->frac_bits;
    }
    RVUnpacked u = rv_fp_unpack(from, a);
    return rv_fp_round_pack(to, u.sign, u.exp, u.sig, rm, flags);
}

static uint64_t riscv_do_fp_cvt(void *env, uint64_t src, uint64_t desc, uint64_t unused)
{
    RISCVCPU *cpu = env;
    RVFpCvtOp op = (RVFpCvtOp)(desc & 0xf);
    const RVFloatFormat *f = rv_fmt(desc & RV_FP_DESC_DOUBLE);
    unsigned rm = rv_fp_resolve_rm(cpu, (desc >> RV_FP_DESC_RM_SHIFT) & 7);
    uint32_t flags = 0;
    uint64_t r;
    switch (op) {
    case RV_CVT_F_TO_W:
    case RV_CVT_F_TO_WU:
    case RV_CVT_F_TO_L:
    case RV_CVT_F_TO_LU:
        r = rv_fp_to_int(f, rv_fp_unbox(f, src), op, rm, &flags);
        break;
    case RV_CVT_S_TO_D:
        r = rv_fp_to_fp(&rv_fmt_s, &rv_fmt_d, rv_fp_unbox(&rv_fmt_s, src), rm, &flags);
        break;
    case RV_CVT_D_TO_S:
        r = rv_fp_box(&rv_fmt_s, rv_fp_to_fp(&rv_fmt_d, &rv_fmt_s, src, rm, &flags));
        break;
    default:
        r = rv_fp_box(f, rv_int_to_fp(f, src, op, rm, &flags));
        break;
    }
    cpu->fflags |= flags;
    return r;
}

const IRHelper riscv_helper_fp_cvt = { "fp_cvt", riscv_do_fp_cvt };
