/*
 * emit.h — an x86-64 instruction encoder: just enough of the ISA for the
 * backend, one function per instruction form.
 *
 * The one thing to know: code is written through the code buffer's
 * writable view (Emitter.p) while every pc-relative displacement is
 * computed against the executable view (emit_rx()).
 */
#ifndef MIMIC_BACKEND_X86_64_EMIT_H
#define MIMIC_BACKEND_X86_64_EMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "mimic/exec.h"

enum {
    RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
    R8, R9, R10, R11, R12, R13, R14, R15,
};

/* Condition codes (the low nibble of Jcc/SETcc/CMOVcc). */
enum {
    CC_O = 0x0, CC_B = 0x2, CC_AE = 0x3, CC_E = 0x4, CC_NE = 0x5, CC_BE = 0x6, CC_A = 0x7,
    CC_P = 0xa, CC_L = 0xc, CC_GE = 0xd,
};

/* Opcode flags: prefixes and escapes added around the primary byte. */
enum {
    P_0F = 0x100,      /* two-byte opcode 0F xx */
    P_REXW = 0x200,    /* 64-bit operand size */
    P_66 = 0x400,      /* 16-bit operand size */
    P_F3 = 0x800,      /* F3 prefix (lzcnt, tzcnt, popcnt) */
    P_BYTEREG = 0x1000 /* operand is a byte register: force REX for sil/dil/spl/bpl */
};

/* Group-1 ALU operations (the /digit of 81/83 and the base of the r/m forms). */
enum { ALU_ADD = 0, ALU_OR = 1, ALU_AND = 4, ALU_SUB = 5, ALU_XOR = 6, ALU_CMP = 7 };
/* Group-2 shifts (the /digit of C1 and D3). */
enum { SHIFT_ROL = 0, SHIFT_ROR = 1, SHIFT_SHL = 4, SHIFT_SHR = 5, SHIFT_SAR = 7 };
/* Group-3 unary (the /digit of F7). */
enum { UNARY_NOT = 2, UNARY_NEG = 3, UNARY_MUL = 4, UNARY_IMUL = 5, UNARY_DIV = 6, UNARY_IDIV = 7 };

typedef struct Emitter {
    uint8_t *start; /* writable view */
    uint8_t *p;
    uint8_t *end;
    bool overflow;
} Emitter;

static inline void emit8(Emitter *e, uint8_t b)
{
    if (e->p < e->end) {
        *e->p++ = b;
    } else {
        e->overflow = true;
    }
}

static inline void emit32(Emitter *e, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        emit8(e, (uint8_t)(v >> (8 * i)));
    }
}

static inline void emit64(Emitter *e, uint64_t v)
{
    emit32(e, (uint32_t)v);
    emit32(e, (uint32_t)(v >> 32));
}

/* Executable address of the next byte. */
static inline uintptr_t emit_rx(const Emitter *e)
{
    return (uintptr_t)code_rx_of(e->p);
}

static inline bool fits_s32(int64_t v)
{
    return v == (int32_t)v;
}

static inline bool fits_s8(int64_t v)
{
    return v == (int8_t)v;
}

/* Prefixes, REX and opcode bytes; r, x, b are the register numbers that go
 * in ModRM.reg, SIB.index and ModRM.rm/SIB.base (only bit 3 matters here). */
void emit_opc(Emitter *e, int opc, int r, int x, int b);
/* ModRM (register direct). */
void emit_modrm_reg(Emitter *e, int opc, int r, int rm);
/* ModRM memory operand [base + index + disp]; index < 0 means none. */
void emit_modrm_mem(Emitter *e, int opc, int r, int base, int index, int32_t disp);

void emit_mov_rr(Emitter *e, int dst, int src);
void emit_mov_ri(Emitter *e, int dst, uint64_t imm);
void emit_load_env(Emitter *e, int dst, int base, int32_t off);   /* mov dst, [base+off] */
void emit_store_env(Emitter *e, int src, int base, int32_t off);  /* mov [base+off], src */
void emit_store32_imm(Emitter *e, int base, int32_t off, uint32_t imm); /* mov dword [base+off], imm */
void emit_store64_imm(Emitter *e, int base, int32_t off, int32_t imm);  /* mov qword [..], simm32 */
void emit_alu_rr(Emitter *e, int alu, int dst, int src);
void emit_alu_ri(Emitter *e, int alu, int dst, int32_t imm);
void emit_shift_ri(Emitter *e, int shift, int dst, unsigned count);
void emit_shift_cl(Emitter *e, int shift, int dst);
void emit_unary(Emitter *e, int unary, int reg);
void emit_lea(Emitter *e, int dst, int base, int index, int32_t disp);
void emit_imul_rr(Emitter *e, int dst, int src);
void emit_imul_rri(Emitter *e, int dst, int src, int32_t imm);
void emit_setcc(Emitter *e, int cc, int dst); /* dst = cc ? 1 : 0 (full width) */
void emit_cmov(Emitter *e, int cc, int dst, int src);
void emit_test_rr(Emitter *e, int a, int b);
/* Loads and stores of guest memory at [base + index]. */
void emit_load_sized(Emitter *e, int dst, int base, int index, int32_t disp, unsigned log2size,
                     bool sign);
void emit_store_sized(Emitter *e, int src, int base, int index, int32_t disp, unsigned log2size);
/* Sign/zero extension register to register. */
void emit_ext(Emitter *e, int dst, int src, unsigned log2size, bool sign);
/* Jumps: return the writable address of the rel32 field for patching. */
uint8_t *emit_jcc(Emitter *e, int cc);
uint8_t *emit_jmp(Emitter *e);
void emit_patch_rel32(uint8_t *field_rw, uintptr_t target_rx);
void emit_call_abs(Emitter *e, const void *fn); /* via rax */
void emit_jmp_reg(Emitter *e, int reg);

#endif
