/*
 * memory.h — guest physical memory for system mode: an address space made
 * of RAM regions (host memory) and MMIO regions (device callbacks), used by
 * the CPU's slow path and by devices for DMA.
 *
 * The one thing to know: a device gets a host pointer into guest memory
 * only through address_space_map(), which succeeds only when the whole
 * range lies inside one RAM region; everything a guest hands a device
 * (descriptor addresses, lengths) must go through it or through
 * address_space_read()/write(), which also reach MMIO. No function here
 * trusts an address or a length.
 */
#ifndef MIMIC_MEMORY_H
#define MIMIC_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct MemoryRegionOps {
    /* size is 1, 2, 4 or 8; offset is relative to the region. */
    uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
    void (*write)(void *opaque, uint64_t offset, uint64_t value, unsigned size);
} MemoryRegionOps;

typedef struct MemoryRegion {
    const char *name;
    uint64_t base;
    uint64_t size;
    uint8_t *ram;               /* RAM: host memory; MMIO: NULL */
    bool readonly;              /* RAM that guests read but cannot write (a ROM) */
    const MemoryRegionOps *ops; /* MMIO */
    void *opaque;
} MemoryRegion;

#define ADDRESS_SPACE_MAX_REGIONS 64

typedef struct AddressSpace {
    MemoryRegion regions[ADDRESS_SPACE_MAX_REGIONS]; /* sorted by base, disjoint */
    int nb_regions;
    int largest_ram; /* index of the region looked at first */
    /* Told of every write to RAM other than the CPU's own stores (DMA,
     * loaders) before it happens: the translator drops code there. NULL:
     * nobody cares (a KVM guest). */
    void (*write_hook)(uint64_t addr, uint64_t len);
} AddressSpace;

/* Adds zeroed RAM at [base, base + size) (host mmap, MAP_NORESERVE);
 * 0 or -errno (-EINVAL for an overlap or an empty or wrapping range). */
int address_space_add_ram(AddressSpace *as, const char *name, uint64_t base, uint64_t size);
/* Marks the RAM region at base read-only for guests (a ROM: their writes
 * are ignored); loaders still fill it through address_space_map(). */
void address_space_set_readonly(AddressSpace *as, uint64_t base);
int address_space_add_mmio(AddressSpace *as, const char *name, uint64_t base, uint64_t size,
                           const MemoryRegionOps *ops, void *opaque);
/* Unmaps the RAM regions. */
void address_space_destroy(AddressSpace *as);
/* The region containing addr, or NULL. */
const MemoryRegion *address_space_lookup(const AddressSpace *as, uint64_t addr);
/* Host pointer for [addr, addr + len) if it lies wholly inside one RAM
 * region (len 0 included), else NULL. */
void *address_space_map(const AddressSpace *as, uint64_t addr, uint64_t len);
/* A device or loader is about to write [addr, addr + len) of RAM through a
 * pointer from address_space_map(). */
static inline void address_space_notify_write(const AddressSpace *as, uint64_t addr,
                                              uint64_t len)
{
    if (as->write_hook) {
        as->write_hook(addr, len);
    }
}

/* Copies to/from guest memory (RAM, or MMIO in naturally sized pieces);
 * 0, or -EFAULT if any byte has nothing behind it. */
int address_space_read(const AddressSpace *as, uint64_t addr, void *buf, uint64_t len);
int address_space_write(const AddressSpace *as, uint64_t addr, const void *buf, uint64_t len);

#endif
