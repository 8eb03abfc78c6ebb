/*
 * helper-fp.c — F/D arithmetic helpers: add, sub, mul, div, sqrt, the four
 * fused multiply-adds, min and max; and the rounding-mode check they share.
 *
 * The one thing to know: there are two exact paths and a fast one. Binary64
 * in RNE, RTZ, RDN or RUP runs on host SSE in that mode (the host's result
 * and flags are the guest's). Everything else (all binary32 work, and RMM)
 * is computed truncated in a wider host format, turned into round-to-odd by
 * ORing the inexact flag into the last bit, and rounded by
 * rv_fp_round_pack(); round-to-odd with two spare bits makes that second
 * rounding exact. The fast path (RNE once the guest's NX flag is set, and
 * a normal result) is the plain host operation. NaN operands never reach
 * the host: the result is the canonical NaN, NV if any is signaling.
 * riscv_fp_env is the IR fp op's view of all this: the JIT inlines the
 * fast path and calls riscv_fp_fallback otherwise.
 */
#include <float.h>
#include <stddef.h>
#include <math.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "target/riscv64/fpu.h"
#include "target/riscv64/helper.h"

unsigned rv_fp_resolve_rm(RISCVCPU *cpu, unsigned rm)
{
    if (rm == RV_RM_DYN) {
        rm = cpu->frm;
    }
    if (rm > RV_RM_RMM) {
        cpu->cs.exit_code = EXCP_ILLEGAL;
        if (!cpu->cs.fault_jmp) {
            abort(); /* the exec loop always installs a landing pad */
        }
        siglongjmp(*cpu->cs.fault_jmp, 1);
    }
    return rm;
}

static double rv_bits_to_double(uint64_t v)
{
    double d;
    memcpy(&d, &v, sizeof(d));
    return d;
}

static uint64_t rv_double_to_bits(double d)
{
    uint64_t v;
    memcpy(&v, &d, sizeof(v));
    return v;
}

static float rv_bits_to_float(uint64_t v)
{
    float s;
    uint32_t w = (uint32_t)v;
    memcpy(&s, &w, sizeof(s));
    return s;
}

/* An operand of format f as a host double (exact: binary32 widens). */
static double rv_fp_to_double(const RVFloatFormat *f, uint64_t v)
{
    return f == &rv_fmt_d ? rv_bits_to_double(v) : (double)rv_bits_to_float(v);
}

/* A double operand as x87 extended (exact). */
static long double rv_fp_to_ext(uint64_t v)
{
    return (long double)rv_bits_to_double(v);
}

static uint64_t rv_fp_inf(const RVFloatFormat *f, bool sign)
{
    return (sign ? rv_fmt_sign(f) : 0) | ((1ULL << f->exp_bits) - 1) << f->frac_bits;
}

/* Rounds a truncated wide result (sign, exp, sig, and whether the truncation
 * was inexact) to f in mode rm. */
static uint64_t rv_fp_round_odd(const RVFloatFormat *f, bool sign, int exp, uint64_t sig,
                                bool inexact, unsigned rm, uint32_t *flags)
{
    return rv_fp_round_pack(f, sign, exp, sig | (inexact ? 1 : 0), rm, flags);
}

/* Result of format f from a truncated double w (the binary32 path). */
static uint64_t rv_fp_from_wide_double(const RVFloatFormat *f, double w, bool inexact,
                                       unsigned rm, uint32_t *flags)
{
    uint64_t bits = rv_double_to_bits(w);
    if (rv_fp_is_nan(&rv_fmt_d, bits)) {
        return rv_fp_canonical_nan(f);
    }
    if (rv_fp_is_inf_or_nan(&rv_fmt_d, bits)) {
        return rv_fp_inf(f, bits >> 63);
    }
    RVUnpacked u = rv_fp_unpack(&rv_fmt_d, bits);
    return rv_fp_round_odd(f, u.sign, u.exp, u.sig, inexact, rm, flags);
}

/* Result of binary64 from a truncated x87 value w (the RMM path). */
static uint64_t rv_fp_from_ext(long double w, bool inexact, unsigned rm, uint32_t *flags)
{
    struct {
        uint64_t sig;
        uint16_t se;
    } x;
    memcpy(&x, &w, 10);
    bool sign = x.se >> 15;
    int e = x.se & 0x7fff;
    if (e == 0x7fff) {
        return (x.sig << 1) ? RV_CANONICAL_NAN64 : rv_fp_inf(&rv_fmt_d, sign);
    }
    /* x87 keeps the integer bit explicit: value = sig * 2^(e - 16383 - 63) */
    return rv_fp_round_odd(&rv_fmt_d, sign, e - 16383 - 63, x.sig, inexact, rm, flags);
}

