/*
 * test-ir-opt.c — the optimizer (IR in, dumped IR out), the dumper's format
 * and the validator's rejections.
 *
 * The one thing to know: expected texts use the dump format of ir/dump.c;
 * the block has 6 globals (x1..x5, pc), so the first temp a test creates is
 * id 6 and locals print as loc6, loc7... in creation order (constants use
 * ids too).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mimic/ir.h"

enum { X1, X2, X3, X4, X5, PC, NB_GLOBALS };

static const IRGlobalDef test_globals[NB_GLOBALS] = {
    { "x1", 8 }, { "x2", 16 }, { "x3", 24 }, { "x4", 32 }, { "x5", 40 }, { "pc", 0 },
};

static uint64_t helper_nop(void *env, uint64_t a, uint64_t b, uint64_t c)
{
    return a;
}
static const IRHelper nop_helper = { "nop", helper_nop };

static int setup_block(void **state)
{
    IRBlock *b = malloc(sizeof(*b));
    ir_block_init(b, test_globals, NB_GLOBALS);
    *state = b;
    return 0;
}

static int teardown_block(void **state)
{
    ir_block_destroy(*state);
    free(*state);
    return 0;
}

static char *dump_text(const IRBlock *b)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    ir_dump(b, f);
    fclose(f);
    return text;
}

/* Validates b, optimizes it, validates again and compares the dump. */
static void check_optimized(IRBlock *b, const char *expect)
{
    char err[200];
    if (ir_validate(b, err, sizeof(err)) < 0) {
        fail_msg("input does not validate: %s", err);
    }
    ir_optimize(b);
    if (ir_validate(b, err, sizeof(err)) < 0) {
        fail_msg("output does not validate: %s", err);
    }
    char *text = dump_text(b);
    if (strcmp(text, expect) != 0) {
        fail_msg("optimized IR:\n%s\nexpected:\n%s", text, expect);
    }
    free(text);
}

static void test_dump_format(void **state)
{
    IRBlock *b = *state;
    ir_gen_insn_start(b, 0x10078);
    IRTempId t = ir_new_local(b);                                /* 6 */
    ir_gen_binary(b, IR_add, t, X5, ir_const(b, 0x10));          /* $ is 7 */
    ir_gen_ld(b, X1, t, IR_MO_32 | IR_MO_SIGN);
    ir_gen_st(b, X2, t, IR_MO_8);
    unsigned l = ir_new_label(b);
    ir_gen_brcond(b, IR_COND_LTU, X1, X2, l);
    ir_gen_setcond(b, IR_COND_GE, X3, X1, X2);
    ir_gen_label(b, l);
    ir_gen_call(b, X4, &nop_helper, X1, X2, X3);
    ir_gen_movcond(b, IR_COND_EQ, X4, X1, X2, X3, X5);
    ir_gen_br(b, 0);
    ir_gen_goto_tb(b, 1);
    ir_gen_goto_ptr(b);
    ir_gen_exit_tb(b, 3);
    char *text = dump_text(b);
    assert_string_equal(text,
                        " ---- 0x10078\n"
                        " add loc6, x5, $0x10\n"
                        " ld.32s x1, loc6\n"
                        " st.8 x2, loc6\n"
                        " brcond_ltu x1, x2, L0\n"
                        " setcond_ge x3, x1, x2\n"
                        "L0:\n"
                        " call nop x4, x1, x2, x3\n"
                        " movcond_eq x4, x1, x2, x3, x5\n"
                        " br L0\n"
                        " goto_tb 1\n"
                        " goto_ptr\n"
                        " exit_tb 3\n");
    free(text);
}

