/*
 * user.c — the "user" backend: user-mode networking on libslirp (NAT to
 * the host's sockets, DHCP, DNS forwarding, hostfwd, guestfwd, restrict).
 *
 * The one thing to know: libslirp owns its sockets; it is driven by an
 * event-loop poll hook (slirp_pollfds_fill before each poll,
 * slirp_pollfds_poll after) and its timers are event-loop timers, so
 * everything slirp does runs in the loop under the machine lock, like the
 * NIC it talks to.
 */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <slirp/libslirp.h>

#include "mimic/net.h"

#define MAX_GUESTFWD 16

typedef struct UserState UserState;

/* A guestfwd to a host TCP endpoint: one connected socket per rule. */
typedef struct GuestFwd {
    UserState *s;
    struct in_addr addr;
    int port;
    int fd;
    EventTimer *retry;
} GuestFwd;

struct UserState {
    NetClient *nc;
    EventLoop *el;
    Slirp *slirp;
    GuestFwd fwd[MAX_GUESTFWD];
    int nb_fwd;
    uint8_t buf[NET_MAX_FRAME];
};

typedef struct UserTimer {
    EventTimer *t;
    SlirpTimerCb cb;
    void *cb_opaque;
} UserTimer;

static ssize_t user_send_packet(const void *buf, size_t len, void *opaque)
{
    UserState *s = opaque;
    net_send_buf(s->nc, buf, len);
    return (ssize_t)len;
}

static void user_guest_error(const char *msg, void *opaque)
{
    UserState *s = opaque;
    s->nc->stats.malformed++;
    fprintf(stderr, "mimic: netdev %s: guest error: %s\n", s->nc->name ? s->nc->name : "user",
            msg);
}

static int64_t user_clock_get_ns(void *opaque)
{
    return event_clock_ns();
}

static void user_timer_fire(void *opaque)
{
    UserTimer *t = opaque;
    t->cb(t->cb_opaque);
}

static void *user_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    UserState *s = opaque;
    UserTimer *t = calloc(1, sizeof(*t));
    if (!t) {
        return NULL;
    }
    t->cb = cb;
    t->cb_opaque = cb_opaque;
    t->t = event_timer_new(s->el, user_timer_fire, t);
    return t;
}

static void user_timer_free(void *timer, void *opaque)
{
    UserTimer *t = timer;
    if (t) {
        event_timer_free(t->t);
        free(t);
    }
}

static void user_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    UserTimer *t = timer;
    event_timer_mod(t->t, expire_ms * 1000000);
}

static void user_register_poll_fd(int fd, void *opaque)
{
}

static void user_unregister_poll_fd(int fd, void *opaque)
{
}

static void user_notify(void *opaque)
{
    UserState *s = opaque;
    event_loop_wakeup(s->el);
}

static const SlirpCb user_callbacks = {
    .send_packet = user_send_packet,
    .guest_error = user_guest_error,
    .clock_get_ns = user_clock_get_ns,
    .timer_new = user_timer_new,
    .timer_free = user_timer_free,
    .timer_mod = user_timer_mod,
    .register_poll_fd = user_register_poll_fd,
    .unregister_poll_fd = user_unregister_poll_fd,
    .notify = user_notify,
};

/* ---- the poll hook ------------------------------------------------------ */

static int user_add_poll(int fd, int events, void *opaque)
{
    short ev = 0;
    ev |= (events & SLIRP_POLL_IN) ? POLLIN : 0;
    ev |= (events & SLIRP_POLL_OUT) ? POLLOUT : 0;
    ev |= (events & SLIRP_POLL_PRI) ? POLLPRI : 0;
    return event_pollset_add(opaque, fd, ev);
}

static int user_get_revents(int idx, void *opaque)
{
    short r = event_pollset_revents(opaque, idx);
    int ev = 0;
    ev |= (r & POLLIN) ? SLIRP_POLL_IN : 0;
    ev |= (r & POLLOUT) ? SLIRP_POLL_OUT : 0;
    ev |= (r & POLLPRI) ? SLIRP_POLL_PRI : 0;
    ev |= (r & (POLLERR | POLLNVAL)) ? SLIRP_POLL_ERR : 0;
    ev |= (r & POLLHUP) ? SLIRP_POLL_HUP : 0;
    return ev;
}

