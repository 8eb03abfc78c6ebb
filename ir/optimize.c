/*
 * optimize.c — the IR optimizer: one forward pass (copy and constant
 * propagation, constant folding, algebraic identities, branch folding)
 * and one backward pass (dead code elimination), then compaction.
 *
 * The one thing to know: everything learned about temps is forgotten at
 * every op with IR_OPF_BB_END (an epoch counter makes that O(1)); what a
 * temp is known to equal stays valid only while neither it nor its source
 * has been written since (version counters per temp). Globals are live at
 * every basic block end and at every op that may fault or call out, so the
 * guest state stays exact wherever it can be observed.
 */
#include <stdlib.h>
#include <string.h>

#include "mimic/ir.h"

#define OPT_CONST_CACHE 64

typedef struct OptState {
    IRBlock *b;
    uint32_t cap;          /* temps the arrays below can describe */
    uint32_t epoch;        /* bumped at each basic block end */
    uint32_t *ver;         /* per temp: number of writes so far */
    IRTempId *repl;        /* per temp: a temp known to hold the same value */
    uint32_t *repl_ver;    /* ver[repl] when that was learned */
    uint32_t *repl_epoch;
    uint16_t *def_opc;     /* per temp: the op that last wrote it (ext folding) */
    IRTempId *def_src;     /* its input */
    uint32_t *def_src_ver;
    uint32_t *def_epoch;
    uint8_t *deleted;      /* per op */
    IRTempId const_cache[OPT_CONST_CACHE];
} OptState;

/* Zeroed per-block arrays come from one scratch buffer that is kept from
 * block to block (translation is serialised), instead of ten callocs. */
static uint8_t *scratch;
static size_t scratch_cap, scratch_used;

static void scratch_reserve(size_t bytes)
{
    scratch_used = 0;
    if (bytes > scratch_cap) {
        free(scratch);
        scratch_cap = bytes + bytes / 2;
        scratch = malloc(scratch_cap);
        if (!scratch) {
            abort();
        }
    }
}

static void *opt_calloc(size_t n, size_t size)
{
    size_t bytes = ((n ? n : 1) * size + 7) & ~(size_t)7;
    if (scratch_used + bytes > scratch_cap) {
        abort(); /* scratch_reserve() was told less than the arrays need */
    }
    void *p = scratch + scratch_used;
    scratch_used += bytes;
    memset(p, 0, bytes);
    return p;
}

static IRTempId opt_lookup(const OptState *s, IRTempId t)
{
    if (s->repl_epoch[t] == s->epoch && s->ver[s->repl[t]] == s->repl_ver[t]) {
        return s->repl[t];
    }
    return t;
}

static bool opt_is_const(const OptState *s, IRTempId t, uint64_t *v)
{
    if (s->b->temps[t].kind != IR_TEMP_CONST) {
        return false;
    }
    if (v) {
        *v = s->b->temps[t].val;
    }
    return true;
}

/* A constant temp of value v, or IR_MAX_TEMPS if there is no room. */
static IRTempId opt_const(OptState *s, uint64_t v)
{
    IRBlock *b = s->b;
    unsigned h = (unsigned)((v * 0x9e3779b97f4a7c15ull) >> 58) % OPT_CONST_CACHE;
    IRTempId c = s->const_cache[h];
    if (c < b->nb_temps && c >= b->nb_globals && b->temps[c].kind == IR_TEMP_CONST &&
        b->temps[c].val == v) {
        return c;
    }
    if (b->nb_temps >= s->cap || b->nb_temps >= IR_MAX_TEMPS - 1) {
        return IR_MAX_TEMPS;
    }
    c = ir_const(b, v);
    s->const_cache[h] = c;
    return c;
}

/* Rewrites op into "mov out, src". */
static void opt_make_mov(IROp *op, IRTempId src)
{
    IRTempId out = op->out[0];
    memset(op, 0, sizeof(*op));
    op->opc = IR_mov;
    op->out[0] = out;
    op->in[0] = src;
}

/* Rewrites op into "mov out, $v" when there is room for the constant. */
static void opt_make_movi(OptState *s, IROp *op, uint64_t v)
{
    IRTempId c = opt_const(s, v);
    if (c != IR_MAX_TEMPS) {
        opt_make_mov(op, c);
    }
}

static unsigned opt_ext_bits(unsigned opc, bool *sign)
{
    switch (opc) {
    case IR_ext8s:
        *sign = true;
        return 8;
    case IR_ext16s:
        *sign = true;
        return 16;
    case IR_ext32s:
        *sign = true;
        return 32;
    case IR_ext8u:
        *sign = false;
        return 8;
    case IR_ext16u:
        *sign = false;
        return 16;
    case IR_ext32u:
        *sign = false;
        return 32;
    default:
        return 0;
    }
}

/* ext of ext: a narrower-or-equal outer extension reads the original value;
 * a wider one that cannot change the inner result becomes a mov. */
