/*
 * trans-base.c — translation of the RV64I base integer instructions.
 *
 * The one thing to know: results that take more than one op are computed in
 * locals and moved into rd last, because rd may be one of the sources.
 */
#include "target/riscv64/translate.h"

void riscv_gen_arith(DisasContext *ctx, const RVArgs *a, IROpcode opc)
{
    ir_gen_binary(ctx->b, opc, riscv_dest(ctx, a->rd), riscv_reg(ctx, a->rs1),
                  riscv_reg(ctx, a->rs2));
}

void riscv_gen_arith_imm(DisasContext *ctx, const RVArgs *a, IROpcode opc)
{
    ir_gen_binary(ctx->b, opc, riscv_dest(ctx, a->rd), riscv_reg(ctx, a->rs1),
                  riscv_imm(ctx, a->imm));
}

void riscv_gen_arith_w(DisasContext *ctx, const RVArgs *a, IROpcode opc)
{
    IRTempId t = ir_new_local(ctx->b);
    ir_gen_binary(ctx->b, opc, t, riscv_reg(ctx, a->rs1), riscv_reg(ctx, a->rs2));
    ir_gen_unary(ctx->b, IR_ext32s, riscv_dest(ctx, a->rd), t);
}

/* rd = ext32s(op(src, imm)) */
static void riscv_gen_arith_imm_w(DisasContext *ctx, const RVArgs *a, IROpcode opc, IRTempId src)
{
    IRTempId t = ir_new_local(ctx->b);
    ir_gen_binary(ctx->b, opc, t, src, riscv_imm(ctx, a->imm));
    ir_gen_unary(ctx->b, IR_ext32s, riscv_dest(ctx, a->rd), t);
}

/* rd = ext32s(op(src, rs2 & 31)) for the W shifts. */
static void riscv_gen_shift_w(DisasContext *ctx, const RVArgs *a, IROpcode opc, IRTempId src)
{
    IRTempId count = ir_new_local(ctx->b);
    IRTempId t = ir_new_local(ctx->b);
    ir_gen_binary(ctx->b, IR_and, count, riscv_reg(ctx, a->rs2), riscv_imm(ctx, 31));
    ir_gen_binary(ctx->b, opc, t, src, count);
    ir_gen_unary(ctx->b, IR_ext32s, riscv_dest(ctx, a->rd), t);
}

static IRTempId riscv_gen_ext(DisasContext *ctx, IROpcode opc, int r)
{
    IRTempId t = ir_new_local(ctx->b);
    ir_gen_unary(ctx->b, opc, t, riscv_reg(ctx, r));
    return t;
}

bool trans_lui(DisasContext *ctx, const RVArgs *a)
{
    ir_gen_mov(ctx->b, riscv_dest(ctx, a->rd), riscv_imm(ctx, a->imm));
    return true;
}

bool trans_auipc(DisasContext *ctx, const RVArgs *a)
{
    ir_gen_mov(ctx->b, riscv_dest(ctx, a->rd), riscv_imm(ctx, (int64_t)(ctx->pc + (uint64_t)a->imm)));
    return true;
}

bool trans_jal(DisasContext *ctx, const RVArgs *a)
{
    uint64_t target = ctx->pc + (uint64_t)a->imm;
    ir_gen_mov(ctx->b, riscv_dest(ctx, a->rd), riscv_imm(ctx, (int64_t)ctx->next_pc));
    /* The jump over the else part of an if-else whose else part a skip
     * reaches: both parts and the join stay in the block. */
    if (a->rd == 0 && riscv_skip_pending(ctx, ctx->next_pc)) {
        int label = riscv_skip_label(ctx, target);
        if (label >= 0) {
            ir_gen_br(ctx->b, (unsigned)label);
            return true;
        }
    }
    if (a->rd == 0) {
        int loop = riscv_loop_label(ctx, target);
        if (loop >= 0) {
            /* the back edge of a loop inside the block; the exit after it
             * is never taken but ends the block's IR properly */
            IRTempId zero = riscv_imm(ctx, 0);
            ir_gen_brloop(ctx->b, IR_COND_EQ, zero, zero, (unsigned)loop, target);
        }
        if (ctx->restart) {
            return true;
        }
    }
    riscv_gen_jump(ctx, 0, target);
    return true;
}

