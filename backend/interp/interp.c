/*
 * interp.c — the IR interpreter backend: the reference every other backend
 * is compared with, and the fallback when there is no JIT for the host.
 *
 * The one thing to know: guest state is kept exact at every op. Globals are
 * read and written directly in env (never cached), and insn_start stores the
 * guest pc, so a fault, a helper call or a host signal sees precisely the
 * state of the current guest instruction.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/exec.h"
#include "mimic/softmmu.h"

/* Private per-TB data: a deep copy of the block and where each label is. */
typedef struct InterpCode {
    IRBlock b;
    uint32_t *label_pos; /* label -> op index after the label op */
} InterpCode;

typedef uint16_t __attribute__((may_alias, aligned(1))) InterpU16;
typedef uint32_t __attribute__((may_alias, aligned(1))) InterpU32;
typedef uint64_t __attribute__((may_alias, aligned(1))) InterpU64;

/* Values of the locals of the running block; one buffer per host thread,
 * freed when the thread ends (the key's destructor). */
static __thread uint64_t *interp_vals;
static __thread uint32_t interp_vals_cap;
static pthread_key_t interp_vals_key;
static pthread_once_t interp_vals_once = PTHREAD_ONCE_INIT;

static void interp_vals_key_init(void)
{
    pthread_key_create(&interp_vals_key, free);
}

static int interp_gen(TranslationBlock *tb, IRBlock *b)
{
    InterpCode *ic = calloc(1, sizeof(*ic));
    if (!ic) {
        abort();
    }
    ir_block_copy(&ic->b, b);
    ic->label_pos = malloc((b->nb_labels ? b->nb_labels : 1) * sizeof(uint32_t));
    if (!ic->label_pos) {
        abort();
    }
    for (uint32_t l = 0; l < b->nb_labels; l++) {
        ic->label_pos[l] = b->nb_ops; /* undefined label: fall off the end */
    }
    for (uint32_t i = 0; i < b->nb_ops; i++) {
        const IROp *op = &b->ops[i];
        if (op->opc == IR_label && op->c[0] < b->nb_labels) {
            ic->label_pos[op->c[0]] = i + 1;
        } else if (op->opc == IR_goto_tb && op->c[0] < IR_NB_CHAIN_SLOTS) {
            tb->jmp_patch[op->c[0]] = i; /* marks the slot as chainable */
        }
    }
    tb->code = ic;
    tb->code_size = 0;
    return 0;
}

static void interp_free_tb(TranslationBlock *tb)
{
    InterpCode *ic = tb->code;
    if (ic) {
        ir_block_destroy(&ic->b);
        free(ic->label_pos);
        free(ic);
        tb->code = NULL;
    }
}

static void interp_reserve_vals(uint32_t nb_temps)
{
    if (nb_temps <= interp_vals_cap) {
        return;
    }
    uint64_t *v = realloc(interp_vals, nb_temps * sizeof(uint64_t));
    if (!v) {
        abort();
    }
    interp_vals = v;
    interp_vals_cap = nb_temps;
    pthread_once(&interp_vals_once, interp_vals_key_init);
    pthread_setspecific(interp_vals_key, v);
}

static inline uint64_t interp_read(const IRBlock *b, CPUState *cpu, IRTempId t)
{
    const IRTemp *tp = &b->temps[t];
    if (tp->kind == IR_TEMP_CONST) {
        return tp->val;
    }
    if (tp->kind == IR_TEMP_GLOBAL) {
        uint64_t v;
        memcpy(&v, (uint8_t *)cpu + tp->env_offset, sizeof(v));
        return v;
    }
    return interp_vals[t];
}

static inline void interp_write(const IRBlock *b, CPUState *cpu, IRTempId t, uint64_t v)
{
    const IRTemp *tp = &b->temps[t];
    if (tp->kind == IR_TEMP_GLOBAL) {
        memcpy((uint8_t *)cpu + tp->env_offset, &v, sizeof(v));
    } else {
        interp_vals[t] = v;
    }
}

/* Checks [addr, addr + size) against the guest window; on failure records
 * the fault in cpu (pc was set by insn_start) and returns false. */
static bool interp_check_addr(CPUState *cpu, uint64_t addr, unsigned size)
{
    if (addr < guest_limit && size <= guest_limit - addr) {
        return true;
    }
    cpu->fault_addr = addr;
    cpu->fault_code = SEGV_MAPERR;
    cpu->exit_code = EXCP_SEGV;
    return false;
}

