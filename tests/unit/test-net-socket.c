/*
 * test-net-socket.c — the socket backend on the loopback interface only:
 * two socket netdevs in one process (listen= on 127.0.0.1 with an
 * ephemeral port, connect= to it) exchange frames both ways, thousands of
 * them with a receiver that stalls for a while (no frame lost, order
 * kept); a stream fed one byte at a time; a peer that sends a bogus length
 * (link closed, counted, no crash); a udp= pair; and mcast= when the
 * sandbox routes multicast on loopback (otherwise skipped with the reason).
 *
 * The one thing to know: everything runs in this thread through
 * event_loop_run_once(); run_until() bounds every wait (5 s).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "mimic/net.h"

typedef struct Sink {
    bool refuse;
    int n;
    uint32_t next_seq;
    int out_of_order;
    size_t last_len;
    uint8_t last[2048];
} Sink;

static bool sink_can_receive(NetClient *nc)
{
    return !((Sink *)nc->opaque)->refuse;
}

static ssize_t sink_receive(NetClient *nc, const struct iovec *iov, int iovcnt)
{
    Sink *s = nc->opaque;
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (len + iov[i].iov_len <= sizeof(s->last)) {
            memcpy(s->last + len, iov[i].iov_base, iov[i].iov_len);
        }
        len += iov[i].iov_len;
    }
    s->last_len = len;
    if (len >= 4) {
        uint32_t seq;
        memcpy(&seq, s->last, 4);
        if (seq != s->next_seq) {
            s->out_of_order++;
        }
        s->next_seq = seq + 1;
    }
    s->n++;
    return (ssize_t)len;
}

static const NetClientInfo sink_info = {
    .type = "sink",
    .can_receive = sink_can_receive,
    .receive = sink_receive,
};

static EventLoop *el;

static int setup(void **state)
{
    el = event_loop_new();
    return 0;
}

static int teardown(void **state)
{
    net_cleanup_all();
    event_loop_free(el);
    return 0;
}

/* Runs the loop until *count reaches want or 5 seconds pass. */
static bool run_until(const int *count, int want)
{
    int64_t end = event_clock_ns() + 5000000000ll;
    while (*count < want && event_clock_ns() < end) {
        event_loop_run_once(el, 10000000);
    }
    return *count >= want;
}

static void run_for_ms(int ms)
{
    int64_t end = event_clock_ns() + (int64_t)ms * 1000000;
    while (event_clock_ns() < end) {
        event_loop_run_once(el, 5000000);
    }
}

static NetClient *make(const char *opt)
{
    char err[256] = "";
    NetClient *nc = net_netdev_create(el, opt, err, sizeof(err));
    if (!nc) {
        fail_msg("%s: %s", opt, err);
    }
    return nc;
}

static NetClient *attach(const char *name, Sink *s, NetClient *backend)
{
    NetClient *nc = net_client_new(&sink_info, name, s);
    assert_int_equal(net_client_set_peer(nc, backend), 0);
    return nc;
}

static void frame(uint8_t *f, size_t len, uint32_t seq)
{
    memcpy(f, &seq, 4);
    for (size_t i = 4; i < len; i++) {
        f[i] = (uint8_t)(seq * 7 + i);
    }
}

