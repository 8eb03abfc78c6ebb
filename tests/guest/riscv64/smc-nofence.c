/*
 * smc-nofence.c — code rewritten without fence.i must still take effect
 * the next time it is called (as under qemu-riscv64 and on hardware with
 * coherent instruction fetch): stores from the program, a read() system
 * call into the code page, a page made writable by mprotect after it ran,
 * a loop that patches the next iteration of its own function, and a loop
 * that patches its own body while it runs (translated as one block that
 * loops on itself: it must leave at its back edge to see the new code).
 *
 * The one thing to know: no fence.i or riscv_flush_icache anywhere here;
 * mimic notices the stores because pages that translated code came from
 * are write-protected on the host.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* addi a0, a0, imm */
static uint32_t enc_addi_a0(int imm)
{
    return ((uint32_t)(imm & 0xfff) << 20) | (10u << 15) | (10u << 7) | 0x13u;
}

#define RET 0x00008067u /* jalr x0, 0(ra) */

typedef long (*Fn)(long);

int main(void)
{
    uint32_t *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        printf("mmap failed\n");
        return 1;
    }
    Fn fn = (Fn)(uintptr_t)code;
    code[0] = enc_addi_a0(1);
    code[1] = RET;
    __asm__ volatile("fence.i" ::: "memory"); /* first install: by the book */
    long a = fn(100);

    code[0] = enc_addi_a0(2); /* plain store, no fence.i */
    long b = fn(100);

    /* A read() system call writes the new instruction. */
    int fds[2];
    uint32_t insn = enc_addi_a0(3);
    if (pipe(fds) != 0 || write(fds[1], &insn, sizeof(insn)) != sizeof(insn) ||
        read(fds[0], code, sizeof(insn)) != sizeof(insn)) {
        printf("pipe failed\n");
        return 1;
    }
    long c = fn(100);

    /* Executable, not writable; then made writable and patched. */
    mprotect(code, 4096, PROT_READ | PROT_EXEC);
    long d = fn(100);
    mprotect(code, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
    code[0] = enc_addi_a0(5);
    long e = fn(100);

    /* Each call patches the function for the next call. */
    long sum = 0;
    for (int i = 1; i <= 10; i++) {
        sum += fn(0);
        code[0] = enc_addi_a0(i * 10);
    }
    /* A loop that rewrites its own first instruction in its first pass:
     *   1: addi a0, a0, 1 ; sw t0, 0(a1) ; addi a2, a2, -1 ; bnez a2, 1b ; ret
     * with t0 = addi a0, a0, 100 and three passes: 1 + 100 + 100. */
    code[0] = enc_addi_a0(1);
    code[1] = (5u << 20) | (11u << 15) | (2u << 12) | 0x23u;              /* sw t0, 0(a1) */
    code[2] = ((uint32_t)(-1 & 0xfff) << 20) | (12u << 15) | (12u << 7) | 0x13u; /* addi a2, a2, -1 */
    code[3] = 0xfe061ae3u;                                                  /* bnez a2, -12 */
    code[4] = RET;
    __asm__ volatile("fence.i" ::: "memory");
    register long a0 __asm__("a0") = 0;
    register uint32_t *a1 __asm__("a1") = code;
    register long a2 __asm__("a2") = 3;
    register uint32_t t0 __asm__("t0") = enc_addi_a0(100);
    __asm__ volatile("jalr ra, 0(%4)"
                     : "+r"(a0), "+r"(a2)
                     : "r"(a1), "r"(t0), "r"(code)
                     : "ra", "memory");
    printf("%ld %ld %ld %ld %ld sum=%ld self-patching loop=%ld\n", a, b, c, d, e, sum, a0);
    return 0;
}
