/*
 * codegen-fp.c — the x86-64 code of the IR fp op: an inline SSE fast path
 * and an out-of-line call of the frontend's exact fallback.
 *
 * The one thing to know: the operands are copied to xmm0..xmm2 first and
 * stay there, so every exit to the slow path can pass them to the fallback
 * unchanged; the result is computed in xmm3, and also kept in a mirror
 * register (xmm4..xmm15) that later fp ops read instead of the GPR (a
 * GPR-to-xmm move is on the critical path, an xmm copy is not). The slow
 * path refills the mirrors after its call. The fast path is taken only
 * under the guard described with IRFpEnv (ir.h): inexact already accrued,
 * round-to-nearest-even (MXCSR keeps the host default, RNE with every
 * exception masked, while translated code runs), well-formed operands and
 * a normal result with a biased exponent of at least 2. Such a result
 * raised no flag but inexact, and the guest has that flag already. Zero
 * results that are exact by construction (see fp_emit_zero_filter) are
 * also taken from the host, out of line, before falling back.
 */
#include <stddef.h>
#include <stdlib.h>

#include "codegen.h"

enum { XMM_A = 0, XMM_B = 1, XMM_C = 2, XMM_R = 3 };

/* Scalar SSE arithmetic opcodes (0F xx) and the FMA3 213 forms (0F38 xx). */
static const uint8_t sse_arith[] = {
    [IR_FP_ADD] = 0x58, [IR_FP_SUB] = 0x5c, [IR_FP_MUL] = 0x59,
    [IR_FP_DIV] = 0x5e, [IR_FP_SQRT] = 0x51,
};
static const uint8_t fma213[IR_FP_NMADD + 1] = {
    [IR_FP_MADD] = 0xa9,  /* vfmadd213:  a * b + c */
    [IR_FP_MSUB] = 0xab,  /* vfmsub213:  a * b - c */
    [IR_FP_NMSUB] = 0xad, /* vfnmadd213: -(a * b) + c */
    [IR_FP_NMADD] = 0xaf, /* vfnmsub213: -(a * b) - c */
};

static void emit_movq_xmm_gpr(Emitter *e, int xmm, int gpr)
{
    emit_modrm_reg(e, P_66 | P_REXW | P_0F | 0x6e, xmm, gpr);
}

static void emit_movq_gpr_xmm(Emitter *e, int gpr, int xmm)
{
    emit_modrm_reg(e, P_66 | P_REXW | P_0F | 0x7e, xmm, gpr);
}

/* addsd/addss and friends: xmm dst op= xmm src. */
static void emit_sse_scalar(Emitter *e, uint8_t opc, bool dbl, int dst, int src)
{
    if (dbl) {
        emit8(e, 0xf2);
        emit_modrm_reg(e, P_0F | opc, dst, src);
    } else {
        emit_modrm_reg(e, P_F3 | P_0F | opc, dst, src);
    }
}

/* vfm*213s[sd] dst, src1, src2 (all below xmm8): dst = ±(dst * src1) ± src2. */
static void emit_fma213(Emitter *e, uint8_t opc, bool dbl, int dst, int src1, int src2)
{
    emit8(e, 0xc4);
    emit8(e, 0xe2); /* R X B not extended, map 0F38 */
    emit8(e, (uint8_t)((dbl ? 0x80 : 0) | (~src1 & 0xf) << 3 | 0x01)); /* W, vvvv, L0, 66 */
    emit8(e, opc);
    emit8(e, (uint8_t)(0xc0 | (dst & 7) << 3 | (src2 & 7)));
}

static void fp_add_jump(FpSlowPath *sp, uint8_t *field)
{
    if (sp->nb_jumps < FP_MAX_JUMPS) {
        sp->jumps[sp->nb_jumps++] = field;
    } else {
        abort();
    }
}

static bool fp_is_fused(IRFpKind kind)
{
    return kind >= IR_FP_MADD && kind <= IR_FP_NMADD;
}

bool jit_fp_result_in_xmm(uint64_t desc)
{
    IRFpKind kind = (IRFpKind)(desc & IR_FP_KIND_MASK);
    return kind <= IR_FP_NMADD || kind == IR_FP_FROM_W || kind == IR_FP_FROM_L;
}

/* movaps dst, src (xmm to xmm, any of the 16) */
static void emit_movaps(Emitter *e, int dst, int src)
{
    emit_modrm_reg(e, P_0F | 0x28, dst, src);
}

unsigned jit_fp_nb_inputs(uint64_t desc)
{
    IRFpKind kind = (IRFpKind)(desc & IR_FP_KIND_MASK);
    return kind == IR_FP_SQRT || kind >= IR_FP_FROM_W ? 1 : fp_is_fused(kind) ? 3 : 2;
}

/* The conversions after the guard: from an integer (any result is
 * exact enough, see IRFpEnv) or to one (the indefinite value goes slow). */
