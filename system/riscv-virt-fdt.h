/*
 * riscv-virt-fdt.h — the device tree of the RISC-V `virt` machine, generated with
 * libfdt, laid out like QEMU's so that the same firmware and kernels find
 * the same devices at the same places.
 *
 * The one thing to know: the memory map is fixed here (VIRT_* below) and is
 * the one the machine must build; the tree is checked against QEMU's own
 * (`-machine virt,dumpdtb=`) by tests/system/fdt-vs-qemu.py.
 */
#ifndef MIMIC_SYSTEM_RISCV_VIRT_FDT_H
#define MIMIC_SYSTEM_RISCV_VIRT_FDT_H

#include <stddef.h>
#include <stdint.h>

#define VIRT_TEST_BASE 0x100000ull
#define VIRT_RTC_BASE 0x101000ull
#define VIRT_CLINT_BASE 0x2000000ull
#define VIRT_PLIC_BASE 0xc000000ull
#define VIRT_UART0_BASE 0x10000000ull
#define VIRT_VIRTIO_BASE 0x10001000ull
#define VIRT_VIRTIO_STRIDE 0x1000ull
#define VIRT_VIRTIO_COUNT 8
#define VIRT_DRAM_BASE 0x80000000ull
#define VIRT_RTC_IRQ 11
#define VIRT_UART0_IRQ 10
#define VIRT_VIRTIO_IRQ 1 /* slot i uses VIRT_VIRTIO_IRQ + i */
#define VIRT_PLIC_NDEV 96
#define VIRT_TIMEBASE_HZ 10000000u

typedef struct VirtFdtConfig {
    unsigned nb_harts;
    uint64_t ram_size;
    const char *isa;         /* riscv,isa of every hart */
    const char *mmu_type;    /* "riscv,sv39" / "riscv,sv48" / "riscv,sv57" */
    const char *bootargs;    /* kernel command line, or NULL */
    uint64_t initrd_start;   /* 0: no initrd */
    uint64_t initrd_end;
} VirtFdtConfig;

/* Writes the flattened tree into buf; 0, or -ENOSPC / -EINVAL. */
int virt_fdt_build(const VirtFdtConfig *cfg, void *buf, size_t size);

#endif
