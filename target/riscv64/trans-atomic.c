/*
 * trans-atomic.c — translation of the A extension (LR/SC and AMOs).
 *
 * The one thing to know: every atomic is a helper call; the pc global is set
 * to the instruction first so a fault inside the helper reports this pc. The
 * aq/rl bits need no code: the host is x86 (TSO) and the helpers use
 * sequentially consistent atomics.
 */
#include "target/riscv64/helper.h"
#include "target/riscv64/translate.h"

static bool riscv_gen_atomic_call(DisasContext *ctx, const RVArgs *a, const IRHelper *h,
                                  IRTempId x, IRTempId y, IRTempId z)
{
    IRTempId out = ir_new_local(ctx->b);
    ir_gen_mov(ctx->b, riscv_pc_global(), riscv_imm(ctx, (int64_t)ctx->pc));
    ir_gen_call(ctx->b, out, h, x, y, z);
    ir_gen_mov(ctx->b, riscv_dest(ctx, a->rd), out);
    return true;
}

static bool riscv_gen_lr(DisasContext *ctx, const RVArgs *a, unsigned size_log2)
{
    return riscv_gen_atomic_call(ctx, a, &riscv_helper_lr, riscv_reg(ctx, a->rs1),
                                 riscv_imm(ctx, size_log2), riscv_imm(ctx, 0));
}

static bool riscv_gen_sc(DisasContext *ctx, const RVArgs *a, unsigned size_log2)
{
    return riscv_gen_atomic_call(ctx, a, &riscv_helper_sc, riscv_reg(ctx, a->rs1),
                                 riscv_reg(ctx, a->rs2), riscv_imm(ctx, size_log2));
}

static bool riscv_gen_amo(DisasContext *ctx, const RVArgs *a, RVAmoOp op, unsigned size_log2)
{
    return riscv_gen_atomic_call(ctx, a, &riscv_helper_amo, riscv_reg(ctx, a->rs1),
                                 riscv_reg(ctx, a->rs2),
                                 riscv_imm(ctx, (int64_t)(op | size_log2 << 8)));
}

bool trans_lr_w(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_lr(ctx, a, 2);
}

bool trans_lr_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_lr(ctx, a, 3);
}

bool trans_sc_w(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_sc(ctx, a, 2);
}

bool trans_sc_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_sc(ctx, a, 3);
}

bool trans_amoswap_w(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_amo(ctx, a, RV_AMO_SWAP, 2);
}

bool trans_amoadd_w(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_amo(ctx, a, RV_AMO_ADD, 2);
}

bool trans_amoxor_w(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_amo(ctx, a, RV_AMO_XOR, 2);
}

bool trans_amoand_w(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_amo(ctx, a, RV_AMO_AND, 2);
}

bool trans_amoor_w(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_amo(ctx, a, RV_AMO_OR, 2);
}

bool trans_amomin_w(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_amo(ctx, a, RV_AMO_MIN, 2);
}

bool trans_amomax_w(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_amo(ctx, a, RV_AMO_MAX, 2);
}

bool trans_amominu_w(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_amo(ctx, a, RV_AMO_MINU, 2);
}

bool trans_amomaxu_w(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_amo(ctx, a, RV_AMO_MAXU, 2);
}

bool trans_amoswap_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_amo(ctx, a, RV_AMO_SWAP, 3);
}

bool trans_amoadd_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_amo(ctx, a, RV_AMO_ADD, 3);
}

bool trans_amoxor_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_amo(ctx, a, RV_AMO_XOR, 3);
}

bool trans_amoand_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_amo(ctx, a, RV_AMO_AND, 3);
}

bool trans_amoor_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_amo(ctx, a, RV_AMO_OR, 3);
}

bool trans_amomin_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_amo(ctx, a, RV_AMO_MIN, 3);
}

bool trans_amomax_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_amo(ctx, a, RV_AMO_MAX, 3);
}

bool trans_amominu_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_amo(ctx, a, RV_AMO_MINU, 3);
}

bool trans_amomaxu_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_amo(ctx, a, RV_AMO_MAXU, 3);
}
