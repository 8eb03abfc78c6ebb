/*
 * softmmu.c — the RISC-V hart in system mode: the soft-MMU slow path
 * (translation, PMP, TLB refill, device accesses, page-crossing accesses),
 * instruction fetch and the TB key, traps and interrupts.
 *
 * The one thing to know: a TLB entry is filled only for a whole 4 KiB page
 * of RAM that PMP allows as a whole; everything else (MMIO, partial PMP
 * regions) takes this slow path on every access, with the exact checks.
 * A fault unwinds translated code (exec_softmmu_unwind), takes the trap and
 * leaves through cs.fault_jmp to the machine's hart loop.
 */
#include <setjmp.h>
#include <string.h>

#include "mimic/log.h"
#include "target/riscv64/softmmu.h"

__thread RISCVCPU *riscv_sys_current;

static RISCVSysContext *sysctx(const RISCVCPU *cpu)
{
    return cpu->machine;
}

static unsigned mode_priv(unsigned mode)
{
    return mode == RISCV_MODE_M ? PRV_M : mode == RISCV_MODE_U ? PRV_U : PRV_S;
}

static uint64_t access_fault_cause(RISCVAccess access)
{
    return access == RISCV_ACCESS_FETCH  ? RISCV_EXCP_INST_ACCESS_FAULT
         : access == RISCV_ACCESS_LOAD   ? RISCV_EXCP_LOAD_ACCESS_FAULT
                                         : RISCV_EXCP_STORE_ACCESS_FAULT;
}

void riscv_sys_take_trap(RISCVCPU *cpu, uint64_t cause, uint64_t tval)
{
    uint64_t epc = cpu->cs.pc;
    unsigned from = cpu->priv.priv;
    cpu->res_addr = UINT64_MAX;
    cpu->nb_traps++;
    cpu->cs.pc = riscv_priv_trap(&cpu->priv, epc, cause, tval);
    if (log_enabled(LOG_INT)) {
        log_printf("riscv: hart %llu: %s %llu at 0x%llx (tval 0x%llx), priv %u -> %u, "
                   "handler 0x%llx\n",
                   (unsigned long long)cpu->priv.mhartid,
                   (cause >> 63) ? "interrupt" : "exception",
                   (unsigned long long)(cause & ~RISCV_CAUSE_INTERRUPT),
                   (unsigned long long)epc, (unsigned long long)tval, from, cpu->priv.priv,
                   (unsigned long long)cpu->cs.pc);
    }
}

bool riscv_sys_take_interrupt(RISCVCPU *cpu)
{
    int irq = riscv_priv_pending_interrupt(&cpu->priv);
    if (irq < 0) {
        return false;
    }
    riscv_sys_take_trap(cpu, RISCV_CAUSE_INTERRUPT | (uint64_t)irq, 0);
    return true;
}

bool riscv_sys_wfi_wakeup(const RISCVCPU *cpu)
{
    return (riscv_priv_mip(&cpu->priv) & cpu->priv.mie) != 0;
}

/* Raises from a slow path called by translated code at retaddr. */
static _Noreturn void raise_at(RISCVCPU *cpu, uint64_t cause, uint64_t tval, uintptr_t retaddr)
{
    exec_softmmu_unwind(&cpu->cs, retaddr);
    riscv_sys_take_trap(cpu, cause, tval);
    siglongjmp(*cpu->cs.fault_jmp, 1);
}

static _Noreturn void riscv_sys_raise(RISCVCPU *cpu, uint64_t cause, uint64_t tval)
{
    raise_at(cpu, cause, tval, 0);
}

/* ---- page-table memory: implicit accesses at S privilege, PMP-checked ---- */

static bool pte_read(void *opaque, uint64_t pa, uint64_t *pte)
{
    RISCVCPU *cpu = opaque;
    if (!riscv_pmp_check(&cpu->priv, pa, 8, RISCV_ACCESS_LOAD, PRV_S)) {
        return false;
    }
    uint64_t *p = address_space_map(sysctx(cpu)->as, pa, 8);
    if (!p || (pa & 7)) {
        return false;
    }
    *pte = __atomic_load_n(p, __ATOMIC_ACQUIRE);
    return true;
}

