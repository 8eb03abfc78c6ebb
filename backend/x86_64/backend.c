/*
 * backend.c — the x86-64 backend's Backend: shared prologue/epilogue code,
 * running a TB, patching chain jumps, and rebuilding guest state after a
 * host fault in translated code.
 *
 * The one thing to know: the prologue/epilogue live at the start of the
 * code buffer and are regenerated after every flush; translated code
 * returns to its caller by jumping to the epilogue with a value in rax.
 */
#include <cpuid.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <ucontext.h>

#include "codegen.h"

JitStubs jit_stubs;
bool host_has_lzcnt, host_has_bmi1, host_has_popcnt;
bool host_has_fma;

static const int saved_regs[] = { RBP, RBX, R12, R13, R14, R15 };
#define NB_SAVED_REGS (int)(sizeof(saved_regs) / sizeof(saved_regs[0]))

static void push_reg(Emitter *e, int r)
{
    emit_opc(e, 0x50 | (r & 7), 0, 0, r);
}

static void pop_reg(Emitter *e, int r)
{
    emit_opc(e, 0x58 | (r & 7), 0, 0, r);
}

static void jit_detect_host(void)
{
    unsigned a, b, c, d;
    if (__get_cpuid(1, &a, &b, &c, &d)) {
        host_has_popcnt = (c >> 23) & 1;
        /* FMA, OSXSAVE and AVX, then XCR0 says the OS saves xmm and ymm */
        if ((c & (1u << 12)) && (c & (1u << 27)) && (c & (1u << 28))) {
            unsigned lo, hi;
            __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
            host_has_fma = (lo & 6) == 6;
        }
    }
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        host_has_bmi1 = (b >> 3) & 1;
    }
    if (__get_cpuid(0x80000001, &a, &b, &c, &d)) {
        host_has_lzcnt = (c >> 5) & 1;
    }
    if (!host_has_lzcnt || !host_has_bmi1 || !host_has_popcnt) {
        fprintf(stderr, "mimic: this host CPU lacks LZCNT, TZCNT (BMI1) or POPCNT, which the JIT "
                        "backend uses; run with -accel tcg,backend=interp\n");
        exit(1);
    }
}

/* Writes the prologue, epilogue and return stub at the buffer start. */
static void jit_gen_stubs(void)
{
    Emitter e = { code_buffer.rw, code_buffer.rw, code_buffer.rw + code_buffer.size, false };
    jit_stubs.prologue = emit_rx(&e);
    for (int i = 0; i < NB_SAVED_REGS; i++) {
        push_reg(&e, saved_regs[i]);
    }
    emit_alu_ri(&e, ALU_SUB, RSP, FRAME_SIZE);
    emit_mov_rr(&e, REG_ENV, RDI);
    emit_mov_ri(&e, REG_GUEST_BASE, guest_base);
    emit_mov_ri(&e, REG_GUEST_LIMIT, guest_limit);
    emit_jmp_reg(&e, RSI);

    jit_stubs.return_nochain = emit_rx(&e);
    emit_mov_ri(&e, RAX, TB_EXIT_NOCHAIN);

    jit_stubs.epilogue = emit_rx(&e);
    emit_alu_ri(&e, ALU_ADD, RSP, FRAME_SIZE);
    for (int i = NB_SAVED_REGS - 1; i >= 0; i--) {
        pop_reg(&e, saved_regs[i]);
    }
    emit8(&e, 0xc3); /* ret */
    if (exec_config()->softmmu) {
        jit_softmmu_gen_thunk(&e);
    }
    code_buffer.used = ((size_t)(e.p - e.start) + 63) & ~(size_t)63;
}

static bool stubs_ready;

static int jit_gen(TranslationBlock *tb, IRBlock *b)
{
    if (!stubs_ready) {
        if (!code_buffer.size && code_buffer_init(256u << 20) < 0) {
            perror("mimic: cannot allocate the code buffer");
            exit(1);
        }
        jit_detect_host();
        jit_gen_stubs();
        stubs_ready = true;
    }
    return jit_gen_block(tb, b);
}