static void test_opt_constant_folding(void **state)
{
    IRBlock *b = *state;
    IRTempId t = ir_new_local(b);                                     /* 6 */
    ir_gen_binary(b, IR_add, t, ir_const(b, 2), ir_const(b, 3));      /* 7, 8 */
    ir_gen_binary(b, IR_add, X1, t, X2);
    IRTempId u = ir_new_local(b);                                     /* 9 */
    ir_gen_binary(b, IR_div, u, ir_const(b, 7), ir_const(b, 0));      /* 10, 11 */
    ir_gen_binary(b, IR_shl, u, u, t);
    ir_gen_mov(b, X3, u);
    ir_gen_setcond(b, IR_COND_LT, X4, ir_const(b, UINT64_MAX), ir_const(b, 0));
    ir_gen_exit_tb(b, 0);
    /* $0x5 is new (14); -1 << 5 is new; setcond gives $0x1. */
    check_optimized(b, " add x1, x2, $0x5\n"
                       " mov x3, $0xffffffffffffffe0\n"
                       " mov x4, $0x1\n"
                       " exit_tb 0\n");
}

static void test_opt_identities(void **state)
{
    IRBlock *b = *state;
    IRTempId zero = ir_const(b, 0), one = ir_const(b, 1), m1 = ir_const(b, UINT64_MAX);
    IRTempId t = ir_new_local(b); /* 9 */
    ir_gen_binary(b, IR_add, t, X1, zero);
    ir_gen_binary(b, IR_or, t, t, zero);
    ir_gen_binary(b, IR_xor, t, zero, t);
    ir_gen_binary(b, IR_and, t, t, m1);
    ir_gen_binary(b, IR_mul, t, one, t);
    ir_gen_binary(b, IR_shl, t, t, ir_const(b, 64));
    ir_gen_mov(b, X2, t);
    ir_gen_binary(b, IR_sub, X3, X4, X4);
    ir_gen_binary(b, IR_xor, X4, X5, X5);
    ir_gen_binary(b, IR_and, X5, X1, zero);
    ir_gen_binary(b, IR_mul, X1, zero, X2);
    ir_gen_exit_tb(b, 0);
    check_optimized(b, " mov x2, x1\n"
                       " mov x3, $0x0\n"
                       " mov x4, $0x0\n"
                       " mov x5, $0x0\n"
                       " mov x1, $0x0\n"
                       " exit_tb 0\n");
}

static void test_opt_copy_propagation(void **state)
{
    IRBlock *b = *state;
    IRTempId t = ir_new_local(b);           /* 6 */
    ir_gen_mov(b, t, X1);
    ir_gen_binary(b, IR_add, X2, t, t);
    ir_gen_mov(b, X3, t);
    IRTempId u = ir_new_local(b);           /* 7 */
    ir_gen_mov(b, u, X1);
    ir_gen_mov(b, X1, ir_const(b, 7));      /* 8: x1 changes, u keeps the old value */
    ir_gen_binary(b, IR_add, X4, u, X1);
    ir_gen_mov(b, X5, X5);                  /* mov to self */
    ir_gen_exit_tb(b, 0);
    check_optimized(b, " add x2, x1, x1\n"
                       " mov x3, x1\n"
                       " mov loc7, x1\n"
                       " mov x1, $0x7\n"
                       " add x4, loc7, $0x7\n"
                       " exit_tb 0\n");
}

static void test_opt_dead_code(void **state)
{
    IRBlock *b = *state;
    IRTempId t = ir_new_local(b);                        /* 6 */
    ir_gen_binary(b, IR_mul, t, X1, X2);                 /* never read */
    ir_gen_mov(b, X3, X1);                               /* overwritten: dead */
    ir_gen_mov(b, X3, X2);
    ir_gen_mov(b, X4, ir_const(b, 1));                   /* live: the ld may fault */
    ir_gen_ld(b, X4, X1, IR_MO_64);
    IRTempId v = ir_new_local(b);
    ir_gen_ld(b, v, X2, IR_MO_8);                        /* unused, but may fault */
    ir_gen_exit_tb(b, 0);
    check_optimized(b, " mov x3, x2\n"
                       " mov x4, $0x1\n"
                       " ld.64 x4, x1\n"
                       " ld.8 loc8, x2\n"
                       " exit_tb 0\n");
}