/* The guest accesses are volatile so that they stay between the stores to
 * in_helper_access, which attribute a host fault to the guest. */
static uint64_t interp_load(CPUState *cpu, uint64_t addr, unsigned mo)
{
    void *p = g2h(addr);
    uint64_t v;
    cpu->in_helper_access = 1;
    switch (mo & IR_MO_SIZE_MASK) {
    case IR_MO_8:
        v = *(volatile uint8_t *)p;
        v = (mo & IR_MO_SIGN) ? (uint64_t)(int64_t)(int8_t)v : v;
        break;
    case IR_MO_16:
        v = *(volatile InterpU16 *)p;
        v = (mo & IR_MO_SIGN) ? (uint64_t)(int64_t)(int16_t)v : v;
        break;
    case IR_MO_32:
        v = *(volatile InterpU32 *)p;
        v = (mo & IR_MO_SIGN) ? (uint64_t)(int64_t)(int32_t)v : v;
        break;
    default:
        v = *(volatile InterpU64 *)p;
        break;
    }
    cpu->in_helper_access = 0;
    return v;
}

static void interp_store(CPUState *cpu, uint64_t addr, unsigned mo, uint64_t v)
{
    void *p = g2h(addr);
    cpu->in_helper_access = 1;
    switch (mo & IR_MO_SIZE_MASK) {
    case IR_MO_8:
        *(volatile uint8_t *)p = (uint8_t)v;
        break;
    case IR_MO_16:
        *(volatile InterpU16 *)p = (uint16_t)v;
        break;
    case IR_MO_32:
        *(volatile InterpU32 *)p = (uint32_t)v;
        break;
    default:
        *(volatile InterpU64 *)p = v;
        break;
    }
    cpu->in_helper_access = 0;
}

/* What running one block ended with. */
typedef enum InterpNext {
    INTERP_RETURN, /* leave exec(): *ret is the value to return */
    INTERP_NEXT,   /* continue with *tbp (chained or looked up) */
} InterpNext;

