/*
 * helper.h — out-of-line helpers called from translated RISC-V code.
 *
 * The one thing to know: helpers that touch guest memory expect the pc
 * global to hold the instruction's pc (the call writes it to env first), and
 * leave through cs.fault_jmp with EXCP_SEGV / EXCP_BUS on a bad address.
 */
#ifndef MIMIC_TARGET_RISCV64_HELPER_H
#define MIMIC_TARGET_RISCV64_HELPER_H

#include "mimic/ir.h"

/* Operations of riscv_helper_amo; the third argument is op | log2(size) << 8. */
typedef enum RVAmoOp {
    RV_AMO_SWAP,
    RV_AMO_ADD,
    RV_AMO_XOR,
    RV_AMO_AND,
    RV_AMO_OR,
    RV_AMO_MIN,
    RV_AMO_MAX,
    RV_AMO_MINU,
    RV_AMO_MAXU,
} RVAmoOp;

/* Access modes of riscv_helper_csr (third argument). */
typedef enum RVCsrOp {
    RV_CSR_READ,   /* read only */
    RV_CSR_WRITE,  /* csr = value */
    RV_CSR_SET,    /* csr |= value */
    RV_CSR_CLEAR,  /* csr &= ~value */
} RVCsrOp;

/* F/D helper descriptors (third argument): operation in the low bits,
 * RV_FP_DESC_DOUBLE for binary64, the instruction's rm field (7 = dynamic)
 * at RV_FP_DESC_RM_SHIFT. Single-precision operands are passed as register
 * contents (NaN-boxed) and results come back boxed. */
typedef enum RVFpArithOp {
    RV_FP_ADD,
    RV_FP_SUB,
    RV_FP_MUL,
    RV_FP_DIV,
    RV_FP_SQRT,
    RV_FP_MIN,
    RV_FP_MAX,
} RVFpArithOp;

typedef enum RVFpCmpOp {
    RV_FP_EQ,
    RV_FP_LT,
    RV_FP_LE,
    RV_FP_CLASS,
} RVFpCmpOp;

/* Conversions of riscv_helper_fp_cvt: integer kinds, then the formats. */
typedef enum RVFpCvtOp {
    RV_CVT_F_TO_W,
    RV_CVT_F_TO_WU,
    RV_CVT_F_TO_L,
    RV_CVT_F_TO_LU,
    RV_CVT_W_TO_F,
    RV_CVT_WU_TO_F,
    RV_CVT_L_TO_F,
    RV_CVT_LU_TO_F,
    RV_CVT_S_TO_D,
    RV_CVT_D_TO_S,
} RVFpCvtOp;

enum {
    RV_FP_DESC_DOUBLE = 1 << 4,
    RV_FP_DESC_NEG_PRODUCT = 1 << 5,   /* fma: -(a * b) */
    RV_FP_DESC_NEG_ADDEND = 1 << 6,    /* fma: - c */
    RV_FP_DESC_RM_SHIFT = 8,
    RV_FP_DESC_RS3_SHIFT = 16,         /* fma: the addend's register number */
};

extern const IRHelper riscv_helper_lr;   /* (addr, log2 size) -> value */
extern const IRHelper riscv_helper_sc;   /* (addr, value, log2 size) -> 0 ok / 1 fail */
extern const IRHelper riscv_helper_amo;  /* (addr, value, op | size << 8) -> old */
extern const IRHelper riscv_helper_csr;  /* (csr, value, RVCsrOp) -> old */

/* System mode (helper-priv.c). Each may raise a guest exception, so the
 * pc global holds the instruction's pc at the call. */
extern const IRHelper riscv_helper_csr_sys;      /* (csr, value, RVCsrOp) -> old */
extern const IRHelper riscv_helper_sret;         /* () -> next pc */
extern const IRHelper riscv_helper_mret;         /* () -> next pc */
extern const IRHelper riscv_helper_wfi;          /* () */
extern const IRHelper riscv_helper_sfence_vma;   /* () */
extern const IRHelper riscv_helper_full_barrier; /* () fence ordering stores before loads */
extern const IRHelper riscv_helper_fence_i;      /* () system-mode fence.i */
extern const IRHelper riscv_helper_fs_dirty;     /* () leaf: mstatus.FS = Dirty */
/* F/D helpers accumulate fflags in env; the ones with a rounding mode leave
 * through cs.fault_jmp with EXCP_ILLEGAL when it is dynamic and frm is
 * reserved, so the translator sets the pc global first in that case. */
extern const IRHelper riscv_helper_fp_arith; /* (a, b, desc) -> result */
extern const IRHelper riscv_helper_fp_fma;   /* (a, b, desc with rs3) -> a * b + f[rs3] */
extern const IRHelper riscv_helper_fp_cmp;   /* (a, b, desc) -> 0/1, or fclass mask of a */
extern const IRHelper riscv_helper_fp_cvt;   /* (source, desc, unused) -> result */

#endif