static void test_opt_brcond_folding(void **state)
{
    IRBlock *b = *state;
    unsigned l0 = ir_new_label(b), l1 = ir_new_label(b), l2 = ir_new_label(b);
    IRTempId t = ir_new_local(b);                                  /* 6 */
    ir_gen_mov(b, t, ir_const(b, 1));                               /* 7 */
    ir_gen_brcond(b, IR_COND_NE, t, ir_const(b, 1), l0);           /* never: deleted */
    ir_gen_brcond(b, IR_COND_LT, X1, X1, l1);                      /* never: deleted */
    ir_gen_mov(b, X1, ir_const(b, 2));
    ir_gen_label(b, l0);
    ir_gen_label(b, l1);
    ir_gen_brcond(b, IR_COND_GEU, X2, X2, l2);                     /* always: br */
    ir_gen_mov(b, X2, ir_const(b, 3));
    ir_gen_label(b, l2);
    ir_gen_exit_tb(b, 0);
    check_optimized(b, " mov x1, $0x2\n"
                       "L0:\n"
                       "L1:\n"
                       " br L2\n"
                       " mov x2, $0x3\n"
                       "L2:\n"
                       " exit_tb 0\n");
}

static void test_opt_basic_block_ends(void **state)
{
    IRBlock *b = *state;
    unsigned l0 = ir_new_label(b);
    ir_gen_mov(b, X1, ir_const(b, 1));          /* last write in its block: kept */
    ir_gen_mov(b, X2, X3);
    ir_gen_brcond(b, IR_COND_EQ, X5, ir_const(b, 0), l0);
    ir_gen_mov(b, X1, ir_const(b, 2));
    ir_gen_label(b, l0);
    ir_gen_binary(b, IR_add, X4, X2, X1);       /* nothing known after a label */
    ir_gen_mov(b, X5, ir_const(b, 5));
    ir_gen_call(b, X3, &nop_helper, X5, X5, X5);
    ir_gen_binary(b, IR_add, X4, X4, X5);       /* nor after a call */
    ir_gen_exit_tb(b, 0);
    check_optimized(b, " mov x1, $0x1\n"
                       " mov x2, x3\n"
                       " brcond_eq x5, $0x0, L0\n"
                       " mov x1, $0x2\n"
                       "L0:\n"
                       " add x4, x2, x1\n"
                       " mov x5, $0x5\n"
                       " call nop x3, $0x5, $0x5, $0x5\n"
                       " add x4, x4, x5\n"
                       " exit_tb 0\n");
}

static void test_opt_ext_of_ext(void **state)
{
    IRBlock *b = *state;
    IRTempId t = ir_new_local(b);               /* 6 */
    ir_gen_unary(b, IR_ext8s, t, X1);
    ir_gen_unary(b, IR_ext32s, X2, t);          /* = t */
    ir_gen_unary(b, IR_ext8u, X3, t);           /* = ext8u x1 */
    IRTempId u = ir_new_local(b);               /* 7 */
    ir_gen_unary(b, IR_ext16u, u, X1);
    ir_gen_unary(b, IR_ext32s, X4, u);          /* = u */
    ir_gen_unary(b, IR_ext32u, X5, t);          /* sign then wider zero: kept */
    ir_gen_exit_tb(b, 0);
    check_optimized(b, " ext8s loc6, x1\n"
                       " mov x2, loc6\n"
                       " ext8u x3, x1\n"
                       " ext16u loc7, x1\n"
                       " mov x4, loc7\n"
                       " ext32u x5, loc6\n"
                       " exit_tb 0\n");
}

