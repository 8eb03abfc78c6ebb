/*
 * code-pages.c — system mode: which guest physical pages hold translated
 * code, so that a write to one of them drops that page's translations at
 * once and fence.i does not have to flush the whole cache.
 *
 * The one thing to know: a page is marked (a bit in code_bitmap) before
 * the translator reads its bytes, and the mark then makes every CPU's soft
 * TLB write entry for that page miss: existing entries are flagged here,
 * and a fill that races with the marking re-checks the bit after writing
 * its entry (exec_code_page_fill_check; both sides use sequentially
 * consistent operations, so one of them always sees the other). A store
 * that misses reaches the slow path, which calls exec_code_write() before
 * writing: the page's TBs are invalidated and the mark cleared, so later
 * stores are fast again until the page is executed anew. Devices call
 * exec_code_write() (through the address space's write hook) for DMA.
 * A store already past its check when another hart marks the page can
 * land after that hart read the old bytes: slow-path stores look again
 * after writing (exec_code_written), and the pages written as code are
 * listed so that the guest's fence.i (exec_code_sync) drops whatever was
 * translated from them meanwhile; without this, Linux -smp 2 ran stale
 * code about once in 40 boots (text patching during CPU bring-up).
 * Pages are tracked below exec_code_pages_init()'s limit only; without it
 * (user mode) every function here does nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "exec-internal.h"
#include "mimic/softmmu.h"

#define PAGE_HASH_BITS 14
#define PAGE_HASH_SIZE (1u << PAGE_HASH_BITS)

static uint64_t *code_bitmap;     /* one bit per page below code_limit */
static size_t code_bitmap_bytes;
static uint64_t code_limit_pages;
/* TBs by physical page: chains of (tb | k) values threaded through the
 * TBs' page_next[k], k being which of the TB's pages the link is for. */
static uintptr_t page_hash[PAGE_HASH_SIZE];
/* Code pages written since the last exec_code_sync() (tb_lock held): a
 * translation that raced with those writes (a hart reading the page while
 * another's store to it was in flight) is dropped by the guest's fence.i. */
#define WRITTEN_MAX 64
static uint64_t written_pages[WRITTEN_MAX];
static unsigned nb_written;
static bool written_overflow;
/* Pages read by the translation in progress (tb_lock held). */
static uint64_t pending_pages[TB_MAX_PAGES];
static unsigned nb_pending;

int exec_code_pages_init(uint64_t phys_limit)
{
    code_limit_pages = (phys_limit + SOFTMMU_PAGE_SIZE - 1) >> SOFTMMU_PAGE_BITS;
    code_bitmap_bytes = ((code_limit_pages + 63) / 64) * sizeof(uint64_t);
    void *p = mmap(NULL, code_bitmap_bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        code_limit_pages = 0;
        return -1;
    }
    code_bitmap = p;
    return 0;
}

static inline bool page_marked(uint64_t page)
{
    return page < code_limit_pages &&
           (__atomic_load_n(&code_bitmap[page / 64], __ATOMIC_SEQ_CST) >> (page % 64)) & 1;
}

static inline uint32_t page_hash_index(uint64_t page)
{
    return (uint32_t)((page * 0x9e3779b97f4a7c15ull) >> (64 - PAGE_HASH_BITS));
}

/* Flags every TLB write entry of cpu that maps page (see the file comment). */
static void revoke_fast_writes(CPUState *cpu, void *opaque)
{
    uint64_t pa = *(const uint64_t *)opaque;
    SoftTLB *tlb = (SoftTLB *)((char *)cpu + exec_config()->softmmu->tlb_offset);
    for (unsigned mode = 0; mode < SOFTMMU_NB_MODES; mode++) {
        for (unsigned i = 0; i < SOFTMMU_TLB_SIZE; i++) {
            if (__atomic_load_n(&tlb->phys[mode][i], __ATOMIC_RELAXED) == pa) {
                __atomic_fetch_or(&tlb->e[mode][i].addr_write, SOFTMMU_TLB_CODE,
                                  __ATOMIC_SEQ_CST);
            }
        }
    }
}

