/*
 * emit.c — x86-64 instruction encodings used by the backend.
 *
 * The one thing to know: every function writes whole instructions; REX is
 * emitted only when needed (64-bit size, a register >= r8, or a byte
 * register that would otherwise mean ah/ch/dh/bh).
 */
#include "emit.h"

void emit_opc(Emitter *e, int opc, int r, int x, int b)
{
    if (opc & P_66) {
        emit8(e, 0x66);
    }
    if (opc & P_F3) {
        emit8(e, 0xf3);
    }
    int rex = 0;
    if (opc & P_REXW) {
        rex |= 8;
    }
    rex |= (r & 8) >> 1;
    rex |= (x & 8) >> 2;
    rex |= (b & 8) >> 3;
    if ((opc & P_BYTEREG) && ((r >= 4 && r < 8) || (b >= 4 && b < 8))) {
        rex |= 0x40;
    }
    if (rex) {
        emit8(e, (uint8_t)(0x40 | rex));
    }
    if (opc & P_0F) {
        emit8(e, 0x0f);
    }
    emit8(e, (uint8_t)opc);
}

void emit_modrm_reg(Emitter *e, int opc, int r, int rm)
{
    emit_opc(e, opc, r, 0, rm);
    emit8(e, (uint8_t)(0xc0 | (r & 7) << 3 | (rm & 7)));
}

void emit_modrm_mem(Emitter *e, int opc, int r, int base, int index, int32_t disp)
{
    emit_opc(e, opc, r, index < 0 ? 0 : index, base);
    int mod;
    if (disp == 0 && (base & 7) != RBP) {
        mod = 0;
    } else if (fits_s8(disp)) {
        mod = 1;
    } else {
        mod = 2;
    }
    if (index < 0 && (base & 7) != RSP) {
        emit8(e, (uint8_t)(mod << 6 | (r & 7) << 3 | (base & 7)));
    } else {
        emit8(e, (uint8_t)(mod << 6 | (r & 7) << 3 | 4));
        emit8(e, (uint8_t)(((index < 0 ? RSP : index) & 7) << 3 | (base & 7)));
    }
    if (mod == 1) {
        emit8(e, (uint8_t)disp);
    } else if (mod == 2) {
        emit32(e, (uint32_t)disp);
    }
}

void emit_mov_rr(Emitter *e, int dst, int src)
{
    emit_modrm_reg(e, P_REXW | 0x89, src, dst);
}

void emit_mov_ri(Emitter *e, int dst, uint64_t imm)
{
    if (imm <= 0xffffffffull) {
        emit_opc(e, 0xb8 | (dst & 7), 0, 0, dst);
        emit32(e, (uint32_t)imm);
    } else if (fits_s32((int64_t)imm)) {
        emit_modrm_reg(e, P_REXW | 0xc7, 0, dst);
        emit32(e, (uint32_t)imm);
    } else {
        emit_opc(e, P_REXW | 0xb8 | (dst & 7), 0, 0, dst);
        emit64(e, imm);
    }
}

void emit_load_env(Emitter *e, int dst, int base, int32_t off)
{
    emit_modrm_mem(e, P_REXW | 0x8b, dst, base, -1, off);
}

void emit_store_env(Emitter *e, int src, int base, int32_t off)
{
    emit_modrm_mem(e, P_REXW | 0x89, src, base, -1, off);
}

void emit_store32_imm(Emitter *e, int base, int32_t off, uint32_t imm)
{
    emit_modrm_mem(e, 0xc7, 0, base, -1, off);
    emit32(e, imm);
}

void emit_store64_imm(Emitter *e, int base, int32_t off, int32_t imm)
{
    emit_modrm_mem(e, P_REXW | 0xc7, 0, base, -1, off);
    emit32(e, (uint32_t)imm);
}

void emit_alu_rr(Emitter *e, int alu, int dst, int src)
{
    emit_modrm_reg(e, P_REXW | (alu << 3 | 1), src, dst);
}

void emit_alu_ri(Emitter *e, int alu, int dst, int32_t imm)
{
    if (fits_s8(imm)) {
        emit_modrm_reg(e, P_REXW | 0x83, alu, dst);
        emit8(e, (uint8_t)imm);
    } else {
        emit_modrm_reg(e, P_REXW | 0x81, alu, dst);
        emit32(e, (uint32_t)imm);
    }
}