static void fp_emit_convert(Emitter *e, IRFpKind kind, uint64_t desc, int a, int ro,
                            int out_xmm, FpSlowPath *sp)
{
    bool dbl = desc & IR_FP_DOUBLE;
    bool wide = kind == IR_FP_FROM_L || kind == IR_FP_TO_L;
    if (kind <= IR_FP_FROM_L) {
        if (!dbl) {
            emit_modrm_reg(e, P_66 | P_0F | 0x76, XMM_R, XMM_R); /* pcmpeqd: the box */
        }
        emit8(e, dbl ? 0xf2 : 0xf3); /* cvtsi2s[sd] xmm, r32/r64 */
        emit_modrm_reg(e, (wide ? P_REXW : 0) | P_0F | 0x2a, XMM_R, a);
        emit_movq_gpr_xmm(e, ro, XMM_R);
        if (out_xmm >= 0) {
            emit_movaps(e, out_xmm, XMM_R);
        }
        return;
    }
    /* cvt(t)s[sd]2si r32/r64, xmm: truncating for RTZ, else MXCSR's RNE */
    emit8(e, dbl ? 0xf2 : 0xf3);
    emit_modrm_reg(e, (wide ? P_REXW : 0) | P_0F | (desc & IR_FP_RTZ ? 0x2c : 0x2d), ro, XMM_A);
    /* cmp ro, 1 overflows only for the smallest integer */
    emit_modrm_reg(e, (wide ? P_REXW : 0) | 0x83, ALU_CMP, ro);
    emit8(e, 1);
    fp_add_jump(sp, emit_jcc(e, CC_O));
    if (!wide) {
        emit_modrm_reg(e, P_REXW | 0x63, ro, ro); /* movsxd */
    }
}

void jit_fp_emit_fast(Emitter *e, const int *in, const int *in_xmm, int ro, int out_xmm, int tmp,
                      FpSlowPath *sp)
{
    sp->tmp = tmp;
    uint64_t desc = sp->desc;
    const IRFpEnv *fe = sp->fe;
    IRFpKind kind = (IRFpKind)(desc & IR_FP_KIND_MASK);
    bool dbl = desc & IR_FP_DOUBLE;
    unsigned n = jit_fp_nb_inputs(desc);
    for (unsigned i = 0; i < n; i++) {
        if (in_xmm[i] >= 0) {
            emit_movaps(e, XMM_A + (int)i, in_xmm[i]);
        } else {
            emit_movq_xmm_gpr(e, XMM_A + (int)i, in[i]);
        }
    }
    if (fp_is_fused(kind) && !host_has_fma) {
        fp_add_jump(sp, emit_jmp(e));
        return;
    }
    if (!dbl && kind != IR_FP_FROM_W && kind != IR_FP_FROM_L) {
        /* NaN-boxed operands: the upper halves ANDed together are all ones */
        emit_mov_rr(e, tmp, in[0]);
        for (unsigned i = 1; i < n; i++) {
            emit_alu_rr(e, ALU_AND, tmp, in[i]);
        }
        emit_unary(e, UNARY_NOT, tmp);
        emit_shift_ri(e, SHIFT_SHR, tmp, 32);
        fp_add_jump(sp, emit_jcc(e, CC_NE));
    }
    if (kind >= IR_FP_EQ && kind <= IR_FP_MAX) {
        /* ucomis[sd] a, b: unordered (a NaN) sets PF */
        emit_modrm_reg(e, (dbl ? P_66 : 0) | P_0F | 0x2e, XMM_A, XMM_B);
        fp_add_jump(sp, emit_jcc(e, CC_P));
        if (kind <= IR_FP_LE) {
            emit_setcc(e, kind == IR_FP_EQ ? CC_E : kind == IR_FP_LT ? CC_B : CC_BE, ro);
            return;
        }
        /* equal values may be zeros of both signs: the fallback orders them */
        fp_add_jump(sp, emit_jcc(e, CC_E));
        emit_mov_rr(e, ro, in[1]);
        emit_cmov(e, kind == IR_FP_MIN ? CC_B : CC_A, ro, in[0]);
        return;
    }
    /* test byte [env + flags], nx */
    emit_modrm_mem(e, 0xf6, 0, REG_ENV, -1, fe->flags_offset);
    emit8(e, fe->nx_mask);
    fp_add_jump(sp, emit_jcc(e, CC_E));
    if (desc & IR_FP_DYN) {
        /* cmp byte [env + rm], 0 */
        emit_modrm_mem(e, 0x80, ALU_CMP, REG_ENV, -1, fe->rm_offset);
        emit8(e, 0);
        fp_add_jump(sp, emit_jcc(e, CC_NE));
    }
    if (kind >= IR_FP_FROM_W) {
        fp_emit_convert(e, kind, desc, in[0], ro, out_xmm, sp);
        return;
    }
    emit_modrm_reg(e, P_0F | 0x28, XMM_R, XMM_A); /* movaps: keeps a's upper half */
    if (fp_is_fused(kind)) {
        emit_fma213(e, fma213[kind], dbl, XMM_R, XMM_B, XMM_C);
    } else {
        emit_sse_scalar(e, sse_arith[kind], dbl, XMM_R, kind == IR_FP_SQRT ? XMM_R : XMM_B);
    }
    emit_movq_gpr_xmm(e, ro, XMM_R);
    if (out_xmm >= 0) {
        emit_movaps(e, out_xmm, XMM_R);
    }
    /* biased exponent - 2 below max - 2, unsigned: normal, not near tiny */
    emit_mov_rr(e, tmp, ro);
    if (dbl) {
        emit_shift_ri(e, SHIFT_SHL, tmp, 1);
        emit_shift_ri(e, SHIFT_SHR, tmp, 53);
        emit_alu_ri(e, ALU_SUB, tmp, 2);
        emit_alu_ri(e, ALU_CMP, tmp, 0x7ff - 2);
    } else {
        emit_shift_ri(e, SHIFT_SHL, tmp, 33);
        emit_shift_ri(e, SHIFT_SHR, tmp, 56);
        emit_alu_ri(e, ALU_SUB, tmp, 2);
        emit_alu_ri(e, ALU_CMP, tmp, 0xff - 2);
    }
    sp->range_jump = emit_jcc(e, CC_AE);
}