bool trans_jalr(DisasContext *ctx, const RVArgs *a)
{
    IRTempId target = ir_new_local(ctx->b);
    ir_gen_binary(ctx->b, IR_add, target, riscv_reg(ctx, a->rs1), riscv_imm(ctx, a->imm));
    IRTempId aligned = ir_new_local(ctx->b);
    ir_gen_binary(ctx->b, IR_and, aligned, target, riscv_imm(ctx, ~(int64_t)1));
    ir_gen_mov(ctx->b, riscv_dest(ctx, a->rd), riscv_imm(ctx, (int64_t)ctx->next_pc));
    ir_gen_mov(ctx->b, riscv_pc_global(), aligned);
    ir_gen_goto_ptr(ctx->b);
    ctx->end = true;
    return true;
}

/* A conditional branch: the back edge of a loop inside the block, a skip,
 * a side exit, or at the end of a block
 * brcond(cond, rs1, rs2, taken); pc = next; goto_tb 1; taken: pc = target; goto_tb 0 */
static bool riscv_gen_branch(DisasContext *ctx, const RVArgs *a, IRCond cond)
{
    uint64_t target = ctx->pc + (uint64_t)a->imm;
    int loop = riscv_loop_label(ctx, target);
    if (loop >= 0) {
        ir_gen_brloop(ctx->b, cond, riscv_reg(ctx, a->rs1), riscv_reg(ctx, a->rs2),
                      (unsigned)loop, target);
        return true;
    }
    if (ctx->restart) {
        return true;
    }
    int skip = riscv_skip_label(ctx, target);
    if (skip >= 0) {
        ir_gen_brcond(ctx->b, cond, riscv_reg(ctx, a->rs1), riscv_reg(ctx, a->rs2),
                      (unsigned)skip);
        return true;
    }
    if (!ctx->system && target > ctx->pc && ctx->side_exits < RISCV_MAX_SIDE_EXITS) {
        /* A forward branch, statically predicted not taken: the block
         * goes on with the next instruction (so loops made of several
         * small blocks become one, often a self-loop with its registers
         * pinned) and the taken side leaves through a chain slot of its
         * own. System mode keeps a block's exits to slots 0 and 1 (a
         * target on another page needs the lookup of riscv_gen_jump). */
        unsigned fall = ir_new_label(ctx->b);
        ir_gen_brcond(ctx->b, (IRCond)(cond ^ 1), riscv_reg(ctx, a->rs1), riscv_reg(ctx, a->rs2),
                      fall);
        ir_gen_mov(ctx->b, riscv_pc_global(), riscv_imm(ctx, (int64_t)target));
        ir_gen_goto_tb(ctx->b, 2 + ctx->side_exits);
        ir_gen_label(ctx->b, fall);
        ctx->side_exits++;
        return true;
    }
    unsigned taken = ir_new_label(ctx->b);
    ir_gen_brcond(ctx->b, cond, riscv_reg(ctx, a->rs1), riscv_reg(ctx, a->rs2), taken);
    /* Not taken: when a skip goes to the next instruction the block goes
     * on there (a loop's exit into the code after it), so fall into it. */
    int next = riscv_skip_pending(ctx, ctx->next_pc) ? riscv_skip_label(ctx, ctx->next_pc) : -1;
    if (next >= 0) {
        ir_gen_br(ctx->b, (unsigned)next);
    } else {
        riscv_gen_jump(ctx, 1, ctx->next_pc);
    }
    ir_gen_label(ctx->b, taken);
    riscv_gen_jump(ctx, 0, ctx->pc + (uint64_t)a->imm);
    return true;
}

bool trans_beq(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_branch(ctx, a, IR_COND_EQ);
}

bool trans_bne(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_branch(ctx, a, IR_COND_NE);
}

bool trans_blt(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_branch(ctx, a, IR_COND_LT);
}

bool trans_bge(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_branch(ctx, a, IR_COND_GE);
}

bool trans_bltu(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_branch(ctx, a, IR_COND_LTU);
}

bool trans_bgeu(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_branch(ctx, a, IR_COND_GEU);
}

/* Loads and stores address rs1 + imm: the immediate (12 bits) is the op's
 * displacement, which the backend folds into the host access. */
static bool riscv_gen_load(DisasContext *ctx, const RVArgs *a, IRMemOp mo)
{
    ir_gen_ld_disp(ctx->b, riscv_dest(ctx, a->rd), riscv_reg(ctx, a->rs1), a->imm,
                   riscv_memop(ctx, mo));
    return true;
}

static bool riscv_gen_store(DisasContext *ctx, const RVArgs *a, IRMemOp mo)
{
    ir_gen_st_disp(ctx->b, riscv_reg(ctx, a->rs2), riscv_reg(ctx, a->rs1), a->imm,
                   riscv_memop(ctx, mo));
    return true;
}

