/*
 * goldfish-rtc.c — Goldfish RTC registers: time (read, and settable by
 * writing it), one alarm, interrupt enable, status and acknowledge.
 *
 * The one thing to know: guest time is host CLOCK_REALTIME plus an offset
 * changed by writes to TIME_LOW/TIME_HIGH, so setting the clock in the
 * guest never changes the host's.
 */
#include <string.h>
#include <time.h>

#include "hw/misc/goldfish-rtc.h"
#include "migration/vmstate.h"

enum {
    RTC_TIME_LOW = 0x00,
    RTC_TIME_HIGH = 0x04,
    RTC_ALARM_LOW = 0x08,
    RTC_ALARM_HIGH = 0x0c,
    RTC_IRQ_ENABLED = 0x10,
    RTC_CLEAR_ALARM = 0x14,
    RTC_ALARM_STATUS = 0x18,
    RTC_CLEAR_INTERRUPT = 0x1c,
};

static uint64_t host_realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t rtc_now(const GoldfishRTC *rtc)
{
    return rtc->clock_ns() + (uint64_t)rtc->offset_ns;
}

static void rtc_update_irq(GoldfishRTC *rtc)
{
    irq_set(&rtc->irq, rtc->irq_pending && rtc->irq_enabled);
}

void goldfish_rtc_init(GoldfishRTC *rtc, IRQLine irq, uint64_t (*clock_ns)(void))
{
    memset(rtc, 0, sizeof(*rtc));
    rtc->irq = irq;
    rtc->clock_ns = clock_ns ? clock_ns : host_realtime_ns;
}

void goldfish_rtc_update(GoldfishRTC *rtc)
{
    if (rtc->alarm_armed && rtc_now(rtc) >= rtc->alarm_ns) {
        rtc->alarm_armed = false;
        rtc->irq_pending = true;
    }
    rtc_update_irq(rtc);
}

uint64_t goldfish_rtc_deadline_ns(const GoldfishRTC *rtc)
{
    if (!rtc->alarm_armed) {
        return UINT64_MAX;
    }
    uint64_t now = rtc_now(rtc);
    return rtc->alarm_ns <= now ? 0 : rtc->clock_ns() + (rtc->alarm_ns - now);
}

static uint64_t goldfish_rtc_read(void *opaque, uint64_t offset, unsigned size)
{
    GoldfishRTC *rtc = opaque;
    if (size != 4) {
        return 0;
    }
    switch (offset) {
    case RTC_TIME_LOW: {
        uint64_t now = rtc_now(rtc);
        rtc->time_high_latch = (uint32_t)(now >> 32);
        return (uint32_t)now;
    }
    case RTC_TIME_HIGH:
        return rtc->time_high_latch;
    case RTC_ALARM_LOW:
        return (uint32_t)rtc->alarm_ns;
    case RTC_ALARM_HIGH:
        return (uint32_t)(rtc->alarm_ns >> 32);
    case RTC_IRQ_ENABLED:
        return rtc->irq_enabled;
    case RTC_ALARM_STATUS:
        return rtc->alarm_armed;
    default:
        return 0;
    }
}

static void goldfish_rtc_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    GoldfishRTC *rtc = opaque;
    if (size != 4) {
        return;
    }
    uint32_t v = (uint32_t)value;
    uint64_t now = rtc_now(rtc);
    switch (offset) {
    case RTC_TIME_LOW:
        rtc->offset_ns += (int64_t)(((now & ~0xffffffffull) | v) - now);
        break;
    case RTC_TIME_HIGH:
        rtc->offset_ns += (int64_t)(((uint64_t)v << 32 | (now & 0xffffffffu)) - now);
        break;
    case RTC_ALARM_HIGH:
        rtc->alarm_high = v;
        break;
    case RTC_ALARM_LOW:
        rtc->alarm_ns = (uint64_t)rtc->alarm_high << 32 | v;
        rtc->alarm_armed = true;
        break;
    case RTC_IRQ_ENABLED:
        rtc->irq_enabled = v & 1;
        break;
    case RTC_CLEAR_ALARM:
        rtc->alarm_armed = false;
        break;
    case RTC_CLEAR_INTERRUPT:
        rtc->irq_pending = false;
        break;
    default:
        break;
    }
    goldfish_rtc_update(rtc);
}

const MemoryRegionOps goldfish_rtc_ops = {
    .read = goldfish_rtc_read,
    .write = goldfish_rtc_write,
};

void goldfish_rtc_state_save(void *obj, MigWriter *w)
{
    const GoldfishRTC *rtc = obj;
    mig_put_u64(w, (uint64_t)rtc->offset_ns);
    mig_put_u64(w, rtc->alarm_ns);
    mig_put_u8(w, (uint8_t)(rtc->alarm_armed | rtc->irq_enabled << 1 | rtc->irq_pending << 2));
    mig_put_u32(w, rtc->time_high_latch);
    mig_put_u32(w, rtc->alarm_high);
}

int goldfish_rtc_state_load(void *obj, MigReader *r, uint32_t version, char *err,
                            size_t errlen)
{
    GoldfishRTC *rtc = obj;
    rtc->offset_ns = (int64_t)mig_get_u64(r);
    rtc->alarm_ns = mig_get_u64(r);
    uint8_t flags = mig_get_u8(r);
    rtc->time_high_latch = mig_get_u32(r);
    rtc->alarm_high = mig_get_u32(r);
    if (flags > 7) {
        return mig_bad(err, errlen, "rtc", "flags");
    }
    rtc->alarm_armed = flags & 1;
    rtc->irq_enabled = (flags >> 1) & 1;
    rtc->irq_pending = (flags >> 2) & 1;
    return 0;
}
