/*
 * builder.c — creating IR blocks: temps, labels and one emitter per op shape.
 *
 * The one thing to know: a block never fails loudly while being built. When
 * it runs out of room it sets b->overflow and keeps accepting ops into a
 * scratch slot; the frontend checks overflow after each guest instruction and
 * ends the block before that instruction.
 */
#include <stdlib.h>
#include <string.h>

#include "mimic/ir.h"

#define IR_INITIAL_OPS 512
#define IR_INITIAL_TEMPS 512
#define IR_MAX_OPS 8192

static void *xrealloc_array(void *p, size_t n, size_t elem)
{
    void *q = realloc(p, n * elem);
    if (!q) {
        abort(); /* out of host memory: nothing sensible to do */
    }
    return q;
}

void ir_block_init(IRBlock *b, const IRGlobalDef *globals, unsigned nb_globals)
{
    memset(b, 0, sizeof(*b));
    b->cap_ops = IR_INITIAL_OPS;
    b->ops = xrealloc_array(NULL, b->cap_ops, sizeof(IROp));
    b->cap_temps = IR_INITIAL_TEMPS > nb_globals ? IR_INITIAL_TEMPS : nb_globals + 64;
    b->temps = xrealloc_array(NULL, b->cap_temps, sizeof(IRTemp));
    for (unsigned i = 0; i < nb_globals; i++) {
        b->temps[i] = (IRTemp){
            .kind = IR_TEMP_GLOBAL,
            .env_offset = globals[i].env_offset,
            .name = globals[i].name,
        };
    }
    b->nb_globals = nb_globals;
    b->nb_temps = nb_globals;
}

void ir_block_reset(IRBlock *b)
{
    b->nb_ops = 0;
    b->nb_temps = b->nb_globals;
    b->nb_labels = 0;
    b->overflow = false;
}

void ir_block_destroy(IRBlock *b)
{
    free(b->ops);
    free(b->temps);
    memset(b, 0, sizeof(*b));
}

void ir_block_copy(IRBlock *dst, const IRBlock *src)
{
    *dst = *src;
    dst->cap_ops = src->nb_ops ? src->nb_ops : 1;
    dst->ops = xrealloc_array(NULL, dst->cap_ops, sizeof(IROp));
    memcpy(dst->ops, src->ops, src->nb_ops * sizeof(IROp));
    dst->cap_temps = src->nb_temps;
    dst->temps = xrealloc_array(NULL, dst->cap_temps, sizeof(IRTemp));
    memcpy(dst->temps, src->temps, src->nb_temps * sizeof(IRTemp));
}

static IRTempId ir_new_temp(IRBlock *b, IRTempKind kind)
{
    if (b->nb_temps >= IR_MAX_TEMPS - 1) {
        b->overflow = true;
        return (IRTempId)(b->nb_temps - 1); /* reuse: block will be discarded */
    }
    if (b->nb_temps == b->cap_temps) {
        b->cap_temps *= 2;
        if (b->cap_temps > IR_MAX_TEMPS) {
            b->cap_temps = IR_MAX_TEMPS;
        }
        b->temps = xrealloc_array(b->temps, b->cap_temps, sizeof(IRTemp));
    }
    IRTempId id = (IRTempId)b->nb_temps++;
    b->temps[id] = (IRTemp){ .kind = (uint8_t)kind };
    return id;
}

IRTempId ir_new_local(IRBlock *b)
{
    return ir_new_temp(b, IR_TEMP_LOCAL);
}

IRTempId ir_const(IRBlock *b, uint64_t val)
{
    IRTempId id = ir_new_temp(b, IR_TEMP_CONST);
    if (b->temps[id].kind == IR_TEMP_CONST) {
        b->temps[id].val = val;
    }
    return id;
}

unsigned ir_new_label(IRBlock *b)
{
    return b->nb_labels++;
}

IROp *ir_emit(IRBlock *b, IROpcode opc)
{
    if (b->nb_ops >= IR_MAX_OPS) {
        b->overflow = true;
        b->nb_ops = IR_MAX_OPS - 1; /* overwrite the last op; block is void */
    }
    if (b->nb_ops == b->cap_ops) {
        b->cap_ops *= 2;
        b->ops = xrealloc_array(b->ops, b->cap_ops, sizeof(IROp));
    }
    IROp *op = &b->ops[b->nb_ops++];
    memset(op, 0, sizeof(*op));
    op->opc = (uint16_t)opc;
    return op;
}

void ir_gen_insn_start(IRBlock *b, uint64_t guest_pc)
{
    ir_emit(b, IR_insn_start)->c[0] = guest_pc;
}

void ir_gen_mov(IRBlock *b, IRTempId out, IRTempId a)
{
    ir_gen_unary(b, IR_mov, out, a);
}

void ir_gen_unary(IRBlock *b, IROpcode opc, IRTempId out, IRTempId a)
{
    IROp *op = ir_emit(b, opc);
    op->out[0] = out;
    op->in[0] = a;
}

void ir_gen_binary(IRBlock *b, IROpcode opc, IRTempId out, IRTempId a, IRTempId c)
{
    IROp *op = ir_emit(b, opc);
    op->out[0] = out;
    op->in[0] = a;
    op->in[1] = c;
}

