/*
 * test-riscv-decode.c — unit tests of the generated RISC-V decoder and the
 * operand formatter behind -d in_asm.
 *
 * The one thing to know: the expected texts were checked against GNU objdump
 * (-M no-aliases) on the same words: every mnemonic matches objdump except
 * that mimic does not print the .aq/.rl suffixes of atomics. Like objdump,
 * the rounding mode of an FP instruction is printed unless it is dynamic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "target/riscv64/decode.h"

typedef struct DecodeCase {
    uint64_t pc;
    uint32_t insn;
    unsigned len;
    const char *text;
} DecodeCase;

/* One of every instruction mimic decodes, as assembled by riscv64-linux-gnu-as. */
static const DecodeCase decode_cases[] = {
    { 0x0, 0x123455b7, 4, "lui a1, 0x12345" },
    { 0x4, 0xfffff617, 4, "auipc a2, 0xfffff" },
    { 0x8, 0x010000ef, 4, "jal ra, 0x18" },
    { 0xc, 0xffc58567, 4, "jalr a0, -4(a1)" },
    { 0x10, 0x00b50463, 4, "beq a0, a1, 0x18" },
    { 0x14, 0xfeb51ce3, 4, "bne a0, a1, 0xc" },
    { 0x18, 0x7eb54fe3, 4, "blt a0, a1, 0x1016" },
    { 0x1c, 0x00b55463, 4, "bge a0, a1, 0x24" },
    { 0x20, 0x00b56463, 4, "bltu a0, a1, 0x28" },
    { 0x24, 0x80b57063, 4, "bgeu a0, a1, 0xfffffffffffff024" },
    { 0x28, 0x80058503, 4, "lb a0, -2048(a1)" },
    { 0x2c, 0x7ff59503, 4, "lh a0, 2047(a1)" },
    { 0x30, 0x0045a503, 4, "lw a0, 4(a1)" },
    { 0x34, 0x0085b503, 4, "ld a0, 8(a1)" },
    { 0x38, 0x0045c503, 4, "lbu a0, 4(a1)" },
    { 0x3c, 0x0045d503, 4, "lhu a0, 4(a1)" },
    { 0x40, 0x0045e503, 4, "lwu a0, 4(a1)" },
    { 0x44, 0xfea58fa3, 4, "sb a0, -1(a1)" },
    { 0x48, 0x00a59223, 4, "sh a0, 4(a1)" },
    { 0x4c, 0x00a5a223, 4, "sw a0, 4(a1)" },
    { 0x50, 0x00a5b223, 4, "sd a0, 4(a1)" },
    { 0x54, 0xfff58513, 4, "addi a0, a1, -1" },
    { 0x58, 0x0055a513, 4, "slti a0, a1, 5" },
    { 0x5c, 0x0055b513, 4, "sltiu a0, a1, 5" },
    { 0x60, 0xfff5c513, 4, "xori a0, a1, -1" },
    { 0x64, 0x0055e513, 4, "ori a0, a1, 5" },
    { 0x68, 0x0055f513, 4, "andi a0, a1, 5" },
    { 0x6c, 0x02159513, 4, "slli a0, a1, 33" },
    { 0x70, 0x03f5d513, 4, "srli a0, a1, 63" },
    { 0x74, 0x4015d513, 4, "srai a0, a1, 1" },
    { 0x78, 0x00c58533, 4, "add a0, a1, a2" },
    { 0x7c, 0x40c58533, 4, "sub a0, a1, a2" },
    { 0x80, 0x00c59533, 4, "sll a0, a1, a2" },
    { 0x84, 0x00c5a533, 4, "slt a0, a1, a2" },
    { 0x88, 0x00c5b533, 4, "sltu a0, a1, a2" },
    { 0x8c, 0x00c5c533, 4, "xor a0, a1, a2" },
    { 0x90, 0x00c5d533, 4, "srl a0, a1, a2" },
    { 0x94, 0x40c5d533, 4, "sra a0, a1, a2" },
    { 0x98, 0x00c5e533, 4, "or a0, a1, a2" },
    { 0x9c, 0x00c5f533, 4, "and a0, a1, a2" },
    { 0xa0, 0x0055851b, 4, "addiw a0, a1, 5" },
    { 0xa4, 0x01f5951b, 4, "slliw a0, a1, 31" },
    { 0xa8, 0x0055d51b, 4, "srliw a0, a1, 5" },
    { 0xac, 0x4055d51b, 4, "sraiw a0, a1, 5" },
    { 0xb0, 0x00c5853b, 4, "addw a0, a1, a2" },
    { 0xb4, 0x40c5853b, 4, "subw a0, a1, a2" },
    { 0xb8, 0x00c5953b, 4, "sllw a0, a1, a2" },
    { 0xbc, 0x00c5d53b, 4, "srlw a0, a1, a2" },
    { 0xc0, 0x40c5d53b, 4, "sraw a0, a1, a2" },
    { 0xc4, 0x0330000f, 4, "fence" },
    { 0xc8, 0x0000100f, 4, "fence.i" },
    { 0xcc, 0x00000073, 4, "ecall" },
    { 0xd0, 0x00100073, 4, "ebreak" },
    { 0xd4, 0x10200073, 4, "sret" },
    { 0xd8, 0x30200073, 4, "mret" },
    { 0xdc, 0x10500073, 4, "wfi" },
    { 0xe0, 0x12b50073, 4, "sfence.vma a0, a1" },
    { 0xd4, 0x00359573, 4, "csrrw a0, fcsr, a1" },
    { 0xd8, 0xc0002573, 4, "csrrs a0, cycle, zero" },
    { 0xdc, 0x0015b573, 4, "csrrc a0, fflags, a1" },
    { 0xe0, 0x0021d573, 4, "csrrwi a0, frm, 3" },
    { 0xe4, 0x0010e573, 4, "csrrsi a0, fflags, 1" },
    { 0xe8, 0x0010f573, 4, "csrrci a0, fflags, 1" },
    { 0xec, 0x02c58533, 4, "mul a0, a1, a2" },
    { 0xf0, 0x02c59533, 4, "mulh a0, a1, a2" },
    { 0xf4, 0x02c5a533, 4, "mulhsu a0, a1, a2" },
    { 0xf8, 0x02c5b533, 4, "mulhu a0, a1, a2" },
    { 0xfc, 0x02c5c533, 4, "div a0, a1, a2" },
    { 0x100, 0x02c5d533, 4, "divu a0, a1, a2" },
    { 0x104, 0x02c5e533, 4, "rem a0, a1, a2" },
    { 0x108, 0x02c5f533, 4, "remu a0, a1, a2" },
    { 0x10c, 0x02c5853b, 4, "mulw a0, a1, a2" },
    { 0x110, 0x02c5c53b, 4, "divw a0, a1, a2" },
    { 0x114, 0x02c5d53b, 4, "divuw a0, a1, a2" },
    { 0x118, 0x02c5e53b, 4, "remw a0, a1, a2" },
    { 0x11c, 0x02c5f53b, 4, "remuw a0, a1, a2" },
    { 0x120, 0x1005a52f, 4, "lr.w a0, (a1)" },
    { 0x124, 0x18c5a52f, 4, "sc.w a0, a2, (a1)" },
    { 0x128, 0x08c5a52f, 4, "amoswap.w a0, a2, (a1)" },
    { 0x12c, 0x04c5a52f, 4, "amoadd.w a0, a2, (a1)" },
    { 0x130, 0x22c5a52f, 4, "amoxor.w a0, a2, (a1)" },
    { 0x134, 0x66c5a52f, 4, "amoand.w a0, a2, (a1)" },
    { 0x138, 0x40c5a52f, 4, "amoor.w a0, a2, (a1)" },
    { 0x13c, 0x80c5a52f, 4, "amomin.w a0, a2, (a1)" },
    { 0x140, 0xa0c5a52f, 4, "amomax.w a0, a2, (a1)" },
    { 0x144, 0xc0c5a52f, 4, "amominu.w a0, a2, (a1)" },
    { 0x148, 0xe0c5a52f, 4, "amomaxu.w a0, a2, (a1)" },
    { 0x14c, 0x1405b52f, 4, "lr.d a0, (a1)" },
    { 0x150, 0x1ac5b52f, 4, "sc.d a0, a2, (a1)" },
    { 0x154, 0x08c5b52f, 4, "amoswap.d a0, a2, (a1)" },
    { 0x158, 0x00c5b52f, 4, "amoadd.d a0, a2, (a1)" },
    { 0x15c, 0x20c5b52f, 4, "amoxor.d a0, a2, (a1)" },
    { 0x160, 0x60c5b52f, 4, "amoand.d a0, a2, (a1)" },
    { 0x164, 0x40c5b52f, 4, "amoor.d a0, a2, (a1)" },
    { 0x168, 0x80c5b52f, 4, "amomin.d a0, a2, (a1)" },
    { 0x16c, 0xa0c5b52f, 4, "amomax.d a0, a2, (a1)" },
    { 0x170, 0xc0c5b52f, 4, "amominu.d a0, a2, (a1)" },
    { 0x174, 0xe0c5b52f, 4, "amomaxu.d a0, a2, (a1)" },
    { 0x178, 0x20c5a533, 4, "sh1add a0, a1, a2" },
    { 0x17c, 0x20c5c533, 4, "sh2add a0, a1, a2" },
    { 0x180, 0x20c5e533, 4, "sh3add a0, a1, a2" },
    { 0x184, 0x08c5853b, 4, "add.uw a0, a1, a2" },
    { 0x188, 0x20c5a53b, 4, "sh1add.uw a0, a1, a2" },
    { 0x18c, 0x20c5c53b, 4, "sh2add.uw a0, a1, a2" },
    { 0x190, 0x20c5e53b, 4, "sh3add.uw a0, a1, a2" },
    { 0x194, 0x0a85951b, 4, "slli.uw a0, a1, 40" },
    { 0x198, 0x40c5f533, 4, "andn a0, a1, a2" },
    { 0x19c, 0x40c5e533, 4, "orn a0, a1, a2" },
    { 0x1a0, 0x40c5c533, 4, "xnor a0, a1, a2" },
    { 0x1a4, 0x0ac5e533, 4, "max a0, a1, a2" },
    { 0x1a8, 0x0ac5f533, 4, "maxu a0, a1, a2" },
    { 0x1ac, 0x0ac5c533, 4, "min a0, a1, a2" },
    { 0x1b0, 0x0ac5d533, 4, "minu a0, a1, a2" },
    { 0x1b4, 0x60c59533, 4, "rol a0, a1, a2" },
    { 0x1b8, 0x60c5d533, 4, "ror a0, a1, a2" },
    { 0x1bc, 0x60c5953b, 4, "rolw a0, a1, a2" },
    { 0x1c0, 0x60c5d53b, 4, "rorw a0, a1, a2" },
    { 0x1c4, 0x60059513, 4, "clz a0, a1" },
    { 0x1c8, 0x60159513, 4, "ctz a0, a1" },
    { 0x1cc, 0x60259513, 4, "cpop a0, a1" },
    { 0x1d0, 0x60459513, 4, "sext.b a0, a1" },
    { 0x1d4, 0x60559513, 4, "sext.h a0, a1" },
    { 0x1d8, 0x6005951b, 4, "clzw a0, a1" },
    { 0x1dc, 0x6015951b, 4, "ctzw a0, a1" },
    { 0x1e0, 0x6025951b, 4, "cpopw a0, a1" },
    { 0x1e4, 0x0805c53b, 4, "zext.h a0, a1" },
    { 0x1e8, 0x2875d513, 4, "orc.b a0, a1" },
    { 0x1ec, 0x6b85d513, 4, "rev8 a0, a1" },
    { 0x1f0, 0x6325d513, 4, "rori a0, a1, 50" },
    { 0x1f4, 0x6145d51b, 4, "roriw a0, a1, 20" },
    { 0x1f8, 0x48c59533, 4, "bclr a0, a1, a2" },
    { 0x1fc, 0x48c5d533, 4, "bext a0, a1, a2" },
    { 0x200, 0x68c59533, 4, "binv a0, a1, a2" },
    { 0x204, 0x28c59533, 4, "bset a0, a1, a2" },
    { 0x208, 0x4bf59513, 4, "bclri a0, a1, 63" },
    { 0x20c, 0x4835d513, 4, "bexti a0, a1, 3" },
    { 0x210, 0x6a159513, 4, "binvi a0, a1, 33" },
    { 0x214, 0x28059513, 4, "bseti a0, a1, 0" },
    { 0x218, 0x1fe8, 2, "c.addi4spn a0, sp, 1020" },
    { 0x21a, 0x0040, 2, "c.addi4spn s0, sp, 4" },
    { 0x21c, 0x5de8, 2, "c.lw a0, 124(a1)" },
    { 0x21e, 0x7cfc, 2, "c.ld a5, 248(s1)" },
    { 0x220, 0xc1a8, 2, "c.sw a0, 64(a1)" },
    { 0x222, 0xe588, 2, "c.sd a0, 8(a1)" },
    { 0x224, 0x0001, 2, "c.addi zero, 0" },
    { 0x226, 0x1501, 2, "c.addi a0, -32" },
    { 0x228, 0x257d, 2, "c.addiw a0, 31" },
    { 0x22a, 0x537d, 2, "c.li t1, -1" },
    { 0x22c, 0x7101, 2, "c.addi16sp sp, -512" },
    { 0x22e, 0x617d, 2, "c.addi16sp sp, 496" },
    { 0x230, 0x7781, 2, "c.lui a5, 0xfffe0" },
    { 0x232, 0x67fd, 2, "c.lui a5, 0x1f" },
    { 0x234, 0x917d, 2, "c.srli a0, 63" },
    { 0x236, 0x8585, 2, "c.srai a1, 1" },
    { 0x238, 0x9a65, 2, "c.andi a2, -7" },
    { 0x23a, 0x8c05, 2, "c.sub s0, s1" },
    { 0x23c, 0x8c25, 2, "c.xor s0, s1" },
    { 0x23e, 0x8c45, 2, "c.or s0, s1" },
    { 0x240, 0x8c65, 2, "c.and s0, s1" },
    { 0x242, 0x9c05, 2, "c.subw s0, s1" },
    { 0x244, 0x9c25, 2, "c.addw s0, s1" },
    { 0x246, 0xb001, 2, "c.j 0xfffffffffffffa46" },
    { 0x248, 0xaffd, 2, "c.j 0xa46" },
    { 0x24a, 0xd101, 2, "c.beqz a0, 0x14a" },
    { 0x24c, 0xed7d, 2, "c.bnez a0, 0x34a" },
    { 0x24e, 0x12a2, 2, "c.slli t0, 40" },
    { 0x250, 0x50fe, 2, "c.lwsp ra, 252(sp)" },
    { 0x252, 0x70fe, 2, "c.ldsp ra, 504(sp)" },
    { 0x254, 0x8082, 2, "c.jr ra" },
    { 0x256, 0x852e, 2, "c.mv a0, a1" },
    { 0x258, 0x9002, 2, "c.ebreak" },
    { 0x25a, 0x9282, 2, "c.jalr t0" },
    { 0x25c, 0x952e, 2, "c.add a0, a1" },
    { 0x25e, 0xdfaa, 2, "c.swsp a0, 252(sp)" },
    { 0x260, 0xffaa, 2, "c.sdsp a0, 504(sp)" },
    { 0x262, 0xffc42787, 4, "flw fa5, -4(s0)" },
    { 0x266, 0x7ff5b007, 4, "fld ft0, 2047(a1)" },
    { 0x26a, 0x00f52627, 4, "fsw fa5, 12(a0)" },
    { 0x26e, 0xffb13c27, 4, "fsd fs11, -8(sp)" },
    { 0x272, 0x20c58553, 4, "fsgnj.s fa0, fa1, fa2" },
    { 0x276, 0x20c59553, 4, "fsgnjn.s fa0, fa1, fa2" },
    { 0x27a, 0x20c5a553, 4, "fsgnjx.s fa0, fa1, fa2" },
    { 0x27e, 0x23190fd3, 4, "fsgnj.d ft11, fs2, fa7" },
    { 0x282, 0x22c59553, 4, "fsgnjn.d fa0, fa1, fa2" },
    { 0x286, 0x22c5a553, 4, "fsgnjx.d fa0, fa1, fa2" },
    { 0x28a, 0xe0050553, 4, "fmv.x.w a0, fa0" },
    { 0x28e, 0xf0050553, 4, "fmv.w.x fa0, a0" },
    { 0x292, 0xe2050553, 4, "fmv.x.d a0, fa0" },
    { 0x296, 0xf20580d3, 4, "fmv.d.x ft1, a1" },
    { 0x29a, 0x2588, 2, "c.fld fa0, 8(a1)" },
    { 0x29c, 0xbcfc, 2, "c.fsd fa5, 248(s1)" },
    { 0x29e, 0x347e, 2, "c.fldsp fs0, 504(sp)" },
    { 0x2a0, 0xa822, 2, "c.fsdsp fs0, 16(sp)" },
    { 0x2a2, 0x00c5f553, 4, "fadd.s fa0, fa1, fa2" },
    { 0x2a6, 0x08209053, 4, "fsub.s ft0, ft1, ft2, rtz" },
    { 0x2aa, 0x1124a453, 4, "fmul.s fs0, fs1, fs2, rdn" },
    { 0x2ae, 0x18c5b553, 4, "fdiv.s fa0, fa1, fa2, rup" },
    { 0x2b2, 0x5805c553, 4, "fsqrt.s fa0, fa1, rmm" },
    { 0x2b6, 0x28c58553, 4, "fmin.s fa0, fa1, fa2" },
    { 0x2ba, 0x29df1fd3, 4, "fmax.s ft11, ft10, ft9" },
    { 0x2be, 0x02c58553, 4, "fadd.d fa0, fa1, fa2, rne" },
    { 0x2c2, 0x0ac5f553, 4, "fsub.d fa0, fa1, fa2" },
    { 0x2c6, 0x12c59553, 4, "fmul.d fa0, fa1, fa2, rtz" },
    { 0x2ca, 0x1ac5f553, 4, "fdiv.d fa0, fa1, fa2" },
    { 0x2ce, 0x5a05f553, 4, "fsqrt.d fa0, fa1" },
    { 0x2d2, 0x2ac58553, 4, "fmin.d fa0, fa1, fa2" },
    { 0x2d6, 0x2ac59553, 4, "fmax.d fa0, fa1, fa2" },
    { 0x2da, 0x68c5f543, 4, "fmadd.s fa0, fa1, fa2, fa3" },
    { 0x2de, 0x68c59547, 4, "fmsub.s fa0, fa1, fa2, fa3, rtz" },
    { 0x2e2, 0x68c5f54b, 4, "fnmsub.s fa0, fa1, fa2, fa3" },
    { 0x2e6, 0x68c5c54f, 4, "fnmadd.s fa0, fa1, fa2, fa3, rmm" },
    { 0x2ea, 0xfac5f543, 4, "fmadd.d fa0, fa1, fa2, ft11" },
    { 0x2ee, 0x6ac5f547, 4, "fmsub.d fa0, fa1, fa2, fa3" },
    { 0x2f2, 0x6ac5a54b, 4, "fnmsub.d fa0, fa1, fa2, fa3, rdn" },
    { 0x2f6, 0x6ac5f54f, 4, "fnmadd.d fa0, fa1, fa2, fa3" },
    { 0x2fa, 0xa0c5a553, 4, "feq.s a0, fa1, fa2" },
    { 0x2fe, 0xa0c59553, 4, "flt.s a0, fa1, fa2" },
    { 0x302, 0xa0c58553, 4, "fle.s a0, fa1, fa2" },
    { 0x306, 0xa2c5a553, 4, "feq.d a0, fa1, fa2" },
    { 0x30a, 0xa2c59fd3, 4, "flt.d t6, fa1, fa2" },
    { 0x30e, 0xa2c58553, 4, "fle.d a0, fa1, fa2" },
    { 0x312, 0xe0059553, 4, "fclass.s a0, fa1" },
    { 0x316, 0xe2059553, 4, "fclass.d a0, fa1" },
    { 0x31a, 0xc0059553, 4, "fcvt.w.s a0, fa1, rtz" },
    { 0x31e, 0xc015f553, 4, "fcvt.wu.s a0, fa1" },
    { 0x322, 0xc025f553, 4, "fcvt.l.s a0, fa1" },
    { 0x326, 0xc035b553, 4, "fcvt.lu.s a0, fa1, rup" },
    { 0x32a, 0xc2059553, 4, "fcvt.w.d a0, fa1, rtz" },
    { 0x32e, 0xc215f553, 4, "fcvt.wu.d a0, fa1" },
    { 0x332, 0xc225c553, 4, "fcvt.l.d a0, fa1, rmm" },
    { 0x336, 0xc235f553, 4, "fcvt.lu.d a0, fa1" },
    { 0x33a, 0xd005f553, 4, "fcvt.s.w fa0, a1" },
    { 0x33e, 0xd0159553, 4, "fcvt.s.wu fa0, a1, rtz" },
    { 0x342, 0xd025f553, 4, "fcvt.s.l fa0, a1" },
    { 0x346, 0xd035f553, 4, "fcvt.s.lu fa0, a1" },
    { 0x34a, 0xd2058553, 4, "fcvt.d.w fa0, a1" },
    { 0x34e, 0xd2158553, 4, "fcvt.d.wu fa0, a1" },
    { 0x352, 0xd2258553, 4, "fcvt.d.l fa0, a1, rne" },
    { 0x356, 0xd235f553, 4, "fcvt.d.lu fa0, a1" },
    { 0x35a, 0x4015f553, 4, "fcvt.s.d fa0, fa1" },
    { 0x35e, 0x42058553, 4, "fcvt.d.s fa0, fa1" },
};

