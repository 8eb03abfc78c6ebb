/*
 * test-virtio-net.c — virtio-net over the virtio-mmio transport, driven by
 * a small driver written here (registers through the address space, rings
 * in guest RAM) against a fake backend: configuration (MAC, link status,
 * features), transmit (one frame, several in flight), receive with and
 * without mergeable buffers, a receive queue that is empty and then
 * refilled without losing a frame, flow control back to a transmitting
 * guest, malformed frames (short, oversized, offload requests the device
 * did not offer, buffers too small) dropped and counted, and a hostile
 * ring that must only put the device in NEEDS_RESET.
 *
 * The one thing to know: the driver is the shared one of
 * virtio-test-driver.h (queue 0 is rx, queue 1 tx, TV_QNUM entries each);
 * frame buffers sit in its data area (offsets below).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hw/virtio/virtio-net.h"
#include "virtio-test-driver.h"

#define RX_BUF TV_DATA                /* 8 receive buffers of 0x2000 */
#define TX_BUF (TV_DATA + 0x20000)    /* 8 transmit buffers of 0x2000 */
#define TX_HDR (TV_DATA + 0x40000)    /* their virtio-net headers, 16 bytes apart */

static VirtioNet *vnet;
static NetClient *fake;
static uint16_t rx_used_seen;

/* ---- the fake backend: records what it gets ----------------------------- */

#define MAX_SEEN 64
static uint8_t seen[MAX_SEEN][2048];
static size_t seen_len[MAX_SEEN];
static int nb_seen;
static bool fake_accepts = true;

static bool fake_can_receive(NetClient *nc)
{
    return fake_accepts;
}

static ssize_t fake_receive(NetClient *nc, const struct iovec *iov, int iovcnt)
{
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (nb_seen < MAX_SEEN && len + iov[i].iov_len <= sizeof(seen[0])) {
            memcpy(seen[nb_seen] + len, iov[i].iov_base, iov[i].iov_len);
        }
        len += iov[i].iov_len;
    }
    if (nb_seen < MAX_SEEN) {
        seen_len[nb_seen] = len;
    }
    nb_seen++;
    return (ssize_t)len;
}

static const NetClientInfo fake_info = {
    .type = "fake",
    .can_receive = fake_can_receive,
    .receive = fake_receive,
};

/* ---- the driver (virtio-test-driver.h) ---------------------------------- */

/* Negotiates features (returns what was accepted) and sets up rx and tx. */
static uint64_t driver_init(uint64_t features)
{
    rx_used_seen = 0;
    return tv_init(VIRTIO_ID_NET, features, 2);
}

/* One receive buffer (descriptor slot i) of len bytes; notify if asked. */
static void rx_add(unsigned i, uint32_t len, bool notify)
{
    tv_set_desc(TV_DESC(0), i, RX_BUF + 0x2000 * i, len, TV_F_WRITE, 0);
    tv_publish(0, (uint16_t)i);
    if (notify) {
        tv_notify(0);
    }
}

/* A frame in tx slot i (header in one descriptor, frame in the next); the
 * header flags/gso as given. */
static void tx_put(unsigned i, const void *frame, uint32_t len, uint8_t flags, uint8_t gso)
{
    uint8_t *h = tv_ram(TX_HDR + 16 * i);
    memset(h, 0, VIRTIO_NET_HDR_LEN);
    h[0] = flags;
    h[1] = gso;
    memcpy(tv_ram(TX_BUF + 0x2000 * i), frame, len);
    tv_set_desc(TV_DESC(1), 2 * i, TX_HDR + 16 * i, VIRTIO_NET_HDR_LEN, TV_F_NEXT, (uint16_t)(2 * i + 1));
    tv_set_desc(TV_DESC(1), 2 * i + 1, TX_BUF + 0x2000 * i, len, 0, 0);
    tv_publish(1, (uint16_t)(2 * i));
}

static void make_frame(uint8_t *f, size_t len, uint8_t seed)
{
    for (size_t i = 0; i < len; i++) {
        f[i] = (uint8_t)(seed + i * 13);
    }
}

static int setup(void **state)
{
    fake = net_client_new(&fake_info, "fake0", NULL);
    assert_non_null(fake);
    char err[128];
    vnet = virtio_net_create(&tv_as, fake, NULL, 1, err, sizeof(err));
    assert_non_null(vnet);
    tv_setup(virtio_net_vdev(vnet));
    tv_connect_irq(virtio_net_vdev(vnet));
    nb_seen = 0;
    fake_accepts = true;
    return 0;
}

