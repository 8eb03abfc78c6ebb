/*
 * cmos-rtc.h — the PC's CMOS real-time clock (MC146818 layout) on ports
 * 0x70 (index, bit 7 masks NMIs) and 0x71 (data): the time of day in BCD,
 * 24-hour mode, from the host's clock plus an offset the guest may set,
 * and 128 bytes of CMOS memory.
 *
 * The one thing to know: no interrupts (no alarm, periodic or update
 * interrupt); register A's update-in-progress bit is always clear.
 */
#ifndef MIMIC_HW_CMOS_RTC_H
#define MIMIC_HW_CMOS_RTC_H

#include <stdint.h>

#include "mimic/memory.h"

typedef struct CMOSRTC {
    uint8_t index;
    uint8_t ram[128];
    int64_t offset_s;            /* guest time - host time */
    int64_t (*realtime_s)(void); /* the host's wall clock, in seconds */
} CMOSRTC;

void cmos_rtc_init(CMOSRTC *s, int64_t (*realtime_s)(void));

extern const MemoryRegionOps cmos_rtc_ops;
#define CMOS_RTC_PORT_BASE 0x70
#define CMOS_RTC_PORT_COUNT 2

#endif
