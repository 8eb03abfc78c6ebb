/*
 * test-backend-diff.c — random IR blocks run on the x86-64 JIT and on the
 * interpreter; every global, the guest memory window and any fault must
 * come out identical.
 *
 * The one thing to know: the interpreter is the reference. Blocks are built
 * from a seed so a failure names the seed that reproduces it; faults are
 * provoked both by the inline bounds check (address past guest_limit) and by
 * a host fault (a PROT_NONE page inside the window), so the fault-site
 * tables that rebuild guest state are checked too. The fp op runs against
 * a fallback that makes every departure from the fast-path contract of
 * IRFpEnv visible (flags, a different result, a longjmp). Environment:
 * MIMIC_BACKEND_DIFF_FIRST (first seed, default 1), MIMIC_BACKEND_DIFF_SEEDS
 * (how many, default 20000), MIMIC_BACKEND_DIFF_DISAS (log the host code).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <cmocka.h>
#include <math.h>

#include "exec/exec-internal.h"
#include "mimic/exec.h"

#define NB_REGS 12
#define LOOP_COUNTER (NB_REGS - 2) /* r10: only the self-loop ending writes it */
#define BLOCK_PC 0x1000
#define WINDOW_PAGES 2 /* page 0 read/write, page 1 PROT_NONE */
#define GUARD_PAGES 2  /* PROT_NONE on each side, as linux-user's 64 KiB guards */

typedef struct TestCPU {
    CPUState cs;
    uint64_t r[NB_REGS];
    uint64_t side; /* not a global: written by the leaf helper */
    uint32_t fflags; /* not globals: the fp op's accrued flags ... */
    uint32_t frm;    /* ... and dynamic rounding mode */
} TestCPU;

uintptr_t guest_base;
uint64_t guest_limit;

bool exec_read_code(uint64_t addr, void *dst, size_t len)
{
    return false;
}

static IRGlobalDef globals[NB_REGS + 1];
static const TargetInfo test_target = { .name = "test", .globals = globals,
                                        .nb_globals = NB_REGS + 1 };
static TestCPU *current_cpu;
static uint8_t *window;
static uint64_t rng;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint64_t interesting(void)
{
    static const uint64_t vals[] = { 0, 1, 2, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000,
                                     0xffffffff, 0x100000000ull, INT64_MAX, (uint64_t)INT64_MIN,
                                     UINT64_MAX, UINT64_MAX - 1, 63, 64, 31, 32 };
    switch (rnd() % 3) {
    case 0:
        return vals[rnd() % (sizeof(vals) / sizeof(vals[0]))];
    case 1:
        return rnd() % 200;
    default:
        return rnd();
    }
}

static uint64_t helper_mix(void *env, uint64_t a, uint64_t b, uint64_t c)
{
    TestCPU *cpu = env;
    cpu->r[NB_REGS - 1] ^= a * 31 + b;
    return (a ^ (b << 3)) + c;
}

static const IRHelper mix_helper = { "mix", helper_mix };

/* A leaf helper: touches only the non-global field side. */
static uint64_t helper_leaf(void *env, uint64_t a, uint64_t b, uint64_t c)
{
    TestCPU *cpu = env;
    cpu->side = cpu->side * 31 + a;
    return (a * 0x9e3779b97f4a7c15ull) ^ (b >> 3) ^ (c << 7);
}

static const IRHelper leaf_helper = { "leaf", helper_leaf };

/* Operand values for the fp op: doubles and NaN-boxed singles of every
 * class, improperly boxed singles, and random normal numbers. */
