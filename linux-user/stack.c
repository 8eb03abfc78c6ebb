/*
 * stack.c — the initial guest stack, laid out exactly as Linux does:
 * argc, argv[], NULL, envp[], NULL, auxv pairs ending in AT_NULL, then the
 * AT_RANDOM bytes and the strings near the top.
 *
 * The one thing to know: strings are packed at the top (argv strings, then
 * env strings, then the AT_EXECFN path, then an 8-byte end marker) and sp
 * is 16-byte aligned with argc at sp, as the RISC-V psABI requires.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "linux-user/guest-mem.h"
#include "linux-user/loader.h"

#define STACK_MAX_STRINGS (GUEST_STACK_SIZE / 4) /* like the kernel's ARG_MAX rule */
#define STACK_NB_AUXV 18

static void stack_put_u64(uint64_t addr, uint64_t v)
{
    memcpy(g2h(addr), &v, sizeof(v));
}

/* Copies the strings of vec (n of them) to addr; stores their guest
 * addresses in ptrs; returns the address after the last one. */
static uint64_t stack_put_strings(uint64_t addr, char *const *vec, int n, uint64_t *ptrs)
{
    for (int i = 0; i < n; i++) {
        size_t len = strlen(vec[i]) + 1;
        memcpy(g2h(addr), vec[i], len);
        ptrs[i] = addr;
        addr += len;
    }
    return addr;
}

static int stack_count(char *const *vec, uint64_t *bytes)
{
    int n = 0;
    for (; vec && vec[n]; n++) {
        *bytes += strlen(vec[n]) + 1;
    }
    return n;
}

uint64_t stack_setup(const StackInfo *info, char *err, size_t errlen)
{
    uint64_t top = guest_limit;
    uint64_t bottom = top - GUEST_STACK_SIZE;
    int64_t r = guest_mmap(bottom, GUEST_STACK_SIZE, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_STACK, -1, 0);
    if (r < 0) {
        snprintf(err, errlen, "cannot map the stack: %s", strerror((int)-r));
        return 0;
    }
    uint64_t bytes = strlen(info->execfn) + 1;
    int argc = info->argc;
    for (int i = 0; i < argc; i++) {
        bytes += strlen(info->argv[i]) + 1;
    }
    int envc = stack_count(info->envp, &bytes);
    if (bytes > STACK_MAX_STRINGS || (uint64_t)argc + (uint64_t)envc > STACK_MAX_STRINGS / 8) {
        snprintf(err, errlen, "%s", strerror(E2BIG));
        return 0;
    }
    uint64_t *ptrs = calloc((size_t)argc + (size_t)envc + 1, sizeof(uint64_t));
    if (!ptrs) {
        snprintf(err, errlen, "%s", strerror(ENOMEM));
        return 0;
    }

    uint64_t strings = top - sizeof(uint64_t) - bytes;
    uint64_t p = stack_put_strings(strings, info->argv, argc, ptrs);
    p = stack_put_strings(p, info->envp, envc, ptrs + argc);
    uint64_t execfn = p;
    memcpy(g2h(execfn), info->execfn, strlen(info->execfn) + 1);
    stack_put_u64(top - sizeof(uint64_t), 0);

    uint64_t random = (strings - 16) & ~15ULL;
    uint8_t rnd[16];
    if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
        memset(rnd, 0x5a, sizeof(rnd));
    }
    memcpy(g2h(random), rnd, sizeof(rnd));

    const ElfImage *exe = info->exe;
    const uint64_t auxv[STACK_NB_AUXV][2] = {
        { AT_HWCAP, RISCV_HWCAP_IMAFDC },
        { AT_PAGESZ, GUEST_PAGE_SIZE },
        { AT_CLKTCK, (uint64_t)sysconf(_SC_CLK_TCK) },
        { AT_PHDR, exe->phdr },
        { AT_PHENT, exe->phentsize },
        { AT_PHNUM, exe->phnum },
        { AT_BASE, info->interp ? info->interp->load_bias : 0 },
        { AT_FLAGS, 0 },
        { AT_ENTRY, exe->entry },
        { AT_UID, getuid() },
        { AT_EUID, geteuid() },
        { AT_GID, getgid() },
        { AT_EGID, getegid() },
        { AT_SECURE, 0 },
        { AT_RANDOM, random },
        { AT_HWCAP2, 0 },
        { AT_EXECFN, execfn },
        { AT_NULL, 0 },
    };
    uint64_t words = 1 + (uint64_t)argc + 1 + (uint64_t)envc + 1 + 2 * STACK_NB_AUXV;
    uint64_t sp = (random - words * sizeof(uint64_t)) & ~15ULL;
    uint64_t w = sp;
    stack_put_u64(w, (uint64_t)argc);
    w += 8;
    for (int i = 0; i < argc; i++, w += 8) {
        stack_put_u64(w, ptrs[i]);
    }
    stack_put_u64(w, 0);
    w += 8;
    for (int i = 0; i < envc; i++, w += 8) {
        stack_put_u64(w, ptrs[argc + i]);
    }
    stack_put_u64(w, 0);
    w += 8;
    for (int i = 0; i < STACK_NB_AUXV; i++, w += 16) {
        stack_put_u64(w, auxv[i][0]);
        stack_put_u64(w + 8, auxv[i][1]);
    }
    free(ptrs);
    return sp;
}
