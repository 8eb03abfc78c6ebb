/*
 * helper-atomic.c — LR/SC and AMO helpers on host atomics, and the full
 * barrier of a fence that orders stores before loads.
 *
 * The one thing to know: the guest address is checked (alignment, inside the
 * guest window; in system mode, the soft MMU's translation) before any host
 * access, and the access itself is bracketed
 * by cs.in_helper_access so that a host fault on an unmapped guest page is
 * turned into a guest SIGSEGV at the instruction's pc.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>

#include "target/riscv64/cpu.h"
#include "target/riscv64/helper.h"

static _Noreturn void riscv_raise_fault(RISCVCPU *cpu, uint64_t addr, Excp excp, int code)
{
    cpu->cs.fault_addr = addr;
    cpu->cs.fault_code = code;
    cpu->cs.exit_code = excp;
    if (!cpu->cs.fault_jmp) {
        abort(); /* the exec loop always installs a landing pad */
    }
    siglongjmp(*cpu->cs.fault_jmp, 1);
}

/* Checks a naturally aligned access of 1 << size_log2 bytes at addr. */
static void riscv_check_atomic(RISCVCPU *cpu, uint64_t addr, unsigned size_log2)
{
    uint64_t size = 1ull << size_log2;
    if (addr & (size - 1)) {
        riscv_raise_fault(cpu, addr, EXCP_BUS, BUS_ADRALN);
    }
    if (addr >= guest_limit || guest_limit - addr < size) {
        riscv_raise_fault(cpu, addr, EXCP_SEGV, SEGV_MAPERR);
    }
}

/* Host address of an atomic access (checked, or the exception raised). */
static void *riscv_atomic_ptr(RISCVCPU *cpu, uint64_t addr, unsigned size_log2, bool store)
{
    if (cpu->sys) {
        return cpu->sys->atomic_ptr(cpu, addr, 1u << size_log2, store);
    }
    riscv_check_atomic(cpu, addr, size_log2);
    return g2h(addr);
}

static uint64_t riscv_sext_result(uint64_t v, unsigned size_log2)
{
    return size_log2 == 2 ? (uint64_t)(int64_t)(int32_t)v : v;
}

static uint64_t riscv_do_lr(void *env, uint64_t addr, uint64_t size_log2, uint64_t unused)
{
    RISCVCPU *cpu = env;
    unsigned sz = size_log2 == 2 ? 2 : 3;
    uint64_t v;
    void *p = riscv_atomic_ptr(cpu, addr, sz, false);
    cpu->cs.in_helper_access = 1;
    if (sz == 2) {
        v = __atomic_load_n((uint32_t *)p, __ATOMIC_ACQUIRE);
    } else {
        v = __atomic_load_n((uint64_t *)p, __ATOMIC_ACQUIRE);
    }
    cpu->cs.in_helper_access = 0;
    cpu->res_addr = addr;
    cpu->res_val = v;
    return riscv_sext_result(v, sz);
}