static int teardown(void **state)
{
    virtio_net_destroy(vnet);
    net_cleanup_all();
    address_space_destroy(&tv_as);
    return 0;
}

/* ---- tests -------------------------------------------------------------- */

static void test_config(void **state)
{
    uint64_t offered = driver_init(~0ull);
    assert_true(offered >> VIRTIO_NET_F_MAC & 1);
    assert_true(offered >> VIRTIO_NET_F_STATUS & 1);
    assert_true(offered >> VIRTIO_NET_F_MRG_RXBUF & 1);
    assert_false(offered >> VIRTIO_NET_F_CSUM & 1);       /* offloads declined */
    assert_false(offered >> VIRTIO_NET_F_HOST_TSO4 & 1);
    uint8_t mac[6];
    for (int i = 0; i < 6; i++) {
        assert_int_equal(address_space_read(&tv_as, TV_MMIO_BASE + 0x100 + i, &mac[i], 1), 0);
    }
    static const uint8_t want[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x57 }; /* index 1 */
    assert_memory_equal(mac, want, 6);
    uint16_t status = 0;
    assert_int_equal(address_space_read(&tv_as, TV_MMIO_BASE + 0x106, &status, 2), 0);
    assert_int_equal(status, VIRTIO_NET_S_LINK_UP);
    int raises = tv_irq_raises;
    uint32_t gen = tv_read(0x0fc);
    virtio_net_set_link(vnet, false);
    assert_int_equal(address_space_read(&tv_as, TV_MMIO_BASE + 0x106, &status, 2), 0);
    assert_int_equal(status, 0);
    assert_true(tv_irq_raises > raises);
    assert_true(tv_read(0x060) & 2); /* configuration change */
    assert_int_not_equal(tv_read(0x0fc), gen);
    virtio_net_set_link(vnet, true);
}

static void test_tx(void **state)
{
    driver_init(~0ull);
    uint8_t f[3][100];
    for (int i = 0; i < 3; i++) {
        make_frame(f[i], sizeof(f[i]), (uint8_t)i);
    }
    tx_put(0, f[0], 60, 0, 0);
    tv_notify(1);
    assert_int_equal(nb_seen, 1);
    assert_int_equal(seen_len[0], 60);
    assert_memory_equal(seen[0], f[0], 60);
    assert_int_equal(tv_used_idx(1), 1);
    assert_true(tv_irq_raises >= 1);
    /* three in flight before one notification: all sent, in order */
    tx_put(1, f[0], 100, 0, 0);
    tx_put(2, f[1], 99, 0, 0);
    tx_put(3, f[2], 98, 0, 0);
    tv_notify(1);
    assert_int_equal(nb_seen, 4);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(seen_len[1 + i], 100 - i);
        assert_memory_equal(seen[1 + i], f[i], 100 - i);
    }
    assert_int_equal(tv_used_idx(1), 4);
    assert_int_equal(vnet->stats.tx_packets, 4);
    assert_int_equal(fake->stats.rx_packets, 4);
}

static void test_tx_malformed(void **state)
{
    driver_init(~0ull);
    uint8_t f[64];
    make_frame(f, sizeof(f), 7);
    tx_put(0, f, 10, 0, 0); /* shorter than an Ethernet header */
    tv_notify(1);
    tx_put(1, f, 64, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0); /* CSUM was not offered */
    tv_notify(1);
    tx_put(2, f, 64, 0, 1 /* TCPV4 */); /* nor TSO */
    tv_notify(1);
    /* only a header, no frame at all */
    tv_set_desc(TV_DESC(1), 6, TX_HDR, 8, 0, 0);
    tv_publish(1, 6);
    tv_notify(1);
    assert_int_equal(nb_seen, 0);
    assert_int_equal(vnet->stats.tx_malformed, 4);
    assert_int_equal(tv_used_idx(1), 4); /* buffers returned */
    /* oversized: 65535 + header + 1 */
    tv_set_desc(TV_DESC(1), 0, TX_HDR, VIRTIO_NET_HDR_LEN, TV_F_NEXT, 1);
    tv_set_desc(TV_DESC(1), 1, TX_BUF, 65536, 0, 0);
    tv_publish(1, 0);
    tv_notify(1);
    assert_int_equal(nb_seen, 0);
    assert_int_equal(vnet->stats.tx_malformed, 5);
    assert_int_equal(vnet->nc->stats.malformed, 5);
    /* the largest allowed frame still goes through */
    tv_set_desc(TV_DESC(1), 1, TX_BUF, 65535, 0, 0);
    memset(tv_ram(TX_HDR), 0, VIRTIO_NET_HDR_LEN);
    tv_publish(1, 0);
    tv_notify(1);
    assert_int_equal(nb_seen, 1);
    assert_int_equal(seen_len[0], 65535);
    assert_false(tv_needs_reset());
}

