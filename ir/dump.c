/*
 * dump.c — prints an IR block as text, one op per line (-d op, op_opt, and
 * the golden files of the IR unit tests).
 *
 * The one thing to know: the format is stable and tests compare it byte for
 * byte: " name out, in..., consts" with globals by name, locals as locN
 * (N = temp id), constants as $0x..; " ---- 0x<pc>" for insn_start, "Ln:"
 * for labels, "ld.32s"-style memops, conditions by name.
 */
#include <inttypes.h>

#include "mimic/ir.h"

static const char *const dump_cond_names[IR_NB_CONDS] = {
    [IR_COND_EQ] = "eq",   [IR_COND_NE] = "ne",   [IR_COND_LT] = "lt",
    [IR_COND_GE] = "ge",   [IR_COND_LTU] = "ltu", [IR_COND_GEU] = "geu",
};

static void dump_print_temp(const IRBlock *b, IRTempId t, FILE *f)
{
    if (t >= b->nb_temps) {
        fprintf(f, "?%u", (unsigned)t);
        return;
    }
    const IRTemp *tp = &b->temps[t];
    switch (tp->kind) {
    case IR_TEMP_GLOBAL:
        fputs(tp->name ? tp->name : "?global", f);
        break;
    case IR_TEMP_CONST:
        fprintf(f, "$0x%" PRIx64, tp->val);
        break;
    default:
        fprintf(f, "loc%u", (unsigned)t);
        break;
    }
}

static const char *dump_cond_name(uint64_t cond)
{
    return cond < IR_NB_CONDS ? dump_cond_names[cond] : "?cond";
}

/* Prints the temps of op: outputs first, then inputs, comma separated. */
static void dump_print_operands(const IRBlock *b, const IROp *op, FILE *f)
{
    const IROpDef *def = &ir_op_defs[op->opc];
    unsigned n = 0;
    for (unsigned i = 0; i < def->nb_out; i++, n++) {
        fputs(n ? ", " : " ", f);
        dump_print_temp(b, op->out[i], f);
    }
    for (unsigned i = 0; i < def->nb_in; i++, n++) {
        fputs(n ? ", " : " ", f);
        dump_print_temp(b, op->in[i], f);
    }
}

static void dump_print_op(const IRBlock *b, const IROp *op, FILE *f)
{
    if (op->opc >= IR_NB_OPS) {
        fprintf(f, " ?op%u\n", (unsigned)op->opc);
        return;
    }
    const char *name = ir_op_defs[op->opc].name;
    switch ((IROpcode)op->opc) {
    case IR_insn_start:
        fprintf(f, " ---- 0x%" PRIx64 "\n", op->c[0]);
        return;
    case IR_label:
        fprintf(f, "L%" PRIu64 ":\n", op->c[0]);
        return;
    case IR_br:
        fprintf(f, " br L%" PRIu64 "\n", op->c[0]);
        return;
    case IR_goto_tb:
    case IR_exit_tb:
        fprintf(f, " %s %" PRIu64 "\n", name, op->c[0]);
        return;
    case IR_ld:
    case IR_st:
        fprintf(f, " %s.%u%s", name, 8u << (op->c[0] & IR_MO_SIZE_MASK),
                (op->c[0] & IR_MO_SIGN) ? "s" : "");
        dump_print_operands(b, op, f);
        if (op->c[1]) {
            fprintf(f, " %+lld", (long long)op->c[1]);
        }
        break;
    case IR_call:
    case IR_call_leaf: {
        const IRHelper *h = (const IRHelper *)(uintptr_t)op->c[0];
        fprintf(f, " %s %s", name, h && h->name ? h->name : "?helper");
        dump_print_operands(b, op, f);
        break;
    }
    case IR_fp: {
        static const char *const kinds[IR_FP_NB_KINDS] = {
            "add", "sub", "mul",    "div",    "sqrt", "madd", "msub", "nmsub", "nmadd",
            "eq",  "lt",  "le",     "min",    "max",  "from_w", "from_l", "to_w", "to_l",
        };
        unsigned k = (unsigned)(op->c[0] & IR_FP_KIND_MASK);
        fprintf(f, " fp_%s.%c%s%s%s", k < IR_FP_NB_KINDS ? kinds[k] : "?",
                op->c[0] & IR_FP_DOUBLE ? 'd' : 's', op->c[0] & IR_FP_DYN ? ".dyn" : "",
                op->c[0] & IR_FP_RTZ ? ".rtz" : "", op->c[0] & IR_FP_FAULTS ? ".faults" : "");
        dump_print_operands(b, op, f);
        break;
    }
    case IR_setcond:
    case IR_movcond:
        fprintf(f, " %s_%s", name, dump_cond_name(op->c[0]));
        dump_print_operands(b, op, f);
        break;
    case IR_brcond:
        fprintf(f, " brcond_%s", dump_cond_name(op->c[0]));
        dump_print_operands(b, op, f);
        fprintf(f, ", L%" PRIu64, op->c[1]);
        break;
    case IR_brloop:
        fprintf(f, " brloop_%s", dump_cond_name(ir_brloop_cond(op)));
        dump_print_operands(b, op, f);
        fprintf(f, ", L%" PRIu32 " (0x%" PRIx64 ")", ir_brloop_label(op), op->c[1]);
        break;
    default:
        fprintf(f, " %s", name);
        dump_print_operands(b, op, f);
        break;
    }
    fputc('\n', f);
}

void ir_dump(const IRBlock *b, FILE *f)
{
    for (uint32_t i = 0; i < b->nb_ops; i++) {
        dump_print_op(b, &b->ops[i], f);
    }
}