/* The exact zero an addition of two operands with these signs gives in rm
 * when the host computed it truncated (that is, +0 unless both are -0). */
static uint64_t rv_fp_fix_zero_sum(const RVFloatFormat *f, uint64_t r, bool sa, bool sb,
                                   unsigned rm)
{
    if (rm == RV_RM_RDN && !(r & rv_fmt_sign(f)) && (sa || sb)) {
        return r | rv_fmt_sign(f);
    }
    return r;
}

/* The fast path: in RNE (the host's own mode) once NX has accrued, a result
 * that is finite and strictly above the smallest normal in magnitude raised
 * no flag but NX, so the host's plain result is the answer. Returns false
 * when the careful path is needed (NaN, infinity, zero, tiny results). */
static bool rv_fp_fast(const RVFloatFormat *f, RVHostOp op, uint64_t a, uint64_t b,
                       uint64_t c, uint64_t *out)
{
    if (f == &rv_fmt_d) {
        double x = rv_bits_to_double(a), y = rv_bits_to_double(b), r;
        switch (op) {
        case RV_HOST_ADD: r = x + y; break;
        case RV_HOST_SUB: r = x - y; break;
        case RV_HOST_MUL: r = x * y; break;
        case RV_HOST_DIV: r = x / y; break;
        case RV_HOST_SQRT: r = __builtin_sqrt(x); break;
        default: r = fma(x, y, rv_bits_to_double(c)); break;
        }
        if (!(__builtin_fabs(r) > DBL_MIN && __builtin_fabs(r) <= DBL_MAX)) {
            return false;
        }
        *out = rv_double_to_bits(r);
        return true;
    }
    float x = rv_bits_to_float(a), y = rv_bits_to_float(b), r;
    switch (op) {
    case RV_HOST_ADD: r = x + y; break;
    case RV_HOST_SUB: r = x - y; break;
    case RV_HOST_MUL: r = x * y; break;
    case RV_HOST_DIV: r = x / y; break;
    case RV_HOST_SQRT: r = __builtin_sqrtf(x); break;
    default: r = fmaf(x, y, rv_bits_to_float(c)); break;
    }
    if (!(__builtin_fabsf(r) > FLT_MIN && __builtin_fabsf(r) <= FLT_MAX)) {
        return false;
    }
    uint32_t w;
    memcpy(&w, &r, sizeof(w));
    *out = w;
    return true;
}

/* a op b (c for FMA) in format f, rm resolved; NaN operands handled. */
static uint64_t rv_fp_compute(const RVFloatFormat *f, RVHostOp op, uint64_t a, uint64_t b,
                              uint64_t c, unsigned rm, bool nx_accrued, uint32_t *flags)
{
    uint64_t sign = rv_fmt_sign(f);
    uint64_t fast;
    if (rm == RV_RM_RNE && nx_accrued && rv_fp_fast(f, op, a, b, c, &fast)) {
        return fast;
    }
    if (f == &rv_fmt_d && rm != RV_RM_RMM) {
        double r = rv_host_op_d(op, rv_bits_to_double(a), rv_bits_to_double(b),
                                rv_bits_to_double(c), rm, flags);
        uint64_t bits = rv_double_to_bits(r);
        return rv_fp_is_nan(f, bits) ? RV_CANONICAL_NAN64 : bits;
    }
    uint32_t host = 0;
    uint64_t r;
    bool wide_zero;
    if (f == &rv_fmt_s) {
        double w = rv_host_op_d(op, rv_fp_to_double(f, a), rv_fp_to_double(f, b),
                                rv_fp_to_double(f, c), RV_RM_RTZ, &host);
        *flags |= host & (RV_FFLAG_NV | RV_FFLAG_DZ);
        r = rv_fp_from_wide_double(f, w, host & RV_FFLAG_NX, rm, flags);
        wide_zero = w == 0.0;
    } else {
        long double w = rv_host_op_ext_rtz(op, rv_fp_to_ext(a), rv_fp_to_ext(b),
                                           rv_fp_to_ext(c), &host);
        *flags |= host & (RV_FFLAG_NV | RV_FFLAG_DZ);
        r = rv_fp_from_ext(w, host & RV_FFLAG_NX, rm, flags);
        wide_zero = w == 0.0L;
    }
    /* The wide formats cannot underflow to zero: a zero there is exact. */
    if (wide_zero) {
        if (op == RV_HOST_ADD) {
            r = rv_fp_fix_zero_sum(f, r, a & sign, b & sign, rm);
        } else if (op == RV_HOST_SUB) {
            r = rv_fp_fix_zero_sum(f, r, a & sign, !(b & sign), rm);
        } else if (op == RV_HOST_FMA) {
            r = rv_fp_fix_zero_sum(f, r, (a ^ b) & sign, c & sign, rm);
        }
    }
    return r;
}