static uint64_t fp_value(void)
{
    static const uint64_t vals[] = {
        0x3ff0000000000000ull, 0xbff8000000000000ull, 0x0010000000000000ull,
        0x0020000000000000ull, 0x0000000000000001ull, 0x7fefffffffffffffull,
        0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull,
        0x7ff0000000000001ull, 0x8000000000000000ull, 0x3fe0000000000001ull,
        0xffffffff3f800000ull, 0xffffffff00800000ull, 0xffffffff01000000ull,
        0xffffffff7f7fffffull, 0xffffffff7f800000ull, 0xffffffff7fa00000ull,
        0xffffffff80000000ull, 0xffffffff00000001ull, 0x000000003f800000ull,
        0x7fffffff3f800000ull, 0xc1e0000000000000ull, 0xc3e0000000000000ull,
        0x41dfffffffc00000ull, 0x4004000000000000ull, 0xbfe0000000000000ull,
        0xffffffffcf000000ull, 0xffffffff40200000ull, 0xffffffffdf000000ull,
    };
    switch (rnd() % 4) {
    case 0:
        return vals[rnd() % (sizeof(vals) / sizeof(vals[0]))];
    case 1:
        return (rnd() & 0x800fffffffffffffull) | (uint64_t)(1023 - 40 + rnd() % 80) << 52;
    case 2:
        return (rnd() & 0xffffffff807fffffull) | 0xffffffff00000000ull |
               (uint64_t)(127 - 20 + rnd() % 40) << 23;
    default:
        return (rnd() & 0x800fffffffffffffull) | (uint64_t)(rnd() % 2048) << 52;
    }
}

static bool fp_normal(uint64_t r, bool dbl)
{
    unsigned e = dbl ? (unsigned)(r >> 52) & 0x7ff : (unsigned)(r >> 23) & 0xff;
    return e != 0 && e != (dbl ? 0x7ffu : 0xffu);
}

/* The fallback's compares, min and max: the relation or the operand for
 * ordered, well-formed operands (min/max of equal ones: flag 0x08); flag
 * 0x10 and a 0 otherwise. */
static uint64_t test_fp_compare(TestCPU *cpu, IRFpKind kind, bool dbl, uint64_t a, uint64_t b)
{
    double x, y;
    if (dbl) {
        memcpy(&x, &a, 8);
        memcpy(&y, &b, 8);
    } else {
        float fx, fy;
        uint32_t wa = (uint32_t)a, wb = (uint32_t)b;
        memcpy(&fx, &wa, 4);
        memcpy(&fy, &wb, 4);
        x = fx;
        y = fy;
    }
    if ((!dbl && ((a & b) >> 32) != 0xffffffff) || isnan(x) || isnan(y)) {
        cpu->fflags |= 0x10;
        return 0;
    }
    if (kind == IR_FP_MIN || kind == IR_FP_MAX) {
        if (x == y) {
            cpu->fflags |= 0x08; /* ±0 ordering belongs to the fallback */
            return (a ^ b) & (dbl ? 1ull << 63 : 1ull << 31) ? (kind == IR_FP_MIN ? a | b : a & b)
                                                            : a;
        }
        return (x < y) == (kind == IR_FP_MIN) ? a : b;
    }
    return kind == IR_FP_EQ ? x == y : kind == IR_FP_LT ? x < y : x <= y;
}

/* The fallback's conversions: the host's conversion in RNE (or RTZ); flag
 * 0x10 and a 0 for improperly boxed singles, NaNs and results out of range. */
static uint64_t test_fp_convert(TestCPU *cpu, IRFpKind kind, uint64_t desc, uint64_t a)
{
    bool dbl = desc & IR_FP_DOUBLE;
    if (kind <= IR_FP_FROM_L) {
        int64_t i = kind == IR_FP_FROM_W ? (int32_t)a : (int64_t)a;
        if (dbl) {
            double d = (double)i;
            uint64_t r;
            memcpy(&r, &d, 8);
            return r;
        }
        float f = (float)i;
        uint32_t w;
        memcpy(&w, &f, 4);
        return 0xffffffff00000000ull | w;
    }
    double x;
    if (dbl) {
        memcpy(&x, &a, 8);
    } else {
        float f;
        uint32_t w = (uint32_t)a;
        memcpy(&f, &w, 4);
        x = f;
    }
    double r = desc & IR_FP_RTZ ? trunc(x) : nearbyint(x);
    double lim = kind == IR_FP_TO_W ? 0x1p31 : 0x1p63;
    if ((!dbl && (a >> 32) != 0xffffffff) || !(r >= -lim && r < lim)) {
        cpu->fflags |= 0x10;
        return 0;
    }
    return kind == IR_FP_TO_W ? (uint64_t)(int64_t)(int32_t)r : (uint64_t)(int64_t)r;
}

