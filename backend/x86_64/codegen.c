/*
 * codegen.c — IR to x86-64: a local register allocator and one lowering
 * per op.
 *
 * The one thing to know: guest registers (IR globals) are loaded into host
 * registers on first use and stay there, dirty, until the end of the basic
 * block, a helper call, or eviction; only then are they written back to
 * env. At each guest memory access a fault site records which host
 * registers hold unwritten globals, so a fault can rebuild exact state
 * without any store on the fast path.
 */
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "codegen.h"

enum { OWNER_FREE = -1, OWNER_SCRATCH = -2 };
enum { LOC_DEAD, LOC_REG, LOC_SLOT };

static const int alloc_order[NB_ALLOC_REGS] = {
    RBX, R12, R15, RSI, RDI, R8, R9, R10, R11, RAX, RDX, RCX,
};
#define ALLOCATABLE_MASK                                                                        \
    ((1u << RBX) | (1u << R12) | (1u << R15) | (1u << RSI) | (1u << RDI) | (1u << R8) |         \
     (1u << R9) | (1u << R10) | (1u << R11) | (1u << RAX) | (1u << RDX) | (1u << RCX))
#define CALLER_SAVED_MASK                                                                       \
    ((1u << RAX) | (1u << RCX) | (1u << RDX) | (1u << RSI) | (1u << RDI) | (1u << R8) |         \
     (1u << R9) | (1u << R10) | (1u << R11))

typedef struct LabelFixup {
    uint32_t label;
    uint8_t *field;
} LabelFixup;

typedef struct BoundsStub {
    uint8_t *jcc_field; /* jae to the stub */
    int addr_reg;       /* the address, or the base when disp != 0 */
    int32_t disp;       /* the access's displacement */
    uintptr_t resume;   /* after the jae: where a base + disp found valid goes on */
    uint32_t site;      /* index into sites */
} BoundsStub;

enum LabelKind { LABEL_PLAIN, LABEL_INHERIT, LABEL_MERGE, LABEL_LOOP };

/* Register state: what a label takes over from its jump (see plan_block),
 * or what a loop's back edges restore. */
typedef struct BranchState {
    int owner[16];
    bool dirty[16];
} BranchState;

#define LOOP_MAX_PINNED 8

typedef struct Gen {
    Emitter e;
    IRBlock *b;
    TranslationBlock *tb;
    uint64_t cur_pc;
    int owner[16];         /* temp id, OWNER_FREE or OWNER_SCRATCH */
    uint16_t locked;       /* registers the current op reads: never evicted */
    uint32_t op_index;     /* of the op being lowered */
    uint32_t last_use[16]; /* op_index when each register was last read or written */
    int nb_slots;
    bool too_big;
    /* Forward references to labels. */
    LabelFixup *fixups;
    uint32_t nb_fixups, cap_fixups;
    /* Fault sites and their out-of-line bounds-check stubs. */
    FaultSite *sites;
    uint32_t nb_sites, cap_sites;
    BoundsStub *stubs;
    uint32_t nb_stubs, cap_stubs;
    /* Slow paths of fp ops (codegen-fp.c), emitted after the bounds stubs. */
    FpSlowPath *fp_paths;
    uint32_t nb_fp_paths, cap_fp_paths;
    /* Labels reached from exactly one brcond or br: they take over its
     * register state instead of starting empty (LABEL_INHERIT), and when
     * the op before also falls through, that path is brought into the same
     * state (LABEL_MERGE). See plan_block. */
    uint8_t *label_kind;           /* per label: a LabelKind */
    BranchState *label_state;      /* per label: the jump's state (a loop
                                    * head's: the state its back edges restore) */
    uintptr_t *label_rx;           /* per loop head: its rx address */
    uint32_t cap_labels;
    /* Self-loop: a goto_tb back to this block's own pc becomes a jump to
     * loop_head, with the pinned globals kept in their registers. */
    int pc_global;                 /* id of the global at env->pc, or -1 */
    uint32_t self_loop_op;         /* index of that goto_tb, or UINT32_MAX */
    uintptr_t loop_head;           /* rx address after the preloads */
    unsigned nb_pinned;
    IRTempId pinned[LOOP_MAX_PINNED];
    int pinned_reg[LOOP_MAX_PINNED];
    bool pinned_written[LOOP_MAX_PINNED]; /* an output of some op of the loop */
    BranchState self_loop_state;   /* the pinned globals in their homes */
    /* xmm mirrors (codegen.h): the temp whose current value xmm
     * FP_FIRST_MIRROR + k holds, or -1; used only in user mode (the soft
     * MMU's slow path would clobber them at any load or store). */
    int xmm_mirror[FP_NB_MIRRORS];
    uint32_t xmm_use[FP_NB_MIRRORS];
    bool use_mirrors;
} Gen;

/* Per-temp state, indexed by temp id (translation is single-threaded). */
static int8_t temp_reg[IR_MAX_TEMPS];
static uint8_t temp_loc[IR_MAX_TEMPS];
static bool temp_dirty[IR_MAX_TEMPS];
static int16_t temp_slot[IR_MAX_TEMPS];
/* User mode: temp t's value was the base (or the address) of an access
 * that passed its bounds check, since the last label or call, when
 * temp_checked[t] == check_epoch; see gen_bounds_check. */
static uint32_t temp_checked[IR_MAX_TEMPS];
static uint32_t check_epoch;

static void *grow(void *p, uint32_t *cap, size_t elem)
{
    *cap = *cap ? *cap * 2 : 16;
    p = realloc(p, *cap * elem);
    if (!p) {
        abort();
    }
    return p;
}

static inline IRTemp *temp(Gen *g, IRTempId t)
{
    return &g->b->temps[t];
}

static inline int32_t slot_offset(int slot)
{
    return 8 * slot;
}

/* ---- register allocation ---- */

/* In a self-looping block, the home register of a pinned global t if it
 * is free (so values settle where the back edge wants them), else -1. */
static int pinned_home_if_free(const Gen *g, IRTempId t, uint16_t avoid)
{
    for (unsigned k = 0; k < g->nb_pinned; k++) {
        int h = g->pinned_reg[k];
        if (g->pinned[k] == t && g->owner[h] == OWNER_FREE && !(avoid & (1u << h))) {
            return h;
        }
    }
    return -1;
}

static void reg_assign(Gen *g, int r, IRTempId t)
{
    g->owner[r] = t;
    g->last_use[r] = g->op_index;
    temp_reg[t] = (int8_t)r;
    if (temp(g, t)->kind == IR_TEMP_LOCAL) {
        temp_loc[t] = LOC_REG;
    }
}

static void reg_release(Gen *g, int r)
{
    int t = g->owner[r];
    if (t >= 0) {
        temp_reg[t] = -1;
    }
    g->owner[r] = OWNER_FREE;
}

/* Writes a dirty global back to env; the register keeps the value. */
static void global_sync(Gen *g, IRTempId t)
{
    if (temp_reg[t] >= 0 && temp_dirty[t]) {
        emit_store_env(&g->e, temp_reg[t], REG_ENV, temp(g, t)->env_offset);
        temp_dirty[t] = false;
    }
}

/* Frees register r, saving what it holds if that is still needed. */
static void reg_evict(Gen *g, int r)
{
    int t = g->owner[r];
    if (t >= 0) {
        IRTemp *tp = temp(g, (IRTempId)t);
        if (tp->kind == IR_TEMP_GLOBAL) {
            global_sync(g, (IRTempId)t);
        } else if (tp->kind == IR_TEMP_LOCAL) {
            if (temp_slot[t] < 0) {
                if (g->nb_slots >= LOCAL_SPILL_SLOTS) {
                    g->too_big = true;
                    temp_slot[t] = 0;
                } else {
                    temp_slot[t] = (int16_t)g->nb_slots++;
                }
            }
            emit_store_env(&g->e, r, RSP, slot_offset(temp_slot[t]));
            temp_loc[t] = LOC_SLOT;
        }
    }
    reg_release(g, r);
}

static int reg_alloc(Gen *g, uint16_t avoid)
{
    for (int i = 0; i < NB_ALLOC_REGS; i++) {
        int r = alloc_order[i];
        if (g->owner[r] == OWNER_FREE && !(avoid & (1u << r))) {
            return r;
        }
    }
    /* Evict: clean globals first (free), then dirty globals, then locals;
     * among equals, the least recently used. */
    int best = -1, best_cost = 99;
    for (int i = 0; i < NB_ALLOC_REGS; i++) {
        int r = alloc_order[i];
        int t = g->owner[r];
        if ((avoid | g->locked) & (1u << r) || t == OWNER_SCRATCH) {
            continue;
        }
        int cost;
        if (t < 0 || temp(g, (IRTempId)t)->kind == IR_TEMP_CONST) {
            cost = 0;
        } else if (temp(g, (IRTempId)t)->kind == IR_TEMP_GLOBAL) {
            cost = temp_dirty[t] ? 2 : 1;
        } else {
            cost = 3;
        }
        if (cost < best_cost || (cost == best_cost && g->last_use[r] < g->last_use[best])) {
            best_cost = cost;
            best = r;
        }
    }
    if (best < 0) {
        abort(); /* more than NB_ALLOC_REGS registers locked by one op */
    }
    reg_evict(g, best);
    return best;
}

static int scratch_alloc(Gen *g, uint16_t avoid)
{
    int r = reg_alloc(g, avoid);
    g->owner[r] = OWNER_SCRATCH;
    g->locked |= (uint16_t)(1u << r);
    return r;
}

