/*
 * exec-loop.c — translating blocks and running them: the loop that finds
 * or translates the block at env->pc, chains it to the block that just
 * exited, runs it, and returns to the caller on anything but a plain exit.
 *
 * The one thing to know: everything between the frontend and the backend
 * happens in tb_translate(): frontend -> IR -> optimize -> liveness ->
 * backend, with the -d logs at each step, under the owner's memory lock and
 * tb_lock. A full code buffer or fence.i needs a flush, which stops every
 * CPU: the loop then steps out of the running state to wait for it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec-internal.h"
#include "mimic/log.h"

#define DEFAULT_MAX_INSNS 256

static ExecConfig config;
static IRBlock ir_block;
uint64_t exec_flush_generation;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void exec_print_stats(void)
{
    log_printf("exec: %llu blocks translated (%llu guest instructions, %.1f ns per instruction), "
               "%llu chains, %llu invalidations, %llu flushes, %llu exec-loop entries\n",
               (unsigned long long)exec_stats.blocks_translated,
               (unsigned long long)exec_stats.guest_insns_translated,
               exec_stats.guest_insns_translated
                   ? (double)exec_stats.translate_ns / (double)exec_stats.guest_insns_translated
                   : 0.0,
               (unsigned long long)exec_stats.chains, (unsigned long long)exec_stats.invalidations,
               (unsigned long long)exec_stats.flushes, (unsigned long long)exec_stats.loop_entries);
}

void exec_init(const ExecConfig *cfg)
{
    config = *cfg;
    /* The IR validator checks every block the frontends build; the test
     * suite turns it on (meson's default test setup), users do not pay. */
    const char *v = getenv("MIMIC_VALIDATE_IR");
    config.validate_ir = config.validate_ir || (v && *v && strcmp(v, "0") != 0);
    if (!config.max_insns) {
        config.max_insns = DEFAULT_MAX_INSNS;
    }
    ir_block_init(&ir_block, config.target->globals, config.target->nb_globals);
    if (log_enabled(LOG_EXEC)) {
        atexit(exec_print_stats);
    }
}

const ExecConfig *exec_config(void)
{
    return &config;
}

static void log_guest_code(uint64_t pc, uint32_t size)
{
    char text[128];
    log_printf("IN: guest code at 0x%llx\n", (unsigned long long)pc);
    for (uint64_t a = pc; a < pc + size;) {
        unsigned len = config.target->disas(a, text, sizeof(text));
        if (!len) {
            break;
        }
        log_printf("0x%016llx:  %s\n", (unsigned long long)a, text);
        a += len;
    }
    log_printf("\n");
}

static int count_insns(const IRBlock *b)
{
    int n = 0;
    for (uint32_t i = 0; i < b->nb_ops; i++) {
        n += b->ops[i].opc == IR_insn_start;
    }
    return n;
}

/* The index of the first instruction after the block's first that sits
 * on a breakpoint, or 0 if none does. */
static unsigned first_breakpoint_insn(const IRBlock *b)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < b->nb_ops; i++) {
        if (b->ops[i].opc == IR_insn_start) {
            if (n > 0 && exec_breakpoint_at(b->ops[i].c[0])) {
                return n;
            }
            n++;
        }
    }
    return 0;
}

/* A single-step block returns to the loop after its one instruction:
 * every way out becomes exit_tb(EXCP_DEBUG). */
static void make_step_exits(IRBlock *b)
{
    for (uint32_t i = 0; i < b->nb_ops; i++) {
        IROp *op = &b->ops[i];
        if (op->opc == IR_goto_tb || op->opc == IR_goto_ptr ||
            (op->opc == IR_exit_tb && op->c[0] == EXCP_NONE)) {
            op->opc = IR_exit_tb;
            op->c[0] = EXCP_DEBUG;
        }
    }
}

/* Translates the block at pc (tb_lock held); NULL if the code buffer is
 * full and everything must be flushed first. A single-step block (step)
 * has one instruction and is kept out of the lookup tables. */
