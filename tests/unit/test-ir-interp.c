/*
 * test-ir-interp.c — the interpreter backend on hand-built blocks over a
 * fake CPU, and the optimizer checked for meaning: random blocks must give
 * the same guest state on the interpreter before and after ir_optimize.
 *
 * The one thing to know: this test links no exec/ code; it provides
 * guest_base/guest_limit, a user-mode exec_config and a tiny exec_tb_lookup_cpu
 * of its own, and uses
 * only the bounds-check fault path (no host signals).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mimic/exec.h"

#define NB_REGS 8
#define MEM_SIZE 4096

typedef struct TestCPU {
    CPUState cs;
    uint64_t r[NB_REGS];
} TestCPU;

uintptr_t guest_base;
uint64_t guest_limit;

static IRGlobalDef globals[NB_REGS + 1];
static uint8_t guest_mem[MEM_SIZE];

/* User mode: no soft MMU. */
static const ExecConfig test_config;
const ExecConfig *exec_config(void)
{
    return &test_config;
}

/* The exec_tb_lookup_cpu of this test: a few registered TBs. */
static TranslationBlock *known_tbs[4];

TranslationBlock *exec_tb_lookup_cpu(CPUState *cpu)
{
    for (unsigned i = 0; i < 4; i++) {
        if (known_tbs[i] && known_tbs[i]->pc == cpu->pc) {
            return known_tbs[i];
        }
    }
    return NULL;
}

static uint64_t helper_sum(void *env, uint64_t a, uint64_t b, uint64_t c)
{
    TestCPU *cpu = env;
    cpu->r[7] = 0x77; /* helpers may write guest registers through env */
    return a + b + c + cpu->r[0];
}
static const IRHelper sum_helper = { "sum", helper_sum };

static int setup(void **state)
{
    static char names[NB_REGS][16];
    for (unsigned i = 0; i < NB_REGS; i++) {
        snprintf(names[i], sizeof(names[i]), "r%u", i);
        globals[i] = (IRGlobalDef){ names[i], (int32_t)offsetof(TestCPU, r[i]) };
    }
    globals[NB_REGS] = (IRGlobalDef){ "pc", (int32_t)offsetof(CPUState, pc) };
    guest_base = (uintptr_t)guest_mem;
    guest_limit = MEM_SIZE;
    return 0;
}

static IRBlock *new_block(void)
{
    static IRBlock b;
    static bool inited;
    if (!inited) {
        ir_block_init(&b, globals, NB_REGS + 1);
        inited = true;
    }
    ir_block_reset(&b);
    return &b;
}

static void make_tb(TranslationBlock *tb, uint64_t pc, IRBlock *b)
{
    memset(tb, 0, sizeof(*tb));
    tb->pc = pc;
    tb->jmp_patch[0] = tb->jmp_patch[1] = TB_NO_OFFSET;
    assert_int_equal(backend_interp.gen(tb, b), 0);
}

static void test_interp_arith_and_call(void **state)
{
    TestCPU cpu = { 0 };
    TranslationBlock tb;
    IRBlock *b = new_block();
    IRTempId t = ir_new_local(b);
    ir_gen_insn_start(b, 0x1000);
    ir_gen_binary(b, IR_add, t, 0, ir_const(b, 5));
    ir_gen_binary(b, IR_mul, 1, t, 2);
    ir_gen_unary(b, IR_clz, 3, ir_const(b, 0));
    ir_gen_binary(b, IR_div, 4, 0, ir_const(b, 0));
    ir_gen_call(b, 5, &sum_helper, 1, 2, ir_const(b, 1));
    ir_gen_mov(b, NB_REGS, ir_const(b, 0x2000));
    ir_gen_exit_tb(b, EXCP_SYSCALL);
    make_tb(&tb, 0x1000, b);
    cpu.r[0] = 10;
    cpu.r[2] = 3;
    uintptr_t r = backend_interp.exec(&cpu.cs, &tb);
    assert_int_equal(r, TB_EXIT_NOCHAIN);
    assert_int_equal(cpu.cs.exit_code, EXCP_SYSCALL);
    assert_int_equal(cpu.cs.pc, 0x2000);
    assert_int_equal(cpu.r[1], 45);
    assert_int_equal(cpu.r[3], 64);
    assert_int_equal(cpu.r[4], UINT64_MAX);
    assert_int_equal(cpu.r[5], 45 + 3 + 1 + 10);
    assert_int_equal(cpu.r[7], 0x77);
    backend_interp.free_tb(&tb);
}