static int free_udp_port(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(sa);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static void test_stream_pair(void **state)
{
    NetClient *l = make("socket,id=L,listen=127.0.0.1:0");
    int port = net_socket_local_port(l);
    assert_true(port > 0);
    char opt[128];
    snprintf(opt, sizeof(opt), "socket,id=C,connect=127.0.0.1:%d", port);
    NetClient *c = make(opt);
    Sink sl = { 0 }, sc = { 0 };
    NetClient *gl = attach("gl", &sl, l), *gc = attach("gc", &sc, c);
    run_for_ms(20); /* accept */

    uint8_t f[1514];
    frame(f, 60, 0);
    assert_true(net_send_buf(gc, f, 60) > 0);
    assert_true(run_until(&sl.n, 1));
    assert_int_equal(sl.last_len, 60);
    assert_memory_equal(sl.last, f, 60);
    frame(f, 1514, 0);
    assert_true(net_send_buf(gl, f, 1514) > 0);
    assert_true(run_until(&sc.n, 1));
    assert_int_equal(sc.last_len, 1514);
    assert_memory_equal(sc.last, f, 1514);

    /* many frames while the receiver stalls: back-pressure, then all of them */
    enum { N = 4000 };
    sl.refuse = true;
    for (uint32_t i = 1; i <= N; i++) {
        frame(f, 1000 + i % 500, i);
        assert_true(net_send_buf(gc, f, 1000 + i % 500) >= 0);
    }
    run_for_ms(100);
    assert_int_equal(sl.n, 1);
    sl.refuse = false;
    net_flush_queue(gl);
    assert_true(run_until(&sl.n, N + 1));
    assert_int_equal(sl.out_of_order, 0);
    assert_int_equal(sl.next_seq, N + 1);
    assert_int_equal(l->stats.dropped + c->stats.dropped + gl->stats.dropped, 0);
}

static void test_stream_bytewise_and_bogus(void **state)
{
    NetClient *l = make("socket,id=L2,listen=127.0.0.1:0");
    Sink s = { 0 };
    attach("g2", &s, l);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_port = htons((uint16_t)net_socket_local_port(l)),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    run_for_ms(20);
    /* QEMU's framing: 4-byte big-endian length, then the frame; sent one byte at a time */
    uint8_t msg[4 + 64];
    msg[0] = msg[1] = msg[2] = 0;
    msg[3] = 64;
    frame(msg + 4, 64, 0);
    for (size_t i = 0; i < sizeof(msg); i++) {
        assert_int_equal(write(fd, msg + i, 1), 1);
        run_for_ms(1);
    }
    assert_true(run_until(&s.n, 1));
    assert_int_equal(s.last_len, 64);
    assert_memory_equal(s.last, msg + 4, 64);
    /* a length no frame can have: the link is closed, not trusted */
    uint8_t bogus[8] = { 0x7f, 0xff, 0xff, 0xff, 1, 2, 3, 4 };
    assert_int_equal(write(fd, bogus, sizeof(bogus)), (ssize_t)sizeof(bogus));
    run_for_ms(50);
    assert_int_equal(l->stats.malformed, 1);
    char c;
    assert_int_equal(read(fd, &c, 1), 0); /* closed by mimic */
    close(fd);
    /* and the listener takes a new link afterwards */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    run_for_ms(20);
    assert_int_equal(write(fd, msg, sizeof(msg)), (ssize_t)sizeof(msg));
    assert_true(run_until(&s.n, 2));
    close(fd);
}

static void test_udp_pair(void **state)
{
    int p1 = free_udp_port(), p2 = free_udp_port();
    char o1[128], o2[128];
    snprintf(o1, sizeof(o1), "socket,id=U1,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d", p2, p1);
    snprintf(o2, sizeof(o2), "socket,id=U2,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d", p1, p2);
    Sink s1 = { 0 }, s2 = { 0 };
    NetClient *g1 = attach("g1", &s1, make(o1));
    NetClient *g2 = attach("g2", &s2, make(o2));
    uint8_t f[600];
    frame(f, sizeof(f), 0);
    assert_true(net_send_buf(g1, f, sizeof(f)) > 0);
    assert_true(run_until(&s2.n, 1));
    assert_memory_equal(s2.last, f, sizeof(f));
    frame(f, 100, 0);
    assert_true(net_send_buf(g2, f, 100) > 0);
    assert_true(run_until(&s1.n, 1));
    assert_int_equal(s1.last_len, 100);
}

static void test_mcast(void **state)
{
    char opt[128], err[256] = "";
    int port = free_udp_port();
    snprintf(opt, sizeof(opt), "socket,id=M1,mcast=230.0.0.1:%d,localaddr=127.0.0.1", port);
    NetClient *m1 = net_netdev_create(el, opt, err, sizeof(err));
    if (!m1) {
        printf("skipped: multicast is not available here: %s\n", err);
        skip();
    }
    snprintf(opt, sizeof(opt), "socket,id=M2,mcast=230.0.0.1:%d,localaddr=127.0.0.1", port);
    NetClient *m2 = make(opt);
    Sink s1 = { 0 }, s2 = { 0 };
    NetClient *g1 = attach("gm1", &s1, m1);
    attach("gm2", &s2, m2);
    uint8_t f[300];
    frame(f, sizeof(f), 0);
    net_send_buf(g1, f, sizeof(f));
    if (!run_until(&s2.n, 1)) {
        printf("skipped: multicast on loopback is not routed in this sandbox (%llu send errors)\n",
               (unsigned long long)m1->stats.dropped);
        skip();
    }
    assert_int_equal(s2.last_len, sizeof(f));
    assert_memory_equal(s2.last, f, sizeof(f));
}

static uint16_t free_tcp_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(sa);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

/* The framing is QEMU's: Debian's qemu-system-riscv64 (an oracle, never a
 * dependency) joins two listening socket netdevs with a hub, and two mimic
 * socket netdevs talk to each other through it, both ways. */
static void test_qemu_interop(void **state)
{
    const char *qemu = "/usr/bin/qemu-system-riscv64";
    if (access(qemu, X_OK) != 0) {
        printf("skipped: %s is not installed (Debian qemu-system-misc)\n", qemu);
        skip();
    }
    uint16_t p1 = free_tcp_port(), p2 = free_tcp_port();
    char a[96], b[96];
    snprintf(a, sizeof(a), "socket,id=a,listen=127.0.0.1:%u", p1);
    snprintf(b, sizeof(b), "socket,id=b,listen=127.0.0.1:%u", p2);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        execl(qemu, qemu, "-M", "none", "-nodefaults", "-display", "none", "-monitor", "none",
              "-serial", "none", "-netdev", a, "-netdev", b, "-netdev",
              "hubport,id=h1,hubid=0,netdev=a", "-netdev", "hubport,id=h2,hubid=0,netdev=b",
              (char *)NULL);
        _exit(127);
    }
    NetClient *q[2] = { NULL, NULL };
    uint16_t ports[2] = { p1, p2 };
    char err[256];
    for (int i = 0; i < 2; i++) {
        char opt[96];
        snprintf(opt, sizeof(opt), "socket,id=q%d,connect=127.0.0.1:%u", i, ports[i]);
        for (int tries = 0; tries < 200 && !q[i]; tries++) {
            q[i] = net_netdev_create(el, opt, err, sizeof(err));
            if (!q[i]) {
                usleep(25000);
            }
        }
    }
    if (!q[0] || !q[1]) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        fail_msg("could not connect to qemu-system-riscv64: %s", err);
    }
    Sink s0 = { 0 }, s1 = { 0 };
    NetClient *g0 = attach("qg0", &s0, q[0]), *g1 = attach("qg1", &s1, q[1]);
    /* QEMU accepts the links from its main loop: wait until a probe frame
     * gets through (frames sent before that are dropped there) */
    uint8_t f[1514];
    for (int tries = 0; tries < 100 && s1.n == 0; tries++) {
        frame(f, 60, 0);
        net_send_buf(g0, f, 60);
        run_for_ms(50);
    }
    run_for_ms(200); /* late probes land now, not among the frames counted below */
    s1.n = 0;
    s1.next_seq = 0;
    s1.out_of_order = 0;
    for (uint32_t i = 0; i < 50; i++) {
        frame(f, 60 + i * 29, i);
        net_send_buf(g0, f, 60 + i * 29);
    }
    bool ok1 = run_until(&s1.n, 50);
    frame(f, 1514, 0);
    net_send_buf(g1, f, 1514);
    bool ok0 = run_until(&s0.n, 1);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    assert_true(ok1);
    assert_int_equal(s1.out_of_order, 0);
    assert_int_equal(s1.last_len, 60 + 49 * 29);
    frame(f, 60 + 49 * 29, 49);
    assert_memory_equal(s1.last, f, 60 + 49 * 29);
    assert_true(ok0);
    assert_int_equal(s0.last_len, 1514);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stream_pair, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_bytewise_and_bogus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_udp_pair, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mcast, setup, teardown),
        cmocka_unit_test_setup_teardown(test_qemu_interop, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
