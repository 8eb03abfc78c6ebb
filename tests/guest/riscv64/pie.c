/*
 * pie.c — a static-PIE program (ET_DYN, no interpreter, built -nostdlib
 * -static-pie): the emulator's loader must map it at some base, and the
 * program relocates itself (R_RISCV_RELATIVE) before using any pointer table.
 *
 * The one thing to know: Debian's riscv64 glibc has no static-PIE start
 * files (rcrt1.o), so this program brings its own _start, relocation loop
 * and write/exit system calls; addresses are never printed.
 */
#include <elf.h>
#include <stdint.h>

extern const Elf64_Ehdr __ehdr_start __attribute__((visibility("hidden")));
extern Elf64_Dyn _DYNAMIC[] __attribute__((visibility("hidden")));

static long sys3(long n, long a, long b, long c)
{
    register long a0 __asm__("a0") = a;
    register long a1 __asm__("a1") = b;
    register long a2 __asm__("a2") = c;
    register long a7 __asm__("a7") = n;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}

static void put(const char *s)
{
    long n = 0;
    while (s[n])
        n++;
    sys3(64, 1, (long)s, n); /* write */
}

static void put_num(long v)
{
    char buf[24];
    int i = 23;
    int neg = v < 0;
    unsigned long u = neg ? -(unsigned long)v : (unsigned long)v;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (neg)
        buf[--i] = '-';
    put(buf + i);
}

static void relocate_self(void)
{
    uintptr_t base = (uintptr_t)&__ehdr_start;
    const Elf64_Rela *rela = 0;
    unsigned long relasz = 0;
    for (Elf64_Dyn *d = _DYNAMIC; d->d_tag != DT_NULL; d++) {
        if (d->d_tag == DT_RELA)
            rela = (const Elf64_Rela *)(base + d->d_un.d_ptr);
        else if (d->d_tag == DT_RELASZ)
            relasz = d->d_un.d_val;
    }
    for (unsigned long i = 0; rela && i < relasz / sizeof(*rela); i++)
        if (ELF64_R_TYPE(rela[i].r_info) == R_RISCV_RELATIVE)
            *(uint64_t *)(base + rela[i].r_offset) = base + rela[i].r_addend;
}

static int counter = 3;
static int *counter_ptr = &counter;
static const char *const names[] = {"zero", "one", "two", "three"};
static int twice(int x) { return 2 * x; }
static int square(int x) { return x * x; }
static int (*const ops[])(int) = {twice, square};

__attribute__((used)) static void start_c(long *sp)
{
    relocate_self();
    long argc = sp[0];
    put("argc=");
    put_num(argc);
    put("\nelf type=");
    put_num(__ehdr_start.e_type);
    *counter_ptr += 4;
    put("\ncounter=");
    put_num(counter);
    for (int i = 0; i < 4; i++) {
        put("\nname=");
        put(names[i]);
    }
    put("\nops=");
    put_num(ops[0](21));
    put(" ");
    put_num(ops[1](12));
    put("\nload base page-aligned=");
    put_num(((uintptr_t)&__ehdr_start & 4095) == 0);
    put("\n");
    sys3(93, 0, 0, 0); /* exit */
}

__asm__(".globl _start\n"
        "_start:\n"
        "    mv a0, sp\n"
        "    andi sp, sp, -16\n"
        "    call start_c\n");