static void user_prepare(void *opaque, EventPollSet *set, int64_t *timeout_ns)
{
    UserState *s = opaque;
    uint32_t ms = UINT32_MAX;
    slirp_pollfds_fill(s->slirp, &ms, user_add_poll, set);
    int64_t ns = (int64_t)ms * 1000000;
    if (*timeout_ns < 0 || ns < *timeout_ns) {
        *timeout_ns = ns;
    }
}

static void user_dispatch(void *opaque, EventPollSet *set, bool error)
{
    UserState *s = opaque;
    slirp_pollfds_poll(s->slirp, error, user_get_revents, set);
}

/* ---- the NetClient side ------------------------------------------------- */

static ssize_t user_receive(NetClient *nc, const struct iovec *iov, int iovcnt)
{
    UserState *s = nc->opaque;
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (iov[i].iov_len > sizeof(s->buf) - len) {
            nc->stats.malformed++;
            return 1; /* too big for any Ethernet frame: dropped */
        }
        memcpy(s->buf + len, iov[i].iov_base, iov[i].iov_len);
        len += iov[i].iov_len;
    }
    if (len == 0) {
        nc->stats.malformed++;
        return 1;
    }
    slirp_input(s->slirp, s->buf, (int)len);
    /* slirp may have opened sockets or armed its fast timer: a loop polling
     * in another thread must rebuild its set (frames come from vCPUs) */
    event_loop_wakeup(s->el);
    return (ssize_t)len;
}

static void user_cleanup(NetClient *nc)
{
    UserState *s = nc->opaque;
    event_loop_remove_poll_hook(s->el, s);
    for (int i = 0; i < s->nb_fwd; i++) {
        if (s->fwd[i].fd >= 0) {
            event_loop_remove_fd(s->el, s->fwd[i].fd);
            close(s->fwd[i].fd);
        }
        if (s->fwd[i].retry) {
            event_timer_free(s->fwd[i].retry);
        }
    }
    if (s->slirp) {
        slirp_cleanup(s->slirp);
    }
    free(s);
}

static const NetClientInfo user_info = {
    .type = "user",
    .receive = user_receive,
    .cleanup = user_cleanup,
};

/* ---- guestfwd to a host TCP endpoint ------------------------------------ */

static ssize_t guestfwd_write(const void *buf, size_t len, void *opaque)
{
    GuestFwd *g = opaque;
    size_t done = 0;
    while (g->fd >= 0 && done < len) {
        ssize_t r = write(g->fd, (const uint8_t *)buf + done, len - done);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            break;
        }
        done += (size_t)r;
    }
    return (ssize_t)len;
}

static void guestfwd_readable(void *opaque, int fd, unsigned revents);

static void guestfwd_retry(void *opaque)
{
    GuestFwd *g = opaque;
    if (g->fd >= 0) {
        event_loop_set_fd(g->s->el, g->fd, POLLIN, guestfwd_readable, g);
    }
}

static void guestfwd_readable(void *opaque, int fd, unsigned revents)
{
    GuestFwd *g = opaque;
    UserState *s = g->s;
    size_t can = slirp_socket_can_recv(s->slirp, g->addr, g->port);
    if (can == 0) {
        /* no guest connection yet, or its window is full: look again soon */
        event_loop_set_fd(s->el, fd, 0, guestfwd_readable, g);
        event_timer_mod(g->retry, event_clock_ns() + 10000000);
        return;
    }
    uint8_t buf[16384];
    ssize_t r = read(fd, buf, can < sizeof(buf) ? can : sizeof(buf));
    if (r > 0) {
        slirp_socket_recv(s->slirp, g->addr, g->port, buf, (int)r);
    } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        event_loop_remove_fd(s->el, fd);
        close(fd);
        g->fd = -1;
    }
}

