/*
 * trans-fp-move.c — the F/D instructions that only move bits: loads, stores,
 * sign injection and moves between integer and FP registers.
 *
 * The one thing to know: FP registers are IR globals (riscv_freg) holding
 * 64 bits; a single-precision value lives NaN-boxed (upper 32 bits all
 * ones). A single-precision source that is not properly boxed reads as the
 * canonical NaN 0x7fc00000, as the ISA requires. None of these instructions
 * round or raise exception flags, so they are plain IR.
 */
#include "target/riscv64/translate.h"

#define RV_BOX32 0xffffffff00000000ULL
#define RV_CANONICAL_NAN32 0x7fc00000ULL

/* FP loads and stores address rs1 + imm (the op's displacement). */
bool trans_flw(DisasContext *ctx, const RVArgs *a)
{
    IRTempId v = ir_new_local(ctx->b);
    ir_gen_ld_disp(ctx->b, v, riscv_reg(ctx, a->rs1), a->imm, riscv_memop(ctx, IR_MO_32));
    ir_gen_binary(ctx->b, IR_or, riscv_freg(a->rd), v, riscv_imm(ctx, (int64_t)RV_BOX32));
    return true;
}

bool trans_fld(DisasContext *ctx, const RVArgs *a)
{
    ir_gen_ld_disp(ctx->b, riscv_freg(a->rd), riscv_reg(ctx, a->rs1), a->imm,
                   riscv_memop(ctx, IR_MO_64));
    return true;
}

bool trans_fsw(DisasContext *ctx, const RVArgs *a)
{
    ir_gen_st_disp(ctx->b, riscv_freg(a->rs2), riscv_reg(ctx, a->rs1), a->imm,
                   riscv_memop(ctx, IR_MO_32));
    return true;
}

bool trans_fsd(DisasContext *ctx, const RVArgs *a)
{
    ir_gen_st_disp(ctx->b, riscv_freg(a->rs2), riscv_reg(ctx, a->rs1), a->imm,
                   riscv_memop(ctx, IR_MO_64));
    return true;
}

/* The value of single-precision register r, unboxed: a local holding the
 * 32-bit pattern in its low half (upper half zero), or the canonical NaN. */
static IRTempId riscv_fp_unbox32(DisasContext *ctx, int r)
{
    IRTempId hi = ir_new_local(ctx->b);
    IRTempId lo = ir_new_local(ctx->b);
    IRTempId v = ir_new_local(ctx->b);
    ir_gen_binary(ctx->b, IR_shr, hi, riscv_freg(r), riscv_imm(ctx, 32));
    ir_gen_unary(ctx->b, IR_ext32u, lo, riscv_freg(r));
    ir_gen_movcond(ctx->b, IR_COND_EQ, v, hi, riscv_imm(ctx, 0xffffffff), lo,
                   riscv_imm(ctx, (int64_t)RV_CANONICAL_NAN32));
    return v;
}

typedef enum RVSignInject { RV_SGNJ, RV_SGNJN, RV_SGNJX } RVSignInject;

/* out = magnitude of x with the sign chosen from y by kind; sign is the
 * sign-bit mask of the format. */
static void riscv_gen_sign_inject(DisasContext *ctx, IRTempId out, IRTempId x, IRTempId y,
                                  uint64_t sign, RVSignInject kind)
{
    IRTempId s = ir_new_local(ctx->b);
    IRTempId mag = ir_new_local(ctx->b);
    IRTempId mask = riscv_imm(ctx, (int64_t)sign);
    switch (kind) {
    case RV_SGNJ:
        ir_gen_binary(ctx->b, IR_and, s, y, mask);
        ir_gen_binary(ctx->b, IR_andn, mag, x, mask);
        break;
    case RV_SGNJN:
        ir_gen_binary(ctx->b, IR_andn, s, mask, y);
        ir_gen_binary(ctx->b, IR_andn, mag, x, mask);
        break;
    case RV_SGNJX:
        ir_gen_binary(ctx->b, IR_and, s, y, mask);
        ir_gen_mov(ctx->b, mag, x);
        break;
    }
    ir_gen_binary(ctx->b, kind == RV_SGNJX ? IR_xor : IR_or, out, mag, s);
}

static bool riscv_gen_fsgnj_s(DisasContext *ctx, const RVArgs *a, RVSignInject kind)
{
    IRTempId x = riscv_fp_unbox32(ctx, a->rs1);
    IRTempId y = riscv_fp_unbox32(ctx, a->rs2);
    IRTempId r = ir_new_local(ctx->b);
    riscv_gen_sign_inject(ctx, r, x, y, 1ULL << 31, kind);
    ir_gen_binary(ctx->b, IR_or, riscv_freg(a->rd), r, riscv_imm(ctx, (int64_t)RV_BOX32));
    return true;
}

static bool riscv_gen_fsgnj_d(DisasContext *ctx, const RVArgs *a, RVSignInject kind)
{
    IRTempId r = ir_new_local(ctx->b);
    riscv_gen_sign_inject(ctx, r, riscv_freg(a->rs1), riscv_freg(a->rs2), 1ULL << 63, kind);
    ir_gen_mov(ctx->b, riscv_freg(a->rd), r);
    return true;
}

bool trans_fsgnj_s(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fsgnj_s(ctx, a, RV_SGNJ);
}

bool trans_fsgnjn_s(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fsgnj_s(ctx, a, RV_SGNJN);
}

bool trans_fsgnjx_s(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fsgnj_s(ctx, a, RV_SGNJX);
}

bool trans_fsgnj_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fsgnj_d(ctx, a, RV_SGNJ);
}

bool trans_fsgnjn_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fsgnj_d(ctx, a, RV_SGNJN);
}

bool trans_fsgnjx_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fsgnj_d(ctx, a, RV_SGNJX);
}

/* fmv.x.w copies the low 32 bits without checking the boxing. */
bool trans_fmv_x_w(DisasContext *ctx, const RVArgs *a)
{
    ir_gen_unary(ctx->b, IR_ext32s, riscv_dest(ctx, a->rd), riscv_freg(a->rs1));
    return true;
}

bool trans_fmv_w_x(DisasContext *ctx, const RVArgs *a)
{
    IRTempId lo = ir_new_local(ctx->b);
    ir_gen_unary(ctx->b, IR_ext32u, lo, riscv_reg(ctx, a->rs1));
    ir_gen_binary(ctx->b, IR_or, riscv_freg(a->rd), lo, riscv_imm(ctx, (int64_t)RV_BOX32));
    return true;
}

bool trans_fmv_x_d(DisasContext *ctx, const RVArgs *a)
{
    ir_gen_mov(ctx->b, riscv_dest(ctx, a->rd), riscv_freg(a->rs1));
    return true;
}

bool trans_fmv_d_x(DisasContext *ctx, const RVArgs *a)
{
    ir_gen_mov(ctx->b, riscv_freg(a->rd), riscv_reg(ctx, a->rs1));
    return true;
}
