/*
 * priv.h — the RISC-V privileged architecture state of one hart for system
 * mode: privilege level, the machine and supervisor CSRs with their WARL
 * rules, trap entry with delegation, mret/sret, and interrupt selection.
 *
 * The one thing to know: this is plain state plus pure functions, kept out
 * of the translator: a CSR access, a trap or an xRET is a helper call that
 * lands here, and the caller ends the translation block whenever the
 * privilege, the address translation or the interrupt enables may have
 * changed (riscv_priv_csr_write returns whether they did).
 */
#ifndef MIMIC_TARGET_RISCV64_PRIV_H
#define MIMIC_TARGET_RISCV64_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "target/riscv64/mmu.h"

enum { PRV_U = 0, PRV_S = 1, PRV_M = 3 };

/* Interrupt numbers (mip/mie bits, and cause codes with bit 63 set). */
enum {
    IRQ_S_SOFT = 1,
    IRQ_M_SOFT = 3,
    IRQ_S_TIMER = 5,
    IRQ_M_TIMER = 7,
    IRQ_S_EXT = 9,
    IRQ_M_EXT = 11,
};

/* Exception causes beyond the MMU's. */
enum {
    RISCV_EXCP_INST_MISALIGNED = 0,
    RISCV_EXCP_ILLEGAL_INST = 2,
    RISCV_EXCP_BREAKPOINT = 3,
    RISCV_EXCP_LOAD_MISALIGNED = 4,
    RISCV_EXCP_STORE_MISALIGNED = 6,
    RISCV_EXCP_ECALL_U = 8,
    RISCV_EXCP_ECALL_S = 9,
    RISCV_EXCP_ECALL_M = 11,
};

#define RISCV_CAUSE_INTERRUPT (1ull << 63)

/* mstatus bits. */
#define MSTATUS_SIE (1ull << 1)
#define MSTATUS_MIE (1ull << 3)
#define MSTATUS_SPIE (1ull << 5)
#define MSTATUS_MPIE (1ull << 7)
#define MSTATUS_SPP (1ull << 8)
#define MSTATUS_MPP_SHIFT 11
#define MSTATUS_MPP (3ull << MSTATUS_MPP_SHIFT)
#define MSTATUS_FS (3ull << 13)
#define MSTATUS_MPRV (1ull << 17)
#define MSTATUS_SUM (1ull << 18)
#define MSTATUS_MXR (1ull << 19)
#define MSTATUS_TVM (1ull << 20)
#define MSTATUS_TW (1ull << 21)
#define MSTATUS_TSR (1ull << 22)
#define MSTATUS_SD (1ull << 63)

#define MENVCFG_STCE (1ull << 63)
#define RISCV_PMP_ENTRIES 16

typedef struct RISCVPrivState {
    uint8_t priv;
    uint64_t mhartid;
    uint64_t mstatus;
    uint64_t medeleg, mideleg;
    uint64_t mie;
    uint64_t mip_sw;    /* mip bits written by software (SSIP, STIP, SEIP) */
    uint64_t mip_hw;    /* mip bits driven by devices (MSIP, MTIP, MEIP, SEIP, STIP with Sstc) */
    uint64_t mtvec, mscratch, mepc, mcause, mtval;
    uint64_t stvec, sscratch, sepc, scause, stval, satp;
    uint32_t mcounteren, scounteren, mcountinhibit;
    uint64_t menvcfg, senvcfg;
    uint64_t stimecmp;
    uint8_t pmpcfg[RISCV_PMP_ENTRIES];
    uint64_t pmpaddr[RISCV_PMP_ENTRIES];
} RISCVPrivState;

/* Reset state: M-mode, interrupts off, nothing delegated, bare addressing. */
void riscv_priv_reset(RISCVPrivState *s, uint64_t hartid);

/* Results of CSR accesses. */
enum {
    RISCV_CSR_OK = 0,
    RISCV_CSR_ILLEGAL = -1,    /* raise an illegal-instruction exception */
    RISCV_CSR_NOT_PRIV = -2,   /* not a privileged CSR: the user-level CSR code decides */
};

/* Reads csr at the current privilege (time and the counters are the
 * user-level CSR code's: RISCV_CSR_NOT_PRIV). */
int riscv_priv_csr_read(RISCVPrivState *s, unsigned csr, uint64_t *value);
/* Writes csr; *flush is set when privilege, translation or interrupt state
 * changed (the caller must leave the block and re-check interrupts). */
int riscv_priv_csr_write(RISCVPrivState *s, unsigned csr, uint64_t value, bool *flush);

/* Effective mip (software bits | device lines). */
uint64_t riscv_priv_mip(const RISCVPrivState *s);
/* Sets or clears a device-driven mip bit (IRQ_*). */
void riscv_priv_set_irq(RISCVPrivState *s, unsigned irq, bool level);
/* The interrupt to take before the next instruction (its number), or -1. */
int riscv_priv_pending_interrupt(const RISCVPrivState *s);

/* Takes an exception (cause) or interrupt (RISCV_CAUSE_INTERRUPT | n) at pc;
 * returns the handler's pc. */
uint64_t riscv_priv_trap(RISCVPrivState *s, uint64_t pc, uint64_t cause, uint64_t tval);
/* mret / sret: the pc to continue at, or UINT64_MAX if illegal here. */
uint64_t riscv_priv_mret(RISCVPrivState *s);
uint64_t riscv_priv_sret(RISCVPrivState *s);
/* Whether wfi (and sfence.vma) is legal at the current privilege. */
bool riscv_priv_wfi_allowed(const RISCVPrivState *s);
bool riscv_priv_sfence_allowed(const RISCVPrivState *s);

/* pmp.c: what `priv` may do to all of [addr, addr + size): a mask of
 * RISCV_PMP_R, _W and _X. */
enum { RISCV_PMP_R = 1, RISCV_PMP_W = 2, RISCV_PMP_X = 4 };
unsigned riscv_pmp_perms(const RISCVPrivState *s, uint64_t addr, uint64_t size, unsigned priv);
/* pmp.c: may `priv` access [addr, addr + size) this way? */
bool riscv_pmp_check(const RISCVPrivState *s, uint64_t addr, uint64_t size, RISCVAccess access,
                     unsigned priv);

/* The privilege loads and stores use (MPRV) and a translation request for
 * an access at va; returns false when the access is not translated (M). */
bool riscv_priv_translate_request(const RISCVPrivState *s, RISCVAccess access, uint64_t va,
                                  RISCVTranslateRequest *req);

#endif