/* The fp op's fallback: the host's result in RNE with NX accrued, as the
 * contract says, and something visible for everything the fast path must
 * leave to it: flag 0x10 for improperly boxed singles, 0x02 for results
 * that are subnormal or zero (unless exact: see IRFpEnv), 0x04 for infinities and NaNs (then the
 * canonical NaN), a changed result when the dynamic mode is not 0, and
 * with IR_FP_FAULTS and mode 7 a longjmp, as for a reserved mode. */
static uint64_t test_fp_fallback(void *env, uint64_t a, uint64_t b, uint64_t c, uint64_t desc)
{
    TestCPU *cpu = env;
    IRFpKind kind = (IRFpKind)(desc & IR_FP_KIND_MASK);
    bool dbl = desc & IR_FP_DOUBLE;
    if ((desc & IR_FP_FAULTS) && (desc & IR_FP_DYN) && cpu->frm == 7) {
        cpu->cs.exit_code = EXCP_ILLEGAL;
        siglongjmp(*cpu->cs.fault_jmp, 1);
    }
    if (kind >= IR_FP_EQ && kind <= IR_FP_MAX) {
        return test_fp_compare(cpu, kind, dbl, a, b);
    }
    cpu->fflags |= 1;
    uint64_t r;
    if (kind >= IR_FP_FROM_W) {
        r = test_fp_convert(cpu, kind, desc, a);
        return (desc & IR_FP_DYN) && cpu->frm != 0 ? r ^ 1 : r;
    }
    if (dbl) {
        double x, y, z, o;
        memcpy(&x, &a, 8);
        memcpy(&y, &b, 8);
        memcpy(&z, &c, 8);
        switch (kind) {
        case IR_FP_ADD: o = x + y; break;
        case IR_FP_SUB: o = x - y; break;
        case IR_FP_MUL: o = x * y; break;
        case IR_FP_DIV: o = x / y; break;
        case IR_FP_SQRT: o = sqrt(x); break;
        case IR_FP_MADD: o = fma(x, y, z); break;
        case IR_FP_MSUB: o = fma(x, y, -z); break;
        case IR_FP_NMSUB: o = fma(-x, y, z); break;
        default: o = fma(-x, y, -z); break;
        }
        memcpy(&r, &o, 8);
    } else {
        unsigned n = kind == IR_FP_SQRT ? 1 : kind >= IR_FP_MADD ? 3 : 2; /* no compares here */
        if ((a >> 32) != 0xffffffff || (n > 1 && (b >> 32) != 0xffffffff) ||
            (n > 2 && (c >> 32) != 0xffffffff)) {
            cpu->fflags |= 0x10;
            return 0xffffffff7fc00000ull;
        }
        float x, y, z, o;
        uint32_t w[3] = { (uint32_t)a, (uint32_t)b, (uint32_t)c }, ro;
        memcpy(&x, &w[0], 4);
        memcpy(&y, &w[1], 4);
        memcpy(&z, &w[2], 4);
        switch (kind) {
        case IR_FP_ADD: o = x + y; break;
        case IR_FP_SUB: o = x - y; break;
        case IR_FP_MUL: o = x * y; break;
        case IR_FP_DIV: o = x / y; break;
        case IR_FP_SQRT: o = sqrtf(x); break;
        case IR_FP_MADD: o = fmaf(x, y, z); break;
        case IR_FP_MSUB: o = fmaf(x, y, -z); break;
        case IR_FP_NMSUB: o = fmaf(-x, y, z); break;
        default: o = fmaf(-x, y, -z); break;
        }
        memcpy(&ro, &o, 4);
        r = 0xffffffff00000000ull | ro;
    }
    uint64_t mag = dbl ? 0x7fffffffffffffffull : 0x7fffffff;
    bool exact_zero = !(r & mag) && kind < IR_FP_MADD &&
                      (kind <= IR_FP_SUB || kind == IR_FP_SQRT || !(a & mag) ||
                       (kind == IR_FP_MUL && !(b & mag)));
    if (!fp_normal(r, dbl) && !exact_zero) {
        unsigned e = dbl ? (unsigned)(r >> 52) & 0x7ff : (unsigned)(r >> 23) & 0xff;
        cpu->fflags |= e ? 0x04 : 0x02;
        if (r << (dbl ? 12 : 41) && e) {
            r = dbl ? 0x7ff8000000000000ull : 0xffffffff7fc00000ull;
        }
    }
    if ((desc & IR_FP_DYN) && cpu->frm != 0) {
        r ^= 1;
    }
    return r;
}

