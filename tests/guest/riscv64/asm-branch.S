/*
 * asm-branch.S — conditional branches on signed/unsigned edge pairs, jal and
 * jalr (with offsets and link registers other than ra), a jump table, a long
 * backward loop, and jumps across pages.
 *
 * The one thing to know: each branch test shifts one taken/not-taken bit
 * into s1, so one printed word summarises many branches; the exit status is
 * 0 only if the last check passes.
 */
#define P(r) mv a0, r; call print_hex
/* shift 1 into s1 if "op a, b" branches, else 0 */
#define BR(op, a, b) \
    slli s1, s1, 1; op a, b, 9f; j 8f; 9: ori s1, s1, 1; 8:

    .globl _start
    .text
    .option norvc
_start:
    li s2, 0
    li s3, -1
    li s4, 0x8000000000000000
    li s5, 0x7fffffffffffffff
    li s6, 1
    li s1, 0
    BR(beq, s2, s2) BR(beq, s2, s3) BR(bne, s2, s3) BR(bne, s4, s4)
    BR(blt, s3, s2) BR(blt, s2, s3) BR(blt, s4, s5) BR(blt, s5, s4)
    BR(blt, s6, s6) BR(bge, s6, s6) BR(bge, s2, s3) BR(bge, s4, s5)
    BR(bltu, s3, s2) BR(bltu, s2, s3) BR(bltu, s4, s5) BR(bltu, s5, s4)
    BR(bgeu, s3, s2) BR(bgeu, s2, s3) BR(bgeu, s4, s4) BR(bgeu, s6, s2)
    P(s1)
    li s1, 0
    BR(beq, s2, zero) BR(bne, s2, zero) BR(blt, s4, zero) BR(bge, s4, zero)
    BR(blt, zero, s6) BR(bge, zero, s6) BR(bge, zero, s2) BR(blt, zero, s3)
    P(s1)

    /* jal / jalr with various link registers and offsets */
    jal t0, 1f
    li a0, 0xbad
1:  la t1, 1b
    sub a0, t0, t1      /* link - label: li is 8 bytes, so -8 */
    P(a0)
    lla t1, target_t2 - 12
    jalr t2, 12(t1)
    P(a0)
    la t1, target
    jalr t1             /* jalr ra, 0(t1) */
    P(a0)

    /* jump table */
    li s7, 0
    li s8, 0
2:  la t0, table
    slli t1, s8, 3
    add t0, t0, t1
    ld t0, 0(t0)
    jr t0
case0: addi s7, s7, 1
    j 3f
case1: addi s7, s7, 10
    j 3f
case2: addi s7, s7, 100
3:  addi s8, s8, 1
    li t0, 6
    blt s8, t0, 2b
    P(s7)

    /* long backward loop: sum 1..100000 */
    li t0, 100000
    li s9, 0
4:  add s9, s9, t0
    addi t0, t0, -1
    bnez t0, 4b
    P(s9)

    /* jumps across pages */
    li s10, 0
    j far1
back_from_far:
    addi s10, s10, 2
    P(s10)
    li a0, 0
    call exit_a0

target:
    li a0, 0x7a7
    ret

target_t2:
    li a0, 0x7b2
    jr t2

    .section .rodata
    .balign 8
table:
    .dword case0, case1, case2, case2, case1, case0

    .text
    .balign 4096
    .skip 4096 - 8
far1:
    addi s10, s10, 1     /* straddles nothing but lives on the next page */
    j far2
    .skip 8192
far2:
    addi s10, s10, 4
    j back_from_far

#include "asm-lib.inc"
