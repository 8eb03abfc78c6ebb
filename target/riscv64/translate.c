/*
 * translate.c — the RISC-V block translator: fetch, decode, call trans_*.
 *
 * The one thing to know: a block ends at the first instruction that emits
 * an exit (ctx.end), before an instruction that cannot be fetched, after
 * max_insns instructions, or when the IR block grows past RISCV_MAX_BLOCK_OPS;
 * in the last three cases it falls through to the next pc via chain slot 0.
 */
#include <string.h>

#include "target/riscv64/cpu.h"
#include "target/riscv64/translate.h"

#include "target/riscv64/decode-trans.c.inc"

#define RISCV_MAX_BLOCK_OPS 400

void riscv_gen_jump(DisasContext *ctx, unsigned slot, uint64_t dest)
{
    ir_gen_mov(ctx->b, riscv_pc_global(), riscv_imm(ctx, (int64_t)dest));
    if (ctx->main_slots_used & (1u << slot)) {
        /* A block that went on past an exit (a skip jumped over it) and
         * exits again: another slot, or the jump cache. */
        if (ctx->side_exits >= RISCV_MAX_SIDE_EXITS) {
            ir_gen_goto_ptr(ctx->b);
            ctx->end = true;
            return;
        }
        slot = 2 + ctx->side_exits++;
    } else {
        ctx->main_slots_used |= 1u << slot;
    }
    if (ctx->system && (dest & SOFTMMU_PAGE_MASK) != ctx->page) {
        ir_gen_goto_ptr(ctx->b); /* looked up with the new page's mapping */
    } else {
        ir_gen_goto_tb(ctx->b, slot);
    }
    ctx->end = true;
}

/* How far ahead a skip may go: the if-then and if-else shapes compilers
 * emit, not a jump across a loop. */
#define RISCV_SKIP_MAX_BYTES 128

int riscv_skip_label(DisasContext *ctx, uint64_t target)
{
    unsigned max = sizeof(ctx->skips) / sizeof(ctx->skips[0]);
    if (ctx->system || target <= ctx->pc || target - ctx->pc > RISCV_SKIP_MAX_BYTES ||
        ctx->nb_skips == max) {
        return -1;
    }
    unsigned label = ir_new_label(ctx->b);
    ctx->skips[ctx->nb_skips].target = target;
    ctx->skips[ctx->nb_skips].label = label;
    ctx->skips[ctx->nb_skips].bound = false;
    ctx->nb_skips++;
    return (int)label;
}

bool riscv_skip_pending(const DisasContext *ctx, uint64_t pc)
{
    for (unsigned i = 0; i < ctx->nb_skips; i++) {
        if (!ctx->skips[i].bound && ctx->skips[i].target == pc) {
            return true;
        }
    }
    return false;
}

int riscv_loop_label(DisasContext *ctx, uint64_t target)
{
    if (ctx->system || target <= ctx->block_pc || target >= ctx->pc ||
        target - ctx->block_pc >= RISCV_LOOP_SPAN) {
        return -1;
    }
    for (unsigned i = 0; i < ctx->nb_loop_heads; i++) {
        if (ctx->loop_head[i] == target) {
            return ctx->loop_label[i]; /* -1 if translation did not bind it */
        }
    }
    uint64_t bit = (target - ctx->block_pc) / 2;
    if (ctx->nb_loop_heads == RISCV_MAX_LOOP_HEADS ||
        !(ctx->insn_starts[bit / 64] & (1ull << (bit % 64)))) {
        return -1;
    }
    ctx->loop_head[ctx->nb_loop_heads++] = target;
    ctx->restart = true;
    ctx->end = true;
    return -1;
}

/* Translation reached pc: a loop head gets its label (after the skips').
 * Its back edges come from paths the translator has not seen yet (they
 * may change frm): the next dynamic-mode FP op checks frm again. */
static void riscv_loop_bind(DisasContext *ctx, uint64_t pc)
{
    for (unsigned i = 0; i < ctx->nb_loop_heads; i++) {
        if (ctx->loop_head[i] == pc && ctx->loop_label[i] < 0) {
            ctx->loop_label[i] = (int)ir_new_label(ctx->b);
            ir_gen_label(ctx->b, (unsigned)ctx->loop_label[i]);
            ctx->frm_valid = false;
        }
    }
    if (pc - ctx->block_pc < RISCV_LOOP_SPAN) {
        uint64_t bit = (pc - ctx->block_pc) / 2;
        ctx->insn_starts[bit / 64] |= 1ull << (bit % 64);
    }
}

/* Translation reached pc: the skips to it land here. A skip may have
 * jumped over the op that checked frm: the next dynamic-mode FP op checks
 * it again (frm_valid describes the straight-line path only). */
static void riscv_skip_bind(DisasContext *ctx, uint64_t pc)
{
    for (unsigned i = 0; i < ctx->nb_skips; i++) {
        if (!ctx->skips[i].bound && ctx->skips[i].target == pc) {
            ir_gen_label(ctx->b, ctx->skips[i].label);
            ctx->skips[i].bound = true;
            ctx->frm_valid = false;
        }
    }
}