static int tcp_connect(const char *host, const char *port, char *err, size_t errlen)
{
    struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *ai;
    int r = getaddrinfo(host, port, &hints, &ai);
    if (r) {
        snprintf(err, errlen, "cannot resolve '%s:%s': %s", host, port, gai_strerror(r));
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        snprintf(err, errlen, "cannot connect to '%s:%s': %s", host, port, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    return fd;
}

/* ---- options ------------------------------------------------------------ */

static bool parse_ip(const char *s, struct in_addr *a)
{
    return inet_pton(AF_INET, s, a) == 1;
}

static bool parse_port(const char *s, int *port)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0 || v > 65535) {
        return false;
    }
    *port = (int)v;
    return true;
}

static int parse_bool(const char *v, bool *b)
{
    if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "y") || !strcmp(v, "true")) {
        *b = true;
    } else if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "n") ||
               !strcmp(v, "false")) {
        *b = false;
    } else {
        return -1;
    }
    return 0;
}

/* "net=a.b.c.d[/bits|/mask]" */
static bool parse_net(const char *v, struct in_addr *net, struct in_addr *mask)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", v);
    char *slash = strchr(buf, '/');
    uint32_t m = 0xffffff00u;
    if (slash) {
        *slash = 0;
        char *end;
        long bits = strtol(slash + 1, &end, 10);
        if (!*end && slash[1]) {
            if (bits < 0 || bits > 32) {
                return false;
            }
            m = bits ? 0xffffffffu << (32 - bits) : 0;
        } else {
            struct in_addr ma;
            if (!parse_ip(slash + 1, &ma)) {
                return false;
            }
            m = ntohl(ma.s_addr);
        }
    }
    if (!parse_ip(buf, net)) {
        return false;
    }
    mask->s_addr = htonl(m);
    net->s_addr &= mask->s_addr;
    return true;
}

/* "[tcp|udp]:[haddr]:hport-[gaddr]:gport" */
static int add_hostfwd(UserState *s, const char *rule, struct in_addr dflt_guest, char *err,
                       size_t errlen)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", rule);
    char *colon = strchr(buf, ':');
    char *dash = colon ? strchr(colon + 1, '-') : NULL;
    if (!colon || !dash) {
        goto bad;
    }
    *colon = 0;
    *dash = 0;
    int udp;
    if (!strcmp(buf, "") || !strcmp(buf, "tcp")) {
        udp = 0;
    } else if (!strcmp(buf, "udp")) {
        udp = 1;
    } else {
        goto bad;
    }
    char *host = colon + 1, *guest = dash + 1;
    char *hc = strrchr(host, ':'), *gc = strrchr(guest, ':');
    if (!hc || !gc) {
        goto bad;
    }
    *hc = 0;
    *gc = 0;
    struct in_addr haddr = { .s_addr = INADDR_ANY }, gaddr = dflt_guest;
    int hport, gport;
    if ((*host && !parse_ip(host, &haddr)) || (*guest && !parse_ip(guest, &gaddr)) ||
        !parse_port(hc + 1, &hport) || !parse_port(gc + 1, &gport) || gport == 0) {
        goto bad;
    }
    if (slirp_add_hostfwd(s->slirp, udp, haddr, hport, gaddr, gport) < 0) {
        snprintf(err, errlen, "-netdev user: could not set up host forwarding rule '%s': %s",
                 rule, strerror(errno));
        return -1;
    }
    return 0;
bad:
    snprintf(err, errlen,
             "-netdev user: invalid hostfwd '%s' (expected [tcp|udp]:[hostaddr]:hostport-"
             "[guestaddr]:guestport)",
             rule);
    return -1;
}

