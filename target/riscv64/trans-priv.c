/*
 * trans-priv.c — the privileged instructions of system mode: sret, mret,
 * wfi and sfence.vma, and the FP-enable check. In user mode they are
 * illegal.
 *
 * The one thing to know: each is a helper call with the pc global set to
 * the instruction (a helper may raise an exception), followed by the end
 * of the block: privilege, translation or interrupt enables may have
 * changed, and the exec loop recomputes the TB flags.
 */
#include "target/riscv64/helper.h"
#include "target/riscv64/translate.h"

/* pc = this instruction; out = helper(arg, arg2); pc = out or next_pc;
 * leave with excp. */
static bool riscv_gen_priv_call2(DisasContext *ctx, const IRHelper *h, IRTempId arg,
                                 IRTempId arg2, bool pc_from_helper, Excp excp)
{
    if (!ctx->system) {
        return false;
    }
    IRTempId out = ir_new_local(ctx->b);
    ir_gen_mov(ctx->b, riscv_pc_global(), riscv_imm(ctx, (int64_t)ctx->pc));
    ir_gen_call(ctx->b, out, h, arg, arg2, riscv_imm(ctx, 0));
    ir_gen_mov(ctx->b, riscv_pc_global(),
               pc_from_helper ? out : riscv_imm(ctx, (int64_t)ctx->next_pc));
    ir_gen_exit_tb(ctx->b, excp);
    ctx->end = true;
    return true;
}

static bool riscv_gen_priv_call(DisasContext *ctx, const IRHelper *h, IRTempId arg,
                                bool pc_from_helper, Excp excp)
{
    return riscv_gen_priv_call2(ctx, h, arg, riscv_imm(ctx, 0), pc_from_helper, excp);
}

bool trans_sret(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_priv_call(ctx, &riscv_helper_sret, riscv_imm(ctx, 0), true, EXCP_NONE);
}

bool trans_mret(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_priv_call(ctx, &riscv_helper_mret, riscv_imm(ctx, 0), true, EXCP_NONE);
}

bool trans_wfi(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_priv_call(ctx, &riscv_helper_wfi, riscv_imm(ctx, 0), false, EXCP_HALT);
}

bool trans_sfence_vma(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_priv_call2(ctx, &riscv_helper_sfence_vma, riscv_reg(ctx, a->rs1),
                                riscv_imm(ctx, a->rs1 != 0), false, EXCP_NONE);
}

bool riscv_fp_enabled(DisasContext *ctx)
{
    if (!ctx->system) {
        return true;
    }
    if (ctx->fs == 0) {
        return false;
    }
    if (ctx->fs != 3 && !ctx->fs_dirty_done) {
        IRTempId unused = ir_new_local(ctx->b);
        ir_gen_call_leaf(ctx->b, unused, &riscv_helper_fs_dirty, riscv_imm(ctx, 0),
                         riscv_imm(ctx, 0), riscv_imm(ctx, 0));
        ctx->fs_dirty_done = true;
    }
    return true;
}
