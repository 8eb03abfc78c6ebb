/*
 * helper-csr.c — the CSRs a user-mode program may touch: the cycle, time and
 * instret counters (read-only) and the FP status registers fflags, frm, fcsr.
 *
 * The one thing to know: the translator has already rejected every other
 * CSR and every write to a counter, so this helper never sees them. time
 * counts at 10 MHz (the usual RISC-V Linux timebase); cycle and instret count
 * host nanoseconds.
 */
#include <time.h>

#include "target/riscv64/cpu.h"
#include "target/riscv64/helper.h"

enum {
    RV_CSR_FFLAGS = 0x001,
    RV_CSR_FRM = 0x002,
    RV_CSR_FCSR = 0x003,
    RV_CSR_CYCLE = 0xc00,
    RV_CSR_TIME = 0xc01,
    RV_CSR_INSTRET = 0xc02,
};

static uint64_t riscv_host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t riscv_csr_apply(RVCsrOp op, uint64_t old, uint64_t value)
{
    switch (op) {
    case RV_CSR_WRITE:
        return value;
    case RV_CSR_SET:
        return old | value;
    case RV_CSR_CLEAR:
        return old & ~value;
    default:
        return old;
    }
}

static uint64_t riscv_do_csr(void *env, uint64_t csr, uint64_t value, uint64_t op)
{
    RISCVCPU *cpu = env;
    uint64_t old;
    switch (csr) {
    case RV_CSR_CYCLE:
    case RV_CSR_INSTRET:
        return riscv_host_ns();
    case RV_CSR_TIME:
        return riscv_host_ns() / 100;
    case RV_CSR_FFLAGS:
        old = cpu->fflags;
        cpu->fflags = (uint32_t)riscv_csr_apply((RVCsrOp)op, old, value) & 0x1f;
        return old;
    case RV_CSR_FRM:
        old = cpu->frm;
        cpu->frm = (uint32_t)riscv_csr_apply((RVCsrOp)op, old, value) & 0x7;
        return old;
    case RV_CSR_FCSR: {
        old = (uint64_t)cpu->frm << 5 | cpu->fflags;
        uint64_t next = riscv_csr_apply((RVCsrOp)op, old, value);
        cpu->fflags = (uint32_t)next & 0x1f;
        cpu->frm = (uint32_t)(next >> 5) & 0x7;
        return old;
    }
    default:
        return 0;
    }
}

const IRHelper riscv_helper_csr = { "csr", riscv_do_csr };
