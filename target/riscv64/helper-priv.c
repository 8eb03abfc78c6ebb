/*
 * helper-priv.c — helpers behind the privileged instructions and the CSR
 * instructions of system mode, on the hart state of priv.c.
 *
 * The one thing to know: a change that alters what the soft TLB holds
 * (satp, MXR, PMP, sfence.vma) flushes it; any change
 * that may unmask an interrupt sets exit_request so the exec loop looks at
 * interrupts before the next block. Exceptions go through sys->raise with
 * the pc the translator stored before the call.
 */
#include <string.h>

#include "target/riscv64/cpu.h"
#include "target/riscv64/helper.h"

enum {
    CSR_FFLAGS = 0x001,
    CSR_FRM = 0x002,
    CSR_FCSR = 0x003,
    CSR_CYCLE = 0xc00,
    CSR_TIME = 0xc01,
    CSR_INSTRET = 0xc02,
    CSR_MCYCLE = 0xb00,
    CSR_MINSTRET = 0xb02,
    CSR_SATP = 0x180,
    CSR_MIP = 0x344,
    CSR_SIP = 0x144,
};

static unsigned mode_of(unsigned priv, uint64_t mstatus)
{
    if (priv == PRV_M) {
        return RISCV_MODE_M;
    }
    if (priv == PRV_U) {
        return RISCV_MODE_U;
    }
    return (mstatus & MSTATUS_SUM) ? RISCV_MODE_S_SUM : RISCV_MODE_S;
}