static void test_interp_memory(void **state)
{
    TestCPU cpu = { 0 };
    TranslationBlock tb;
    IRBlock *b = new_block();
    memset(guest_mem, 0, sizeof(guest_mem));
    ir_gen_insn_start(b, 0x1000);
    ir_gen_st(b, 0, ir_const(b, 0x101), IR_MO_64);       /* unaligned */
    ir_gen_ld(b, 1, ir_const(b, 0x101), IR_MO_8 | IR_MO_SIGN);
    ir_gen_ld(b, 2, ir_const(b, 0x101), IR_MO_16);
    ir_gen_ld(b, 3, ir_const(b, 0x101), IR_MO_32 | IR_MO_SIGN);
    ir_gen_insn_start(b, 0x1004);
    ir_gen_st(b, 1, ir_const(b, MEM_SIZE - 2), IR_MO_16); /* last bytes: fine */
    ir_gen_insn_start(b, 0x1008);
    ir_gen_ld(b, 4, ir_const(b, MEM_SIZE - 3), IR_MO_32); /* straddles the end */
    ir_gen_mov(b, 5, ir_const(b, 1));
    ir_gen_exit_tb(b, EXCP_NONE);
    make_tb(&tb, 0x1000, b);
    cpu.r[0] = 0x11223344c5c6c7f8ull;
    cpu.r[4] = 0xaa;
    uintptr_t r = backend_interp.exec(&cpu.cs, &tb);
    assert_int_equal(r, TB_EXIT_NOCHAIN);
    assert_int_equal(cpu.cs.exit_code, EXCP_SEGV);
    assert_int_equal(cpu.cs.pc, 0x1008);
    assert_int_equal(cpu.cs.fault_addr, MEM_SIZE - 3);
    assert_int_equal(cpu.cs.in_helper_access, 0);
    assert_int_equal(cpu.r[1], 0xfffffffffffffff8ull);
    assert_int_equal(cpu.r[2], 0xc7f8);
    assert_int_equal(cpu.r[3], 0xffffffffc5c6c7f8ull);
    assert_int_equal(cpu.r[4], 0xaa); /* not written by the faulting load */
    assert_int_equal(cpu.r[5], 0);    /* nothing after the fault ran */
    assert_int_equal(guest_mem[MEM_SIZE - 2], 0xf8);
    assert_int_equal(guest_mem[MEM_SIZE - 1], 0xff);
    assert_int_equal(guest_mem[0x108], 0x11);
    backend_interp.free_tb(&tb);
}

static void test_interp_branches(void **state)
{
    TestCPU cpu = { 0 };
    TranslationBlock tb;
    IRBlock *b = new_block();
    unsigned skip = ir_new_label(b), end = ir_new_label(b);
    ir_gen_brcond(b, IR_COND_LT, 0, ir_const(b, 0), skip);
    ir_gen_mov(b, 1, ir_const(b, 100));          /* r0 >= 0 */
    ir_gen_br(b, end);
    ir_gen_label(b, skip);
    ir_gen_mov(b, 1, ir_const(b, 200));          /* r0 < 0 */
    ir_gen_label(b, end);
    ir_gen_exit_tb(b, EXCP_BREAKPOINT);
    make_tb(&tb, 0x1000, b);
    cpu.r[0] = 5;
    backend_interp.exec(&cpu.cs, &tb);
    assert_int_equal(cpu.r[1], 100);
    cpu.r[0] = (uint64_t)-5;
    backend_interp.exec(&cpu.cs, &tb);
    assert_int_equal(cpu.r[1], 200);
    assert_int_equal(cpu.cs.exit_code, EXCP_BREAKPOINT);
    backend_interp.free_tb(&tb);
}

