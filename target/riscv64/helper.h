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

extern const IRHelper riscv_helper_lr;   /* (addr, log2 size) -> value */
extern const IRHelper riscv_helper_sc;   /* (addr, value, log2 size) -> 0 ok / 1 fail */
extern const IRHelper riscv_helper_amo;  /* (addr, value, op | size << 8) -> old */
extern const IRHelper riscv_helper_csr;  /* (csr, value, RVCsrOp) -> old */

#endif
