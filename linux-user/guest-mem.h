/*
 * guest-mem.h — the guest address space of a linux-user process: the page
 * flags table, guest mmap/munmap/mprotect/mremap/brk, and the checked
 * helpers that syscalls use to touch guest memory.
 *
 * The one thing to know: every guest address a syscall receives must go
 * through guest_lock()/guest_copy_*() (window bounds and page flags) before
 * the host touches g2h(addr); nothing else makes a guest pointer safe.
 */
#ifndef LINUX_USER_GUEST_MEM_H
#define LINUX_USER_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mimic/exec.h"

#define GUEST_PAGE_BITS 12
#define GUEST_PAGE_SIZE (1ULL << GUEST_PAGE_BITS)
#define GUEST_PAGE_MASK (~(GUEST_PAGE_SIZE - 1))
#define GUEST_WINDOW_SIZE (1ULL << 38) /* Sv39 user address space */
#define GUEST_STACK_SIZE (8ULL << 20)
/* PROT_NONE bytes reserved on each side of the window: an access at a
 * checked base plus a displacement of up to IR_MAX_DISP lands there when it
 * is off the window (the x86-64 backend checks bases, not addresses), and
 * exec/fault.c classifies host faults up to 64 KiB either side of the
 * window as guest faults. */
#define GUEST_GUARD_SIZE (64ULL << 10)

static inline uint64_t guest_page_align(uint64_t a)
{
    return (a + GUEST_PAGE_SIZE - 1) & GUEST_PAGE_MASK;
}

/* Per-page flags. PAGE_EXEC implies PAGE_READ (as on Linux/RISC-V). */
enum {
    PAGE_VALID = 1 << 0,
    PAGE_READ = 1 << 1,
    PAGE_WRITE = 1 << 2,
    PAGE_EXEC = 1 << 3,
    /* Translated code came from this writable page: the host mapping is
     * read-only until the next store (code-pages.c). Not part of the
     * guest's view. */
    PAGE_CODE = 1 << 4,
};

/* page-flags.c */
unsigned page_get_flags(uint64_t addr);
/* Sets the flags of every page in [start, end) (page aligned, in window). */
void page_set_flags(uint64_t start, uint64_t end, unsigned flags);
/* True if every page of [start, start + len) has all of `flags`. */
bool page_check_range(uint64_t start, uint64_t len, unsigned flags);
/* True if some page of [start, end) has any of `flags`. */
bool page_any_flags(uint64_t start, uint64_t end, unsigned flags);
/* The first run of mapped pages at or after addr whose flags are all the
 * same: returns its start and sets *end and *flags; UINT64_MAX if none. */
uint64_t page_find_run(uint64_t addr, uint64_t *end, unsigned *flags);
/* Highest free run of len bytes (page aligned) that ends at or below
 * `below`; returns the start, or UINT64_MAX if none. */
uint64_t page_find_free(uint64_t len, uint64_t below);

/* True if [addr, addr + len) lies inside the guest window (no overflow). */
static inline bool guest_range_valid(uint64_t addr, uint64_t len)
{
    return addr <= guest_limit && len <= guest_limit - addr;
}

/* mmap.c — all return a guest address or a negative guest errno. */
int guest_memory_init(void);
/* The lock on guest mappings and page flags (recursive; taken before
 * exec's tb_lock, never while waiting for an exclusive section). */
void mmap_lock(void);
void mmap_unlock(void);
/* In a fork child, instead of mmap_unlock() (the owner was the parent's thread). */
void mmap_lock_after_fork_child(void);
int64_t guest_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, int64_t off);
int64_t guest_munmap(uint64_t addr, uint64_t len);
int64_t guest_mprotect(uint64_t addr, uint64_t len, int prot);
int64_t guest_mremap(uint64_t old_addr, uint64_t old_len, uint64_t new_len, int flags,
                     uint64_t new_addr);
/* brk: the program break starts at `start` (set by the loader). */
void guest_brk_init(uint64_t start);
int64_t guest_brk(uint64_t addr);

/* code-pages.c */
/* Write-protects the writable pages of [addr, addr + len) on the host. */
void code_pages_protect(uint64_t addr, uint64_t len);
/* Makes the protected pages of [start, end) writable again and drops their
 * translations; false if none was protected (the fault is not ours). */
bool code_pages_unprotect(uint64_t start, uint64_t end);

/* guest-access.c — checked access from syscalls. */
enum { GUEST_ACCESS_READ = PAGE_READ, GUEST_ACCESS_WRITE = PAGE_WRITE | PAGE_READ };
/* Host pointer for [addr, addr + len) if it is in the window and every page
 * has the access; NULL otherwise. len 0 always succeeds (the pointer is
 * not to be dereferenced). */
void *guest_lock(uint64_t addr, uint64_t len, unsigned access);
/* 0 or -EFAULT. */
int guest_copy_from(void *dst, uint64_t src, size_t len);
int guest_copy_to(uint64_t dst, const void *src, size_t len);
/* Copies a NUL-terminated guest string into dst (size bytes); returns its
 * length, -EFAULT, or -ENAMETOOLONG. */
int64_t guest_copy_string(char *dst, size_t size, uint64_t src);

#endif
