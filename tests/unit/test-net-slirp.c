/*
 * test-net-slirp.c — the user backend (libslirp) with the test playing the
 * guest at the Ethernet level, loopback only: a DHCP DISCOVER gets an
 * OFFER of 10.0.2.15 (and of dhcpstart= on another net=); a UDP hostfwd
 * carries a datagram from a host socket to the guest and the guest's
 * answer back; a TCP hostfwd listens and, when the host connects, slirp
 * sends a SYN to 10.0.2.15:port; the guest reaches a host UDP socket on
 * 127.0.0.1 through 10.0.2.2, and restrict=on stops that; a guestfwd to a
 * host TCP endpoint connects to it.
 *
 * The one thing to know: the fake guest answers slirp's ARP requests for
 * its address from the test loop (never from inside slirp's callback), and
 * every wait is bounded (5 s).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "mimic/net.h"

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static uint8_t slirp_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };

#define MAX_FRAMES 64
typedef struct Guest {
    uint32_t ip; /* host order; ARP requests for it are answered */
    int n;
    size_t len[MAX_FRAMES];
    uint8_t data[MAX_FRAMES][2048];
    int arp_pending;
    uint8_t arp_req[MAX_FRAMES][64];
} Guest;

static EventLoop *el;
static Guest guest;
static NetClient *nic;

static ssize_t guest_receive(NetClient *nc, const struct iovec *iov, int iovcnt)
{
    Guest *g = nc->opaque;
    uint8_t f[2048];
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (len + iov[i].iov_len <= sizeof(f)) {
            memcpy(f + len, iov[i].iov_base, iov[i].iov_len);
        }
        len += iov[i].iov_len;
    }
    if (len >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 1) { /* ARP request */
        uint32_t tpa;
        memcpy(&tpa, f + 38, 4);
        if (ntohl(tpa) == g->ip && g->arp_pending < MAX_FRAMES) {
            memcpy(g->arp_req[g->arp_pending++], f, 42);
        }
        return (ssize_t)len;
    }
    if (g->n < MAX_FRAMES && len <= sizeof(g->data[0])) {
        memcpy(g->data[g->n], f, len);
        g->len[g->n] = len;
        g->n++;
    }
    return (ssize_t)len;
}

static const NetClientInfo guest_info = { .type = "guest", .receive = guest_receive };

static uint16_t ip_checksum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    }
    if (len & 1) {
        sum += (uint32_t)p[len - 1] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* Ethernet + IPv4 + UDP (checksum 0: none) around payload; returns the length. */
static size_t build_udp(uint8_t *f, const uint8_t *dst_mac, uint32_t src, uint32_t dst,
                        uint16_t sport, uint16_t dport, const void *payload, size_t plen)
{
    memcpy(f, dst_mac, 6);
    memcpy(f + 6, guest_mac, 6);
    put16(f + 12, 0x0800);
    uint8_t *ip = f + 14;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(20 + 8 + plen));
    ip[8] = 64;
    ip[9] = 17;
    put32(ip + 12, src);
    put32(ip + 16, dst);
    put16(ip + 10, ip_checksum(ip, 20));
    uint8_t *udp = ip + 20;
    put16(udp, sport);
    put16(udp + 2, dport);
    put16(udp + 4, (uint16_t)(8 + plen));
    put16(udp + 6, 0);
    memcpy(udp + 8, payload, plen);
    return 14 + 20 + 8 + plen;
}

static void answer_arp(void)
{
    for (int i = 0; i < guest.arp_pending; i++) {
        const uint8_t *req = guest.arp_req[i];
        uint8_t r[42];
        memcpy(r, req + 6, 6);
        memcpy(r + 6, guest_mac, 6);
        put16(r + 12, 0x0806);
        put16(r + 14, 1);
        put16(r + 16, 0x0800);
        r[18] = 6;
        r[19] = 4;
        put16(r + 20, 2);
        memcpy(r + 22, guest_mac, 6);
        put32(r + 28, guest.ip);
        memcpy(r + 32, req + 22, 10); /* the requester's MAC and IP */
        net_send_buf(nic, r, sizeof(r));
    }
    guest.arp_pending = 0;
}