/* tb1: r0 += 1, pc = 0x2000, goto_tb 0.  tb2 (0x2000): r1 = r0, goto_ptr. */
static void test_interp_chaining(void **state)
{
    TestCPU cpu = { 0 };
    TranslationBlock tb1, tb2;
    IRBlock *b = new_block();
    ir_gen_binary(b, IR_add, 0, 0, ir_const(b, 1));
    ir_gen_mov(b, NB_REGS, ir_const(b, 0x2000));
    ir_gen_goto_tb(b, 0);
    make_tb(&tb1, 0x1000, b);
    assert_int_not_equal(tb1.jmp_patch[0], TB_NO_OFFSET); /* exec/ may chain slot 0 */
    b = new_block();
    ir_gen_mov(b, 1, 0);
    ir_gen_mov(b, NB_REGS, ir_const(b, 0x1000));
    ir_gen_goto_ptr(b);
    make_tb(&tb2, 0x2000, b);

    /* Unchained: returns tb1 | slot 0. */
    uintptr_t r = backend_interp.exec(&cpu.cs, &tb1);
    assert_true(r == ((uintptr_t)&tb1 | 0));
    assert_int_equal(cpu.r[0], 1);

    /* Chained: runs tb2, whose goto_ptr finds nothing and returns. */
    tb1.jmp_dest[0] = &tb2;
    backend_interp.chain(&tb1, 0, &tb2);
    r = backend_interp.exec(&cpu.cs, &tb1);
    assert_int_equal(r, TB_EXIT_NOCHAIN);
    assert_int_equal(cpu.cs.exit_code, EXCP_NONE);
    assert_int_equal(cpu.r[1], 2);
    assert_int_equal(cpu.cs.pc, 0x1000);

    /* goto_ptr finds tb1 and loops until exit_request stops it. */
    known_tbs[0] = &tb1;
    known_tbs[1] = &tb2;
    cpu.r[0] = 0;
    cpu.cs.exit_request = 1;
    r = backend_interp.exec(&cpu.cs, &tb1);
    assert_int_equal(r, TB_EXIT_NOCHAIN);
    assert_int_equal(cpu.r[0], 0); /* checked at entry: nothing ran */
    assert_int_equal(cpu.cs.pc, 0x1000);

    /* An invalid destination is not followed. */
    cpu.cs.exit_request = 0;
    tb2.invalid = true;
    r = backend_interp.exec(&cpu.cs, &tb1);
    assert_true(r == ((uintptr_t)&tb1 | 0));
    known_tbs[0] = known_tbs[1] = NULL;
    assert_false(backend_interp.restore_state(&cpu.cs, &tb1, 0, NULL));
    backend_interp.free_tb(&tb1);
    backend_interp.free_tb(&tb2);
}

/* --- Random blocks: optimized and unoptimized must mean the same. --- */

static uint64_t rng;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint64_t rnd_value(void)
{
    static const uint64_t vals[] = { 0, 1, 2, 7, 8, 16, 31, 32, 63, 64, 0x7f, 0x80, 0xff,
                                     0xffff, 0x80000000, 0xffffffff, INT64_MAX,
                                     (uint64_t)INT64_MIN, UINT64_MAX };
    return rnd() % 2 ? vals[rnd() % (sizeof(vals) / sizeof(vals[0]))] : rnd();
}

typedef struct RandGen {
    IRBlock *b;
    IRTempId locals[512];
    unsigned nb_locals;
} RandGen;

static IRTempId rand_input(RandGen *g)
{
    unsigned k = rnd() % 10;
    if (k < 4) {
        return (IRTempId)(rnd() % NB_REGS);
    }
    if (k < 8 && g->nb_locals) {
        return g->locals[rnd() % g->nb_locals];
    }
    return ir_const(g->b, rnd_value());
}

static IRTempId rand_output(RandGen *g)
{
    if (rnd() % 3 == 0) {
        return (IRTempId)(rnd() % (NB_REGS - 1)); /* r7 belongs to the helper */
    }
    if (g->nb_locals && (rnd() % 3 == 0 || g->nb_locals == 512)) {
        return g->locals[rnd() % g->nb_locals];
    }
    IRTempId t = ir_new_local(g->b);
    g->locals[g->nb_locals++] = t;
    return t;
}

static void rand_op(RandGen *g)
{
    IRBlock *b = g->b;
    unsigned k = rnd() % 100;
    if (k < 50) {
        IROpcode opc = (IROpcode)(IR_mov + rnd() % (IR_movcond - IR_mov + 1));
        IROp op = { .opc = (uint16_t)opc, .c = { rnd() % IR_NB_CONDS } };
        for (unsigned i = 0; i < ir_op_defs[opc].nb_in; i++) {
            op.in[i] = rand_input(g);
        }
        op.out[0] = rand_output(g);
        *ir_emit(b, opc) = op;
    } else if (k < 65) {
        IRTempId x = rnd() % 4 ? (IRTempId)(rnd() % NB_REGS) : rand_input(g);
        ir_gen_mov(b, rand_output(g), rnd() % 2 ? x : ir_const(b, rnd_value()));
    } else if (k < 75) {
        IRTempId addr = ir_new_local(b);
        uint64_t mask = rnd() % 30 ? MEM_SIZE - 8 : UINT64_MAX; /* sometimes faults */
        ir_gen_binary(b, IR_and, addr, rand_input(g), ir_const(b, mask));
        g->locals[g->nb_locals < 512 ? g->nb_locals++ : 0] = addr;
        if (rnd() % 2) {
            ir_gen_ld(b, rand_output(g), addr, (IRMemOp)(rnd() % 8));
        } else {
            ir_gen_st(b, rand_input(g), addr, (IRMemOp)(rnd() % 4));
        }
    } else if (k < 88) {
        unsigned l = ir_new_label(b);
        ir_gen_brcond(b, (IRCond)(rnd() % IR_NB_CONDS), rand_input(g), rand_input(g), l);
        g->nb_locals = 0;
        for (unsigned i = 0, n = rnd() % 4; i < n; i++) {
            IRTempId t = ir_new_local(b);
            ir_gen_binary(b, IR_add, t, (IRTempId)(rnd() % NB_REGS), ir_const(b, rnd_value()));
            ir_gen_binary(b, IR_xor, (IRTempId)(rnd() % (NB_REGS - 1)), t, rand_input(g));
        }
        ir_gen_label(b, l);
    } else if (k < 93) {
        IRTempId a = rand_input(g), c = rand_input(g), d = rand_input(g);
        g->nb_locals = 0;
        ir_gen_call(b, rand_output(g), &sum_helper, a, c, d);
    } else {
        ir_gen_insn_start(b, 0x1000 + 4 * (rnd() % 64));
    }
}