static bool pte_update(void *opaque, uint64_t pa, uint64_t old_pte, uint64_t new_pte,
                       bool *written)
{
    RISCVCPU *cpu = opaque;
    if (!riscv_pmp_check(&cpu->priv, pa, 8, RISCV_ACCESS_STORE, PRV_S)) {
        return false;
    }
    uint64_t *p = address_space_map(sysctx(cpu)->as, pa, 8);
    if (!p || (pa & 7)) {
        return false;
    }
    exec_code_write(pa, 8);
    *written = __atomic_compare_exchange_n(p, &old_pte, new_pte, false, __ATOMIC_SEQ_CST,
                                           __ATOMIC_SEQ_CST);
    return true;
}

static const char *access_name(RISCVAccess access)
{
    return access == RISCV_ACCESS_FETCH ? "fetch" : access == RISCV_ACCESS_LOAD ? "load" : "store";
}

/* Virtual to physical for an access in `mode`: 0 or the exception cause.
 * Only misses get here, so -d mmu logs every walk. */
static int translate(RISCVCPU *cpu, uint64_t va, RISCVAccess access, unsigned mode,
                     RISCVTranslation *out)
{
    const RISCVPrivState *s = &cpu->priv;
    if (mode == RISCV_MODE_M || (s->satp >> 60) == RISCV_SATP_BARE) {
        out->pa = va;
        out->page_mask = SOFTMMU_PAGE_MASK;
        out->prot = RISCV_PROT_READ | RISCV_PROT_WRITE | RISCV_PROT_EXEC;
        return 0;
    }
    RISCVTranslateRequest req = {
        .satp = s->satp,
        .va = va,
        .access = access,
        .user = mode == RISCV_MODE_U,
        .sum = mode == RISCV_MODE_S_SUM,
        .mxr = (s->mstatus & MSTATUS_MXR) != 0,
    };
    RISCVPageTableMemory mem = { cpu, pte_read, pte_update };
    int cause = riscv_translate(&req, &mem, out);
    if (log_enabled(LOG_MMU)) {
        if (cause) {
            log_printf("mmu: hart %llu: %s of 0x%llx in mode %u: fault %d\n",
                       (unsigned long long)s->mhartid, access_name(access),
                       (unsigned long long)va, mode, cause);
        } else {
            log_printf("mmu: hart %llu: %s of 0x%llx in mode %u -> 0x%llx prot %d\n",
                       (unsigned long long)s->mhartid, access_name(access),
                       (unsigned long long)va, mode, (unsigned long long)out->pa, out->prot);
        }
    }
    return cause;
}

/* Refills the entry of va's page in `mode` if it is plain RAM with the
 * whole page allowed by PMP for what the translation grants. */
static void tlb_fill(RISCVCPU *cpu, uint64_t va, unsigned mode, const RISCVTranslation *t)
{
    uint64_t page_pa = t->pa & SOFTMMU_PAGE_MASK, page_va = va & SOFTMMU_PAGE_MASK;
    const MemoryRegion *mr = address_space_lookup(sysctx(cpu)->as, page_pa);
    uint8_t *host = address_space_map(sysctx(cpu)->as, page_pa, SOFTMMU_PAGE_SIZE);
    if (!host) {
        return;
    }
    unsigned priv = mode_priv(mode);
    const RISCVPrivState *s = &cpu->priv;
    unsigned pmp = riscv_pmp_perms(s, page_pa, SOFTMMU_PAGE_SIZE, priv);
    bool r = (t->prot & RISCV_PROT_READ) && (pmp & RISCV_PMP_R);
    bool w = (t->prot & RISCV_PROT_WRITE) && !mr->readonly && (pmp & RISCV_PMP_W);
    bool x = (t->prot & RISCV_PROT_EXEC) && (pmp & RISCV_PMP_X);
    unsigned i = (unsigned)(va >> SOFTMMU_PAGE_BITS) & (SOFTMMU_TLB_SIZE - 1);
    SoftTLBEntry *e = &cpu->tlb.e[mode][i];
    softmmu_tlb_note_mapping(&cpu->tlb, va, t->page_mask);
    e->addr_read = r ? page_va : SOFTMMU_INVALID;
    e->addr_write = w ? page_va : SOFTMMU_INVALID;
    e->addr_code = x ? page_va : SOFTMMU_INVALID;
    e->addend = (uintptr_t)host - (uintptr_t)page_va;
    cpu->tlb.phys[mode][i] = page_pa;
    if (w && (exec_code_page_fill_check(page_pa) || exec_dirty_fill_check(page_pa))) {
        /* stores drop the code, or mark the page dirty for migration, first */
        e->addr_write = page_va | SOFTMMU_TLB_CODE;
    }
    if (exec_watchpoint_on_page(page_va, SOFTMMU_PAGE_SIZE)) {
        /* A debugger watches this page: every load and store is checked. */
        e->addr_read = e->addr_write = SOFTMMU_INVALID;
    }
}