static const IRFpEnv test_fp_env = {
    .name = "test",
    .fallback = test_fp_fallback,
    .flags_offset = offsetof(TestCPU, fflags),
    .nx_mask = 1,
    .rm_offset = offsetof(TestCPU, frm),
};

static void host_fault_handler(int sig, siginfo_t *si, void *uc)
{
    exec_handle_host_fault(&current_cpu->cs, (uintptr_t)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP],
                           (uint64_t)(uintptr_t)si->si_addr, si->si_code, uc);
    signal(sig, SIG_DFL); /* not guest code: let the crash happen */
}

/* A random operand: a global, a live local or a constant. */
static IRTempId pick_input(IRBlock *b, IRTempId *locals, unsigned nb_locals)
{
    unsigned k = rnd() % 10;
    if (k < 5) {
        return (IRTempId)(rnd() % NB_REGS);
    }
    if (k < 8 && nb_locals) {
        return locals[rnd() % nb_locals];
    }
    return ir_const(b, interesting());
}

static IRTempId pick_output(IRBlock *b, IRTempId *locals, unsigned *nb_locals)
{
    if (rnd() % 2) {
        return (IRTempId)(rnd() % LOOP_COUNTER); /* r10 counts loops, r11 is the helper's */
    }
    if (*nb_locals && rnd() % 3 == 0) {
        return locals[rnd() % *nb_locals];
    }
    IRTempId t = ir_new_local(b);
    locals[(*nb_locals)++] = t;
    return t;
}

