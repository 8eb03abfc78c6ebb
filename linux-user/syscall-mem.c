/*
 * syscall-mem.c — memory system calls: brk, mmap, munmap, mprotect,
 * mremap, madvise, msync, and the RISC-V icache flush.
 *
 * The one thing to know: the work is in mmap.c; this file only adapts the
 * guest arguments (and ignores advice that cannot change semantics).
 */
#include <sys/mman.h>

#include "linux-user/guest-mem.h"
#include "linux-user/syscall-nr.h"
#include "linux-user/syscall.h"

static int64_t sys_brk(LinuxTask *t, const uint64_t *a)
{
    return guest_brk(a[0]);
}

static int64_t sys_mmap(LinuxTask *t, const uint64_t *a)
{
    return guest_mmap(a[0], a[1], (int)a[2], (int)a[3], (int)a[4], (int64_t)a[5]);
}

static int64_t sys_munmap(LinuxTask *t, const uint64_t *a)
{
    return guest_munmap(a[0], a[1]);
}

static int64_t sys_mprotect(LinuxTask *t, const uint64_t *a)
{
    return guest_mprotect(a[0], a[1], (int)a[2]);
}

static int64_t sys_mremap(LinuxTask *t, const uint64_t *a)
{
    return guest_mremap(a[0], a[1], a[2], (int)a[3], a[4]);
}

/* MADV_DONTNEED on private anonymous memory zeroes it, which glibc's
 * malloc relies on; everything else is only advice. */
static int64_t sys_madvise(LinuxTask *t, const uint64_t *a)
{
    if (a[0] & ~GUEST_PAGE_MASK) {
        return -EINVAL;
    }
    uint64_t len = guest_page_align(a[1]);
    if (!guest_range_valid(a[0], len)) {
        return -ENOMEM;
    }
    if ((int)a[2] == MADV_DONTNEED && len) {
        if (!page_check_range(a[0], len, PAGE_VALID)) {
            return -ENOMEM;
        }
        return syscall_host_ret(madvise(g2h(a[0]), len, MADV_DONTNEED));
    }
    return 0;
}

static int64_t sys_msync(LinuxTask *t, const uint64_t *a)
{
    uint64_t len = guest_page_align(a[1]);
    if ((a[0] & ~GUEST_PAGE_MASK) || !guest_range_valid(a[0], len)) {
        return -EINVAL;
    }
    if (!page_check_range(a[0], len, PAGE_VALID)) {
        return -ENOMEM;
    }
    return syscall_host_ret(msync(g2h(a[0]), len, (int)a[2]));
}

static int64_t sys_riscv_flush_icache(LinuxTask *t, const uint64_t *a)
{
    exec_tb_flush();
    return 0;
}

const SyscallDef syscalls_mem[] = {
    { NR_brk, "brk", sys_brk, "p", 'p' },
    { NR_mmap, "mmap", sys_mmap, "pdxxdd", 'p' },
    { NR_munmap, "munmap", sys_munmap, "pd", 'd' },
    { NR_mprotect, "mprotect", sys_mprotect, "pdx", 'd' },
    { NR_mremap, "mremap", sys_mremap, "pddxp", 'p' },
    { NR_madvise, "madvise", sys_madvise, "pdd", 'd' },
    { NR_msync, "msync", sys_msync, "pdx", 'd' },
    { NR_riscv_flush_icache, "riscv_flush_icache", sys_riscv_flush_icache, "ppx", 'd' },
    { 0, NULL, NULL, NULL, 0 },
};
