/*
 * trans-fp.c — the F/D instructions that compute: arithmetic, fused
 * multiply-add, min/max, comparisons, fclass and conversions.
 *
 * The one thing to know: add, sub, mul, div, sqrt and the fused forms in
 * RNE or the dynamic mode, feq/flt/fle, fmin/fmax, and the signed
 * conversions between integers and floats (to integers also in RTZ) are
 * IR fp ops: the JIT computes them inline on SSE when that is exact (no
 * flag needed but an accrued NX, see docs/fpu.md) and calls the exact
 * helper otherwise.
 * Everything else is one helper call (helper-fp*.c does the IEEE work and
 * accumulates fflags). The static rounding modes 5 and 6 are rejected
 * here; a dynamic rounding mode is checked against frm at run time by the
 * helper, so for it the pc global is set before the call. Only the first
 * dynamic-rounding instruction of a block (or the first after a CSR write)
 * can fault that way (a full call, or an fp op marked IR_FP_FAULTS); the
 * others, and every instruction with a static mode, are leaf calls (IR
 * call_leaf: no write-back of the guest registers around them), except
 * the helper call for fused multiply-add, which reads rs3 from the CPU
 * state.
 */
#include "target/riscv64/fpu.h"
#include "target/riscv64/helper.h"
#include "target/riscv64/translate.h"

enum { RV_RM_FIELD_DYN = 7 };

/* Checks the rm field and returns the descriptor bits for it, or -1 for a
 * reserved static mode. */
static int64_t riscv_fp_rm_desc(DisasContext *ctx, unsigned rm)
{
    if (rm == 5 || rm == 6) {
        return -1;
    }
    ctx->fp_may_fault = false;
    if (rm == RV_RM_FIELD_DYN && !ctx->frm_valid) {
        ir_gen_mov(ctx->b, riscv_pc_global(), riscv_imm(ctx, (int64_t)ctx->pc));
        ctx->fp_may_fault = true;
        ctx->frm_valid = true; /* from here on, or the helper has faulted */
    }
    return (int64_t)rm << RV_FP_DESC_RM_SHIFT;
}

static int64_t riscv_fp_fmt_desc(bool dbl)
{
    return dbl ? RV_FP_DESC_DOUBLE : 0;
}

/* The FP helpers that read guest registers from the CPU state (fused
 * multiply-add reads rs3 there: a call has only three arguments). */
enum { RV_FP_READS_REGS = 1 };

/* dest = helper(x, y, desc); a leaf call unless the helper may fault (the
 * first dynamic rounding mode of the block) or reads guest registers. */
static void riscv_gen_fp_call(DisasContext *ctx, const IRHelper *h, IRTempId dest, IRTempId x,
                              IRTempId y, int64_t desc, unsigned how)
{
    IRTempId out = ir_new_local(ctx->b);
    if (ctx->fp_may_fault || (how & RV_FP_READS_REGS)) {
        ir_gen_call(ctx->b, out, h, x, y, riscv_imm(ctx, desc));
    } else {
        ir_gen_call_leaf(ctx->b, out, h, x, y, riscv_imm(ctx, desc));
    }
    ctx->fp_may_fault = false;
    ir_gen_mov(ctx->b, dest, out);
}

/* dest = kind(x, y, z) as an IR fp op, if the rounding mode field rm (already
 * checked by riscv_fp_rm_desc) is RNE or dynamic; false otherwise. */
static bool riscv_gen_fp_op(DisasContext *ctx, IRFpKind kind, unsigned rm, bool dbl,
                            IRTempId dest, IRTempId x, IRTempId y, IRTempId z)
{
    bool rtz = rm == RV_RM_RTZ && (kind == IR_FP_TO_W || kind == IR_FP_TO_L);
    if (rm != RV_RM_RNE && rm != RV_RM_FIELD_DYN && !rtz) {
        return false;
    }
    uint64_t desc = (uint64_t)kind | (dbl ? IR_FP_DOUBLE : 0) | (rtz ? IR_FP_RTZ : 0);
    if (rm == RV_RM_FIELD_DYN) {
        desc |= IR_FP_DYN | (ctx->fp_may_fault ? IR_FP_FAULTS : 0);
    }
    ctx->fp_may_fault = false;
    ir_gen_fp(ctx->b, dest, &riscv_fp_env, desc, x, y, z);
    return true;
}

