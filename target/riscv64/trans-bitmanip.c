/*
 * trans-bitmanip.c — translation of Zba, Zbb and Zbs.
 *
 * The one thing to know: the 32-bit forms are built from the 64-bit IR ops:
 * clzw(x) = clz((x << 32) | 0x80000000), ctzw(x) = ctz(x | 1 << 32), and
 * rolw/rorw rotate the low word doubled into both halves, so the low 32 bits
 * of the 64-bit rotate are the 32-bit rotate.
 */
#include "target/riscv64/translate.h"

static IRTempId riscv_gen_unary_local(DisasContext *ctx, IROpcode opc, IRTempId src)
{
    IRTempId t = ir_new_local(ctx->b);
    ir_gen_unary(ctx->b, opc, t, src);
    return t;
}

static IRTempId riscv_gen_binary_local(DisasContext *ctx, IROpcode opc, IRTempId x, IRTempId y)
{
    IRTempId t = ir_new_local(ctx->b);
    ir_gen_binary(ctx->b, opc, t, x, y);
    return t;
}

/* rd = rs2 + (src << shift) */
static bool riscv_gen_shadd(DisasContext *ctx, const RVArgs *a, IRTempId src, int shift)
{
    IRTempId t = riscv_gen_binary_local(ctx, IR_shl, src, riscv_imm(ctx, shift));
    ir_gen_binary(ctx->b, IR_add, riscv_dest(ctx, a->rd), riscv_reg(ctx, a->rs2), t);
    return true;
}

static IRTempId riscv_gen_zext_w(DisasContext *ctx, int r)
{
    return riscv_gen_unary_local(ctx, IR_ext32u, riscv_reg(ctx, r));
}

bool trans_sh1add(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_shadd(ctx, a, riscv_reg(ctx, a->rs1), 1);
}

bool trans_sh2add(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_shadd(ctx, a, riscv_reg(ctx, a->rs1), 2);
}

bool trans_sh3add(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_shadd(ctx, a, riscv_reg(ctx, a->rs1), 3);
}

bool trans_add_uw(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_shadd(ctx, a, riscv_gen_zext_w(ctx, a->rs1), 0);
}

bool trans_sh1add_uw(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_shadd(ctx, a, riscv_gen_zext_w(ctx, a->rs1), 1);
}

bool trans_sh2add_uw(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_shadd(ctx, a, riscv_gen_zext_w(ctx, a->rs1), 2);
}

bool trans_sh3add_uw(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_shadd(ctx, a, riscv_gen_zext_w(ctx, a->rs1), 3);
}

bool trans_slli_uw(DisasContext *ctx, const RVArgs *a)
{
    ir_gen_binary(ctx->b, IR_shl, riscv_dest(ctx, a->rd), riscv_gen_zext_w(ctx, a->rs1),
                  riscv_imm(ctx, a->imm));
    return true;
}

bool trans_andn(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith(ctx, a, IR_andn);
    return true;
}

bool trans_orn(DisasContext *ctx, const RVArgs *a)
{
    IRTempId t = riscv_gen_unary_local(ctx, IR_not, riscv_reg(ctx, a->rs2));
    ir_gen_binary(ctx->b, IR_or, riscv_dest(ctx, a->rd), riscv_reg(ctx, a->rs1), t);
    return true;
}

bool trans_xnor(DisasContext *ctx, const RVArgs *a)
{
    IRTempId t = riscv_gen_binary_local(ctx, IR_xor, riscv_reg(ctx, a->rs1), riscv_reg(ctx, a->rs2));
    ir_gen_unary(ctx->b, IR_not, riscv_dest(ctx, a->rd), t);
    return true;
}

/* rd = cond(rs1, rs2) ? rs1 : rs2 */
static bool riscv_gen_select(DisasContext *ctx, const RVArgs *a, IRCond cond)
{
    IRTempId x = riscv_reg(ctx, a->rs1);
    IRTempId y = riscv_reg(ctx, a->rs2);
    ir_gen_movcond(ctx->b, cond, riscv_dest(ctx, a->rd), x, y, x, y);
    return true;
}

bool trans_max(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_select(ctx, a, IR_COND_GE);
}

bool trans_maxu(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_select(ctx, a, IR_COND_GEU);
}

bool trans_min(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_select(ctx, a, IR_COND_LT);
}

bool trans_minu(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_select(ctx, a, IR_COND_LTU);
}

bool trans_rol(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith(ctx, a, IR_rotl);
    return true;
}

bool trans_ror(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith(ctx, a, IR_rotr);
    return true;
}

bool trans_rori(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith_imm(ctx, a, IR_rotr);
    return true;
}