/* "[tcp]:server:port-cmd:COMMAND" or "[tcp]:server:port-tcp:HOST:PORT" */
static int add_guestfwd(UserState *s, const char *rule, char *err, size_t errlen)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", rule);
    char *c1 = strchr(buf, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    char *dash = c2 ? strchr(c2 + 1, '-') : NULL;
    if (!dash || !(c1 == buf || (c1 - buf == 3 && !strncmp(buf, "tcp", 3)))) {
        goto bad;
    }
    *c2 = 0;
    *dash = 0;
    struct in_addr addr;
    int port;
    if (!parse_ip(c1 + 1, &addr) || !parse_port(c2 + 1, &port) || port == 0) {
        goto bad;
    }
    const char *dev = dash + 1;
    if (!strncmp(dev, "cmd:", 4)) {
        if (slirp_add_exec(s->slirp, dev + 4, &addr, port) < 0) {
            snprintf(err, errlen, "-netdev user: conflicting/invalid guestfwd '%s'", rule);
            return -1;
        }
        return 0;
    }
    if (strncmp(dev, "tcp:", 4)) {
        goto bad;
    }
    char hostport[256];
    snprintf(hostport, sizeof(hostport), "%s", dev + 4);
    char *pc = strrchr(hostport, ':');
    if (!pc || s->nb_fwd == MAX_GUESTFWD) {
        goto bad;
    }
    *pc = 0;
    char cerr[640];
    int fd = tcp_connect(hostport, pc + 1, cerr, sizeof(cerr));
    if (fd < 0) {
        snprintf(err, errlen, "-netdev user: guestfwd '%s': %s", rule, cerr);
        return -1;
    }
    GuestFwd *g = &s->fwd[s->nb_fwd];
    *g = (GuestFwd){ .s = s, .addr = addr, .port = port, .fd = fd };
    if (slirp_add_guestfwd(s->slirp, guestfwd_write, g, &addr, port) < 0) {
        close(fd);
        snprintf(err, errlen, "-netdev user: conflicting/invalid guestfwd '%s'", rule);
        return -1;
    }
    s->nb_fwd++;
    g->retry = event_timer_new(s->el, guestfwd_retry, g);
    event_loop_set_fd(s->el, fd, POLLIN, guestfwd_readable, g);
    return 0;
bad:
    snprintf(err, errlen,
             "-netdev user: invalid guestfwd '%s' (expected [tcp]:server:port-cmd:COMMAND or "
             "[tcp]:server:port-tcp:HOST:PORT)",
             rule);
    return -1;
}