static bool riscv_gen_fp_arith(DisasContext *ctx, const RVArgs *a, RVFpArithOp op, bool dbl)
{
    int64_t desc = 0;
    if (op != RV_FP_MIN && op != RV_FP_MAX) {
        desc = riscv_fp_rm_desc(ctx, (unsigned)a->imm & 7);
        if (desc < 0) {
            return false;
        }
    }
    IRTempId y = op == RV_FP_SQRT ? riscv_imm(ctx, 0) : riscv_freg(a->rs2);
    static const IRFpKind kinds[] = {
        [RV_FP_ADD] = IR_FP_ADD, [RV_FP_SUB] = IR_FP_SUB, [RV_FP_MUL] = IR_FP_MUL,
        [RV_FP_DIV] = IR_FP_DIV, [RV_FP_SQRT] = IR_FP_SQRT,
    };
    if (op == RV_FP_MIN || op == RV_FP_MAX) {
        ir_gen_fp(ctx->b, riscv_freg(a->rd), &riscv_fp_env,
                  (op == RV_FP_MIN ? IR_FP_MIN : IR_FP_MAX) | (dbl ? IR_FP_DOUBLE : 0),
                  riscv_freg(a->rs1), riscv_freg(a->rs2), riscv_imm(ctx, 0));
        return true;
    }
    if (op <= RV_FP_SQRT && riscv_gen_fp_op(ctx, kinds[op], (unsigned)a->imm & 7, dbl,
                                            riscv_freg(a->rd), riscv_freg(a->rs1), y,
                                            riscv_imm(ctx, 0))) {
        return true;
    }
    riscv_gen_fp_call(ctx, &riscv_helper_fp_arith, riscv_freg(a->rd), riscv_freg(a->rs1), y,
                      desc | riscv_fp_fmt_desc(dbl) | op, 0);
    return true;
}

bool trans_fadd_s(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_arith(ctx, a, RV_FP_ADD, false);
}

bool trans_fsub_s(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_arith(ctx, a, RV_FP_SUB, false);
}

bool trans_fmul_s(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_arith(ctx, a, RV_FP_MUL, false);
}

bool trans_fdiv_s(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_arith(ctx, a, RV_FP_DIV, false);
}

bool trans_fsqrt_s(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_arith(ctx, a, RV_FP_SQRT, false);
}

bool trans_fmin_s(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_arith(ctx, a, RV_FP_MIN, false);
}

bool trans_fmax_s(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_arith(ctx, a, RV_FP_MAX, false);
}

bool trans_fadd_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_arith(ctx, a, RV_FP_ADD, true);
}

bool trans_fsub_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_arith(ctx, a, RV_FP_SUB, true);
}

bool trans_fmul_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_arith(ctx, a, RV_FP_MUL, true);
}

bool trans_fdiv_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_arith(ctx, a, RV_FP_DIV, true);
}

bool trans_fsqrt_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_arith(ctx, a, RV_FP_SQRT, true);
}

bool trans_fmin_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_arith(ctx, a, RV_FP_MIN, true);
}

bool trans_fmax_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_arith(ctx, a, RV_FP_MAX, true);
}

