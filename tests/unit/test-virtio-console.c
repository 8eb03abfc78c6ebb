/*
 * test-virtio-console.c — virtio-console over virtio-mmio on a pipe-backed
 * stdio chardev, driven by virtio-test-driver.h: transmitq buffers reach
 * the chardev; chardev input lands in posted receive buffers (split over
 * several, held back while none is posted, resumed by a receiveq
 * notification); the config space (size, emergency write); hostile chains
 * in either queue give DEVICE_NEEDS_RESET.
 *
 * The one thing to know: the event loop runs in the test thread; input is
 * written into a pipe and delivered by spin().
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hw/virtio/virtio-console.h"
#include "virtio-test-driver.h"

#define RXQ 0
#define TXQ 1
#define RX_BUF (TV_DATA + 0x10000)

static VirtIOConsole con;
static Chardev *chr;
static EventLoop *el;
static int in_pipe[2], out_pipe[2];
static const uint64_t features = TV_FEATURES;

static int setup(void **state)
{
    assert_int_equal(pipe(in_pipe), 0);
    assert_int_equal(pipe(out_pipe), 0);
    fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
    char err[256];
    chr = chardev_new_stdio(in_pipe[0], out_pipe[1], false, true, err, sizeof(err));
    assert_non_null(chr);
    el = event_loop_new();
    assert_int_equal(virtio_console_init(&con, chr, el, &tv_as, 80, 25), 0);
    tv_setup(&con.vdev);
    tv_connect_irq(&con.vdev);
    return 0;
}

static int teardown(void **state)
{
    virtio_console_destroy(&con); /* before the chardev it is attached to */
    chardev_free(chr);
    event_loop_free(el);
    address_space_destroy(&tv_as);
    close(in_pipe[0]);
    close(in_pipe[1]);
    close(out_pipe[0]);
    close(out_pipe[1]);
    return 0;
}

static void spin(void)
{
    for (int quiet = 0; quiet < 3;) {
        quiet = event_loop_run_once(el, 5000000) ? 0 : quiet + 1;
    }
}

