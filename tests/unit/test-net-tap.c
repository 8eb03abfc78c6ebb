/*
 * test-net-tap.c — the tap backend against the real kernel, inside a
 * network namespace this test makes for itself (so nothing leaves it): a
 * tap interface is created with ifname=, given 10.99.0.1/24 and brought
 * up; the fake guest sends an ARP request for 10.99.0.1 through the
 * backend and the kernel's ARP reply comes back through it.
 *
 * The one thing to know: it needs root (CAP_SYS_ADMIN for unshare,
 * CAP_NET_ADMIN for the tap) and /dev/net/tun; without them it is skipped
 * with the reason printed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "mimic/net.h"

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static int arp_replies;
static uint8_t reply[64];

static ssize_t guest_receive(NetClient *nc, const struct iovec *iov, int iovcnt)
{
    uint8_t f[2048];
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (len + iov[i].iov_len <= sizeof(f)) {
            memcpy(f + len, iov[i].iov_base, iov[i].iov_len);
        }
        len += iov[i].iov_len;
    }
    if (len >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[20] == 0 && f[21] == 2) {
        memcpy(reply, f, 42);
        arp_replies++;
    }
    return (ssize_t)len;
}

static const NetClientInfo guest_info = { .type = "guest", .receive = guest_receive };

static int ifconfig(const char *name, const char *ip)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr = { 0 };
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    struct sockaddr_in *sa = (struct sockaddr_in *)&ifr.ifr_addr;
    sa->sin_family = AF_INET;
    inet_pton(AF_INET, ip, &sa->sin_addr);
    int r = ioctl(fd, SIOCSIFADDR, &ifr);
    inet_pton(AF_INET, "255.255.255.0", &sa->sin_addr);
    r |= ioctl(fd, SIOCSIFNETMASK, &ifr);
    r |= ioctl(fd, SIOCGIFFLAGS, &ifr);
    ifr.ifr_flags |= IFF_UP;
    r |= ioctl(fd, SIOCSIFFLAGS, &ifr);
    close(fd);
    return r;
}

static void test_tap_arp(void **state)
{
    if (unshare(CLONE_NEWNET) != 0) {
        printf("skipped: cannot make a network namespace: %s\n", strerror(errno));
        skip();
    }
    EventLoop *el = event_loop_new();
    char err[256] = "";
    NetClient *tap = net_netdev_create(el, "tap,id=t0,ifname=mimictap0,script=no,downscript=no",
                                       err, sizeof(err));
    if (!tap) {
        printf("skipped: %s\n", err);
        event_loop_free(el);
        skip();
    }
    assert_int_equal(ifconfig("mimictap0", "10.99.0.1"), 0);
    NetClient *g = net_client_new(&guest_info, "g", NULL);
    assert_int_equal(net_client_set_peer(g, tap), 0);
    uint8_t f[42];
    memset(f, 0xff, 6);
    memcpy(f + 6, guest_mac, 6);
    f[12] = 0x08, f[13] = 0x06;
    f[14] = 0, f[15] = 1, f[16] = 0x08, f[17] = 0, f[18] = 6, f[19] = 4, f[20] = 0, f[21] = 1;
    memcpy(f + 22, guest_mac, 6);
    inet_pton(AF_INET, "10.99.0.2", f + 28);
    memset(f + 32, 0, 6);
    inet_pton(AF_INET, "10.99.0.1", f + 38);
    int64_t end = event_clock_ns() + 5000000000ll;
    int64_t next = 0;
    while (arp_replies == 0 && event_clock_ns() < end) {
        if (event_clock_ns() >= next) {
            assert_true(net_send_buf(g, f, sizeof(f)) > 0);
            next = event_clock_ns() + 500000000;
        }
        event_loop_run_once(el, 10000000);
    }
    assert_true(arp_replies > 0);
    assert_memory_equal(reply, guest_mac, 6);          /* to us */
    uint8_t ip[4];
    inet_pton(AF_INET, "10.99.0.1", ip);
    assert_memory_equal(reply + 28, ip, 4);            /* from the kernel's address */
    assert_int_equal(tap->stats.dropped, 0);
    net_cleanup_all();
    event_loop_free(el);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tap_arp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