NetClient *net_user_create(EventLoop *el, const char *id, const NetOpts *o, char *err,
                           size_t errlen)
{
    SlirpConfig cfg = { .version = 4, .in_enabled = true };
    inet_pton(AF_INET, "10.0.2.0", &cfg.vnetwork);
    inet_pton(AF_INET, "255.255.255.0", &cfg.vnetmask);
    const char *v;
    if ((v = net_opts_get(o, "net")) && !parse_net(v, &cfg.vnetwork, &cfg.vnetmask)) {
        snprintf(err, errlen, "-netdev user: invalid net '%s'", v);
        return NULL;
    }
    uint32_t netw = ntohl(cfg.vnetwork.s_addr), mask = ntohl(cfg.vnetmask.s_addr);
    cfg.vhost.s_addr = htonl(netw | 2);
    cfg.vnameserver.s_addr = htonl(netw | 3);
    cfg.vdhcp_start.s_addr = htonl(netw | 15);
    static const char *const addr_keys[] = { "host", "dns", "dhcpstart" };
    struct in_addr *addrs[] = { &cfg.vhost, &cfg.vnameserver, &cfg.vdhcp_start };
    for (int i = 0; i < 3; i++) {
        if ((v = net_opts_get(o, addr_keys[i]))) {
            if (!parse_ip(v, addrs[i])) {
                snprintf(err, errlen, "-netdev user: invalid %s '%s'", addr_keys[i], v);
                return NULL;
            }
            if ((ntohl(addrs[i]->s_addr) & mask) != netw) {
                snprintf(err, errlen, "-netdev user: %s '%s' is outside the network",
                         addr_keys[i], v);
                return NULL;
            }
        }
    }
    bool b;
    if ((v = net_opts_get(o, "restrict"))) {
        if (parse_bool(v, &b) < 0) {
            snprintf(err, errlen, "-netdev user: invalid restrict '%s' (on or off)", v);
            return NULL;
        }
        cfg.restricted = b;
    }
    if ((v = net_opts_get(o, "ipv4"))) {
        if (parse_bool(v, &b) < 0) {
            snprintf(err, errlen, "-netdev user: invalid ipv4 '%s' (on or off)", v);
            return NULL;
        }
        cfg.in_enabled = b;
    }
    cfg.in6_enabled = true;
    if ((v = net_opts_get(o, "ipv6"))) {
        if (parse_bool(v, &b) < 0) {
            snprintf(err, errlen, "-netdev user: invalid ipv6 '%s' (on or off)", v);
            return NULL;
        }
        cfg.in6_enabled = b;
    }
    inet_pton(AF_INET6, "fec0::", &cfg.vprefix_addr6);
    cfg.vprefix_len = 64;
    inet_pton(AF_INET6, "fec0::2", &cfg.vhost6);
    inet_pton(AF_INET6, "fec0::3", &cfg.vnameserver6);
    if ((v = net_opts_get(o, "ipv6-net"))) {
        char buf[64];
        snprintf(buf, sizeof(buf), "%s", v);
        char *slash = strchr(buf, '/');
        long len = 64;
        if (slash) {
            *slash = 0;
            len = strtol(slash + 1, NULL, 10);
        }
        if (inet_pton(AF_INET6, buf, &cfg.vprefix_addr6) != 1 || len < 1 || len > 126) {
            snprintf(err, errlen, "-netdev user: invalid ipv6-net '%s'", v);
            return NULL;
        }
        cfg.vprefix_len = (uint8_t)len;
        cfg.vhost6 = cfg.vprefix_addr6;
        cfg.vhost6.s6_addr[15] |= 2;
        cfg.vnameserver6 = cfg.vprefix_addr6;
        cfg.vnameserver6.s6_addr[15] |= 3;
    }
    if ((v = net_opts_get(o, "ipv6-host")) && inet_pton(AF_INET6, v, &cfg.vhost6) != 1) {
        snprintf(err, errlen, "-netdev user: invalid ipv6-host '%s'", v);
        return NULL;
    }
    if ((v = net_opts_get(o, "ipv6-dns")) && inet_pton(AF_INET6, v, &cfg.vnameserver6) != 1) {
        snprintf(err, errlen, "-netdev user: invalid ipv6-dns '%s'", v);
        return NULL;
    }
    if (!cfg.in_enabled && !cfg.in6_enabled) {
        snprintf(err, errlen, "-netdev user: ipv4 and ipv6 cannot both be off");
        return NULL;
    }
    cfg.vhostname = net_opts_get(o, "hostname");
    cfg.vdomainname = net_opts_get(o, "domainname");
    cfg.tftp_path = net_opts_get(o, "tftp");
    cfg.bootfile = net_opts_get(o, "bootfile");
    cfg.tftp_server_name = net_opts_get(o, "tftp-server-name");
    const char *search[9] = { 0 };
    for (int i = 0; i < 8 && (search[i] = net_opts_get_nth(o, "dnssearch", i)); i++) {
    }
    if (search[0]) {
        cfg.vdnssearch = search;
    }

    UserState *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "-netdev user: out of memory");
        return NULL;
    }
    s->el = el;
    s->nc = net_client_new(&user_info, id, s);
    if (!s->nc) {
        snprintf(err, errlen, "-netdev user: duplicate id '%s'", id ? id : "");
        free(s);
        return NULL;
    }
    s->slirp = slirp_new(&cfg, &user_callbacks, s);
    if (!s->slirp) {
        snprintf(err, errlen, "-netdev user: libslirp refused the configuration");
        net_client_free(s->nc);
        return NULL;
    }
    event_loop_add_poll_hook(el, user_prepare, user_dispatch, s);
    for (int i = 0; (v = net_opts_get_nth(o, "hostfwd", i)); i++) {
        if (add_hostfwd(s, v, cfg.vdhcp_start, err, errlen) < 0) {
            net_client_free(s->nc);
            return NULL;
        }
    }
    for (int i = 0; (v = net_opts_get_nth(o, "guestfwd", i)); i++) {
        if (add_guestfwd(s, v, err, errlen) < 0) {
            net_client_free(s->nc);
            return NULL;
        }
    }
    return s->nc;
}