static uintptr_t jit_exec(CPUState *cpu, TranslationBlock *tb)
{
    uintptr_t (*prologue)(CPUState *, const void *) =
        (uintptr_t(*)(CPUState *, const void *))jit_stubs.prologue;
    return prologue(cpu, tb->code);
}

/* A chained jump goes to dest's entry check, or past it in user mode when
 * dest lies further on: a cycle of blocks needs a jump to the same or a
 * lower pc (or an indirect one, which always checks), so exit_request is
 * still seen on every pass through a loop. */
static void jit_chain(TranslationBlock *tb, unsigned slot, TranslationBlock *dest)
{
    uintptr_t target = (uintptr_t)tb->code + tb->jmp_reset[slot];
    if (dest) {
        const JitTBData *data = dest->backend_data;
        target = (uintptr_t)dest->code;
        if (!exec_config()->softmmu && dest->pc > tb->pc) {
            target += data->unchecked_entry;
        }
    }
    uint8_t *field = code_rw_of((const uint8_t *)tb->code + tb->jmp_patch[slot]);
    int32_t rel = (int32_t)(target - ((uintptr_t)tb->code + tb->jmp_patch[slot] + 4));
    __atomic_store_n((int32_t *)field, rel, __ATOMIC_RELEASE);
}

const void *jit_lookup_code(CPUState *cpu)
{
    TranslationBlock *tb = exec_tb_lookup_cpu(cpu);
    return tb ? tb->code : (const void *)jit_stubs.return_nochain;
}

/* Index of each x86 register in ucontext's gregs. */
const int jit_ucontext_index[16] = {
    [RAX] = REG_RAX, [RCX] = REG_RCX, [RDX] = REG_RDX, [RBX] = REG_RBX,
    [RSP] = REG_RSP, [RBP] = REG_RBP, [RSI] = REG_RSI, [RDI] = REG_RDI,
    [R8] = REG_R8,   [R9] = REG_R9,   [R10] = REG_R10, [R11] = REG_R11,
    [R12] = REG_R12, [R13] = REG_R13, [R14] = REG_R14, [R15] = REG_R15,
};

static bool jit_restore_state(CPUState *cpu, TranslationBlock *tb, uintptr_t host_pc, void *uc)
{
    const JitTBData *data = tb->backend_data;
    uint32_t off = (uint32_t)(host_pc - (uintptr_t)tb->code);
    if (!data) {
        return false;
    }
    for (uint32_t i = 0; i < data->nb_sites; i++) {
        const FaultSite *s = &data->sites[i];
        if (off < s->host_start || off >= s->host_end) {
            continue;
        }
        const greg_t *gregs = ((const ucontext_t *)uc)->uc_mcontext.gregs;
        const IRGlobalDef *globals = exec_config()->target->globals;
        for (unsigned k = 0; k < s->nb_regs; k++) {
            uint64_t v = (uint64_t)gregs[jit_ucontext_index[s->reg[k]]];
            *(uint64_t *)((uint8_t *)cpu + globals[s->global[k]].env_offset) = v;
        }
        cpu->pc = s->guest_pc;
        return true;
    }
    return false;
}

static void jit_free_tb(TranslationBlock *tb)
{
    free(tb->backend_data);
    tb->backend_data = NULL;
}

static void jit_reset(void)
{
    if (stubs_ready) {
        jit_gen_stubs();
    }
}

const Backend backend_x86_64 = {
    .name = "jit",
    .gen = jit_gen,
    .exec = jit_exec,
    .chain = jit_chain,
    .restore_state = jit_restore_state,
    .free_tb = jit_free_tb,
    .reset = jit_reset,
    .unwind_softmmu = jit_unwind_softmmu,
};