bool trans_lb(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_load(ctx, a, IR_MO_8 | IR_MO_SIGN);
}

bool trans_lh(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_load(ctx, a, IR_MO_16 | IR_MO_SIGN);
}

bool trans_lw(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_load(ctx, a, IR_MO_32 | IR_MO_SIGN);
}

bool trans_ld(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_load(ctx, a, IR_MO_64);
}

bool trans_lbu(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_load(ctx, a, IR_MO_8);
}

bool trans_lhu(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_load(ctx, a, IR_MO_16);
}

bool trans_lwu(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_load(ctx, a, IR_MO_32);
}

bool trans_sb(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_store(ctx, a, IR_MO_8);
}

bool trans_sh(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_store(ctx, a, IR_MO_16);
}

bool trans_sw(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_store(ctx, a, IR_MO_32);
}

bool trans_sd(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_store(ctx, a, IR_MO_64);
}

bool trans_addi(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith_imm(ctx, a, IR_add);
    return true;
}

bool trans_slti(DisasContext *ctx, const RVArgs *a)
{
    ir_gen_setcond(ctx->b, IR_COND_LT, riscv_dest(ctx, a->rd), riscv_reg(ctx, a->rs1),
                   riscv_imm(ctx, a->imm));
    return true;
}

bool trans_sltiu(DisasContext *ctx, const RVArgs *a)
{
    ir_gen_setcond(ctx->b, IR_COND_LTU, riscv_dest(ctx, a->rd), riscv_reg(ctx, a->rs1),
                   riscv_imm(ctx, a->imm));
    return true;
}

bool trans_xori(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith_imm(ctx, a, IR_xor);
    return true;
}

bool trans_ori(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith_imm(ctx, a, IR_or);
    return true;
}

bool trans_andi(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith_imm(ctx, a, IR_and);
    return true;
}

bool trans_slli(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith_imm(ctx, a, IR_shl);
    return true;
}

bool trans_srli(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith_imm(ctx, a, IR_shr);
    return true;
}

bool trans_srai(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith_imm(ctx, a, IR_sar);
    return true;
}

bool trans_add(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith(ctx, a, IR_add);
    return true;
}

bool trans_sub(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith(ctx, a, IR_sub);
    return true;
}

bool trans_sll(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith(ctx, a, IR_shl);
    return true;
}

bool trans_slt(DisasContext *ctx, const RVArgs *a)
{
    ir_gen_setcond(ctx->b, IR_COND_LT, riscv_dest(ctx, a->rd), riscv_reg(ctx, a->rs1),
                   riscv_reg(ctx, a->rs2));
    return true;
}

bool trans_sltu(DisasContext *ctx, const RVArgs *a)
{
    ir_gen_setcond(ctx->b, IR_COND_LTU, riscv_dest(ctx, a->rd), riscv_reg(ctx, a->rs1),
                   riscv_reg(ctx, a->rs2));
    return true;
}

bool trans_xor(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith(ctx, a, IR_xor);
    return true;
}

bool trans_srl(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith(ctx, a, IR_shr);
    return true;
}

bool trans_sra(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith(ctx, a, IR_sar);
    return true;
}

bool trans_or(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith(ctx, a, IR_or);
    return true;
}

bool trans_and(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith(ctx, a, IR_and);
    return true;
}

bool trans_addiw(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith_imm_w(ctx, a, IR_add, riscv_reg(ctx, a->rs1));
    return true;
}

bool trans_slliw(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith_imm_w(ctx, a, IR_shl, riscv_reg(ctx, a->rs1));
    return true;
}

bool trans_srliw(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith_imm_w(ctx, a, IR_shr, riscv_gen_ext(ctx, IR_ext32u, a->rs1));
    return true;
}

bool trans_sraiw(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith_imm_w(ctx, a, IR_sar, riscv_gen_ext(ctx, IR_ext32s, a->rs1));
    return true;
}

bool trans_addw(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith_w(ctx, a, IR_add);
    return true;
}

bool trans_subw(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_arith_w(ctx, a, IR_sub);
    return true;
}

bool trans_sllw(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_shift_w(ctx, a, IR_shl, riscv_reg(ctx, a->rs1));
    return true;
}

bool trans_srlw(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_shift_w(ctx, a, IR_shr, riscv_gen_ext(ctx, IR_ext32u, a->rs1));
    return true;
}

bool trans_sraw(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_shift_w(ctx, a, IR_sar, riscv_gen_ext(ctx, IR_ext32s, a->rs1));
    return true;
}