void emit_shift_ri(Emitter *e, int shift, int dst, unsigned count)
{
    emit_modrm_reg(e, P_REXW | 0xc1, shift, dst);
    emit8(e, (uint8_t)(count & 63));
}

void emit_shift_cl(Emitter *e, int shift, int dst)
{
    emit_modrm_reg(e, P_REXW | 0xd3, shift, dst);
}

void emit_unary(Emitter *e, int unary, int reg)
{
    emit_modrm_reg(e, P_REXW | 0xf7, unary, reg);
}

void emit_lea(Emitter *e, int dst, int base, int index, int32_t disp)
{
    emit_modrm_mem(e, P_REXW | 0x8d, dst, base, index, disp);
}

void emit_imul_rr(Emitter *e, int dst, int src)
{
    emit_modrm_reg(e, P_REXW | P_0F | 0xaf, dst, src);
}

void emit_imul_rri(Emitter *e, int dst, int src, int32_t imm)
{
    if (fits_s8(imm)) {
        emit_modrm_reg(e, P_REXW | 0x6b, dst, src);
        emit8(e, (uint8_t)imm);
    } else {
        emit_modrm_reg(e, P_REXW | 0x69, dst, src);
        emit32(e, (uint32_t)imm);
    }
}

void emit_setcc(Emitter *e, int cc, int dst)
{
    emit_modrm_reg(e, P_0F | P_BYTEREG | (0x90 | cc), 0, dst);
    emit_modrm_reg(e, P_0F | P_BYTEREG | 0xb6, dst, dst);
}

void emit_cmov(Emitter *e, int cc, int dst, int src)
{
    emit_modrm_reg(e, P_REXW | P_0F | (0x40 | cc), dst, src);
}

void emit_test_rr(Emitter *e, int a, int b)
{
    emit_modrm_reg(e, P_REXW | 0x85, b, a);
}

void emit_load_sized(Emitter *e, int dst, int base, int index, int32_t disp, unsigned log2size,
                     bool sign)
{
    static const int opc_unsigned[4] = { P_0F | 0xb6, P_0F | 0xb7, 0x8b, P_REXW | 0x8b };
    static const int opc_signed[4] = { P_REXW | P_0F | 0xbe, P_REXW | P_0F | 0xbf, P_REXW | 0x63,
                                       P_REXW | 0x8b };
    emit_modrm_mem(e, (sign ? opc_signed : opc_unsigned)[log2size & 3], dst, base, index, disp);
}

void emit_store_sized(Emitter *e, int src, int base, int index, int32_t disp, unsigned log2size)
{
    static const int opc[4] = { P_BYTEREG | 0x88, P_66 | 0x89, 0x89, P_REXW | 0x89 };
    emit_modrm_mem(e, opc[log2size & 3], src, base, index, disp);
}

void emit_ext(Emitter *e, int dst, int src, unsigned log2size, bool sign)
{
    switch (log2size) {
    case 0:
        emit_modrm_reg(e, P_BYTEREG | P_0F | (sign ? P_REXW | 0xbe : 0xb6), dst, src);
        break;
    case 1:
        emit_modrm_reg(e, P_0F | (sign ? P_REXW | 0xbf : 0xb7), dst, src);
        break;
    case 2:
        if (sign) {
            emit_modrm_reg(e, P_REXW | 0x63, dst, src);
        } else {
            emit_modrm_reg(e, 0x89, src, dst); /* mov r32, r32 zero-extends */
        }
        break;
    default:
        emit_mov_rr(e, dst, src);
        break;
    }
}

uint8_t *emit_jcc(Emitter *e, int cc)
{
    emit8(e, 0x0f);
    emit8(e, (uint8_t)(0x80 | cc));
    uint8_t *field = e->p;
    emit32(e, 0);
    return field;
}

uint8_t *emit_jmp(Emitter *e)
{
    emit8(e, 0xe9);
    uint8_t *field = e->p;
    emit32(e, 0);
    return field;
}

void emit_patch_rel32(uint8_t *field_rw, uintptr_t target_rx)
{
    int32_t rel = (int32_t)(target_rx - ((uintptr_t)code_rx_of(field_rw) + 4));
    memcpy(field_rw, &rel, 4);
}

void emit_call_abs(Emitter *e, const void *fn)
{
    emit_mov_ri(e, RAX, (uint64_t)(uintptr_t)fn);
    emit_modrm_reg(e, 0xff, 2, RAX);
}

void emit_jmp_reg(Emitter *e, int reg)
{
    emit_modrm_reg(e, 0xff, 4, reg);
}