/* rd = ±(rs1 * rs2) ± rs3; neg is RV_FP_DESC_NEG_PRODUCT/ADDEND bits. */
static bool riscv_gen_fp_fma(DisasContext *ctx, const RVArgs *a, int64_t neg, bool dbl)
{
    int64_t desc = riscv_fp_rm_desc(ctx, (unsigned)a->imm & 7);
    if (desc < 0) {
        return false;
    }
    IRFpKind kind = neg == 0                          ? IR_FP_MADD
                    : neg == RV_FP_DESC_NEG_ADDEND    ? IR_FP_MSUB
                    : neg == RV_FP_DESC_NEG_PRODUCT   ? IR_FP_NMSUB
                                                      : IR_FP_NMADD;
    if (riscv_gen_fp_op(ctx, kind, (unsigned)a->imm & 7, dbl, riscv_freg(a->rd),
                        riscv_freg(a->rs1), riscv_freg(a->rs2), riscv_freg(a->imm >> 3))) {
        return true;
    }
    desc |= (a->imm >> 3) << RV_FP_DESC_RS3_SHIFT;
    riscv_gen_fp_call(ctx, &riscv_helper_fp_fma, riscv_freg(a->rd), riscv_freg(a->rs1),
                      riscv_freg(a->rs2), desc | riscv_fp_fmt_desc(dbl) | neg, RV_FP_READS_REGS);
    return true;
}

bool trans_fmadd_s(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_fma(ctx, a, 0, false);
}

bool trans_fmsub_s(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_fma(ctx, a, RV_FP_DESC_NEG_ADDEND, false);
}

bool trans_fnmsub_s(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_fma(ctx, a, RV_FP_DESC_NEG_PRODUCT, false);
}

bool trans_fnmadd_s(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_fma(ctx, a, RV_FP_DESC_NEG_PRODUCT | RV_FP_DESC_NEG_ADDEND, false);
}

bool trans_fmadd_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_fma(ctx, a, 0, true);
}

bool trans_fmsub_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_fma(ctx, a, RV_FP_DESC_NEG_ADDEND, true);
}

bool trans_fnmsub_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_fma(ctx, a, RV_FP_DESC_NEG_PRODUCT, true);
}

bool trans_fnmadd_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_fma(ctx, a, RV_FP_DESC_NEG_PRODUCT | RV_FP_DESC_NEG_ADDEND, true);
}

static bool riscv_gen_fp_cmp(DisasContext *ctx, const RVArgs *a, RVFpCmpOp op, bool dbl)
{
    static const IRFpKind kinds[] = { [RV_FP_EQ] = IR_FP_EQ, [RV_FP_LT] = IR_FP_LT,
                                      [RV_FP_LE] = IR_FP_LE };
    if (op != RV_FP_CLASS) {
        ir_gen_fp(ctx->b, riscv_dest(ctx, a->rd), &riscv_fp_env,
                  kinds[op] | (dbl ? IR_FP_DOUBLE : 0), riscv_freg(a->rs1), riscv_freg(a->rs2),
                  riscv_imm(ctx, 0));
        return true;
    }
    riscv_gen_fp_call(ctx, &riscv_helper_fp_cmp, riscv_dest(ctx, a->rd), riscv_freg(a->rs1),
                      riscv_imm(ctx, 0), riscv_fp_fmt_desc(dbl) | op, 0);
    return true;
}

bool trans_feq_s(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_cmp(ctx, a, RV_FP_EQ, false);
}

bool trans_flt_s(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_cmp(ctx, a, RV_FP_LT, false);
}

bool trans_fle_s(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_cmp(ctx, a, RV_FP_LE, false);
}

bool trans_feq_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_cmp(ctx, a, RV_FP_EQ, true);
}

bool trans_flt_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_cmp(ctx, a, RV_FP_LT, true);
}

bool trans_fle_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_cmp(ctx, a, RV_FP_LE, true);
}

bool trans_fclass_s(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_cmp(ctx, a, RV_FP_CLASS, false);
}

bool trans_fclass_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_cmp(ctx, a, RV_FP_CLASS, true);
}

