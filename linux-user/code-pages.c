/*
 * code-pages.c — write protection of guest pages that translated code came
 * from, so that a store to one of them drops the stale translations
 * (self-modifying code and JITs that skip fence.i, code pages made
 * writable later).
 *
 * The one thing to know: the guest's view does not change. A protected
 * page keeps PAGE_WRITE in the page table and gains PAGE_CODE; only the
 * host mapping loses write access. The first store (from translated code,
 * a helper, or the interpreter) faults on the host, the handler calls
 * code_pages_unprotect() and the store is retried; system calls that write
 * guest memory unprotect their range first (guest_lock). Both directions
 * run under mmap_lock: a store in one thread may fault while another
 * thread translates from the same page.
 */
#include <sys/mman.h>

#include "linux-user/guest-mem.h"

/* Host protection for a page with these guest flags (never writable when
 * PAGE_CODE is set). */
static int code_pages_host_prot(unsigned flags)
{
    if (!(flags & (PAGE_READ | PAGE_EXEC))) {
        return PROT_NONE;
    }
    bool writable = (flags & PAGE_WRITE) && !(flags & PAGE_CODE);
    return PROT_READ | (writable ? PROT_WRITE : 0);
}

void code_pages_protect(uint64_t addr, uint64_t len)
{
    mmap_lock();
    uint64_t end = guest_page_align(addr + len);
    for (uint64_t page = addr & GUEST_PAGE_MASK; page < end; page += GUEST_PAGE_SIZE) {
        unsigned flags = page_get_flags(page);
        if ((flags & PAGE_WRITE) && !(flags & PAGE_CODE)) {
            flags |= PAGE_CODE;
            page_set_flags(page, page + GUEST_PAGE_SIZE, flags);
            mprotect(g2h(page), GUEST_PAGE_SIZE, code_pages_host_prot(flags));
        }
    }
    mmap_unlock();
}

bool code_pages_unprotect(uint64_t start, uint64_t end)
{
    bool any = false;
    if (!guest_range_valid(start, end - start)) {
        return false;
    }
    mmap_lock();
    for (uint64_t page = start & GUEST_PAGE_MASK; page < end; page += GUEST_PAGE_SIZE) {
        unsigned flags = page_get_flags(page);
        if (flags & PAGE_CODE) {
            flags &= ~(unsigned)PAGE_CODE;
            page_set_flags(page, page + GUEST_PAGE_SIZE, flags);
            mprotect(g2h(page), GUEST_PAGE_SIZE, code_pages_host_prot(flags));
            exec_tb_invalidate_range(page, page + GUEST_PAGE_SIZE);
            any = true;
        }
    }
    mmap_unlock();
    return any;
}
