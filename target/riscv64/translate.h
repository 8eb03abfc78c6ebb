/*
 * translate.h — shared state and small IR helpers for the trans_*.c files.
 *
 * The one thing to know: a trans_* function returns false for an encoding it
 * rejects, and it must decide that before emitting any op; the caller then
 * emits the illegal-instruction exit. Guest register i (1..31) is IR global
 * i-1, the pc is global RISCV_GLOBAL_PC, FP register i is global
 * RISCV_GLOBAL_F0 + i; x0 reads as constant 0 and writes to it go to a local
 * nobody reads.
 */
#ifndef MIMIC_TARGET_RISCV64_TRANSLATE_H
#define MIMIC_TARGET_RISCV64_TRANSLATE_H

#include <stdbool.h>
#include <stdint.h>

#include "mimic/exec.h"
#include "mimic/ir.h"
#include "target/riscv64/decode.h"

#define RISCV_GLOBAL_PC 31
#define RISCV_GLOBAL_F0 32
#define RISCV_NB_GLOBALS 64

/* Loops a block may hold, and how far from its start their heads may be. */
#define RISCV_MAX_LOOP_HEADS 4
#define RISCV_LOOP_SPAN 1024

/* Side exits a block may have before a branch ends it: chain slots 2 and up. */
#define RISCV_MAX_SIDE_EXITS (IR_NB_CHAIN_SLOTS - 2)

typedef struct DisasContext {
    IRBlock *b;
    uint64_t pc;       /* this instruction */
    uint64_t next_pc;  /* pc + its length */
    bool end;          /* the instruction ended the block (it emitted an exit) */
    /* FP: frm already checked valid earlier on the straight-line path to
     * here (no CSR write, no label since), so dynamic-rounding helpers
     * cannot fault and can be leaf calls; fp_may_fault: the current
     * instruction's helper may. */
    bool frm_valid;
    bool fp_may_fault;
    /* System mode: the state this block is translated for (TB flags). */
    bool system;
    unsigned priv;      /* PRV_U, PRV_S or PRV_M */
    unsigned mem_mode;  /* soft-MMU mode of loads and stores */
    unsigned fs;        /* mstatus.FS: 0 = FP off (FP instructions illegal) */
    bool fs_dirty_done; /* FS already set to Dirty in this block */
    uint64_t page;      /* guest page of the block's first instruction */
    unsigned side_exits; /* forward branches the block went on past */
    unsigned main_slots_used; /* chain slots 0 and 1 taken (bit mask) */
    /* Short forward branches (skips): each is a brcond (or br) to a label
     * bound when translation gets to the target, so both ways stay in the
     * block. A skip whose target is never reached gets an exit stub after
     * the block's last exit (riscv_skip_leave). */
    unsigned nb_skips;
    struct {
        uint64_t target;
        unsigned label;
        bool bound;
    } skips[8];
    /* Loops inside the block (user mode): a backward branch to an earlier
     * instruction of the block other than its first becomes a brloop to a
     * label at that instruction. The first such branch found asks for the
     * block to be translated again with the label in place (restart). */
    uint64_t block_pc;
    unsigned nb_loop_heads;
    uint64_t loop_head[RISCV_MAX_LOOP_HEADS];
    int loop_label[RISCV_MAX_LOOP_HEADS]; /* -1 until bound */
    bool restart;
    uint64_t insn_starts[RISCV_LOOP_SPAN / 2 / 64]; /* bit (pc - block_pc) / 2 */
} DisasContext;

/* The IRMemOp of a load or store of this block (the soft-MMU mode added). */
static inline IRMemOp riscv_memop(const DisasContext *ctx, IRMemOp mo)
{
    return (IRMemOp)(mo | ctx->mem_mode << IR_MO_MMU_SHIFT);
}

typedef bool (*RVTransFn)(DisasContext *ctx, const RVArgs *a);

/* Value of guest register r. */
static inline IRTempId riscv_reg(DisasContext *ctx, int r)
{
    return r == 0 ? ir_const(ctx->b, 0) : (IRTempId)(r - 1);
}

/* Destination for guest register r (a throwaway local for x0). */
static inline IRTempId riscv_dest(DisasContext *ctx, int r)
{
    return r == 0 ? ir_new_local(ctx->b) : (IRTempId)(r - 1);
}

/* FP register r (source or destination). */
static inline IRTempId riscv_freg(int r)
{
    return (IRTempId)(RISCV_GLOBAL_F0 + r);
}

static inline IRTempId riscv_imm(DisasContext *ctx, int64_t v)
{
    return ir_const(ctx->b, (uint64_t)v);
}

static inline IRTempId riscv_pc_global(void)
{
    return RISCV_GLOBAL_PC;
}

/* Ends the block: pc = dest, leave through chain slot `slot` (in system
 * mode only to the same page; elsewhere through goto_ptr, whose lookup
 * checks the new page's mapping). */
void riscv_gen_jump(DisasContext *ctx, unsigned slot, uint64_t dest);
/* User mode: a label for a short forward jump to target that stays in the
 * block, or -1 when it must leave (too far, no skip or chain slot left). */
int riscv_skip_label(DisasContext *ctx, uint64_t target);
/* Whether a skip not yet bound goes to pc. */
bool riscv_skip_pending(const DisasContext *ctx, uint64_t pc);
/* A backward jump to target: the label of that loop head, or -1 when the
 * jump must leave the block; may ask for a restart (ctx->restart, ends the
 * instruction: the block is translated again with the head). */
int riscv_loop_label(DisasContext *ctx, uint64_t target);
/* Ends the block: pc = this instruction, exit_tb(excp). */
void riscv_gen_exception(DisasContext *ctx, Excp excp);
/* System mode, before an FP instruction: false if FP is off (the caller
 * rejects the instruction); else marks mstatus.FS dirty once per block. */
bool riscv_fp_enabled(DisasContext *ctx);
/* rd = op(rs1, rs2) and rd = op(rs1, imm) for one IR op. */
void riscv_gen_arith(DisasContext *ctx, const RVArgs *a, IROpcode opc);
void riscv_gen_arith_imm(DisasContext *ctx, const RVArgs *a, IROpcode opc);
/* Same, then sign-extend the low 32 bits (the *W instructions). */
void riscv_gen_arith_w(DisasContext *ctx, const RVArgs *a, IROpcode opc);

#endif
