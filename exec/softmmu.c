/*
 * softmmu.c — the generic part of the system-mode soft MMU: flushing a
 * TLB and unwinding translated code for an exception raised by a slow path.
 */
#include <string.h>

#include "exec-internal.h"
#include "mimic/softmmu.h"

void softmmu_tlb_flush(SoftTLB *tlb)
{
    memset(tlb, 0xff, sizeof(*tlb)); /* every compare value SOFTMMU_INVALID */
    tlb->has_large = false;
}

void softmmu_tlb_flush_page(SoftTLB *tlb, uint64_t va)
{
    if (tlb->has_large && (va & tlb->lp_mask) == tlb->lp_addr) {
        softmmu_tlb_flush(tlb);
        return;
    }
    uint64_t page = va & SOFTMMU_PAGE_MASK;
    for (unsigned mode = 0; mode < SOFTMMU_NB_MODES; mode++) {
        SoftTLBEntry *e = softmmu_entry(tlb, mode, va);
        if ((e->addr_read & SOFTMMU_PAGE_MASK) == page ||
            (e->addr_write & SOFTMMU_PAGE_MASK) == page ||
            (e->addr_code & SOFTMMU_PAGE_MASK) == page) {
            e->addr_read = e->addr_write = e->addr_code = SOFTMMU_INVALID;
        }
    }
}

void softmmu_tlb_note_mapping(SoftTLB *tlb, uint64_t va, uint64_t page_mask)
{
    if (page_mask == SOFTMMU_PAGE_MASK) {
        return;
    }
    if (!tlb->has_large) {
        tlb->has_large = true;
        tlb->lp_mask = page_mask;
        tlb->lp_addr = va & page_mask;
        return;
    }
    uint64_t mask = tlb->lp_mask & page_mask;
    while ((tlb->lp_addr ^ va) & mask) {
        mask <<= 1; /* widen until both lie in one aligned range */
    }
    tlb->lp_mask = mask;
    tlb->lp_addr &= mask;
}

void exec_softmmu_unwind(CPUState *cpu, uintptr_t retaddr)
{
    const Backend *be = exec_config()->backend;
    if (retaddr && be->unwind_softmmu) {
        be->unwind_softmmu(cpu, retaddr);
    }
}
