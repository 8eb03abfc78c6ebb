/* smp.c — the -smp check of the PVH test guest: the boot CPU starts the
 * others with INIT-SIPI-SIPI through its local APIC (xAPIC MMIO), each
 * application processor reaches long mode through start.S's trampoline,
 * records its APIC ID and halts; the boot CPU checks that as many CPUs as
 * mimic.cpus=N says came up, each with its own APIC ID.
 * The one thing to know: there is no ACPI (no MADT) to count CPUs from, so
 * the runner passes the count on the command line; the trampoline is copied
 * to TRAMPOLINE (32 KiB), which must be RAM in the memory map. */
#include "guest.h"

#define AP_MAX 15                          /* as start.S */
#define TRAMPOLINE 0x8000u
#define MSR_APIC_BASE 0x1b
#define APIC_ID 0x020
#define APIC_SVR 0x0f0
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define ICR_PENDING (1u << 12)
#define ICR_ALL_BUT_SELF (3u << 18)
#define ICR_INIT 0x00004500u               /* INIT, level assert */
#define ICR_STARTUP 0x00004600u            /* STARTUP; vector = page number */

extern char ap_trampoline[], ap_trampoline_end[];

static volatile uint32_t ap_started;
static volatile uint32_t ap_ids[AP_MAX];

void ap_main(uint32_t index);

static uint64_t rdmsr64(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t tsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* Busy-waits about CYCLES TSC ticks (a 5 GHz clock is assumed for the
 * millisecond delays, which only makes them longer on a slower one). */
static void delay(uint64_t cycles)
{
    uint64_t t0 = tsc();
    while (tsc() - t0 < cycles) {
        __asm__ volatile("pause");
    }
}

static uintptr_t apic_base(void)
{
    return (uintptr_t)(rdmsr64(MSR_APIC_BASE) & 0xfffff000u);
}

static void apic_send(uintptr_t apic, uint32_t icr)
{
    mmio_write32(apic + APIC_ICR_HI, 0);
    mmio_write32(apic + APIC_ICR_LO, icr);
    for (int i = 0; i < 100000 && (mmio_read32(apic + APIC_ICR_LO) & ICR_PENDING); i++) {
        __asm__ volatile("pause");
    }
}

void ap_main(uint32_t index)
{
    uintptr_t apic = apic_base();
    ap_ids[index] = mmio_read32(apic + APIC_ID) >> 24;
    __atomic_fetch_add(&ap_started, 1, __ATOMIC_SEQ_CST);
}

bool smp_check(unsigned cpus, bool trampoline_is_ram)
{
    if (!check(cpus >= 2 && cpus <= AP_MAX + 1, "mimic.cpus= between 2 and 16", "bad count")) {
        return false;
    }
    if (!check(trampoline_is_ram, "RAM at the AP trampoline (0x8000)", "memory map says no")) {
        return false;
    }
    size_t len = (size_t)(ap_trampoline_end - ap_trampoline);
    memcpy((void *)(uintptr_t)TRAMPOLINE, ap_trampoline, len);

    uintptr_t apic = apic_base();
    uint32_t bsp_id = mmio_read32(apic + APIC_ID) >> 24;
    puts_serial("smp: local APIC at 0x");
    put_hex(apic, 8);
    puts_serial(", boot CPU APIC ID ");
    put_dec(bsp_id);
    puts_serial("\n");
    mmio_write32(apic + APIC_SVR, mmio_read32(apic + APIC_SVR) | 0x100);   /* enable */

    apic_send(apic, ICR_ALL_BUT_SELF | ICR_INIT);
    delay(50000000);                        /* 10 ms */
    for (int i = 0; i < 2; i++) {
        apic_send(apic, ICR_ALL_BUT_SELF | ICR_STARTUP | (TRAMPOLINE >> 12));
        delay(1000000);                     /* 200 us */
    }
    uint64_t t0 = tsc();
    while (ap_started < cpus - 1 && tsc() - t0 < 50000000000ull) {
        __asm__ volatile("pause");
    }
    uint32_t n = ap_started;
    puts_serial("smp: ");
    put_dec(n);
    puts_serial(" application processor(s) started, APIC IDs:");
    bool distinct = true;
    for (uint32_t i = 0; i < n && i < AP_MAX; i++) {
        puts_serial(" ");
        put_dec(ap_ids[i]);
        distinct &= ap_ids[i] != bsp_id;
        for (uint32_t j = 0; j < i; j++) {
            distinct &= ap_ids[i] != ap_ids[j];
        }
    }
    puts_serial("\n");
    check(n == cpus - 1, "every CPU started", "fewer (or more) APs than mimic.cpus - 1");
    return check(distinct, "every CPU has its own APIC ID", "an APIC ID repeats");
}
