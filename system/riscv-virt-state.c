/*
 * riscv-virt-state.c — the virt machine as migration/ sees it: one
 * section per hart (every register and CSR), the CLINT, PLIC, UART, RTC,
 * test finisher and each virtio-mmio slot, and guest RAM; and what the
 * machine does after a state was loaded.
 *
 * The one thing to know: the MigMachine is built afresh for each save or
 * load from the machine's devices, with the machine lock held and every
 * hart parked; after a load every translation and TLB goes, interrupt
 * lines are driven again from the restored devices and the timers are
 * re-armed, so nothing of the old machine survives.
 */
#include <stdio.h>
#include <string.h>

#include "migration/vmstate.h"
#include "system/riscv-virt-internal.h"
#include "target/riscv64/mmu.h"

#define CPU_STATE_VERSION 1

static void cpu_state_save(void *obj, MigWriter *w)
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

static int cpu_state_load(void *obj, MigReader *r, uint32_t version, char *err, size_t errlen)
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

static size_t virtio_state_size(const VirtMachine *m, unsigned i)
{
    switch (m->cfg.devices[i].kind) {
    case VIRT_DEV_BLK: return sizeof(VirtIOBlock);
    case VIRT_DEV_NET: return sizeof(VirtioNet);
    case VIRT_DEV_RNG: return sizeof(VirtIORNG);
    case VIRT_DEV_CONSOLE: return sizeof(VirtIOConsole);
    }
    return sizeof(VirtIODevice);
}

static void add(MigMachine *mm, const char *name, uint32_t instance, uint32_t version,
                void *obj, size_t size, void (*save)(void *, MigWriter *),
                int (*load)(void *, MigReader *, uint32_t, char *, size_t))
{
    mm->sections[mm->nb_sections++] = (MigSection){ name, instance, version, obj, size,
                                                    save, load };
}

void virt_mig_machine(VirtMachine *m, MigMachine *mm)
{
    memset(mm, 0, sizeof(*mm));
    mm->type = "riscv64-virt";
    mm->ram_size = m->cfg.ram_size;
    mm->nb_cpus = m->cfg.nb_harts;
    mm->ram = address_space_map(&m->as, VIRT_DRAM_BASE, m->cfg.ram_size);
    for (unsigned h = 0; h < m->cfg.nb_harts; h++) {
        add(mm, "cpu", h, CPU_STATE_VERSION, m->harts[h], sizeof(RISCVCPU), cpu_state_save,
            cpu_state_load);
    }
    add(mm, "clint", 0, CLINT_STATE_VERSION, &m->clint, sizeof(m->clint), clint_state_save,
        clint_state_load);
    add(mm, "plic", 0, PLIC_STATE_VERSION, &m->plic, sizeof(m->plic), plic_state_save,
        plic_state_load);
    add(mm, "uart", 0, UART16550_STATE_VERSION, &m->uart, sizeof(m->uart),
        uart16550_state_save, uart16550_state_load);
    add(mm, "goldfish-rtc", 0, GOLDFISH_RTC_STATE_VERSION, &m->rtc, sizeof(m->rtc),
        goldfish_rtc_state_save, goldfish_rtc_state_load);
    add(mm, "sifive-test", 0, SIFIVE_TEST_STATE_VERSION, &m->test, sizeof(m->test),
        sifive_test_state_save, sifive_test_state_load);
    for (unsigned i = 0; i < VIRT_VIRTIO_COUNT; i++) {
        unsigned slot = VIRT_VIRTIO_COUNT - 1 - i;
        VirtIODevice *vdev = i < m->cfg.nb_devices ? m->vdev[i] : &m->empty[slot];
        size_t size = i < m->cfg.nb_devices ? virtio_state_size(m, i) : sizeof(*vdev);
        if (virtio_state_supported(vdev)) {
            add(mm, "virtio-mmio", slot, VIRTIO_MMIO_STATE_VERSION, vdev, size,
                virtio_mmio_state_save, virtio_mmio_state_load);
        } else {
            add(mm, vdev->name, slot, 0, vdev, size, NULL, NULL);
        }
    }
}

uint64_t virt_guest_clock_ns(VirtMachine *m)
{
    uint64_t ticks = m->runstate == MON_RUNSTATE_RUNNING ? clint_mtime(&m->clint)
                                                         : m->stop_mtime;
    return ticks * (1000000000ull / CLINT_TIMEBASE_HZ);
}

void virt_freeze_clock(VirtMachine *m)
{
    m->clint.mtime_offset += (int64_t)(m->stop_mtime - clint_mtime(&m->clint));
}

void virt_state_post_load(VirtMachine *m)
{
    for (unsigned h = 0; h < m->cfg.nb_harts; h++) {
        riscv_sys_tlb_flush(m->harts[h]);
        virt_kick(m, h);
    }
    exec_tb_flush();
    m->stop_mtime = clint_mtime(&m->clint);
    clint_update(&m->clint);
    plic_update(&m->plic);
    uart16550_update_irq(&m->uart);
    goldfish_rtc_update(&m->rtc);
    for (unsigned i = 0; i < VIRT_VIRTIO_COUNT; i++) {
        unsigned slot = VIRT_VIRTIO_COUNT - 1 - i;
        virtio_mmio_state_post_load(i < m->cfg.nb_devices ? m->vdev[i] : &m->empty[slot]);
    }
    m->timer_deadline = UINT64_MAX;
    event_timer_del(m->timer);
    if (m->cfg.serial) {
        chardev_accept_input(m->cfg.serial);
    }
    for (unsigned i = 0; i < m->cfg.nb_devices; i++) {
        if (m->has_con[i] && m->con[i].chr) {
            chardev_accept_input(m->con[i].chr);
        }
    }
}
