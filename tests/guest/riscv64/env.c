/*
 * env.c — what the loader hands to a new program: argc/argv, the GUEST_*
 * environment variables, and the auxiliary vector.
 *
 * The one thing to know: only host-independent facts are printed (argv[0]'s
 * basename, GUEST_* variables in order, AT_PAGESZ, the I/M/A/C bits of
 * AT_HWCAP, whether pointers are present and consistent), so the output is
 * the same under every emulator and build directory (GUEST_* sorted).
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char **environ;
extern char _start[];

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(int argc, char **argv, char **envp)
{
    printf("argc=%d\n", argc);
    printf("argv[0] basename=%s\n", base_name(argv[0]));
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=[%s] len=%zu\n", i, argv[i], strlen(argv[i]));
    printf("argv[argc]=%s\n", argv[argc] ? "non-null" : "NULL");
    printf("envp==environ: %d\n", envp == environ);
    const char *guest[32];
    int n = 0;
    for (char **e = envp; *e && n < 32; e++)
        if (strncmp(*e, "GUEST_", 6) == 0)
            guest[n++] = *e;
    qsort(guest, n, sizeof(guest[0]), str_cmp); /* environment order is not ABI */
    for (int i = 0; i < n; i++)
        printf("env %s\n", guest[i]);

    unsigned long hwcap = getauxval(AT_HWCAP);
    printf("AT_PAGESZ=%lu\n", getauxval(AT_PAGESZ));
    printf("AT_HWCAP I=%lu M=%lu A=%lu C=%lu\n", (hwcap >> ('I' - 'A')) & 1,
           (hwcap >> ('M' - 'A')) & 1, (hwcap >> ('A' - 'A')) & 1, (hwcap >> ('C' - 'A')) & 1);
    printf("AT_PHENT=%lu AT_PHNUM=%lu\n", getauxval(AT_PHENT), getauxval(AT_PHNUM));
    const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
    int has_load = 0;
    for (unsigned long i = 0; ph && i < getauxval(AT_PHNUM); i++)
        has_load |= ph[i].p_type == PT_LOAD;
    printf("AT_PHDR readable with PT_LOAD: %d\n", has_load);
    printf("AT_ENTRY==_start: %d\n", getauxval(AT_ENTRY) == (uintptr_t)_start);
    printf("AT_UID==getuid: %d AT_GID==getgid: %d\n", getauxval(AT_UID) == getuid(),
           getauxval(AT_GID) == getgid());
    printf("AT_EUID==geteuid: %d AT_SECURE=%lu\n", getauxval(AT_EUID) == geteuid(),
           getauxval(AT_SECURE));
    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    unsigned acc = 0;
    for (int i = 0; rnd && i < 16; i++)
        acc |= rnd[i];
    printf("AT_RANDOM present: %d nonzero: %d\n", rnd != NULL, acc != 0);
    const char *fn = (const char *)getauxval(AT_EXECFN);
    printf("AT_EXECFN basename=%s\n", fn ? base_name(fn) : "(none)");
    printf("argv 8-aligned: %d\n", ((uintptr_t)argv & 7) == 0);
    return 0;
}
