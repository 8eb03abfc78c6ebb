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
#include "mimic/softmmu.h"
#include "target/riscv64/priv.h"

struct RISCVCPU;

/* What a system-mode hart needs from its machine (NULL in user mode). */
typedef struct RISCVSysOps {
    /* Host pointer for an atomic access of size bytes at guest virtual
     * addr (LR: load permission, SC and AMOs: store); raises the guest
     * exception (misaligned, page or access fault) if there is none. */
    void *(*atomic_ptr)(struct RISCVCPU *cpu, uint64_t addr, unsigned size, bool store);
    /* The time CSR (mtime of the CLINT). */
    uint64_t (*read_time)(struct RISCVCPU *cpu);
    /* Raises exception `cause` with tval at cpu->cs.pc (exact) and leaves
     * through cs.fault_jmp. */
    void (*raise)(struct RISCVCPU *cpu, uint64_t cause, uint64_t tval) __attribute__((noreturn));
} RISCVSysOps;

typedef struct RISCVCPU {
    CPUState cs;          /* must be first; cs.pc is the guest pc */
    uint64_t x[32];       /* x[0] is always 0 */
    uint64_t f[32];       /* FP registers (NaN-boxed singles) */
    uint32_t fflags;      /* accrued FP exception flags */
    uint32_t frm;         /* dynamic rounding mode */
    uint64_t res_addr;    /* LR reservation address, or -1 */
    uint64_t res_val;     /* value loaded by LR */
    uint64_t nb_traps;    /* traps taken (system mode): tells a machine a wfi loop polls */
    uint64_t instret;     /* retired instructions (approximate, for rdinstret) */
    /* System mode only (sys == NULL in user mode). */
    const RISCVSysOps *sys;
    void *machine;        /* the machine's per-hart data */
    RISCVPrivState priv;
    SoftTLB tlb;          /* last: large */
} RISCVCPU;

/* TB flags in system mode (TBKey.flags): the privilege, the soft-MMU mode
 * of loads and stores, and mstatus.FS. */
#define RISCV_TBFLAG_SYSTEM (1u << 0)
#define RISCV_TBFLAG_PRIV_SHIFT 1  /* 2 bits */
#define RISCV_TBFLAG_MODE_SHIFT 3  /* 2 bits */
#define RISCV_TBFLAG_FS_SHIFT 5    /* 2 bits */

/* Soft-MMU modes: which TLB a load or store uses. */
enum { RISCV_MODE_U = 0, RISCV_MODE_S = 1, RISCV_MODE_S_SUM = 2, RISCV_MODE_M = 3 };

/* The mode of loads and stores now (MPRV applied) and of fetches. */
unsigned riscv_data_mode(const RISCVCPU *cpu);
unsigned riscv_fetch_mode(const RISCVCPU *cpu);
uint32_t riscv_tb_flags(const RISCVCPU *cpu);
/* Flushes cpu's soft TLB (helper-priv.c). */
void riscv_sys_tlb_flush(RISCVCPU *cpu);

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
