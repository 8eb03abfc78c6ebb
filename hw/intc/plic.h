/*
 * plic.h — the RISC-V Platform-Level Interrupt Controller as in the `virt`
 * machine: interrupt sources 1..127 (0 means none; the device tree says 96,
 * as QEMU's does), 3 priority bits, two contexts per hart (2h: M-mode,
 * 2h+1: S-mode), register layout of the RISC-V PLIC specification.
 *
 * The one thing to know: sources are level-triggered through a gateway: a
 * high line makes a source pending once; claiming takes it out of pending
 * and marks it in service, and only completion lets a still-high line make
 * it pending again.
 */
#ifndef MIMIC_HW_PLIC_H
#define MIMIC_HW_PLIC_H

#include <stdbool.h>
#include <stdint.h>

#include "mimic/irq.h"
#include "mimic/memory.h"
#include "migration/stream.h"

#define PLIC_NUM_SOURCES 128
#define PLIC_MAX_CONTEXTS 128 /* 64 harts */
#define PLIC_PRIORITY_MAX 7
#define PLIC_MMIO_SIZE 0x600000 /* as in QEMU's virt: room for 1024 contexts */

typedef struct PLIC {
    unsigned nb_contexts;
    uint32_t priority[PLIC_NUM_SOURCES];
    uint32_t pending[PLIC_NUM_SOURCES / 32];
    uint32_t claimed[PLIC_NUM_SOURCES / 32];
    uint32_t level[PLIC_NUM_SOURCES / 32];   /* input lines as last seen */
    uint32_t enable[PLIC_MAX_CONTEXTS][PLIC_NUM_SOURCES / 32];
    uint32_t threshold[PLIC_MAX_CONTEXTS];
    IRQLine context_irq[PLIC_MAX_CONTEXTS];  /* MEIP / SEIP of each context */
} PLIC;

void plic_init(PLIC *p, unsigned nb_contexts);
/* The input line of source n (an IRQLine handler: opaque is the PLIC). */
void plic_set_source(void *opaque, int n, int level);

extern const MemoryRegionOps plic_ops;
/* Drives every context's output from the current state (after a load). */
void plic_update(PLIC *p);

/* Machine state: priorities, pending, claimed and line levels, and each
 * context's enables and threshold. */
#define PLIC_STATE_VERSION 1
void plic_state_save(void *obj, MigWriter *w);
int plic_state_load(void *obj, MigReader *r, uint32_t version, char *err, size_t errlen);

#endif
