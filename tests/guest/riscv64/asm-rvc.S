/*
 * asm-rvc.S — compressed (C extension) instructions written explicitly:
 * every RV64C integer form, with results printed after each group.
 *
 * The one thing to know: no libc; _start is here and print_hex comes from
 * asm-lib.inc. Each "P reg" prints the register in hex.
 */
#define P(r) mv a0, r; call print_hex

    .globl _start
    .text
_start:
    .option push
    .option rvc
    /* immediates and register moves */
    c.li s0, -32
    P(s0)
    c.li s1, 31
    c.lui s0, 0xfffe1
    P(s0)
    c.lui s0, 1
    c.addi s0, -1
    P(s0)
    c.addi s1, 31
    P(s1)
    c.li a5, -1
    c.addiw a5, 0
    P(a5)
    li a5, 0x7fffffff
    c.addiw a5, 1
    P(a5)
    c.mv a4, a5
    c.add a4, a5
    P(a4)
    /* shifts and logic on the compressed register set (x8-x15) */
    li s0, 0x8000000000000001
    c.srai s0, 1
    P(s0)
    li s0, 0x8000000000000001
    c.srli s0, 63
    P(s0)
    c.slli s0, 62
    P(s0)
    li a3, 0x0ff0
    c.andi a3, -16
    P(a3)
    li a3, 0x0ff0
    c.andi a3, 15
    P(a3)
    li a3, 0xf0f0
    li a4, 0x0ff0
    c.and a3, a4
    P(a3)
    li a3, 0xf0f0
    c.or a3, a4
    P(a3)
    li a3, 0xf0f0
    c.xor a3, a4
    P(a3)
    li a3, 5
    c.sub a3, a4
    P(a3)
    li a3, 0x7fffffff
    li a4, 1
    c.addw a3, a4
    P(a3)
    li a3, 0x80000000
    c.subw a3, a4
    P(a3)
    /* stack-relative and register-relative loads/stores */
    c.addi16sp sp, -64
    c.addi4spn a5, sp, 16
    li a4, 0x1122334455667788
    c.sd a4, 8(a5)
    c.sw a4, 0(a5)
    c.ld a3, 8(a5)
    P(a3)
    c.lw a3, 0(a5)
    P(a3)
    li s1, -2
    c.sdsp s1, 0(sp)
    c.swsp a4, 8(sp)
    c.ldsp a3, 0(sp)
    P(a3)
    c.lwsp a3, 8(sp)
    P(a3)
    c.sw s1, 12(a5)
    c.ld a3, 8(a5)
    P(a3)
    c.addi16sp sp, 64
    /* compressed control flow */
    li s0, 0
    li a4, 10
1:  c.addi s0, 3
    c.addi a4, -1
    c.bnez a4, 1b
    P(s0)
    li a3, 0
    c.beqz a3, 2f
    li s0, 999
2:  P(s0)
    c.j 3f
    li s0, 777
3:  P(s0)
    la a5, sub_ret
    c.jalr a5
    P(a0)
    la a5, tail_target
    c.jr a5
    li a0, 111
    j done
tail_target:
    li s1, 0x1234
    P(s1)
    c.nop
    c.li a0, 0
done:
    call exit_a0

sub_ret:
    li a0, 0x5a
    c.jr ra
    .option pop

#include "asm-lib.inc"