/* Translates and checks an access that stays inside one page. Returns the
 * host address for RAM, or NULL with *pa set for a device; a fault raises
 * the guest exception (unwinding translated code at retaddr). */
static void *access_page(RISCVCPU *cpu, uint64_t va, unsigned size, RISCVAccess access,
                         unsigned mode, uintptr_t retaddr, uint64_t *pa)
{
    RISCVTranslation t;
    int cause = translate(cpu, va, access, mode, &t);
    if (!cause && !riscv_pmp_check(&cpu->priv, t.pa, size, access, mode_priv(mode))) {
        cause = (int)access_fault_cause(access);
    }
    if (cause) {
        raise_at(cpu, (uint64_t)cause, va, retaddr);
    }
    if (access != RISCV_ACCESS_FETCH) {
        exec_watchpoint_check(&cpu->cs, va, size, access == RISCV_ACCESS_STORE, retaddr);
    }
    if (access == RISCV_ACCESS_STORE) {
        exec_code_write(t.pa, size); /* before the fill, so it can be fast */
    }
    tlb_fill(cpu, va, mode, &t);
    *pa = t.pa;
    return address_space_map(sysctx(cpu)->as, t.pa, size);
}

static uint64_t sign_extend(uint64_t v, unsigned memop)
{
    if (!(memop & IR_MO_SIGN)) {
        return v;
    }
    switch (memop & IR_MO_SIZE_MASK) {
    case IR_MO_8: return (uint64_t)(int64_t)(int8_t)v;
    case IR_MO_16: return (uint64_t)(int64_t)(int16_t)v;
    case IR_MO_32: return (uint64_t)(int64_t)(int32_t)v;
    default: return v;
    }
}

static uint64_t riscv_sys_load(CPUState *cs, uint64_t addr, unsigned memop, uintptr_t retaddr)
{
    RISCVCPU *cpu = (RISCVCPU *)cs;
    unsigned size = 1u << (memop & IR_MO_SIZE_MASK);
    unsigned mode = (memop & IR_MO_MMU_MASK) >> IR_MO_MMU_SHIFT;
    uint64_t v = 0;
    if ((addr & (SOFTMMU_PAGE_SIZE - 1)) + size > SOFTMMU_PAGE_SIZE) {
        /* Crosses a page: byte by byte, each page checked on its own. */
        for (unsigned i = 0; i < size; i++) {
            v |= riscv_sys_load(cs, addr + i, memop & IR_MO_MMU_MASK, retaddr) << (8 * i);
        }
        return sign_extend(v, memop);
    }
    uint64_t pa;
    void *p = access_page(cpu, addr, size, RISCV_ACCESS_LOAD, mode, retaddr, &pa);
    if (p) {
        memcpy(&v, p, size);
    } else {
        RISCVSysContext *ctx = sysctx(cpu);
        ctx->io_lock(ctx->lock_opaque);
        int r = address_space_read(ctx->as, pa, &v, size);
        ctx->io_unlock(ctx->lock_opaque);
        if (r) {
            raise_at(cpu, RISCV_EXCP_LOAD_ACCESS_FAULT, addr, retaddr);
        }
    }
    return sign_extend(v, memop);
}