static char *output(void)
{
    static char buf[4096];
    ssize_t n = read(out_pipe[0], buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = 0;
    return buf;
}

static void input(const char *s)
{
    assert_int_equal(write(in_pipe[1], s, strlen(s)), (ssize_t)strlen(s));
}

/* Posts n receive buffers of len bytes each (descriptors 0..n-1). */
static void post_rx(unsigned n, uint32_t len)
{
    for (unsigned i = 0; i < n; i++) {
        tv_set_desc(TV_DESC(RXQ), i, RX_BUF + 0x100 * i, len, TV_F_WRITE, 0);
        tv_publish(RXQ, (uint16_t)i);
    }
    tv_notify(RXQ);
}

static void test_transmit(void **state)
{
    assert_int_equal(tv_init(VIRTIO_ID_CONSOLE, features, 2), features);
    memcpy(tv_ram(TV_DATA), "hello, ", 7);
    memcpy(tv_ram(TV_DATA + 100), "world\n", 6);
    tv_set_desc(TV_DESC(TXQ), 0, TV_DATA, 7, TV_F_NEXT, 1);
    tv_set_desc(TV_DESC(TXQ), 1, TV_DATA + 100, 6, 0, 0);
    tv_publish(TXQ, 0);
    tv_notify(TXQ);
    assert_string_equal(output(), "hello, world\n");
    assert_int_equal(tv_used_idx(TXQ), 1);
    assert_int_equal(tv_used_len(TXQ, 0, NULL), 0);
    assert_true(tv_irq_raises >= 1);
    /* Through an indirect table. */
    tv_set_desc(TV_INDIRECT(TXQ), 0, TV_DATA + 100, 6, 0, 0);
    tv_set_desc(TV_DESC(TXQ), 2, TV_INDIRECT(TXQ), 16, TV_F_INDIRECT, 0);
    tv_publish(TXQ, 2);
    tv_notify(TXQ);
    assert_string_equal(output(), "world\n");
    assert_false(tv_needs_reset());
}

static void test_receive(void **state)
{
    tv_init(VIRTIO_ID_CONSOLE, features, 2);
    /* Input before any buffer is posted waits. */
    input("abcdefghij");
    spin();
    assert_int_equal(tv_used_idx(RXQ), 0);
    /* Posting buffers (a receiveq notification) resumes it. */
    post_rx(3, 4);
    spin();
    assert_int_equal(tv_used_idx(RXQ), 3);
    assert_int_equal(tv_used_len(RXQ, 0, NULL), 4);
    assert_int_equal(tv_used_len(RXQ, 1, NULL), 4);
    assert_int_equal(tv_used_len(RXQ, 2, NULL), 2);
    assert_memory_equal(tv_ram(RX_BUF), "abcd", 4);
    assert_memory_equal(tv_ram(RX_BUF + 0x100), "efgh", 4);
    assert_memory_equal(tv_ram(RX_BUF + 0x200), "ij", 2);
    assert_true(tv_irq_raises >= 1);
    /* A buffer posted ahead takes the next input as it comes. */
    tv_set_desc(TV_DESC(RXQ), 3, RX_BUF + 0x300, 64, TV_F_WRITE, 0);
    tv_publish(RXQ, 3);
    tv_notify(RXQ);
    spin();
    assert_int_equal(tv_used_idx(RXQ), 3);
    input("xyz");
    spin();
    assert_int_equal(tv_used_idx(RXQ), 4);
    assert_int_equal(tv_used_len(RXQ, 3, NULL), 3);
    assert_memory_equal(tv_ram(RX_BUF + 0x300), "xyz", 3);
    assert_false(tv_needs_reset());

    /* A reset drops the held buffer; input then waits for new ones. */
    tv_set_desc(TV_DESC(RXQ), 4, RX_BUF, 64, TV_F_WRITE, 0);
    tv_publish(RXQ, 4);
    tv_notify(RXQ);
    spin(); /* buffer 4 is now held */
    tv_init(VIRTIO_ID_CONSOLE, features, 2);
    input("after reset");
    spin();
    assert_int_equal(tv_used_idx(RXQ), 0);
    post_rx(1, 64);
    spin();
    assert_int_equal(tv_used_idx(RXQ), 1);
    assert_int_equal(tv_used_len(RXQ, 0, NULL), 11);
    assert_memory_equal(tv_ram(RX_BUF), "after reset", 11);
}

static void test_config(void **state)
{
    uint64_t f = tv_init(VIRTIO_ID_CONSOLE, ~0ull, 2);
    assert_true(f & (1ull << 0));   /* F_SIZE */
    assert_false(f & (1ull << 1));  /* no MULTIPORT */
    assert_true(f & (1ull << 2));   /* F_EMERG_WRITE */
    uint16_t cols = 0, rows = 0;
    assert_int_equal(address_space_read(&tv_as, TV_MMIO_BASE + 0x100, &cols, 2), 0);
    assert_int_equal(address_space_read(&tv_as, TV_MMIO_BASE + 0x102, &rows, 2), 0);
    assert_int_equal(cols, 80);
    assert_int_equal(rows, 25);
    uint32_t gen = tv_read(0x0fc);
    int before = tv_irq_raises;
    virtio_console_set_size(&con, 132, 43);
    assert_int_equal(tv_read(0x0fc), gen + 1);
    assert_true(tv_read(0x060) & 2);
    assert_true(tv_irq_raises > before);
    assert_int_equal(address_space_read(&tv_as, TV_MMIO_BASE + 0x100, &cols, 2), 0);
    assert_int_equal(cols, 132);
    /* Emergency write. */
    uint32_t ch = '!';
    assert_int_equal(address_space_write(&tv_as, TV_MMIO_BASE + 0x108, &ch, 4), 0);
    assert_string_equal(output(), "!");
    /* Reads past the config space are 0. */
    uint32_t v = 1;
    assert_int_equal(address_space_read(&tv_as, TV_MMIO_BASE + 0x10c, &v, 4), 0);
    assert_int_equal(v, 0);

    /* Without a size the feature is not offered. */
    VirtIOConsole plain;
    assert_int_equal(virtio_console_init(&plain, NULL, el, &tv_as, 0, 0), 0);
    assert_false(plain.vdev.host_features & 1);
    virtio_console_destroy(&plain);
    /* A chardev has one frontend. */
    assert_int_equal(virtio_console_init(&plain, chr, el, &tv_as, 0, 0), -EBUSY);
    /* ... and the refused device left it with the first one. */
    post_rx(1, 16);
    input("still");
    spin();
    assert_int_equal(tv_used_idx(RXQ), 1);
    assert_memory_equal(tv_ram(RX_BUF), "still", 5);
}

static void test_hostile(void **state)
{
    tv_init(VIRTIO_ID_CONSOLE, features, 2);
    /* A writable buffer in transmitq. */
    tv_set_desc(TV_DESC(TXQ), 0, TV_DATA, 8, TV_F_WRITE, 0);
    tv_publish(TXQ, 0);
    tv_notify(TXQ);
    assert_true(tv_needs_reset());
    assert_string_equal(output(), "");

    /* A readable buffer in receiveq: refused when input comes. */
    tv_init(VIRTIO_ID_CONSOLE, features, 2);
    tv_set_desc(TV_DESC(RXQ), 0, RX_BUF, 8, 0, 0);
    tv_publish(RXQ, 0);
    tv_notify(RXQ);
    input("q");
    spin();
    assert_true(tv_needs_reset());
    assert_int_equal(tv_used_idx(RXQ), 0);

    /* Zero-length receive buffer. */
    tv_init(VIRTIO_ID_CONSOLE, features, 2);
    tv_set_desc(TV_DESC(RXQ), 0, RX_BUF, 0, TV_F_WRITE, 0);
    tv_publish(RXQ, 0);
    tv_notify(RXQ);
    spin();
    assert_true(tv_needs_reset());

    /* Lengths past RAM, addresses that wrap, in either queue. */
    const uint64_t addrs[] = { TV_DATA, UINT64_MAX - 4, 0x1000 };
    const uint32_t lens[] = { 0xffffffffu, 16, 16 };
    for (unsigned q = 0; q < 2; q++) {
        for (int i = 0; i < 3; i++) {
            tv_init(VIRTIO_ID_CONSOLE, features, 2);
            tv_set_desc(TV_DESC(q), 0, addrs[i], lens[i], q == RXQ ? TV_F_WRITE : 0, 0);
            tv_publish(q, 0);
            tv_notify(q);
            spin();
            assert_true(tv_needs_reset());
        }
    }

    /* The device still works after a reset, and the held input arrives. */
    tv_init(VIRTIO_ID_CONSOLE, features, 2);
    post_rx(1, 16);
    spin();
    assert_int_equal(tv_used_idx(RXQ), 1);
    assert_int_equal(tv_used_len(RXQ, 0, NULL), 1);
    assert_memory_equal(tv_ram(RX_BUF), "q", 1);
}

static void test_random_rings(void **state)
{
    srand(99);
    uint64_t f = features | (1ull << VIRTIO_RING_F_EVENT_IDX);
    for (int round = 0; round < 2000; round++) {
        tv_init(VIRTIO_ID_CONSOLE, f, 2);
        unsigned q = (unsigned)(rand() % 2);
        tv_randomize_queue(q, 64);
        if (q == RXQ && round % 8 == 0) {
            input("r");
        }
        tv_notify(q);
        event_loop_run_once(el, 0);
        output();
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_transmit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_rings, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
