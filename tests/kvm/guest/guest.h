/* guest.h — shared declarations of the PVH test guests (freestanding x86-64,
 * identity-mapped, interrupts off, one CPU): port and MMIO access, COM1
 * output, the PASS/FAIL bookkeeping and the virtio-blk check.
 * The one thing to know: every check goes through check(), which prints one
 * "PASS: name" or "FAIL: name (why)" line; the host-side runner
 * (tests/kvm/run-guest.py) matches those lines exactly. */
#ifndef KVM_GUEST_H
#define KVM_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint32_t mmio_read32(uintptr_t addr)
{
    return *(volatile uint32_t *)addr;
}

static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
    *(volatile uint32_t *)addr = v;
}

static inline uint8_t mmio_read8(uintptr_t addr)
{
    return *(volatile uint8_t *)addr;
}

/* Orders normal-memory stores (ring contents) before a device notify. */
static inline void mb(void)
{
    __asm__ volatile("mfence" ::: "memory");
}

/* lib.c: console and strings */
void serial_init(void);
void putc_serial(char c);
void puts_serial(const char *s);
void put_hex(uint64_t v, int digits);
void put_dec(uint64_t v);
void put_kv_hex(const char *key, uint64_t v);
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
/* The value of KEY=VALUE words in CMDLINE: the INDEX-th occurrence copied
 * into OUT (at most OUTLEN-1 bytes); false if there is none. */
bool cmdline_get(const char *cmdline, const char *key, int index, char *out, size_t outlen);
/* Linux memparse(): decimal, 0x hex or 0 octal, optional K/M/G suffix; END
 * gets the first unparsed character. */
uint64_t parse_size(const char *s, const char **end);
uint32_t fnv1a32(const void *data, size_t len);

/* main.c: checks */
bool check(bool ok, const char *name, const char *why);

/* virtio-blk.c: probes the transport at BASE and, if it is a virtio-blk
 * device, runs the block checks on it. Returns true if it was a blk device. */
bool virtio_mmio_probe(uintptr_t base, uint64_t size, unsigned irq);

/* smp.c: starts the other CPUS - 1 processors and checks they run. */
bool smp_check(unsigned cpus, bool trampoline_is_ram);

/* start.S */
void guest_triple_fault(void) __attribute__((noreturn));

#endif
