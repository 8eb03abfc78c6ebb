/*
 * trans-system.c — ecall, ebreak, fences and the user-level CSR accesses.
 *
 * The one thing to know: ecall and ebreak leave the block with pc pointing
 * at themselves (the syscall layer advances it); a CSR instruction is legal
 * only for the counters (read-only) and the FP status registers, and that
 * is decided here, before any op is emitted.
 */
#include <stddef.h>

#include "target/riscv64/cpu.h"
#include "target/riscv64/helper.h"
#include "target/riscv64/translate.h"

bool trans_ecall(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_exception(ctx, EXCP_SYSCALL);
    return true;
}

bool trans_ebreak(DisasContext *ctx, const RVArgs *a)
{
    riscv_gen_exception(ctx, EXCP_BREAKPOINT);
    return true;
}

/* fence: the x86 host keeps every order RISC-V can ask for but one, an
 * earlier store before a later load. A fence with a store (or output) in
 * its predecessor set and a load (or input) in its successor set, such as
 * Linux's smp_mb() (fence rw,rw), needs a full host barrier: without it,
 * two harts that each store a flag and then read the other's can both
 * read the old values (a lost wakeup). fence.tso, the acquire and release
 * fences (fence r,rw / fence rw,w) and pause (fence w,0) need nothing. */
bool trans_fence(DisasContext *ctx, const RVArgs *a)
{
    enum { FENCE_W = 1, FENCE_R = 2, FENCE_O = 4, FENCE_I = 8, FENCE_FM_TSO = 8 };
    unsigned fm = (unsigned)(a->imm >> 8) & 0xf;
    unsigned pred = (unsigned)(a->imm >> 4) & 0xf, succ = (unsigned)a->imm & 0xf;
    if (fm != FENCE_FM_TSO && (pred & (FENCE_W | FENCE_O)) && (succ & (FENCE_R | FENCE_I))) {
        IRTempId out = ir_new_local(ctx->b);
        ir_gen_call(ctx->b, out, &riscv_helper_full_barrier, riscv_imm(ctx, 0),
                    riscv_imm(ctx, 0), riscv_imm(ctx, 0));
    }
    return true;
}

/* fence.i: in system mode a store to a page with translated code has
 * already dropped that code (exec/code-pages.c); the helper drops what was
 * translated from recently written code pages meanwhile, and the block ends
 * (what follows must be fetched anew). User mode flushes every translation. */
bool trans_fence_i(DisasContext *ctx, const RVArgs *a)
{
    if (ctx->system) {
        IRTempId out = ir_new_local(ctx->b);
        ir_gen_call(ctx->b, out, &riscv_helper_fence_i, riscv_imm(ctx, 0), riscv_imm(ctx, 0),
                    riscv_imm(ctx, 0));
    }
    ir_gen_mov(ctx->b, riscv_pc_global(), riscv_imm(ctx, (int64_t)ctx->next_pc));
    ir_gen_exit_tb(ctx->b, ctx->system ? EXCP_NONE : EXCP_FLUSH);
    ctx->end = true;
    return true;
}

static bool riscv_csr_is_counter(int64_t csr)
{
    return csr >= 0xc00 && csr <= 0xc02;
}

static bool riscv_csr_is_fp(int64_t csr)
{
    return csr >= 0x001 && csr <= 0x003;
}

/* User mode, fflags (1), frm (2) or fcsr (3): rd = csr; csr = op(csr, src),
 * inline on the CPU fields (frrm/fsflags pairs around quiet compares are
 * common in FP code). */
