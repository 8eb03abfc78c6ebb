/*
 * transport.c — monitor sessions on listening sockets and on chardevs
 * (see transport.h). The one thing to know: a session is only freed by
 * its own fd handler (after its input callback returned) or at exit, so a
 * protocol may mark its session dead from anywhere, even from a hart
 * thread that queues an event.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "monitor/transport.h"

struct MonListener {
    int fd;
    const MonProtocol *proto;
    bool pretty;
    char unix_path[108];  /* unlinked at exit */
    MonSession *active;   /* one client at a time */
    MonListener *next;
};

static void listener_watch(MonListener *l, bool on);
static void session_fd_handler(void *opaque, int fd, unsigned revents);

/* ---- parsing ---- */

static int set_bool(const char *key, const char *v, bool *out, char *err, size_t errlen)
{
    if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes")) {
        *out = true;
    } else if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no")) {
        *out = false;
    } else {
        snprintf(err, errlen, "%s=%s: expected on or off", key, v);
        return -1;
    }
    return 0;
}

int mon_socket_parse(const char *spec, MonSocketSpec *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    char buf[512];
    if (strlen(spec) >= sizeof(buf)) {
        snprintf(err, errlen, "socket address too long");
        return -1;
    }
    snprintf(buf, sizeof(buf), "%s", spec);
    char *opts = strchr(buf, ',');
    if (opts) {
        *opts++ = '\0';
    }
    if (!strncmp(buf, "unix:", 5)) {
        out->is_unix = true;
        if (!buf[5] || strlen(buf + 5) >= sizeof(out->path)) {
            snprintf(err, errlen, "unix socket path empty or longer than %zu bytes",
                     sizeof(out->path) - 1);
            return -1;
        }
        snprintf(out->path, sizeof(out->path), "%s", buf + 5);
    } else if (!strncmp(buf, "tcp:", 4)) {
        char *hp = buf + 4, *colon = strrchr(hp, ':');
        if (!colon || !colon[1]) {
            snprintf(err, errlen, "tcp: expected HOST:PORT");
            return -1;
        }
        *colon = '\0';
        if (hp[0] == '[' && hp[strlen(hp) - 1] == ']') { /* [::1] */
            hp[strlen(hp) - 1] = '\0';
            hp++;
        }
        if (strlen(hp) >= sizeof(out->host) || strlen(colon + 1) >= sizeof(out->port)) {
            snprintf(err, errlen, "tcp: host or port too long");
            return -1;
        }
        char *end;
        unsigned long port = strtoul(colon + 1, &end, 10);
        if (*end || port > 65535) {
            snprintf(err, errlen, "tcp: invalid port '%s'", colon + 1);
            return -1;
        }
        snprintf(out->host, sizeof(out->host), "%s", hp);
        snprintf(out->port, sizeof(out->port), "%s", colon + 1);
    } else {
        snprintf(err, errlen, "expected unix:PATH or tcp:HOST:PORT");
        return -1;
    }
    bool server = false, wait = true;
    char *save = NULL;
    for (char *item = opts ? strtok_r(opts, ",", &save) : NULL; item;
         item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!strcmp(item, "server")) {
            server = true;
        } else if (!strcmp(item, "nowait")) {
            wait = false;
        } else if (eq && !strncmp(item, "server=", 7)) {
            if (set_bool("server", eq + 1, &server, err, errlen) < 0) {
                return -1;
            }
        } else if (eq && !strncmp(item, "wait=", 5)) {
            if (set_bool("wait", eq + 1, &wait, err, errlen) < 0) {
                return -1;
            }
        } else if (!strcmp(item, "nodelay") || !strncmp(item, "nodelay=", 8)) {
            /* accepted; monitor traffic is small */
        } else {
            snprintf(err, errlen, "unknown socket option '%s' (server=on, wait=off)", item);
            return -1;
        }
    }
    if (!server) {
        snprintf(err, errlen, "only server sockets are supported: add server=on,wait=off");
        return -1;
    }
    out->wait = wait;
    return 0;
}

/* ---- sessions ---- */

static void session_update_watch(MonSession *s)
{
    if (s->fd < 0 || s->dead) {
        return;
    }
    unsigned ev = POLLIN | (s->out_off < s->outq.len ? POLLOUT : 0);
    event_loop_set_fd(mon_global.el, s->fd, ev, session_fd_handler, s);
}

static void session_flush(MonSession *s)
{
    while (s->out_off < s->outq.len) {
        ssize_t n = send(s->fd, s->outq.data + s->out_off, s->outq.len - s->out_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            s->out_off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
                mon_session_close(s);
            }
            break;
        }
    }
    if (s->out_off == s->outq.len) {
        s->outq.len = 0;
        s->out_off = 0;
    }
}