static uint64_t rv_fp_min_max(const RVFloatFormat *f, uint64_t a, uint64_t b, bool max,
                              uint32_t *flags)
{
    bool na = rv_fp_is_nan(f, a), nb = rv_fp_is_nan(f, b);
    if (rv_fp_is_snan(f, a) || rv_fp_is_snan(f, b)) {
        *flags |= RV_FFLAG_NV;
    }
    if (na && nb) {
        return rv_fp_canonical_nan(f);
    }
    if (na || nb) {
        return na ? b : a;
    }
    /* -0 orders below +0 here */
    bool a_lt_b = rv_fp_total_lt(f, a, b);
    return (a_lt_b != max) ? a : b;
}

static uint64_t riscv_do_fp_arith(void *env, uint64_t ra, uint64_t rb, uint64_t desc)
{
    RISCVCPU *cpu = env;
    RVFpArithOp op = (RVFpArithOp)(desc & 0xf);
    const RVFloatFormat *f = rv_fmt(desc & RV_FP_DESC_DOUBLE);
    uint64_t a = rv_fp_unbox(f, ra);
    uint64_t b = rv_fp_unbox(f, rb);
    uint32_t flags = 0;
    uint64_t r;
    if (op == RV_FP_MIN || op == RV_FP_MAX) {
        r = rv_fp_min_max(f, a, b, op == RV_FP_MAX, &flags);
    } else {
        unsigned rm = rv_fp_resolve_rm(cpu, (desc >> RV_FP_DESC_RM_SHIFT) & 7);
        bool unary = op == RV_FP_SQRT;
        if (rv_fp_is_nan(f, a) || (!unary && rv_fp_is_nan(f, b))) {
            if (rv_fp_is_snan(f, a) || (!unary && rv_fp_is_snan(f, b))) {
                flags |= RV_FFLAG_NV;
            }
            r = rv_fp_canonical_nan(f);
        } else if (unary && (a & rv_fmt_sign(f)) && !rv_fp_is_zero(f, a)) {
            flags |= RV_FFLAG_NV;   /* square root of a negative number */
            r = rv_fp_canonical_nan(f);
        } else {
            static const RVHostOp host_op[] = {
                [RV_FP_ADD] = RV_HOST_ADD, [RV_FP_SUB] = RV_HOST_SUB,
                [RV_FP_MUL] = RV_HOST_MUL, [RV_FP_DIV] = RV_HOST_DIV,
                [RV_FP_SQRT] = RV_HOST_SQRT,
            };
            r = rv_fp_compute(f, host_op[op], a, b, 0, rm, cpu->fflags & RV_FFLAG_NX, &flags);
        }
    }
    cpu->fflags |= flags;
    return rv_fp_box(f, r);
}

/* True when one of a, b is an infinity and the other a zero. */
static bool rv_fp_inf_times_zero(const RVFloatFormat *f, uint64_t a, uint64_t b)
{
    bool ia = rv_fp_is_inf_or_nan(f, a) && !rv_fp_is_nan(f, a);
    bool ib = rv_fp_is_inf_or_nan(f, b) && !rv_fp_is_nan(f, b);
    return (ia && rv_fp_is_zero(f, b)) || (ib && rv_fp_is_zero(f, a));
}

/* ±(a * b) ± c for register contents ra, rb, rc; desc has the format, the
 * rm field and the negation bits of riscv_helper_fp_fma. */
