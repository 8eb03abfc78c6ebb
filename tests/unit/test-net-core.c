/*
 * test-net-core.c — the network core without any device or socket: the
 * option parser (good and bad -netdev, -nic, -device and -object strings,
 * with the messages users see), delivery and queueing between two clients,
 * hubs, MAC helpers, and filter-dump's pcap file (magic, linktype, record
 * lengths and bytes).
 *
 * The one thing to know: fake clients here record what they receive and
 * can refuse frames (can_receive false) to exercise the queue.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mimic/net.h"

typedef struct Rec {
    bool refuse;
    int n;
    size_t len[16];
    uint8_t data[16][256];
} Rec;

static bool rec_can_receive(NetClient *nc)
{
    return !((Rec *)nc->opaque)->refuse;
}

static ssize_t rec_receive(NetClient *nc, const struct iovec *iov, int iovcnt)
{
    Rec *r = nc->opaque;
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (r->n < 16 && len + iov[i].iov_len <= 256) {
            memcpy(r->data[r->n] + len, iov[i].iov_base, iov[i].iov_len);
        }
        len += iov[i].iov_len;
    }
    if (r->n < 16) {
        r->len[r->n] = len;
    }
    r->n++;
    return (ssize_t)len;
}

static const NetClientInfo rec_info = {
    .type = "rec",
    .can_receive = rec_can_receive,
    .receive = rec_receive,
};

static int cleanup(void **state)
{
    net_cleanup_all();
    return 0;
}

static void expect_error(int (*parse)(const char *, char *, size_t), const char *opt,
                         const char *msg)
{
    char err[256] = "";
    if (parse(opt, err, sizeof(err)) == 0) {
        fail_msg("'%s' was accepted", opt);
    }
    if (!strstr(err, msg)) {
        fail_msg("'%s': got \"%s\", expected \"%s\"", opt, err, msg);
    }
}

static void expect_ok(int (*parse)(const char *, char *, size_t), const char *opt)
{
    char err[256] = "";
    if (parse(opt, err, sizeof(err)) != 0) {
        fail_msg("'%s' was refused: %s", opt, err);
    }
}

static void test_parse_good(void **state)
{
    expect_ok(net_parse_netdev, "user,id=n0");
    expect_ok(net_parse_netdev,
              "user,id=n1,net=192.168.76.0/24,host=192.168.76.2,dhcpstart=192.168.76.9,"
              "hostfwd=tcp::2222-:22,hostfwd=udp:127.0.0.1:5353-10.0.2.15:53,restrict=on,"
              "guestfwd=tcp:10.0.2.100:1234-cmd:echo a,,b");
    expect_ok(net_parse_netdev, "socket,id=s0,listen=:1234");
    expect_ok(net_parse_netdev, "socket,id=s1,mcast=230.0.0.1:1234,localaddr=127.0.0.1");
    expect_ok(net_parse_netdev, "tap,id=t0,ifname=tap0,script=no,downscript=no");
    expect_ok(net_parse_netdev, "hubport,id=h0,hubid=0");
    expect_ok(net_parse_netdev, "type=user,id=n2");
    expect_ok(net_parse_nic, "user,model=virtio-net-device,mac=52:54:00:12:34:99");
    expect_ok(net_parse_nic, "none");
    expect_ok(net_parse_device, "virtio-net-device,netdev=n0,mac=52:54:00:ab:cd:ef,id=nic1");
    expect_ok(net_parse_object, "filter-dump,id=f0,netdev=n0,file=/tmp/x.pcap,maxlen=128");
    assert_int_equal(net_nic_count(), 2);
    const NetNicConfig *c = net_nic_get(0);
    assert_true(c->mac_set);
    assert_int_equal(c->mac[5], 0x99);
    assert_string_equal(c->model, "virtio-net-device");
    assert_true(c->netdev[0]); /* the generated netdev id */
    c = net_nic_get(1);
    assert_string_equal(c->netdev, "n0");
    assert_string_equal(c->id, "nic1");
    assert_int_equal(c->mac[3], 0xab);
    assert_null(net_nic_get(2));
}