static void opt_fold_ext(OptState *s, IROp *op)
{
    bool so, si;
    unsigned wo = opt_ext_bits(op->opc, &so);
    IRTempId t = op->in[0];
    if (!wo || s->def_epoch[t] != s->epoch) {
        return;
    }
    unsigned wi = opt_ext_bits(s->def_opc[t], &si);
    if (!wi) {
        return;
    }
    if (wo <= wi) {
        IRTempId x = s->def_src[t];
        if (s->ver[x] == s->def_src_ver[t]) {
            op->in[0] = x;
        }
    } else if (si == so || !si) {
        opt_make_mov(op, t);
    }
}

/* x op x identities. */
static void opt_fold_same_inputs(OptState *s, IROp *op)
{
    switch (op->opc) {
    case IR_sub:
    case IR_xor:
    case IR_andn:
        opt_make_movi(s, op, 0);
        break;
    case IR_and:
    case IR_or:
        opt_make_mov(op, op->in[0]);
        break;
    default:
        break;
    }
}

/* Identities with a constant second input. */
static void opt_fold_const_b(OptState *s, IROp *op, uint64_t c)
{
    switch (op->opc) {
    case IR_add:
    case IR_sub:
    case IR_or:
    case IR_xor:
    case IR_andn:
        if (c == 0) {
            opt_make_mov(op, op->in[0]);
        }
        break;
    case IR_shl:
    case IR_shr:
    case IR_sar:
    case IR_rotl:
    case IR_rotr:
        if ((c & 63) == 0) {
            opt_make_mov(op, op->in[0]);
        }
        break;
    case IR_and:
        if (c == UINT64_MAX) {
            opt_make_mov(op, op->in[0]);
        } else if (c == 0) {
            opt_make_movi(s, op, 0);
        }
        break;
    case IR_mul:
        if (c == 1) {
            opt_make_mov(op, op->in[0]);
        } else if (c == 0) {
            opt_make_movi(s, op, 0);
        }
        break;
    default:
        break;
    }
}

/* Folds a pure value op in place (into mov when possible). */
static void opt_fold_value(OptState *s, IROp *op)
{
    const IROpDef *def = &ir_op_defs[op->opc];
    uint64_t in[IR_MAX_IN], out;
    bool all_const = true;
    for (unsigned k = 0; k < def->nb_in; k++) {
        all_const &= opt_is_const(s, op->in[k], &in[k]);
    }
    if (op->opc == IR_mov) {
        return;
    }
    if (all_const) {
        if (ir_eval_op((IROpcode)op->opc, in, op->c, &out)) {
            opt_make_movi(s, op, out);
        }
        return;
    }
    if ((def->flags & IR_OPF_COMMUTATIVE) && opt_is_const(s, op->in[0], NULL)) {
        IRTempId t = op->in[0];
        op->in[0] = op->in[1];
        op->in[1] = t;
    }
    if (op->opc == IR_movcond) {
        if (op->in[2] == op->in[3]) {
            opt_make_mov(op, op->in[2]);
        } else if (opt_is_const(s, op->in[0], &in[0]) && opt_is_const(s, op->in[1], &in[1])) {
            opt_make_mov(op, ir_eval_cond((IRCond)op->c[0], in[0], in[1]) ? op->in[2] : op->in[3]);
        }
        return;
    }
    if (def->nb_in == 1) {
        opt_fold_ext(s, op);
        return;
    }
    if (def->nb_in == 2 && op->opc != IR_setcond) {
        uint64_t c;
        if (op->in[0] == op->in[1]) {
            opt_fold_same_inputs(s, op);
        } else if (opt_is_const(s, op->in[1], &c)) {
            opt_fold_const_b(s, op, c);
        }
    }
}

/* brcond with a known outcome becomes br (always) or disappears (never). */
static void opt_fold_brcond(OptState *s, IROp *op, uint32_t idx)
{
    uint64_t a, c;
    bool known = false, taken = false;
    if (opt_is_const(s, op->in[0], &a) && opt_is_const(s, op->in[1], &c)) {
        known = true;
        taken = ir_eval_cond((IRCond)op->c[0], a, c);
    } else if (op->in[0] == op->in[1]) {
        known = true;
        taken = ir_eval_cond((IRCond)op->c[0], 0, 0);
    }
    if (!known) {
        return;
    }
    if (taken) {
        uint64_t label = op->c[1];
        memset(op, 0, sizeof(*op));
        op->opc = IR_br;
        op->c[0] = label;
    } else {
        s->deleted[idx] = 1;
    }
}