/* Reserved, unsupported or illegal encodings: riscv_decode must reject them. */
static const struct {
    uint32_t insn;
    unsigned len;
} illegal_cases[] = {
    { 0x0000, 2 },     /* all-zero halfword (c.addi4spn with imm 0) */
    { 0x6081, 2 },     /* c.lui ra, 0 */
    { 0x6101, 2 },     /* c.addi16sp sp, 0 */
    { 0x2001, 2 },     /* c.addiw zero, 0 */
    { 0x4002, 2 },     /* c.lwsp zero, 0(sp) */
    { 0x6002, 2 },     /* c.ldsp zero, 0(sp) */
    { 0x8002, 2 },     /* c.jr zero */
    { 0x9c41, 2 },     /* reserved CA encoding */
    { 0xffff, 2 },     /* first half of a 32-bit insn given as 16 bits */
    { 0x00004007, 4 }, /* flq: no Q extension */
    { 0x06c58553, 4 }, /* fadd.q */
    { 0x04c58553, 4 }, /* fadd.h: no Zfh */
    { 0x6ec5f543, 4 }, /* fmadd.q */
    { 0x5815f553, 4 }, /* fsqrt.s with rs2 != 0 */
    { 0xc045f553, 4 }, /* fcvt with rs2 = 4 */
    { 0xe005a553, 4 }, /* fclass.s with funct3 010 */
    { 0xa0c5b553, 4 }, /* feq.s with funct3 011 */
    { 0x30200073 | (1 << 7), 4 }, /* mret with rd != 0 */
    { 0x12000073 | (1 << 7), 4 }, /* sfence.vma with rd != 0 */
    { 0x0000007f, 4 }, /* 48-bit encoding space */
    { 0xffffffff, 4 },
};

