/*
 * trans-mul.c — translation of the M extension (multiply and divide).
 *
 * The one thing to know: the IR div/rem ops already have RISC-V semantics
 * (no traps, x/0 = -1, x%0 = x), so the W forms only need to extend their
 * inputs to 64 bits and sign-extend the result.
 */
#include "target/riscv64/translate.h"

/* rd = ext32s(op(ext(rs1), ext(rs2))) */
static bool riscv_gen_muldiv_w(DisasContext *ctx, const RVArgs *a, IROpcode opc, IROpcode ext)
{
    IRTempId x = ir_new_local(ctx->b);
    IRTempId y = ir_new_local(ctx->b);
    IRTempId t = ir_new_local(ctx->b);
    ir_gen_unary(ctx->b, ext, x, riscv_reg(ctx, a->rs1));
    ir_gen_unary(ctx->b, ext, y, riscv_reg(ctx, a->rs2));
    ir_gen_binary(ctx->b, opc, t, x, y);
    ir_gen_unary(ctx->b, IR_ext32s, riscv_dest(ctx, a->rd), t);
    return true;
}

bool trans_mul(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith(ctx, a, IR_mul);
    return true;
}

bool trans_mulh(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith(ctx, a, IR_mulsh);
    return true;
}

bool trans_mulhsu(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith(ctx, a, IR_mulsuh);
    return true;
}

bool trans_mulhu(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith(ctx, a, IR_muluh);
    return true;
}

bool trans_div(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith(ctx, a, IR_div);
    return true;
}

bool trans_divu(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith(ctx, a, IR_divu);
    return true;
}

bool trans_rem(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith(ctx, a, IR_rem);
    return true;
}

bool trans_remu(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith(ctx, a, IR_remu);
    return true;
}

bool trans_mulw(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith_w(ctx, a, IR_mul);
    return true;
}

bool trans_divw(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_muldiv_w(ctx, a, IR_div, IR_ext32s);
}

bool trans_divuw(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_muldiv_w(ctx, a, IR_divu, IR_ext32u);
}

bool trans_remw(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_muldiv_w(ctx, a, IR_rem, IR_ext32s);
}

bool trans_remuw(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_muldiv_w(ctx, a, IR_remu, IR_ext32u);
}
