/*
 * smc.c — self-modifying code: writes a tiny function into an RWX page,
 * executes fence.i, calls it; rewrites it in place, fence.i, calls again;
 * and finally patches one instruction inside a loop body that already ran.
 *
 * The one thing to know: a translator that keeps a stale translation after
 * fence.i prints the old values; the expected output has the new ones.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

/* addi a0, a0, imm (I-type, rd = rs1 = x10) */
static uint32_t enc_addi_a0(int imm)
{
    return ((uint32_t)(imm & 0xfff) << 20) | (10u << 15) | (10u << 7) | 0x13u;
}

#define RET 0x00008067u  /* jalr x0, 0(ra) */

static void fence_i(void)
{
    __asm__ volatile(".4byte 0x0000100f" ::: "memory"); /* fence.i */
}

typedef long (*Fn)(long);

int main(void)
{
    uint32_t *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        printf("mmap rwx failed\n");
        return 1;
    }
    Fn fn = (Fn)(uintptr_t)code;

    code[0] = enc_addi_a0(5);
    code[1] = RET;
    fence_i();
    printf("first:  f(10) = %ld\n", fn(10));

    code[0] = enc_addi_a0(-100);
    fence_i();
    printf("second: f(10) = %ld\n", fn(10));

    /* Two additions, then replace the second with a different one. */
    code[0] = enc_addi_a0(1);
    code[1] = enc_addi_a0(2);
    code[2] = RET;
    fence_i();
    long sum = 0;
    for (int i = 0; i < 5; i++) {
        sum += fn(i);
        if (i == 2) {
            code[1] = enc_addi_a0(1000);
            fence_i();
        }
    }
    printf("loop sum = %ld\n", sum);
    munmap(code, 4096);
    return 0;
}