/* dest = convert(src): src_fp/dest_fp say which register files. */
static bool riscv_gen_fp_cvt(DisasContext *ctx, const RVArgs *a, RVFpCvtOp op, bool dbl,
                             bool src_fp, bool dest_fp)
{
    int64_t desc = riscv_fp_rm_desc(ctx, (unsigned)a->imm & 7);
    if (desc < 0) {
        return false;
    }
    IRTempId src = src_fp ? riscv_freg(a->rs1) : riscv_reg(ctx, a->rs1);
    IRTempId dest = dest_fp ? riscv_freg(a->rd) : riscv_dest(ctx, a->rd);
    static const IRFpKind kinds[] = {
        [RV_CVT_F_TO_W] = IR_FP_TO_W, [RV_CVT_F_TO_L] = IR_FP_TO_L,
        [RV_CVT_W_TO_F] = IR_FP_FROM_W, [RV_CVT_L_TO_F] = IR_FP_FROM_L,
    };
    bool inline_kind = op == RV_CVT_F_TO_W || op == RV_CVT_F_TO_L || op == RV_CVT_W_TO_F ||
                       op == RV_CVT_L_TO_F;
    if (inline_kind && riscv_gen_fp_op(ctx, kinds[op], (unsigned)a->imm & 7, dbl, dest, src,
                                       riscv_imm(ctx, 0), riscv_imm(ctx, 0))) {
        return true;
    }
    riscv_gen_fp_call(ctx, &riscv_helper_fp_cvt, dest, src,
                      riscv_imm(ctx, desc | riscv_fp_fmt_desc(dbl) | op), 0, 0);
    return true;
}

bool trans_fcvt_w_s(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_cvt(ctx, a, RV_CVT_F_TO_W, false, true, false);
}

bool trans_fcvt_wu_s(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_cvt(ctx, a, RV_CVT_F_TO_WU, false, true, false);
}

bool trans_fcvt_l_s(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_cvt(ctx, a, RV_CVT_F_TO_L, false, true, false);
}

bool trans_fcvt_lu_s(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_cvt(ctx, a, RV_CVT_F_TO_LU, false, true, false);
}

bool trans_fcvt_w_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_cvt(ctx, a, RV_CVT_F_TO_W, true, true, false);
}

bool trans_fcvt_wu_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_cvt(ctx, a, RV_CVT_F_TO_WU, true, true, false);
}

bool trans_fcvt_l_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_cvt(ctx, a, RV_CVT_F_TO_L, true, true, false);
}

bool trans_fcvt_lu_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_cvt(ctx, a, RV_CVT_F_TO_LU, true, true, false);
}

bool trans_fcvt_s_w(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_cvt(ctx, a, RV_CVT_W_TO_F, false, false, true);
}

bool trans_fcvt_s_wu(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_cvt(ctx, a, RV_CVT_WU_TO_F, false, false, true);
}

bool trans_fcvt_s_l(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_cvt(ctx, a, RV_CVT_L_TO_F, false, false, true);
}

bool trans_fcvt_s_lu(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_cvt(ctx, a, RV_CVT_LU_TO_F, false, false, true);
}

bool trans_fcvt_d_w(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_cvt(ctx, a, RV_CVT_W_TO_F, true, false, true);
}

bool trans_fcvt_d_wu(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_cvt(ctx, a, RV_CVT_WU_TO_F, true, false, true);
}

bool trans_fcvt_d_l(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_cvt(ctx, a, RV_CVT_L_TO_F, true, false, true);
}

bool trans_fcvt_d_lu(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_cvt(ctx, a, RV_CVT_LU_TO_F, true, false, true);
}

bool trans_fcvt_s_d(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_cvt(ctx, a, RV_CVT_D_TO_S, false, true, true);
}

bool trans_fcvt_d_s(DisasContext *ctx, const RVArgs *a)
{
    return riscv_gen_fp_cvt(ctx, a, RV_CVT_S_TO_D, true, true, true);
}
