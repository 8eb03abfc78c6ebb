/*
 * goldfish-rtc.h — the Goldfish real-time clock of the `virt` machine
 * (Android emulator's RTC, Linux driver rtc-goldfish): nanoseconds since
 * the Unix epoch, and one alarm with an interrupt.
 *
 * The one thing to know: reading TIME_LOW latches the high half, which
 * TIME_HIGH then returns, so a driver reads a consistent 64-bit value; the
 * alarm fires when the machine calls goldfish_rtc_update() after
 * goldfish_rtc_deadline_ns() has passed.
 */
#ifndef MIMIC_HW_GOLDFISH_RTC_H
#define MIMIC_HW_GOLDFISH_RTC_H

#include <stdbool.h>
#include <stdint.h>

#include "mimic/irq.h"
#include "mimic/memory.h"
#include "migration/stream.h"

#define GOLDFISH_RTC_MMIO_SIZE 0x1000

typedef struct GoldfishRTC {
    int64_t offset_ns;        /* guest time minus host realtime */
    uint64_t alarm_ns;        /* guest time of the alarm */
    bool alarm_armed;
    bool irq_enabled;
    bool irq_pending;
    uint32_t time_high_latch;
    uint32_t alarm_high;      /* written before ALARM_LOW arms it */
    IRQLine irq;
    uint64_t (*clock_ns)(void); /* host realtime */
} GoldfishRTC;

/* clock_ns NULL: CLOCK_REALTIME (tests pass their own). */
void goldfish_rtc_init(GoldfishRTC *rtc, IRQLine irq, uint64_t (*clock_ns)(void));
/* Fires the alarm if its time has come. */
void goldfish_rtc_update(GoldfishRTC *rtc);
/* Host clock_ns value of the alarm (UINT64_MAX: none). */
uint64_t goldfish_rtc_deadline_ns(const GoldfishRTC *rtc);

extern const MemoryRegionOps goldfish_rtc_ops;

/* Machine state: the guest's offset from host time, the alarm, the
 * interrupt and the latched high word. */
#define GOLDFISH_RTC_STATE_VERSION 1
void goldfish_rtc_state_save(void *obj, MigWriter *w);
int goldfish_rtc_state_load(void *obj, MigReader *r, uint32_t version, char *err,
                            size_t errlen);

#endif