/* Makes register r available as scratch, moving its current value away. */
static void reg_claim_fixed(Gen *g, int r, uint16_t avoid)
{
    int t = g->owner[r];
    if (t >= 0 && temp(g, (IRTempId)t)->kind != IR_TEMP_CONST) {
        int nr = reg_alloc(g, (uint16_t)(avoid | (1u << r)));
        emit_mov_rr(&g->e, nr, r);
        g->owner[nr] = t;
        temp_reg[t] = (int8_t)nr;
        if (g->locked & (1u << r)) {
            g->locked |= (uint16_t)(1u << nr);
        }
        g->owner[r] = OWNER_FREE;
    } else {
        reg_release(g, r);
    }
    g->owner[r] = OWNER_SCRATCH;
    g->locked |= (uint16_t)(1u << r);
}

/* Returns a register holding t's value, loading it if needed; locks it. */
static int temp_load(Gen *g, IRTempId t, uint16_t avoid)
{
    IRTemp *tp = temp(g, t);
    int r = temp_reg[t];
    if (r >= 0 && !(avoid & (1u << r))) {
        g->locked |= (uint16_t)(1u << r);
        g->last_use[r] = g->op_index;
        return r;
    }
    if (r >= 0) {
        /* In a register we must not use: copy it. */
        int nr = reg_alloc(g, avoid);
        emit_mov_rr(&g->e, nr, r);
        g->owner[nr] = OWNER_SCRATCH;
        g->locked |= (uint16_t)(1u << nr);
        return nr;
    }
    int nr = pinned_home_if_free(g, t, avoid);
    if (nr < 0) {
        nr = reg_alloc(g, avoid);
    }
    switch (tp->kind) {
    case IR_TEMP_CONST:
        emit_mov_ri(&g->e, nr, tp->val);
        break;
    case IR_TEMP_GLOBAL:
        emit_load_env(&g->e, nr, REG_ENV, tp->env_offset);
        temp_dirty[t] = false;
        break;
    default:
        if (temp_loc[t] == LOC_SLOT) {
            emit_load_env(&g->e, nr, RSP, slot_offset(temp_slot[t]));
        } /* LOC_DEAD would be a validator bug: the value is garbage but safe */
        break;
    }
    reg_assign(g, nr, t);
    g->locked |= (uint16_t)(1u << nr);
    return nr;
}

/* After the inputs are in registers: forget inputs that die here. */
static void temps_free_dead(Gen *g, const IROp *op)
{
    const IROpDef *def = &ir_op_defs[op->opc];
    for (unsigned i = 0; i < def->nb_in; i++) {
        IRTempId t = op->in[i];
        if (!(op->dead_in & (1u << i)) || temp(g, t)->kind == IR_TEMP_CONST) {
            continue;
        }
        if (temp_reg[t] >= 0) {
            reg_release(g, temp_reg[t]);
        }
        if (temp(g, t)->kind == IR_TEMP_LOCAL) {
            temp_loc[t] = LOC_DEAD;
        }
        temp_dirty[t] = false;
    }
}

/* Chooses the register that receives output t. */
static int temp_out(Gen *g, IRTempId t, int prefer, uint16_t avoid)
{
    if (temp_reg[t] >= 0) {
        reg_release(g, temp_reg[t]);
    }
    /* Callers pass the register that already holds the result as prefer,
     * so a free prefer always wins. */
    int r;
    if (prefer >= 0 && g->owner[prefer] == OWNER_FREE && !(avoid & (1u << prefer))) {
        r = prefer;
    } else if ((r = pinned_home_if_free(g, t, avoid)) < 0) {
        r = reg_alloc(g, avoid);
    }
    reg_assign(g, r, t);
    temp_dirty[t] = temp(g, t)->kind == IR_TEMP_GLOBAL;
    return r;
}

/* End of op: scratch and constant registers become free again. */
static void op_finish(Gen *g)
{
    for (int r = 0; r < 16; r++) {
        int t = g->owner[r];
        if (t == OWNER_SCRATCH || (t >= 0 && temp(g, (IRTempId)t)->kind == IR_TEMP_CONST)) {
            reg_release(g, r);
        }
    }
    g->locked = 0;
}

static void globals_sync_all(Gen *g)
{
    for (int r = 0; r < 16; r++) {
        int t = g->owner[r];
        if (t >= 0 && temp(g, (IRTempId)t)->kind == IR_TEMP_GLOBAL) {
            global_sync(g, (IRTempId)t);
        }
    }
}

/* Basic-block boundary: nothing stays in registers. */
static void regs_forget_all(Gen *g)
{
    for (int r = 0; r < 16; r++) {
        if (g->owner[r] != OWNER_FREE) {
            reg_release(g, r);
        }
    }
    for (uint32_t t = g->b->nb_globals; t < g->b->nb_temps; t++) {
        temp_loc[t] = LOC_DEAD;
        temp_slot[t] = -1;
    }
    g->nb_slots = 0;
    g->locked = 0;
}

/* ---- helpers for lowering ---- */

static const int cond_to_cc[IR_NB_CONDS] = {
    [IR_COND_EQ] = CC_E,  [IR_COND_NE] = CC_NE,  [IR_COND_LT] = CC_L,
    [IR_COND_GE] = CC_GE, [IR_COND_LTU] = CC_B, [IR_COND_GEU] = CC_AE,
};

static bool temp_is_imm32(Gen *g, IRTempId t)
{
    return temp(g, t)->kind == IR_TEMP_CONST && fits_s32((int64_t)temp(g, t)->val);
}

static int32_t temp_imm(Gen *g, IRTempId t)
{
    return (int32_t)temp(g, t)->val;
}

/* cmp a, b (a in a register, b a register or imm32). */
static void gen_compare(Gen *g, IRTempId a, IRTempId b)
{
    int ra = temp_load(g, a, 0);
    if (temp_is_imm32(g, b)) {
        emit_alu_ri(&g->e, ALU_CMP, ra, temp_imm(g, b));
    } else {
        int rb = temp_load(g, b, 0);
        emit_alu_rr(&g->e, ALU_CMP, ra, rb);
    }
}

static void record_site(Gen *g, uint32_t host_start)
{
    if (g->nb_sites == g->cap_sites) {
        g->sites = grow(g->sites, &g->cap_sites, sizeof(FaultSite));
    }
    FaultSite *s = &g->sites[g->nb_sites++];
    memset(s, 0, sizeof(*s));
    s->host_start = host_start;
    s->guest_pc = g->cur_pc;
    for (int r = 0; r < 16; r++) {
        int t = g->owner[r];
        if (t >= 0 && temp(g, (IRTempId)t)->kind == IR_TEMP_GLOBAL && temp_dirty[t]) {
            s->reg[s->nb_regs] = (uint8_t)r;
            s->global[s->nb_regs] = (uint8_t)t;
            s->nb_regs++;
        }
    }
}

static uint32_t code_offset(Gen *g)
{
    return (uint32_t)(g->e.p - g->e.start);
}

/* A new epoch: no temp counts as checked any more. */
static void checks_forget_all(void)
{
    if (++check_epoch == 0) {
        memset(temp_checked, 0, sizeof(temp_checked));
        check_epoch = 1;
    }
}

/* User mode: the bounds check of an access at base (in addr_reg) + disp,
 * a jae to an out-of-line stub, unless base was checked before in this
 * epoch. The check is on the base
 * alone: the window has a 64 KiB PROT_NONE guard on each side, so with
 * |disp| <= IR_MAX_DISP an address base + disp off the window faults on
 * the host, at a fault site, like an unmapped page inside it. A base out
 * of the window whose base + disp is inside goes on from the stub; any base
 * that passed is within IR_MAX_DISP of the window, so later accesses off it
 * need no check. */
static void gen_bounds_check(Gen *g, IRTempId base, int addr_reg, int32_t disp)
{
    if (temp(g, base)->kind != IR_TEMP_CONST && temp_checked[base] == check_epoch) {
        return;
    }
    emit_alu_rr(&g->e, ALU_CMP, addr_reg, REG_GUEST_LIMIT);
    if (g->nb_stubs == g->cap_stubs) {
        g->stubs = grow(g->stubs, &g->cap_stubs, sizeof(BoundsStub));
    }
    BoundsStub *st = &g->stubs[g->nb_stubs++];
    st->jcc_field = emit_jcc(&g->e, CC_AE);
    st->addr_reg = addr_reg;
    st->disp = disp;
    st->resume = emit_rx(&g->e);
    st->site = g->nb_sites; /* the site recorded next */
    if (temp(g, base)->kind != IR_TEMP_CONST) {
        temp_checked[base] = check_epoch;
    }
}

/* ---- op lowering ---- */

static void gen_mov(Gen *g, const IROp *op)
{
    IRTempId out = op->out[0], a = op->in[0];
    if (out == a) {
        return;
    }
    if (temp(g, a)->kind == IR_TEMP_CONST) {
        int ro = temp_out(g, out, -1, 0);
        emit_mov_ri(&g->e, ro, temp(g, a)->val);
        return;
    }
    int ra = temp_load(g, a, 0);
    if ((op->dead_in & 1) && g->owner[ra] == a) {
        /* The source dies here: the register simply changes hands. */
        temps_free_dead(g, op);
        temp_out(g, out, ra, 0);
        return;
    }
    temps_free_dead(g, op);
    int ro = temp_out(g, out, -1, 0);
    if (ro != ra) {
        emit_mov_rr(&g->e, ro, ra);
    }
}

