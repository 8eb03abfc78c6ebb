/*
 * softmmu.h — a RISC-V hart in system mode: its soft MMU (the slow path
 * behind the inline TLB of translated code: page walk, PMP, devices),
 * instruction fetch for the translator, traps and interrupts.
 *
 * The one thing to know: this file's code is built into the system
 * library (it needs the machine's address space), not the target library,
 * so the user-mode emulator does not carry it. A hart is a RISCVCPU whose
 * `sys` points at riscv_sys_ops and whose `machine` at its RISCVSysContext.
 */
#ifndef MIMIC_TARGET_RISCV64_SOFTMMU_H
#define MIMIC_TARGET_RISCV64_SOFTMMU_H

#include "mimic/memory.h"
#include "target/riscv64/cpu.h"

typedef struct RISCVSysContext {
    AddressSpace *as;
    /* mtime (the time CSR). */
    uint64_t (*read_time)(void *opaque);
    void *time_opaque;
    /* The machine lock, taken around device (MMIO) accesses. */
    void (*io_lock)(void *opaque);
    void (*io_unlock)(void *opaque);
    void *lock_opaque;
} RISCVSysContext;

/* The exec core's view: the frontend with the TB key, and the soft MMU. */
const TargetInfo *riscv_sys_target(void);
extern const SoftMMUOps riscv_softmmu_ops;

/* Sets cpu up as hart `hartid` of a machine (M-mode, pc = reset_pc). */
void riscv_sys_cpu_init(RISCVCPU *cpu, RISCVSysContext *ctx, uint64_t hartid, uint64_t reset_pc);
/* A reset of a hart that exists (its exec-core registration is kept). */
void riscv_sys_cpu_reset(RISCVCPU *cpu, uint64_t hartid, uint64_t reset_pc);
/* Takes exception or interrupt `cause` at cs.pc: pc becomes the handler. */
void riscv_sys_take_trap(RISCVCPU *cpu, uint64_t cause, uint64_t tval);
/* Takes the highest-priority pending, enabled interrupt; true if one. */
bool riscv_sys_take_interrupt(RISCVCPU *cpu);
/* Whether wfi should stop waiting: some interrupt pending and enabled in
 * mie (the global enables do not matter). */
bool riscv_sys_wfi_wakeup(const RISCVCPU *cpu);
/* The hart running on this thread (for exec_read_code). */
extern __thread RISCVCPU *riscv_sys_current;

#endif
