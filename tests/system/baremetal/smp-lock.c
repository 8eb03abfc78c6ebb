/*
 * smp-lock.c — two harts hammer shared memory the way Linux's locks do, with
 * timer interrupts arriving in between: a ticket lock taken with
 * `amoadd.w.aqrl` and released with a 16-bit `sh` of the owner half (Linux's
 * generic ticket spinlock on RISC-V), a counter behind it, an LR/SC counter,
 * and AMO counters on the neighbouring words. Run with -smp 2 -bios none
 * -kernel.
 *
 * The one thing to know: every update is counted on both sides, so a lost
 * or doubled atomic, a lost release or a torn store shows as a wrong total
 * (or as a hart stuck on the lock, which the harness's timeout catches).
 * Interrupts are enabled only outside the critical section, as
 * spin_lock_irqsave does; the handler itself takes a second ticket lock.
 * Then the store-buffering litmus test: each hart stores its flag, runs
 * `fence rw,rw` (Linux's smp_mb) and loads the other's; both loads seeing
 * the old values is forbidden, and an x86 host produces exactly that
 * unless the fence becomes a host barrier.
 */
#include <stdint.h>

#include "two-harts.h"
#include "uart.h"

#define FINISHER (*(volatile uint32_t *)0x100000)
#define MTIME (*(volatile uint64_t *)0x200bff8)
#define MTIMECMP(h) (((volatile uint64_t *)0x2004000)[h])
#define MIE_MTIE (1u << 7)
#define ITERATIONS 3000 /* at least; and until the hart took MIN_IRQS timer interrupts */
#define MIN_IRQS 3
#define LITMUS_ROUNDS 1000
#define TIMER_PERIOD 2000 /* ticks of the 10 MHz timer: an interrupt every 200 µs */

/* Machine trap entry: saves the caller-saved registers around trap_handler. */
__asm__(".text\n"
        ".align 4\n"
        ".globl trap_entry\n"
        "trap_entry:\n"
        "  addi sp, sp, -128\n"
        "  sd ra, 0(sp)\n  sd t0, 8(sp)\n  sd t1, 16(sp)\n  sd t2, 24(sp)\n"
        "  sd a0, 32(sp)\n  sd a1, 40(sp)\n  sd a2, 48(sp)\n  sd a3, 56(sp)\n"
        "  sd a4, 64(sp)\n  sd a5, 72(sp)\n  sd a6, 80(sp)\n  sd a7, 88(sp)\n"
        "  sd t3, 96(sp)\n  sd t4, 104(sp)\n  sd t5, 112(sp)\n  sd t6, 120(sp)\n"
        "  call trap_handler\n"
        "  ld ra, 0(sp)\n  ld t0, 8(sp)\n  ld t1, 16(sp)\n  ld t2, 24(sp)\n"
        "  ld a0, 32(sp)\n  ld a1, 40(sp)\n  ld a2, 48(sp)\n  ld a3, 56(sp)\n"
        "  ld a4, 64(sp)\n  ld a5, 72(sp)\n  ld a6, 80(sp)\n  ld a7, 88(sp)\n"
        "  ld t3, 96(sp)\n  ld t4, 104(sp)\n  ld t5, 112(sp)\n  ld t6, 120(sp)\n"
        "  addi sp, sp, 128\n"
        "  mret\n");

/* The lock word and its neighbours share one 8-byte unit and one line. */
static struct {
    volatile uint32_t lock;   /* owner in bits 0-15, next ticket in 16-31 */
    volatile uint32_t amo_w;  /* amoadd.w'd next to the lock */
    volatile uint64_t lrsc;   /* lr.d/sc.d incremented */
    volatile uint64_t locked; /* plain ++ under the lock */
    volatile uint32_t irq_lock;
    volatile uint32_t irq_count; /* plain ++ under irq_lock */
} __attribute__((aligned(64))) shared;

static volatile uint32_t started, done;
/* The litmus test: fresh flags for every round (no resets, so one barrier
 * a round), what each hart read, and the round barrier. */
static volatile uint64_t flag_x[LITMUS_ROUNDS], flag_y[LITMUS_ROUNDS];
static volatile uint64_t seen[2][LITMUS_ROUNDS];
static volatile uint32_t round_arrivals __attribute__((aligned(64)));
static volatile uint32_t both_old;
static volatile uint64_t irqs[2];
static volatile uint64_t iterations[2];

/* Linux's arch_spin_lock: take a ticket, wait for the owner to reach it. */
static void ticket_lock(volatile uint32_t *lock)
{
    uint32_t old;
    __asm__ volatile("amoadd.w.aqrl %0, %2, (%1)" : "=r"(old) : "r"(lock), "r"(1u << 16)
                     : "memory");
    uint16_t ticket = (uint16_t)(old >> 16);
    while ((uint16_t)*lock != ticket) {
        __asm__ volatile("div x0, x0, x0"); /* cpu_relax */
    }
    __asm__ volatile("fence r, rw" ::: "memory");
}

/* Linux's arch_spin_unlock: a release store of the owner half only. */
static void ticket_unlock(volatile uint32_t *lock)
{
    uint16_t owner = (uint16_t)(*lock + 1);
    __asm__ volatile("fence rw, w\n\tsh %0, 0(%1)" : : "r"(owner), "r"(lock) : "memory");
}

