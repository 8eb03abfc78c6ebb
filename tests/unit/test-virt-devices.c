/*
 * test-virt-devices.c — the `virt` machine's simple devices through their
 * MMIO registers: NS16550A (transmit, receive FIFO, interrupt identification
 * and priorities, divisor latch, loopback, overrun), CLINT (mtime on a fake
 * clock, mtimecmp in halves, MTIP and MSIP lines, deadlines), PLIC
 * (priorities, threshold, claim/complete, level re-trigger, per-context
 * enables, ties, out-of-range accesses) and the SiFive test finisher.
 *
 * The one thing to know: each device is mapped alone in an address space at
 * BASE and its interrupt lines are recorded in `lines[]`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hw/char/uart16550.h"
#include "hw/intc/clint.h"
#include "hw/intc/plic.h"
#include "hw/misc/goldfish-rtc.h"
#include "hw/misc/sifive-test.h"

#define BASE 0x10000000ull

static AddressSpace as;
static int lines[16];
static char out[64];
static size_t out_len;

static void record_line(void *opaque, int n, int level)
{
    lines[n] = level;
}

static void record_output(void *opaque, uint8_t byte)
{
    if (out_len < sizeof(out) - 1) {
        out[out_len++] = (char)byte;
    }
}

static uint64_t rd(uint64_t off, unsigned size)
{
    uint64_t v = 0;
    assert_int_equal(address_space_read(&as, BASE + off, &v, size), 0);
    return v;
}

static void wr(uint64_t off, uint64_t v, unsigned size)
{
    assert_int_equal(address_space_write(&as, BASE + off, &v, size), 0);
}

static void map(const char *name, uint64_t size, const MemoryRegionOps *ops, void *dev)
{
    memset(&as, 0, sizeof(as));
    memset(lines, 0, sizeof(lines));
    out_len = 0;
    memset(out, 0, sizeof(out));
    assert_int_equal(address_space_add_mmio(&as, name, BASE, size, ops, dev), 0);
}

static void test_uart(void **state)
{
    UART16550 u;
    uart16550_init(&u, (IRQLine){ record_line, NULL, 0 }, record_output, NULL);
    map("uart", UART16550_MMIO_SIZE, &uart16550_ops, &u);
    assert_int_equal(rd(5, 1) & 0x60, 0x60); /* THRE | TEMT */
    for (const char *p = "hi!"; *p; p++) {
        wr(0, (uint8_t)*p, 1);
    }
    assert_string_equal(out, "hi!");
    assert_int_equal(lines[0], 0); /* no interrupt enabled */

    /* THR-empty interrupt: raised when enabled, cleared by reading IIR. */
    wr(1, 0x02, 1);
    assert_int_equal(lines[0], 1);
    assert_int_equal(rd(2, 1) & 0x0f, 0x02);
    assert_int_equal(lines[0], 0);
    assert_int_equal(rd(2, 1) & 0x0f, 0x01);

    /* Receive: data-available outranks THR empty; FIFO of 16, overrun. */
    wr(1, 0x03, 1);
    wr(0, 'x', 1); /* THR empty pending again */
    uint8_t msg[20];
    for (int i = 0; i < 20; i++) {
        msg[i] = (uint8_t)('a' + i);
    }
    assert_int_equal(uart16550_can_receive(&u), 16);
    assert_int_equal(uart16550_receive(&u, msg, 20), 16);
    assert_int_equal(uart16550_can_receive(&u), 0);
    assert_int_equal(lines[0], 1);
    assert_int_equal(rd(2, 1) & 0x0f, 0x04);
    for (int i = 0; i < 16; i++) {
        assert_int_equal(rd(5, 1) & 1, 1);
        assert_int_equal(rd(0, 1), 'a' + i);
    }
    assert_int_equal(rd(5, 1) & 1, 0);
    assert_int_equal(rd(2, 1) & 0x0f, 0x02); /* then THR empty */
    uart16550_receive(&u, msg, 16);
    uint8_t more = 'z';
    assert_int_equal(uart16550_receive(&u, &more, 1), 0); /* full: caller holds it back */

    /* Divisor latch, FIFO clear, loopback. */
    wr(3, 0x80, 1);
    wr(0, 0x34, 1);
    wr(1, 0x12, 1);
    assert_int_equal(rd(0, 1), 0x34);
    assert_int_equal(rd(1, 1), 0x12);
    wr(3, 0x03, 1);
    assert_int_equal(rd(1, 1), 0x03); /* IER again */
    wr(2, 0x03, 1);                   /* enable and clear the FIFOs */
    assert_int_equal(rd(5, 1) & 1, 0);
    assert_int_equal(rd(2, 1) & 0xc0, 0xc0);
    wr(4, 0x10 | 0x01, 1); /* loopback, DTR */
    out_len = 0;
    wr(0, 'L', 1);
    assert_int_equal(out_len, 0);
    assert_int_equal(rd(0, 1), 'L');
    assert_int_equal(rd(6, 1) & 0x20, 0x20); /* DSR follows DTR */
    assert_int_equal(rd(0x50, 1), 0);        /* past the registers */
}