static void test_parse_bad(void **state)
{
    expect_ok(net_parse_netdev, "user,id=n0");
    expect_error(net_parse_netdev, "user,id=x,foo=1", "-netdev user: unknown option 'foo'");
    expect_error(net_parse_netdev, "user,id=n0", "-netdev user: duplicate id 'n0'");
    expect_error(net_parse_netdev, "user", "-netdev user: missing 'id'");
    expect_error(net_parse_netdev, "user,id=a b", "invalid id");
    expect_error(net_parse_netdev, "bogus,id=z", "-netdev: unknown type 'bogus'");
    expect_error(net_parse_netdev, "", "missing the type");
    expect_error(net_parse_netdev, "user,id=a,net=1.2.3.0,net=5.6.7.0", "'net' given twice");
    expect_error(net_parse_netdev, "socket,id=b,hubid=1",
                 "-netdev socket: unknown option 'hubid'");
    expect_error(net_parse_nic, "user,model=e1000", "unsupported NIC model 'e1000'");
    expect_error(net_parse_nic, "user,mac=01:00:00:00:00:00", "invalid mac");
    expect_error(net_parse_nic, "user,mac=52:54:00:12:34", "invalid mac");
    expect_error(net_parse_nic, "user,id=n0", "duplicate id 'n0'");
    expect_error(net_parse_device, "virtio-net-device,netdev=nosuch", "no netdev with id 'nosuch'");
    expect_error(net_parse_device, "virtio-net-device,netdev=n0,speed=10",
                 "unknown option 'speed'");
    expect_error(net_parse_device, "e1000,netdev=n0", "unsupported NIC model");
    expect_ok(net_parse_device, "virtio-net-device,netdev=n0");
    expect_error(net_parse_device, "virtio-net-device,netdev=n0", "already in use");
    expect_error(net_parse_object, "filter-dump,id=f,netdev=n0", "missing 'file'");
    expect_error(net_parse_object, "filter-rewriter,id=f", "unknown object type");
    expect_error(net_parse_object, "filter-dump,id=f,netdev=n0,file=x,colour=red",
                 "unknown option 'colour'");
    assert_int_equal(net_nic_count(), 1);
}

