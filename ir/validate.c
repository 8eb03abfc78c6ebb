/*
 * validate.c — structural checks of an IR block (debug builds check every
 * block the frontend emits; the unit tests check the optimizer's output).
 *
 * The one thing to know: a local is valid only inside the basic block that
 * wrote it; every op with IR_OPF_BB_END ends the block, except that a call's
 * own output is written after the call and may be read after it.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/ir.h"

typedef struct ValidateState {
    const IRBlock *b;
    uint8_t *written;  /* per temp: local written in the current basic block */
    uint8_t *label_state; /* per label: bit 0 defined, bit 1 referenced */
    char *err;
    size_t errlen;
} ValidateState;

enum { LABEL_DEFINED = 1, LABEL_REFERENCED = 2 };

__attribute__((format(printf, 3, 4)))
static int validate_fail(ValidateState *s, uint32_t idx, const char *fmt, ...)
{
    if (s->errlen) {
        int n = snprintf(s->err, s->errlen, "op %u: ", (unsigned)idx);
        if (n >= 0 && (size_t)n < s->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(s->err + n, s->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return -1;
}

static int validate_label_ref(ValidateState *s, uint32_t idx, uint64_t label)
{
    if (label >= s->b->nb_labels) {
        return validate_fail(s, idx, "label %llu out of range", (unsigned long long)label);
    }
    if (s->label_state[label] & LABEL_DEFINED) {
        return validate_fail(s, idx, "backward branch to L%llu", (unsigned long long)label);
    }
    s->label_state[label] |= LABEL_REFERENCED;
    return 0;
}

/* Checks the constants of op: conditions, memops, helpers, labels, slots. */
static int validate_consts(ValidateState *s, uint32_t idx, const IROp *op)
{
    switch ((IROpcode)op->opc) {
    case IR_setcond:
    case IR_movcond:
        if (op->c[0] >= IR_NB_CONDS) {
            return validate_fail(s, idx, "bad condition %llu", (unsigned long long)op->c[0]);
        }
        return 0;
    case IR_brcond:
        if (op->c[0] >= IR_NB_CONDS) {
            return validate_fail(s, idx, "bad condition %llu", (unsigned long long)op->c[0]);
        }
        return validate_label_ref(s, idx, op->c[1]);
    case IR_br:
        return validate_label_ref(s, idx, op->c[0]);
    case IR_brloop:
        if (ir_brloop_cond(op) >= IR_NB_CONDS) {
            return validate_fail(s, idx, "bad condition %u", (unsigned)ir_brloop_cond(op));
        }
        if (ir_brloop_label(op) >= s->b->nb_labels ||
            !(s->label_state[ir_brloop_label(op)] & LABEL_DEFINED)) {
            return validate_fail(s, idx, "brloop to L%u, not defined before it",
                                 (unsigned)ir_brloop_label(op));
        }
        return 0;
    case IR_label:
        if (op->c[0] >= s->b->nb_labels) {
            return validate_fail(s, idx, "label %llu out of range", (unsigned long long)op->c[0]);
        }
        if (s->label_state[op->c[0]] & LABEL_DEFINED) {
            return validate_fail(s, idx, "label L%llu defined twice",
                                 (unsigned long long)op->c[0]);
        }
        s->label_state[op->c[0]] |= LABEL_DEFINED;
        return 0;
    case IR_ld:
    case IR_st:
        if (op->c[0] & ~(uint64_t)(IR_MO_SIZE_MASK | IR_MO_SIGN | IR_MO_MMU_MASK)) {
            return validate_fail(s, idx, "bad memop 0x%llx", (unsigned long long)op->c[0]);
        }
        if ((int64_t)op->c[1] > IR_MAX_DISP || (int64_t)op->c[1] < -IR_MAX_DISP) {
            return validate_fail(s, idx, "displacement %lld too large", (long long)op->c[1]);
        }
        return 0;
    case IR_ld_env32:
    case IR_st_env32:
        if (op->c[0] >= 65536 || (op->c[0] & 3)) {
            return validate_fail(s, idx, "bad env offset %llu", (unsigned long long)op->c[0]);
        }
        return 0;
    case IR_call:
    case IR_call_leaf: {
        const IRHelper *h = (const IRHelper *)(uintptr_t)op->c[0];
        if (!h || !h->fn) {
            return validate_fail(s, idx, "call without a helper");
        }
        return 0;
    }
    case IR_fp: {
        const IRFpEnv *fe = (const IRFpEnv *)(uintptr_t)op->c[1];
        if (!fe || !fe->fallback) {
            return validate_fail(s, idx, "fp without a fallback");
        }
        if ((op->c[0] & ~(uint64_t)IR_FP_DESC_MASK) ||
            (op->c[0] & IR_FP_KIND_MASK) >= IR_FP_NB_KINDS ||
            ((op->c[0] & IR_FP_KIND_MASK) >= IR_FP_EQ &&
             (op->c[0] & IR_FP_KIND_MASK) <= IR_FP_MAX &&
             (op->c[0] & (IR_FP_DYN | IR_FP_FAULTS))) ||
            ((op->c[0] & IR_FP_RTZ) && ((op->c[0] & IR_FP_DYN) ||
                                        (op->c[0] & IR_FP_KIND_MASK) < IR_FP_TO_W))) {
            return validate_fail(s, idx, "bad fp descriptor 0x%llx", (unsigned long long)op->c[0]);
        }
        return 0;
    }
    case IR_goto_tb:
        if (op->c[0] >= IR_NB_CHAIN_SLOTS) {
            return validate_fail(s, idx, "goto_tb slot %llu", (unsigned long long)op->c[0]);
        }
        return 0;
    default:
        return 0;
    }
}

static int validate_op(ValidateState *s, uint32_t idx, const IROp *op)
{
    const IRBlock *b = s->b;
    if (op->opc >= IR_NB_OPS) {
        return validate_fail(s, idx, "bad opcode %u", (unsigned)op->opc);
    }
    const IROpDef *def = &ir_op_defs[op->opc];
    for (unsigned i = 0; i < def->nb_in; i++) {
        IRTempId t = op->in[i];
        if (t >= b->nb_temps) {
            return validate_fail(s, idx, "%s: input %u: temp %u out of range", def->name, i,
                                 (unsigned)t);
        }
        if (b->temps[t].kind == IR_TEMP_LOCAL && !s->written[t]) {
            return validate_fail(s, idx, "%s: input %u: loc%u not written in this basic block",
                                 def->name, i, (unsigned)t);
        }
    }
    for (unsigned i = 0; i < def->nb_out; i++) {
        IRTempId t = op->out[i];
        if (t >= b->nb_temps) {
            return validate_fail(s, idx, "%s: output temp %u out of range", def->name, (unsigned)t);
        }
        if (b->temps[t].kind == IR_TEMP_CONST) {
            return validate_fail(s, idx, "%s: output is a constant", def->name);
        }
    }
    if (validate_consts(s, idx, op) < 0) {
        return -1;
    }
    if (def->flags & IR_OPF_BB_END) {
        memset(s->written, 0, b->nb_temps);
    }
    for (unsigned i = 0; i < def->nb_out; i++) {
        s->written[op->out[i]] = 1;
    }
    return 0;
}

int ir_validate(const IRBlock *b, char *err, size_t errlen)
{
    ValidateState s = { .b = b, .err = err, .errlen = errlen };
    if (errlen) {
        err[0] = '\0';
    }
    if (b->nb_globals > b->nb_temps) {
        return validate_fail(&s, 0, "more globals than temps");
    }
    for (uint32_t t = 0; t < b->nb_temps; t++) {
        bool global = b->temps[t].kind == IR_TEMP_GLOBAL;
        if (b->temps[t].kind > IR_TEMP_CONST || (t < b->nb_globals) != global) {
            return validate_fail(&s, 0, "temp %u has the wrong kind", (unsigned)t);
        }
    }
    s.written = calloc(b->nb_temps ? b->nb_temps : 1, 1);
    s.label_state = calloc(b->nb_labels ? b->nb_labels : 1, 1);
    if (!s.written || !s.label_state) {
        abort();
    }
    int r = 0;
    for (uint32_t i = 0; i < b->nb_ops && r == 0; i++) {
        r = validate_op(&s, i, &b->ops[i]);
    }
    for (uint32_t l = 0; l < b->nb_labels && r == 0; l++) {
        if (s.label_state[l] == LABEL_REFERENCED) {
            r = validate_fail(&s, b->nb_ops, "L%u referenced but never defined", (unsigned)l);
        }
    }
    free(s.written);
    free(s.label_state);
    return r;
}