static void riscv_gen_fp_csr(DisasContext *ctx, const RVArgs *a, RVCsrOp op, IRTempId src)
{
    const int32_t flags_off = (int32_t)offsetof(RISCVCPU, fflags);
    const int32_t rm_off = (int32_t)offsetof(RISCVCPU, frm);
    IRBlock *b = ctx->b;
    IRTempId old = ir_new_local(b);
    if (a->imm == 1) {
        ir_gen_ld_env32(b, old, flags_off);
    } else if (a->imm == 2) {
        ir_gen_ld_env32(b, old, rm_off);
    } else {
        IRTempId flags = ir_new_local(b), rm = ir_new_local(b), rm5 = ir_new_local(b);
        ir_gen_ld_env32(b, flags, flags_off);
        ir_gen_ld_env32(b, rm, rm_off);
        ir_gen_binary(b, IR_shl, rm5, rm, riscv_imm(ctx, 5));
        ir_gen_binary(b, IR_or, old, rm5, flags);
    }
    if (op != RV_CSR_READ) {
        IRTempId next = src;
        if (op != RV_CSR_WRITE) {
            next = ir_new_local(b);
            ir_gen_binary(b, op == RV_CSR_SET ? IR_or : IR_andn, next, old, src);
        }
        if (a->imm != 2) {
            IRTempId flags = ir_new_local(b);
            ir_gen_binary(b, IR_and, flags, next, riscv_imm(ctx, 0x1f));
            ir_gen_st_env32(b, flags, flags_off);
        }
        if (a->imm != 1) {
            IRTempId rm = next;
            if (a->imm == 3) {
                rm = ir_new_local(b);
                ir_gen_binary(b, IR_shr, rm, next, riscv_imm(ctx, 5));
            }
            IRTempId rm3 = ir_new_local(b);
            ir_gen_binary(b, IR_and, rm3, rm, riscv_imm(ctx, 7));
            ir_gen_st_env32(b, rm3, rm_off);
        }
    }
    ir_gen_mov(b, riscv_dest(ctx, a->rd), old);
}

/* rd = csr; csr = op(csr, src). writes: whether the instruction writes. */
static bool riscv_gen_csr(DisasContext *ctx, const RVArgs *a, RVCsrOp op, IRTempId src,
                          bool writes)
{
    if (ctx->system) {
        /* Any CSR: the helper decides legality at run time; a write ends
         * the block, since it may change the TB flags or unmask an
         * interrupt. */
        IRTempId out = ir_new_local(ctx->b);
        ir_gen_mov(ctx->b, riscv_pc_global(), riscv_imm(ctx, (int64_t)ctx->pc));
        ir_gen_call(ctx->b, out, &riscv_helper_csr_sys, riscv_imm(ctx, a->imm), src,
                    riscv_imm(ctx, writes ? op : RV_CSR_READ));
        ir_gen_mov(ctx->b, riscv_dest(ctx, a->rd), out);
        if (writes) {
            /* Not chained: the next block's flags must be looked up anew. */
            ir_gen_mov(ctx->b, riscv_pc_global(), riscv_imm(ctx, (int64_t)ctx->next_pc));
            ir_gen_exit_tb(ctx->b, EXCP_NONE);
            ctx->end = true;
        }
        return true;
    }
    if (!riscv_csr_is_fp(a->imm) && !(riscv_csr_is_counter(a->imm) && !writes)) {
        return false;
    }
    if (writes) {
        ctx->frm_valid = false; /* frm may change */
    }
    if (riscv_csr_is_fp(a->imm)) {
        riscv_gen_fp_csr(ctx, a, writes ? op : RV_CSR_READ, src);
        return true;
    }
    /* The counters: a leaf call (the helper reads the host clock, touches
     * no guest register and cannot fault). */
    IRTempId out = ir_new_local(ctx->b);
    ir_gen_call_leaf(ctx->b, out, &riscv_helper_csr, riscv_imm(ctx, a->imm), src,
                     riscv_imm(ctx, writes ? op : RV_CSR_READ));
    ir_gen_mov(ctx->b, riscv_dest(ctx, a->rd), out);
    return true;
}

bool trans_csrrw(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_csr(ctx, a, RV_CSR_WRITE, riscv_reg(ctx, a->rs1), true);
}

bool trans_csrrs(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_csr(ctx, a, RV_CSR_SET, riscv_reg(ctx, a->rs1), a->rs1 != 0);
}

bool trans_csrrc(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_csr(ctx, a, RV_CSR_CLEAR, riscv_reg(ctx, a->rs1), a->rs1 != 0);
}

bool trans_csrrwi(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_csr(ctx, a, RV_CSR_WRITE, riscv_imm(ctx, a->rs1), true);
}

bool trans_csrrsi(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_csr(ctx, a, RV_CSR_SET, riscv_imm(ctx, a->rs1), a->rs1 != 0);
}

bool trans_csrrci(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_csr(ctx, a, RV_CSR_CLEAR, riscv_imm(ctx, a->rs1), a->rs1 != 0);
}