static void lrsc_increment(volatile uint64_t *p)
{
    uint64_t v, fail;
    __asm__ volatile("1: lr.d %0, (%2)\n"
                     "   addi %0, %0, 1\n"
                     "   sc.d %1, %0, (%2)\n"
                     "   bnez %1, 1b"
                     : "=&r"(v), "=&r"(fail) : "r"(p) : "memory");
}

void trap_handler(void)
{
    uint64_t cause, hart;
    __asm__ volatile("csrr %0, mcause" : "=r"(cause));
    __asm__ volatile("csrr %0, mhartid" : "=r"(hart));
    if (cause != ((1ull << 63) | 7)) {
        puts_("FAIL: unexpected trap, mcause ");
        putdec(cause & 0xff);
        putch('\n');
        FINISHER = (1u << 16) | 0x3333;
        for (;;) {
        }
    }
    MTIMECMP(hart) = MTIME + TIMER_PERIOD;
    irqs[hart]++;
    ticket_lock(&shared.irq_lock);
    shared.irq_count = shared.irq_count + 1;
    ticket_unlock(&shared.irq_lock);
}

static void hammer(uint64_t hart)
{
    MTIMECMP(hart) = MTIME + TIMER_PERIOD;
    __asm__ volatile("csrs mie, %0" : : "r"(MIE_MTIE));
    __atomic_fetch_add(&started, 1, __ATOMIC_SEQ_CST);
    while (started < 2) {
    }
    /* However fast the host runs the loop, each hart also waits in it for
     * timer interrupts (a hart that never gets one hangs here: a failure). */
    uint64_t i;
    for (i = 0; i < ITERATIONS || irqs[hart] < MIN_IRQS; i++) {
        __asm__ volatile("csrs mstatus, 8"); /* interrupts may come here */
        __asm__ volatile("csrc mstatus, 8"); /* spin_lock_irqsave */
        ticket_lock(&shared.lock);
        shared.locked = shared.locked + 1;
        ticket_unlock(&shared.lock);
        __atomic_fetch_add(&shared.amo_w, 1, __ATOMIC_RELAXED);
        lrsc_increment(&shared.lrsc);
    }
    iterations[hart] = i;
    __asm__ volatile("csrc mie, %0" : : "r"(MIE_MTIE));
    __atomic_fetch_add(&done, 1, __ATOMIC_SEQ_CST);
}

/* Waits until both harts have arrived `round` times (AMOs are full barriers). */
static void round_barrier(uint32_t round)
{
    __atomic_fetch_add(&round_arrivals, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&round_arrivals, __ATOMIC_SEQ_CST) < 2 * round) {
    }
}

/* Store buffering: x = 1; fence rw,rw; read y — and the mirror image. The
 * barrier starts both harts on a round together; the reads are counted
 * after the last one. */
static void litmus(uint64_t hart)
{
    volatile uint64_t *mine = hart ? flag_y : flag_x, *other = hart ? flag_x : flag_y;
    for (uint32_t r = 0; r < LITMUS_ROUNDS; r++) {
        round_barrier(r + 1);
        uint64_t got;
        __asm__ volatile("sd %2, 0(%1)\n\t"
                         "fence rw, rw\n\t"
                         "ld %0, 0(%3)"
                         : "=&r"(got) : "r"(&mine[r]), "r"(1ull), "r"(&other[r]) : "memory");
        seen[hart][r] = got;
    }
    round_barrier(LITMUS_ROUNDS + 1);
    for (uint32_t r = 0; hart == 0 && r < LITMUS_ROUNDS; r++) {
        both_old += seen[0][r] == 0 && seen[1][r] == 0;
    }
}

static void check(const char *what, uint64_t got, uint64_t want)
{
    puts_(got == want ? "PASS: " : "FAIL: ");
    puts_(what);
    if (got != want) {
        puts_(": ");
        putdec(got);
        puts_(" instead of ");
        putdec(want);
    }
    putch('\n');
}

void hart_main(uint64_t hartid)
{
    extern char trap_entry[];
    if (hartid > 1) {
        return;
    }
    __asm__ volatile("csrw mtvec, %0" : : "r"(trap_entry));
    hammer(hartid);
    while (done < 2) {
    }
    litmus(hartid);
    if (hartid == 1) {
        return;
    }
    uint32_t lock = shared.lock, irq_lock = shared.irq_lock;
    uint64_t total_irqs = irqs[0] + irqs[1], total = iterations[0] + iterations[1];
    check("ticket lock counter", shared.locked, total);
    check("ticket lock released", lock >> 16, lock & 0xffff);
    check("amoadd.w next to the lock", shared.amo_w, total);
    check("lr.d/sc.d counter", shared.lrsc, total);
    check("interrupt handlers' counter", shared.irq_count, total_irqs);
    check("interrupt lock released", irq_lock >> 16, irq_lock & 0xffff);
    check("fence rw,rw orders a store before a load (store buffering)", both_old, 0);
    int ok = shared.locked == total && (lock >> 16) == (lock & 0xffff) &&
             shared.amo_w == total && shared.lrsc == total &&
             shared.irq_count == total_irqs && (irq_lock >> 16) == (irq_lock & 0xffff) &&
             both_old == 0;
    FINISHER = ok ? 0x5555 : (1u << 16) | 0x3333;
    for (;;) {
    }
}
