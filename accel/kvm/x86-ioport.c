/*
 * x86-ioport.c — dispatching port reads and writes to the range that
 * claims them.
 *
 * The one thing to know: the range check is "port inside the range, then
 * size inside what is left", so a 4-byte access at a range's last port is
 * not sent to the device (it reads as all ones).
 */
#include "accel/kvm/x86-ioport.h"
#include "mimic/log.h"

int ioport_add(IOPortSpace *s, const char *name, uint16_t base, uint16_t len,
               const MemoryRegionOps *ops, void *opaque)
{
    if (s->nb_ranges == IOPORT_MAX_RANGES || len == 0 || (uint32_t)base + len > 0x10000) {
        return -1;
    }
    for (unsigned i = 0; i < s->nb_ranges; i++) {
        const IOPortRange *r = &s->ranges[i];
        if (base < r->base + r->len && r->base < base + len) {
            return -1;
        }
    }
    s->ranges[s->nb_ranges++] = (IOPortRange){ name, base, len, ops, opaque };
    return 0;
}

static const IOPortRange *ioport_find(const IOPortSpace *s, uint16_t port, unsigned size)
{
    for (unsigned i = 0; i < s->nb_ranges; i++) {
        const IOPortRange *r = &s->ranges[i];
        if (port >= r->base && port - r->base < r->len) {
            return size <= (unsigned)(r->len - (port - r->base)) ? r : NULL;
        }
    }
    return NULL;
}

uint32_t ioport_read(const IOPortSpace *s, uint16_t port, unsigned size)
{
    const IOPortRange *r = ioport_find(s, port, size);
    if (!r) {
        if (log_enabled(LOG_UNIMP)) {
            log_printf("ioport: read of %u bytes at unclaimed port 0x%x\n", size, port);
        }
        return size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
    }
    return (uint32_t)r->ops->read(r->opaque, port - r->base, size);
}

void ioport_write(const IOPortSpace *s, uint16_t port, uint32_t value, unsigned size)
{
    const IOPortRange *r = ioport_find(s, port, size);
    if (!r) {
        if (log_enabled(LOG_UNIMP)) {
            log_printf("ioport: write of %u bytes (0x%x) at unclaimed port 0x%x\n", size, value,
                       port);
        }
        return;
    }
    r->ops->write(r->opaque, port - r->base, value, size);
}
