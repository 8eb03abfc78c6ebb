/*
 * fpu.h — internal interface of the F/D helpers (helper-fp*.c): formats,
 * rounding modes, exception flags, the exact software rounder and the
 * host-FPU wrappers.
 *
 * The one thing to know: every result that is not computed exactly by the
 * host in the guest's own rounding mode goes through rv_fp_round_pack(),
 * which rounds an exact (or rounded-to-odd) value to binary32/binary64 in any
 * RISC-V rounding mode and detects tininess after rounding, as RISC-V does.
 * See docs/fpu.md.
 */
#ifndef MIMIC_TARGET_RISCV64_FPU_H
#define MIMIC_TARGET_RISCV64_FPU_H

#include <stdbool.h>
#include <stdint.h>

#include "mimic/ir.h"
#include "target/riscv64/cpu.h"

/* RISC-V rounding modes (the rm field and frm). */
enum {
    RV_RM_RNE = 0,
    RV_RM_RTZ = 1,
    RV_RM_RDN = 2,
    RV_RM_RUP = 3,
    RV_RM_RMM = 4,
    RV_RM_DYN = 7,
};

/* fflags bits. */
enum {
    RV_FFLAG_NX = 1,
    RV_FFLAG_UF = 2,
    RV_FFLAG_OF = 4,
    RV_FFLAG_DZ = 8,
    RV_FFLAG_NV = 16,
};

/* An IEEE binary interchange format. */
typedef struct RVFloatFormat {
    unsigned frac_bits;    /* stored fraction bits: 23 or 52 */
    unsigned exp_bits;     /* 8 or 11 */
} RVFloatFormat;

extern const RVFloatFormat rv_fmt_s;
extern const RVFloatFormat rv_fmt_d;

#define RV_BOX32 0xffffffff00000000ULL
#define RV_CANONICAL_NAN32 0x7fc00000ULL
#define RV_CANONICAL_NAN64 0x7ff8000000000000ULL

static inline int rv_fmt_bias(const RVFloatFormat *f)
{
    return (1 << (f->exp_bits - 1)) - 1;
}

static inline uint64_t rv_fmt_sign(const RVFloatFormat *f)
{
    return 1ULL << (f->frac_bits + f->exp_bits);
}

static inline uint64_t rv_fmt_frac_mask(const RVFloatFormat *f)
{
    return (1ULL << f->frac_bits) - 1;
}

static inline uint64_t rv_fmt_exp_field(const RVFloatFormat *f, uint64_t v)
{
    return (v >> f->frac_bits) & ((1ULL << f->exp_bits) - 1);
}

static inline bool rv_fp_is_inf_or_nan(const RVFloatFormat *f, uint64_t v)
{
    return rv_fmt_exp_field(f, v) == (1ULL << f->exp_bits) - 1;
}

static inline bool rv_fp_is_nan(const RVFloatFormat *f, uint64_t v)
{
    return rv_fp_is_inf_or_nan(f, v) && (v & rv_fmt_frac_mask(f)) != 0;
}

static inline bool rv_fp_is_snan(const RVFloatFormat *f, uint64_t v)
{
    return rv_fp_is_nan(f, v) && !(v & (1ULL << (f->frac_bits - 1)));
}

static inline bool rv_fp_is_zero(const RVFloatFormat *f, uint64_t v)
{
    return (v & (rv_fmt_sign(f) - 1)) == 0;
}

static inline uint64_t rv_fp_canonical_nan(const RVFloatFormat *f)
{
    return f == &rv_fmt_s ? RV_CANONICAL_NAN32 : RV_CANONICAL_NAN64;
}

/* a < b for values of format f that are not NaN, with -0 below +0. */
static inline bool rv_fp_total_lt(const RVFloatFormat *f, uint64_t a, uint64_t b)
{
    bool sa = (a & rv_fmt_sign(f)) != 0, sb = (b & rv_fmt_sign(f)) != 0;
    if (sa != sb) {
        return sa;
    }
    return sa ? a > b : a < b;
}

/* The format of single (false) or double (true) operands. */
static inline const RVFloatFormat *rv_fmt(bool dbl)
{
    return dbl ? &rv_fmt_d : &rv_fmt_s;
}

/* Operand value of FP register contents r in format f: a single that is
 * not NaN-boxed reads as the canonical NaN. */
static inline uint64_t rv_fp_unbox(const RVFloatFormat *f, uint64_t r)
{
    if (f == &rv_fmt_d) {
        return r;
    }
    return (r >> 32) == 0xffffffff ? (r & 0xffffffff) : RV_CANONICAL_NAN32;
}

/* Register contents for a result v in format f (singles are NaN-boxed). */
static inline uint64_t rv_fp_box(const RVFloatFormat *f, uint64_t v)
{
    return f == &rv_fmt_d ? v : (v | RV_BOX32);
}

/* A finite value as (-1)^sign * sig * 2^exp (sig == 0 for zeros). */
typedef struct RVUnpacked {
    bool sign;
    int exp;
    uint64_t sig;
} RVUnpacked;

/* Unpacks a finite (non-NaN, non-infinite) value of format f exactly. */
RVUnpacked rv_fp_unpack(const RVFloatFormat *f, uint64_t v);

/* Rounds (-1)^sign * sig * 2^exp to format f in rounding mode rm (0..4) and
 * ORs NX/UF/OF into *flags. sig must be exact, or rounded to odd with at
 * least 2 more significant bits than f has (its bit 0 then carries the
 * sticky information). sig == 0 gives a zero of that sign. */
uint64_t rv_fp_round_pack(const RVFloatFormat *f, bool sign, int exp, uint64_t sig,
                          unsigned rm, uint32_t *flags);

/* Whether rounding away the low `shift` bits of sig (1..64) in mode rm for a
 * value of the given sign increments the kept part; *inexact is set when
 * bits are discarded. */
bool rv_fp_round_up(uint64_t sig, unsigned shift, unsigned rm, bool sign, bool *inexact);

/* Operations the host FPU performs. */
typedef enum RVHostOp {
    RV_HOST_ADD,
    RV_HOST_SUB,
    RV_HOST_MUL,
    RV_HOST_DIV,
    RV_HOST_SQRT,
    RV_HOST_FMA,   /* a * b + c */
} RVHostOp;

/* a op b (c for FMA) in binary64 on the host in rounding mode rm (0..3);
 * ORs the RISC-V flags the host raised into *flags. Host state is restored. */
double rv_host_op_d(RVHostOp op, double a, double b, double c, unsigned rm, uint32_t *flags);

/* a op b (c for FMA) in x87 extended precision (64-bit significand),
 * truncated; ORs the RISC-V flags the host raised into *flags. */
long double rv_host_op_ext_rtz(RVHostOp op, long double a, long double b, long double c,
                               uint32_t *flags);

/* The rounding mode an instruction uses: rm, or frm when rm is dynamic.
 * Raises an illegal-instruction exception (does not return) when frm holds
 * a reserved mode; the translator has set the pc for that case. */
unsigned rv_fp_resolve_rm(RISCVCPU *cpu, unsigned rm);

/* The frontend's description of its FP state for the IR fp op: fallback
 * riscv_fp_fallback (helper-fp.c), fflags and frm in RISCVCPU. */
extern const IRFpEnv riscv_fp_env;

#endif
