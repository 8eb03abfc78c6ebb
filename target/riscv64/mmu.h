/*
 * mmu.h — RISC-V virtual-memory translation for system mode: the Sv39,
 * Sv48 and Sv57 page-table walk with the privileged spec's permission
 * rules (U, SUM, MXR), superpages, and hardware update of the A and D bits.
 *
 * The one thing to know: the walker knows nothing about guest RAM; it
 * reads and updates page-table entries through the callbacks in
 * RISCVPageTableMemory (the machine's physical address space, which also
 * applies PMP), so it is testable alone and usable from the soft-TLB miss
 * path. Privilege adjustments (MPRV/MPP) are the caller's: it passes the
 * effective privilege of the access.
 */
#ifndef MIMIC_TARGET_RISCV64_MMU_H
#define MIMIC_TARGET_RISCV64_MMU_H

#include <stdbool.h>
#include <stdint.h>

/* satp.MODE values. */
enum {
    RISCV_SATP_BARE = 0,
    RISCV_SATP_SV39 = 8,
    RISCV_SATP_SV48 = 9,
    RISCV_SATP_SV57 = 10,
};

/* Exception causes the walk can raise (mcause/scause values). */
enum {
    RISCV_EXCP_INST_ACCESS_FAULT = 1,
    RISCV_EXCP_LOAD_ACCESS_FAULT = 5,
    RISCV_EXCP_STORE_ACCESS_FAULT = 7,
    RISCV_EXCP_INST_PAGE_FAULT = 12,
    RISCV_EXCP_LOAD_PAGE_FAULT = 13,
    RISCV_EXCP_STORE_PAGE_FAULT = 15,
};

typedef enum RISCVAccess {
    RISCV_ACCESS_FETCH,
    RISCV_ACCESS_LOAD,
    RISCV_ACCESS_STORE, /* also AMOs and SC */
} RISCVAccess;

/* Page-table entry bits (privileged spec, Sv39/48/57 PTE format). */
enum {
    RISCV_PTE_V = 1 << 0,
    RISCV_PTE_R = 1 << 1,
    RISCV_PTE_W = 1 << 2,
    RISCV_PTE_X = 1 << 3,
    RISCV_PTE_U = 1 << 4,
    RISCV_PTE_G = 1 << 5,
    RISCV_PTE_A = 1 << 6,
    RISCV_PTE_D = 1 << 7,
};

/* Permissions granted by a translation, for the TLB. */
enum {
    RISCV_PROT_READ = 1,
    RISCV_PROT_WRITE = 2,
    RISCV_PROT_EXEC = 4,
};

/* Physical memory as seen by the page-table walker. Both return false
 * for an access fault (no memory there, or PMP denies it). */
typedef struct RISCVPageTableMemory {
    void *opaque;
    bool (*read_pte)(void *opaque, uint64_t pa, uint64_t *pte);
    /* Stores new_pte at pa if it still holds old_pte; *written tells
     * whether it did (false: the entry changed, walk again). */
    bool (*update_pte)(void *opaque, uint64_t pa, uint64_t old_pte, uint64_t new_pte,
                       bool *written);
} RISCVPageTableMemory;

typedef struct RISCVTranslateRequest {
    uint64_t satp;
    uint64_t va;
    RISCVAccess access;
    bool user; /* effective privilege is U (else S; M never translates) */
    bool sum;  /* mstatus.SUM: S may load/store U pages */
    bool mxr;  /* mstatus.MXR: loads from executable pages */
} RISCVTranslateRequest;

typedef struct RISCVTranslation {
    uint64_t pa;        /* physical address of va */
    uint64_t page_mask; /* ~(size of the mapping - 1): 4 KiB, 2 MiB, 1 GiB, ... */
    int prot;           /* RISCV_PROT_*: what this privilege may do without a new walk */
} RISCVTranslation;

/* Translates req->va; 0 on success, else the exception cause to raise
 * (stval is the va). */
int riscv_translate(const RISCVTranslateRequest *req, const RISCVPageTableMemory *mem,
                    RISCVTranslation *out);

#endif
