/*
 * liveness.c — backward liveness: marks the last read of each input
 * (IROp.dead_in) and removes pure ops whose output is never read.
 *
 * The one thing to know: every global is live at the end of each basic block
 * and at every op that may fault (ld, st, call, fp), so the guest state is exact
 * wherever an exception can be taken.
 */
#include <stdlib.h>
#include <string.h>

#include "mimic/ir.h"

void ir_liveness(IRBlock *b)
{
    uint8_t *live = calloc(b->nb_temps ? b->nb_temps : 1, 1);
    if (!live) {
        abort();
    }
    uint32_t kept = b->nb_ops;
    /* Walk backwards; surviving ops are packed towards the end, then moved. */
    for (uint32_t i = b->nb_ops; i-- > 0;) {
        IROp op = b->ops[i];
        const IROpDef *def = &ir_op_defs[op.opc];

        if (def->flags & IR_OPF_BB_END) {
            /* Live after a basic block end: every global, no local. */
            memset(live + b->nb_globals, 0, b->nb_temps - b->nb_globals);
            memset(live, 1, b->nb_globals);
        }
        if (def->nb_out && !(def->flags & IR_OPF_SIDE_EFFECTS) && !(def->flags & IR_OPF_MEM) &&
            !live[op.out[0]]) {
            continue; /* dead pure op: drop */
        }
        for (unsigned k = 0; k < def->nb_out; k++) {
            live[op.out[0 + k]] = 0;
        }
        if (def->flags & (IR_OPF_BB_END | IR_OPF_MEM | IR_OPF_CALL | IR_OPF_MAY_FAULT)) {
            /* The op may fault or read env before writing its output, so
             * every global, its own output included, is live before it. */
            memset(live, 1, b->nb_globals);
        }
        op.dead_in = 0;
        for (unsigned k = 0; k < def->nb_in; k++) {
            IRTempId t = op.in[k];
            if (b->temps[t].kind == IR_TEMP_CONST) {
                continue;
            }
            if (!live[t]) {
                op.dead_in |= (uint8_t)(1u << k);
            }
        }
        for (unsigned k = 0; k < def->nb_in; k++) {
            live[op.in[k]] = 1;
        }
        b->ops[--kept] = op;
    }
    uint32_t n = b->nb_ops - kept;
    memmove(b->ops, b->ops + kept, n * sizeof(IROp));
    b->nb_ops = n;
    free(live);
}
