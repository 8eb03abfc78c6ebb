/*
 * helper-fp-compare.c — feq, flt, fle and fclass for both formats.
 *
 * The one thing to know: feq is a quiet comparison (NV only for a signaling
 * NaN) while flt and fle are signaling (NV for any NaN); every comparison
 * with a NaN is false, and +0 equals -0. These never round, so they work on
 * the bit patterns alone.
 */
#include "target/riscv64/fpu.h"
#include "target/riscv64/helper.h"

static uint64_t rv_fp_class(const RVFloatFormat *f, uint64_t v)
{
    bool neg = (v & rv_fmt_sign(f)) != 0;
    if (rv_fp_is_nan(f, v)) {
        return rv_fp_is_snan(f, v) ? 1u << 8 : 1u << 9;
    }
    if (rv_fp_is_inf_or_nan(f, v)) {
        return neg ? 1u << 0 : 1u << 7;
    }
    if (rv_fp_is_zero(f, v)) {
        return neg ? 1u << 3 : 1u << 4;
    }
    if (rv_fmt_exp_field(f, v) == 0) {
        return neg ? 1u << 2 : 1u << 5;
    }
    return neg ? 1u << 1 : 1u << 6;
}

static uint64_t riscv_do_fp_cmp(void *env, uint64_t ra, uint64_t rb, uint64_t desc)
{
    RISCVCPU *cpu = env;
    RVFpCmpOp op = (RVFpCmpOp)(desc & 0xf);
    const RVFloatFormat *f = rv_fmt(desc & RV_FP_DESC_DOUBLE);
    uint64_t a = rv_fp_unbox(f, ra);
    uint64_t b = rv_fp_unbox(f, rb);
    if (op == RV_FP_CLASS) {
        return rv_fp_class(f, a);
    }
    if (rv_fp_is_nan(f, a) || rv_fp_is_nan(f, b)) {
        if (op != RV_FP_EQ || rv_fp_is_snan(f, a) || rv_fp_is_snan(f, b)) {
            cpu->fflags |= RV_FFLAG_NV;
        }
        return 0;
    }
    bool eq = a == b || (rv_fp_is_zero(f, a) && rv_fp_is_zero(f, b));
    switch (op) {
    case RV_FP_EQ:
        return eq;
    case RV_FP_LT:
        return !eq && rv_fp_total_lt(f, a, b);
    default:
        return eq || rv_fp_total_lt(f, a, b);
    }
}

const IRHelper riscv_helper_fp_cmp = { "fp_cmp", riscv_do_fp_cmp };