/* Two-address ALU op: out = a OP b, with b register or imm32. */
static void gen_alu(Gen *g, const IROp *op, int alu)
{
    IRTempId a = op->in[0], b = op->in[1];
    if ((ir_op_defs[op->opc].flags & IR_OPF_COMMUTATIVE) && temp(g, a)->kind == IR_TEMP_CONST &&
        temp(g, b)->kind != IR_TEMP_CONST) {
        IRTempId t = a;
        a = b;
        b = t;
    }
    int ra = temp_load(g, a, 0);
    if (temp_is_imm32(g, b)) {
        temps_free_dead(g, op);
        int ro = temp_out(g, op->out[0], ra, 0);
        if (alu == ALU_ADD && ro != ra) {
            emit_lea(&g->e, ro, ra, -1, temp_imm(g, b));
            return;
        }
        if (ro != ra) {
            emit_mov_rr(&g->e, ro, ra);
        }
        emit_alu_ri(&g->e, alu, ro, temp_imm(g, b));
        return;
    }
    int rb = temp_load(g, b, 0);
    temps_free_dead(g, op);
    if (alu == ALU_ADD) {
        int ro = temp_out(g, op->out[0], ra, 0);
        if (ro == ra) {
            emit_alu_rr(&g->e, ALU_ADD, ro, rb);
        } else {
            emit_lea(&g->e, ro, ra, rb, 0);
        }
        return;
    }
    uint16_t avoid = rb == ra ? 0 : (uint16_t)(1u << rb);
    int ro = temp_out(g, op->out[0], ra, avoid);
    if (ro != ra) {
        emit_mov_rr(&g->e, ro, ra);
    }
    emit_alu_rr(&g->e, alu, ro, rb);
}

static void gen_mul(Gen *g, const IROp *op)
{
    IRTempId a = op->in[0], b = op->in[1];
    if (temp(g, a)->kind == IR_TEMP_CONST) {
        IRTempId t = a;
        a = b;
        b = t;
    }
    int ra = temp_load(g, a, 0);
    if (temp_is_imm32(g, b)) {
        temps_free_dead(g, op);
        int ro = temp_out(g, op->out[0], ra, 0);
        emit_imul_rri(&g->e, ro, ra, temp_imm(g, b));
        return;
    }
    int rb = temp_load(g, b, 0);
    temps_free_dead(g, op);
    uint16_t avoid = rb == ra ? 0 : (uint16_t)(1u << rb);
    int ro = temp_out(g, op->out[0], ra, avoid);
    if (ro != ra) {
        emit_mov_rr(&g->e, ro, ra);
    }
    emit_imul_rr(&g->e, ro, rb);
}

static void gen_shift(Gen *g, const IROp *op, int shift)
{
    IRTempId a = op->in[0], b = op->in[1];
    if (temp(g, b)->kind == IR_TEMP_CONST) {
        int ra = temp_load(g, a, 0);
        temps_free_dead(g, op);
        int ro = temp_out(g, op->out[0], ra, 0);
        if (ro != ra) {
            emit_mov_rr(&g->e, ro, ra);
        }
        unsigned count = (unsigned)temp(g, b)->val & 63;
        if (count) {
            emit_shift_ri(&g->e, shift, ro, count);
        }
        return;
    }
    reg_claim_fixed(g, RCX, 0);
    uint16_t avoid = 1u << RCX;
    int ra = temp_load(g, a, avoid);
    int rb = temp_load(g, b, avoid);
    emit_mov_rr(&g->e, RCX, rb);
    temps_free_dead(g, op);
    int ro = temp_out(g, op->out[0], ra, avoid);
    if (ro != ra) {
        emit_mov_rr(&g->e, ro, ra);
    }
    emit_shift_cl(&g->e, shift, ro);
}

static void gen_unary_inplace(Gen *g, const IROp *op, int unary)
{
    int ra = temp_load(g, op->in[0], 0);
    temps_free_dead(g, op);
    int ro = temp_out(g, op->out[0], ra, 0);
    if (ro != ra) {
        emit_mov_rr(&g->e, ro, ra);
    }
    emit_unary(&g->e, unary, ro);
}

/* out = f(a) with a three-operand host instruction dst, src. */
static void gen_unary_rr(Gen *g, const IROp *op, int opc)
{
    int ra = temp_load(g, op->in[0], 0);
    temps_free_dead(g, op);
    int ro = temp_out(g, op->out[0], ra, 0);
    emit_modrm_reg(&g->e, opc, ro, ra);
}

static void gen_ext(Gen *g, const IROp *op, unsigned log2size, bool sign)
{
    int ra = temp_load(g, op->in[0], 0);
    temps_free_dead(g, op);
    int ro = temp_out(g, op->out[0], ra, 0);
    emit_ext(&g->e, ro, ra, log2size, sign);
}

static void gen_andn(Gen *g, const IROp *op)
{
    int ra = temp_load(g, op->in[0], 0);
    int rb = temp_load(g, op->in[1], 0);
    temps_free_dead(g, op);
    int ro = temp_out(g, op->out[0], rb, (uint16_t)(1u << ra));
    if (ro != rb) {
        emit_mov_rr(&g->e, ro, rb);
    }
    emit_unary(&g->e, UNARY_NOT, ro);
    emit_alu_rr(&g->e, ALU_AND, ro, ra);
}

static void gen_bswap(Gen *g, const IROp *op)
{
    int ra = temp_load(g, op->in[0], 0);
    temps_free_dead(g, op);
    int ro = temp_out(g, op->out[0], ra, 0);
    if (ro != ra) {
        emit_mov_rr(&g->e, ro, ra);
    }
    emit_opc(&g->e, P_REXW | P_0F | (0xc8 | (ro & 7)), 0, 0, ro);
}

/* orc.b: each byte becomes 0xff if it was nonzero, else 0. */
static void gen_orcb(Gen *g, const IROp *op)
{
    int ra = temp_load(g, op->in[0], 0);
    int t = scratch_alloc(g, 0);
    temps_free_dead(g, op);
    int ro = temp_out(g, op->out[0], -1, (uint16_t)(1u << ra | 1u << t));
    emit_mov_ri(&g->e, t, 0x7f7f7f7f7f7f7f7full);
    emit_mov_rr(&g->e, ro, ra);
    emit_alu_rr(&g->e, ALU_AND, ro, t);
    emit_alu_rr(&g->e, ALU_ADD, ro, t);  /* bit 7 of a byte: low 7 bits nonzero */
    emit_alu_rr(&g->e, ALU_OR, ro, ra);  /* ... or bit 7 itself set */
    emit_mov_ri(&g->e, t, 0x8080808080808080ull);
    emit_alu_rr(&g->e, ALU_AND, ro, t);
    emit_shift_ri(&g->e, SHIFT_SHR, ro, 7);
    emit_imul_rri(&g->e, ro, ro, 0xff);
}

/* High half of a 128-bit product, in rdx. */
static void gen_mulh(Gen *g, const IROp *op)
{
    reg_claim_fixed(g, RAX, 0);
    reg_claim_fixed(g, RDX, (uint16_t)(1u << RAX));
    uint16_t avoid = (uint16_t)(1u << RAX | 1u << RDX);
    int ra = temp_load(g, op->in[0], avoid);
    int rb = temp_load(g, op->in[1], avoid);
    emit_mov_rr(&g->e, RAX, ra);
    emit_unary(&g->e, op->opc == IR_mulsh ? UNARY_IMUL : UNARY_MUL, rb);
    if (op->opc == IR_mulsuh) {
        /* signed a x unsigned b = unsigned product - (a < 0 ? b << 64 : 0) */
        int t = scratch_alloc(g, avoid);
        emit_mov_rr(&g->e, t, ra);
        emit_shift_ri(&g->e, SHIFT_SAR, t, 63);
        emit_alu_rr(&g->e, ALU_AND, t, rb);
        emit_alu_rr(&g->e, ALU_SUB, RDX, t);
    }
    temps_free_dead(g, op);
    g->owner[RDX] = OWNER_FREE;
    temp_out(g, op->out[0], RDX, 0);
}

/* Division with RISC-V results for x/0 and INT64_MIN/-1. */
static void gen_div(Gen *g, const IROp *op)
{
    bool is_signed = op->opc == IR_div || op->opc == IR_rem;
    bool want_rem = op->opc == IR_rem || op->opc == IR_remu;
    reg_claim_fixed(g, RAX, 0);
    reg_claim_fixed(g, RDX, (uint16_t)(1u << RAX));
    uint16_t avoid = (uint16_t)(1u << RAX | 1u << RDX);
    int ra = temp_load(g, op->in[0], avoid);
    int rb = temp_load(g, op->in[1], avoid);
    Emitter *e = &g->e;
    emit_mov_rr(e, RAX, ra);
    emit_test_rr(e, rb, rb);
    uint8_t *to_zero = emit_jcc(e, CC_E);
    uint8_t *to_done_minus1 = NULL;
    if (is_signed) {
        emit_alu_ri(e, ALU_CMP, rb, -1);
        uint8_t *to_divide = emit_jcc(e, CC_NE);
        /* b == -1: quotient -a (wraps for INT64_MIN), remainder 0 */
        emit_unary(e, UNARY_NEG, RAX);
        emit_mov_ri(e, RDX, 0);
        to_done_minus1 = emit_jmp(e);
        if (!e->overflow) {
            emit_patch_rel32(to_divide, emit_rx(e));
        }
        emit8(e, 0x48); /* cqo */
        emit8(e, 0x99);
        emit_unary(e, UNARY_IDIV, rb);
    } else {
        emit_mov_ri(e, RDX, 0);
        emit_unary(e, UNARY_DIV, rb);
    }
    uint8_t *to_done = emit_jmp(e);
    if (!e->overflow) {
        emit_patch_rel32(to_zero, emit_rx(e));
    }
    /* b == 0: quotient all ones, remainder a */
    emit_mov_rr(e, RDX, RAX);
    emit_mov_ri(e, RAX, UINT64_MAX);
    if (!e->overflow) {
        emit_patch_rel32(to_done, emit_rx(e));
        if (to_done_minus1) {
            emit_patch_rel32(to_done_minus1, emit_rx(e));
        }
    }
    temps_free_dead(g, op);
    int res = want_rem ? RDX : RAX;
    g->owner[res] = OWNER_FREE;
    temp_out(g, op->out[0], res, 0);
}

