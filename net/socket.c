/*
 * socket.c — the "socket" backend: a point-to-point TCP link (listen= /
 * connect=) carrying each frame behind a 4-byte big-endian length, as
 * QEMU's does (so mimic and qemu-system can be linked), or UDP datagrams,
 * one frame each (mcast=group:port, or udp=host:port with localaddr=).
 *
 * The one thing to know: a stream is parsed incrementally (a frame may
 * arrive in pieces); a length above NET_MAX_FRAME means the peer is not
 * speaking this protocol, and the connection is closed rather than
 * guessed at. Writes that the kernel does not take at once wait in an
 * output buffer; while it is over SOCK_OUT_HIGH the backend refuses frames
 * (they wait in its queue, nothing is lost), and while the receiving peer's
 * queue is full the backend stops reading its socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mimic/net.h"

#define SOCK_OUT_HIGH (1u << 20)

typedef struct SocketState {
    NetClient *nc;
    EventLoop *el;
    bool stream;
    int listen_fd;
    int fd;
    bool paused;                /* the peer's queue is full: not reading */
    /* stream receive state */
    uint8_t hdr[4];
    unsigned hdr_got;
    uint32_t frame_len, frame_got;
    /* stream output buffer */
    uint8_t *out;
    size_t out_start, out_end, out_cap;
    /* datagrams */
    struct sockaddr_in dest;
    uint8_t buf[NET_MAX_FRAME];
    uint8_t frame[NET_MAX_FRAME];
} SocketState;

static void socket_update_watch(SocketState *s);

static void socket_disconnect(SocketState *s)
{
    if (s->fd >= 0) {
        event_loop_remove_fd(s->el, s->fd);
        close(s->fd);
        s->fd = -1;
    }
    s->hdr_got = 0;
    s->frame_len = s->frame_got = 0;
    s->out_start = s->out_end = 0;
    socket_update_watch(s);
}

static void socket_flush_out(SocketState *s)
{
    while (s->fd >= 0 && s->out_start < s->out_end) {
        ssize_t r = send(s->fd, s->out + s->out_start, s->out_end - s->out_start, MSG_NOSIGNAL);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        }
        if (r <= 0) {
            socket_disconnect(s);
            return;
        }
        s->out_start += (size_t)r;
    }
    if (s->out_start == s->out_end) {
        s->out_start = s->out_end = 0;
    }
}

/* A complete frame arrived from the wire. */
static void socket_deliver(SocketState *s, const uint8_t *frame, size_t len)
{
    if (net_send_buf(s->nc, frame, len) == 0) {
        s->paused = true;
    }
}

static void socket_stream_input(SocketState *s, const uint8_t *p, size_t n)
{
    while (n > 0) {
        if (s->hdr_got < 4) {
            s->hdr[s->hdr_got++] = *p++;
            n--;
            if (s->hdr_got == 4) {
                s->frame_len = (uint32_t)s->hdr[0] << 24 | (uint32_t)s->hdr[1] << 16 |
                               (uint32_t)s->hdr[2] << 8 | s->hdr[3];
                s->frame_got = 0;
                if (s->frame_len > NET_MAX_FRAME) {
                    s->nc->stats.malformed++;
                    fprintf(stderr, "mimic: netdev %s: frame length %u from the socket peer; "
                            "closing the link\n", s->nc->name ? s->nc->name : "socket",
                            s->frame_len);
                    socket_disconnect(s);
                    return;
                }
            }
        } else {
            size_t take = s->frame_len - s->frame_got;
            if (take > n) {
                take = n;
            }
            memcpy(s->frame + s->frame_got, p, take);
            s->frame_got += (uint32_t)take;
            p += take;
            n -= take;
        }
        if (s->hdr_got == 4 && s->frame_got == s->frame_len) {
            if (s->frame_len == 0) {
                s->nc->stats.malformed++;
            } else {
                socket_deliver(s, s->frame, s->frame_len);
            }
            s->hdr_got = 0;
        }
    }
}

