/*
 * riscv-virt-fdt.c — builds the `virt` machine's flattened device tree with
 * libfdt's sequential-write API: cpus with their interrupt controllers,
 * memory, the CLINT, the PLIC, the UART, the test finisher (with syscon
 * poweroff/reboot), the goldfish RTC, the virtio-mmio slots, and /chosen.
 *
 * The one thing to know: phandles are assigned here in a fixed order
 * (hart h's interrupt controller is 1 + h, then the PLIC, then the test
 * device), and every node's name, compatible, reg and interrupts follow
 * QEMU's virt machine; nodes QEMU has that mimic does not emulate (PCI,
 * flash, fw-cfg, PMU, platform bus) are left out.
 */
#include <errno.h>
#include <libfdt.h>
#include <stdio.h>

#include "hw/intc/plic.h"
#include "system/riscv-virt-fdt.h"

#define IRQ_S_SOFT 1
#define IRQ_M_SOFT 3
#define IRQ_S_TIMER 5
#define IRQ_M_TIMER 7
#define IRQ_S_EXT 9
#define IRQ_M_EXT 11

static uint32_t intc_phandle(unsigned hart)
{
    return 1 + hart;
}

static uint32_t plic_phandle(const VirtFdtConfig *cfg)
{
    return 1 + cfg->nb_harts;
}

static uint32_t test_phandle(const VirtFdtConfig *cfg)
{
    return 2 + cfg->nb_harts;
}

/* reg = <addr size> with two cells each. */
static int prop_reg(void *fdt, uint64_t addr, uint64_t size)
{
    fdt64_t cells[2] = { cpu_to_fdt64(addr), cpu_to_fdt64(size) };
    return fdt_property(fdt, "reg", cells, sizeof(cells));
}

static int begin_node_at(void *fdt, const char *name, uint64_t addr)
{
    char full[64];
    snprintf(full, sizeof(full), "%s@%llx", name, (unsigned long long)addr);
    return fdt_begin_node(fdt, full);
}

/* interrupts-extended = <intc(h) irq_a intc(h) irq_b> for every hart. */
static int prop_irqs_per_hart(void *fdt, const VirtFdtConfig *cfg, uint32_t irq_a,
                              uint32_t irq_b)
{
    fdt32_t cells[4 * 64];
    unsigned n = 0;
    for (unsigned h = 0; h < cfg->nb_harts; h++) {
        cells[n++] = cpu_to_fdt32(intc_phandle(h));
        cells[n++] = cpu_to_fdt32(irq_a);
        cells[n++] = cpu_to_fdt32(intc_phandle(h));
        cells[n++] = cpu_to_fdt32(irq_b);
    }
    return fdt_property(fdt, "interrupts-extended", cells, n * sizeof(cells[0]));
}

static int fdt_cpus(void *fdt, const VirtFdtConfig *cfg)
{
    int r = fdt_begin_node(fdt, "cpus");
    r = r ?: fdt_property_u32(fdt, "#address-cells", 1);
    r = r ?: fdt_property_u32(fdt, "#size-cells", 0);
    r = r ?: fdt_property_u32(fdt, "timebase-frequency", VIRT_TIMEBASE_HZ);
    for (unsigned h = 0; h < cfg->nb_harts && !r; h++) {
        char name[32];
        snprintf(name, sizeof(name), "cpu@%x", h);
        r = fdt_begin_node(fdt, name);
        r = r ?: fdt_property_string(fdt, "device_type", "cpu");
        r = r ?: fdt_property_u32(fdt, "reg", h);
        r = r ?: fdt_property_string(fdt, "status", "okay");
        r = r ?: fdt_property_string(fdt, "compatible", "riscv");
        r = r ?: fdt_property_string(fdt, "riscv,isa", cfg->isa);
        r = r ?: fdt_property_string(fdt, "mmu-type", cfg->mmu_type);
        r = r ?: fdt_begin_node(fdt, "interrupt-controller");
        r = r ?: fdt_property_u32(fdt, "#interrupt-cells", 1);
        r = r ?: fdt_property(fdt, "interrupt-controller", NULL, 0);
        r = r ?: fdt_property_string(fdt, "compatible", "riscv,cpu-intc");
        r = r ?: fdt_property_u32(fdt, "phandle", intc_phandle(h));
        r = r ?: fdt_end_node(fdt);
        r = r ?: fdt_end_node(fdt);
    }
    return r ?: fdt_end_node(fdt);
}

