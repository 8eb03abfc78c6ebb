/*
 * dyn-proc.c — the guest's view of /proc/self in a dynamic program:
 * readlink("/proc/self/exe") names the guest program (not the emulator),
 * opening it reads a RISC-V ELF, /proc/self/auxv holds the auxiliary
 * vector the program started with (the same values getauxval() returns,
 * AT_BASE = where ld.so was loaded), /proc/self/maps lists the guest's
 * mappings (the program's code, libc from the sysroot, the stack), and
 * /proc/self/cmdline is the guest's argv (no emulator, no options).
 *
 * The one thing to know: only facts are printed, never addresses or
 * host paths, so the output is the same under any emulator.
 */
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static void check_exe(const char *argv0)
{
    char link[PATH_MAX], real[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", link, sizeof(link) - 1);
    if (n < 0) {
        printf("readlink /proc/self/exe failed\n");
        return;
    }
    link[n] = '\0';
    printf("/proc/self/exe -> .../%s, absolute: %d, same as argv[0]: %d\n", base_name(link),
           link[0] == '/', realpath(argv0, real) && strcmp(real, link) == 0);
    int fd = open("/proc/self/exe", O_RDONLY);
    Elf64_Ehdr eh;
    if (fd < 0 || read(fd, &eh, sizeof(eh)) != sizeof(eh)) {
        printf("cannot read /proc/self/exe\n");
    } else {
        printf("/proc/self/exe is an ELF for machine %d (RISC-V is %d)\n", eh.e_machine, EM_RISCV);
    }
    if (fd >= 0) {
        close(fd);
    }
}

static void check_auxv(void)
{
    FILE *f = fopen("/proc/self/auxv", "r");
    if (!f) {
        printf("cannot open /proc/self/auxv\n");
        return;
    }
    uint64_t pair[2];
    int n = 0, same = 0, compared = 0, ended = 0;
    static const unsigned long checked[] = { AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE,
                                             AT_ENTRY, AT_UID, AT_HWCAP, AT_RANDOM, AT_EXECFN };
    while (fread(pair, sizeof(pair), 1, f) == 1) {
        n++;
        if (pair[0] == AT_NULL) {
            ended = 1;
            break;
        }
        for (size_t i = 0; i < sizeof(checked) / sizeof(checked[0]); i++) {
            if (pair[0] == checked[i]) {
                compared++;
                same += getauxval(pair[0]) == pair[1];
            }
        }
        if (pair[0] == AT_PAGESZ) {
            printf("AT_PAGESZ %llu\n", (unsigned long long)pair[1]);
        }
        if (pair[0] == AT_BASE) {
            printf("AT_BASE nonzero: %d\n", pair[1] != 0);
        }
        if (pair[0] == AT_EXECFN) {
            printf("AT_EXECFN: %s\n", base_name((const char *)(uintptr_t)pair[1]));
        }
    }
    fclose(f);
    printf("auxv: ends with AT_NULL %d, %d of %d checked entries match getauxval\n", ended, same,
           compared);
}

static int range_has(const char *line, uintptr_t addr)
{
    unsigned long lo, hi;
    return sscanf(line, "%lx-%lx", &lo, &hi) == 2 && addr >= lo && addr < hi;
}

static void check_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) {
        printf("cannot open /proc/self/maps\n");
        return;
    }
    char line[512];
    int code = 0, libc = 0, stack = 0, ld = 0, well_formed = 1;
    volatile int local = 0;
    uintptr_t main_addr = (uintptr_t)&check_maps;
    while (fgets(line, sizeof(line), f)) {
        char perms[8];
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || lo >= hi) {
            well_formed = 0;
            continue;
        }
        if (range_has(line, main_addr)) {
            code = perms[0] == 'r' && perms[2] == 'x' && strstr(line, "rv64-dyn-proc") != NULL;
        }
        if (range_has(line, (uintptr_t)&local)) {
            stack = perms[0] == 'r' && perms[1] == 'w';
        }
        libc |= strstr(line, "libc.so.6") != NULL && perms[2] == 'x';
        ld |= strstr(line, "ld-linux-riscv64-lp64d.so.1") != NULL;
    }
    fclose(f);
    printf("maps: well formed %d, code r-x in the program %d, libc r-x %d, ld.so %d, stack rw %d\n",
           well_formed, code, libc, ld, stack);
}

static void check_cmdline(int argc, char **argv)
{
    char buf[4096];
    FILE *f = fopen("/proc/self/cmdline", "r");
    size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;
    if (f) {
        fclose(f);
    }
    size_t want = 0;
    int same = 1;
    for (int i = 0; i < argc; i++) {
        size_t len = strlen(argv[i]) + 1;
        same &= want + len <= n && memcmp(buf + want, argv[i], len) == 0;
        want += len;
    }
    printf("cmdline: %d arguments, is argv: %d\n", argc, same && n == want);
}

int main(int argc, char **argv)
{
    check_cmdline(argc, argv);
    check_exe(argv[0]);
    check_auxv();
    check_maps();
    return 0;
}