static void check_rx_hdr(uint64_t addr, uint16_t num_buffers)
{
    uint8_t *h = tv_ram(addr);
    uint16_t nb;
    memcpy(&nb, h + 10, 2);
    assert_int_equal(h[0], 0);
    assert_int_equal(h[1], 0);
    assert_int_equal(nb, num_buffers);
}

static void test_rx_plain(void **state)
{
    driver_init((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_NET_F_MAC));
    rx_add(0, 1526, true);
    uint8_t f[200];
    make_frame(f, sizeof(f), 3);
    assert_int_equal(net_send_buf(fake, f, 200), 200);
    assert_int_equal(tv_used_idx(0), 1);
    uint32_t id, len;
    len = tv_used_len(0, 0, &id);
    assert_int_equal(id, 0);
    assert_int_equal(len, VIRTIO_NET_HDR_LEN + 200);
    check_rx_hdr(RX_BUF, 1);
    assert_memory_equal(tv_ram(RX_BUF + VIRTIO_NET_HDR_LEN), f, 200);
    assert_true(tv_irq_raises >= 1);
    /* a frame bigger than the (non-mergeable) buffer: dropped, counted, buffer back empty */
    rx_add(1, 100, true);
    assert_int_equal(net_send_buf(fake, f, 200), 200);
    assert_int_equal(tv_used_idx(0), 2);
    len = tv_used_len(0, 1, &id);
    assert_int_equal(id, 1);
    assert_int_equal(len, 0);
    assert_int_equal(vnet->stats.rx_dropped, 1);
    assert_int_equal(vnet->nc->queue_len, 0);
}

static void test_rx_mergeable(void **state)
{
    driver_init((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_NET_F_MRG_RXBUF) |
                (1ull << VIRTIO_RING_F_EVENT_IDX));
    for (unsigned i = 0; i < 2; i++) {
        rx_add(i, 64, false);
    }
    tv_notify(0);
    uint8_t f[200];
    make_frame(f, sizeof(f), 9);
    /* 212 bytes need 4 buffers of 64: only 2 are there, so it waits */
    assert_true(net_send_buf(fake, f, 200) > 0);
    assert_int_equal(tv_used_idx(0), 0);
    assert_int_equal(vnet->nc->queue_len, 1);
    rx_add(2, 64, false);
    rx_add(3, 64, true);
    assert_int_equal(vnet->nc->queue_len, 0);
    assert_int_equal(tv_used_idx(0), 4);
    uint8_t got[256];
    size_t off = 0;
    for (unsigned i = 0; i < 4; i++) {
        uint32_t id, len;
        len = tv_used_len(0, i, &id);
        assert_int_equal(id, i);
        assert_int_equal(len, i < 3 ? 64 : 212 - 3 * 64);
        memcpy(got + off, tv_ram(RX_BUF + 0x2000 * i), len);
        off += len;
    }
    assert_int_equal(off, 212);
    check_rx_hdr(RX_BUF, 4);
    assert_memory_equal(got + VIRTIO_NET_HDR_LEN, f, 200);
    assert_int_equal(vnet->stats.rx_dropped, 0);
}

static void test_rx_queue_full_then_flushed(void **state)
{
    driver_init((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_NET_F_MRG_RXBUF));
    uint8_t f[6][80];
    for (int i = 0; i < 6; i++) {
        make_frame(f[i], sizeof(f[i]), (uint8_t)(i * 31));
        assert_true(net_send_buf(fake, f[i], 60 + i) > 0);
    }
    assert_int_equal(vnet->nc->queue_len, 6);
    assert_int_equal(tv_used_idx(0), 0);
    /* three buffers: three frames; the rest keep waiting */
    for (unsigned i = 0; i < 3; i++) {
        rx_add(i, 1526, i == 2);
    }
    assert_int_equal(tv_used_idx(0), 3);
    assert_int_equal(vnet->nc->queue_len, 3);
    for (unsigned i = 3; i < 6; i++) {
        rx_add(i, 1526, i == 5);
    }
    assert_int_equal(tv_used_idx(0), 6);
    assert_int_equal(vnet->nc->queue_len, 0);
    for (unsigned i = 0; i < 6; i++) {
        uint32_t id, len;
        len = tv_used_len(0, i, &id);
        assert_int_equal(len, VIRTIO_NET_HDR_LEN + 60 + i);
        assert_memory_equal(tv_ram(RX_BUF + 0x2000 * id + VIRTIO_NET_HDR_LEN), f[i], 60 + i);
    }
    assert_int_equal(vnet->stats.rx_dropped, 0);
    assert_int_equal(vnet->nc->stats.dropped, 0);
    assert_int_equal(vnet->stats.rx_packets, 6);
}