/* rd = ext32s(op(low word of rs1 doubled, count & 31)) */
static bool riscv_gen_rotate_w(DisasContext *ctx, const RVArgs *a, IROpcode opc, IRTempId count)
{
    IRTempId lo = riscv_gen_zext_w(ctx, a->rs1);
    IRTempId hi = riscv_gen_binary_local(ctx, IR_shl, lo, riscv_imm(ctx, 32));
    IRTempId both = riscv_gen_binary_local(ctx, IR_or, lo, hi);
    IRTempId n = riscv_gen_binary_local(ctx, IR_and, count, riscv_imm(ctx, 31));
    IRTempId t = riscv_gen_binary_local(ctx, opc, both, n);
    ir_gen_unary(ctx->b, IR_ext32s, riscv_dest(ctx, a->rd), t);
    return true;
}

bool trans_rolw(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_rotate_w(ctx, a, IR_rotl, riscv_reg(ctx, a->rs2));
}

bool trans_rorw(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_rotate_w(ctx, a, IR_rotr, riscv_reg(ctx, a->rs2));
}

bool trans_roriw(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_rotate_w(ctx, a, IR_rotr, riscv_imm(ctx, a->imm));
}

static bool riscv_gen_unary_op(DisasContext *ctx, const RVArgs *a, IROpcode opc)
{
    ir_gen_unary(ctx->b, opc, riscv_dest(ctx, a->rd), riscv_reg(ctx, a->rs1));
    return true;
}

bool trans_clz(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_unary_op(ctx, a, IR_clz);
}

bool trans_ctz(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_unary_op(ctx, a, IR_ctz);
}

bool trans_cpop(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_unary_op(ctx, a, IR_cpop);
}

bool trans_sext_b(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_unary_op(ctx, a, IR_ext8s);
}

bool trans_sext_h(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_unary_op(ctx, a, IR_ext16s);
}

bool trans_zext_h(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_unary_op(ctx, a, IR_ext16u);
}

bool trans_orc_b(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_unary_op(ctx, a, IR_orcb);
}

bool trans_rev8(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_unary_op(ctx, a, IR_bswap);
}

bool trans_clzw(DisasContext *ctx, const RVArgs *a)
{
    IRTempId t = riscv_gen_binary_local(ctx, IR_shl, riscv_reg(ctx, a->rs1), riscv_imm(ctx, 32));
    IRTempId u = riscv_gen_binary_local(ctx, IR_or, t, riscv_imm(ctx, 0x80000000));
    ir_gen_unary(ctx->b, IR_clz, riscv_dest(ctx, a->rd), u);
    return true;
}

bool trans_ctzw(DisasContext *ctx, const RVArgs *a)
{
    IRTempId t = riscv_gen_binary_local(ctx, IR_or, riscv_reg(ctx, a->rs1),
                                        riscv_imm(ctx, (int64_t)1 << 32));
    ir_gen_unary(ctx->b, IR_ctz, riscv_dest(ctx, a->rd), t);
    return true;
}

bool trans_cpopw(DisasContext *ctx, const RVArgs *a)
{
    ir_gen_unary(ctx->b, IR_cpop, riscv_dest(ctx, a->rd), riscv_gen_zext_w(ctx, a->rs1));
    return true;
}

/* The single-bit mask 1 << (index & 63). */
static IRTempId riscv_gen_bit(DisasContext *ctx, IRTempId index)
{
    return riscv_gen_binary_local(ctx, IR_shl, riscv_imm(ctx, 1), index);
}

static bool riscv_gen_bitop(DisasContext *ctx, const RVArgs *a, IROpcode opc, IRTempId index)
{
    IRTempId bit = riscv_gen_bit(ctx, index);
    ir_gen_binary(ctx->b, opc, riscv_dest(ctx, a->rd), riscv_reg(ctx, a->rs1), bit);
    return true;
}

static bool riscv_gen_bext(DisasContext *ctx, const RVArgs *a, IRTempId index)
{
    IRTempId t = riscv_gen_binary_local(ctx, IR_shr, riscv_reg(ctx, a->rs1), index);
    ir_gen_binary(ctx->b, IR_and, riscv_dest(ctx, a->rd), t, riscv_imm(ctx, 1));
    return true;
}

bool trans_bclr(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_bitop(ctx, a, IR_andn, riscv_reg(ctx, a->rs2));
}

bool trans_binv(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_bitop(ctx, a, IR_xor, riscv_reg(ctx, a->rs2));
}

bool trans_bset(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_bitop(ctx, a, IR_or, riscv_reg(ctx, a->rs2));
}

bool trans_bext(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_bext(ctx, a, riscv_reg(ctx, a->rs2));
}

bool trans_bclri(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_bitop(ctx, a, IR_andn, riscv_imm(ctx, a->imm));
}

bool trans_binvi(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_bitop(ctx, a, IR_xor, riscv_imm(ctx, a->imm));
}

bool trans_bseti(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_bitop(ctx, a, IR_or, riscv_imm(ctx, a->imm));
}

bool trans_bexti(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_bext(ctx, a, riscv_imm(ctx, a->imm));
}