/* After the block's last exit: the skips whose target the block did not
 * reach (it ended first, or the target is inside an instruction) leave
 * through a jump of their own (riscv_gen_jump picks a free chain slot, or
 * the jump cache when none is left). */
static void riscv_skip_leave(DisasContext *ctx)
{
    for (unsigned i = 0; i < ctx->nb_skips; i++) {
        if (ctx->skips[i].bound) {
            continue;
        }
        ir_gen_label(ctx->b, ctx->skips[i].label);
        riscv_gen_jump(ctx, 0, ctx->skips[i].target);
        ctx->skips[i].bound = true;
    }
}

void riscv_gen_exception(DisasContext *ctx, Excp excp)
{
    ir_gen_mov(ctx->b, riscv_pc_global(), riscv_imm(ctx, (int64_t)ctx->pc));
    ir_gen_exit_tb(ctx->b, excp);
    ctx->end = true;
}

/* Reads the instruction at pc into insn; returns its length (2 or 4), or 0
 * if any of its bytes cannot be read. Encodings longer than 4 bytes are
 * returned as their first halfword, which the decoder rejects. */
static unsigned riscv_fetch(uint64_t pc, uint32_t *insn)
{
    uint16_t half[2];
    if (!exec_read_code(pc, &half[0], 2)) {
        return 0;
    }
    unsigned len = riscv_insn_length(half[0]);
    if (len == 4) {
        if (!exec_read_code(pc + 2, &half[1], 2)) {
            return 0;
        }
        *insn = (uint32_t)half[0] | (uint32_t)half[1] << 16;
        return 4;
    }
    *insn = half[0];
    return 2;
}

/* F and D instructions (loads, stores and moves included), by mnemonic:
 * the decode table has no other record of the extension. */
static bool riscv_insn_is_fp(const RVInsnDesc *d)
{
    const char *n = d->name;
    if (n[0] == 'c' && n[1] == '.') {
        n += 2;
    }
    return n[0] == 'f' && strncmp(n, "fence", 5) != 0;
}

static void riscv_translate_insn(DisasContext *ctx, uint32_t insn, unsigned len)
{
    RVArgs args;
    const RVInsnDesc *d = riscv_decode(insn, len, &args);
    if (d && ctx->system && riscv_insn_is_fp(d) && !riscv_fp_enabled(ctx)) {
        d = NULL;
    }
    if (!d || !riscv_trans_table[d->handler](ctx, &args)) {
        riscv_gen_exception(ctx, EXCP_ILLEGAL);
    }
}

static uint32_t riscv_translate_block(const TranslateRequest *req)
{
    uint64_t loop_head[RISCV_MAX_LOOP_HEADS];
    unsigned nb_loop_heads = 0;
restart:;
    DisasContext ctx = { .b = req->b, .block_pc = req->pc, .nb_loop_heads = nb_loop_heads };
    for (unsigned i = 0; i < nb_loop_heads; i++) {
        ctx.loop_head[i] = loop_head[i];
        ctx.loop_label[i] = -1;
    }
    uint64_t pc = req->pc;
    unsigned n = 0;
    const RISCVCPU *cpu = (const RISCVCPU *)req->cpu;
    if (cpu->sys) {
        uint32_t flags = riscv_tb_flags(cpu);
        ctx.system = true;
        ctx.priv = (flags >> RISCV_TBFLAG_PRIV_SHIFT) & 3;
        ctx.mem_mode = (flags >> RISCV_TBFLAG_MODE_SHIFT) & 3;
        ctx.fs = (flags >> RISCV_TBFLAG_FS_SHIFT) & 3;
        ctx.page = pc & SOFTMMU_PAGE_MASK;
    }
    for (;;) {
        if (ctx.system && n > 0 && (pc & SOFTMMU_PAGE_MASK) != ctx.page) {
            break; /* a block covers one guest page (its TB key's) */
        }
        uint32_t insn = 0;
        unsigned len = riscv_fetch(pc, &insn);
        if (len == 0) {
            if (n == 0) {
                ir_gen_insn_start(ctx.b, pc);
                ctx.pc = pc;
                riscv_gen_exception(&ctx, EXCP_FETCH_FAULT);
                return 2;
            }
            break;
        }
        ctx.end = false;
        riscv_skip_bind(&ctx, pc);
        riscv_loop_bind(&ctx, pc);
        ir_gen_insn_start(ctx.b, pc);
        ctx.pc = pc;
        ctx.next_pc = pc + len;
        riscv_translate_insn(&ctx, insn, len);
        if (ctx.restart) {
            /* a loop head found: again, with its label */
            nb_loop_heads = ctx.nb_loop_heads;
            for (unsigned i = 0; i < nb_loop_heads; i++) {
                loop_head[i] = ctx.loop_head[i];
            }
            ir_block_reset(ctx.b);
            goto restart;
        }
        pc += len;
        n++;
        if (ctx.end && !riscv_skip_pending(&ctx, pc)) {
            riscv_skip_leave(&ctx);
            return (uint32_t)(pc - req->pc);
        }
        /* Past an exit that a skip jumps over (an early return, the end of
         * an if-else's then part) the block goes on at the skip's target. */
        if (n >= req->max_insns || ctx.b->nb_ops > RISCV_MAX_BLOCK_OPS || ctx.b->overflow) {
            break;
        }
    }
    ctx.pc = pc;
    if (!ctx.end) {
        riscv_gen_jump(&ctx, 0, pc);
    }
    riscv_skip_leave(&ctx);
    return (uint32_t)(pc - req->pc);
}