/* Runs the loop (answering ARP) until a frame matching pred arrives: its
 * index, or -1 after 5 s. */
static int wait_frame(bool (*pred)(const uint8_t *f, size_t len, void *arg), void *arg)
{
    int64_t end = event_clock_ns() + 5000000000ll;
    int checked = 0;
    while (event_clock_ns() < end) {
        answer_arp();
        for (; checked < guest.n; checked++) {
            if (pred(guest.data[checked], guest.len[checked], arg)) {
                return checked;
            }
        }
        event_loop_run_once(el, 10000000);
    }
    return -1;
}

static NetClient *start(const char *opt, uint32_t guest_ip)
{
    char err[256] = "";
    NetClient *user = net_netdev_create(el, opt, err, sizeof(err));
    if (!user) {
        fail_msg("%s: %s", opt, err);
    }
    memset(&guest, 0, sizeof(guest));
    guest.ip = guest_ip;
    nic = net_client_new(&guest_info, "guest-nic", &guest);
    assert_int_equal(net_client_set_peer(nic, user), 0);
    return user;
}

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

/* ---- DHCP --------------------------------------------------------------- */

static size_t build_discover(uint8_t *f, uint32_t xid)
{
    uint8_t bootp[548] = { 0 };
    bootp[0] = 1; /* BOOTREQUEST */
    bootp[1] = 1; /* Ethernet */
    bootp[2] = 6;
    put32(bootp + 4, xid);
    memcpy(bootp + 28, guest_mac, 6);
    put32(bootp + 236, 0x63825363); /* magic cookie */
    uint8_t *o = bootp + 240;
    *o++ = 53; /* DHCP message type */
    *o++ = 1;
    *o++ = 1;  /* DISCOVER */
    *o++ = 255;
    return build_udp(f, bcast, 0, 0xffffffffu, 68, 67, bootp, sizeof(bootp));
}

static bool is_dhcp_offer(const uint8_t *f, size_t len, void *arg)
{
    if (len < 14 + 20 + 8 + 240 || get16(f + 12) != 0x0800 || f[14 + 9] != 17) {
        return false;
    }
    const uint8_t *udp = f + 14 + (f[14] & 15) * 4;
    if (get16(udp + 2) != 68) {
        return false;
    }
    const uint8_t *bp = udp + 8;
    if (bp[0] != 2 || get32(bp + 4) != *(uint32_t *)arg || get32(bp + 236) != 0x63825363) {
        return false;
    }
    for (const uint8_t *o = bp + 240; o + 2 < f + len && *o != 255;) {
        if (*o == 0) {
            o++;
            continue;
        }
        if (o[0] == 53) {
            return o[2] == 2; /* OFFER */
        }
        o += 2 + o[1];
    }
    return false;
}

static uint32_t offered_ip(const uint8_t *f)
{
    const uint8_t *bp = f + 14 + (f[14] & 15) * 4 + 8;
    return get32(bp + 16);
}

static void test_dhcp_offer(void **state)
{
    start("user,id=u0", 0x0a00020f);
    uint8_t f[1024];
    uint32_t xid = 0x12345678;
    size_t len = build_discover(f, xid);
    net_send_buf(nic, f, len);
    int i = wait_frame(is_dhcp_offer, &xid);
    assert_true(i >= 0);
    assert_int_equal(offered_ip(guest.data[i]), 0x0a00020f); /* 10.0.2.15 */
    memcpy(slirp_mac, guest.data[i] + 6, 6);
}

static void test_dhcp_custom_net(void **state)
{
    start("user,id=u1,net=192.168.76.0/24,dhcpstart=192.168.76.9", 0xc0a84c09);
    uint8_t f[1024];
    uint32_t xid = 0xcafe;
    size_t len = build_discover(f, xid);
    net_send_buf(nic, f, len);
    int i = wait_frame(is_dhcp_offer, &xid);
    assert_true(i >= 0);
    assert_int_equal(offered_ip(guest.data[i]), 0xc0a84c09); /* 192.168.76.9 */
}

/* ---- forwarding --------------------------------------------------------- */

