/*
 * mmap.c — guest mmap/munmap/mprotect/mremap/brk inside the guest window.
 *
 * The one thing to know: the whole window is one PROT_NONE reservation made
 * at start-up (with a 64 KiB guard on each side, never mapped); guest mappings are host MAP_FIXED mappings on top of it, and
 * unmapping puts the PROT_NONE reservation back, so no host allocation can
 * ever land inside the window. mmap_lock() serialises every change of the
 * guest mappings and page flags between threads (and is held while code
 * is translated).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "linux-user/guest-mem.h"

uintptr_t guest_base;
uint64_t guest_limit;

static pthread_mutex_t mmap_mutex = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static uint64_t mmap_top;      /* non-fixed mappings go below this */
static uint64_t brk_start;     /* initial program break */
static uint64_t brk_cur;       /* current program break */
static uint64_t brk_end;       /* end of the pages mapped for the heap */

#define MAP_TYPE_MASK 0x0f
#define GUEST_MAP_KNOWN (MAP_TYPE_MASK | MAP_FIXED | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_DENYWRITE | \
                         MAP_EXECUTABLE | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | \
                         MAP_STACK | MAP_HUGETLB | MAP_SYNC | MAP_FIXED_NOREPLACE | \
                         (0x3fu << MAP_HUGE_SHIFT))
/* Flags passed on to the host; the rest are handled here or dropped. */
#define HOST_MAP_PASSED (MAP_TYPE_MASK | MAP_ANONYMOUS | MAP_NORESERVE | MAP_POPULATE | MAP_LOCKED)

void mmap_lock(void)
{
    pthread_mutex_lock(&mmap_mutex);
}

void mmap_unlock(void)
{
    pthread_mutex_unlock(&mmap_mutex);
}

void mmap_lock_after_fork_child(void)
{
    pthread_mutex_t fresh = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
    mmap_mutex = fresh;
}

int guest_memory_init(void)
{
    void *p = mmap(NULL, GUEST_GUARD_SIZE + GUEST_WINDOW_SIZE + GUEST_GUARD_SIZE, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        return -errno;
    }
    guest_base = (uintptr_t)p + GUEST_GUARD_SIZE;
    guest_limit = GUEST_WINDOW_SIZE;
    mmap_top = guest_limit - GUEST_STACK_SIZE - GUEST_PAGE_SIZE;
    return 0;
}

static int host_prot_of(int prot)
{
    int h = 0;
    if (prot & (PROT_READ | PROT_EXEC)) {
        h |= PROT_READ;
    }
    if (prot & PROT_WRITE) {
        h |= PROT_READ | PROT_WRITE;
    }
    return h;
}

static unsigned page_flags_of(int prot)
{
    unsigned f = PAGE_VALID;
    f |= (prot & PROT_READ) ? PAGE_READ : 0;
    f |= (prot & PROT_WRITE) ? PAGE_WRITE : 0;
    f |= (prot & PROT_EXEC) ? PAGE_EXEC : 0;
    return f;
}

/* Drops translations of code in [start, end) if any page there held code. */
static void invalidate_code(uint64_t start, uint64_t end)
{
    if (page_any_flags(start, end, PAGE_EXEC)) {
        exec_tb_invalidate_range(start, end);
    }
}

/* Puts the PROT_NONE reservation back over [start, start + len). */
static void reserve_range(uint64_t start, uint64_t len)
{
    if (mmap(g2h(start), len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1,
             0) == MAP_FAILED) {
        abort(); /* the window would have a hole: nothing safe is left to do */
    }
}

static bool range_free(uint64_t start, uint64_t len)
{
    return guest_range_valid(start, len) && !page_any_flags(start, start + len, PAGE_VALID);
}

/* Chooses where a non-fixed mapping of len bytes goes; UINT64_MAX if full. */
static uint64_t pick_free_range(uint64_t hint, uint64_t len)
{
    if (hint && !(hint & ~GUEST_PAGE_MASK) && hint >= 0x10000 && range_free(hint, len)) {
        return hint;
    }
    return page_find_free(len, mmap_top);
}

int64_t guest_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, int64_t off)
{
    int type = flags & MAP_TYPE_MASK;
    if (len == 0 || (off & (int64_t)~GUEST_PAGE_MASK) || (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) ||
        (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)) {
        return -EINVAL;
    }
    if (type == MAP_SHARED_VALIDATE && (flags & ~GUEST_MAP_KNOWN)) {
        return -EOPNOTSUPP;
    }
    uint64_t alen = guest_page_align(len);
    if (alen == 0 || alen > guest_limit) {
        return -ENOMEM;
    }
    bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
    if (fixed && (addr & ~GUEST_PAGE_MASK)) {
        return -EINVAL;
    }
    mmap_lock();
    int64_t ret;
    uint64_t start = addr;
    if (fixed) {
        if (!guest_range_valid(addr, alen)) {
            ret = -ENOMEM;
            goto out;
        }
        if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED) &&
            page_any_flags(addr, addr + alen, PAGE_VALID)) {
            ret = -EEXIST;
            goto out;
        }
    } else {
        start = pick_free_range(addr, alen);
        if (start == UINT64_MAX) {
            ret = -ENOMEM;
            goto out;
        }
    }
    int hflags = (flags & HOST_MAP_PASSED) | MAP_FIXED;
    if (type == MAP_SHARED_VALIDATE) {
        hflags = (hflags & ~MAP_TYPE_MASK) | MAP_SHARED;
    }
    bool anon = flags & MAP_ANONYMOUS;
    if (mmap(g2h(start), alen, host_prot_of(prot), hflags, anon ? -1 : fd, anon ? 0 : off) ==
        MAP_FAILED) {
        ret = -errno;
        goto out;
    }
    invalidate_code(start, start + alen);
    page_set_flags(start, start + alen, page_flags_of(prot));
    ret = (int64_t)start;