static const IROpcode binary_ops[] = {
    IR_add, IR_sub,  IR_and,   IR_or,    IR_xor, IR_andn, IR_shl, IR_shr, IR_sar, IR_rotl,
    IR_rotr, IR_mul, IR_mulsh, IR_muluh, IR_mulsuh, IR_div, IR_divu, IR_rem, IR_remu,
};
static const IROpcode unary_ops[] = {
    IR_mov,   IR_neg,   IR_not,  IR_ext8s, IR_ext16s, IR_ext32s, IR_ext8u, IR_ext16u,
    IR_ext32u, IR_clz,  IR_ctz,  IR_cpop,  IR_bswap,  IR_orcb,
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Address for a memory op: usually inside page 0, sometimes faulting;
 * *disp gets the op's displacement: usually none, sometimes one that takes
 * the access off the window (into a guard: a host fault), sometimes a base
 * off the window that the displacement brings back into page 0. */
static IRTempId gen_address(IRBlock *b, IRTempId *locals, unsigned *nb_locals, unsigned size,
                            int64_t *disp)
{
    IRTempId base = pick_input(b, locals, *nb_locals);
    IRTempId addr = ir_new_local(b);
    unsigned k = rnd() % 40;
    *disp = rnd() % 3 ? 0 : (int64_t)(rnd() % (2 * IR_MAX_DISP + 1)) - IR_MAX_DISP;
    if (k == 0) {
        ir_gen_mov(b, addr, ir_const(b, 4096 + (rnd() % 4096))); /* PROT_NONE page: host fault */
    } else if (k == 1) {
        ir_gen_mov(b, addr, ir_const(b, guest_limit + (rnd() % 100000))); /* bounds check */
    } else if (k == 2) {
        /* base past the window (or below 0), base + disp in page 0 */
        int64_t off = (int64_t)(rnd() % 2048) & ~(int64_t)((1u << size) - 1);
        if (rnd() % 2) {
            *disp = -(int64_t)(guest_limit - (uint64_t)off) + (int64_t)(rnd() % 8) * 8 - 64;
            *disp = *disp < -IR_MAX_DISP ? -IR_MAX_DISP : *disp;
            ir_gen_mov(b, addr, ir_const(b, (uint64_t)off - (uint64_t)*disp));
        } else {
            *disp = 2048;
            ir_gen_mov(b, addr, ir_const(b, (uint64_t)off - 2048));
        }
    } else {
        ir_gen_binary(b, IR_and, addr, base, ir_const(b, 4096 - (1u << size)));
    }
    locals[(*nb_locals)++] = addr;
    return addr;
}

static void gen_block(IRBlock *b, unsigned nb_ops)
{
    IRTempId locals[4096];
    unsigned nb_locals = 0;
    uint64_t pc = BLOCK_PC;
    ir_block_reset(b);
    for (unsigned i = 0; i < nb_ops; i++) {
        if (i % 3 == 0) {
            ir_gen_insn_start(b, pc);
            pc += 4;
        }
        unsigned k = rnd() % 100;
        if (k < 45) {
            IRTempId x = pick_input(b, locals, nb_locals), y = pick_input(b, locals, nb_locals);
            IRTempId o = pick_output(b, locals, &nb_locals);
            ir_gen_binary(b, binary_ops[rnd() % COUNT(binary_ops)], o, x, y);
        } else if (k < 65) {
            IRTempId x = pick_input(b, locals, nb_locals);
            IRTempId o = pick_output(b, locals, &nb_locals);
            ir_gen_unary(b, unary_ops[rnd() % COUNT(unary_ops)], o, x);
        } else if (k < 72) {
            IRTempId x = pick_input(b, locals, nb_locals), y = pick_input(b, locals, nb_locals);
            IRTempId o = pick_output(b, locals, &nb_locals);
            ir_gen_setcond(b, (IRCond)(rnd() % IR_NB_CONDS), o, x, y);
        } else if (k < 77) {
            IRTempId in[4];
            for (int j = 0; j < 4; j++) {
                in[j] = pick_input(b, locals, nb_locals);
            }
            IRTempId o = pick_output(b, locals, &nb_locals);
            ir_gen_movcond(b, (IRCond)(rnd() % IR_NB_CONDS), o, in[0], in[1], in[2], in[3]);
        } else if (k < 85) {
            unsigned size = rnd() % 4;
            int64_t disp;
            IRTempId a = gen_address(b, locals, &nb_locals, size, &disp);
            IRTempId o = pick_output(b, locals, &nb_locals);
            ir_gen_ld_disp(b, o, a, disp, (IRMemOp)(size | (rnd() % 2 ? IR_MO_SIGN : 0)));
        } else if (k < 92) {
            unsigned size = rnd() % 4;
            int64_t disp;
            IRTempId a = gen_address(b, locals, &nb_locals, size, &disp);
            ir_gen_st_disp(b, pick_input(b, locals, nb_locals), a, disp, (IRMemOp)size);
        } else if (k < 94) {
            IRTempId args[3];
            for (int j = 0; j < 3; j++) {
                args[j] = pick_input(b, locals, nb_locals);
            }
            IRTempId o = pick_output(b, locals, &nb_locals);
            if (rnd() % 4) {
                for (int j = 0; j < 3; j++) {
                    if (rnd() % 2) {
                        args[j] = ir_const(b, fp_value());
                    }
                }
                uint64_t desc = rnd() % IR_FP_NB_KINDS | (rnd() % 2 ? IR_FP_DOUBLE : 0);
                IRFpKind kind = (IRFpKind)(desc & IR_FP_KIND_MASK);
                if (kind >= IR_FP_TO_W && rnd() % 2) {
                    desc |= IR_FP_RTZ;
                } else if (kind < IR_FP_EQ || kind > IR_FP_MAX) {
                    desc |= (rnd() % 2 ? IR_FP_DYN : 0) | (rnd() % 4 ? 0 : IR_FP_FAULTS);
                }
                ir_gen_fp(b, o, &test_fp_env, desc, args[0], args[1], args[2]);
            } else {
                ir_gen_call_leaf(b, o, &leaf_helper, args[0], args[1], args[2]);
            }
        } else if (k < 96) {
            /* if (cond) skip a few ops: locals die at the label */
            unsigned label = ir_new_label(b);
            IRTempId x = pick_input(b, locals, nb_locals), y = pick_input(b, locals, nb_locals);
            ir_gen_brcond(b, (IRCond)(rnd() % IR_NB_CONDS), x, y, label);
            nb_locals = 0;
            for (unsigned j = 0, n = 1 + rnd() % 4; j < n; j++) {
                IRTempId o = (IRTempId)(rnd() % LOOP_COUNTER);
                ir_gen_binary(b, binary_ops[rnd() % 6], o, (IRTempId)(rnd() % NB_REGS),
                              ir_const(b, interesting()));
            }
            ir_gen_label(b, label);
        } else if (k < 98) {
            /* A loop inside the block (brloop) running 1 to 4 times: the
             * counter is r10's upper half, so r10 is intact afterwards.
             * The body changes globals, loads and stores, and may skip. */
            uint64_t iters = 1 + rnd() % 4;
            ir_gen_binary(b, IR_add, LOOP_COUNTER, LOOP_COUNTER, ir_const(b, iters << 32));
            unsigned head = ir_new_label(b);
            ir_gen_label(b, head);
            ir_gen_insn_start(b, pc);
            uint64_t head_pc = pc;
            pc += 4;
            nb_locals = 0;
            for (unsigned j = 0, n = 1 + rnd() % 6; j < n; j++) {
                unsigned kind = rnd() % 8;
                if (kind < 5) {
                    IRTempId x = pick_input(b, locals, nb_locals);
                    IRTempId y = pick_input(b, locals, nb_locals);
                    IRTempId o = pick_output(b, locals, &nb_locals);
                    ir_gen_binary(b, binary_ops[rnd() % 6], o, x, y);
                } else if (kind == 5) {
                    unsigned size = rnd() % 4;
                    int64_t disp;
                    IRTempId a = gen_address(b, locals, &nb_locals, size, &disp);
                    ir_gen_ld_disp(b, pick_output(b, locals, &nb_locals), a, disp, (IRMemOp)size);
                } else if (kind == 6) {
                    unsigned size = rnd() % 4;
                    int64_t disp;
                    IRTempId a = gen_address(b, locals, &nb_locals, size, &disp);
                    ir_gen_st_disp(b, pick_input(b, locals, nb_locals), a, disp, (IRMemOp)size);
                } else {
                    unsigned skip = ir_new_label(b);
                    ir_gen_brcond(b, (IRCond)(rnd() % IR_NB_CONDS),
                                  pick_input(b, locals, nb_locals),
                                  pick_input(b, locals, nb_locals), skip);
                    nb_locals = 0;
                    ir_gen_binary(b, IR_xor, (IRTempId)(rnd() % LOOP_COUNTER),
                                  (IRTempId)(rnd() % NB_REGS), ir_const(b, interesting()));
                    ir_gen_label(b, skip);
                }
            }
            ir_gen_binary(b, IR_sub, LOOP_COUNTER, LOOP_COUNTER, ir_const(b, 1ull << 32));
            ir_gen_brloop(b, IR_COND_GEU, LOOP_COUNTER, ir_const(b, 1ull << 32), head, head_pc);
            nb_locals = 0;
        } else {
            IRTempId args[3];
            for (int j = 0; j < 3; j++) {
                args[j] = pick_input(b, locals, nb_locals);
            }
            nb_locals = 0;
            IRTempId o = (IRTempId)(rnd() % LOOP_COUNTER);
            ir_gen_call(b, o, &mix_helper, args[0], args[1], args[2]);
        }
    }
    if (rnd() % 3 == 0) {
        /* A self-loop, as for `1: ...; addi c, c, -1; bnez c, 1b`: the JIT
         * keeps looping inside the block, the interpreter returns through
         * slot 0 each time and run_on re-enters it. */
        unsigned again = ir_new_label(b);
        ir_gen_binary(b, IR_sub, LOOP_COUNTER, LOOP_COUNTER, ir_const(b, 1));
        ir_gen_brcond(b, IR_COND_NE, LOOP_COUNTER, ir_const(b, 0), again);
        ir_gen_mov(b, NB_REGS, ir_const(b, 0x9000));
        ir_gen_goto_tb(b, 1);
        ir_gen_label(b, again);
        ir_gen_mov(b, NB_REGS, ir_const(b, BLOCK_PC));
        ir_gen_goto_tb(b, 0);
        return;
    }
    ir_gen_mov(b, NB_REGS, ir_const(b, 0x9000)); /* pc */
    ir_gen_exit_tb(b, EXCP_SYSCALL);
}

typedef struct Outcome {
    TestCPU cpu;
    uint8_t page[4096];
} Outcome;

/* Runs block b on backend be. A JIT block is entered in the TB cache (which
 * owns and frees it at the next flush) so that a host fault inside it can be
 * mapped back to its fault sites; an interpreted block is freed here. */
static void run_on(const Backend *be, IRBlock *b, const TestCPU *init, const uint8_t *mem,
                   Outcome *out)
{
    static TestCPU cpu;
    sigjmp_buf jb;
    TranslationBlock *tb = calloc(1, sizeof(*tb));
    assert_non_null(tb);
    tb->pc = BLOCK_PC;
    tb->jmp_patch[0] = tb->jmp_patch[1] = TB_NO_OFFSET;
    assert_int_equal(be->gen(tb, b), 0);
    bool cached = be == &backend_x86_64;
    if (cached) {
        tb_cache_insert(tb);
        if (getenv("MIMIC_BACKEND_DIFF_DISAS")) {
            host_disas_log(tb);
        }
    }
    cpu = *init;
    memcpy(window, mem, 4096);
    current_cpu = &cpu;
    cpu.cs.fault_jmp = &jb;
    if (sigsetjmp(jb, 1) == 0) {
        uintptr_t r;
        do {
            r = be->exec(&cpu.cs, tb);
        } while ((r & TB_EXIT_MASK) == TB_EXIT_SLOT0 && cpu.cs.pc == BLOCK_PC);
    }
    cpu.cs.fault_jmp = NULL;
    cpu.cs.in_helper_access = 0;
    out->cpu = cpu;
    memcpy(out->page, window, 4096);
    if (!cached) {
        if (be->free_tb) {
            be->free_tb(tb);
        }
        free(tb);
    }
}

static void check_seed(IRBlock *b, uint64_t seed, unsigned nb_ops)
{
    static Outcome jit, interp;
    static uint8_t mem[4096];
    TestCPU init;
    rng = seed * 0x9e3779b97f4a7c15ull + 1;
    memset(&init, 0, sizeof(init));
    for (int i = 0; i < NB_REGS; i++) {
        init.r[i] = interesting();
    }
    for (int i = 0; i < NB_REGS; i++) {
        if (rnd() % 2) {
            init.r[i] = fp_value();
        }
    }
    init.r[LOOP_COUNTER] = 1 + rnd() % 4;
    init.fflags = rnd() % 4 ? 1 : 0;
    init.frm = rnd() % 4 ? 0 : rnd() % 2 ? 7 : 1 + rnd() % 4;
    for (int i = 0; i < 4096; i++) {
        mem[i] = (uint8_t)rnd();
    }
    gen_block(b, nb_ops);
    char err[200];
    if (ir_validate(b, err, sizeof(err)) < 0) {
        fail_msg("seed %llu: generator made invalid IR: %s", (unsigned long long)seed, err);
    }
    if (seed % 2) {
        ir_optimize(b);
    }
    ir_liveness(b);
    run_on(&backend_interp, b, &init, mem, &interp);
    run_on(&backend_x86_64, b, &init, mem, &jit);
    bool same = interp.cpu.cs.pc == jit.cpu.cs.pc && interp.cpu.cs.exit_code == jit.cpu.cs.exit_code &&
                memcmp(interp.cpu.r, jit.cpu.r, sizeof(jit.cpu.r)) == 0 &&
                interp.cpu.side == jit.cpu.side && interp.cpu.fflags == jit.cpu.fflags &&
                memcmp(interp.page, jit.page, sizeof(jit.page)) == 0;
    if (same && interp.cpu.cs.exit_code == EXCP_SEGV) {
        same = interp.cpu.cs.fault_addr == jit.cpu.cs.fault_addr;
    }
    if (!same) {
        fprintf(stderr, "fflags interp=%x jit=%x\n", interp.cpu.fflags, jit.cpu.fflags);
        fprintf(stderr, "seed %llu: interp pc=%llx exit=%u fault=%llx | jit pc=%llx exit=%u fault=%llx\n",
                (unsigned long long)seed, (unsigned long long)interp.cpu.cs.pc, interp.cpu.cs.exit_code,
                (unsigned long long)interp.cpu.cs.fault_addr, (unsigned long long)jit.cpu.cs.pc,
                jit.cpu.cs.exit_code, (unsigned long long)jit.cpu.cs.fault_addr);
        for (int i = 0; i < NB_REGS; i++) {
            fprintf(stderr, "  r%d interp=%016llx jit=%016llx%s\n", i,
                    (unsigned long long)interp.cpu.r[i], (unsigned long long)jit.cpu.r[i],
                    interp.cpu.r[i] != jit.cpu.r[i] ? "  <--" : "");
        }
        ir_dump(b, stderr);
        fail_msg("JIT and interpreter differ for seed %llu", (unsigned long long)seed);
    }
}

/* cmocka installs its own SIGSEGV handler around each test, so ours goes
 * in here, inside the test. */
static void install_fault_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = host_fault_handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
}