void mon_session_close(MonSession *s)
{
    if (s->dead) {
        return;
    }
    s->dead = true;
    if (s->fd >= 0) {
        shutdown(s->fd, SHUT_RDWR); /* its handler sees POLLHUP and frees it */
        event_loop_set_fd(mon_global.el, s->fd, POLLIN, session_fd_handler, s);
    }
}

void mon_session_write(MonSession *s, const char *data, size_t len)
{
    if (s->dead || len == 0) {
        return;
    }
    if (s->chr) {
        chardev_write(s->chr, data, len);
        return;
    }
    if (s->outq.len - s->out_off + len > MON_OUTQ_MAX) {
        mon_session_close(s); /* it reads nothing: drop it */
        monbuf_free(&s->outq);
        s->out_off = 0;
        return;
    }
    monbuf_append(&s->outq, data, len);
    session_flush(s);
    session_update_watch(s);
}

void mon_session_write_crlf(MonSession *s, const char *data, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r')) {
            mon_session_write(s, data + start, i - start);
            mon_session_write(s, "\r\n", 2);
            start = i + 1;
        }
    }
    mon_session_write(s, data + start, len - start);
}

static MonSession *session_new(const MonProtocol *proto, bool pretty)
{
    MonSession *s = calloc(1, sizeof(*s));
    if (!s) {
        return NULL;
    }
    s->proto = proto;
    s->pretty = pretty;
    s->fd = -1;
    s->next = mon_global.sessions;
    mon_global.sessions = s;
    return s;
}

static void session_destroy(MonSession *s)
{
    for (MonSession **p = &mon_global.sessions; *p; p = &(*p)->next) {
        if (*p == s) {
            *p = s->next;
            break;
        }
    }
    s->proto->close(s);
    if (s->fd >= 0) {
        event_loop_remove_fd(mon_global.el, s->fd);
        close(s->fd);
    }
    if (s->listener) {
        s->listener->active = NULL;
        listener_watch(s->listener, true); /* the next client may come */
    }
    monbuf_free(&s->outq);
    free(s);
}

static void session_fd_handler(void *opaque, int fd, unsigned revents)
{
    MonSession *s = opaque;
    if (!s->dead && (revents & POLLOUT)) {
        session_flush(s);
    }
    if (!s->dead && (revents & (POLLIN | POLLHUP | POLLERR))) {
        uint8_t buf[4096];
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0) {
            s->proto->input(s, buf, (size_t)n);
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            s->dead = true;
        }
    }
    if (s->dead) {
        session_destroy(s);
    } else {
        unsigned ev = POLLIN | (s->out_off < s->outq.len ? POLLOUT : 0);
        event_loop_set_fd(mon_global.el, fd, ev, session_fd_handler, s);
    }
}

/* ---- listeners ---- */

static void start_socket_session(MonListener *l, int c)
{
    int fl = fcntl(c, F_GETFL);
    fcntl(c, F_SETFL, fl | O_NONBLOCK);
    fcntl(c, F_SETFD, FD_CLOEXEC);
    MonSession *s = session_new(l->proto, l->pretty);
    if (!s) {
        close(c);
        return;
    }
    s->fd = c;
    s->listener = l;
    l->active = s;
    listener_watch(l, false);
    event_loop_set_fd(mon_global.el, c, POLLIN, session_fd_handler, s);
    s->proto->open(s);
}

static void listener_accept(void *opaque, int fd, unsigned revents)
{
    MonListener *l = opaque;
    if (l->active) {
        listener_watch(l, false);
        return;
    }
    int c = accept(fd, NULL, NULL);
    if (c >= 0) {
        start_socket_session(l, c);
    }
}

static void listener_watch(MonListener *l, bool on)
{
    event_loop_set_fd(mon_global.el, l->fd, on ? POLLIN : 0, listener_accept, l);
}