static uint64_t fake_ns;

static uint64_t fake_clock(void)
{
    return fake_ns;
}

static void test_clint(void **state)
{
    CLINT c;
    fake_ns = 5000000000ull;
    clint_init(&c, 2, fake_clock);
    for (int h = 0; h < 2; h++) {
        c.software_irq[h] = (IRQLine){ record_line, NULL, h };
        c.timer_irq[h] = (IRQLine){ record_line, NULL, 2 + h };
    }
    map("clint", CLINT_MMIO_SIZE, &clint_ops, &c);
    assert_int_equal(rd(0xbff8, 8), 0);
    fake_ns += 1000; /* 10 ticks at 10 MHz */
    assert_int_equal(rd(0xbff8, 8), 10);
    assert_int_equal(rd(0xbff8, 4), 10);
    assert_int_equal(rd(0xbffc, 4), 0);

    wr(0x4000 + 8, 100, 4); /* hart 1, low half */
    wr(0x4000 + 12, 0, 4);  /* high half */
    assert_int_equal(rd(0x4008, 8), 100);
    assert_int_equal(lines[3], 0);
    assert_int_equal(clint_deadline_ns(&c, 1), 5000000000ull + 100 * 100);
    fake_ns += 90 * 100;
    clint_update(&c);
    assert_int_equal(lines[3], 1);
    assert_int_equal(clint_deadline_ns(&c, 1), 0);
    wr(0x4008, UINT64_MAX, 8);
    assert_int_equal(lines[3], 0);
    assert_int_equal(clint_deadline_ns(&c, 1), UINT64_MAX);

    wr(0x0, 1, 4); /* msip hart 0 */
    assert_int_equal(lines[0], 1);
    assert_int_equal(rd(0x0, 4), 1);
    wr(0x0, 0, 4);
    assert_int_equal(lines[0], 0);

    wr(0xbff8, 1000000, 8); /* mtime is writable */
    assert_int_equal(rd(0xbff8, 8), 1000000);
    wr(0x8, 1, 4);                       /* hart 2 does not exist */
    assert_int_equal(rd(0x4000 + 16, 8), 0);
    assert_int_equal(rd(0x4001, 4), 0); /* misaligned */
}

static void test_plic(void **state)
{
    PLIC p;
    plic_init(&p, 4);
    for (int ctx = 0; ctx < 4; ctx++) {
        p.context_irq[ctx] = (IRQLine){ record_line, NULL, ctx };
    }
    map("plic", PLIC_MMIO_SIZE, &plic_ops, &p);
    wr(4 * 10, 3, 4);  /* source 10: priority 3 */
    wr(4 * 11, 3, 4);  /* source 11: priority 3 */
    wr(4 * 12, 9, 4);  /* WARL: three bits */
    assert_int_equal(rd(4 * 12, 4), 1);
    wr(4 * 12, 7, 4);
    wr(0x2000 + 0x80 * 1, (1u << 10) | (1u << 11) | (1u << 12) | 1u, 4); /* context 1 */
    assert_int_equal(rd(0x2080, 4), (1u << 10) | (1u << 11) | (1u << 12)); /* no source 0 */

    plic_set_source(&p, 11, 1);
    plic_set_source(&p, 10, 1);
    assert_int_equal(lines[1], 1);
    assert_int_equal(lines[0], 0); /* context 0 enables nothing */
    assert_int_equal(rd(0x1000, 4), (1u << 10) | (1u << 11));
    /* Equal priorities: the lowest id first. */
    assert_int_equal(rd(0x200000 + 0x1000 + 4, 4), 10);
    assert_int_equal(rd(0x200000 + 0x1000 + 4, 4), 11);
    assert_int_equal(lines[1], 0); /* both in service */
    assert_int_equal(rd(0x200000 + 0x1000 + 4, 4), 0);

    /* Completing 10 with its line still high makes it pending again. */
    wr(0x200000 + 0x1000 + 4, 10, 4);
    assert_int_equal(lines[1], 1);
    plic_set_source(&p, 11, 0);
    wr(0x200000 + 0x1000 + 4, 11, 4);
    assert_int_equal(rd(0x1000, 4), 1u << 10);

    /* Threshold masks priority <= threshold; a higher source wins. */
    wr(0x200000 + 0x1000, 3, 4);
    assert_int_equal(lines[1], 0);
    plic_set_source(&p, 12, 1);
    assert_int_equal(lines[1], 1);
    assert_int_equal(rd(0x200000 + 0x1000 + 4, 4), 12);

    /* Out of range: sources, contexts, sizes. */
    plic_set_source(&p, 0, 1);
    plic_set_source(&p, PLIC_NUM_SOURCES, 1);
    plic_set_source(&p, -1, 1);
    wr(0x200000 + 0x1000 * 4, 1, 4); /* context 4 does not exist */
    assert_int_equal(rd(0x200000 + 0x1000 * 4 + 4, 4), 0);
    wr(0x200000 + 0x1000 + 4, 999, 4);
    wr(4 * 10, 1, 1);
    assert_int_equal(rd(4 * 10, 4), 3);
    assert_int_equal(rd(0x2000 + 0x80 * 100, 4), 0);
}

