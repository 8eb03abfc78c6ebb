/*
 * eval.c — the op table (ir_op_defs) and the exact value semantics of every
 * pure IR op and condition.
 *
 * The one thing to know: the optimizer's constant folding and the
 * interpreter both call ir_eval_op(), so this file is the single definition
 * of what each value op computes (see ir/ops.def).
 */
#include "mimic/ir.h"

const IROpDef ir_op_defs[IR_NB_OPS] = {
#define IR_OP(n, nout, nin, nconst, fl) \
    [IR_##n] = { .name = #n, .nb_out = nout, .nb_in = nin, .nb_const = nconst, .flags = fl },
#include "ir/ops.def"
#undef IR_OP
};

bool ir_eval_cond(IRCond cond, uint64_t a, uint64_t b)
{
    switch (cond) {
    case IR_COND_EQ:
        return a == b;
    case IR_COND_NE:
        return a != b;
    case IR_COND_LT:
        return (int64_t)a < (int64_t)b;
    case IR_COND_GE:
        return (int64_t)a >= (int64_t)b;
    case IR_COND_LTU:
        return a < b;
    case IR_COND_GEU:
        return a >= b;
    default:
        return false;
    }
}

static uint64_t eval_rotl(uint64_t a, uint64_t n)
{
    n &= 63;
    return n ? (a << n) | (a >> (64 - n)) : a;
}

static uint64_t eval_div(uint64_t a, uint64_t b)
{
    if (b == 0) {
        return UINT64_MAX;
    }
    if (a == (uint64_t)INT64_MIN && b == UINT64_MAX) {
        return a;
    }
    return (uint64_t)((int64_t)a / (int64_t)b);
}

static uint64_t eval_rem(uint64_t a, uint64_t b)
{
    if (b == 0) {
        return a;
    }
    if (a == (uint64_t)INT64_MIN && b == UINT64_MAX) {
        return 0;
    }
    return (uint64_t)((int64_t)a % (int64_t)b);
}

static uint64_t eval_orcb(uint64_t a)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < 64; i += 8) {
        if ((a >> i) & 0xff) {
            r |= (uint64_t)0xff << i;
        }
    }
    return r;
}

bool ir_eval_op(IROpcode opc, const uint64_t *in, const uint64_t *c, uint64_t *out)
{
    uint64_t a = in[0];
    uint64_t b = 0;

    if (opc < IR_NB_OPS && ir_op_defs[opc].nb_in >= 2) {
        b = in[1];
    }
    switch (opc) {
    case IR_mov:
        *out = a;
        return true;
    case IR_add:
        *out = a + b;
        return true;
    case IR_sub:
        *out = a - b;
        return true;
    case IR_and:
        *out = a & b;
        return true;
    case IR_or:
        *out = a | b;
        return true;
    case IR_xor:
        *out = a ^ b;
        return true;
    case IR_andn:
        *out = a & ~b;
        return true;
    case IR_shl:
        *out = a << (b & 63);
        return true;
    case IR_shr:
        *out = a >> (b & 63);
        return true;
    case IR_sar:
        *out = (uint64_t)((int64_t)a >> (b & 63));
        return true;
    case IR_rotl:
        *out = eval_rotl(a, b);
        return true;
    case IR_rotr:
        *out = eval_rotl(a, (64 - (b & 63)) & 63);
        return true;
    case IR_neg:
        *out = -a;
        return true;
    case IR_not:
        *out = ~a;
        return true;
    case IR_mul:
        *out = a * b;
        return true;
    case IR_mulsh:
        *out = (uint64_t)(((__int128)(int64_t)a * (__int128)(int64_t)b) >> 64);
        return true;
    case IR_muluh:
        *out = (uint64_t)(((unsigned __int128)a * b) >> 64);
        return true;
    case IR_mulsuh:
        /* signed x unsigned: a*b as unsigned, minus b<<64 when a < 0. */
        *out = (uint64_t)(((unsigned __int128)a * b) >> 64) - ((int64_t)a < 0 ? b : 0);
        return true;
    case IR_div:
        *out = eval_div(a, b);
        return true;
    case IR_divu:
        *out = b ? a / b : UINT64_MAX;
        return true;
    case IR_rem:
        *out = eval_rem(a, b);
        return true;
    case IR_remu:
        *out = b ? a % b : a;
        return true;
    case IR_ext8s:
        *out = (uint64_t)(int64_t)(int8_t)a;
        return true;
    case IR_ext16s:
        *out = (uint64_t)(int64_t)(int16_t)a;
        return true;
    case IR_ext32s:
        *out = (uint64_t)(int64_t)(int32_t)a;
        return true;
    case IR_ext8u:
        *out = (uint8_t)a;
        return true;
    case IR_ext16u:
        *out = (uint16_t)a;
        return true;
    case IR_ext32u:
        *out = (uint32_t)a;
        return true;
    case IR_clz:
        *out = a ? (uint64_t)__builtin_clzll(a) : 64;
        return true;
    case IR_ctz:
        *out = a ? (uint64_t)__builtin_ctzll(a) : 64;
        return true;
    case IR_cpop:
        *out = (uint64_t)__builtin_popcountll(a);
        return true;
    case IR_bswap:
        *out = __builtin_bswap64(a);
        return true;
    case IR_orcb:
        *out = eval_orcb(a);
        return true;
    case IR_setcond:
        *out = ir_eval_cond((IRCond)c[0], a, b);
        return true;
    case IR_movcond:
        *out = ir_eval_cond((IRCond)c[0], a, b) ? in[2] : in[3];
        return true;
    default:
        return false;
    }
}