static uint64_t rv_fp_fma(RISCVCPU *cpu, uint64_t ra, uint64_t rb, uint64_t rc, uint64_t desc)
{
    const RVFloatFormat *f = rv_fmt(desc & RV_FP_DESC_DOUBLE);
    unsigned rm = rv_fp_resolve_rm(cpu, (desc >> RV_FP_DESC_RM_SHIFT) & 7);
    uint64_t a = rv_fp_unbox(f, ra);
    uint64_t b = rv_fp_unbox(f, rb);
    uint64_t c = rv_fp_unbox(f, rc);
    uint32_t flags = 0;
    uint64_t r;
    if (rv_fp_is_nan(f, a) || rv_fp_is_nan(f, b) || rv_fp_is_nan(f, c)) {
        /* invalid also for inf * 0 + qNaN */
        if (rv_fp_is_snan(f, a) || rv_fp_is_snan(f, b) || rv_fp_is_snan(f, c) ||
            rv_fp_inf_times_zero(f, a, b)) {
            flags |= RV_FFLAG_NV;
        }
        r = rv_fp_canonical_nan(f);
    } else {
        if (desc & RV_FP_DESC_NEG_PRODUCT) {
            a ^= rv_fmt_sign(f);
        }
        if (desc & RV_FP_DESC_NEG_ADDEND) {
            c ^= rv_fmt_sign(f);
        }
        r = rv_fp_compute(f, RV_HOST_FMA, a, b, c, rm, cpu->fflags & RV_FFLAG_NX, &flags);
    }
    cpu->fflags |= flags;
    return rv_fp_box(f, r);
}

static uint64_t riscv_do_fp_fma(void *env, uint64_t ra, uint64_t rb, uint64_t desc)
{
    RISCVCPU *cpu = env;
    return rv_fp_fma(cpu, ra, rb, cpu->f[(desc >> RV_FP_DESC_RS3_SHIFT) & 31], desc);
}

/* The fallback of the IR fp op: the same helpers, with the IR descriptor
 * translated to theirs (rm is RNE, RTZ with IR_FP_RTZ or dynamic with
 * IR_FP_DYN; compares, min and max have none). */
static uint64_t riscv_fp_fallback(void *env, uint64_t a, uint64_t b, uint64_t c, uint64_t ir)
{
    static const uint64_t arith[] = {
        [IR_FP_ADD] = RV_FP_ADD, [IR_FP_SUB] = RV_FP_SUB, [IR_FP_MUL] = RV_FP_MUL,
        [IR_FP_DIV] = RV_FP_DIV, [IR_FP_SQRT] = RV_FP_SQRT,
    };
    static const uint64_t neg[] = {
        [IR_FP_MADD] = 0, [IR_FP_MSUB] = RV_FP_DESC_NEG_ADDEND,
        [IR_FP_NMSUB] = RV_FP_DESC_NEG_PRODUCT,
        [IR_FP_NMADD] = RV_FP_DESC_NEG_PRODUCT | RV_FP_DESC_NEG_ADDEND,
    };
    static const uint64_t cmp[] = {
        [IR_FP_EQ] = RV_FP_EQ, [IR_FP_LT] = RV_FP_LT, [IR_FP_LE] = RV_FP_LE,
    };
    static const uint64_t cvt[] = {
        [IR_FP_FROM_W] = RV_CVT_W_TO_F, [IR_FP_FROM_L] = RV_CVT_L_TO_F,
        [IR_FP_TO_W] = RV_CVT_F_TO_W, [IR_FP_TO_L] = RV_CVT_F_TO_L,
    };
    IRFpKind kind = (IRFpKind)(ir & IR_FP_KIND_MASK);
    uint64_t fmt = ir & IR_FP_DOUBLE ? RV_FP_DESC_DOUBLE : 0;
    if (kind >= IR_FP_EQ && kind <= IR_FP_LE) {
        return riscv_helper_fp_cmp.fn(env, a, b, fmt | cmp[kind]);
    }
    if (kind == IR_FP_MIN || kind == IR_FP_MAX) {
        return riscv_do_fp_arith(env, a, b, fmt | (kind == IR_FP_MIN ? RV_FP_MIN : RV_FP_MAX));
    }
    unsigned rm = ir & IR_FP_DYN ? RV_RM_DYN : ir & IR_FP_RTZ ? RV_RM_RTZ : RV_RM_RNE;
    uint64_t desc = fmt | (uint64_t)rm << RV_FP_DESC_RM_SHIFT;
    if (kind >= IR_FP_FROM_W) {
        return riscv_helper_fp_cvt.fn(env, a, desc | cvt[kind], 0);
    }
    if (kind >= IR_FP_MADD) {
        return rv_fp_fma(env, a, b, c, desc | neg[kind]);
    }
    return riscv_do_fp_arith(env, a, b, desc | arith[kind]);
}

const IRFpEnv riscv_fp_env = {
    .name = "riscv",
    .fallback = riscv_fp_fallback,
    .flags_offset = offsetof(RISCVCPU, fflags),
    .nx_mask = RV_FFLAG_NX,
    .rm_offset = offsetof(RISCVCPU, frm),
};

const IRHelper riscv_helper_fp_arith = { "fp_arith", riscv_do_fp_arith };
const IRHelper riscv_helper_fp_fma = { "fp_fma", riscv_do_fp_fma };