static void test_goldfish_rtc(void **state)
{
    GoldfishRTC rtc;
    fake_ns = 1700000000ull * 1000000000ull;
    goldfish_rtc_init(&rtc, (IRQLine){ record_line, NULL, 0 }, fake_clock);
    map("rtc", GOLDFISH_RTC_MMIO_SIZE, &goldfish_rtc_ops, &rtc);
    uint64_t low = rd(0x00, 4), high = rd(0x04, 4);
    assert_int_equal(high << 32 | low, fake_ns);
    /* Setting the guest clock moves only the guest's time. */
    wr(0x04, 0, 4);
    wr(0x00, 1000, 4);
    low = rd(0x00, 4);
    assert_int_equal(rd(0x04, 4) << 32 | low, 1000);
    fake_ns += 500;
    assert_int_equal(rd(0x00, 4), 1500);
    /* The alarm: armed by ALARM_LOW, fires once its time comes. */
    wr(0x10, 1, 4);
    wr(0x0c, 0, 4);
    wr(0x08, 2000, 4);
    assert_int_equal(rd(0x18, 4), 1);
    assert_int_equal(goldfish_rtc_deadline_ns(&rtc), fake_ns + 500);
    goldfish_rtc_update(&rtc);
    assert_int_equal(lines[0], 0);
    fake_ns += 600;
    goldfish_rtc_update(&rtc);
    assert_int_equal(lines[0], 1);
    assert_int_equal(rd(0x18, 4), 0);
    wr(0x1c, 1, 4);
    assert_int_equal(lines[0], 0);
    wr(0x08, 1, 4); /* in the past: fires at once */
    assert_int_equal(lines[0], 1);
    wr(0x10, 0, 4); /* masked */
    assert_int_equal(lines[0], 0);
    assert_int_equal(goldfish_rtc_deadline_ns(&rtc), UINT64_MAX);
}

static void test_sifive_test(void **state)
{
    SiFiveTest t = { 0 };
    map("test", SIFIVE_TEST_MMIO_SIZE, &sifive_test_ops, &t);
    wr(0, 0x1234, 4);
    assert_int_equal(t.request, SIFIVE_TEST_NONE);
    wr(0, 0x5555, 1);
    assert_int_equal(t.request, SIFIVE_TEST_NONE);
    wr(0, 0x5555, 2); /* OpenSBI's 16-bit write of the code */
    assert_int_equal(t.request, SIFIVE_TEST_POWEROFF);
    assert_int_equal(t.exit_code, 0);
    t.request = SIFIVE_TEST_NONE;
    wr(0, (42u << 16) | 0x3333, 4);
    assert_int_equal(t.request, SIFIVE_TEST_POWEROFF);
    assert_int_equal(t.exit_code, 42);
    wr(0, 0x7777, 4);
    assert_int_equal(t.request, SIFIVE_TEST_RESET);
    wr(0, 0x5555, 4);
    assert_int_equal(t.request, SIFIVE_TEST_POWEROFF);
    assert_int_equal(t.exit_code, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uart),
        cmocka_unit_test(test_clint),
        cmocka_unit_test(test_plic),
        cmocka_unit_test(test_goldfish_rtc),
        cmocka_unit_test(test_sifive_test),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
