/*
 * x86-boot.h — direct kernel boot on the microvm machine, without
 * firmware: the guest-physical layout of everything the loaders write,
 * the memory map they describe, and the two loaders (a Linux bzImage by
 * the 64-bit boot protocol, an ELF with a PVH entry note).
 *
 * The one thing to know: the first MiB is the loaders' (GDT, boot_params
 * or start_info, page tables, command line, MP table); kernels load at
 * 1 MiB or above and the initrd at the top of RAM below 4 GiB. Image
 * files are untrusted input: every header field is checked against the
 * file's size and guest RAM before anything is copied.
 */
#ifndef MIMIC_ACCEL_KVM_X86_BOOT_H
#define MIMIC_ACCEL_KVM_X86_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "accel/kvm/x86-cpu.h"
#include "mimic/memory.h"

/* Low-memory layout (below 1 MiB). */
#define X86_BOOT_PVH_INFO 0x6000ull    /* hvm_start_info, memory map, module list */
#define X86_BOOT_PARAMS 0x7000ull      /* Linux's boot_params ("zero page") */
#define X86_BOOT_PML4 0x9000ull        /* then the PDPT and four page directories */
#define X86_BOOT_CMDLINE 0x20000ull
#define X86_BOOT_CMDLINE_MAX 0x10000ull
#define X86_BOOT_EBDA 0x9fc00ull       /* the last KiB of base memory: MP table */
#define X86_BOOT_HIGH 0x100000ull      /* kernels load here or above */

#define X86_LOW_RAM_MAX 0xc0000000ull  /* RAM below 4 GiB ends here at most */
#define X86_HIGH_RAM_BASE 0x100000000ull

/* A memory-map entry in e820 terms (1 usable RAM, 2 reserved). */
typedef struct X86MemMapEntry {
    uint64_t addr, size;
    uint32_t type;
} X86MemMapEntry;

#define X86_MEMMAP_MAX 8
#define E820_RAM 1
#define E820_RESERVED 2

typedef struct X86BootConfig {
    uint64_t ram_size;
    const char *kernel;
    const char *initrd;   /* or NULL */
    const char *cmdline;  /* the full command line (user's and the devices') */
} X86BootConfig;

/* RAM below 4 GiB, and above. */
uint64_t x86_low_ram_size(uint64_t ram_size);
/* The guest's memory map; returns the number of entries. */
unsigned x86_memory_map(uint64_t ram_size, X86MemMapEntry map[X86_MEMMAP_MAX]);

/* Boots -kernel: a bzImage or a PVH ELF (by the file's magic). Fills the
 * boot CPU's state; -1 with a message naming the file at fault. */
int x86_load_kernel(AddressSpace *as, const X86BootConfig *c, X86BootState *b, char *err,
                    size_t errlen);

/* Helpers shared by the loaders (x86-boot.c). */
/* Reads a whole file (at most max bytes); NULL with a message. */
uint8_t *x86_read_file(const char *path, size_t max, size_t *size, char *err, size_t errlen);
/* Writes the GDT of mode at X86_BOOT_GDT_ADDR. */
int x86_write_gdt(AddressSpace *as, X86BootMode mode);
/* Loads the initrd at the top of RAM below min(limit, 4 GiB), above
 * low_end; returns its address and size. */
int x86_load_initrd(AddressSpace *as, const X86BootConfig *c, uint64_t low_end, uint64_t limit,
                    uint64_t *addr, uint64_t *size, char *err, size_t errlen);

int x86_load_linux(AddressSpace *as, const X86BootConfig *c, const uint8_t *img, size_t size,
                   X86BootState *b, char *err, size_t errlen);
int x86_load_pvh(AddressSpace *as, const X86BootConfig *c, const uint8_t *img, size_t size,
                 X86BootState *b, char *err, size_t errlen);

#endif