/* A device node under /soc with reg, one PLIC interrupt and a compatible. */
static int fdt_simple_device(void *fdt, const VirtFdtConfig *cfg, const char *name, uint64_t base,
                             uint64_t size, uint32_t irq, const char *compat, size_t compat_len)
{
    int r = begin_node_at(fdt, name, base);
    r = r ?: fdt_property_u32(fdt, "interrupts", irq);
    r = r ?: fdt_property_u32(fdt, "interrupt-parent", plic_phandle(cfg));
    r = r ?: prop_reg(fdt, base, size);
    r = r ?: fdt_property(fdt, "compatible", compat, (int)compat_len);
    return r;
}

static int fdt_soc(void *fdt, const VirtFdtConfig *cfg)
{
    static const char clint_compat[] = "sifive,clint0\0riscv,clint0";
    static const char plic_compat[] = "sifive,plic-1.0.0\0riscv,plic0";
    static const char test_compat[] = "sifive,test1\0sifive,test0\0syscon";
    static const char rtc_compat[] = "google,goldfish-rtc";
    static const char uart_compat[] = "ns16550a";
    static const char virtio_compat[] = "virtio,mmio";
    int r = fdt_begin_node(fdt, "soc");
    r = r ?: fdt_property_u32(fdt, "#address-cells", 2);
    r = r ?: fdt_property_u32(fdt, "#size-cells", 2);
    r = r ?: fdt_property_string(fdt, "compatible", "simple-bus");
    r = r ?: fdt_property(fdt, "ranges", NULL, 0);

    r = r ?: fdt_simple_device(fdt, cfg, "rtc", VIRT_RTC_BASE, 0x1000, VIRT_RTC_IRQ, rtc_compat,
                               sizeof(rtc_compat));
    r = r ?: fdt_end_node(fdt);
    r = r ?: fdt_simple_device(fdt, cfg, "serial", VIRT_UART0_BASE, 0x100, VIRT_UART0_IRQ,
                               uart_compat, sizeof(uart_compat));
    r = r ?: fdt_property_u32(fdt, "clock-frequency", 3686400);
    r = r ?: fdt_end_node(fdt);

    r = r ?: begin_node_at(fdt, "test", VIRT_TEST_BASE);
    r = r ?: fdt_property_u32(fdt, "phandle", test_phandle(cfg));
    r = r ?: prop_reg(fdt, VIRT_TEST_BASE, 0x1000);
    r = r ?: fdt_property(fdt, "compatible", test_compat, sizeof(test_compat));
    r = r ?: fdt_end_node(fdt);

    for (int i = VIRT_VIRTIO_COUNT - 1; i >= 0 && !r; i--) {
        uint64_t base = VIRT_VIRTIO_BASE + (uint64_t)i * VIRT_VIRTIO_STRIDE;
        r = fdt_simple_device(fdt, cfg, "virtio_mmio", base, VIRT_VIRTIO_STRIDE,
                              VIRT_VIRTIO_IRQ + (uint32_t)i, virtio_compat, sizeof(virtio_compat));
        r = r ?: fdt_end_node(fdt);
    }

    r = r ?: begin_node_at(fdt, "plic", VIRT_PLIC_BASE);
    r = r ?: fdt_property_u32(fdt, "phandle", plic_phandle(cfg));
    r = r ?: fdt_property_u32(fdt, "riscv,ndev", VIRT_PLIC_NDEV);
    r = r ?: prop_reg(fdt, VIRT_PLIC_BASE, PLIC_MMIO_SIZE);
    r = r ?: prop_irqs_per_hart(fdt, cfg, IRQ_M_EXT, IRQ_S_EXT);
    r = r ?: fdt_property(fdt, "interrupt-controller", NULL, 0);
    r = r ?: fdt_property(fdt, "compatible", plic_compat, sizeof(plic_compat));
    r = r ?: fdt_property_u32(fdt, "#address-cells", 0);
    r = r ?: fdt_property_u32(fdt, "#interrupt-cells", 1);
    r = r ?: fdt_end_node(fdt);

    r = r ?: begin_node_at(fdt, "clint", VIRT_CLINT_BASE);
    r = r ?: prop_irqs_per_hart(fdt, cfg, IRQ_M_SOFT, IRQ_M_TIMER);
    r = r ?: prop_reg(fdt, VIRT_CLINT_BASE, 0x10000);
    r = r ?: fdt_property(fdt, "compatible", clint_compat, sizeof(clint_compat));
    r = r ?: fdt_end_node(fdt);
    return r ?: fdt_end_node(fdt);
}