static void test_random_blocks(void **state)
{
    IRBlock b;
    install_fault_handler();
    ir_block_init(&b, globals, NB_REGS + 1);
    const char *env_seeds = getenv("MIMIC_BACKEND_DIFF_SEEDS");
    const char *env_first = getenv("MIMIC_BACKEND_DIFF_FIRST");
    unsigned nb_seeds = env_seeds ? (unsigned)atoi(env_seeds) : 20000;
    uint64_t first = env_first ? (uint64_t)atoll(env_first) : 1;
    for (uint64_t seed = first; seed < first + nb_seeds; seed++) {
        check_seed(&b, seed, 5 + (unsigned)(seed % 120));
        if (seed % 500 == 0) {
            exec_tb_flush();
        }
    }
    ir_block_destroy(&b);
}

static int setup(void **state)
{
    static char names[NB_REGS][8];
    for (int i = 0; i < NB_REGS; i++) {
        snprintf(names[i], sizeof(names[i]), "r%d", i);
        globals[i] = (IRGlobalDef){ names[i], (int32_t)offsetof(TestCPU, r[i]) };
    }
    globals[NB_REGS] = (IRGlobalDef){ "pc", (int32_t)offsetof(CPUState, pc) };
    long page = sysconf(_SC_PAGESIZE);
    uint8_t *map = mmap(NULL, (size_t)page * (GUARD_PAGES + WINDOW_PAGES + GUARD_PAGES), PROT_NONE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(map != MAP_FAILED);
    window = map + (size_t)page * GUARD_PAGES;
    mprotect(window, (size_t)page, PROT_READ | PROT_WRITE);
    guest_base = (uintptr_t)window;
    guest_limit = (uint64_t)page * WINDOW_PAGES;
    ExecConfig cfg = { .backend = &backend_x86_64, .target = &test_target };
    exec_init(&cfg);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_blocks),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
