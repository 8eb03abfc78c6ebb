/*
 * priv.c — machine and supervisor CSRs, traps, xRET and interrupt
 * selection (RISC-V privileged specification, machine and supervisor
 * chapters; Sstc for stimecmp).
 *
 * The one thing to know: every CSR write goes through a mask of the bits
 * that exist (WARL): mstatus has no VS/XS/UBE and fixed UXL/SXL = 64, MPP
 * never holds the reserved value 2, satp ignores writes of unsupported
 * modes, xtvec keeps only direct and vectored modes, xepc bit 0 is 0, and
 * the S-level views (sstatus, sie, sip) are the M-level registers seen
 * through the supervisor's mask and mideleg.
 */
#include "target/riscv64/priv.h"

enum {
    CSR_SSTATUS = 0x100,
    CSR_SIE = 0x104,
    CSR_STVEC = 0x105,
    CSR_SCOUNTEREN = 0x106,
    CSR_SENVCFG = 0x10a,
    CSR_SSCRATCH = 0x140,
    CSR_SEPC = 0x141,
    CSR_SCAUSE = 0x142,
    CSR_STVAL = 0x143,
    CSR_SIP = 0x144,
    CSR_STIMECMP = 0x14d,
    CSR_SATP = 0x180,
    CSR_MSTATUS = 0x300,
    CSR_MISA = 0x301,
    CSR_MEDELEG = 0x302,
    CSR_MIDELEG = 0x303,
    CSR_MIE = 0x304,
    CSR_MTVEC = 0x305,
    CSR_MCOUNTEREN = 0x306,
    CSR_MENVCFG = 0x30a,
    CSR_MCOUNTINHIBIT = 0x320,
    CSR_MSCRATCH = 0x340,
    CSR_MEPC = 0x341,
    CSR_MCAUSE = 0x342,
    CSR_MTVAL = 0x343,
    CSR_MIP = 0x344,
    CSR_PMPCFG0 = 0x3a0,
    CSR_PMPCFG2 = 0x3a2,
    CSR_PMPADDR0 = 0x3b0,
    CSR_MVENDORID = 0xf11,
    CSR_MARCHID = 0xf12,
    CSR_MIMPID = 0xf13,
    CSR_MHARTID = 0xf14,
    CSR_MCONFIGPTR = 0xf15,
};

/* RV64 with A, C, D, F, I, M, S, U. */
#define MISA_VALUE ((2ull << 62) | (1u << 0) | (1u << 2) | (1u << 3) | (1u << 5) | (1u << 8) | \
                    (1u << 12) | (1u << 18) | (1u << 20))
#define MSTATUS_UXL_SXL ((2ull << 32) | (2ull << 34))
#define MSTATUS_WRITABLE (MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP | \
                          MSTATUS_MPP | MSTATUS_FS | MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR | \
                          MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR)
#define SSTATUS_VISIBLE (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | \
                         MSTATUS_MXR | (3ull << 32) | MSTATUS_SD)
#define SSTATUS_WRITABLE (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | \
                          MSTATUS_MXR)
#define ALL_INTERRUPTS ((1u << IRQ_S_SOFT) | (1u << IRQ_M_SOFT) | (1u << IRQ_S_TIMER) | \
                        (1u << IRQ_M_TIMER) | (1u << IRQ_S_EXT) | (1u << IRQ_M_EXT))
#define S_INTERRUPTS ((1u << IRQ_S_SOFT) | (1u << IRQ_S_TIMER) | (1u << IRQ_S_EXT))
/* Exceptions S-mode may handle: all but ecall from M and the reserved ones. */
#define DELEGABLE_EXCEPTIONS 0xb3ffull
#define SATP_MODE_SHIFT 60
#define SATP_ASID_PPN_MASK ((0xffffull << 44) | ((1ull << 44) - 1))

void riscv_priv_reset(RISCVPrivState *s, uint64_t hartid)
{
    *s = (RISCVPrivState){ .priv = PRV_M, .mhartid = hartid, .mstatus = MSTATUS_UXL_SXL };
}

uint64_t riscv_priv_mip(const RISCVPrivState *s)
{
    return s->mip_sw | s->mip_hw;
}

void riscv_priv_set_irq(RISCVPrivState *s, unsigned irq, bool level)
{
    if (irq < 64) {
        s->mip_hw = level ? s->mip_hw | (1ull << irq) : s->mip_hw & ~(1ull << irq);
    }
}

static uint64_t mstatus_read(const RISCVPrivState *s)
{
    uint64_t v = s->mstatus;
    return (v & MSTATUS_FS) == MSTATUS_FS ? v | MSTATUS_SD : v;
}