static unsigned riscv_disas(uint64_t pc, char *buf, size_t buflen)
{
    uint32_t insn = 0;
    RVArgs args;
    unsigned len = riscv_fetch(pc, &insn);
    if (len == 0) {
        return 0;
    }
    const RVInsnDesc *d = riscv_decode(insn, len, &args);
    if (d) {
        riscv_format_insn(d, &args, pc, buf, buflen);
    } else if (len == 4) {
        snprintf(buf, buflen, "illegal 0x%08x", insn);
    } else {
        snprintf(buf, buflen, "illegal 0x%04x", insn);
    }
    return len;
}

static void riscv_dump_state(const CPUState *cs, FILE *f)
{
    const RISCVCPU *cpu = (const RISCVCPU *)cs;
    fprintf(f, "pc       %016llx\n", (unsigned long long)cs->pc);
    for (unsigned i = 0; i < 32; i++) {
        fprintf(f, "x%-2u/%-4s %016llx%s", i, riscv_reg_name(i), (unsigned long long)cpu->x[i],
                (i % 4 == 3) ? "\n" : "  ");
    }
}

void riscv_cpu_reset(RISCVCPU *cpu)
{
    memset(cpu, 0, sizeof(*cpu));
    cpu->res_addr = UINT64_MAX;
    cpu->cs.target = &target_riscv64;
}

#define RISCV_GLOBAL_X(i) { "x" #i, (int32_t)offsetof(RISCVCPU, x[i]) }

#define RISCV_GLOBAL_F(i) [RISCV_GLOBAL_F0 + i] = { "f" #i, (int32_t)offsetof(RISCVCPU, f[i]) }

static const IRGlobalDef riscv_globals[RISCV_NB_GLOBALS] = {
    RISCV_GLOBAL_X(1), RISCV_GLOBAL_X(2), RISCV_GLOBAL_X(3), RISCV_GLOBAL_X(4),
    RISCV_GLOBAL_X(5), RISCV_GLOBAL_X(6), RISCV_GLOBAL_X(7), RISCV_GLOBAL_X(8),
    RISCV_GLOBAL_X(9), RISCV_GLOBAL_X(10), RISCV_GLOBAL_X(11), RISCV_GLOBAL_X(12),
    RISCV_GLOBAL_X(13), RISCV_GLOBAL_X(14), RISCV_GLOBAL_X(15), RISCV_GLOBAL_X(16),
    RISCV_GLOBAL_X(17), RISCV_GLOBAL_X(18), RISCV_GLOBAL_X(19), RISCV_GLOBAL_X(20),
    RISCV_GLOBAL_X(21), RISCV_GLOBAL_X(22), RISCV_GLOBAL_X(23), RISCV_GLOBAL_X(24),
    RISCV_GLOBAL_X(25), RISCV_GLOBAL_X(26), RISCV_GLOBAL_X(27), RISCV_GLOBAL_X(28),
    RISCV_GLOBAL_X(29), RISCV_GLOBAL_X(30), RISCV_GLOBAL_X(31),
    [RISCV_GLOBAL_PC] = { "pc", (int32_t)offsetof(CPUState, pc) },
    RISCV_GLOBAL_F(0), RISCV_GLOBAL_F(1), RISCV_GLOBAL_F(2), RISCV_GLOBAL_F(3),
    RISCV_GLOBAL_F(4), RISCV_GLOBAL_F(5), RISCV_GLOBAL_F(6), RISCV_GLOBAL_F(7),
    RISCV_GLOBAL_F(8), RISCV_GLOBAL_F(9), RISCV_GLOBAL_F(10), RISCV_GLOBAL_F(11),
    RISCV_GLOBAL_F(12), RISCV_GLOBAL_F(13), RISCV_GLOBAL_F(14), RISCV_GLOBAL_F(15),
    RISCV_GLOBAL_F(16), RISCV_GLOBAL_F(17), RISCV_GLOBAL_F(18), RISCV_GLOBAL_F(19),
    RISCV_GLOBAL_F(20), RISCV_GLOBAL_F(21), RISCV_GLOBAL_F(22), RISCV_GLOBAL_F(23),
    RISCV_GLOBAL_F(24), RISCV_GLOBAL_F(25), RISCV_GLOBAL_F(26), RISCV_GLOBAL_F(27),
    RISCV_GLOBAL_F(28), RISCV_GLOBAL_F(29), RISCV_GLOBAL_F(30), RISCV_GLOBAL_F(31),
};

const TargetInfo target_riscv64 = {
    .name = "riscv64",
    .globals = riscv_globals,
    .nb_globals = RISCV_NB_GLOBALS,
    .translate = riscv_translate_block,
    .dump_state = riscv_dump_state,
    .disas = riscv_disas,
};