void ir_gen_setcond(IRBlock *b, IRCond cond, IRTempId out, IRTempId a, IRTempId c)
{
    IROp *op = ir_emit(b, IR_setcond);
    op->out[0] = out;
    op->in[0] = a;
    op->in[1] = c;
    op->c[0] = cond;
}

void ir_gen_movcond(IRBlock *b, IRCond cond, IRTempId out, IRTempId a, IRTempId c,
                    IRTempId vtrue, IRTempId vfalse)
{
    IROp *op = ir_emit(b, IR_movcond);
    op->out[0] = out;
    op->in[0] = a;
    op->in[1] = c;
    op->in[2] = vtrue;
    op->in[3] = vfalse;
    op->c[0] = cond;
}

void ir_gen_ld_disp(IRBlock *b, IRTempId out, IRTempId base, int64_t disp, IRMemOp mo)
{
    IROp *op = ir_emit(b, IR_ld);
    op->out[0] = out;
    op->in[0] = base;
    op->c[0] = mo;
    op->c[1] = (uint64_t)disp;
}

void ir_gen_st_disp(IRBlock *b, IRTempId val, IRTempId base, int64_t disp, IRMemOp mo)
{
    IROp *op = ir_emit(b, IR_st);
    op->in[0] = val;
    op->in[1] = base;
    op->c[0] = mo;
    op->c[1] = (uint64_t)disp;
}

void ir_gen_ld_env32(IRBlock *b, IRTempId out, int32_t offset)
{
    IROp *op = ir_emit(b, IR_ld_env32);
    op->out[0] = out;
    op->c[0] = (uint64_t)(uint32_t)offset;
}

void ir_gen_st_env32(IRBlock *b, IRTempId val, int32_t offset)
{
    IROp *op = ir_emit(b, IR_st_env32);
    op->in[0] = val;
    op->c[0] = (uint64_t)(uint32_t)offset;
}

void ir_gen_ld(IRBlock *b, IRTempId out, IRTempId addr, IRMemOp mo)
{
    ir_gen_ld_disp(b, out, addr, 0, mo);
}

void ir_gen_st(IRBlock *b, IRTempId val, IRTempId addr, IRMemOp mo)
{
    ir_gen_st_disp(b, val, addr, 0, mo);
}

static void ir_gen_call_op(IRBlock *b, IROpcode opc, IRTempId out, const IRHelper *h,
                           IRTempId a0, IRTempId a1, IRTempId a2)
{
    IROp *op = ir_emit(b, opc);
    op->out[0] = out;
    op->in[0] = a0;
    op->in[1] = a1;
    op->in[2] = a2;
    op->c[0] = (uint64_t)(uintptr_t)h;
}

void ir_gen_call(IRBlock *b, IRTempId out, const IRHelper *h, IRTempId a0, IRTempId a1,
                 IRTempId a2)
{
    ir_gen_call_op(b, IR_call, out, h, a0, a1, a2);
}

void ir_gen_call_leaf(IRBlock *b, IRTempId out, const IRHelper *h, IRTempId a0, IRTempId a1,
                      IRTempId a2)
{
    ir_gen_call_op(b, IR_call_leaf, out, h, a0, a1, a2);
}

void ir_gen_fp(IRBlock *b, IRTempId out, const IRFpEnv *env, uint64_t desc, IRTempId a,
               IRTempId c, IRTempId d)
{
    IROp *op = ir_emit(b, IR_fp);
    op->out[0] = out;
    op->in[0] = a;
    op->in[1] = c;
    op->in[2] = d;
    op->c[0] = desc;
    op->c[1] = (uint64_t)(uintptr_t)env;
}

void ir_gen_label(IRBlock *b, unsigned label)
{
    ir_emit(b, IR_label)->c[0] = label;
}

void ir_gen_br(IRBlock *b, unsigned label)
{
    ir_emit(b, IR_br)->c[0] = label;
}

void ir_gen_brcond(IRBlock *b, IRCond cond, IRTempId a, IRTempId c, unsigned label)
{
    IROp *op = ir_emit(b, IR_brcond);
    op->in[0] = a;
    op->in[1] = c;
    op->c[0] = cond;
    op->c[1] = label;
}

void ir_gen_brloop(IRBlock *b, IRCond cond, IRTempId a, IRTempId c, unsigned label,
                   uint64_t label_pc)
{
    IROp *op = ir_emit(b, IR_brloop);
    op->in[0] = a;
    op->in[1] = c;
    op->c[0] = (uint64_t)cond | (uint64_t)label << 8;
    op->c[1] = label_pc;
}

void ir_gen_goto_tb(IRBlock *b, unsigned slot)
{
    ir_emit(b, IR_goto_tb)->c[0] = slot;
}

void ir_gen_goto_ptr(IRBlock *b)
{
    ir_emit(b, IR_goto_ptr);
}

void ir_gen_exit_tb(IRBlock *b, unsigned excp)
{
    ir_emit(b, IR_exit_tb)->c[0] = excp;
}