static void gen_setcond(Gen *g, const IROp *op)
{
    gen_compare(g, op->in[0], op->in[1]);
    temps_free_dead(g, op);
    int ro = temp_out(g, op->out[0], -1, 0);
    emit_setcc(&g->e, cond_to_cc[op->c[0]], ro);
}

static void gen_movcond(Gen *g, const IROp *op)
{
    int ra = temp_load(g, op->in[0], 0);
    int rb = temp_load(g, op->in[1], 0);
    int rc = temp_load(g, op->in[2], 0);
    int rd = temp_load(g, op->in[3], 0);
    temps_free_dead(g, op);
    uint16_t avoid = (uint16_t)(1u << ra | 1u << rb | 1u << rc);
    int ro = temp_out(g, op->out[0], rd, avoid);
    if (ro != rd) {
        emit_mov_rr(&g->e, ro, rd);
    }
    emit_alu_rr(&g->e, ALU_CMP, ra, rb);
    emit_cmov(&g->e, cond_to_cc[op->c[0]], ro, rc);
}

/* System mode: the address base + disp in a register of its own. */
static int softmmu_address(Gen *g, IRTempId base, int64_t disp)
{
    int rb = temp_load(g, base, 0);
    if (disp == 0) {
        return rb;
    }
    int ra = scratch_alloc(g, 0);
    emit_lea(&g->e, ra, rb, -1, (int32_t)disp);
    return ra;
}

/* System mode: the soft-TLB probe and slow path (codegen-softmmu.c); the
 * fault site covers both, so the slow path can unwind through it. */
static void gen_ld_softmmu(Gen *g, const IROp *op)
{
    int ra = softmmu_address(g, op->in[0], (int64_t)op->c[1]);
    record_site(g, code_offset(g));
    temps_free_dead(g, op);
    int ro = temp_out(g, op->out[0], -1, 0);
    g->sites[g->nb_sites - 1].host_start = code_offset(g);
    jit_softmmu_emit(&g->e, ra, ro, op->c[0], false);
    g->sites[g->nb_sites - 1].host_end = code_offset(g);
}

static void gen_st_softmmu(Gen *g, const IROp *op)
{
    int rv = temp_load(g, op->in[0], 0);
    int ra = softmmu_address(g, op->in[1], (int64_t)op->c[1]);
    record_site(g, code_offset(g));
    jit_softmmu_emit(&g->e, ra, rv, op->c[0], true);
    g->sites[g->nb_sites - 1].host_end = code_offset(g);
    temps_free_dead(g, op);
}

static void gen_ld(Gen *g, const IROp *op)
{
    if (exec_config()->softmmu) {
        gen_ld_softmmu(g, op);
        return;
    }
    int ra = temp_load(g, op->in[0], 0);
    gen_bounds_check(g, op->in[0], ra, (int32_t)op->c[1]);
    record_site(g, code_offset(g));
    temps_free_dead(g, op);
    int ro = temp_out(g, op->out[0], -1, 0);
    g->sites[g->nb_sites - 1].host_start = code_offset(g);
    emit_load_sized(&g->e, ro, REG_GUEST_BASE, ra, (int32_t)op->c[1], op->c[0] & IR_MO_SIZE_MASK,
                    (op->c[0] & IR_MO_SIGN) != 0);
    g->sites[g->nb_sites - 1].host_end = code_offset(g);
}

static void gen_st(Gen *g, const IROp *op)
{
    if (exec_config()->softmmu) {
        gen_st_softmmu(g, op);
        return;
    }
    int rv = temp_load(g, op->in[0], 0);
    int ra = temp_load(g, op->in[1], 0);
    gen_bounds_check(g, op->in[1], ra, (int32_t)op->c[1]);
    record_site(g, code_offset(g));
    emit_store_sized(&g->e, rv, REG_GUEST_BASE, ra, (int32_t)op->c[1],
                     op->c[0] & IR_MO_SIZE_MASK);
    g->sites[g->nb_sites - 1].host_end = code_offset(g);
    temps_free_dead(g, op);
}

static void gen_call(Gen *g, const IROp *op)
{
    static const int arg_regs[3] = { RSI, RDX, RCX };
    const IRHelper *h = (const IRHelper *)(uintptr_t)op->c[0];
    globals_sync_all(g);
    /* Locals passed as arguments go to their slots; then every argument is
     * loaded from memory or as a constant, so no move clobbers another. */
    for (int i = 0; i < 3; i++) {
        IRTempId t = op->in[i];
        if (temp(g, t)->kind == IR_TEMP_LOCAL && temp_reg[t] >= 0) {
            reg_evict(g, temp_reg[t]);
        }
    }
    for (int i = 0; i < 3; i++) {
        IRTempId t = op->in[i];
        IRTemp *tp = temp(g, t);
        if (tp->kind == IR_TEMP_CONST) {
            emit_mov_ri(&g->e, arg_regs[i], tp->val);
        } else if (tp->kind == IR_TEMP_GLOBAL) {
            emit_load_env(&g->e, arg_regs[i], REG_ENV, tp->env_offset);
        } else {
            emit_load_env(&g->e, arg_regs[i], RSP, slot_offset(temp_slot[t]));
        }
    }
    emit_mov_rr(&g->e, RDI, REG_ENV);
    emit_call_abs(&g->e, (const void *)h->fn);
    regs_forget_all(g);
    temp_out(g, op->out[0], RAX, 0);
}

/* True if local t is an input of op that dies there. */
static bool op_input_dies(const IROp *op, IRTempId t)
{
    for (unsigned i = 0; i < ir_op_defs[op->opc].nb_in; i++) {
        if (op->in[i] == t && (op->dead_in & (1u << i))) {
            return true;
        }
    }
    return false;
}

/* Leaf call: the helper touches no global and cannot fault, so nothing has
 * to be written back for it. Caller-saved registers still get clobbered:
 * globals there are written back if dirty and dropped (reloaded from env
 * when next used), locals are saved in their reserved stack slots and, if
 * still needed, reloaded after the call. Arguments are read from where the
 * values are safe from the argument moves: callee-saved registers, save
 * slots, env, local slots or constants. */
static void gen_call_leaf(Gen *g, const IROp *op)
{
    static const int arg_regs[3] = { RSI, RDX, RCX };
    Emitter *e = &g->e;
    const IRHelper *h = (const IRHelper *)(uintptr_t)op->c[0];
    uint16_t saved = 0, restore = 0;
    for (int r = 0; r < 16; r++) {
        int t = g->owner[r];
        if (t < 0 || !(CALLER_SAVED_MASK & (1u << r))) {
            continue;
        }
        IRTempKind kind = (IRTempKind)temp(g, (IRTempId)t)->kind;
        if (kind == IR_TEMP_GLOBAL) {
            global_sync(g, (IRTempId)t);
        }
        if (kind != IR_TEMP_LOCAL) {
            reg_release(g, r);
            continue;
        }
        emit_store_env(e, r, RSP, slot_offset(SAVE_SLOT(r)));
        saved |= (uint16_t)(1u << r);
        if (!op_input_dies(op, (IRTempId)t)) {
            restore |= (uint16_t)(1u << r);
        }
    }
    for (int i = 0; i < 3; i++) {
        IRTempId t = op->in[i];
        IRTemp *tp = temp(g, t);
        int r = temp_reg[t];
        if (tp->kind == IR_TEMP_CONST) {
            emit_mov_ri(e, arg_regs[i], tp->val);
        } else if (r >= 0 && (saved & (1u << r))) {
            emit_load_env(e, arg_regs[i], RSP, slot_offset(SAVE_SLOT(r)));
        } else if (r >= 0) {
            emit_mov_rr(e, arg_regs[i], r);
        } else if (tp->kind == IR_TEMP_GLOBAL) {
            emit_load_env(e, arg_regs[i], REG_ENV, tp->env_offset);
        } else {
            emit_load_env(e, arg_regs[i], RSP, slot_offset(temp_slot[t]));
        }
    }
    emit_mov_rr(e, RDI, REG_ENV);
    emit_call_abs(e, (const void *)h->fn);
    bool result_in_slot = restore & (1u << RAX);
    if (result_in_slot) {
        emit_store_env(e, RAX, RSP, slot_offset(RESULT_SLOT));
    }
    for (int r = 0; r < 16; r++) {
        if (restore & (1u << r)) {
            emit_load_env(e, r, RSP, slot_offset(SAVE_SLOT(r)));
        } else if (saved & (1u << r)) {
            temp_loc[g->owner[r]] = LOC_DEAD;
            reg_release(g, r);
        }
    }
    temps_free_dead(g, op);
    if (result_in_slot) {
        int ro = temp_out(g, op->out[0], -1, 0);
        emit_load_env(e, ro, RSP, slot_offset(RESULT_SLOT));
    } else {
        temp_out(g, op->out[0], RAX, 0);
    }
}