out:
    mmap_unlock();
    return ret;
}

/* Unmaps [start, start + len) (page aligned, in window); lock held. */
static void unmap_locked(uint64_t start, uint64_t len)
{
    reserve_range(start, len);
    invalidate_code(start, start + len);
    page_set_flags(start, start + len, 0);
}

int64_t guest_munmap(uint64_t addr, uint64_t len)
{
    uint64_t alen = guest_page_align(len);
    if ((addr & ~GUEST_PAGE_MASK) || len == 0 || alen == 0 || !guest_range_valid(addr, alen)) {
        return -EINVAL;
    }
    mmap_lock();
    unmap_locked(addr, alen);
    mmap_unlock();
    return 0;
}

int64_t guest_mprotect(uint64_t addr, uint64_t len, int prot)
{
    prot &= ~(PROT_GROWSDOWN | PROT_GROWSUP);
    uint64_t alen = guest_page_align(len);
    if ((addr & ~GUEST_PAGE_MASK) || (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) ||
        (len && !alen)) {
        return -EINVAL;
    }
    if (alen == 0) {
        return 0;
    }
    mmap_lock();
    int64_t ret = 0;
    if (!page_check_range(addr, alen, PAGE_VALID)) {
        ret = -ENOMEM;
    } else if (mprotect(g2h(addr), alen, host_prot_of(prot)) < 0) {
        ret = -errno;
    } else {
        invalidate_code(addr, addr + alen);
        page_set_flags(addr, addr + alen, page_flags_of(prot));
    }
    mmap_unlock();
    return ret;
}

/* Moves the host mapping [old, old + olen) to new_addr with nlen bytes; the
 * old range gets its reservation back. Lock held. */
static int64_t move_locked(uint64_t old, uint64_t olen, uint64_t nlen, uint64_t new_addr,
                           unsigned flags)
{
    if (mremap(g2h(old), olen, nlen, MREMAP_MAYMOVE | MREMAP_FIXED, g2h(new_addr)) == MAP_FAILED) {
        return -errno;
    }
    reserve_range(old, olen);
    invalidate_code(old, old + olen);
    page_set_flags(old, old + olen, 0);
    invalidate_code(new_addr, new_addr + nlen);
    page_set_flags(new_addr, new_addr + nlen, flags);
    return (int64_t)new_addr;
}

/* Tries to grow [old, old + olen) to nlen bytes in place. Lock held. */
static bool grow_in_place_locked(uint64_t old, uint64_t olen, uint64_t nlen, unsigned flags)
{
    uint64_t tail = old + olen;
    if (!range_free(tail, nlen - olen)) {
        return false;
    }
    if (munmap(g2h(tail), nlen - olen) < 0) {
        return false;
    }
    if (mremap(g2h(old), olen, nlen, 0) == MAP_FAILED) {
        reserve_range(tail, nlen - olen);
        return false;
    }
    page_set_flags(tail, old + nlen, flags);
    return true;
}

int64_t guest_mremap(uint64_t old_addr, uint64_t old_len, uint64_t new_len, int flags,
                     uint64_t new_addr)
{
    uint64_t olen = guest_page_align(old_len);
    uint64_t nlen = guest_page_align(new_len);
    if ((flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED)) || (old_addr & ~GUEST_PAGE_MASK) ||
        ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) || nlen == 0 || olen == 0) {
        return -EINVAL;
    }
    mmap_lock();
    int64_t ret;
    if (!page_check_range(old_addr, olen, PAGE_VALID)) {
        ret = -EFAULT;
        goto out;
    }
    unsigned pflags = page_get_flags(old_addr);
    if (flags & MREMAP_FIXED) {
        if ((new_addr & ~GUEST_PAGE_MASK) || !guest_range_valid(new_addr, nlen) ||
            (new_addr < old_addr + olen && old_addr < new_addr + nlen)) {
            ret = -EINVAL;
            goto out;
        }
        ret = move_locked(old_addr, olen, nlen, new_addr, pflags);
    } else if (nlen <= olen) {
        if (nlen < olen) {
            unmap_locked(old_addr + nlen, olen - nlen);
        }
        ret = (int64_t)old_addr;
    } else if (grow_in_place_locked(old_addr, olen, nlen, pflags)) {
        ret = (int64_t)old_addr;
    } else if (flags & MREMAP_MAYMOVE) {
        uint64_t dest = page_find_free(nlen, mmap_top);
        ret = dest == UINT64_MAX ? -ENOMEM : move_locked(old_addr, olen, nlen, dest, pflags);
    } else {
        ret = -ENOMEM;
    }
out:
    mmap_unlock();
    return ret;
}

void guest_brk_init(uint64_t start)
{
    brk_start = brk_cur = start;
    brk_end = guest_page_align(start);
}

int64_t guest_brk(uint64_t addr)
{
    mmap_lock();
    if (addr >= brk_start && addr <= mmap_top) {
        uint64_t new_end = guest_page_align(addr);
        if (new_end > brk_end) {
            uint64_t grow = new_end - brk_end;
            if (range_free(brk_end, grow) &&
                mmap(g2h(brk_end), grow, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
                page_set_flags(brk_end, new_end, page_flags_of(PROT_READ | PROT_WRITE));
                brk_end = new_end;
                brk_cur = addr;
            }
        } else {
            if (new_end < brk_end) {
                unmap_locked(new_end, brk_end - new_end);
                brk_end = new_end;
            }
            brk_cur = addr;
        }
    }
    int64_t ret = (int64_t)brk_cur;
    mmap_unlock();
    return ret;
}