static void mstatus_write(RISCVPrivState *s, uint64_t v, uint64_t writable)
{
    if (((v & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT) == 2) {
        v = (v & ~MSTATUS_MPP) | (s->mstatus & MSTATUS_MPP); /* reserved: keep the old value */
    }
    s->mstatus = (s->mstatus & ~writable) | (v & writable) | MSTATUS_UXL_SXL;
}

static uint64_t tvec_legalize(uint64_t v)
{
    return (v & 3) > 1 ? v & ~3ull : v; /* modes 2 and 3 are reserved: direct */
}

static bool stimecmp_allowed(const RISCVPrivState *s)
{
    if (s->priv == PRV_M) {
        return true;
    }
    return (s->menvcfg & MENVCFG_STCE) && (s->mcounteren & 2);
}

int riscv_priv_csr_read(RISCVPrivState *s, unsigned csr, uint64_t *value)
{
    if (csr >= 0x1000) {
        return RISCV_CSR_ILLEGAL;
    }
    unsigned level = (csr >> 8) & 3;
    if (level != PRV_S && level != PRV_M) {
        return RISCV_CSR_NOT_PRIV;
    }
    if (s->priv < level) {
        return RISCV_CSR_ILLEGAL;
    }
    if (csr >= CSR_PMPADDR0 && csr < CSR_PMPADDR0 + RISCV_PMP_ENTRIES) {
        *value = s->pmpaddr[csr - CSR_PMPADDR0];
        return RISCV_CSR_OK;
    }
    if (csr == CSR_PMPCFG0 || csr == CSR_PMPCFG2) {
        unsigned first = csr == CSR_PMPCFG0 ? 0 : 8;
        uint64_t v = 0;
        for (unsigned i = 0; i < 8; i++) {
            v |= (uint64_t)s->pmpcfg[first + i] << (8 * i);
        }
        *value = v;
        return RISCV_CSR_OK;
    }
    switch (csr) {
    case CSR_SSTATUS: *value = mstatus_read(s) & SSTATUS_VISIBLE; break;
    case CSR_SIE: *value = s->mie & s->mideleg; break;
    case CSR_STVEC: *value = s->stvec; break;
    case CSR_SCOUNTEREN: *value = s->scounteren; break;
    case CSR_SENVCFG: *value = s->senvcfg; break;
    case CSR_SSCRATCH: *value = s->sscratch; break;
    case CSR_SEPC: *value = s->sepc; break;
    case CSR_SCAUSE: *value = s->scause; break;
    case CSR_STVAL: *value = s->stval; break;
    case CSR_SIP: *value = riscv_priv_mip(s) & s->mideleg; break;
    case CSR_STIMECMP:
        if (!stimecmp_allowed(s)) {
            return RISCV_CSR_ILLEGAL;
        }
        *value = s->stimecmp;
        break;
    case CSR_SATP:
        if (s->priv == PRV_S && (s->mstatus & MSTATUS_TVM)) {
            return RISCV_CSR_ILLEGAL;
        }
        *value = s->satp;
        break;
    case CSR_MSTATUS: *value = mstatus_read(s); break;
    case CSR_MISA: *value = MISA_VALUE; break;
    case CSR_MEDELEG: *value = s->medeleg; break;
    case CSR_MIDELEG: *value = s->mideleg; break;
    case CSR_MIE: *value = s->mie; break;
    case CSR_MTVEC: *value = s->mtvec; break;
    case CSR_MCOUNTEREN: *value = s->mcounteren; break;
    case CSR_MENVCFG: *value = s->menvcfg; break;
    case CSR_MCOUNTINHIBIT: *value = s->mcountinhibit; break;
    case CSR_MSCRATCH: *value = s->mscratch; break;
    case CSR_MEPC: *value = s->mepc; break;
    case CSR_MCAUSE: *value = s->mcause; break;
    case CSR_MTVAL: *value = s->mtval; break;
    case CSR_MIP: *value = riscv_priv_mip(s); break;
    case CSR_MVENDORID:
    case CSR_MARCHID:
    case CSR_MIMPID:
    case CSR_MCONFIGPTR:
        *value = 0;
        break;
    case CSR_MHARTID: *value = s->mhartid; break;
    default:
        return RISCV_CSR_NOT_PRIV;
    }
    return RISCV_CSR_OK;
}

static void pmpcfg_write(RISCVPrivState *s, unsigned first, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++) {
        uint8_t cfg = (uint8_t)(v >> (8 * i));
        if (s->pmpcfg[first + i] & 0x80) {
            continue; /* locked */
        }
        if ((cfg & 3) == 2) {
            cfg &= (uint8_t)~2; /* W without R is reserved */
        }
        s->pmpcfg[first + i] = cfg & 0x9f;
    }
}

