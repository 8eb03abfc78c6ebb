/*
 * test-ir-eval.c — ir_eval_op and ir_eval_cond on edge values, and the
 * op table generated from ir/ops.def.
 *
 * The one thing to know: the optimizer and the interpreter both compute
 * through ir_eval_op, so these expectations are written from the semantics
 * in ops.def (RISC-V division rules, counts mod 64), not from the code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mimic/ir.h"

#define MIN64 ((uint64_t)INT64_MIN)
#define ALL1 UINT64_MAX

typedef struct EvalCase {
    IROpcode opc;
    uint64_t a, b, c, d; /* inputs */
    uint64_t k0;         /* const[0] (condition) */
    uint64_t expect;
} EvalCase;

static const EvalCase eval_cases[] = {
    { IR_mov, 0x1234, 0, 0, 0, 0, 0x1234 },
    { IR_add, ALL1, 1, 0, 0, 0, 0 },
    { IR_add, INT64_MAX, 1, 0, 0, 0, MIN64 },
    { IR_sub, 0, 1, 0, 0, 0, ALL1 },
    { IR_and, 0xff00, 0x0ff0, 0, 0, 0, 0x0f00 },
    { IR_or, 0xff00, 0x0ff0, 0, 0, 0, 0xfff0 },
    { IR_xor, 0xff00, 0x0ff0, 0, 0, 0, 0xf0f0 },
    { IR_andn, 0xff00, 0x0ff0, 0, 0, 0, 0xf000 },
    { IR_shl, 1, 63, 0, 0, 0, MIN64 },
    { IR_shl, 1, 64, 0, 0, 0, 1 },
    { IR_shl, 1, 65, 0, 0, 0, 2 },
    { IR_shr, MIN64, 63, 0, 0, 0, 1 },
    { IR_shr, MIN64, 64, 0, 0, 0, MIN64 },
    { IR_sar, MIN64, 63, 0, 0, 0, ALL1 },
    { IR_sar, MIN64, 0, 0, 0, 0, MIN64 },
    { IR_sar, 0x4000000000000000ull, 62, 0, 0, 0, 1 },
    { IR_rotl, 0x8000000000000001ull, 0, 0, 0, 0, 0x8000000000000001ull },
    { IR_rotl, 0x8000000000000001ull, 1, 0, 0, 0, 3 },
    { IR_rotl, 0x8000000000000001ull, 63, 0, 0, 0, 0xc000000000000000ull },
    { IR_rotl, 0x8000000000000001ull, 64, 0, 0, 0, 0x8000000000000001ull },
    { IR_rotr, 0x8000000000000001ull, 0, 0, 0, 0, 0x8000000000000001ull },
    { IR_rotr, 3, 1, 0, 0, 0, 0x8000000000000001ull },
    { IR_rotr, 3, 63, 0, 0, 0, 6 },
    { IR_rotr, 3, 64, 0, 0, 0, 3 },
    { IR_neg, 1, 0, 0, 0, 0, ALL1 },
    { IR_neg, MIN64, 0, 0, 0, 0, MIN64 },
    { IR_not, 0, 0, 0, 0, 0, ALL1 },
    { IR_mul, ALL1, ALL1, 0, 0, 0, 1 },
    { IR_mul, 0x100000000ull, 0x100000000ull, 0, 0, 0, 0 },
    { IR_mulsh, ALL1, ALL1, 0, 0, 0, 0 },
    { IR_mulsh, ALL1, 1, 0, 0, 0, ALL1 },
    { IR_mulsh, MIN64, MIN64, 0, 0, 0, 0x4000000000000000ull },
    { IR_mulsh, MIN64, INT64_MAX, 0, 0, 0, 0xc000000000000000ull },
    { IR_muluh, ALL1, ALL1, 0, 0, 0, ALL1 - 1 },
    { IR_muluh, 0x100000000ull, 0x100000000ull, 0, 0, 0, 1 },
    { IR_mulsuh, ALL1, ALL1, 0, 0, 0, ALL1 },
    { IR_mulsuh, ALL1, 1, 0, 0, 0, ALL1 },
    { IR_mulsuh, 2, ALL1, 0, 0, 0, 1 },
    { IR_mulsuh, MIN64, ALL1, 0, 0, 0, MIN64 },
    { IR_mulsuh, 1, ALL1, 0, 0, 0, 0 },
    { IR_div, 7, 2, 0, 0, 0, 3 },
    { IR_div, (uint64_t)-7, 2, 0, 0, 0, (uint64_t)-3 },
    { IR_div, 5, 0, 0, 0, 0, ALL1 },
    { IR_div, MIN64, ALL1, 0, 0, 0, MIN64 },
    { IR_divu, 5, 0, 0, 0, 0, ALL1 },
    { IR_divu, ALL1, 2, 0, 0, 0, INT64_MAX },
    { IR_divu, MIN64, ALL1, 0, 0, 0, 0 },
    { IR_rem, (uint64_t)-7, 2, 0, 0, 0, ALL1 },
    { IR_rem, 5, 0, 0, 0, 0, 5 },
    { IR_rem, MIN64, ALL1, 0, 0, 0, 0 },
    { IR_remu, 5, 0, 0, 0, 0, 5 },
    { IR_remu, ALL1, 10, 0, 0, 0, 5 },
    { IR_ext8s, 0x180, 0, 0, 0, 0, ALL1 - 0x7f },
    { IR_ext8s, 0x17f, 0, 0, 0, 0, 0x7f },
    { IR_ext16s, 0x18000, 0, 0, 0, 0, 0xffffffffffff8000ull },
    { IR_ext32s, 0x180000000ull, 0, 0, 0, 0, 0xffffffff80000000ull },
    { IR_ext32s, 0x7fffffff, 0, 0, 0, 0, 0x7fffffff },
    { IR_ext8u, ALL1, 0, 0, 0, 0, 0xff },
    { IR_ext16u, ALL1, 0, 0, 0, 0, 0xffff },
    { IR_ext32u, ALL1, 0, 0, 0, 0, 0xffffffff },
    { IR_clz, 0, 0, 0, 0, 0, 64 },
    { IR_clz, 1, 0, 0, 0, 0, 63 },
    { IR_clz, MIN64, 0, 0, 0, 0, 0 },
    { IR_ctz, 0, 0, 0, 0, 0, 64 },
    { IR_ctz, MIN64, 0, 0, 0, 0, 63 },
    { IR_ctz, 1, 0, 0, 0, 0, 0 },
    { IR_cpop, ALL1, 0, 0, 0, 0, 64 },
    { IR_cpop, 0, 0, 0, 0, 0, 0 },
    { IR_cpop, 0x8000000000000101ull, 0, 0, 0, 0, 3 },
    { IR_bswap, 0x0102030405060708ull, 0, 0, 0, 0, 0x0807060504030201ull },
    { IR_orcb, 0x0100ff0000800001ull, 0, 0, 0, 0, 0xff00ff0000ff00ffull },
    { IR_orcb, 0, 0, 0, 0, 0, 0 },
    { IR_setcond, 1, 1, 0, 0, IR_COND_EQ, 1 },
    { IR_setcond, ALL1, 0, 0, 0, IR_COND_LT, 1 },
    { IR_setcond, ALL1, 0, 0, 0, IR_COND_LTU, 0 },
    { IR_setcond, ALL1, 0, 0, 0, IR_COND_GEU, 1 },
    { IR_setcond, MIN64, INT64_MAX, 0, 0, IR_COND_GE, 0 },
    { IR_setcond, 2, 3, 0, 0, IR_COND_NE, 1 },
    { IR_movcond, 1, 2, 10, 20, IR_COND_LT, 10 },
    { IR_movcond, 1, 2, 10, 20, IR_COND_GEU, 20 },
};

