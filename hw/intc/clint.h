/*
 * clint.h — the SiFive CLINT / RISC-V ACLINT (MSWI + MTIMER) as laid out in
 * the `virt` machine: msip[hart] at 0x0, mtimecmp[hart] at 0x4000, mtime at
 * 0xbff8, a 10 MHz time base.
 *
 * The one thing to know: mtime is derived from the host's monotonic clock,
 * so the timer interrupt (MTIP) changes without any register access; the
 * machine calls clint_update() when a hart's deadline (clint_deadline_ns)
 * passes, and after every write here the lines are recomputed at once.
 */
#ifndef MIMIC_HW_CLINT_H
#define MIMIC_HW_CLINT_H

#include <stdint.h>

#include "mimic/irq.h"
#include "mimic/memory.h"
#include "migration/stream.h"

#define CLINT_MAX_HARTS 64
#define CLINT_MMIO_SIZE 0x10000
#define CLINT_TIMEBASE_HZ 10000000u

typedef struct CLINT {
    unsigned nb_harts;
    uint32_t msip[CLINT_MAX_HARTS];
    uint64_t mtimecmp[CLINT_MAX_HARTS];
    IRQLine software_irq[CLINT_MAX_HARTS]; /* MSIP of each hart */
    IRQLine timer_irq[CLINT_MAX_HARTS];    /* MTIP of each hart */
    int64_t mtime_offset;                  /* set by writes to mtime */
    uint64_t msip_sets[CLINT_MAX_HARTS];   /* writes of 1 to msip, even over 1 */
    uint64_t (*clock_ns)(void);            /* the host's monotonic clock */
} CLINT;

/* mtime starts at 0; clock_ns NULL means CLOCK_MONOTONIC (tests pass their own). */
void clint_init(CLINT *c, unsigned nb_harts, uint64_t (*clock_ns)(void));
uint64_t clint_mtime(const CLINT *c);
/* Recomputes every hart's MTIP from the current time. */
void clint_update(CLINT *c);
/* Host clock_ns value at which hart's MTIP rises (UINT64_MAX: never). */
uint64_t clint_deadline_ns(const CLINT *c, unsigned hart);
/* Host clock_ns value at which mtime reaches `when` (0: already; UINT64_MAX:
 * never), for other comparators on the same time base (Sstc's stimecmp). */
uint64_t clint_time_deadline_ns(const CLINT *c, uint64_t when);

extern const MemoryRegionOps clint_ops;

/* Machine state (migration/vmstate.h): mtime, mtimecmp and msip of every
 * hart; loading sets the offset so that guest time goes on from the saved
 * mtime. */
#define CLINT_STATE_VERSION 1
void clint_state_save(void *obj, MigWriter *w);
int clint_state_load(void *obj, MigReader *r, uint32_t version, char *err, size_t errlen);

#endif