void exec_code_page_mark(uint64_t pa)
{
    uint64_t page = pa >> SOFTMMU_PAGE_BITS;
    if (page >= code_limit_pages) {
        return;
    }
    tb_lock();
    bool pending = false;
    for (unsigned i = 0; i < nb_pending; i++) {
        pending |= pending_pages[i] == page;
    }
    if (!pending && nb_pending < TB_MAX_PAGES) {
        pending_pages[nb_pending++] = page;
    }
    if (!page_marked(page)) {
        __atomic_fetch_or(&code_bitmap[page / 64], 1ull << (page % 64), __ATOMIC_SEQ_CST);
        uint64_t page_pa = page << SOFTMMU_PAGE_BITS;
        exec_cpu_foreach(revoke_fast_writes, &page_pa);
    }
    tb_unlock();
}

bool exec_code_page_fill_check(uint64_t pa)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return page_marked(pa >> SOFTMMU_PAGE_BITS);
}

void tb_pages_begin(void)
{
    nb_pending = 0;
}

void tb_pages_link(TranslationBlock *tb)
{
    tb->nb_pages = nb_pending;
    for (unsigned k = 0; k < nb_pending; k++) {
        uint32_t h = page_hash_index(pending_pages[k]);
        tb->page_addr[k] = pending_pages[k];
        tb->page_next[k] = page_hash[h];
        page_hash[h] = (uintptr_t)tb | k;
    }
    nb_pending = 0;
}

static void note_written(uint64_t page)
{
    for (unsigned i = 0; i < nb_written; i++) {
        if (written_pages[i] == page) {
            return;
        }
    }
    if (nb_written < WRITTEN_MAX) {
        written_pages[nb_written++] = page;
    } else {
        written_overflow = true;
    }
}

/* Invalidates every TB on page and unmarks it (tb_lock held). */
static void invalidate_page(uint64_t page)
{
    __atomic_fetch_and(&code_bitmap[page / 64], ~(1ull << (page % 64)), __ATOMIC_SEQ_CST);
    uintptr_t *link = &page_hash[page_hash_index(page)];
    while (*link) {
        TranslationBlock *tb = (TranslationBlock *)(*link & ~(uintptr_t)1);
        unsigned k = *link & 1;
        if (tb->page_addr[k] == page) {
            *link = tb->page_next[k];
            tb_invalidate_locked(tb);
        } else {
            link = &tb->page_next[k];
        }
    }
}

void exec_code_write(uint64_t addr, uint64_t len)
{
    exec_dirty_mark(addr, len); /* live migration sends the page again */
    if (!len || !code_limit_pages) {
        return;
    }
    uint64_t first = addr >> SOFTMMU_PAGE_BITS;
    uint64_t last = (addr + len - 1) >> SOFTMMU_PAGE_BITS;
    if (last < first || last >= code_limit_pages) {
        last = code_limit_pages - 1; /* wrapped or beyond: only tracked pages matter */
    }
    for (uint64_t page = first; page <= last; page++) {
        if (page_marked(page)) {
            tb_lock();
            if (page_marked(page)) {
                invalidate_page(page);
                note_written(page);
            }
            tb_unlock();
        }
    }
}

void exec_code_written(uint64_t addr, uint64_t len)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the store before the mark's load */
    exec_code_write(addr, len);
}

void exec_code_sync(void)
{
    if (!code_limit_pages) {
        return;
    }
    tb_lock();
    if (written_overflow) {
        exec_tb_invalidate_range(0, UINT64_MAX); /* too many to track: every TB */
    } else {
        for (unsigned i = 0; i < nb_written; i++) {
            if (page_marked(written_pages[i])) {
                invalidate_page(written_pages[i]);
            }
        }
    }
    nb_written = 0;
    written_overflow = false;
    tb_unlock();
}

void tb_pages_reset(void)
{
    memset(page_hash, 0, sizeof(page_hash));
    nb_pending = 0;
    nb_written = 0;
    written_overflow = false;
    if (code_bitmap) {
        memset(code_bitmap, 0, code_bitmap_bytes);
    }
}
