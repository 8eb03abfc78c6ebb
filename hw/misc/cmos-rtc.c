/*
 * cmos-rtc.c — the CMOS clock: time registers computed on each read.
 *
 * The one thing to know: a write to a time register moves the offset by
 * the difference it makes, so the clock keeps running from the new value.
 */
#include <string.h>
#include <time.h>

#include "hw/misc/cmos-rtc.h"

enum {
    REG_SEC = 0, REG_MIN = 2, REG_HOUR = 4, REG_WDAY = 6, REG_MDAY = 7, REG_MON = 8,
    REG_YEAR = 9, REG_A = 0x0a, REG_B = 0x0b, REG_C = 0x0c, REG_D = 0x0d, REG_CENTURY = 0x32,
};

static uint8_t to_bcd(int v)
{
    return (uint8_t)(((v / 10) % 10) << 4 | (v % 10));
}

static int from_bcd(uint8_t v)
{
    return (v >> 4) * 10 + (v & 0xf);
}

void cmos_rtc_init(CMOSRTC *s, int64_t (*realtime_s)(void))
{
    memset(s, 0, sizeof(*s));
    s->realtime_s = realtime_s;
    s->ram[REG_A] = 0x26; /* 32.768 kHz time base, 1024 Hz rate */
    s->ram[REG_B] = 0x02; /* 24-hour, BCD */
    s->ram[REG_D] = 0x80; /* valid RAM and time */
}

static void rtc_now(const CMOSRTC *s, struct tm *tm)
{
    time_t t = (time_t)(s->realtime_s() + s->offset_s);
    gmtime_r(&t, tm);
}

static uint8_t rtc_time_reg(const CMOSRTC *s, unsigned reg)
{
    struct tm tm;
    rtc_now(s, &tm);
    switch (reg) {
    case REG_SEC: return to_bcd(tm.tm_sec);
    case REG_MIN: return to_bcd(tm.tm_min);
    case REG_HOUR: return to_bcd(tm.tm_hour);
    case REG_WDAY: return to_bcd(tm.tm_wday + 1);
    case REG_MDAY: return to_bcd(tm.tm_mday);
    case REG_MON: return to_bcd(tm.tm_mon + 1);
    case REG_YEAR: return to_bcd(tm.tm_year % 100);
    default: return to_bcd((tm.tm_year + 1900) / 100); /* REG_CENTURY */
    }
}

static void rtc_set_time_reg(CMOSRTC *s, unsigned reg, uint8_t v)
{
    struct tm tm;
    rtc_now(s, &tm);
    int n = from_bcd(v);
    switch (reg) {
    case REG_SEC: tm.tm_sec = n; break;
    case REG_MIN: tm.tm_min = n; break;
    case REG_HOUR: tm.tm_hour = n; break;
    case REG_MDAY: tm.tm_mday = n; break;
    case REG_MON: tm.tm_mon = n - 1; break;
    case REG_YEAR: tm.tm_year = (tm.tm_year / 100) * 100 + n; break;
    case REG_CENTURY: tm.tm_year = (n * 100 - 1900) + tm.tm_year % 100; break;
    default: return; /* the weekday follows from the date */
    }
    time_t t = timegm(&tm);
    if (t != (time_t)-1) {
        s->offset_s = (int64_t)t - s->realtime_s();
    }
}

static bool is_time_reg(unsigned reg)
{
    return reg <= REG_YEAR ? !(reg & 1) || reg >= REG_WDAY : reg == REG_CENTURY;
}

static uint64_t cmos_rtc_read(void *opaque, uint64_t offset, unsigned size)
{
    CMOSRTC *s = opaque;
    if (offset == 0) {
        return 0xff; /* the index port is write-only */
    }
    unsigned reg = s->index & 0x7f;
    if (is_time_reg(reg)) {
        return rtc_time_reg(s, reg);
    }
    return s->ram[reg];
}

static void cmos_rtc_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    CMOSRTC *s = opaque;
    if (offset == 0) {
        s->index = (uint8_t)value;
        return;
    }
    unsigned reg = s->index & 0x7f;
    if (is_time_reg(reg)) {
        rtc_set_time_reg(s, reg, (uint8_t)value);
    } else if (reg == REG_A) {
        s->ram[reg] = (uint8_t)(value & 0x7f); /* UIP is read-only */
    } else if (reg == REG_B) {
        s->ram[reg] = (uint8_t)((value & ~0x04u) | 0x02); /* BCD, 24-hour only */
    } else if (reg != REG_C && reg != REG_D) {
        s->ram[reg] = (uint8_t)value;
    }
}

const MemoryRegionOps cmos_rtc_ops = { .read = cmos_rtc_read, .write = cmos_rtc_write };
