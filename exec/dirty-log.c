/*
 * dirty-log.c — system mode: which guest RAM pages were written since the
 * migration last looked, for live migration's pre-copy rounds.
 *
 * The one thing to know: a page is "clean" while its bit is clear; a TLB
 * fill of a clean page gives a write entry flagged SOFTMMU_TLB_CODE, so
 * the first store takes the slow path, which (through exec_code_write,
 * also the devices' DMA hook) sets the bit; later stores are fast. A sync
 * runs in an exclusive section: no store is in flight while the bits are
 * taken and every write entry of every CPU is flagged again, so a store
 * either landed before the migration reads the page or sets its bit anew.
 */
#include <stdlib.h>
#include <string.h>

#include "exec-internal.h"
#include "mimic/softmmu.h"

static uint64_t *dirty_bits;      /* kept allocated (reachable) once made */
static uint64_t dirty_words;
static uint64_t dirty_base_page, dirty_npages;
static bool dirty_on;

static void revoke_all_writes(CPUState *cpu, void *opaque)
{
    SoftTLB *tlb = (SoftTLB *)((char *)cpu + exec_config()->softmmu->tlb_offset);
    for (unsigned mode = 0; mode < SOFTMMU_NB_MODES; mode++) {
        for (unsigned i = 0; i < SOFTMMU_TLB_SIZE; i++) {
            uint64_t *w = &tlb->e[mode][i].addr_write;
            if (__atomic_load_n(w, __ATOMIC_RELAXED) != SOFTMMU_INVALID) {
                __atomic_fetch_or(w, SOFTMMU_TLB_CODE, __ATOMIC_SEQ_CST);
            }
        }
    }
}

int exec_dirty_log_start(uint64_t base, uint64_t size)
{
    uint64_t words = ((size >> SOFTMMU_PAGE_BITS) + 63) / 64;
    if (words > dirty_words) {
        free(dirty_bits);
        dirty_bits = calloc(words, sizeof(uint64_t));
        dirty_words = dirty_bits ? words : 0;
        if (!dirty_bits) {
            return -1;
        }
    }
    exec_start_exclusive();
    memset(dirty_bits, 0, dirty_words * sizeof(uint64_t));
    dirty_base_page = base >> SOFTMMU_PAGE_BITS;
    dirty_npages = size >> SOFTMMU_PAGE_BITS;
    __atomic_store_n(&dirty_on, true, __ATOMIC_SEQ_CST);
    exec_cpu_foreach(revoke_all_writes, NULL);
    exec_end_exclusive();
    return 0;
}

void exec_dirty_log_stop(void)
{
    __atomic_store_n(&dirty_on, false, __ATOMIC_SEQ_CST);
}

void exec_dirty_mark(uint64_t addr, uint64_t len)
{
    if (!__atomic_load_n(&dirty_on, __ATOMIC_SEQ_CST) || !len) {
        return;
    }
    uint64_t first = addr >> SOFTMMU_PAGE_BITS, last = (addr + len - 1) >> SOFTMMU_PAGE_BITS;
    if (last < first) {
        return;
    }
    for (uint64_t page = first; page <= last; page++) {
        uint64_t p = page - dirty_base_page;
        if (page >= dirty_base_page && p < dirty_npages &&
            !((__atomic_load_n(&dirty_bits[p / 64], __ATOMIC_RELAXED) >> (p % 64)) & 1)) {
            __atomic_fetch_or(&dirty_bits[p / 64], 1ull << (p % 64), __ATOMIC_SEQ_CST);
        }
    }
}

bool exec_dirty_fill_check(uint64_t pa)
{
    if (!__atomic_load_n(&dirty_on, __ATOMIC_SEQ_CST)) {
        return false;
    }
    uint64_t page = pa >> SOFTMMU_PAGE_BITS, p = page - dirty_base_page;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return page >= dirty_base_page && p < dirty_npages &&
           !((__atomic_load_n(&dirty_bits[p / 64], __ATOMIC_SEQ_CST) >> (p % 64)) & 1);
}

uint64_t exec_dirty_log_sync(uint64_t *bitmap)
{
    uint64_t n = 0;
    exec_start_exclusive();
    for (uint64_t i = 0; i < (dirty_npages + 63) / 64; i++) {
        uint64_t w = __atomic_exchange_n(&dirty_bits[i], 0, __ATOMIC_SEQ_CST);
        n += (uint64_t)__builtin_popcountll(w & ~bitmap[i]);
        bitmap[i] |= w;
    }
    exec_cpu_foreach(revoke_all_writes, NULL);
    exec_end_exclusive();
    return n;
}