static void riscv_sys_store(CPUState *cs, uint64_t addr, uint64_t value, unsigned memop,
                            uintptr_t retaddr)
{
    RISCVCPU *cpu = (RISCVCPU *)cs;
    unsigned size = 1u << (memop & IR_MO_SIZE_MASK);
    unsigned mode = (memop & IR_MO_MMU_MASK) >> IR_MO_MMU_SHIFT;
    if ((addr & (SOFTMMU_PAGE_SIZE - 1)) + size > SOFTMMU_PAGE_SIZE) {
        /* Both pages are checked before either is written. */
        uint64_t pa;
        uint64_t second = (addr | (SOFTMMU_PAGE_SIZE - 1)) + 1;
        access_page(cpu, addr, 1, RISCV_ACCESS_STORE, mode, retaddr, &pa);
        access_page(cpu, second, 1, RISCV_ACCESS_STORE, mode, retaddr, &pa);
        for (unsigned i = 0; i < size; i++) {
            riscv_sys_store(cs, addr + i, value >> (8 * i), memop & IR_MO_MMU_MASK, retaddr);
        }
        return;
    }
    uint64_t pa;
    void *p = access_page(cpu, addr, size, RISCV_ACCESS_STORE, mode, retaddr, &pa);
    if (p) {
        if (!address_space_lookup(sysctx(cpu)->as, pa)->readonly) {
            memcpy(p, &value, size); /* a ROM ignores writes */
            exec_code_written(pa, size);
        }
        return;
    }
    RISCVSysContext *ctx = sysctx(cpu);
    ctx->io_lock(ctx->lock_opaque);
    int r = address_space_write(ctx->as, pa, &value, size);
    ctx->io_unlock(ctx->lock_opaque);
    if (r) {
        raise_at(cpu, RISCV_EXCP_STORE_ACCESS_FAULT, addr, retaddr);
    }
    /* A device write may have raised an interrupt or asked for a
     * shutdown: let the hart loop look before the next block. */
    cs->exit_request = 1;
}

static void *riscv_sys_atomic_ptr(RISCVCPU *cpu, uint64_t addr, unsigned size, bool store)
{
    RISCVAccess access = store ? RISCV_ACCESS_STORE : RISCV_ACCESS_LOAD;
    if (addr & (size - 1)) {
        riscv_sys_raise(cpu, store ? RISCV_EXCP_STORE_MISALIGNED : RISCV_EXCP_LOAD_MISALIGNED,
                        addr);
    }
    unsigned mode = riscv_data_mode(cpu);
    const SoftTLBEntry *e = softmmu_entry(&cpu->tlb, mode, addr);
    if ((store ? e->addr_write : e->addr_read) == (addr & SOFTMMU_PAGE_MASK)) {
        return (void *)(e->addend + (uintptr_t)addr); /* the TLB hit of a plain access */
    }
    uint64_t pa;
    void *p = access_page(cpu, addr, size, access, mode, 0, &pa);
    if (!p || (store && address_space_lookup(sysctx(cpu)->as, pa)->readonly)) {
        /* Atomics on devices are not supported: an access fault. */
        riscv_sys_raise(cpu, access_fault_cause(access), addr);
    }
    return p;
}

static uint64_t riscv_sys_read_time(RISCVCPU *cpu)
{
    RISCVSysContext *ctx = sysctx(cpu);
    return ctx->read_time(ctx->time_opaque);
}

static const RISCVSysOps riscv_sys_ops = {
    .atomic_ptr = riscv_sys_atomic_ptr,
    .read_time = riscv_sys_read_time,
    .raise = riscv_sys_raise,
};

/* Fetches use M or U for those privileges; in S they use the data mode
 * the flags carry (MPRV only affects M, so for S it is S or S with SUM). */
static unsigned riscv_sys_fetch_mode(uint32_t tb_flags)
{
    unsigned priv = (tb_flags >> RISCV_TBFLAG_PRIV_SHIFT) & 3;
    if (priv == PRV_M) {
        return RISCV_MODE_M;
    }
    if (priv == PRV_U) {
        return RISCV_MODE_U;
    }
    return (tb_flags >> RISCV_TBFLAG_MODE_SHIFT) & 3;
}