/* ---- xmm mirrors of FP values ---- */

static void mirrors_forget_all(Gen *g)
{
    for (int k = 0; k < FP_NB_MIRRORS; k++) {
        g->xmm_mirror[k] = -1;
    }
}

static void mirrors_forget_temp(Gen *g, IRTempId t)
{
    for (int k = 0; k < FP_NB_MIRRORS; k++) {
        if (g->xmm_mirror[k] == (int)t) {
            g->xmm_mirror[k] = -1;
        }
    }
}

/* The xmm register mirroring t, or -1. */
static int mirror_of(Gen *g, IRTempId t)
{
    for (int k = 0; k < FP_NB_MIRRORS; k++) {
        if (g->xmm_mirror[k] == (int)t) {
            g->xmm_use[k] = g->op_index;
            return FP_FIRST_MIRROR + k;
        }
    }
    return -1;
}

/* A mirror register for t: a free one, else the least recently used. */
static int mirror_take(Gen *g, IRTempId t)
{
    int best = 0;
    for (int k = 0; k < FP_NB_MIRRORS; k++) {
        if (g->xmm_mirror[k] < 0) {
            best = k;
            break;
        }
        if (g->xmm_use[k] < g->xmm_use[best]) {
            best = k;
        }
    }
    g->xmm_mirror[best] = (int)t;
    g->xmm_use[best] = g->op_index;
    return FP_FIRST_MIRROR + best;
}

/* fp op: inline SSE under the guard, else the fallback out of line. Every
 * register is chosen before the first jump to the slow path, so spill code
 * runs on both paths; the result register is none of the inputs, so the
 * slow path can resume with exactly the fast path's register state. */
static void gen_fp(Gen *g, const IROp *op)
{
    int in[3] = { -1, -1, -1 };
    uint16_t in_mask = 0;
    unsigned n = jit_fp_nb_inputs(op->c[0]);
    for (unsigned i = 0; i < n; i++) {
        in[i] = temp_load(g, op->in[i], 0);
        in_mask |= (uint16_t)(1u << in[i]);
    }
    bool faults = op->c[0] & IR_FP_FAULTS;
    if (faults && temp(g, op->out[0])->kind == IR_TEMP_GLOBAL) {
        global_sync(g, op->out[0]); /* its old value must survive a fault */
    }
    int tmp = scratch_alloc(g, 0);
    temps_free_dead(g, op);
    int ro = temp_out(g, op->out[0], -1, (uint16_t)(in_mask | 1u << tmp));
    if (g->nb_fp_paths == g->cap_fp_paths) {
        g->fp_paths = grow(g->fp_paths, &g->cap_fp_paths, sizeof(FpSlowPath));
    }
    FpSlowPath *sp = &g->fp_paths[g->nb_fp_paths++];
    memset(sp, 0, sizeof(*sp));
    sp->fe = (const IRFpEnv *)(uintptr_t)op->c[1];
    sp->desc = op->c[0];
    sp->ro = ro;
    sp->guest_pc = g->cur_pc;
    for (int r = 0; r < 16; r++) {
        int t = g->owner[r];
        if (t < 0 || r == ro) {
            continue;
        }
        if (CALLER_SAVED_MASK & (1u << r)) {
            sp->save |= (uint16_t)(1u << r);
        }
        if (faults && temp(g, (IRTempId)t)->kind == IR_TEMP_GLOBAL && temp_dirty[t]) {
            sp->sync_reg[sp->nb_sync] = (uint8_t)r;
            sp->sync_off[sp->nb_sync++] = temp(g, (IRTempId)t)->env_offset;
        }
    }
    int in_xmm[3] = { -1, -1, -1 };
    int out_xmm = -1;
    if (g->use_mirrors) {
        for (unsigned i = 0; i < n; i++) {
            in_xmm[i] = mirror_of(g, op->in[i]);
        }
        mirrors_forget_temp(g, op->out[0]);
        if (jit_fp_result_in_xmm(sp->desc)) {
            out_xmm = mirror_take(g, op->out[0]);
        }
        /* what the slow path refills; a mirror whose temp has left its
         * register is dropped */
        for (int k = 0; k < FP_NB_MIRRORS; k++) {
            int t = g->xmm_mirror[k];
            if (t >= 0 && temp_reg[t] < 0) {
                g->xmm_mirror[k] = -1;
            } else if (t >= 0) {
                sp->remat_xmm[sp->nb_remat] = (uint8_t)(FP_FIRST_MIRROR + k);
                sp->remat_gpr[sp->nb_remat++] = (uint8_t)temp_reg[t];
            }
        }
    }
    jit_fp_emit_fast(&g->e, in, in_xmm, ro, out_xmm, tmp, sp);
    sp->resume = emit_rx(&g->e);
}

static void bind_label(Gen *g, uint32_t label)
{
    uintptr_t here = emit_rx(&g->e);
    for (uint32_t i = 0; i < g->nb_fixups; i++) {
        if (g->fixups[i].label == label && !g->e.overflow) {
            emit_patch_rel32(g->fixups[i].field, here);
        }
    }
}

static void add_fixup(Gen *g, uint32_t label, uint8_t *field)
{
    if (g->nb_fixups == g->cap_fixups) {
        g->fixups = grow(g->fixups, &g->cap_fixups, sizeof(LabelFixup));
    }
    g->fixups[g->nb_fixups++] = (LabelFixup){ label, field };
}

static void gen_exit_to_epilogue(Gen *g)
{
    uint8_t *f = emit_jmp(&g->e);
    if (!g->e.overflow) {
        emit_patch_rel32(f, jit_stubs.epilogue);
    }
}

/* Chainable exit. The pc global is written back only on the unchained
 * path: a chained successor never reads env->pc (every place that leaves
 * translated code writes it first: exits, stubs, fault sites, the entry
 * check), so a chained hop costs one jmp. */
static void gen_goto_tb(Gen *g, unsigned slot)
{
    int pc_reg = -1;
    if (g->pc_global >= 0 && temp_reg[g->pc_global] >= 0 && temp_dirty[g->pc_global]) {
        pc_reg = temp_reg[g->pc_global];
        temp_dirty[g->pc_global] = false;
    }
    globals_sync_all(g);
    /* The rel32 field must be 4-byte aligned so patching is one store. */
    while ((uintptr_t)(g->e.p + 1) & 3) {
        emit8(&g->e, 0x90);
    }
    uint8_t *field = emit_jmp(&g->e);
    g->tb->jmp_patch[slot] = (uint32_t)(field - g->e.start);
    g->tb->jmp_reset[slot] = code_offset(g);
    if (pc_reg >= 0) {
        emit_store_env(&g->e, pc_reg, REG_ENV, offsetof(CPUState, pc));
    }
    emit_mov_ri(&g->e, RAX, (uint64_t)(uintptr_t)g->tb | slot);
    gen_exit_to_epilogue(g);
    regs_forget_all(g);
}

static void gen_exit_tb(Gen *g, uint32_t excp)
{
    globals_sync_all(g);
    emit_store32_imm(&g->e, REG_ENV, offsetof(CPUState, exit_code), excp);
    emit_mov_ri(&g->e, RAX, TB_EXIT_NOCHAIN);
    gen_exit_to_epilogue(g);
    regs_forget_all(g);
}

/* Indirect jump: look the new pc up in the jump cache inline and jump to
 * the TB's code; on a miss, write env->pc and ask jit_lookup_code (hash
 * table, or back to the loop to translate). As for goto_tb, a hit need
 * not write env->pc. Byte offset of the cache entry, for BITS = 14:
 * exec_jmp_cache_index(pc) * 8 = ((pc << 2) ^ (pc >> 12)) & (MASK << 3). */
static void gen_goto_ptr(Gen *g)
{
    Emitter *e = &g->e;
    int pc_reg = -1;
    if (!exec_config()->softmmu && g->pc_global >= 0 && temp_reg[g->pc_global] >= 0 &&
        temp_dirty[g->pc_global]) {
        pc_reg = temp_reg[g->pc_global];
        temp_dirty[g->pc_global] = false;
    }
    globals_sync_all(g);
    if (exec_config()->softmmu) {
        /* System mode: the flags are this block's (nothing that changes
         * them reaches a goto_ptr), the physical pc comes from the TLB. */
        jit_softmmu_emit_goto_ptr(e, g->tb->flags);
        emit_mov_rr(e, RDI, REG_ENV);
        emit_call_abs(e, (const void *)jit_lookup_code);
        emit_jmp_reg(e, RAX);
        regs_forget_all(g);
        return;
    }
    if (pc_reg < 0) {
        emit_load_env(e, RAX, REG_ENV, offsetof(CPUState, pc));
    } else if (pc_reg != RAX) {
        emit_mov_rr(e, RAX, pc_reg);
    }
    emit_mov_rr(e, RCX, RAX);
    emit_shift_ri(e, SHIFT_SHL, RCX, 2);
    emit_mov_rr(e, RDX, RAX);
    emit_shift_ri(e, SHIFT_SHR, RDX, EXEC_JMP_CACHE_BITS - 2);
    emit_alu_rr(e, ALU_XOR, RCX, RDX);
    emit_alu_ri(e, ALU_AND, RCX, (int32_t)((EXEC_JMP_CACHE_SIZE - 1) << 3));
    emit_mov_ri(e, RDX, (uint64_t)(uintptr_t)exec_jmp_cache);
    emit_load_sized(e, RDX, RDX, RCX, 0, 3, false);
    emit_test_rr(e, RDX, RDX);
    uint8_t *miss1 = emit_jcc(e, CC_E);
    emit_modrm_mem(e, P_REXW | 0x3b, RAX, RDX, -1, offsetof(TranslationBlock, pc));
    uint8_t *miss2 = emit_jcc(e, CC_NE);
    emit_modrm_mem(e, 0xff, 4, RDX, -1, offsetof(TranslationBlock, code)); /* jmp [rdx+code] */
    if (!e->overflow) {
        emit_patch_rel32(miss1, emit_rx(e));
        emit_patch_rel32(miss2, emit_rx(e));
    }
    if (pc_reg >= 0) {
        emit_store_env(e, RAX, REG_ENV, offsetof(CPUState, pc));
    }
    emit_mov_rr(&g->e, RDI, REG_ENV);
    emit_call_abs(&g->e, (const void *)jit_lookup_code);
    emit_jmp_reg(&g->e, RAX);
    regs_forget_all(g);
}