static uint64_t riscv_do_sc(void *env, uint64_t addr, uint64_t val, uint64_t size_log2)
{
    RISCVCPU *cpu = env;
    unsigned sz = size_log2 == 2 ? 2 : 3;
    bool ok;
    void *p = riscv_atomic_ptr(cpu, addr, sz, true);
    if (cpu->res_addr != addr) {
        cpu->res_addr = UINT64_MAX;
        return 1;
    }
    cpu->res_addr = UINT64_MAX;
    cpu->cs.in_helper_access = 1;
    if (sz == 2) {
        uint32_t expected = (uint32_t)cpu->res_val;
        ok = __atomic_compare_exchange_n((uint32_t *)p, &expected, (uint32_t)val, false,
                                         __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    } else {
        uint64_t expected = cpu->res_val;
        ok = __atomic_compare_exchange_n((uint64_t *)p, &expected, val, false,
                                         __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    }
    cpu->cs.in_helper_access = 0;
    return ok ? 0 : 1;
}

/* New memory value for a read-modify-write AMO (operands at access width). */
static uint64_t riscv_amo_compute(RVAmoOp op, uint64_t old, uint64_t val, unsigned sz)
{
    int64_t sold = (int64_t)riscv_sext_result(old, sz);
    int64_t sval = (int64_t)riscv_sext_result(val, sz);
    uint64_t mask = sz == 2 ? UINT32_MAX : UINT64_MAX;
    switch (op) {
    case RV_AMO_MIN:
        return sold < sval ? old : val;
    case RV_AMO_MAX:
        return sold > sval ? old : val;
    case RV_AMO_MINU:
        return (old & mask) < (val & mask) ? old : val;
    case RV_AMO_MAXU:
        return (old & mask) > (val & mask) ? old : val;
    default:
        return val;
    }
}

static uint64_t riscv_amo32(RVAmoOp op, uint32_t *p, uint32_t val)
{
    switch (op) {
    case RV_AMO_SWAP:
        return __atomic_exchange_n(p, val, __ATOMIC_SEQ_CST);
    case RV_AMO_ADD:
        return __atomic_fetch_add(p, val, __ATOMIC_SEQ_CST);
    case RV_AMO_XOR:
        return __atomic_fetch_xor(p, val, __ATOMIC_SEQ_CST);
    case RV_AMO_AND:
        return __atomic_fetch_and(p, val, __ATOMIC_SEQ_CST);
    case RV_AMO_OR:
        return __atomic_fetch_or(p, val, __ATOMIC_SEQ_CST);
    default: {
        uint32_t old = __atomic_load_n(p, __ATOMIC_RELAXED);
        uint32_t next;
        do {
            next = (uint32_t)riscv_amo_compute(op, old, val, 2);
        } while (!__atomic_compare_exchange_n(p, &old, next, true, __ATOMIC_SEQ_CST,
                                              __ATOMIC_RELAXED));
        return old;
    }
    }
}

static uint64_t riscv_amo64(RVAmoOp op, uint64_t *p, uint64_t val)
{
    switch (op) {
    case RV_AMO_SWAP:
        return __atomic_exchange_n(p, val, __ATOMIC_SEQ_CST);
    case RV_AMO_ADD:
        return __atomic_fetch_add(p, val, __ATOMIC_SEQ_CST);
    case RV_AMO_XOR:
        return __atomic_fetch_xor(p, val, __ATOMIC_SEQ_CST);
    case RV_AMO_AND:
        return __atomic_fetch_and(p, val, __ATOMIC_SEQ_CST);
    case RV_AMO_OR:
        return __atomic_fetch_or(p, val, __ATOMIC_SEQ_CST);
    default: {
        uint64_t old = __atomic_load_n(p, __ATOMIC_RELAXED);
        uint64_t next;
        do {
            next = riscv_amo_compute(op, old, val, 3);
        } while (!__atomic_compare_exchange_n(p, &old, next, true, __ATOMIC_SEQ_CST,
                                              __ATOMIC_RELAXED));
        return old;
    }
    }
}

static uint64_t riscv_do_amo(void *env, uint64_t addr, uint64_t val, uint64_t desc)
{
    RISCVCPU *cpu = env;
    RVAmoOp op = (RVAmoOp)(desc & 0xff);
    unsigned sz = (desc >> 8) == 2 ? 2 : 3;
    uint64_t old;
    void *p = riscv_atomic_ptr(cpu, addr, sz, true);
    cpu->cs.in_helper_access = 1;
    if (sz == 2) {
        old = riscv_amo32(op, (uint32_t *)p, (uint32_t)val);
    } else {
        old = riscv_amo64(op, (uint64_t *)p, val);
    }
    cpu->cs.in_helper_access = 0;
    return riscv_sext_result(old, sz);
}

/* A fence that orders earlier stores before later loads (trans_fence). */
static uint64_t riscv_do_full_barrier(void *env, uint64_t a, uint64_t b, uint64_t c)
{
    (void)env, (void)a, (void)b, (void)c;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return 0;
}

const IRHelper riscv_helper_lr = { "lr", riscv_do_lr };
const IRHelper riscv_helper_sc = { "sc", riscv_do_sc };
const IRHelper riscv_helper_amo = { "amo", riscv_do_amo };
const IRHelper riscv_helper_full_barrier = { "full_barrier", riscv_do_full_barrier };
