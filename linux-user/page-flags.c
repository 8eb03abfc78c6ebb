/*
 * page-flags.c — the guest page table of linux-user: PAGE_* flags for each
 * 4 KiB guest page, kept in a two-level table, and exec_read_code() for the
 * frontend.
 *
 * The one thing to know: the table is the truth about what the guest has
 * mapped; host protections follow it, never the other way round. Second
 * level tables are allocated on first use and never freed.
 */
#include <stdlib.h>
#include <string.h>

#include "linux-user/guest-mem.h"

#define L2_BITS 13
#define L2_SIZE (1u << L2_BITS)
#define L1_SIZE (GUEST_WINDOW_SIZE >> (GUEST_PAGE_BITS + L2_BITS))
#define MIN_MMAP_PAGE (0x10000 >> GUEST_PAGE_BITS) /* like vm.mmap_min_addr */

static uint8_t *page_table[L1_SIZE];

static uint8_t *page_entry(uint64_t page, bool alloc)
{
    uint64_t l1 = page >> L2_BITS;
    if (l1 >= L1_SIZE) {
        return NULL;
    }
    /* Writers hold mmap_lock; readers do not, so a new second-level table
     * is published only once it is zeroed. */
    uint8_t *l2 = __atomic_load_n(&page_table[l1], __ATOMIC_ACQUIRE);
    if (!l2) {
        if (!alloc) {
            return NULL;
        }
        l2 = calloc(L2_SIZE, 1);
        if (!l2) {
            abort();
        }
        __atomic_store_n(&page_table[l1], l2, __ATOMIC_RELEASE);
    }
    return &l2[page & (L2_SIZE - 1)];
}

unsigned page_get_flags(uint64_t addr)
{
    const uint8_t *e = page_entry(addr >> GUEST_PAGE_BITS, false);
    return e ? *e : 0;
}

void page_set_flags(uint64_t start, uint64_t end, unsigned flags)
{
    if (flags & PAGE_EXEC) {
        flags |= PAGE_READ;
    }
    for (uint64_t p = start >> GUEST_PAGE_BITS; p < guest_page_align(end) >> GUEST_PAGE_BITS; p++) {
        uint8_t *e = page_entry(p, flags != 0);
        if (e) {
            *e = (uint8_t)flags;
        }
    }
}

bool page_check_range(uint64_t start, uint64_t len, unsigned flags)
{
    if (!guest_range_valid(start, len)) {
        return false;
    }
    if (len == 0) {
        return true;
    }
    flags |= PAGE_VALID;
    uint64_t last = (start + len - 1) >> GUEST_PAGE_BITS;
    for (uint64_t p = start >> GUEST_PAGE_BITS; p <= last; p++) {
        const uint8_t *e = page_entry(p, false);
        if (!e || (*e & flags) != flags) {
            return false;
        }
    }
    return true;
}

bool page_any_flags(uint64_t start, uint64_t end, unsigned flags)
{
    for (uint64_t p = start >> GUEST_PAGE_BITS; p < guest_page_align(end) >> GUEST_PAGE_BITS; p++) {
        uint64_t l1 = p >> L2_BITS;
        if (l1 >= L1_SIZE) {
            break;
        }
        if (!page_table[l1]) {
            p |= L2_SIZE - 1; /* skip the whole unallocated chunk */
            continue;
        }
        if (page_table[l1][p & (L2_SIZE - 1)] & flags) {
            return true;
        }
    }
    return false;
}

uint64_t page_find_run(uint64_t addr, uint64_t *end, unsigned *flags)
{
    uint64_t p = addr >> GUEST_PAGE_BITS, last = GUEST_WINDOW_SIZE >> GUEST_PAGE_BITS;
    while (p < last) {
        const uint8_t *e = page_table[p >> L2_BITS];
        if (!e) {
            p = (p | (L2_SIZE - 1)) + 1;
            continue;
        }
        if (e[p & (L2_SIZE - 1)] & PAGE_VALID) {
            break;
        }
        p++;
    }
    if (p >= last) {
        return UINT64_MAX;
    }
    unsigned f = page_get_flags(p << GUEST_PAGE_BITS);
    uint64_t q = p + 1;
    while (q < last && ((page_get_flags(q << GUEST_PAGE_BITS) ^ f) & ~(unsigned)PAGE_CODE) == 0) {
        q++;
    }
    *flags = f;
    *end = q << GUEST_PAGE_BITS;
    return p << GUEST_PAGE_BITS;
}

uint64_t page_find_free(uint64_t len, uint64_t below)
{
    uint64_t need = guest_page_align(len) >> GUEST_PAGE_BITS;
    uint64_t p = (below & GUEST_PAGE_MASK) >> GUEST_PAGE_BITS; /* exclusive end */
    uint64_t run = 0;
    if (need == 0 || below > GUEST_WINDOW_SIZE) {
        return UINT64_MAX;
    }
    while (p > MIN_MMAP_PAGE) {
        uint64_t l1 = (p - 1) >> L2_BITS;
        if (!page_table[l1]) {
            uint64_t chunk = l1 << L2_BITS;
            if (chunk < MIN_MMAP_PAGE) {
                chunk = MIN_MMAP_PAGE;
            }
            uint64_t avail = p - chunk;
            if (run + avail >= need) {
                return (p - (need - run)) << GUEST_PAGE_BITS;
            }
            run += avail;
            p = chunk;
            continue;
        }
        if (page_table[l1][(p - 1) & (L2_SIZE - 1)] & PAGE_VALID) {
            run = 0;
        } else if (++run == need) {
            return (p - 1) << GUEST_PAGE_BITS;
        }
        p--;
    }
    return UINT64_MAX;
}

bool exec_read_code(uint64_t addr, void *dst, size_t len)
{
    if (!page_check_range(addr, len, PAGE_EXEC)) {
        return false;
    }
    memcpy(dst, g2h(addr), len);
    code_pages_protect(addr, len);
    return true;
}
