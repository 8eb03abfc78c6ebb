/*
 * softmmu.h — the software TLB that translated code consults inline for
 * every guest load and store in system mode, and the slow path behind it.
 *
 * The one thing to know: an entry matches an access when the page of the
 * access's LAST byte, with the low bits clear, equals addr_read (or
 * addr_write / addr_code); the host address is then guest address +
 * addend. Anything that must not take the fast path (MMIO, a page the
 * access may not touch, an invalid entry) is an entry whose compare value
 * has low bits set, so it never matches and the access goes to the slow
 * path (SoftMMUOps), which walks the page tables, refills the entry,
 * reaches devices and raises guest exceptions. Accesses that cross a page
 * also go there.
 */
#ifndef MIMIC_SOFTMMU_H
#define MIMIC_SOFTMMU_H

#include <stdbool.h>
#include <stdint.h>

#include "mimic/exec.h"

#define SOFTMMU_PAGE_BITS 12
#define SOFTMMU_PAGE_SIZE (1ull << SOFTMMU_PAGE_BITS)
#define SOFTMMU_PAGE_MASK (~(SOFTMMU_PAGE_SIZE - 1))
#define SOFTMMU_TLB_BITS 10
#define SOFTMMU_TLB_SIZE (1u << SOFTMMU_TLB_BITS)
#define SOFTMMU_NB_MODES 4

/* A compare value that never matches. */
#define SOFTMMU_INVALID UINT64_MAX
/* Set in addr_write for a page that holds translated code: stores take
 * the slow path, which drops the page's translations first. */
#define SOFTMMU_TLB_CODE 1ull

typedef struct SoftTLBEntry {
    uint64_t addr_read;
    uint64_t addr_write;
    uint64_t addr_code;
    uintptr_t addend;
} SoftTLBEntry;

_Static_assert(sizeof(SoftTLBEntry) == 32, "the JIT indexes entries by << 5");

typedef struct SoftTLB {
    SoftTLBEntry e[SOFTMMU_NB_MODES][SOFTMMU_TLB_SIZE];
    /* Physical page of each entry (for the code of the TB key). */
    uint64_t phys[SOFTMMU_NB_MODES][SOFTMMU_TLB_SIZE];
    /* Virtual range [lp_addr, lp_addr + ~lp_mask] covering every entry
     * filled from a mapping larger than a page (when has_large; a mask of
     * 0 is the whole address space): flushing one page there must flush
     * everything. */
    uint64_t lp_addr, lp_mask;
    bool has_large;
} SoftTLB;

static inline SoftTLBEntry *softmmu_entry(SoftTLB *tlb, unsigned mode, uint64_t addr)
{
    return &tlb->e[mode][(addr >> SOFTMMU_PAGE_BITS) & (SOFTMMU_TLB_SIZE - 1)];
}

/* Every entry of every mode invalid. */
void softmmu_tlb_flush(SoftTLB *tlb);
/* The entries for va's page in every mode invalid; everything if va lies
 * in a large mapping some entry came from. */
void softmmu_tlb_flush_page(SoftTLB *tlb, uint64_t va);
/* An entry for va is being filled from a mapping of ~page_mask + 1 bytes. */
void softmmu_tlb_note_mapping(SoftTLB *tlb, uint64_t va, uint64_t page_mask);

/* The slow path, provided by the system-mode target. memop is the ld/st
 * op's IRMemOp (size, sign, mode); retaddr the host return address inside
 * translated code (0 from the interpreter), for exec_softmmu_unwind. A
 * guest exception does not return: it leaves through cpu->fault_jmp. */
typedef struct SoftMMUOps {
    uint64_t (*load)(CPUState *cpu, uint64_t addr, unsigned memop, uintptr_t retaddr);
    void (*store)(CPUState *cpu, uint64_t addr, uint64_t value, unsigned memop,
                  uintptr_t retaddr);
    int32_t tlb_offset; /* offset of the SoftTLB from env */
    /* The TLB mode instruction fetches use while the TB flags are these
     * (for the JIT's inline lookup of indirect jumps). */
    unsigned (*fetch_mode)(uint32_t tb_flags);
} SoftMMUOps;

/* The dirty log of live migration (exec/dirty-log.c), over guest RAM
 * [base, base + size): start (every page clean, fast writes revoked; -1
 * when out of memory) and stop; exec_code_write marks what it is told of;
 * a fill of a clean page must flag its write entry SOFTMMU_TLB_CODE
 * (exec_dirty_fill_check); sync ORs the pages written since the last one
 * into bitmap (one bit per page from base), makes them clean again and
 * returns how many were not set in bitmap yet. Start and sync run an
 * exclusive section: never call them holding a lock a CPU may wait on. */
int exec_dirty_log_start(uint64_t base, uint64_t size);
void exec_dirty_log_stop(void);
void exec_dirty_mark(uint64_t addr, uint64_t len);
bool exec_dirty_fill_check(uint64_t pa);
uint64_t exec_dirty_log_sync(uint64_t *bitmap);

/* Code pages (exec/code-pages.c). Tracks physical pages below phys_limit;
 * 0 or -1 when the bitmap cannot be allocated. */
int exec_code_pages_init(uint64_t phys_limit);
/* The translator is about to read code at physical address pa. */
void exec_code_page_mark(uint64_t pa);
/* After a TLB fill has written a fast write entry for pa's page: true if
 * the page holds code, so the entry must get SOFTMMU_TLB_CODE. */
bool exec_code_page_fill_check(uint64_t pa);
/* Guest memory [addr, addr + len) is about to be written other than by a
 * fast-path store (a slow-path store, DMA, a loader): translations of it
 * are dropped. */
void exec_code_write(uint64_t addr, uint64_t len);
/* After a slow-path store to [addr, addr + len): drops what another hart
 * translated from it while the store was in flight. */
void exec_code_written(uint64_t addr, uint64_t len);
/* fence.i: drops every translation of the pages written as code since the
 * last call (catching translations that raced with those writes). */
void exec_code_sync(void);

/* Makes the guest state in cpu exact for an exception raised by a slow
 * path called from translated code at retaddr (0: already exact). */
void exec_softmmu_unwind(CPUState *cpu, uintptr_t retaddr);

#endif