static TranslationBlock *tb_translate(CPUState *cpu, const TBKey *key, bool step)
{
    uint64_t pc = key->pc;
    uint64_t t0 = now_ns();
    unsigned max_insns = step ? 1 : config.max_insns;
    for (;;) {
        ir_block_reset(&ir_block);
        tb_pages_begin();
        TranslateRequest req = { .cpu = cpu, .b = &ir_block, .pc = pc, .max_insns = max_insns };
        uint32_t size = config.target->translate(&req);
        if (step) {
            make_step_exits(&ir_block);
        } else if (exec_breakpoint_count()) {
            unsigned before_bp = first_breakpoint_insn(&ir_block);
            if (before_bp) {
                max_insns = before_bp; /* end the block before the breakpoint */
                continue;
            }
        }
        if (log_enabled(LOG_IN_ASM)) {
            log_guest_code(pc, size);
        }
        if (log_enabled(LOG_OP)) {
            log_printf("OP:\n");
            ir_dump(&ir_block, log_file);
            log_printf("\n");
        }
        if (config.validate_ir) {
            char err[200];
            if (ir_validate(&ir_block, err, sizeof(err)) < 0) {
                fprintf(stderr, "mimic: internal error: invalid IR for block at 0x%llx: %s\n",
                        (unsigned long long)pc, err);
                ir_dump(&ir_block, stderr);
                abort();
            }
        }
        if (!config.no_opt) {
            ir_optimize(&ir_block);
        }
        ir_liveness(&ir_block);
        if (log_enabled(LOG_OP_OPT)) {
            log_printf("OP after optimization and liveness:\n");
            ir_dump(&ir_block, log_file);
            log_printf("\n");
        }
        TranslationBlock *tb = calloc(1, sizeof(*tb));
        if (!tb || ((uintptr_t)tb & TB_EXIT_MASK)) {
            abort(); /* the exit value's low bits must be free for the slot */
        }
        tb->pc = pc;
        tb->phys = key->phys;
        tb->flags = key->flags;
        tb->size = size;
        tb->nb_insns = (uint32_t)count_insns(&ir_block);
        for (unsigned s = 0; s < IR_NB_CHAIN_SLOTS; s++) {
            tb->jmp_patch[s] = tb->jmp_reset[s] = TB_NO_OFFSET;
        }
        int r = config.backend->gen(tb, &ir_block);
        if (r == BACKEND_GEN_FULL) {
            free(tb);
            return NULL;
        }
        if (r == BACKEND_GEN_TOO_BIG && max_insns > 1) {
            free(tb);
            max_insns = max_insns / 2;
            continue;
        }
        if (r != 0) {
            fprintf(stderr, "mimic: internal error: backend %s cannot translate block at 0x%llx\n",
                    config.backend->name, (unsigned long long)pc);
            abort();
        }
        if (step) {
            tb->invalid = true; /* never chained to or looked up */
            tb_cache_keep(tb);
        } else {
            tb_pages_link(tb);
            tb_cache_insert(tb);
        }
        exec_stats.blocks_translated++;
        exec_stats.guest_insns_translated += tb->nb_insns;
        exec_stats.translate_ns += now_ns() - t0;
        if (log_enabled(LOG_OUT_ASM)) {
            host_disas_log(tb);
        }
        return tb;
    }
}

/* Finds or translates the block at cpu->pc and chains last's exit slot to
 * it; NULL if a flush is needed first. */
static TranslationBlock *tb_find(CPUState *cpu, const TBKey *key, TranslationBlock *last,
                                 unsigned last_slot, uint64_t generation)
{
    TranslationBlock *tb = tb_lookup_for_cpu(cpu, key);
    bool translate = !tb;
    if (translate || (last && !config.no_chain)) {
        if (translate && config.memory_lock) {
            config.memory_lock();
        }
        tb_lock();
        if (!tb) {
            /* Another thread may have translated it meanwhile. */
            tb = tb_hash_lookup(key);
            if (!tb) {
                tb = tb_translate(cpu, key, false);
            }
        }
        if (tb && last && generation == exec_flush_generation && !config.no_chain) {
            tb_chain(last, last_slot, tb);
        }
        tb_unlock();
        if (translate && config.memory_unlock) {
            config.memory_unlock();
        }
    }
    return tb;
}