/* ---- branches that keep registers, and self-loops ---- */

static bool op_leaves(const IROp *op)
{
    return (ir_op_defs[op->opc].flags & IR_OPF_EXIT) || op->opc == IR_br;
}

static bool global_is_pinned(const Gen *g, int t)
{
    for (unsigned k = 0; k < g->nb_pinned; k++) {
        if (g->pinned[k] == t) {
            return true;
        }
    }
    return false;
}

/* Pre-pass over the block. A label reached by exactly one brcond or br
 * takes over that jump's register state, so the jump need not write
 * globals back: as it is when nothing falls through into the label (the
 * op before leaves), else after the fall-through path is brought into the
 * same state (a merge; an if-then or if-else inside the block). A goto_tb
 * right after `mov pc, <this block's pc>` is a self-loop: the globals the
 * block uses are pinned to registers. */
static void plan_block(Gen *g)
{
    enum { JUMPS_MASK = 3, FALL = 4 };
    const IRBlock *b = g->b;
    if (g->cap_labels < b->nb_labels) {
        g->cap_labels = b->nb_labels;
        g->label_kind = realloc(g->label_kind, g->cap_labels);
        g->label_state = realloc(g->label_state, g->cap_labels * sizeof(BranchState));
        g->label_rx = realloc(g->label_rx, g->cap_labels * sizeof(uintptr_t));
        if (!g->label_kind || !g->label_state || !g->label_rx) {
            abort();
        }
    }
    /* label_kind first counts the jumps to each label (up to 2) and notes
     * whether the op before falls through into it. */
    if (b->nb_labels) {
        memset(g->label_kind, 0, b->nb_labels);
    }
    for (uint32_t i = 0; i < b->nb_ops; i++) {
        const IROp *op = &b->ops[i];
        uint8_t *k = NULL;
        if (op->opc == IR_brcond) {
            k = &g->label_kind[op->c[1]];
        } else if (op->opc == IR_br) {
            k = &g->label_kind[op->c[0]];
        } else if (op->opc == IR_label && (i == 0 || !op_leaves(&b->ops[i - 1]))) {
            g->label_kind[op->c[0]] |= FALL;
        }
        if (k && (*k & JUMPS_MASK) < 2) {
            (*k)++;
        }
    }
    for (uint32_t l = 0; l < b->nb_labels; l++) {
        uint8_t k = g->label_kind[l];
        g->label_kind[l] = (k & JUMPS_MASK) != 1 ? LABEL_PLAIN
                           : (k & FALL)          ? LABEL_MERGE
                                                 : LABEL_INHERIT;
    }
    /* A loop head (only back edges jump to it) keeps the state it is
     * reached with; its back edges bring theirs into that state. */
    for (uint32_t i = 0; i < b->nb_ops; i++) {
        if (b->ops[i].opc == IR_brloop) {
            g->label_kind[ir_brloop_label(&b->ops[i])] = LABEL_LOOP;
        }
    }

    g->pc_global = -1;
    for (uint32_t t = 0; t < b->nb_globals; t++) {
        if (b->temps[t].env_offset == (int32_t)offsetof(CPUState, pc)) {
            g->pc_global = (int)t;
        }
    }
    g->self_loop_op = UINT32_MAX;
    g->nb_pinned = 0;
    if (g->pc_global < 0 || exec_config()->no_chain) {
        return;
    }
    for (uint32_t i = 1; i < b->nb_ops; i++) {
        const IROp *mov = &b->ops[i - 1];
        if (b->ops[i].opc == IR_goto_tb && mov->opc == IR_mov && mov->out[0] == g->pc_global &&
            ir_temp_is_const(b, mov->in[0]) && b->temps[mov->in[0]].val == g->tb->pc) {
            g->self_loop_op = i;
            break;
        }
    }
    for (uint32_t i = 0; g->self_loop_op != UINT32_MAX && i < g->self_loop_op &&
                         g->nb_pinned < LOOP_MAX_PINNED;
         i++) {
        const IROp *op = &b->ops[i];
        const IROpDef *def = &ir_op_defs[op->opc];
        IRTempId used[IR_MAX_OUT + IR_MAX_IN];
        unsigned n = 0;
        for (unsigned k = 0; k < def->nb_in; k++) {
            used[n++] = op->in[k];
        }
        for (unsigned k = 0; k < def->nb_out; k++) {
            used[n++] = op->out[k];
        }
        for (unsigned k = 0; k < n && g->nb_pinned < LOOP_MAX_PINNED; k++) {
            IRTempId t = used[k];
            if (ir_temp_is_global(b, t) && t != g->pc_global && !global_is_pinned(g, t)) {
                g->pinned_reg[g->nb_pinned] = alloc_order[g->nb_pinned];
                g->pinned_written[g->nb_pinned] = false;
                g->pinned[g->nb_pinned++] = t;
            }
        }
    }
    for (uint32_t i = 0; g->self_loop_op != UINT32_MAX && i < g->self_loop_op; i++) {
        const IROp *op = &b->ops[i];
        for (unsigned k = 0; k < ir_op_defs[op->opc].nb_out; k++) {
            for (unsigned p = 0; p < g->nb_pinned; p++) {
                g->pinned_written[p] |= g->pinned[p] == op->out[k];
            }
        }
    }
}

/* The register state now (globals only: locals are gone by then). */
static void state_save(const Gen *g, BranchState *st)
{
    for (int r = 0; r < 16; r++) {
        st->owner[r] = g->owner[r] >= 0 ? g->owner[r] : OWNER_FREE;
        st->dirty[r] = g->owner[r] >= 0 && temp_dirty[g->owner[r]];
    }
}

/* Takes state st as the register state, forgetting the current one (no
 * code: the path that gets here already has st). */
static void state_restore(Gen *g, const BranchState *st)
{
    regs_forget_all(g);
    for (int r = 0; r < 16; r++) {
        int t = st->owner[r];
        if (t >= 0) {
            reg_assign(g, r, (IRTempId)t);
            temp_dirty[t] = st->dirty[r];
        }
    }
}

/* The end of a loop's back edge, in the head's state st: jump to the head
 * (head_rx), or, when the exec loop asked, write back st's dirty globals
 * and leave naming the head's guest pc. */
static void gen_loop_back(Gen *g, const BranchState *st, uintptr_t head_rx, uint64_t head_pc)
{
    Emitter *e = &g->e;
    emit_modrm_mem(e, 0x83, ALU_CMP, REG_ENV, -1, offsetof(CPUState, exit_request));
    emit8(e, 0);
    uint8_t *back = emit_jcc(e, CC_E);
    if (!e->overflow) {
        emit_patch_rel32(back, head_rx);
    }
    for (int r = 0; r < 16; r++) {
        if (st->owner[r] >= 0 && st->dirty[r]) {
            emit_store_env(e, r, REG_ENV, temp(g, (IRTempId)st->owner[r])->env_offset);
        }
    }
    emit_mov_ri(e, RAX, head_pc);
    emit_store_env(e, RAX, REG_ENV, offsetof(CPUState, pc));
    emit_mov_ri(e, RAX, TB_EXIT_NOCHAIN);
    gen_exit_to_epilogue(g);
}

/* Loop head of a self-looping block: the pinned globals are loaded into
 * their registers; those the loop writes count as dirty, since later
 * iterations do not write them back. That is the state the back edge
 * restores (self_loop_state). */
static void gen_loop_head(Gen *g)
{
    for (unsigned k = 0; k < g->nb_pinned; k++) {
        IRTempId t = g->pinned[k];
        emit_load_env(&g->e, g->pinned_reg[k], REG_ENV, temp(g, t)->env_offset);
        reg_assign(g, g->pinned_reg[k], t);
        temp_dirty[t] = g->pinned_written[k];
    }
    state_save(g, &g->self_loop_state);
    g->loop_head = emit_rx(&g->e);
}

/* Locals die at a basic-block end: registers and stack slots go. */
static void locals_forget(Gen *g)
{
    for (int r = 0; r < 16; r++) {
        int t = g->owner[r];
        if (t != OWNER_FREE && (t < 0 || temp(g, (IRTempId)t)->kind != IR_TEMP_GLOBAL)) {
            reg_release(g, r);
        }
    }
    for (uint32_t t = g->b->nb_globals; t < g->b->nb_temps; t++) {
        temp_loc[t] = LOC_DEAD;
        temp_slot[t] = -1;
    }
    g->nb_slots = 0;
    g->locked = 0;
}

/* brcond or br to a label that takes over its state: globals stay in
 * their registers, dirty or not; locals die here as at any basic-block
 * end. */