const SoftMMUOps riscv_softmmu_ops = {
    .load = riscv_sys_load,
    .store = riscv_sys_store,
    .tlb_offset = (int32_t)offsetof(RISCVCPU, tlb),
    .fetch_mode = riscv_sys_fetch_mode,
};

/* ---- instruction fetch ---- */

/* Physical address of the code at va for the current fetch mode, from the
 * TLB or a walk (which refills it); false on a fault, with *cause set. */
static bool fetch_phys(RISCVCPU *cpu, uint64_t va, uint64_t *pa, uint64_t *cause)
{
    unsigned mode = riscv_fetch_mode(cpu);
    unsigned i = (unsigned)(va >> SOFTMMU_PAGE_BITS) & (SOFTMMU_TLB_SIZE - 1);
    if (cpu->tlb.e[mode][i].addr_code == (va & SOFTMMU_PAGE_MASK)) {
        *pa = cpu->tlb.phys[mode][i] | (va & (SOFTMMU_PAGE_SIZE - 1));
        return true;
    }
    RISCVTranslation t;
    int c = translate(cpu, va, RISCV_ACCESS_FETCH, mode, &t);
    if (!c && !riscv_pmp_check(&cpu->priv, t.pa, 2, RISCV_ACCESS_FETCH, mode_priv(mode))) {
        c = RISCV_EXCP_INST_ACCESS_FAULT;
    }
    if (!c && !address_space_map(sysctx(cpu)->as, t.pa, 2)) {
        c = RISCV_EXCP_INST_ACCESS_FAULT; /* no executing from devices */
    }
    if (c) {
        *cause = (uint64_t)c;
        return false;
    }
    tlb_fill(cpu, va, mode, &t);
    *pa = t.pa;
    return true;
}

static bool riscv_sys_tb_key(CPUState *cs, TBKey *key)
{
    RISCVCPU *cpu = (RISCVCPU *)cs;
    uint64_t pa, cause;
    if (!fetch_phys(cpu, cs->pc, &pa, &cause)) {
        riscv_sys_take_trap(cpu, cause, cs->pc);
        return false;
    }
    key->pc = cs->pc;
    key->phys = pa;
    key->flags = riscv_tb_flags(cpu);
    return true;
}

bool exec_read_code(uint64_t addr, void *dst, size_t len)
{
    RISCVCPU *cpu = riscv_sys_current;
    uint8_t *out = dst;
    while (len) {
        size_t n = SOFTMMU_PAGE_SIZE - (addr & (SOFTMMU_PAGE_SIZE - 1));
        if (n > len) {
            n = len;
        }
        uint64_t pa, cause;
        if (!cpu || !fetch_phys(cpu, addr, &pa, &cause)) {
            return false;
        }
        const void *p = address_space_map(sysctx(cpu)->as, pa, n);
        if (!p) {
            return false;
        }
        exec_code_page_mark(pa); /* before reading: a store from now on drops the TB */
        memcpy(out, p, n);
        out += n;
        addr += n;
        len -= n;
    }
    return true;
}

void riscv_sys_cpu_init(RISCVCPU *cpu, RISCVSysContext *ctx, uint64_t hartid, uint64_t reset_pc)
{
    riscv_cpu_reset(cpu);
    cpu->cs.target = riscv_sys_target();
    cpu->sys = &riscv_sys_ops;
    cpu->machine = ctx;
    riscv_sys_cpu_reset(cpu, hartid, reset_pc);
}

void riscv_sys_cpu_reset(RISCVCPU *cpu, uint64_t hartid, uint64_t reset_pc)
{
    memset(cpu->x, 0, sizeof(cpu->x));
    memset(cpu->f, 0, sizeof(cpu->f));
    cpu->fflags = cpu->frm = 0;
    cpu->res_addr = UINT64_MAX;
    riscv_priv_reset(&cpu->priv, hartid);
    softmmu_tlb_flush(&cpu->tlb);
    cpu->cs.pc = reset_pc;
}

const TargetInfo *riscv_sys_target(void)
{
    static TargetInfo info;
    if (!info.name) {
        info = target_riscv64;
        info.tb_key = riscv_sys_tb_key;
    }
    return &info;
}