/* Shifts the sign (and a single's box) out of the value in tmp: the zero
 * flag is then set when it was ±0. */
static void fp_test_zero(Emitter *e, int tmp, bool dbl)
{
    emit_shift_ri(e, SHIFT_SHL, tmp, dbl ? 1 : 33);
}

/* Entered when the result is not normal: a zero result that is exact in
 * every case raised no flag and is the host's (x + y = ±0 only for x = -y,
 * sqrt(±0) = ±0, a product with a zero factor, a zero dividend); the
 * others go on to the fallback. tmp is free here. */
static void fp_emit_zero_filter(Emitter *e, const FpSlowPath *sp, int tmp)
{
    IRFpKind kind = (IRFpKind)(sp->desc & IR_FP_KIND_MASK);
    bool dbl = sp->desc & IR_FP_DOUBLE;
    if (fp_is_fused(kind)) {
        return;
    }
    emit_mov_rr(e, tmp, sp->ro);
    fp_test_zero(e, tmp, dbl);
    uint8_t *not_zero = emit_jcc(e, CC_NE);
    uint8_t *fast[2] = { NULL, NULL };
    if (kind == IR_FP_MUL || kind == IR_FP_DIV) {
        for (int i = 0; i < (kind == IR_FP_MUL ? 2 : 1); i++) {
            emit_movq_gpr_xmm(e, tmp, XMM_A + i);
            fp_test_zero(e, tmp, dbl);
            fast[i] = emit_jcc(e, CC_E);
        }
    } else {
        fast[0] = emit_jmp(e);
    }
    if (!e->overflow) {
        for (int i = 0; i < 2; i++) {
            if (fast[i]) {
                emit_patch_rel32(fast[i], sp->resume);
            }
        }
    }
    uint8_t *to_slow = emit_jmp(e);
    if (!e->overflow) {
        emit_patch_rel32(not_zero, emit_rx(e));
        emit_patch_rel32(to_slow, emit_rx(e));
    }
}

void jit_fp_emit_slow(Emitter *e, const FpSlowPath *sp)
{
    if (sp->range_jump) {
        if (!e->overflow) {
            emit_patch_rel32(sp->range_jump, emit_rx(e));
        }
        fp_emit_zero_filter(e, sp, sp->tmp);
    }
    if (!e->overflow) {
        for (unsigned i = 0; i < sp->nb_jumps; i++) {
            emit_patch_rel32(sp->jumps[i], emit_rx(e));
        }
    }
    for (int r = 0; r < 16; r++) {
        if (sp->save & (1u << r)) {
            emit_store_env(e, r, RSP, 8 * SAVE_SLOT(r));
        }
    }
    for (unsigned k = 0; k < sp->nb_sync; k++) {
        emit_store_env(e, sp->sync_reg[k], REG_ENV, sp->sync_off[k]);
    }
    if (sp->desc & IR_FP_FAULTS) {
        /* as the interpreter's insn_start: a fault names this instruction */
        emit_mov_ri(e, RAX, sp->guest_pc);
        emit_store_env(e, RAX, REG_ENV, offsetof(CPUState, pc));
    }
    emit_movq_gpr_xmm(e, RSI, XMM_A);
    emit_movq_gpr_xmm(e, RDX, XMM_B);
    emit_movq_gpr_xmm(e, RCX, XMM_C);
    emit_mov_ri(e, R8, sp->desc);
    emit_mov_rr(e, RDI, REG_ENV);
    emit_call_abs(e, (const void *)sp->fe->fallback);
    if (sp->ro != RAX) {
        emit_mov_rr(e, sp->ro, RAX);
    }
    for (int r = 0; r < 16; r++) {
        if (sp->save & (1u << r)) {
            emit_load_env(e, r, RSP, 8 * SAVE_SLOT(r));
        }
    }
    /* the call clobbered every xmm register: the mirrors come back */
    for (unsigned k = 0; k < sp->nb_remat; k++) {
        emit_movq_xmm_gpr(e, sp->remat_xmm[k], sp->remat_gpr[k]);
    }
    uint8_t *back = emit_jmp(e);
    if (!e->overflow) {
        emit_patch_rel32(back, sp->resume);
    }
}