static void gen_jump_keep(Gen *g, const IROp *op)
{
    uint32_t label;
    if (op->opc == IR_brcond) {
        label = (uint32_t)op->c[1];
        gen_compare(g, op->in[0], op->in[1]);
        add_fixup(g, label, emit_jcc(&g->e, cond_to_cc[op->c[0]]));
    } else {
        label = (uint32_t)op->c[0];
        add_fixup(g, label, emit_jmp(&g->e));
    }
    locals_forget(g);
    state_save(g, &g->label_state[label]);
}

/* A label that inherits: nothing flows in but the brcond's jump. */
static void gen_label_inherit(Gen *g, uint32_t label)
{
    state_restore(g, &g->label_state[label]);
    bind_label(g, label);
}

/* The register where st holds global t, or -1. */
static int state_home(const BranchState *st, int t)
{
    for (int r = 0; r < 16; r++) {
        if (st->owner[r] == t) {
            return r;
        }
    }
    return -1;
}

/* Brings the current register state (globals only: locals are gone) into
 * st's on the path being generated: globals st does not hold are written
 * back if dirty and let go; those st holds in another register move there
 * (a register move when the target is free, else through env: cycles);
 * those st holds and this path does not are loaded from env. Dirty flags:
 * fixed (a loop head, whose code already assumes st's flags): a global
 * dirty here and clean in st is written back; otherwise (a merge label,
 * bound next) a global is dirty if either side has it dirty. */
static void state_reconcile(Gen *g, const BranchState *st, bool fixed)
{
    for (int r = 0; r < 16; r++) {
        int t = g->owner[r];
        if (t >= 0 && state_home(st, t) < 0) {
            global_sync(g, (IRTempId)t);
            reg_release(g, r);
        }
    }
    for (bool moved = true; moved;) {
        moved = false;
        for (int h = 0; h < 16; h++) {
            int t = st->owner[h];
            int r = t >= 0 ? temp_reg[t] : -1;
            if (r >= 0 && r != h && g->owner[h] == OWNER_FREE) {
                bool dirty = temp_dirty[t];
                emit_mov_rr(&g->e, h, r);
                reg_release(g, r);
                reg_assign(g, h, (IRTempId)t);
                temp_dirty[t] = dirty;
                moved = true;
            }
        }
    }
    for (int h = 0; h < 16; h++) {
        int t = st->owner[h];
        if (t >= 0 && temp_reg[t] >= 0 && temp_reg[t] != h) {
            global_sync(g, (IRTempId)t);
            reg_release(g, temp_reg[t]);
        }
    }
    for (int h = 0; h < 16; h++) {
        int t = st->owner[h];
        if (t < 0) {
            continue;
        }
        if (g->owner[h] != t) {
            emit_load_env(&g->e, h, REG_ENV, temp(g, (IRTempId)t)->env_offset);
            reg_assign(g, h, (IRTempId)t);
            temp_dirty[t] = false;
        }
        if (fixed && temp_dirty[t] && !st->dirty[h]) {
            global_sync(g, (IRTempId)t);
        }
        temp_dirty[t] = fixed ? st->dirty[h] : temp_dirty[t] || st->dirty[h];
    }
}

/* The back edge of a self-loop: every pinned global back in its home
 * register, the other globals written back (state_reconcile), then jump to
 * the loop head, or leave if the exec loop asked. */
static void gen_self_loop(Gen *g)
{
    IRTempId pc = (IRTempId)g->pc_global;
    if (temp_reg[pc] >= 0) {
        reg_release(g, temp_reg[pc]); /* env->pc is only needed on the way out */
    }
    temp_dirty[pc] = false;
    locals_forget(g);
    state_reconcile(g, &g->self_loop_state, true);
    gen_loop_back(g, &g->self_loop_state, g->loop_head, g->tb->pc);
    regs_forget_all(g);
}

/* A merge label: the fall-through path is brought into the state the
 * jump left (label_state), then the label is bound. */
static void gen_label_merge(Gen *g, uint32_t label)
{
    locals_forget(g);
    state_reconcile(g, &g->label_state[label], false);
    bind_label(g, label);
}

/* A loop head: the globals the loop uses (up to LOOP_MAX_PINNED, in the
 * order of first use between the head and its last back edge) are loaded
 * into registers, those it writes count as dirty, and no other global
 * stays; that state is what every back edge restores, so an iteration
 * neither reloads nor writes back what it uses. */
static void gen_label_loop(Gen *g, uint32_t label)
{
    locals_forget(g);
    const IRBlock *b = g->b;
    uint32_t end = g->op_index;
    for (uint32_t i = g->op_index + 1; i < b->nb_ops; i++) {
        if (b->ops[i].opc == IR_brloop && ir_brloop_label(&b->ops[i]) == label) {
            end = i;
        }
    }
    IRTempId used[LOOP_MAX_PINNED];
    bool written[LOOP_MAX_PINNED] = { false };
    unsigned nb_used = 0;
    for (uint32_t i = g->op_index + 1; i <= end; i++) {
        const IROp *op = &b->ops[i];
        const IROpDef *def = &ir_op_defs[op->opc];
        for (unsigned k = 0; k < def->nb_in + def->nb_out; k++) {
            bool out = k >= def->nb_in;
            IRTempId t = out ? op->out[k - def->nb_in] : op->in[k];
            if (!ir_temp_is_global(b, t) || (int)t == g->pc_global) {
                continue;
            }
            unsigned u = 0;
            while (u < nb_used && used[u] != t) {
                u++;
            }
            if (u == nb_used && nb_used < LOOP_MAX_PINNED) {
                used[nb_used++] = t;
            }
            if (u < nb_used) {
                written[u] |= out;
            }
        }
    }
    /* Globals the loop does not use go, so its temporaries have room. */
    for (int r = 0; r < 16; r++) {
        int t = g->owner[r];
        bool keep = false;
        for (unsigned u = 0; u < nb_used; u++) {
            keep |= used[u] == t;
        }
        if (t >= 0 && !keep) {
            global_sync(g, (IRTempId)t);
            reg_release(g, r);
        }
    }
    for (unsigned u = 0; u < nb_used; u++) {
        temp_load(g, used[u], 0); /* locked: the next loads keep it */
    }
    for (unsigned u = 0; u < nb_used; u++) {
        temp_dirty[used[u]] |= written[u];
    }
    g->locked = 0;
    state_save(g, &g->label_state[label]);
    bind_label(g, label);
    g->label_rx[label] = emit_rx(&g->e);
}

/* A back edge: when taken, the globals are brought into the loop head's
 * state (state_reconcile), then the exit check: jump to the head, or write
 * back and leave naming the head's guest pc. The fall-through path keeps
 * the state it had. */
static void gen_brloop(Gen *g, const IROp *op)
{
    uint32_t label = ir_brloop_label(op);
    const BranchState *st = &g->label_state[label];
    uint8_t *not_taken = NULL;
    if (op->in[0] != op->in[1]) {
        gen_compare(g, op->in[0], op->in[1]);
        not_taken = emit_jcc(&g->e, cond_to_cc[ir_brloop_cond(op)] ^ 1);
    }
    locals_forget(g);
    BranchState before;
    state_save(g, &before);
    state_reconcile(g, st, true);
    gen_loop_back(g, st, g->label_rx[label], op->c[1]);
    state_restore(g, &before); /* the fall-through's */
    if (not_taken && !g->e.overflow) {
        emit_patch_rel32(not_taken, emit_rx(&g->e));
    }
}