int mon_listen(const char *spec, const MonProtocol *proto, bool pretty, char *err,
               size_t errlen)
{
    MonSocketSpec ss;
    if (mon_socket_parse(spec, &ss, err, errlen) < 0) {
        return -1;
    }
    int fd = -1;
    if (ss.is_unix) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ss.path);
        struct stat st;
        if (lstat(ss.path, &st) == 0 && S_ISSOCK(st.st_mode)) {
            unlink(ss.path); /* a stale socket of an earlier run */
        }
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
            snprintf(err, errlen, "%s: %s", spec, strerror(errno));
            if (fd >= 0) {
                close(fd);
            }
            return -1;
        }
    } else {
        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                                  .ai_flags = AI_PASSIVE }, *res, *ai;
        int r = getaddrinfo(ss.host[0] ? ss.host : NULL, ss.port, &hints, &res);
        if (r) {
            snprintf(err, errlen, "%s: %s", spec, gai_strerror(r));
            return -1;
        }
        int e = 0;
        for (ai = res; ai; ai = ai->ai_next) {
            fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
            if (fd < 0) {
                e = errno;
                continue;
            }
            int one = 1;
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
            if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 4) == 0) {
                break;
            }
            e = errno;
            close(fd);
            fd = -1;
        }
        freeaddrinfo(res);
        if (fd < 0) {
            snprintf(err, errlen, "%s: %s", spec, strerror(e));
            return -1;
        }
    }
    MonListener *l = calloc(1, sizeof(*l));
    if (!l) {
        close(fd);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    l->fd = fd;
    l->proto = proto;
    l->pretty = pretty;
    if (ss.is_unix) {
        snprintf(l->unix_path, sizeof(l->unix_path), "%s", ss.path);
    }
    l->next = mon_global.listeners;
    mon_global.listeners = l;
    if (ss.wait) {
        fprintf(stderr, "mimic-system-riscv64: waiting for a connection on %s\n", spec);
        int c;
        do {
            c = accept(fd, NULL, NULL);
        } while (c < 0 && errno == EINTR);
        if (c < 0) {
            snprintf(err, errlen, "%s: accept: %s", spec, strerror(errno));
            return -1;
        }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        start_socket_session(l, c);
        return 0;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    listener_watch(l, true);
    return 0;
}

/* ---- chardev sessions ---- */

static size_t chr_can_receive(void *opaque)
{
    return 4096;
}

static size_t chr_receive(void *opaque, const uint8_t *buf, size_t len)
{
    MonSession *s = opaque;
    if (!s->dead) {
        s->proto->input(s, buf, len);
    }
    return len;
}

static void chr_focus(void *opaque, bool focused)
{
    MonSession *s = opaque;
    s->focused = focused;
    if (focused) {
        s->proto->open(s); /* HMP: the banner the first time, then a prompt */
    }
}

static const ChardevFrontend mon_chr_frontend = {
    .can_receive = chr_can_receive,
    .receive = chr_receive,
    .focus = chr_focus,
};

int mon_attach_chardev(Chardev *chr, const MonProtocol *proto, bool pretty, bool as_mux_monitor,
                       char *err, size_t errlen)
{
    MonSession *s = session_new(proto, pretty);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->chr = chr;
    if (!as_mux_monitor && chardev_is_mux(chr)) {
        /* -chardev ...,mux=on shared with the serial port (-mon chardev=ID):
         * the monitor is its Ctrl-a c side, and the machine owns it. */
        as_mux_monitor = true;
    }
    s->chr_is_mux_monitor = as_mux_monitor;
    int r = as_mux_monitor ? chardev_attach_monitor(chr, &mon_chr_frontend, s)
                           : chardev_attach(chr, mon_global.el, &mon_chr_frontend, s);
    if (r < 0) {
        snprintf(err, errlen, "the character device '%s' is already in use",
                 chardev_label(chr));
        return -1;
    }
    if (!as_mux_monitor) {
        s->proto->open(s);
    }
    return 0;
}

/* ---- exit ---- */

void mon_transport_finish(void)
{
    /* The event loop has stopped: write what is queued, waiting at most a
     * second in all for slow readers. */
    int64_t deadline = event_clock_ns() + 1000000000;
    for (MonSession *s = mon_global.sessions; s; s = s->next) {
        while (s->fd >= 0 && !s->dead && s->out_off < s->outq.len) {
            int64_t left = deadline - event_clock_ns();
            struct pollfd p = { .fd = s->fd, .events = POLLOUT };
            if (left <= 0 || poll(&p, 1, (int)(left / 1000000) + 1) <= 0) {
                break;
            }
            session_flush(s);
        }
    }
    while (mon_global.sessions) {
        MonSession *s = mon_global.sessions;
        mon_global.sessions = s->next;
        s->proto->close(s);
        if (s->fd >= 0) {
            close(s->fd);
        }
        if (s->chr && !s->chr_is_mux_monitor) {
            chardev_free(s->chr);
        }
        monbuf_free(&s->outq);
        free(s);
    }
    while (mon_global.listeners) {
        MonListener *l = mon_global.listeners;
        mon_global.listeners = l->next;
        close(l->fd);
        if (l->unix_path[0]) {
            unlink(l->unix_path);
        }
        free(l);
    }
}
