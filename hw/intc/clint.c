/*
 * clint.c — CLINT registers: software interrupts (msip), per-hart timer
 * compare (mtimecmp) and the shared time counter (mtime).
 *
 * The one thing to know: 64-bit registers accept 8-byte accesses and
 * 4-byte accesses to either half (RV32 firmware writes mtimecmp in two
 * halves); anything else reads 0 and is ignored, as are harts that do not
 * exist.
 */
#include <string.h>
#include <time.h>

#include "hw/intc/clint.h"
#include "migration/vmstate.h"

#define MSIP_BASE 0x0000
#define MTIMECMP_BASE 0x4000
#define MTIME 0xbff8
#define NS_PER_TICK (1000000000u / CLINT_TIMEBASE_HZ)

static uint64_t host_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void clint_init(CLINT *c, unsigned nb_harts, uint64_t (*clock_ns)(void))
{
    memset(c, 0, sizeof(*c));
    c->nb_harts = nb_harts > CLINT_MAX_HARTS ? CLINT_MAX_HARTS : nb_harts;
    c->clock_ns = clock_ns ? clock_ns : host_clock_ns;
    for (unsigned h = 0; h < c->nb_harts; h++) {
        c->mtimecmp[h] = UINT64_MAX;
    }
    c->mtime_offset = -(int64_t)(c->clock_ns() / NS_PER_TICK); /* mtime starts at 0 */
}

uint64_t clint_mtime(const CLINT *c)
{
    return c->clock_ns() / NS_PER_TICK + (uint64_t)c->mtime_offset;
}

void clint_update(CLINT *c)
{
    uint64_t now = clint_mtime(c);
    for (unsigned h = 0; h < c->nb_harts; h++) {
        irq_set(&c->timer_irq[h], now >= c->mtimecmp[h]);
        irq_set(&c->software_irq[h], c->msip[h] & 1);
    }
}

uint64_t clint_time_deadline_ns(const CLINT *c, uint64_t when)
{
    if (when == UINT64_MAX) {
        return UINT64_MAX;
    }
    if (clint_mtime(c) >= when) {
        return 0; /* already due */
    }
    uint64_t ticks = when - (uint64_t)c->mtime_offset; /* in host ticks */
    return ticks > UINT64_MAX / NS_PER_TICK ? UINT64_MAX : ticks * NS_PER_TICK;
}

uint64_t clint_deadline_ns(const CLINT *c, unsigned hart)
{
    return hart < c->nb_harts ? clint_time_deadline_ns(c, c->mtimecmp[hart]) : UINT64_MAX;
}

/* Reads or replaces the 4- or 8-byte part at `off` of a 64-bit register. */
static uint64_t part_read(uint64_t reg, uint64_t off, unsigned size)
{
    return size == 8 ? reg : (uint32_t)(reg >> (8 * (off & 4)));
}

static uint64_t part_write(uint64_t reg, uint64_t off, unsigned size, uint64_t value)
{
    if (size == 8) {
        return value;
    }
    unsigned shift = 8 * (unsigned)(off & 4);
    return (reg & ~(0xffffffffull << shift)) | ((value & 0xffffffffull) << shift);
}

static bool part_ok(uint64_t off, unsigned size)
{
    return (size == 8 && !(off & 7)) || (size == 4 && !(off & 3));
}

static uint64_t clint_read(void *opaque, uint64_t offset, unsigned size)
{
    CLINT *c = opaque;
    if (offset < MTIMECMP_BASE) {
        uint64_t h = offset / 4;
        return size == 4 && !(offset & 3) && h < c->nb_harts ? c->msip[h] : 0;
    }
    if (!part_ok(offset, size)) {
        return 0;
    }
    if (offset >= MTIME && offset < MTIME + 8) {
        return part_read(clint_mtime(c), offset, size);
    }
    uint64_t h = (offset - MTIMECMP_BASE) / 8;
    return h < c->nb_harts ? part_read(c->mtimecmp[h], offset, size) : 0;
}

static void clint_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    CLINT *c = opaque;
    if (offset < MTIMECMP_BASE) {
        uint64_t h = offset / 4;
        if (size == 4 && !(offset & 3) && h < c->nb_harts) {
            c->msip[h] = value & 1;
            c->msip_sets[h] += value & 1;
        }
    } else if (part_ok(offset, size)) {
        if (offset >= MTIME && offset < MTIME + 8) {
            uint64_t now = clint_mtime(c);
            c->mtime_offset += (int64_t)(part_write(now, offset, size, value) - now);
        } else {
            uint64_t h = (offset - MTIMECMP_BASE) / 8;
            if (h < c->nb_harts) {
                c->mtimecmp[h] = part_write(c->mtimecmp[h], offset, size, value);
            }
        }
    }
    clint_update(c);
}

const MemoryRegionOps clint_ops = {
    .read = clint_read,
    .write = clint_write,
};

void clint_state_save(void *obj, MigWriter *w)
{
    const CLINT *c = obj;
    mig_put_u32(w, c->nb_harts);
    mig_put_u64(w, clint_mtime(c));
    for (unsigned h = 0; h < c->nb_harts; h++) {
        mig_put_u32(w, c->msip[h]);
        mig_put_u64(w, c->mtimecmp[h]);
    }
}

int clint_state_load(void *obj, MigReader *r, uint32_t version, char *err, size_t errlen)
{
    CLINT *c = obj;
    if (mig_get_u32(r) != c->nb_harts) {
        return mig_bad(err, errlen, "clint", "hart count");
    }
    uint64_t mtime = mig_get_u64(r);
    for (unsigned h = 0; h < c->nb_harts; h++) {
        c->msip[h] = mig_get_u32(r);
        c->mtimecmp[h] = mig_get_u64(r);
        if (c->msip[h] > 1) {
            return mig_bad(err, errlen, "clint", "msip");
        }
    }
    c->mtime_offset = (int64_t)(mtime - c->clock_ns() / NS_PER_TICK);
    return 0;
}