static void gen_op(Gen *g, const IROp *op)
{
    switch ((IROpcode)op->opc) {
    case IR_insn_start:
        g->cur_pc = op->c[0];
        break;
    case IR_mov: gen_mov(g, op); break;
    case IR_add: gen_alu(g, op, ALU_ADD); break;
    case IR_sub: gen_alu(g, op, ALU_SUB); break;
    case IR_and: gen_alu(g, op, ALU_AND); break;
    case IR_or: gen_alu(g, op, ALU_OR); break;
    case IR_xor: gen_alu(g, op, ALU_XOR); break;
    case IR_andn: gen_andn(g, op); break;
    case IR_shl: gen_shift(g, op, SHIFT_SHL); break;
    case IR_shr: gen_shift(g, op, SHIFT_SHR); break;
    case IR_sar: gen_shift(g, op, SHIFT_SAR); break;
    case IR_rotl: gen_shift(g, op, SHIFT_ROL); break;
    case IR_rotr: gen_shift(g, op, SHIFT_ROR); break;
    case IR_neg: gen_unary_inplace(g, op, UNARY_NEG); break;
    case IR_not: gen_unary_inplace(g, op, UNARY_NOT); break;
    case IR_mul: gen_mul(g, op); break;
    case IR_mulsh:
    case IR_muluh:
    case IR_mulsuh: gen_mulh(g, op); break;
    case IR_div:
    case IR_divu:
    case IR_rem:
    case IR_remu: gen_div(g, op); break;
    case IR_ext8s: gen_ext(g, op, 0, true); break;
    case IR_ext16s: gen_ext(g, op, 1, true); break;
    case IR_ext32s: gen_ext(g, op, 2, true); break;
    case IR_ext8u: gen_ext(g, op, 0, false); break;
    case IR_ext16u: gen_ext(g, op, 1, false); break;
    case IR_ext32u: gen_ext(g, op, 2, false); break;
    case IR_clz: gen_unary_rr(g, op, P_F3 | P_REXW | P_0F | 0xbd); break;
    case IR_ctz: gen_unary_rr(g, op, P_F3 | P_REXW | P_0F | 0xbc); break;
    case IR_cpop: gen_unary_rr(g, op, P_F3 | P_REXW | P_0F | 0xb8); break;
    case IR_bswap: gen_bswap(g, op); break;
    case IR_orcb: gen_orcb(g, op); break;
    case IR_setcond: gen_setcond(g, op); break;
    case IR_movcond: gen_movcond(g, op); break;
    case IR_ld: gen_ld(g, op); break;
    case IR_st: gen_st(g, op); break;
    case IR_call: gen_call(g, op); break;
    case IR_call_leaf: gen_call_leaf(g, op); break;
    case IR_fp: gen_fp(g, op); break;
    case IR_ld_env32: {
        int ro = temp_out(g, op->out[0], -1, 0);
        emit_modrm_mem(&g->e, 0x8b, ro, REG_ENV, -1, (int32_t)op->c[0]); /* zero-extends */
        break;
    }
    case IR_st_env32: {
        int rv = temp_load(g, op->in[0], 0);
        emit_modrm_mem(&g->e, 0x89, rv, REG_ENV, -1, (int32_t)op->c[0]);
        temps_free_dead(g, op);
        break;
    }
    case IR_label:
        if (g->label_kind[op->c[0]] == LABEL_INHERIT) {
            gen_label_inherit(g, (uint32_t)op->c[0]);
            break;
        }
        if (g->label_kind[op->c[0]] == LABEL_MERGE) {
            gen_label_merge(g, (uint32_t)op->c[0]);
            break;
        }
        if (g->label_kind[op->c[0]] == LABEL_LOOP) {
            gen_label_loop(g, (uint32_t)op->c[0]);
            break;
        }
        globals_sync_all(g);
        regs_forget_all(g);
        bind_label(g, (uint32_t)op->c[0]);
        break;
    case IR_br:
        if (g->label_kind[op->c[0]] != LABEL_PLAIN) {
            gen_jump_keep(g, op);
            regs_forget_all(g);
            break;
        }
        globals_sync_all(g);
        add_fixup(g, (uint32_t)op->c[0], emit_jmp(&g->e));
        regs_forget_all(g);
        break;
    case IR_brcond:
        if (g->label_kind[op->c[1]] != LABEL_PLAIN) {
            gen_jump_keep(g, op);
            break;
        }
        globals_sync_all(g);
        gen_compare(g, op->in[0], op->in[1]);
        add_fixup(g, (uint32_t)op->c[1], emit_jcc(&g->e, cond_to_cc[op->c[0]]));
        regs_forget_all(g);
        break;
    case IR_brloop: gen_brloop(g, op); break;
    case IR_goto_tb: gen_goto_tb(g, (unsigned)op->c[0]); break;
    case IR_goto_ptr: gen_goto_ptr(g); break;
    case IR_exit_tb: gen_exit_tb(g, (uint32_t)op->c[0]); break;
    case IR_NB_OPS: abort();
    }
    /* a new value is unchecked; at a label other paths join, and a call
     * may change any global */
    if (op->opc == IR_label || op->opc == IR_call) {
        checks_forget_all();
    } else {
        for (unsigned k = 0; k < ir_op_defs[op->opc].nb_out; k++) {
            temp_checked[op->out[k]] = 0;
        }
    }
    if (g->use_mirrors) {
        /* a new value in an output ends its mirror; calls clobber them
         * all; at a label, other paths join */
        if (op->opc == IR_label || op->opc == IR_call || op->opc == IR_call_leaf) {
            mirrors_forget_all(g);
        } else if (op->opc != IR_fp) {
            for (unsigned k = 0; k < ir_op_defs[op->opc].nb_out; k++) {
                mirrors_forget_temp(g, op->out[k]);
            }
        }
    }
    op_finish(g);
}

/* Out-of-line code for failed bounds checks: write back the globals the
 * site lists, record the fault and leave with EXCP_SEGV. */
static void gen_bounds_stubs(Gen *g)
{
    Emitter *e = &g->e;
    for (uint32_t i = 0; i < g->nb_stubs; i++) {
        BoundsStub *st = &g->stubs[i];
        const FaultSite *s = &g->sites[st->site];
        if (!e->overflow) {
            emit_patch_rel32(st->jcc_field, emit_rx(e));
        }
        if (st->disp) {
            /* the base is out of the window: is base + disp in it? (lea
             * keeps the flags; the base register is left as it was) */
            emit_lea(e, st->addr_reg, st->addr_reg, -1, st->disp);
            emit_alu_rr(e, ALU_CMP, st->addr_reg, REG_GUEST_LIMIT);
            emit_lea(e, st->addr_reg, st->addr_reg, -1, -st->disp);
            uint8_t *back = emit_jcc(e, CC_B);
            if (!e->overflow) {
                emit_patch_rel32(back, st->resume);
            }
        }
        emit_store_env(e, st->addr_reg, REG_ENV, offsetof(CPUState, fault_addr));
        if (st->disp) {
            emit_modrm_mem(e, P_REXW | 0x81, ALU_ADD, REG_ENV, -1, offsetof(CPUState, fault_addr));
            emit32(e, (uint32_t)st->disp);
        }
        emit_store32_imm(e, REG_ENV, offsetof(CPUState, fault_code), SEGV_MAPERR);
        for (unsigned k = 0; k < s->nb_regs; k++) {
            emit_store_env(e, s->reg[k], REG_ENV, g->b->temps[s->global[k]].env_offset);
        }
        emit_mov_ri(e, RAX, s->guest_pc);
        emit_store_env(e, RAX, REG_ENV, offsetof(CPUState, pc));
        emit_store32_imm(e, REG_ENV, offsetof(CPUState, exit_code), EXCP_SEGV);
        emit_mov_ri(e, RAX, TB_EXIT_NOCHAIN);
        gen_exit_to_epilogue(g);
    }
}

/* Entry check: leave at once when the exec loop asked for it. */
static uint8_t *gen_entry_check(Gen *g)
{
    emit_modrm_mem(&g->e, 0x83, ALU_CMP, REG_ENV, -1, offsetof(CPUState, exit_request));
    emit8(&g->e, 0);
    return emit_jcc(&g->e, CC_NE);
}

int jit_gen_block(TranslationBlock *tb, IRBlock *b)
{
    static Gen g;
    if (code_buffer.size - code_buffer.used < 65536) {
        return BACKEND_GEN_FULL;
    }
    g.e.start = g.e.p = code_buffer.rw + code_buffer.used;
    g.e.end = code_buffer.rw + code_buffer.size;
    g.e.overflow = false;
    g.b = b;
    g.tb = tb;
    g.cur_pc = tb->pc;
    g.too_big = false;
    g.nb_fixups = g.nb_sites = g.nb_stubs = g.nb_fp_paths = 0;
    for (int r = 0; r < 16; r++) {
        g.owner[r] = OWNER_FREE;
    }
    for (uint32_t t = 0; t < b->nb_temps; t++) {
        temp_reg[t] = -1;
        temp_dirty[t] = false;
        temp_loc[t] = LOC_DEAD;
        temp_slot[t] = -1;
    }
    g.nb_slots = 0;
    g.locked = 0;
    g.op_index = 0;
    g.use_mirrors = exec_config()->softmmu == NULL;
    mirrors_forget_all(&g);
    checks_forget_all();
    memset(g.last_use, 0, sizeof(g.last_use));

    plan_block(&g);
    uint8_t *entry_exit = gen_entry_check(&g);
    uint32_t unchecked_entry = code_offset(&g);
    if (g.self_loop_op != UINT32_MAX) {
        gen_loop_head(&g);
    }
    for (uint32_t i = 0; i < b->nb_ops; i++) {
        g.op_index = i;
        if (i + 1 == g.self_loop_op) {
            continue; /* mov pc, <own pc>: the back edge writes it only to leave */
        }
        if (i == g.self_loop_op) {
            gen_self_loop(&g);
            op_finish(&g);
            continue;
        }
        gen_op(&g, &b->ops[i]);
    }
    /* Falling off the end (should not happen: frontends end with an exit). */
    globals_sync_all(&g);
    emit_mov_ri(&g.e, RAX, TB_EXIT_NOCHAIN);
    gen_exit_to_epilogue(&g);
    /* The entry check's exit: a chained predecessor may not have written
     * env->pc, so this block writes its own. */
    if (!g.e.overflow) {
        emit_patch_rel32(entry_exit, emit_rx(&g.e));
    }
    emit_mov_ri(&g.e, RAX, tb->pc);
    emit_store_env(&g.e, RAX, REG_ENV, offsetof(CPUState, pc));
    emit_mov_ri(&g.e, RAX, TB_EXIT_NOCHAIN);
    gen_exit_to_epilogue(&g);
    gen_bounds_stubs(&g);
    for (uint32_t i = 0; i < g.nb_fp_paths; i++) {
        jit_fp_emit_slow(&g.e, &g.fp_paths[i]);
    }

    if (g.e.overflow) {
        return BACKEND_GEN_FULL;
    }
    if (g.too_big) {
        return BACKEND_GEN_TOO_BIG;
    }
    JitTBData *data = malloc(sizeof(JitTBData) + g.nb_sites * sizeof(FaultSite));
    if (!data) {
        abort();
    }
    data->unchecked_entry = unchecked_entry;
    data->nb_sites = g.nb_sites;
    memcpy(data->sites, g.sites, g.nb_sites * sizeof(FaultSite));
    tb->backend_data = data;
    tb->code = code_rx_of(g.e.start);
    tb->code_size = (uint32_t)(g.e.p - g.e.start);
    code_buffer.used += (tb->code_size + 15) & ~15u;
    return 0;
}