/* Records the write of op's output (after folding). */
static void opt_note_output(OptState *s, const IROp *op, uint32_t idx)
{
    IRTempId out = op->out[0];
    if (op->opc == IR_mov && op->in[0] == out) {
        s->deleted[idx] = 1; /* mov to self */
        return;
    }
    s->ver[out]++;
    s->repl_epoch[out] = 0;
    s->def_epoch[out] = 0;
    if (op->opc == IR_mov) {
        s->repl[out] = op->in[0];
        s->repl_ver[out] = s->ver[op->in[0]];
        s->repl_epoch[out] = s->epoch;
    } else if (ir_op_defs[op->opc].nb_in == 1 && !(ir_op_defs[op->opc].flags & IR_OPF_MEM)) {
        s->def_opc[out] = op->opc;
        s->def_src[out] = op->in[0];
        s->def_src_ver[out] = s->ver[op->in[0]];
        s->def_epoch[out] = s->epoch;
    }
}

static void opt_forward(OptState *s)
{
    IRBlock *b = s->b;
    for (uint32_t i = 0; i < b->nb_ops; i++) {
        IROp *op = &b->ops[i];
        const IROpDef *def = &ir_op_defs[op->opc];
        for (unsigned k = 0; k < def->nb_in; k++) {
            op->in[k] = opt_lookup(s, op->in[k]);
        }
        if (op->opc == IR_brcond) {
            opt_fold_brcond(s, op, i);
        } else if (def->nb_out && !(def->flags & (IR_OPF_SIDE_EFFECTS | IR_OPF_MEM))) {
            opt_fold_value(s, op);
        }
        if (ir_op_defs[op->opc].flags & IR_OPF_BB_END) {
            s->epoch++;
        }
        if (ir_op_defs[op->opc].nb_out && !s->deleted[i]) {
            opt_note_output(s, op, i);
        }
    }
}

/* Backward pass: drops pure ops whose output is never read. Locals die at
 * each basic block end; globals are live there and wherever the guest
 * state can be observed (memory ops may fault, helpers read env). */
static void opt_eliminate_dead(OptState *s)
{
    IRBlock *b = s->b;
    uint32_t *live = opt_calloc(b->nb_temps, sizeof(uint32_t));
    uint32_t stamp = 1;
    for (uint32_t g = 0; g < b->nb_globals; g++) {
        live[g] = stamp;
    }
    for (uint32_t i = b->nb_ops; i-- > 0;) {
        if (s->deleted[i]) {
            continue;
        }
        const IROp *op = &b->ops[i];
        const IROpDef *def = &ir_op_defs[op->opc];
        bool observes = def->flags & (IR_OPF_BB_END | IR_OPF_MEM | IR_OPF_CALL | IR_OPF_MAY_FAULT);
        if (def->flags & IR_OPF_BB_END) {
            stamp++; /* every local is dead after a basic block end */
        }
        if (def->nb_out) {
            IRTempId out = op->out[0];
            bool pure = !(def->flags & (IR_OPF_SIDE_EFFECTS | IR_OPF_MEM | IR_OPF_CALL));
            if (pure && live[out] != stamp) {
                s->deleted[i] = 1;
                continue;
            }
            live[out] = 0;
        }
        if (observes) {
            for (uint32_t g = 0; g < b->nb_globals; g++) {
                live[g] = stamp;
            }
        }
        for (unsigned k = 0; k < def->nb_in; k++) {
            live[op->in[k]] = stamp;
        }
    }
}

static void opt_compact(OptState *s)
{
    IRBlock *b = s->b;
    uint32_t n = 0;
    for (uint32_t i = 0; i < b->nb_ops; i++) {
        if (!s->deleted[i]) {
            b->ops[n++] = b->ops[i];
        }
    }
    b->nb_ops = n;
}

void ir_optimize(IRBlock *b)
{
    OptState s = { .b = b, .epoch = 1 };
    s.cap = b->nb_temps + b->nb_ops + 1;
    if (s.cap > IR_MAX_TEMPS) {
        s.cap = IR_MAX_TEMPS;
    }
    /* Eight arrays of at most 4 bytes per temp, the deleted flags, and the
     * dead-code pass's liveness stamps (with rounding slack). */
    scratch_reserve(8 * ((size_t)s.cap * 4 + 8) + b->nb_ops + 8 +
                    (size_t)(b->nb_temps > s.cap ? b->nb_temps : s.cap) * 4 + 8);
    s.ver = opt_calloc(s.cap, sizeof(uint32_t));
    s.repl = opt_calloc(s.cap, sizeof(IRTempId));
    s.repl_ver = opt_calloc(s.cap, sizeof(uint32_t));
    s.repl_epoch = opt_calloc(s.cap, sizeof(uint32_t));
    s.def_opc = opt_calloc(s.cap, sizeof(uint16_t));
    s.def_src = opt_calloc(s.cap, sizeof(IRTempId));
    s.def_src_ver = opt_calloc(s.cap, sizeof(uint32_t));
    s.def_epoch = opt_calloc(s.cap, sizeof(uint32_t));
    s.deleted = opt_calloc(b->nb_ops, 1);
    for (unsigned i = 0; i < OPT_CONST_CACHE; i++) {
        s.const_cache[i] = IR_MAX_TEMPS;
    }

    opt_forward(&s);
    opt_eliminate_dead(&s);
    opt_compact(&s);
}