static void socket_fd_event(void *opaque, int fd, unsigned revents)
{
    SocketState *s = opaque;
    if (revents & POLLOUT) {
        socket_flush_out(s);
        if (s->fd < 0) {
            return;
        }
        if (s->out_end - s->out_start < SOCK_OUT_HIGH) {
            net_flush_queue(s->nc);
        }
    }
    if ((revents & (POLLIN | POLLHUP | POLLERR)) && !s->paused && s->fd >= 0) {
        if (s->stream) {
            ssize_t r = recv(s->fd, s->buf, sizeof(s->buf), 0);
            if (r > 0) {
                socket_stream_input(s, s->buf, (size_t)r);
            } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
                socket_disconnect(s);
                return;
            }
        } else {
            ssize_t r = recv(s->fd, s->buf, sizeof(s->buf), 0);
            if (r > 0) {
                socket_deliver(s, s->buf, (size_t)r);
            }
        }
    }
    socket_update_watch(s);
}

static void socket_accept(void *opaque, int fd, unsigned revents)
{
    SocketState *s = opaque;
    int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0) {
        return;
    }
    if (s->fd >= 0) { /* one link at a time */
        close(c);
        return;
    }
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    s->fd = c;
    socket_update_watch(s);
}

static void socket_update_watch(SocketState *s)
{
    if (s->listen_fd >= 0) {
        event_loop_set_fd(s->el, s->listen_fd, s->fd >= 0 ? 0 : POLLIN, socket_accept, s);
    }
    if (s->fd >= 0) {
        unsigned ev = s->paused ? 0 : POLLIN;
        if (s->out_start < s->out_end) {
            ev |= POLLOUT;
        }
        event_loop_set_fd(s->el, s->fd, ev, socket_fd_event, s);
    }
}

static bool socket_can_receive(NetClient *nc)
{
    SocketState *s = nc->opaque;
    return !s->stream || s->fd < 0 || s->out_end - s->out_start < SOCK_OUT_HIGH;
}

static bool out_reserve(SocketState *s, size_t more)
{
    if (s->out_start > 0 && s->out_cap - s->out_end < more) {
        memmove(s->out, s->out + s->out_start, s->out_end - s->out_start);
        s->out_end -= s->out_start;
        s->out_start = 0;
    }
    if (s->out_cap - s->out_end >= more) {
        return true;
    }
    size_t cap = s->out_cap ? s->out_cap : 65536;
    while (cap - s->out_end < more) {
        cap *= 2;
    }
    uint8_t *n = realloc(s->out, cap);
    if (!n) {
        return false;
    }
    s->out = n;
    s->out_cap = cap;
    return true;
}

static ssize_t socket_receive(NetClient *nc, const struct iovec *iov, int iovcnt)
{
    SocketState *s = nc->opaque;
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++) {
        len += iov[i].iov_len;
    }
    if (len > NET_MAX_FRAME) {
        nc->stats.malformed++;
        return (ssize_t)len;
    }
    if (!s->stream) {
        struct msghdr m = { .msg_name = &s->dest, .msg_namelen = sizeof(s->dest),
                            .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };
        if (sendmsg(s->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
            nc->stats.dropped++;
        }
        return (ssize_t)(len ? len : 1);
    }
    if (s->fd < 0) {
        nc->stats.dropped++; /* no link: the frame goes nowhere, like a cable unplugged */
        return (ssize_t)(len ? len : 1);
    }
    if (!out_reserve(s, len + 4)) {
        nc->stats.dropped++;
        return (ssize_t)(len ? len : 1);
    }
    uint8_t *p = s->out + s->out_end;
    p[0] = (uint8_t)(len >> 24);
    p[1] = (uint8_t)(len >> 16);
    p[2] = (uint8_t)(len >> 8);
    p[3] = (uint8_t)len;
    p += 4;
    for (int i = 0; i < iovcnt; i++) {
        memcpy(p, iov[i].iov_base, iov[i].iov_len);
        p += iov[i].iov_len;
    }
    s->out_end += len + 4;
    socket_flush_out(s);
    socket_update_watch(s);
    return (ssize_t)(len ? len : 1);
}

