/*
 * test-translate-fuzz.c — guest code is hostile input: random instruction
 * streams (random words, and random valid-looking encodings built from the
 * major opcodes the decoder knows) go through the RISC-V translator, the
 * IR validator, optimizer and liveness, and both backends' code generators.
 * Nothing may crash, every block must be valid IR, and the JIT must accept
 * it (or ask for a shorter block).
 *
 * The one thing to know: nothing is executed here (random code would loop
 * or fault); the guest programs and the differential tester cover
 * execution. Seeds are fixed, so a failure is reproducible.
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
#include "target/riscv64/cpu.h"

uintptr_t guest_base;
uint64_t guest_limit;

#define CODE_BASE 0x10000
#define CODE_SIZE 4096
static uint8_t code[CODE_SIZE];

bool exec_read_code(uint64_t addr, void *dst, size_t len)
{
    if (addr < CODE_BASE || addr + len > CODE_BASE + CODE_SIZE) {
        return false;
    }
    memcpy(dst, code + (addr - CODE_BASE), len);
    return true;
}

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint32_t rnd32(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

/* A word with a major opcode the decoder knows, so most decode. */
static uint32_t plausible_insn(void)
{
    static const uint8_t majors[] = { 0x03, 0x07, 0x0f, 0x13, 0x17, 0x1b, 0x23, 0x27, 0x2f,
                                      0x33, 0x37, 0x3b, 0x43, 0x47, 0x4b, 0x4f, 0x53, 0x63,
                                      0x67, 0x6f, 0x73 };
    uint32_t w = rnd32();
    if (rnd32() % 4 == 0) {
        return w & 0xffff; /* a compressed instruction (or an illegal one) */
    }
    return (w & ~0x7fu) | majors[rnd32() % sizeof(majors)];
}

static void translate_all(const Backend *be, unsigned iterations, bool plausible)
{
    static IRBlock b;
    static bool init;
    const TargetInfo *ti = &target_riscv64;
    if (!init) {
        ir_block_init(&b, ti->globals, ti->nb_globals);
        init = true;
    }
    RISCVCPU cpu;
    riscv_cpu_reset(&cpu);
    for (unsigned it = 0; it < iterations; it++) {
        for (size_t i = 0; i < CODE_SIZE; i += 4) {
            uint32_t w = plausible ? plausible_insn() : rnd32();
            memcpy(code + i, &w, 4);
        }
        uint64_t pc = CODE_BASE + (rnd32() % (CODE_SIZE / 2)) * 2;
        ir_block_reset(&b);
        TranslateRequest req = { .cpu = &cpu.cs, .b = &b, .pc = pc, .max_insns = 1 + rnd32() % 64 };
        uint32_t size = ti->translate(&req);
        assert_true(size > 0);
        char err[200];
        if (ir_validate(&b, err, sizeof(err)) < 0) {
            ir_dump(&b, stderr);
            fail_msg("invalid IR at iteration %u: %s", it, err);
        }
        ir_optimize(&b);
        ir_liveness(&b);
        assert_true(ir_validate(&b, err, sizeof(err)) == 0);
        TranslationBlock *tb = calloc(1, sizeof(*tb));
        assert_non_null(tb);
        tb->pc = pc;
        tb->jmp_patch[0] = tb->jmp_patch[1] = TB_NO_OFFSET;
        tb->jmp_reset[0] = tb->jmp_reset[1] = TB_NO_OFFSET;
        int r = be->gen(tb, &b);
        if (r == BACKEND_GEN_FULL) {
            exec_tb_flush();
            r = be->gen(tb, &b);
        }
        assert_true(r == 0 || r == BACKEND_GEN_TOO_BIG);
        if (be->free_tb) {
            be->free_tb(tb);
        }
        free(tb);
    }
}

static void test_random_words_jit(void **state)
{
    translate_all(&backend_x86_64, 20000, false);
}

static void test_plausible_words_jit(void **state)
{
    translate_all(&backend_x86_64, 60000, true);
}

static void test_plausible_words_interp(void **state)
{
    translate_all(&backend_interp, 20000, true);
}

static int setup(void **state)
{
    ExecConfig cfg = { .backend = &backend_x86_64, .target = &target_riscv64 };
    exec_init(&cfg);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_words_jit),
        cmocka_unit_test(test_plausible_words_jit),
        cmocka_unit_test(test_plausible_words_interp),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