static void test_create_errors(void **state)
{
    EventLoop *el = event_loop_new();
    struct {
        const char *opt, *msg;
    } cases[] = {
        { "user,id=u1,hostfwd=tcp::22", "invalid hostfwd 'tcp::22'" },
        { "user,id=u1,hostfwd=sctp::1-:2", "invalid hostfwd" },
        { "user,id=u1,hostfwd=tcp::70000-:22", "invalid hostfwd" },
        { "user,id=u1,guestfwd=tcp:10.0.2.100-cmd:x", "invalid guestfwd" },
        { "user,id=u2,dhcpstart=10.0.3.15", "dhcpstart '10.0.3.15' is outside the network" },
        { "user,id=u2,net=10.0.2.0/33", "invalid net" },
        { "user,id=u3,restrict=maybe", "invalid restrict 'maybe'" },
        { "hubport,id=hh", "missing hubid" },
        { "hubport,id=hh,hubid=x", "invalid hubid" },
        { "socket,id=s,listen=:1,connect=:2", "exactly one of" },
        { "socket,id=s,udp=127.0.0.1:9", "needs localaddr" },
        { "socket,id=s,mcast=127.0.0.1:9", "invalid mcast" },
        { "socket,id=s,connect=nohost", "invalid connect" },
        { "tap,id=t,vhost=on", "vhost=on is not supported" },
        { "tap,id=t,fd=99999", "not an open file descriptor" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[256] = "";
        NetClient *nc = net_netdev_create(el, cases[i].opt, err, sizeof(err));
        if (nc || !strstr(err, cases[i].msg)) {
            fail_msg("'%s': got \"%s\", expected \"%s\"", cases[i].opt, err, cases[i].msg);
        }
    }
    /* a user netdev with everything set is created, and its id is then taken */
    char err[256] = "";
    NetClient *nc = net_netdev_create(
        el, "user,id=ok,net=10.9.0.0/16,host=10.9.0.1,dns=10.9.0.53,dhcpstart=10.9.1.1,"
            "restrict=off,ipv6=off,hostname=guest,dnssearch=example.org",
        err, sizeof(err));
    if (!nc) {
        fail_msg("%s", err);
    }
    assert_ptr_equal(net_backend_lookup("ok"), nc);
    assert_null(net_netdev_create(el, "hubport,id=ok,hubid=1", err, sizeof(err)));
    assert_non_null(strstr(err, "duplicate id 'ok'"));
    net_cleanup_all();
    assert_null(net_backend_lookup("ok"));
    event_loop_free(el);
}

static void test_queue_and_flush(void **state)
{
    Rec ra = { 0 }, rb = { .refuse = true };
    NetClient *a = net_client_new(&rec_info, "a", &ra);
    NetClient *b = net_client_new(&rec_info, "b", &rb);
    assert_null(net_client_new(&rec_info, "a", &ra)); /* names are unique */
    assert_int_equal(net_send_buf(a, "x", 1), -ENOTCONN);
    assert_int_equal(a->stats.dropped, 1);
    assert_int_equal(net_client_set_peer(a, b), 0);
    assert_int_equal(net_client_set_peer(a, b), -EBUSY);
    for (int i = 0; i < 3; i++) {
        char f[24];
        snprintf(f, sizeof(f), "frame%d", i);
        assert_int_equal(net_send_buf(a, f, 6), 6);
    }
    assert_int_equal(rb.n, 0);
    assert_int_equal(b->queue_len, 3);
    rb.refuse = false;
    /* a new frame must not overtake the queued ones */
    assert_int_equal(net_send_buf(a, "frame3", 6), 6);
    assert_int_equal(rb.n, 0);
    assert_int_equal(net_flush_queue(b), 4);
    assert_int_equal(rb.n, 4);
    for (int i = 0; i < 4; i++) {
        char f[24];
        snprintf(f, sizeof(f), "frame%d", i);
        assert_memory_equal(rb.data[i], f, 6);
    }
    assert_int_equal(b->stats.rx_packets, 4);
    assert_int_equal(a->stats.tx_packets, 4);
    assert_int_equal(b->stats.dropped, 0);
    /* the other way, straight through */
    assert_int_equal(net_send_buf(b, "back", 4), 4);
    assert_int_equal(ra.n, 1);
    /* past NET_QUEUE_HIGH the sender is told to pause; past MAX frames drop */
    rb.refuse = true;
    ssize_t r = 1;
    int sent = 0;
    while (r > 0) {
        r = net_send_buf(a, "y", 1);
        sent++;
    }
    assert_int_equal(r, 0);
    assert_int_equal(sent, NET_QUEUE_HIGH);
    while (b->queue_len < NET_QUEUE_MAX) {
        net_send_buf(a, "y", 1);
    }
    assert_int_equal(net_send_buf(a, "y", 1), -ENOBUFS);
    assert_int_equal(b->stats.dropped, 1);
    net_purge_queue(b);
    assert_int_equal(b->queue_len, 0);
}

static void test_hub(void **state)
{
    EventLoop *el = event_loop_new();
    Rec r[3] = { 0 };
    NetClient *f[3];
    char err[256];
    for (int i = 0; i < 3; i++) {
        char opt[64], name[16];
        snprintf(opt, sizeof(opt), "hubport,id=hp%d,hubid=7", i);
        NetClient *port = net_netdev_create(el, opt, err, sizeof(err));
        assert_non_null(port);
        snprintf(name, sizeof(name), "f%d", i);
        f[i] = net_client_new(&rec_info, name, &r[i]);
        assert_int_equal(net_client_set_peer(f[i], port), 0);
    }
    /* a port on another hub hears nothing */
    Rec other = { 0 };
    NetClient *o = net_client_new(&rec_info, "o", &other);
    net_client_set_peer(o, net_netdev_create(el, "hubport,id=hq,hubid=8", err, sizeof(err)));
    assert_int_equal(net_send_buf(f[0], "hello", 5), 5);
    assert_int_equal(r[0].n, 0);
    assert_int_equal(r[1].n, 1);
    assert_int_equal(r[2].n, 1);
    assert_memory_equal(r[2].data[0], "hello", 5);
    assert_int_equal(other.n, 0);
    /* hubport,netdev= links a port to an existing backend */
    NetClient *hp = net_netdev_create(el, "hubport,id=hp9,hubid=7,netdev=o", err, sizeof(err));
    assert_null(hp); /* o already has a peer */
    assert_non_null(strstr(err, "already in use"));
    net_cleanup_all();
    event_loop_free(el);
}

static void test_mac(void **state)
{
    uint8_t mac[6];
    assert_int_equal(net_parse_mac("52:54:00:AB:cd:0f", mac), 0);
    assert_int_equal(mac[3], 0xab);
    assert_int_equal(mac[5], 0x0f);
    assert_int_equal(net_parse_mac("52:54:00:ab:cd", mac), -EINVAL);
    assert_int_equal(net_parse_mac("52:54:00:ab:cd:0f:00", mac), -EINVAL);
    assert_int_equal(net_parse_mac("52-54-00-ab-cd-0f", mac), -EINVAL);
    assert_int_equal(net_parse_mac("ff:ff:ff:ff:ff:ff", mac), -EINVAL);
    net_default_mac(3, mac);
    static const uint8_t want[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x59 };
    assert_memory_equal(mac, want, 6);
}

static void test_filter_dump(void **state)
{
    char path[] = "/tmp/mimic-pcap-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char opt[128], err[256] = "";
    expect_ok(net_parse_netdev, "hubport,id=dA,hubid=5");
    expect_ok(net_parse_netdev, "hubport,id=dB,hubid=5");
    snprintf(opt, sizeof(opt), "filter-dump,id=f0,netdev=dA,file=%s,maxlen=100", path);
    expect_ok(net_parse_object, opt);
    EventLoop *el = event_loop_new();
    if (net_init_from_options(el, err, sizeof(err)) < 0) {
        fail_msg("%s", err);
    }
    Rec ra = { 0 }, rb = { 0 };
    NetClient *fa = net_client_new(&rec_info, "fa", &ra);
    NetClient *fb = net_client_new(&rec_info, "fb", &rb);
    net_client_set_peer(fa, net_backend_lookup("dA"));
    net_client_set_peer(fb, net_backend_lookup("dB"));
    uint8_t f1[60], f2[150];
    memset(f1, 0x11, sizeof(f1));
    memset(f2, 0x22, sizeof(f2));
    assert_true(net_send_buf(fa, f1, sizeof(f1)) > 0); /* into dA */
    assert_true(net_send_buf(fb, f2, sizeof(f2)) > 0); /* out of dA */
    assert_int_equal(rb.n, 1);
    assert_int_equal(ra.n, 1);
    net_cleanup_all(); /* closes the file */
    event_loop_free(el);

    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t buf[1024];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    unlink(path);
    assert_int_equal(n, 24 + 16 + 60 + 16 + 100);
    uint32_t u32;
    uint16_t u16;
    memcpy(&u32, buf, 4);
    assert_int_equal(u32, 0xa1b2c3d4u);
    memcpy(&u16, buf + 4, 2);
    assert_int_equal(u16, 2);
    memcpy(&u16, buf + 6, 2);
    assert_int_equal(u16, 4);
    memcpy(&u32, buf + 16, 4);
    assert_int_equal(u32, 100); /* snaplen = maxlen */
    memcpy(&u32, buf + 20, 4);
    assert_int_equal(u32, 1); /* LINKTYPE_ETHERNET */
    const uint8_t *rec = buf + 24;
    memcpy(&u32, rec + 8, 4);
    assert_int_equal(u32, 60); /* incl_len */
    memcpy(&u32, rec + 12, 4);
    assert_int_equal(u32, 60); /* orig_len */
    assert_memory_equal(rec + 16, f1, 60);
    rec += 16 + 60;
    memcpy(&u32, rec + 8, 4);
    assert_int_equal(u32, 100); /* cut at maxlen */
    memcpy(&u32, rec + 12, 4);
    assert_int_equal(u32, 150);
    assert_memory_equal(rec + 16, f2, 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_parse_good, cleanup),
        cmocka_unit_test_teardown(test_parse_bad, cleanup),
        cmocka_unit_test_teardown(test_create_errors, cleanup),
        cmocka_unit_test_teardown(test_queue_and_flush, cleanup),
        cmocka_unit_test_teardown(test_hub, cleanup),
        cmocka_unit_test_teardown(test_mac, cleanup),
        cmocka_unit_test_teardown(test_filter_dump, cleanup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