static void test_eval_ops(void **state)
{
    for (size_t i = 0; i < sizeof(eval_cases) / sizeof(eval_cases[0]); i++) {
        const EvalCase *t = &eval_cases[i];
        uint64_t in[IR_MAX_IN] = { t->a, t->b, t->c, t->d };
        uint64_t c[IR_MAX_CONST] = { t->k0, 0 };
        uint64_t out = 0xdeadbeef;
        if (!ir_eval_op(t->opc, in, c, &out) || out != t->expect) {
            fail_msg("case %zu: %s(0x%llx, 0x%llx) = 0x%llx, expected 0x%llx", i,
                     ir_op_defs[t->opc].name, (unsigned long long)t->a,
                     (unsigned long long)t->b, (unsigned long long)out,
                     (unsigned long long)t->expect);
        }
    }
}

/* Every op that is not a pure value op must be refused. */
static void test_eval_refuses_non_values(void **state)
{
    static const IROpcode others[] = { IR_insn_start, IR_ld, IR_st, IR_call, IR_call_leaf, IR_label, IR_br,
                                       IR_brcond, IR_brloop, IR_ld_env32, IR_st_env32, IR_goto_tb, IR_goto_ptr, IR_exit_tb };
    uint64_t in[IR_MAX_IN] = { 0 }, c[IR_MAX_CONST] = { 0 }, out;
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        assert_false(ir_eval_op(others[i], in, c, &out));
    }
    assert_false(ir_eval_op(IR_NB_OPS, in, c, &out));
}

static void test_eval_conds(void **state)
{
    assert_true(ir_eval_cond(IR_COND_EQ, 5, 5));
    assert_false(ir_eval_cond(IR_COND_NE, 5, 5));
    assert_true(ir_eval_cond(IR_COND_LT, MIN64, 0));
    assert_false(ir_eval_cond(IR_COND_LTU, MIN64, 0));
    assert_true(ir_eval_cond(IR_COND_GE, 0, MIN64));
    assert_true(ir_eval_cond(IR_COND_GEU, MIN64, 0));
    assert_true(ir_eval_cond(IR_COND_GE, 3, 3));
    assert_false(ir_eval_cond(IR_NB_CONDS, 0, 0));
}

static void test_op_table(void **state)
{
    assert_string_equal(ir_op_defs[IR_add].name, "add");
    assert_int_equal(ir_op_defs[IR_movcond].nb_in, 4);
    assert_int_equal(ir_op_defs[IR_brcond].nb_const, 2);
    assert_true(ir_op_defs[IR_call].flags & IR_OPF_BB_END);
    assert_true(ir_op_defs[IR_exit_tb].flags & IR_OPF_EXIT);
    for (int i = 0; i < IR_NB_OPS; i++) {
        assert_non_null(ir_op_defs[i].name);
        assert_true(ir_op_defs[i].nb_out <= IR_MAX_OUT);
        assert_true(ir_op_defs[i].nb_in <= IR_MAX_IN);
        assert_true(ir_op_defs[i].nb_const <= IR_MAX_CONST);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eval_ops),
        cmocka_unit_test(test_eval_refuses_non_values),
        cmocka_unit_test(test_eval_conds),
        cmocka_unit_test(test_op_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