int riscv_priv_csr_write(RISCVPrivState *s, unsigned csr, uint64_t v, bool *flush)
{
    uint64_t ignored;
    int r = riscv_priv_csr_read(s, csr, &ignored); /* same existence and privilege rules */
    if (r != RISCV_CSR_OK) {
        return r;
    }
    if ((csr >> 10) == 3) {
        return RISCV_CSR_ILLEGAL; /* read-only CSR */
    }
    *flush = true;
    if (csr >= CSR_PMPADDR0 && csr < CSR_PMPADDR0 + RISCV_PMP_ENTRIES) {
        unsigned i = csr - CSR_PMPADDR0;
        if (!(s->pmpcfg[i] & 0x80)) {
            s->pmpaddr[i] = v & ((1ull << 54) - 1);
        }
        return RISCV_CSR_OK;
    }
    switch (csr) {
    case CSR_SSTATUS: mstatus_write(s, v, SSTATUS_WRITABLE); break;
    case CSR_SIE: s->mie = (s->mie & ~s->mideleg) | (v & s->mideleg); break;
    case CSR_STVEC: s->stvec = tvec_legalize(v); break;
    case CSR_SCOUNTEREN: s->scounteren = (uint32_t)v & 7; *flush = false; break;
    case CSR_SENVCFG: s->senvcfg = v & 1; *flush = false; break;
    case CSR_SSCRATCH: s->sscratch = v; *flush = false; break;
    case CSR_SEPC: s->sepc = v & ~1ull; *flush = false; break;
    case CSR_SCAUSE: s->scause = v; *flush = false; break;
    case CSR_STVAL: s->stval = v; *flush = false; break;
    case CSR_SIP: {
        uint64_t writable = s->mideleg & (1u << IRQ_S_SOFT);
        s->mip_sw = (s->mip_sw & ~writable) | (v & writable);
        break;
    }
    case CSR_STIMECMP: s->stimecmp = v; break;
    case CSR_SATP: {
        unsigned mode = (unsigned)(v >> SATP_MODE_SHIFT);
        if (mode == RISCV_SATP_BARE || mode == RISCV_SATP_SV39 || mode == RISCV_SATP_SV48 ||
            mode == RISCV_SATP_SV57) {
            s->satp = v & ((0xfull << SATP_MODE_SHIFT) | SATP_ASID_PPN_MASK);
        }
        break;
    }
    case CSR_MSTATUS: mstatus_write(s, v, MSTATUS_WRITABLE); break;
    case CSR_MISA: *flush = false; break; /* fixed */
    case CSR_MEDELEG: s->medeleg = v & DELEGABLE_EXCEPTIONS; *flush = false; break;
    case CSR_MIDELEG: s->mideleg = v & S_INTERRUPTS; break;
    case CSR_MIE: s->mie = v & ALL_INTERRUPTS; break;
    case CSR_MTVEC: s->mtvec = tvec_legalize(v); *flush = false; break;
    case CSR_MCOUNTEREN: s->mcounteren = (uint32_t)v & 7; *flush = false; break;
    case CSR_MENVCFG: s->menvcfg = v & (MENVCFG_STCE | 1); break;
    case CSR_MCOUNTINHIBIT: s->mcountinhibit = (uint32_t)v & 5; *flush = false; break;
    case CSR_MSCRATCH: s->mscratch = v; *flush = false; break;
    case CSR_MEPC: s->mepc = v & ~1ull; *flush = false; break;
    case CSR_MCAUSE: s->mcause = v; *flush = false; break;
    case CSR_MTVAL: s->mtval = v; *flush = false; break;
    case CSR_MIP: {
        uint64_t writable = (1u << IRQ_S_SOFT) | (1u << IRQ_S_EXT) |
                            ((s->menvcfg & MENVCFG_STCE) ? 0 : 1u << IRQ_S_TIMER);
        s->mip_sw = (s->mip_sw & ~writable) | (v & writable);
        break;
    }
    case CSR_PMPCFG0: pmpcfg_write(s, 0, v); break;
    case CSR_PMPCFG2: pmpcfg_write(s, 8, v); break;
    default:
        return RISCV_CSR_ILLEGAL;
    }
    return RISCV_CSR_OK;
}