static void test_opt_movcond(void **state)
{
    IRBlock *b = *state;
    ir_gen_movcond(b, IR_COND_LTU, X1, ir_const(b, 1), ir_const(b, 2), X2, X3);
    ir_gen_movcond(b, IR_COND_EQ, X4, X1, X2, X5, X5);
    ir_gen_exit_tb(b, 0);
    check_optimized(b, " mov x1, x2\n"
                       " mov x4, x5\n"
                       " exit_tb 0\n");
}

/* Each case builds one bad block; validate must reject it. */
static void expect_invalid(IRBlock *b, const char *what)
{
    char err[200];
    if (ir_validate(b, err, sizeof(err)) == 0) {
        fail_msg("accepted: %s", what);
    }
    assert_true(err[0] != '\0');
    ir_block_reset(b);
}

static void test_validate_rejects(void **state)
{
    IRBlock *b = *state;
    char err[200];
    IRTempId t;

    t = ir_new_local(b);
    ir_gen_mov(b, X1, t);
    expect_invalid(b, "local read before written");

    t = ir_new_local(b);
    ir_gen_mov(b, t, X1);
    ir_gen_label(b, ir_new_label(b));
    ir_gen_mov(b, X1, t);
    expect_invalid(b, "local read after a label");

    t = ir_new_local(b);
    ir_gen_mov(b, t, X1);
    ir_gen_call(b, X2, &nop_helper, X1, X1, X1);
    ir_gen_mov(b, X1, t);
    expect_invalid(b, "local read after a call");

    ir_gen_mov(b, ir_const(b, 1), X1);
    expect_invalid(b, "constant output");

    ir_gen_mov(b, X1, (IRTempId)(b->nb_temps + 3));
    expect_invalid(b, "temp out of range");

    ir_emit(b, (IROpcode)IR_NB_OPS);
    expect_invalid(b, "bad opcode");

    unsigned l = ir_new_label(b);
    ir_gen_label(b, l);
    ir_gen_label(b, l);
    expect_invalid(b, "label defined twice");

    l = ir_new_label(b);
    ir_gen_label(b, l);
    ir_gen_br(b, l);
    expect_invalid(b, "backward branch");

    ir_gen_br(b, ir_new_label(b));
    expect_invalid(b, "label never defined");

    ir_gen_br(b, 5);
    expect_invalid(b, "label out of range");

    ir_gen_setcond(b, (IRCond)IR_NB_CONDS, X1, X2, X3);
    expect_invalid(b, "bad condition");

    ir_gen_ld(b, X1, X2, (IRMemOp)0x40);
    expect_invalid(b, "bad memop");

    ir_gen_call(b, X1, NULL, X1, X1, X1);
    expect_invalid(b, "null helper");

    ir_gen_goto_tb(b, IR_NB_CHAIN_SLOTS);
    expect_invalid(b, "bad chain slot");

    /* And a good block with every shape passes. */
    t = ir_new_local(b);
    l = ir_new_label(b);
    ir_gen_insn_start(b, 0x1000);
    ir_gen_ld(b, t, X1, IR_MO_16 | IR_MO_SIGN);
    ir_gen_brcond(b, IR_COND_EQ, t, X2, l);
    ir_gen_st(b, X2, X1, IR_MO_16);
    ir_gen_label(b, l);
    ir_gen_call(b, t, &nop_helper, X1, X2, X3);
    ir_gen_mov(b, X1, t); /* a call's own output may be read after it */
    ir_gen_goto_tb(b, 0);
    if (ir_validate(b, err, sizeof(err)) < 0) {
        fail_msg("rejected a good block: %s", err);
    }
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup_block, teardown_block)
    const struct CMUnitTest tests[] = {
        T(test_dump_format),
        T(test_opt_constant_folding),
        T(test_opt_identities),
        T(test_opt_copy_propagation),
        T(test_opt_dead_code),
        T(test_opt_brcond_folding),
        T(test_opt_basic_block_ends),
        T(test_opt_ext_of_ext),
        T(test_opt_movcond),
        T(test_validate_rejects),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