/* A stopped machine (the monitor's stop): frames wait in the queue, none
 * reaches guest memory, even with buffers posted; cont delivers them. */
static void test_rx_held_while_stopped(void **state)
{
    driver_init((1ull << VIRTIO_F_VERSION_1));
    rx_add(0, 1526, false);
    rx_add(1, 1526, true);
    virtio_net_set_vm_stopped(vnet, true);
    uint8_t f[2][100];
    for (int i = 0; i < 2; i++) {
        make_frame(f[i], sizeof(f[i]), (uint8_t)(i + 40));
        assert_true(net_send_buf(fake, f[i], 100) > 0);
    }
    assert_int_equal(tv_used_idx(0), 0);
    assert_int_equal(vnet->nc->queue_len, 2);
    tv_notify(0); /* a kick while stopped changes nothing */
    assert_int_equal(tv_used_idx(0), 0);
    virtio_net_set_vm_stopped(vnet, false);
    assert_int_equal(tv_used_idx(0), 2);
    assert_int_equal(vnet->nc->queue_len, 0);
    for (unsigned i = 0; i < 2; i++) {
        assert_memory_equal(tv_ram(RX_BUF + 0x2000 * i + VIRTIO_NET_HDR_LEN), f[i], 100);
    }
}

static void test_tx_flow_control(void **state)
{
    driver_init(~0ull);
    /* the backend takes nothing: frames pile up in its queue until it is
     * over the high mark; then the device leaves the rest in the ring */
    fake_accepts = false;
    uint8_t f[64];
    make_frame(f, sizeof(f), 1);
    int sent = 0;
    while (!vnet->tx_blocked) {
        for (unsigned i = 0; i < TV_QNUM / 2; i++) {
            tx_put(i, f, 64, 0, 0);
        }
        tv_notify(1);
        sent += TV_QNUM / 2;
        assert_true(sent < 4 * NET_QUEUE_HIGH);
    }
    for (unsigned i = 0; i < TV_QNUM / 2; i++) { /* these stay in the ring */
        tx_put(i, f, 64, 0, 0);
    }
    tv_notify(1);
    sent += TV_QNUM / 2;
    assert_true(vnet->tx_blocked);
    assert_int_equal(fake->queue_len, NET_QUEUE_HIGH);
    assert_int_equal(fake->stats.dropped, 0);
    uint16_t pending = (uint16_t)(tv_avail_idx[1] - tv_used_idx(1));
    assert_true(pending > 0);
    fake_accepts = true;
    net_flush_queue(fake); /* drains, wakes the device, which sends the rest */
    net_flush_queue(fake);
    assert_int_equal(nb_seen, sent);
    assert_int_equal(tv_used_idx(1), tv_avail_idx[1]);
    assert_false(vnet->tx_blocked);
}

static void test_hostile_rx_ring(void **state)
{
    driver_init(~0ull);
    tv_set_desc(TV_DESC(0), 0, 0x1000, 1526, TV_F_WRITE, 0); /* outside RAM */
    tv_publish(0, 0);
    tv_notify(0);
    uint8_t f[64] = { 0 };
    net_send_buf(fake, f, sizeof(f));
    assert_true(tv_needs_reset());
    /* further frames are dropped, not queued without bound */
    for (int i = 0; i < 10; i++) {
        net_send_buf(fake, f, sizeof(f));
    }
    assert_int_equal(vnet->nc->queue_len, 0);
    /* a 1-byte first buffer cannot hold the header: frame dropped */
    driver_init(~0ull);
    rx_add(0, 4, true);
    net_send_buf(fake, f, sizeof(f));
    assert_int_equal(vnet->stats.rx_dropped, 12);
    assert_false(tv_needs_reset());
}

static void test_not_connected(void **state)
{
    /* a NIC without a backend drops what the guest sends, and counts it */
    char err[128];
    VirtioNet *n = virtio_net_create(&tv_as, NULL, NULL, 0, err, sizeof(err));
    assert_non_null(n);
    assert_null(virtio_net_create(&tv_as, fake, NULL, 0, err, sizeof(err))); /* fake is taken */
    assert_non_null(strstr(err, "already in use"));
    assert_int_equal(net_send_buf(n->nc, "abcdefghijklmnop", 16), -ENOTCONN);
    assert_int_equal(n->nc->stats.dropped, 1);
    virtio_net_destroy(n);
}

