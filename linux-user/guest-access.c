/*
 * guest-access.c — checked access to guest memory for system calls.
 *
 * The one thing to know: a pointer returned here is valid only for the
 * range that was checked, and only until the guest changes its mappings
 * (single-threaded guests: until the syscall returns).
 */
#include <errno.h>
#include <string.h>

#include "linux-user/guest-mem.h"

void *guest_lock(uint64_t addr, uint64_t len, unsigned access)
{
    if (len == 0) {
        return g2h(0);
    }
    if (!page_check_range(addr, len, access)) {
        return NULL;
    }
    if (access & PAGE_WRITE) {
        code_pages_unprotect(addr, addr + len); /* the kernel must not fault */
    }
    return g2h(addr);
}

int guest_copy_from(void *dst, uint64_t src, size_t len)
{
    const void *p = guest_lock(src, len, GUEST_ACCESS_READ);
    if (!p) {
        return -EFAULT;
    }
    memcpy(dst, p, len);
    return 0;
}

int guest_copy_to(uint64_t dst, const void *src, size_t len)
{
    void *p = guest_lock(dst, len, GUEST_ACCESS_WRITE);
    if (!p) {
        return -EFAULT;
    }
    memcpy(p, src, len);
    return 0;
}

/* Length of the guest string at src, checking page by page; -EFAULT if it
 * runs into an unreadable page, -ENAMETOOLONG past max bytes. */
static int64_t guest_strnlen(uint64_t src, size_t max)
{
    size_t len = 0;
    uint64_t addr = src;
    while (len < max) {
        uint64_t chunk = GUEST_PAGE_SIZE - (addr & ~GUEST_PAGE_MASK);
        if (!page_check_range(addr, 1, PAGE_READ)) {
            return -EFAULT;
        }
        if (chunk > max - len) {
            chunk = max - len;
        }
        const char *p = g2h(addr);
        const char *nul = memchr(p, 0, chunk);
        if (nul) {
            return (int64_t)(len + (size_t)(nul - p));
        }
        len += chunk;
        addr += chunk;
    }
    return -ENAMETOOLONG;
}

int64_t guest_copy_string(char *dst, size_t size, uint64_t src)
{
    int64_t len = guest_strnlen(src, size);
    if (len < 0) {
        return len;
    }
    memcpy(dst, g2h(src), (size_t)len + 1);
    return len;
}