static int udp_socket(uint16_t port, uint16_t *bound)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof(sa);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    *bound = ntohs(sa.sin_port);
    return fd;
}

static uint16_t free_port(int type)
{
    int fd = socket(AF_INET, type, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof(sa);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    close(fd);
    return ntohs(sa.sin_port);
}

typedef struct Match {
    uint8_t proto;
    uint32_t dst;
    uint16_t dport;
} Match;

static bool is_ip_to(const uint8_t *f, size_t len, void *arg)
{
    const Match *m = arg;
    if (len < 14 + 20 + 8 || get16(f + 12) != 0x0800 || f[14 + 9] != m->proto ||
        get32(f + 14 + 16) != m->dst) {
        return false;
    }
    const uint8_t *l4 = f + 14 + (f[14] & 15) * 4;
    return get16(l4 + 2) == m->dport;
}

static void test_udp_hostfwd(void **state)
{
    uint16_t hp = free_port(SOCK_DGRAM);
    char opt[128];
    snprintf(opt, sizeof(opt), "user,id=u2,hostfwd=udp:127.0.0.1:%u-:5555", hp);
    start(opt, 0x0a00020f);
    uint16_t cport;
    int fd = udp_socket(0, &cport);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(hp),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(sendto(fd, "ping", 4, 0, (struct sockaddr *)&to, sizeof(to)), 4);
    Match m = { 17, 0x0a00020f, 5555 };
    int i = wait_frame(is_ip_to, &m);
    assert_true(i >= 0);
    const uint8_t *f = guest.data[i];
    const uint8_t *udp = f + 14 + (f[14] & 15) * 4;
    assert_memory_equal(udp + 8, "ping", 4);
    /* the guest answers the way it came */
    uint32_t src = get32(f + 14 + 12);
    uint16_t sport = get16(udp);
    uint8_t r[256];
    size_t len = build_udp(r, f + 6, 0x0a00020f, src, 5555, sport, "pong", 4);
    net_send_buf(nic, r, len);
    char buf[16];
    ssize_t n = -1;
    for (int k = 0; k < 500 && n < 0; k++) {
        event_loop_run_once(el, 10000000);
        n = recv(fd, buf, sizeof(buf), 0);
    }
    assert_int_equal(n, 4);
    assert_memory_equal(buf, "pong", 4);
    close(fd);
}

static void test_tcp_hostfwd_syn(void **state)
{
    uint16_t hp = free_port(SOCK_STREAM);
    char opt[128];
    snprintf(opt, sizeof(opt), "user,id=u3,hostfwd=tcp:127.0.0.1:%u-10.0.2.15:22", hp);
    start(opt, 0x0a00020f);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(hp),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int r = connect(fd, (struct sockaddr *)&to, sizeof(to));
    assert_true(r == 0 || errno == EINPROGRESS); /* slirp is listening */
    Match m = { 6, 0x0a00020f, 22 };
    int i = wait_frame(is_ip_to, &m);
    assert_true(i >= 0);
    const uint8_t *f = guest.data[i];
    const uint8_t *tcp = f + 14 + (f[14] & 15) * 4;
    assert_int_equal(tcp[13] & 0x12, 0x02); /* SYN, no ACK */
    close(fd);
    /* a second forward of the same host port cannot be set up */
    char err[256] = "";
    snprintf(opt, sizeof(opt), "user,id=u4,hostfwd=tcp:127.0.0.1:%u-:22", hp);
    assert_null(net_netdev_create(el, opt, err, sizeof(err)));
    assert_non_null(strstr(err, "could not set up host forwarding"));
}

/* The guest sends to 10.0.2.2:port, which slirp maps to the host's 127.0.0.1. */
static int guest_to_host(const char *opt)
{
    start(opt, 0x0a00020f);
    uint16_t port;
    int fd = udp_socket(0, &port);
    uint8_t f[256];
    size_t len = build_udp(f, slirp_mac, 0x0a00020f, 0x0a000202, 4444, port, "hello", 5);
    net_send_buf(nic, f, len);
    char buf[16];
    ssize_t n = -1;
    for (int k = 0; k < 50 && n < 0; k++) {
        answer_arp();
        event_loop_run_once(el, 10000000);
        n = recv(fd, buf, sizeof(buf), 0);
    }
    close(fd);
    return n == 5 && memcmp(buf, "hello", 5) == 0;
}

static void test_guest_to_host_and_restrict(void **state)
{
    assert_true(guest_to_host("user,id=u5"));
    net_cleanup_all();
    assert_false(guest_to_host("user,id=u6,restrict=on"));
}

static void test_guestfwd_tcp(void **state)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof(sa);
    assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(ls, 1), 0);
    getsockname(ls, (struct sockaddr *)&sa, &sl);
    char opt[160];
    snprintf(opt, sizeof(opt), "user,id=u7,guestfwd=tcp:10.0.2.100:1234-tcp:127.0.0.1:%u",
             ntohs(sa.sin_port));
    start(opt, 0x0a00020f);
    fcntl(ls, F_SETFL, O_NONBLOCK);
    int c = accept(ls, NULL, NULL);
    assert_true(c >= 0); /* the backend connected at start-up */
    close(c);
    close(ls);
    /* nothing listens any more: a new one fails with a message */
    char err[256] = "";
    snprintf(opt, sizeof(opt), "user,id=u8,guestfwd=tcp:10.0.2.100:1234-tcp:127.0.0.1:%u",
             ntohs(sa.sin_port));
    assert_null(net_netdev_create(el, opt, err, sizeof(err)));
    assert_non_null(strstr(err, "cannot connect"));
}