unsigned riscv_data_mode(const RISCVCPU *cpu)
{
    const RISCVPrivState *s = &cpu->priv;
    unsigned priv = s->priv;
    if (priv == PRV_M && (s->mstatus & MSTATUS_MPRV)) {
        priv = (unsigned)((s->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT);
    }
    return mode_of(priv, s->mstatus);
}

unsigned riscv_fetch_mode(const RISCVCPU *cpu)
{
    return mode_of(cpu->priv.priv, cpu->priv.mstatus);
}

uint32_t riscv_tb_flags(const RISCVCPU *cpu)
{
    return RISCV_TBFLAG_SYSTEM | (uint32_t)cpu->priv.priv << RISCV_TBFLAG_PRIV_SHIFT |
           riscv_data_mode(cpu) << RISCV_TBFLAG_MODE_SHIFT |
           (uint32_t)((cpu->priv.mstatus & MSTATUS_FS) >> 13) << RISCV_TBFLAG_FS_SHIFT;
}

static _Noreturn void raise_illegal(RISCVCPU *cpu)
{
    cpu->sys->raise(cpu, RISCV_EXCP_ILLEGAL_INST, 0);
}

void riscv_sys_tlb_flush(RISCVCPU *cpu)
{
    /* The jump cache needs nothing: its entries are checked against the
     * full TB key, whose physical address comes from this TLB. */
    softmmu_tlb_flush(&cpu->tlb);
}

static uint64_t apply(RVCsrOp op, uint64_t old, uint64_t value)
{
    switch (op) {
    case RV_CSR_WRITE: return value;
    case RV_CSR_SET: return old | value;
    case RV_CSR_CLEAR: return old & ~value;
    default: return old;
    }
}

static bool fp_csr(unsigned csr)
{
    return csr >= CSR_FFLAGS && csr <= CSR_FCSR;
}

/* The unprivileged CSRs: FP status (FS must be on) and the counters
 * (mcounteren / scounteren gate them below M). */
static uint64_t user_csr(RISCVCPU *cpu, unsigned csr, uint64_t value, RVCsrOp op)
{
    RISCVPrivState *s = &cpu->priv;
    if (fp_csr(csr)) {
        if (!(s->mstatus & MSTATUS_FS)) {
            raise_illegal(cpu);
        }
        uint64_t old = csr == CSR_FFLAGS ? cpu->fflags
                     : csr == CSR_FRM    ? cpu->frm
                                         : ((uint64_t)cpu->frm << 5 | cpu->fflags);
        if (op != RV_CSR_READ) {
            uint64_t v = apply(op, old, value);
            if (csr == CSR_FFLAGS) {
                cpu->fflags = (uint32_t)v & 0x1f;
            } else if (csr == CSR_FRM) {
                cpu->frm = (uint32_t)v & 7;
            } else {
                cpu->fflags = (uint32_t)v & 0x1f;
                cpu->frm = (uint32_t)(v >> 5) & 7;
            }
            s->mstatus |= MSTATUS_FS;
        }
        return old;
    }
    unsigned counter = csr & 0x1f;
    bool is_counter = (csr >= CSR_CYCLE && csr <= CSR_INSTRET);
    bool is_mcounter = csr == CSR_MCYCLE || csr == CSR_MINSTRET;
    if (!is_counter && !is_mcounter) {
        raise_illegal(cpu);
    }
    if (is_counter) {
        if (op != RV_CSR_READ) {
            raise_illegal(cpu);
        }
        if ((s->priv < PRV_M && !(s->mcounteren & (1u << counter))) ||
            (s->priv == PRV_U && !(s->scounteren & (1u << counter)))) {
            raise_illegal(cpu);
        }
    } else if (s->priv != PRV_M) {
        raise_illegal(cpu);
    }
    /* cycle and instret count time too: there is no cycle model. */
    return cpu->sys->read_time(cpu);
}

static uint64_t riscv_do_csr_sys(void *env, uint64_t csr64, uint64_t value, uint64_t op64)
{
    RISCVCPU *cpu = env;
    RISCVPrivState *s = &cpu->priv;
    unsigned csr = (unsigned)csr64;
    RVCsrOp op = (RVCsrOp)op64;
    if (op != RV_CSR_READ && (csr >> 10) == 3) {
        raise_illegal(cpu); /* read-only CSR */
    }
    uint64_t old;
    int r = riscv_priv_csr_read(s, csr, &old);
    if (r == RISCV_CSR_NOT_PRIV) {
        return user_csr(cpu, csr, value, op);
    }
    if (r != RISCV_CSR_OK) {
        raise_illegal(cpu);
    }
    if (op == RV_CSR_READ) {
        return old;
    }
    uint64_t satp = s->satp, mxr = s->mstatus & MSTATUS_MXR;
    uint8_t pmpcfg[RISCV_PMP_ENTRIES];
    uint64_t pmpaddr[RISCV_PMP_ENTRIES];
    memcpy(pmpcfg, s->pmpcfg, sizeof(pmpcfg));
    memcpy(pmpaddr, s->pmpaddr, sizeof(pmpaddr));
    /* The read-modify-write of mip and sip starts from the software-written
     * bits only: a pending device interrupt (SEIP, MTIP...) that reads as
     * 1 must not be written back as a software bit, where it would stay
     * set after the device lowers its line. */
    uint64_t base = old;
    if (csr == CSR_MIP || csr == CSR_SIP) {
        base = s->mip_sw & (csr == CSR_SIP ? s->mideleg : ~0ull);
    }
    bool flush = false;
    if (riscv_priv_csr_write(s, csr, apply(op, base, value), &flush) != RISCV_CSR_OK) {
        raise_illegal(cpu);
    }
    if (satp != s->satp || mxr != (s->mstatus & MSTATUS_MXR) ||
        memcmp(pmpcfg, s->pmpcfg, sizeof(pmpcfg)) || memcmp(pmpaddr, s->pmpaddr, sizeof(pmpaddr))) {
        riscv_sys_tlb_flush(cpu);
    }
    if (flush) {
        cpu->cs.exit_request = 1;
    }
    return old;
}

static uint64_t riscv_do_xret(RISCVCPU *cpu, uint64_t next)
{
    if (next == UINT64_MAX) {
        raise_illegal(cpu);
    }
    cpu->cs.exit_request = 1; /* interrupts may be enabled again */
    return next;
}

static uint64_t riscv_do_sret(void *env, uint64_t a, uint64_t b, uint64_t c)
{
    RISCVCPU *cpu = env;
    return riscv_do_xret(cpu, riscv_priv_sret(&cpu->priv));
}

static uint64_t riscv_do_mret(void *env, uint64_t a, uint64_t b, uint64_t c)
{
    RISCVCPU *cpu = env;
    return riscv_do_xret(cpu, riscv_priv_mret(&cpu->priv));
}

static uint64_t riscv_do_wfi(void *env, uint64_t a, uint64_t b, uint64_t c)
{
    RISCVCPU *cpu = env;
    if (!riscv_priv_wfi_allowed(&cpu->priv)) {
        raise_illegal(cpu);
    }
    return 0;
}

/* sfence.vma: a = rs1's value, b = whether rs1 is not x0 (one address). */
static uint64_t riscv_do_sfence_vma(void *env, uint64_t a, uint64_t b, uint64_t c)
{
    RISCVCPU *cpu = env;
    if (!riscv_priv_sfence_allowed(&cpu->priv)) {
        raise_illegal(cpu);
    }
    if (b) {
        softmmu_tlb_flush_page(&cpu->tlb, a);
    } else {
        riscv_sys_tlb_flush(cpu);
    }
    return 0;
}

static uint64_t riscv_do_fs_dirty(void *env, uint64_t a, uint64_t b, uint64_t c)
{
    RISCVCPU *cpu = env;
    cpu->priv.mstatus |= MSTATUS_FS;
    return 0;
}

static uint64_t riscv_do_fence_i(void *env, uint64_t a, uint64_t b, uint64_t c)
{
    exec_code_sync();
    return 0;
}

const IRHelper riscv_helper_csr_sys = { "csr_sys", riscv_do_csr_sys };
const IRHelper riscv_helper_fence_i = { "fence_i", riscv_do_fence_i };
const IRHelper riscv_helper_sret = { "sret", riscv_do_sret };
const IRHelper riscv_helper_mret = { "mret", riscv_do_mret };
const IRHelper riscv_helper_wfi = { "wfi", riscv_do_wfi };
const IRHelper riscv_helper_sfence_vma = { "sfence_vma", riscv_do_sfence_vma };
const IRHelper riscv_helper_fs_dirty = { "fs_dirty", riscv_do_fs_dirty };