static void rand_block(IRBlock *b, unsigned nb_ops)
{
    RandGen g = { .b = b };
    ir_block_reset(b);
    ir_gen_insn_start(b, 0x1000);
    for (unsigned i = 0; i < nb_ops; i++) {
        rand_op(&g);
    }
    ir_gen_mov(b, NB_REGS, ir_const(b, 0x4000));
    ir_gen_exit_tb(b, EXCP_SYSCALL);
}

typedef struct RunResult {
    TestCPU cpu;
    uint8_t mem[MEM_SIZE];
} RunResult;

static void run_block(IRBlock *b, const TestCPU *init, const uint8_t *mem, RunResult *out)
{
    TranslationBlock tb;
    make_tb(&tb, 0x1000, b);
    out->cpu = *init;
    memcpy(guest_mem, mem, MEM_SIZE);
    backend_interp.exec(&out->cpu.cs, &tb);
    memcpy(out->mem, guest_mem, MEM_SIZE);
    backend_interp.free_tb(&tb);
}

static void test_optimizer_keeps_meaning(void **state)
{
    static IRBlock b, copy;
    static RunResult plain, opt;
    static uint8_t mem[MEM_SIZE];
    ir_block_init(&b, globals, NB_REGS + 1);
    const char *env = getenv("MIMIC_IR_INTERP_SEEDS");
    unsigned nb_seeds = env ? (unsigned)atoi(env) : 2000;
    for (uint64_t seed = 1; seed <= nb_seeds; seed++) {
        rng = seed * 0x9e3779b97f4a7c15ull + 7;
        TestCPU init = { 0 };
        for (int i = 0; i < NB_REGS; i++) {
            init.r[i] = rnd_value();
        }
        for (int i = 0; i < MEM_SIZE; i++) {
            mem[i] = (uint8_t)rnd();
        }
        rand_block(&b, 4 + (unsigned)(seed % 150));
        char err[200];
        if (ir_validate(&b, err, sizeof(err)) < 0) {
            fail_msg("seed %llu: generator made invalid IR: %s", (unsigned long long)seed, err);
        }
        run_block(&b, &init, mem, &plain);
        ir_block_copy(&copy, &b);
        ir_optimize(&b);
        if (ir_validate(&b, err, sizeof(err)) < 0) {
            ir_dump(&copy, stderr);
            fail_msg("seed %llu: optimized IR is invalid: %s", (unsigned long long)seed, err);
        }
        run_block(&b, &init, mem, &opt);
        if (memcmp(&plain, &opt, sizeof(plain)) != 0) {
            fprintf(stderr, "before:\n");
            ir_dump(&copy, stderr);
            fprintf(stderr, "after:\n");
            ir_dump(&b, stderr);
            for (int i = 0; i < NB_REGS; i++) {
                fprintf(stderr, "r%d %016llx %016llx\n", i, (unsigned long long)plain.cpu.r[i],
                        (unsigned long long)opt.cpu.r[i]);
            }
            fail_msg("seed %llu: optimizer changed the result", (unsigned long long)seed);
        }
        free(copy.ops);
        free(copy.temps);
    }
    ir_block_destroy(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interp_arith_and_call),
        cmocka_unit_test(test_interp_memory),
        cmocka_unit_test(test_interp_branches),
        cmocka_unit_test(test_interp_chaining),
        cmocka_unit_test(test_optimizer_keeps_meaning),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