/* The one-instruction block of a single step; NULL if a flush is needed
 * first. */
static TranslationBlock *tb_translate_step(CPUState *cpu, const TBKey *key)
{
    if (config.memory_lock) {
        config.memory_lock();
    }
    tb_lock();
    TranslationBlock *tb = tb_translate(cpu, key, true);
    tb_unlock();
    if (config.memory_unlock) {
        config.memory_unlock();
    }
    return tb;
}

/* A flush from inside the loop: leave the running state, stop the world,
 * flush unless another CPU already did since `generation`, come back. */
static void exec_flush_from_loop(CPUState *cpu, uint64_t generation)
{
    exec_cpu_end(cpu);
    exec_start_exclusive();
    tb_lock();
    if (generation == exec_flush_generation) {
        tb_flush_locked();
    }
    tb_unlock();
    exec_end_exclusive();
    exec_cpu_start(cpu);
}

Excp exec_cpu_loop(CPUState *cpu)
{
    TranslationBlock *last = NULL;
    unsigned last_slot = 0;
    exec_cpu_start(cpu);
    for (;;) {
        if (cpu->exit_request) {
            cpu->exit_request = 0;
            exec_cpu_end(cpu);
            return EXCP_INTERRUPT;
        }
        if (cpu->debug_step == EXEC_STEP_DONE ||
            (cpu->debug_step == EXEC_STEP_NONE && exec_breakpoint_count() &&
             exec_breakpoint_at(cpu->pc))) {
            cpu->debug_step = EXEC_STEP_NONE;
            exec_cpu_end(cpu);
            return EXCP_DEBUG;
        }
        TBKey key = { cpu->pc, cpu->pc, 0 };
        if (config.target->tb_key && !config.target->tb_key(cpu, &key)) {
            last = NULL; /* a guest exception moved pc */
            continue;
        }
        uint64_t generation = __atomic_load_n(&exec_flush_generation, __ATOMIC_ACQUIRE);
        TranslationBlock *tb;
        if (cpu->debug_step == EXEC_STEP_REQUEST) {
            tb = tb_translate_step(cpu, &key);
        } else {
            tb = tb_find(cpu, &key, last, last_slot, generation);
        }
        if (!tb) {
            exec_flush_from_loop(cpu, generation);
            last = NULL;
            continue;
        }
        if (log_enabled(LOG_EXEC)) {
            __atomic_fetch_add(&exec_stats.loop_entries, 1, __ATOMIC_RELAXED);
            log_printf("Trace: %p [%016llx]\n", (void *)tb, (unsigned long long)tb->pc);
        }
        if (cpu->debug_step == EXEC_STEP_REQUEST) {
            /* Whatever way the step leaves (trap, fault, system call), the
             * next entry to the loop reports it. */
            cpu->debug_step = EXEC_STEP_DONE;
        }
        uintptr_t ret = config.backend->exec(cpu, tb);
        unsigned kind = ret & TB_EXIT_MASK;
        if (kind != TB_EXIT_NOCHAIN) {
            last = (TranslationBlock *)(ret & ~(uintptr_t)TB_EXIT_MASK);
            last_slot = kind;
            continue;
        }
        last = NULL;
        Excp e = (Excp)cpu->exit_code;
        cpu->exit_code = EXCP_NONE;
        if (e == EXCP_NONE) {
            continue;
        }
        if (e == EXCP_FLUSH) {
            exec_flush_from_loop(cpu, __atomic_load_n(&exec_flush_generation, __ATOMIC_ACQUIRE));
            continue;
        }
        if (e == EXCP_DEBUG) {
            cpu->debug_step = EXEC_STEP_NONE;
        }
        exec_cpu_end(cpu);
        return e;
    }
}
