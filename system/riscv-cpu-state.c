/*
 * riscv-cpu-state.c — a RISC-V hart's machine state for snapshots and
 * migration: every integer and FP register, pc, privilege and every CSR
 * (Sstc stimecmp and PMP included).
 *
 * The one thing to know: a load checks what the ISA or the hart's own
 * identity constrains (privilege, hart id, rounding mode, satp mode, MPP)
 * and clears the LR reservation; values the CSR code would have masked are
 * taken as they are, as a guest could have written them.
 */
#include "migration/vmstate.h"
#include "system/riscv-cpu-state.h"
#include "target/riscv64/mmu.h"

void riscv_cpu_state_save(void *obj, MigWriter *w)
{
    const RISCVCPU *c = obj;
    const RISCVPrivState *s = &c->priv;
    for (unsigned i = 0; i < 32; i++) {
        mig_put_u64(w, c->x[i]);
    }
    for (unsigned i = 0; i < 32; i++) {
        mig_put_u64(w, c->f[i]);
    }
    mig_put_u32(w, c->fflags);
    mig_put_u32(w, c->frm);
    mig_put_u64(w, c->cs.pc);
    mig_put_u64(w, c->instret);
    mig_put_u8(w, s->priv);
    uint64_t csrs[] = {
        s->mhartid, s->mstatus, s->medeleg, s->mideleg, s->mie, s->mip_sw, s->mip_hw,
        s->mtvec, s->mscratch, s->mepc, s->mcause, s->mtval, s->stvec, s->sscratch, s->sepc,
        s->scause, s->stval, s->satp, s->mcounteren, s->scounteren, s->mcountinhibit,
        s->menvcfg, s->senvcfg, s->stimecmp,
    };
    for (size_t i = 0; i < sizeof(csrs) / sizeof(csrs[0]); i++) {
        mig_put_u64(w, csrs[i]);
    }
    mig_put_bytes(w, s->pmpcfg, RISCV_PMP_ENTRIES);
    for (unsigned i = 0; i < RISCV_PMP_ENTRIES; i++) {
        mig_put_u64(w, s->pmpaddr[i]);
    }
}

int riscv_cpu_state_load(void *obj, MigReader *r, uint32_t version, char *err, size_t errlen)
{
    RISCVCPU *c = obj;
    RISCVPrivState *s = &c->priv;
    uint64_t hartid = s->mhartid;
    for (unsigned i = 0; i < 32; i++) {
        c->x[i] = mig_get_u64(r);
    }
    c->x[0] = 0;
    for (unsigned i = 0; i < 32; i++) {
        c->f[i] = mig_get_u64(r);
    }
    c->fflags = mig_get_u32(r);
    c->frm = mig_get_u32(r);
    c->cs.pc = mig_get_u64(r);
    c->instret = mig_get_u64(r);
    s->priv = mig_get_u8(r);
    uint64_t *csrs[] = {
        &s->mhartid, &s->mstatus, &s->medeleg, &s->mideleg, &s->mie, &s->mip_sw, &s->mip_hw,
        &s->mtvec, &s->mscratch, &s->mepc, &s->mcause, &s->mtval, &s->stvec, &s->sscratch,
        &s->sepc, &s->scause, &s->stval, &s->satp, NULL, NULL, NULL,
        &s->menvcfg, &s->senvcfg, &s->stimecmp,
    };
    uint64_t counters[3];
    for (size_t i = 0; i < sizeof(csrs) / sizeof(csrs[0]); i++) {
        uint64_t v = mig_get_u64(r);
        if (csrs[i]) {
            *csrs[i] = v;
        } else {
            counters[i - 18] = v;
        }
    }
    mig_get_bytes(r, s->pmpcfg, RISCV_PMP_ENTRIES);
    for (unsigned i = 0; i < RISCV_PMP_ENTRIES; i++) {
        s->pmpaddr[i] = mig_get_u64(r);
    }
    if (mig_reader_failed(r)) {
        return 0;
    }
    unsigned mode = (unsigned)(s->satp >> 60);
    if (s->mhartid != hartid || (s->priv != PRV_U && s->priv != PRV_S && s->priv != PRV_M) ||
        c->frm > 7 || c->fflags > 31 || (c->cs.pc & 1) ||
        ((s->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT) == 2 ||
        (mode != RISCV_SATP_BARE && mode != RISCV_SATP_SV39 && mode != RISCV_SATP_SV48 &&
         mode != RISCV_SATP_SV57) ||
        counters[0] > UINT32_MAX || counters[1] > UINT32_MAX || counters[2] > UINT32_MAX) {
        return mig_bad(err, errlen, "cpu", "hart id, privilege, pc or a CSR");
    }
    s->mcounteren = (uint32_t)counters[0];
    s->scounteren = (uint32_t)counters[1];
    s->mcountinhibit = (uint32_t)counters[2];
    c->res_addr = (uint64_t)-1; /* no reservation survives */
    return 0;
}
