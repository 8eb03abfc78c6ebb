/*
 * x86-mptable.c — writing the MP floating pointer and configuration table:
 * one processor entry per vCPU (APIC ID = vCPU index, the first is the
 * boot processor), one ISA bus, the IOAPIC, ISA IRQs 0-15 to IOAPIC pins
 * 0-15 (KVM's default routing), LINT0 as ExtINT and LINT1 as NMI.
 *
 * The one thing to know: both structures carry a checksum over their
 * bytes (the sum must be 0 mod 256); a kernel silently ignores a table
 * whose checksum is wrong.
 */
#include <stdio.h>
#include <string.h>

#include "accel/kvm/x86-boot.h"
#include "accel/kvm/x86-mptable.h"

#define MP_TABLE_MAX 1024 /* the last KiB of base memory */
#define MP_ENTRY_CPU 0
#define MP_ENTRY_BUS 1
#define MP_ENTRY_IOAPIC 2
#define MP_ENTRY_IOINT 3
#define MP_ENTRY_LINT 4
#define MP_INT 0
#define MP_NMI 1
#define MP_EXTINT 3

typedef struct MPWriter {
    uint8_t buf[MP_TABLE_MAX];
    size_t len;
    unsigned entries;
} MPWriter;

static uint8_t *mp_put(MPWriter *w, size_t n)
{
    if (w->len + n > sizeof(w->buf)) {
        return NULL;
    }
    uint8_t *p = w->buf + w->len;
    memset(p, 0, n);
    w->len += n;
    return p;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

static uint8_t checksum(const uint8_t *p, size_t n)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum = (uint8_t)(sum + p[i]);
    }
    return (uint8_t)-sum;
}

static bool mp_interrupt(MPWriter *w, unsigned type, unsigned kind, unsigned bus_irq,
                         unsigned dest, unsigned pin)
{
    uint8_t *e = mp_put(w, 8);
    if (!e) {
        return false;
    }
    e[0] = (uint8_t)type;
    e[1] = (uint8_t)kind;
    /* e[2..3] flags 0: polarity and trigger conform to the bus; e[4] bus 0 */
    e[5] = (uint8_t)bus_irq;
    e[6] = (uint8_t)dest;
    e[7] = (uint8_t)pin;
    w->entries++;
    return true;
}

int x86_write_mptable(AddressSpace *as, unsigned nb_cpus, uint32_t cpu_signature,
                      uint32_t cpu_features, char *err, size_t errlen)
{
    static MPWriter w;
    memset(&w, 0, sizeof(w));
    uint8_t *fp = mp_put(&w, 16);
    uint8_t *hdr = mp_put(&w, 44);
    size_t hdr_at = 16;
    bool ok = fp && hdr;
    for (unsigned i = 0; ok && i < nb_cpus; i++) {
        uint8_t *e = mp_put(&w, 20);
        if (!e) {
            ok = false;
            break;
        }
        e[0] = MP_ENTRY_CPU;
        e[1] = (uint8_t)i;    /* local APIC ID */
        e[2] = 0x14;          /* local APIC version */
        e[3] = (uint8_t)(1 | (i == 0 ? 2 : 0)); /* enabled; boot processor */
        put32(e + 4, cpu_signature);
        put32(e + 8, cpu_features);
        w.entries++;
    }
    uint8_t *bus = ok ? mp_put(&w, 8) : NULL;
    uint8_t *ioapic = bus ? mp_put(&w, 8) : NULL;
    ok = ioapic != NULL;
    unsigned ioapic_id = nb_cpus; /* distinct from every local APIC ID */
    if (ok) {
        bus[0] = MP_ENTRY_BUS;
        memcpy(bus + 2, "ISA   ", 6);
        ioapic[0] = MP_ENTRY_IOAPIC;
        ioapic[1] = (uint8_t)ioapic_id;
        ioapic[2] = 0x11; /* version */
        ioapic[3] = 1;    /* enabled */
        put32(ioapic + 4, X86_IOAPIC_ADDR);
        w.entries += 2;
    }
    for (unsigned irq = 0; ok && irq < 16; irq++) {
        ok = mp_interrupt(&w, MP_ENTRY_IOINT, MP_INT, irq, ioapic_id, irq);
    }
    ok = ok && mp_interrupt(&w, MP_ENTRY_LINT, MP_EXTINT, 0, 0xff, 0);
    ok = ok && mp_interrupt(&w, MP_ENTRY_LINT, MP_NMI, 0, 0xff, 1);
    if (!ok) {
        snprintf(err, errlen, "-smp %u: too many CPUs for the MP table", nb_cpus);
        return -1;
    }
    hdr = w.buf + hdr_at;
    memcpy(hdr, "PCMP", 4);
    put16(hdr + 4, (uint16_t)(w.len - hdr_at)); /* base table length */
    hdr[6] = 4;                                 /* spec revision 1.4 */
    memcpy(hdr + 8, "MIMIC   ", 8);
    memcpy(hdr + 16, "MICROVM     ", 12);
    put16(hdr + 34, (uint16_t)w.entries);
    put32(hdr + 36, X86_LAPIC_ADDR);
    hdr[7] = checksum(hdr, w.len - hdr_at);

    fp = w.buf;
    memcpy(fp, "_MP_", 4);
    put32(fp + 4, (uint32_t)(X86_BOOT_EBDA + hdr_at));
    fp[8] = 1; /* length in 16-byte units */
    fp[9] = 4;
    fp[10] = checksum(fp, 16);
    if (address_space_write(as, X86_BOOT_EBDA, w.buf, w.len)) {
        snprintf(err, errlen, "cannot write the MP table");
        return -1;
    }
    return 0;
}