/* Seeded random traffic both ways, mergeable buffers on or off, odd
 * buffer and frame sizes, stray header flags: never a crash or a ring
 * error, and every frame is accounted for (delivered, dropped and
 * counted, or still queued). */
static void test_random(void **state)
{
    unsigned seed = 12345;
    for (int round = 0; round < 2; round++) {
        driver_init(round ? ~0ull : (1ull << VIRTIO_F_VERSION_1));
        uint64_t rx_sent = 0, tx_sent = 0;
        uint64_t rx0 = vnet->stats.rx_packets, drop0 = vnet->stats.rx_dropped;
        uint64_t txp0 = vnet->stats.tx_packets, txm0 = vnet->stats.tx_malformed;
        static uint8_t f[3000];
        bool busy[TV_QNUM] = { false };
        for (int it = 0; it < 3000; it++) {
            unsigned what = rand_r(&seed) % 3;
            if (what == 0) {
                uint32_t len = (uint32_t)(rand_r(&seed) % 1600);
                make_frame(f, len, (uint8_t)it);
                uint8_t flags = rand_r(&seed) % 8 == 0 ? VIRTIO_NET_HDR_F_NEEDS_CSUM : 0;
                tx_put(0, f, len, flags, 0);
                tv_notify(1);
                tx_sent++;
            } else if (what == 1) {
                /* give back what the device used, then refill some free slots */
                for (; rx_used_seen != tv_used_idx(0); rx_used_seen++) {
                    uint32_t id;
                    tv_used_len(0, rx_used_seen, &id);
                    assert_true(id < TV_QNUM && busy[id]);
                    busy[id] = false;
                }
                unsigned k = rand_r(&seed) % (TV_QNUM + 1);
                for (unsigned i = 0; i < TV_QNUM && k > 0; i++) {
                    if (!busy[i]) {
                        busy[i] = true;
                        rx_add(i, 1 + rand_r(&seed) % 2000, false);
                        k--;
                    }
                }
                tv_notify(0);
            } else {
                size_t len = 1 + rand_r(&seed) % sizeof(f);
                make_frame(f, len, (uint8_t)it);
                net_send_buf(fake, f, len);
                rx_sent++;
            }
            assert_false(tv_needs_reset());
        }
        assert_int_equal(vnet->stats.tx_packets - txp0 + vnet->stats.tx_malformed - txm0,
                         tx_sent);
        assert_int_equal(vnet->stats.rx_packets - rx0 + vnet->stats.rx_dropped - drop0 +
                             vnet->nc->queue_len,
                         rx_sent);
        printf("round %d: tx %llu (%llu malformed), rx %llu (%llu delivered, %llu dropped, "
               "%u queued)\n",
               round, (unsigned long long)tx_sent,
               (unsigned long long)(vnet->stats.tx_malformed - txm0),
               (unsigned long long)rx_sent, (unsigned long long)(vnet->stats.rx_packets - rx0),
               (unsigned long long)(vnet->stats.rx_dropped - drop0), vnet->nc->queue_len);
        assert_true(vnet->stats.rx_packets - rx0 > 100);
        net_purge_queue(vnet->nc);
    }
}

/* Random rings on both queues (fuzz input from the shared driver), with
 * frames arriving meanwhile: the device may give up (NEEDS_RESET) but must
 * never touch memory outside guest RAM or crash (run under ASan in
 * make check-asan); after it a sane driver gets a working device. */
static void test_fuzz_rings(void **state)
{
    static uint8_t f[1600];
    srand(777);
    for (int it = 0; it < 300; it++) {
        driver_init(it % 2 ? ~0ull : (1ull << VIRTIO_F_VERSION_1));
        tv_randomize_queue(0, 4096);
        tv_randomize_queue(1, 70000);
        tv_notify(1);
        make_frame(f, 60 + (size_t)(it % 1500), (uint8_t)it);
        net_send_buf(fake, f, 60 + (size_t)(it % 1500));
        tv_notify(0);
        net_purge_queue(vnet->nc);
    }
    /* After a reset by a sane driver, the device works again. */
    driver_init(~0ull);
    int before = nb_seen;
    make_frame(f, 100, 1);
    tx_put(0, f, 100, 0, 0);
    tv_notify(1);
    assert_false(tv_needs_reset());
    assert_int_equal(tv_used_idx(1), 1);
    assert_int_equal(nb_seen, before + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_plain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_mergeable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_queue_full_then_flushed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_held_while_stopped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_flow_control, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_rx_ring, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_connected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fuzz_rings, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