static void test_decode_known_words(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(decode_cases) / sizeof(decode_cases[0]); i++) {
        const DecodeCase *c = &decode_cases[i];
        RVArgs args;
        char text[128];
        const RVInsnDesc *d = riscv_decode(c->insn, c->len, &args);
        assert_non_null(d);
        assert_int_equal(d->len, c->len);
        riscv_format_insn(d, &args, c->pc, text, sizeof(text));
        assert_string_equal(text, c->text);
    }
}

static void test_decode_rejects_illegal(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(illegal_cases) / sizeof(illegal_cases[0]); i++) {
        RVArgs args;
        assert_null(riscv_decode(illegal_cases[i].insn, illegal_cases[i].len, &args));
    }
}

static void test_decode_shamt6(void **state)
{
    (void)state;
    RVArgs args;
    /* RV64 shifts use bit 25 as shamt[5]: srli zero, zero, 32 is legal */
    assert_non_null(riscv_decode(0x0200d013, 4, &args));
    assert_int_equal(args.imm, 32);
    /* but the W forms keep a 5-bit shamt: srliw with bit 25 set is illegal */
    assert_null(riscv_decode(0x0200d01b, 4, &args));
}

static void test_insn_length(void **state)
{
    (void)state;
    assert_int_equal(riscv_insn_length(0x0001), 2);
    assert_int_equal(riscv_insn_length(0x8082), 2);
    assert_int_equal(riscv_insn_length(0x0013), 4);
    assert_int_equal(riscv_insn_length(0x001f), 0);
    assert_int_equal(riscv_insn_length(0x007f), 0);
}