static InterpNext interp_run_block(CPUState *cpu, TranslationBlock **tbp, uintptr_t *ret)
{
    TranslationBlock *tb = *tbp;
    const InterpCode *ic = tb->code;
    const IRBlock *b = &ic->b;
    interp_reserve_vals(b->nb_temps);
    /* System mode: every access goes through the soft MMU's slow path
     * (globals and pc are always exact in env here, so it needs no unwind). */
    const SoftMMUOps *softmmu = exec_config()->softmmu;

    for (uint32_t i = 0; i < b->nb_ops;) {
        const IROp *op = &b->ops[i++];
        switch ((IROpcode)op->opc) {
        case IR_insn_start:
            cpu->pc = op->c[0];
            break;
        case IR_ld: {
            unsigned mo = (unsigned)op->c[0];
            uint64_t addr = interp_read(b, cpu, op->in[0]) + op->c[1];
            if (softmmu) {
                interp_write(b, cpu, op->out[0], softmmu->load(cpu, addr, mo, 0));
                break;
            }
            if (!interp_check_addr(cpu, addr, 1u << (mo & IR_MO_SIZE_MASK))) {
                *ret = TB_EXIT_NOCHAIN;
                return INTERP_RETURN;
            }
            interp_write(b, cpu, op->out[0], interp_load(cpu, addr, mo));
            break;
        }
        case IR_st: {
            unsigned mo = (unsigned)op->c[0];
            uint64_t addr = interp_read(b, cpu, op->in[1]) + op->c[1];
            if (softmmu) {
                softmmu->store(cpu, addr, interp_read(b, cpu, op->in[0]), mo, 0);
                break;
            }
            if (!interp_check_addr(cpu, addr, 1u << (mo & IR_MO_SIZE_MASK))) {
                *ret = TB_EXIT_NOCHAIN;
                return INTERP_RETURN;
            }
            interp_store(cpu, addr, mo, interp_read(b, cpu, op->in[0]));
            break;
        }
        case IR_call:
        case IR_call_leaf: {
            const IRHelper *h = (const IRHelper *)(uintptr_t)op->c[0];
            uint64_t r = h->fn(cpu, interp_read(b, cpu, op->in[0]), interp_read(b, cpu, op->in[1]),
                               interp_read(b, cpu, op->in[2]));
            interp_write(b, cpu, op->out[0], r);
            break;
        }
        case IR_fp: {
            const IRFpEnv *fe = (const IRFpEnv *)(uintptr_t)op->c[1];
            uint64_t r = fe->fallback(cpu, interp_read(b, cpu, op->in[0]),
                                      interp_read(b, cpu, op->in[1]),
                                      interp_read(b, cpu, op->in[2]), op->c[0]);
            interp_write(b, cpu, op->out[0], r);
            break;
        }
        case IR_ld_env32: {
            uint32_t v;
            memcpy(&v, (const uint8_t *)cpu + op->c[0], sizeof(v));
            interp_write(b, cpu, op->out[0], v);
            break;
        }
        case IR_st_env32: {
            uint32_t v = (uint32_t)interp_read(b, cpu, op->in[0]);
            memcpy((uint8_t *)cpu + op->c[0], &v, sizeof(v));
            break;
        }
        case IR_label:
            break;
        case IR_br:
            i = op->c[0] < b->nb_labels ? ic->label_pos[op->c[0]] : b->nb_ops;
            break;
        case IR_brcond:
            if (ir_eval_cond((IRCond)op->c[0], interp_read(b, cpu, op->in[0]),
                             interp_read(b, cpu, op->in[1]))) {
                i = op->c[1] < b->nb_labels ? ic->label_pos[op->c[1]] : b->nb_ops;
            }
            break;
        case IR_brloop:
            if (ir_eval_cond(ir_brloop_cond(op), interp_read(b, cpu, op->in[0]),
                             interp_read(b, cpu, op->in[1]))) {
                if (cpu->exit_request) {
                    cpu->pc = op->c[1];
                    *ret = TB_EXIT_NOCHAIN;
                    return INTERP_RETURN;
                }
                i = ir_brloop_label(op) < b->nb_labels ? ic->label_pos[ir_brloop_label(op)]
                                                        : b->nb_ops;
            }
            break;
        case IR_goto_tb: {
            unsigned slot = (unsigned)op->c[0];
            TranslationBlock *dest = tb->jmp_dest[slot];
            if (dest && !dest->invalid) {
                *tbp = dest;
                return INTERP_NEXT;
            }
            *ret = (uintptr_t)tb | slot;
            return INTERP_RETURN;
        }
        case IR_goto_ptr: {
            TranslationBlock *dest = exec_tb_lookup_cpu(cpu);
            if (dest && !dest->invalid) {
                *tbp = dest;
                return INTERP_NEXT;
            }
            cpu->exit_code = EXCP_NONE;
            *ret = TB_EXIT_NOCHAIN;
            return INTERP_RETURN;
        }
        case IR_exit_tb:
            cpu->exit_code = (uint32_t)op->c[0];
            *ret = TB_EXIT_NOCHAIN;
            return INTERP_RETURN;
        default: {
            uint64_t in[IR_MAX_IN], out;
            unsigned nb_in = op->opc < IR_NB_OPS ? ir_op_defs[op->opc].nb_in : 0;
            for (unsigned k = 0; k < nb_in; k++) {
                in[k] = interp_read(b, cpu, op->in[k]);
            }
            if (nb_in && ir_eval_op((IROpcode)op->opc, in, op->c, &out)) {
                interp_write(b, cpu, op->out[0], out);
            }
            break;
        }
        }
    }
    *ret = TB_EXIT_NOCHAIN; /* fell off the end: look up env->pc */
    return INTERP_RETURN;
}

static uintptr_t interp_exec(CPUState *cpu, TranslationBlock *tb)
{
    uintptr_t ret = TB_EXIT_NOCHAIN;
    for (;;) {
        if (cpu->exit_request) {
            /* Same as the JIT's entry check: the exec loop sees exit_request
             * and returns EXCP_INTERRUPT with pc naming this block. */
            cpu->pc = tb->pc;
            return TB_EXIT_NOCHAIN;
        }
        if (interp_run_block(cpu, &tb, &ret) == INTERP_RETURN) {
            return ret;
        }
    }
}

static void interp_chain(TranslationBlock *tb, unsigned slot, TranslationBlock *dest)
{
    /* exec/ keeps tb->jmp_dest, which interp_exec follows directly. */
}

static bool interp_restore_state(CPUState *cpu, TranslationBlock *tb, uintptr_t host_pc, void *uc)
{
    return false; /* env is always exact; there is no host code to map */
}

static void interp_reset(void)
{
}

const Backend backend_interp = {
    .name = "interp",
    .gen = interp_gen,
    .exec = interp_exec,
    .chain = interp_chain,
    .restore_state = interp_restore_state,
    .free_tb = interp_free_tb,
    .reset = interp_reset,
};