int riscv_priv_pending_interrupt(const RISCVPrivState *s)
{
    static const int order[] = { IRQ_M_EXT, IRQ_M_SOFT, IRQ_M_TIMER,
                                 IRQ_S_EXT, IRQ_S_SOFT, IRQ_S_TIMER };
    uint64_t pending = riscv_priv_mip(s) & s->mie;
    if (!pending) {
        return -1;
    }
    bool m_enabled = s->priv < PRV_M || (s->mstatus & MSTATUS_MIE);
    bool s_enabled = s->priv < PRV_S || (s->priv == PRV_S && (s->mstatus & MSTATUS_SIE));
    uint64_t to_m = m_enabled ? pending & ~s->mideleg : 0;
    uint64_t to_s = s_enabled ? pending & s->mideleg : 0;
    for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        if (to_m & (1ull << order[i])) {
            return order[i];
        }
    }
    for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        if (to_s & (1ull << order[i])) {
            return order[i];
        }
    }
    return -1;
}

uint64_t riscv_priv_trap(RISCVPrivState *s, uint64_t pc, uint64_t cause, uint64_t tval)
{
    bool interrupt = cause & RISCV_CAUSE_INTERRUPT;
    unsigned code = (unsigned)(cause & 63);
    uint64_t deleg = interrupt ? s->mideleg : s->medeleg;
    uint64_t vector_offset = interrupt ? 4ull * code : 0;
    if (s->priv <= PRV_S && ((deleg >> code) & 1)) {
        s->scause = cause;
        s->sepc = pc;
        s->stval = tval;
        uint64_t st = s->mstatus & ~(MSTATUS_SPIE | MSTATUS_SIE | MSTATUS_SPP);
        st |= (s->mstatus & MSTATUS_SIE) ? MSTATUS_SPIE : 0;
        st |= s->priv == PRV_S ? MSTATUS_SPP : 0;
        s->mstatus = st;
        s->priv = PRV_S;
        return (s->stvec & ~3ull) + ((s->stvec & 1) ? vector_offset : 0);
    }
    s->mcause = cause;
    s->mepc = pc;
    s->mtval = tval;
    uint64_t st = s->mstatus & ~(MSTATUS_MPIE | MSTATUS_MIE | MSTATUS_MPP);
    st |= (s->mstatus & MSTATUS_MIE) ? MSTATUS_MPIE : 0;
    st |= (uint64_t)s->priv << MSTATUS_MPP_SHIFT;
    s->mstatus = st;
    s->priv = PRV_M;
    return (s->mtvec & ~3ull) + ((s->mtvec & 1) ? vector_offset : 0);
}

uint64_t riscv_priv_mret(RISCVPrivState *s)
{
    if (s->priv != PRV_M) {
        return UINT64_MAX;
    }
    unsigned mpp = (unsigned)((s->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT);
    uint64_t st = s->mstatus & ~(MSTATUS_MIE | MSTATUS_MPP);
    st |= (s->mstatus & MSTATUS_MPIE) ? MSTATUS_MIE : 0;
    st |= MSTATUS_MPIE;
    if (mpp != PRV_M) {
        st &= ~MSTATUS_MPRV;
    }
    s->mstatus = st;
    s->priv = (uint8_t)mpp;
    return s->mepc;
}

uint64_t riscv_priv_sret(RISCVPrivState *s)
{
    if (s->priv < PRV_S || (s->priv == PRV_S && (s->mstatus & MSTATUS_TSR))) {
        return UINT64_MAX;
    }
    unsigned spp = (s->mstatus & MSTATUS_SPP) ? PRV_S : PRV_U;
    uint64_t st = s->mstatus & ~(MSTATUS_SIE | MSTATUS_SPP | MSTATUS_MPRV);
    st |= (s->mstatus & MSTATUS_SPIE) ? MSTATUS_SIE : 0;
    st |= MSTATUS_SPIE;
    s->mstatus = st;
    s->priv = (uint8_t)spp;
    return s->sepc;
}

bool riscv_priv_wfi_allowed(const RISCVPrivState *s)
{
    return s->priv == PRV_M || (s->priv == PRV_S && !(s->mstatus & MSTATUS_TW));
}

bool riscv_priv_sfence_allowed(const RISCVPrivState *s)
{
    return s->priv == PRV_M || (s->priv == PRV_S && !(s->mstatus & MSTATUS_TVM));
}

bool riscv_priv_translate_request(const RISCVPrivState *s, RISCVAccess access, uint64_t va,
                                  RISCVTranslateRequest *req)
{
    unsigned priv = s->priv;
    if (access != RISCV_ACCESS_FETCH && (s->mstatus & MSTATUS_MPRV)) {
        priv = (unsigned)((s->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT);
    }
    if (priv == PRV_M || (s->satp >> SATP_MODE_SHIFT) == RISCV_SATP_BARE) {
        return false;
    }
    *req = (RISCVTranslateRequest){
        .satp = s->satp,
        .va = va,
        .access = access,
        .user = priv == PRV_U,
        .sum = (s->mstatus & MSTATUS_SUM) != 0,
        .mxr = (s->mstatus & MSTATUS_MXR) != 0,
    };
    return true;
}
