/*
 * cpu.h — RISC-V 64 CPU state and the frontend's public entry points.
 *
 * The one thing to know: RISCVCPU starts with the generic CPUState so that
 * translated code's env pointer works for both; guest registers are IR
 * globals at fixed offsets in this structure.
 */
#ifndef MIMIC_TARGET_RISCV64_CPU_H
#define MIMIC_TARGET_RISCV64_CPU_H

#include <stdint.h>

#include "mimic/exec.h"

typedef struct RISCVCPU {
    CPUState cs;          /* must be first; cs.pc is the guest pc */
    uint64_t x[32];       /* x[0] is always 0 */
    uint64_t f[32];       /* FP registers (NaN-boxed singles) */
    uint32_t fflags;      /* accrued FP exception flags */
    uint32_t frm;         /* dynamic rounding mode */
    uint64_t res_addr;    /* LR reservation address, or -1 */
    uint64_t res_val;     /* value loaded by LR */
    uint64_t instret;     /* retired instructions (approximate, for rdinstret) */
} RISCVCPU;

/* Conventional register numbers for the Linux ABI. */
enum {
    RV_REG_RA = 1,
    RV_REG_SP = 2,
    RV_REG_GP = 3,
    RV_REG_TP = 4,
    RV_REG_A0 = 10,
    RV_REG_A7 = 17,
};

extern const TargetInfo target_riscv64;

void riscv_cpu_reset(RISCVCPU *cpu);

#endif