static void socket_drained(NetClient *nc)
{
    SocketState *s = nc->opaque;
    s->paused = false;
    socket_update_watch(s);
}

static void socket_cleanup(NetClient *nc)
{
    SocketState *s = nc->opaque;
    if (s->fd >= 0) {
        event_loop_remove_fd(s->el, s->fd);
        close(s->fd);
    }
    if (s->listen_fd >= 0) {
        event_loop_remove_fd(s->el, s->listen_fd);
        close(s->listen_fd);
    }
    free(s->out);
    free(s);
}

static const NetClientInfo socket_info = {
    .type = "socket",
    .can_receive = socket_can_receive,
    .receive = socket_receive,
    .drained = socket_drained,
    .cleanup = socket_cleanup,
};

/* "host:port" (host may be empty: any / loopback) → IPv4 address. */
static int parse_hostport(const char *v, bool any, struct sockaddr_in *sa)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", v);
    char *colon = strrchr(buf, ':');
    if (!colon) {
        return -1;
    }
    *colon = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || port < 0 || port > 65535) {
        return -1;
    }
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (!buf[0]) {
        sa->sin_addr.s_addr = htonl(any ? INADDR_ANY : INADDR_LOOPBACK);
        return 0;
    }
    if (inet_pton(AF_INET, buf, &sa->sin_addr) == 1) {
        return 0;
    }
    struct addrinfo hints = { .ai_family = AF_INET }, *ai;
    if (getaddrinfo(buf, NULL, &hints, &ai)) {
        return -1;
    }
    sa->sin_addr = ((struct sockaddr_in *)ai->ai_addr)->sin_addr;
    freeaddrinfo(ai);
    return 0;
}

int net_socket_local_port(NetClient *nc)
{
    SocketState *s = nc->opaque;
    int fd = s->listen_fd >= 0 ? s->listen_fd : s->fd;
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    if (fd < 0 || getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        return -1;
    }
    return ntohs(sa.sin_port);
}

static int dgram_socket(SocketState *s, const char *mcast, const char *udp, const char *local,
                        char *err, size_t errlen)
{
    struct sockaddr_in bind_addr, local_addr;
    bool have_local = false;
    if (mcast) {
        if (parse_hostport(mcast, false, &s->dest) < 0 ||
            !IN_MULTICAST(ntohl(s->dest.sin_addr.s_addr))) {
            snprintf(err, errlen, "-netdev socket: invalid mcast '%s' (a multicast group:port)",
                     mcast);
            return -1;
        }
        bind_addr = s->dest;
        if (local) {
            if (inet_pton(AF_INET, local, &local_addr.sin_addr) != 1) {
                snprintf(err, errlen, "-netdev socket: invalid localaddr '%s'", local);
                return -1;
            }
            have_local = true;
        }
    } else {
        if (parse_hostport(udp, false, &s->dest) < 0) {
            snprintf(err, errlen, "-netdev socket: invalid udp '%s' (host:port)", udp);
            return -1;
        }
        if (!local || parse_hostport(local, true, &bind_addr) < 0) {
            snprintf(err, errlen, "-netdev socket: udp= needs localaddr=host:port");
            return -1;
        }
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "-netdev socket: socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&bind_addr, sizeof(bind_addr)) < 0) {
        snprintf(err, errlen, "-netdev socket: cannot bind: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (mcast) {
        struct ip_mreq mreq = { .imr_multiaddr = s->dest.sin_addr };
        mreq.imr_interface.s_addr = have_local ? local_addr.sin_addr.s_addr : htonl(INADDR_ANY);
        unsigned char loop = 1, ttl = 1;
        if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) < 0 ||
            setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop)) < 0 ||
            setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) < 0 ||
            (have_local && setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &local_addr.sin_addr,
                                      sizeof(local_addr.sin_addr)) < 0)) {
            snprintf(err, errlen, "-netdev socket: cannot join multicast group '%s': %s", mcast,
                     strerror(errno));
            close(fd);
            return -1;
        }
    }
    return fd;
}

