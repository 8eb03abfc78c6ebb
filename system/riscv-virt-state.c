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
#include "system/riscv-cpu-state.h"

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
        add(mm, "cpu", h, RISCV_CPU_STATE_VERSION, m->harts[h], sizeof(RISCVCPU),
            riscv_cpu_state_save, riscv_cpu_state_load);
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
