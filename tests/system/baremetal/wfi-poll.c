/*
 * wfi-poll.c — two harts, the pattern of OpenSBI 1.1's HSM wait: hart 1
 * polls a flag with wfi while an IPI it never takes is pending (mip.MSIP
 * set, mstatus.MIE clear), and hart 0 sets the flag, then writes msip
 * again. Run with -smp 2 -bios none -kernel.
 *
 * The one thing to know: mimic lets such a poller wait for something new
 * for it (an msip write, a line rising) after 64 wfis in a row — at
 * least 20 ms, then until no other hart runs M-mode code, one second at
 * most (system/riscv-virt-harts.c, virt_wfi_poll) — so a flag that is set
 * and then announced by an IPI is seen after the IPI: the race in OpenSBI
 * 1.1's hart start that made Linux -smp 2 hang. The test checks
 * that hart 1 polled only a few times while hart 0 worked for a long
 * while, and that a flag set with no IPI at all is still seen (the wait is
 * bounded).
 */
#include <stdint.h>

#include "two-harts.h"
#include "uart.h"

#define FINISHER (*(volatile uint32_t *)0x100000)
#define MSIP(h) (((volatile uint32_t *)0x2000000)[h])
#define MIP_MSIP (1u << 3)
#define POLL_LIMIT 1000 /* without the wait: one poll a microsecond or so */


static volatile uint32_t hart1_ready, flag_ipi, flag_quiet, hart1_done;
static volatile uint64_t polls_ipi, polls_quiet;

/* Hart 0's long stretch of work between setting a flag and the IPI. */
static void busy(void)
{
    for (volatile uint32_t i = 0; i < 2000000; i++) {
    }
}

static void hart1(void)
{
    __asm__ volatile("csrc mstatus, 8"); /* MIE clear: the IPI is never taken */
    __asm__ volatile("csrs mie, %0" : : "r"(MIP_MSIP));
    hart1_ready = 1;
    while (!flag_ipi) {
        __asm__ volatile("wfi");
        polls_ipi++;
    }
    while (!flag_quiet) {
        __asm__ volatile("wfi");
        polls_quiet++;
    }
    hart1_done = 1;
}

void hart_main(uint64_t hartid)
{
    if (hartid == 1) {
        hart1();
        return;
    }
    if (hartid != 0) {
        return;
    }
    MSIP(1) = 1; /* the IPI left pending, as OpenSBI's cold-boot wake leaves it */
    while (!hart1_ready) {
    }
    busy(); /* hart 1 polls meanwhile */
    flag_ipi = 1;
    MSIP(1) = 1; /* the IPI that announces the flag (msip was 1 already) */
    while (!polls_ipi || polls_quiet == 0) {
    }
    flag_quiet = 1; /* no IPI this time: hart 1 must still see it */
    while (!hart1_done) {
    }
    uint64_t n = polls_ipi;
    puts_(n < POLL_LIMIT ? "PASS" : "FAIL");
    puts_(": a hart polling with wfi and a pending IPI waits for the next IPI");
    if (n >= POLL_LIMIT) {
        puts_(" (");
        putdec(n);
        puts_(" polls)");
    }
    puts_("\nPASS: a flag set without an IPI is still seen\n");
    FINISHER = n < POLL_LIMIT ? 0x5555 : (1u << 16) | 0x3333;
    for (;;) {
    }
}