NetClient *net_socket_create(EventLoop *el, const char *id, const NetOpts *o, char *err,
                             size_t errlen)
{
    const char *listen_s = net_opts_get(o, "listen"), *connect_s = net_opts_get(o, "connect");
    const char *mcast = net_opts_get(o, "mcast"), *udp = net_opts_get(o, "udp");
    const char *local = net_opts_get(o, "localaddr"), *fd_s = net_opts_get(o, "fd");
    int modes = !!listen_s + !!connect_s + !!mcast + !!udp + !!fd_s;
    if (modes != 1) {
        snprintf(err, errlen,
                 "-netdev socket: exactly one of listen=, connect=, mcast=, udp= or fd= is "
                 "needed");
        return NULL;
    }
    if (local && (listen_s || connect_s || fd_s)) {
        snprintf(err, errlen, "-netdev socket: localaddr= goes with mcast= or udp= only");
        return NULL;
    }
    SocketState *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "-netdev socket: out of memory");
        return NULL;
    }
    s->el = el;
    s->fd = s->listen_fd = -1;
    s->stream = listen_s || connect_s || fd_s;
    struct sockaddr_in sa;
    if (listen_s || connect_s) {
        const char *v = listen_s ? listen_s : connect_s;
        if (parse_hostport(v, listen_s != NULL, &sa) < 0) {
            snprintf(err, errlen, "-netdev socket: invalid %s '%s' (host:port)",
                     listen_s ? "listen" : "connect", v);
            goto fail;
        }
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            snprintf(err, errlen, "-netdev socket: socket: %s", strerror(errno));
            goto fail;
        }
        int one = 1;
        if (listen_s) {
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
            if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
                snprintf(err, errlen, "-netdev socket: cannot listen on '%s': %s", v,
                         strerror(errno));
                close(fd);
                goto fail;
            }
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
            s->listen_fd = fd;
        } else {
            if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                snprintf(err, errlen, "-netdev socket: cannot connect to '%s': %s", v,
                         strerror(errno));
                close(fd);
                goto fail;
            }
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
            s->fd = fd;
        }
    } else if (fd_s) {
        char *end;
        long fd = strtol(fd_s, &end, 10);
        int type = 0;
        socklen_t tl = sizeof(type);
        if (!*fd_s || *end || fd < 0 || fd > 0x7fffffff ||
            getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0) {
            snprintf(err, errlen, "-netdev socket: fd '%s' is not an open socket", fd_s);
            goto fail;
        }
        s->stream = type == SOCK_STREAM;
        if (!s->stream) {
            socklen_t dl = sizeof(s->dest);
            if (getpeername((int)fd, (struct sockaddr *)&s->dest, &dl) < 0) {
                snprintf(err, errlen, "-netdev socket: fd %s: a datagram socket must be "
                         "connected", fd_s);
                goto fail;
            }
        }
        fcntl((int)fd, F_SETFL, fcntl((int)fd, F_GETFL) | O_NONBLOCK);
        s->fd = (int)fd;
    } else {
        s->fd = dgram_socket(s, mcast, udp, local, err, errlen);
        if (s->fd < 0) {
            goto fail;
        }
    }
    s->nc = net_client_new(&socket_info, id, s);
    if (!s->nc) {
        snprintf(err, errlen, "-netdev socket: duplicate id '%s'", id ? id : "");
        if (s->fd >= 0) {
            close(s->fd);
        }
        if (s->listen_fd >= 0) {
            close(s->listen_fd);
        }
        goto fail;
    }
    socket_update_watch(s);
    return s->nc;
fail:
    free(s);
    return NULL;
}
