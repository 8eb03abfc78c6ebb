/*
 * riscv-boot.h — loading firmware, a kernel and an initrd into a RISC-V machine's
 * RAM, placing the device tree, and the reset vector in the mask ROM that
 * starts the firmware the way OpenSBI's fw_dynamic expects (a0 = hartid,
 * a1 = device tree, a2 = struct fw_dynamic_info).
 *
 * The one thing to know: placement follows QEMU's virt so that the same
 * firmware and kernels work: the firmware at the start of RAM, the kernel
 * at the next 2 MiB boundary after it, the initrd at half of RAM or
 * 128 MiB, whichever is lower (but after the kernel), and the device tree
 * in the last 2 MiB-aligned slot below the end of RAM (at most 3 GiB above
 * its start).
 */
#ifndef MIMIC_SYSTEM_RISCV_BOOT_H
#define MIMIC_SYSTEM_RISCV_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "mimic/memory.h"

#define RISCV_MROM_BASE 0x1000ull
#define RISCV_MROM_SIZE 0xf000ull
#define FW_DYNAMIC_INFO_MAGIC 0x4942534full /* "OSBI" */
#define FW_DYNAMIC_INFO_VERSION 2
#define FW_DYNAMIC_NEXT_MODE_S 1

/* Loads an ELF (segments at their physical addresses) or, if the file is
 * not an ELF, a raw image at load_addr. Sets *entry and *end (first byte
 * after the image). 0, or -1 with a message naming the file in err. */
int riscv_load_image(const AddressSpace *as, const char *path, uint64_t load_addr,
                     uint64_t *entry, uint64_t *end, char *err, size_t errlen);
/* Where a kernel goes after firmware ending at fw_end: the next 2 MiB
 * boundary (RISC-V Linux needs 2 MiB alignment on RV64). */
uint64_t riscv_kernel_start(uint64_t fw_end);
/* Loads a Linux kernel: an ELF, a RISC-V "Image" (recognised by its
 * header's magic; it goes at load_addr + text_offset), or else a raw
 * binary at load_addr (U-Boot). */
int riscv_load_kernel(const AddressSpace *as, const char *path, uint64_t load_addr,
                      uint64_t *entry, uint64_t *end, char *err, size_t errlen);
/* Loads the initrd at its usual place; sets its [*start, *end). */
int riscv_load_initrd(const AddressSpace *as, const char *path, uint64_t ram_base,
                      uint64_t ram_size, uint64_t kernel_end, uint64_t *start, uint64_t *end,
                      char *err, size_t errlen);
/* Address for a device tree of fdt_size bytes. */
uint64_t riscv_fdt_addr(uint64_t ram_base, uint64_t ram_size, uint64_t fdt_size);
/* Writes the reset vector and fw_dynamic_info into the ROM at
 * RISCV_MROM_BASE (which must be RAM-backed in as): the firmware starts at
 * fw_entry, will continue at next_addr in S-mode. */
int riscv_setup_rom(const AddressSpace *as, uint64_t fw_entry, uint64_t fdt_addr,
                    uint64_t next_addr);

#endif