static pthread_mutex_t machine = PTHREAD_MUTEX_INITIALIZER;

static void machine_lock(void *opaque)
{
    pthread_mutex_lock(opaque);
}

static void machine_unlock(void *opaque)
{
    pthread_mutex_unlock(opaque);
}

/* As the machine will run it: the loop in its own I/O thread under the
 * machine lock, the "vCPU" (this thread) sending under the same lock. */
static void test_udp_hostfwd_io_thread(void **state)
{
    uint16_t hp = free_port(SOCK_DGRAM);
    char opt[128];
    snprintf(opt, sizeof(opt), "user,id=u9,hostfwd=udp:127.0.0.1:%u-:7777", hp);
    event_loop_set_lock(el, machine_lock, machine_unlock, &machine);
    assert_int_equal(event_loop_start_thread(el), 0);
    pthread_mutex_lock(&machine);
    start(opt, 0x0a00020f);
    pthread_mutex_unlock(&machine);
    uint16_t cport;
    int fd = udp_socket(0, &cport);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(hp),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(sendto(fd, "ping", 4, 0, (struct sockaddr *)&to, sizeof(to)), 4);
    Match m = { 17, 0x0a00020f, 7777 };
    int found = -1;
    uint8_t f[2048];
    for (int k = 0; k < 500 && found < 0; k++) {
        usleep(10000);
        pthread_mutex_lock(&machine);
        answer_arp();
        for (int i = 0; i < guest.n && found < 0; i++) {
            if (is_ip_to(guest.data[i], guest.len[i], &m)) {
                found = i;
                memcpy(f, guest.data[i], guest.len[i]);
            }
        }
        pthread_mutex_unlock(&machine);
    }
    assert_true(found >= 0);
    const uint8_t *udp = f + 14 + (f[14] & 15) * 4;
    uint8_t r[256];
    size_t len = build_udp(r, f + 6, 0x0a00020f, get32(f + 14 + 12), 7777, get16(udp), "pong", 4);
    pthread_mutex_lock(&machine);
    net_send_buf(nic, r, len);
    pthread_mutex_unlock(&machine);
    char buf[16];
    ssize_t n = -1;
    for (int k = 0; k < 500 && n < 0; k++) {
        usleep(10000);
        n = recv(fd, buf, sizeof(buf), 0);
    }
    event_loop_stop_thread(el);
    assert_int_equal(n, 4);
    assert_memory_equal(buf, "pong", 4);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dhcp_offer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dhcp_custom_net, setup, teardown),
        cmocka_unit_test_setup_teardown(test_udp_hostfwd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tcp_hostfwd_syn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_guest_to_host_and_restrict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_guestfwd_tcp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_udp_hostfwd_io_thread, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