/* /poweroff and /reboot: syscon writes to the test finisher. */
static int fdt_syscon(void *fdt, const VirtFdtConfig *cfg, const char *name, const char *compat,
                      uint32_t value)
{
    int r = fdt_begin_node(fdt, name);
    r = r ?: fdt_property_u32(fdt, "value", value);
    r = r ?: fdt_property_u32(fdt, "offset", 0);
    r = r ?: fdt_property_u32(fdt, "regmap", test_phandle(cfg));
    r = r ?: fdt_property_string(fdt, "compatible", compat);
    return r ?: fdt_end_node(fdt);
}

static int fdt_chosen(void *fdt, const VirtFdtConfig *cfg)
{
    char stdout_path[64];
    snprintf(stdout_path, sizeof(stdout_path), "/soc/serial@%llx",
             (unsigned long long)VIRT_UART0_BASE);
    int r = fdt_begin_node(fdt, "chosen");
    r = r ?: fdt_property_string(fdt, "stdout-path", stdout_path);
    if (cfg->bootargs) {
        r = r ?: fdt_property_string(fdt, "bootargs", cfg->bootargs);
    }
    if (cfg->initrd_start) {
        r = r ?: fdt_property_u64(fdt, "linux,initrd-start", cfg->initrd_start);
        r = r ?: fdt_property_u64(fdt, "linux,initrd-end", cfg->initrd_end);
    }
    return r ?: fdt_end_node(fdt);
}

int virt_fdt_build(const VirtFdtConfig *cfg, void *buf, size_t size)
{
    if (cfg->nb_harts == 0 || cfg->nb_harts > 64 || size > INT32_MAX) {
        return -EINVAL;
    }
    int r = fdt_create(buf, (int)size);
    r = r ?: fdt_finish_reservemap(buf);
    r = r ?: fdt_begin_node(buf, "");
    r = r ?: fdt_property_u32(buf, "#address-cells", 2);
    r = r ?: fdt_property_u32(buf, "#size-cells", 2);
    r = r ?: fdt_property_string(buf, "compatible", "riscv-virtio");
    r = r ?: fdt_property_string(buf, "model", "riscv-virtio,mimic");
    r = r ?: fdt_chosen(buf, cfg);
    r = r ?: fdt_syscon(buf, cfg, "poweroff", "syscon-poweroff", 0x5555);
    r = r ?: fdt_syscon(buf, cfg, "reboot", "syscon-reboot", 0x7777);
    r = r ?: begin_node_at(buf, "memory", VIRT_DRAM_BASE);
    r = r ?: fdt_property_string(buf, "device_type", "memory");
    r = r ?: prop_reg(buf, VIRT_DRAM_BASE, cfg->ram_size);
    r = r ?: fdt_end_node(buf);
    r = r ?: fdt_cpus(buf, cfg);
    r = r ?: fdt_soc(buf, cfg);
    r = r ?: fdt_end_node(buf);
    r = r ?: fdt_finish(buf);
    if (r == -FDT_ERR_NOSPACE) {
        return -ENOSPC;
    }
    return r ? -EINVAL : 0;
}
