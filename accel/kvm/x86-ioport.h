/*
 * x86-ioport.h — the x86 I/O port space of a machine: a small table of
 * port ranges, each served by MemoryRegionOps (offset from the range's
 * first port), so the same device models serve MMIO and port I/O.
 *
 * The one thing to know: a port nobody claims reads as all ones and
 * ignores writes, as on a PC bus; accesses are never split or merged.
 */
#ifndef MIMIC_ACCEL_KVM_X86_IOPORT_H
#define MIMIC_ACCEL_KVM_X86_IOPORT_H

#include <stdint.h>

#include "mimic/memory.h"

#define IOPORT_MAX_RANGES 16

typedef struct IOPortRange {
    const char *name;
    uint16_t base, len;
    const MemoryRegionOps *ops;
    void *opaque;
} IOPortRange;

typedef struct IOPortSpace {
    IOPortRange ranges[IOPORT_MAX_RANGES];
    unsigned nb_ranges;
} IOPortSpace;

/* 0, or -1 if the table is full or the range overlaps another. */
int ioport_add(IOPortSpace *s, const char *name, uint16_t base, uint16_t len,
               const MemoryRegionOps *ops, void *opaque);
/* size is 1, 2 or 4. */
uint32_t ioport_read(const IOPortSpace *s, uint16_t port, unsigned size);
void ioport_write(const IOPortSpace *s, uint16_t port, uint32_t value, unsigned size);

#endif