static void test_compressed_expansion(void **state)
{
    (void)state;
    RVArgs args;
    /* c.addi16sp sp, -512 is addi sp, sp, -512 */
    const RVInsnDesc *d = riscv_decode(0x7101, 2, &args);
    assert_non_null(d);
    assert_int_equal(args.rd, 2);
    assert_int_equal(args.rs1, 2);
    assert_int_equal(args.imm, -512);
    /* c.jalr t0 is jalr ra, 0(t0) */
    d = riscv_decode(0x9282, 2, &args);
    assert_non_null(d);
    assert_int_equal(args.rd, 1);
    assert_int_equal(args.rs1, 5);
    assert_int_equal(args.imm, 0);
    /* c.beqz a0 compares against x0 */
    d = riscv_decode(0xd101, 2, &args);
    assert_non_null(d);
    assert_int_equal(args.rs1, 10);
    assert_int_equal(args.rs2, 0);
    assert_int_equal(args.imm, -256);
}

static void test_format_truncates(void **state)
{
    (void)state;
    RVArgs args;
    char text[8];
    const RVInsnDesc *d = riscv_decode(0x00c58533, 4, &args); /* add a0, a1, a2 */
    assert_non_null(d);
    riscv_format_insn(d, &args, 0, text, sizeof(text));
    assert_string_equal(text, "add a0,");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_known_words),
        cmocka_unit_test(test_decode_rejects_illegal),
        cmocka_unit_test(test_decode_shamt6),
        cmocka_unit_test(test_insn_length),
        cmocka_unit_test(test_compressed_expansion),
        cmocka_unit_test(test_format_truncates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
