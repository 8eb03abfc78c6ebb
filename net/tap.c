/*
 * tap.c — the "tap" backend: frames to and from a Linux TAP interface
 * (/dev/net/tun with IFF_TAP | IFF_NO_PI), opened by name (ifname=) or
 * inherited (fd=), optionally set up by a script (script=/downscript=).
 *
 * The one thing to know: the tap fd is non-blocking; a frame the kernel
 * does not take at once stays in this client's queue (receive() returns 0)
 * until the fd is writable, and reading stops while the peer's queue is
 * full, so no frame is dropped by mimic under load.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mimic/net.h"

typedef struct TapState {
    NetClient *nc;
    EventLoop *el;
    int fd;
    bool paused, want_write;
    char ifname[IFNAMSIZ];
    char downscript[256];
    uint8_t buf[NET_MAX_FRAME];
} TapState;

static void tap_update_watch(TapState *s);

static void tap_event(void *opaque, int fd, unsigned revents)
{
    TapState *s = opaque;
    if (revents & POLLOUT) {
        s->want_write = false;
        net_flush_queue(s->nc);
    }
    if ((revents & POLLIN) && !s->paused) {
        for (int i = 0; i < 64 && !s->paused; i++) {
            ssize_t r = read(s->fd, s->buf, sizeof(s->buf));
            if (r <= 0) {
                break;
            }
            if (net_send_buf(s->nc, s->buf, (size_t)r) == 0) {
                s->paused = true;
            }
        }
    }
    tap_update_watch(s);
}

static void tap_update_watch(TapState *s)
{
    unsigned ev = (s->paused ? 0 : POLLIN) | (s->want_write ? POLLOUT : 0);
    event_loop_set_fd(s->el, s->fd, ev, tap_event, s);
}

static bool tap_can_receive(NetClient *nc)
{
    TapState *s = nc->opaque;
    return !s->want_write;
}

static ssize_t tap_receive(NetClient *nc, const struct iovec *iov, int iovcnt)
{
    TapState *s = nc->opaque;
    ssize_t r;
    do {
        r = writev(s->fd, iov, iovcnt);
    } while (r < 0 && errno == EINTR);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        s->want_write = true;
        tap_update_watch(s);
        return 0;
    }
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++) {
        len += iov[i].iov_len;
    }
    if (r < 0) {
        nc->stats.dropped++;
    }
    return (ssize_t)(len ? len : 1);
}

static void tap_drained(NetClient *nc)
{
    TapState *s = nc->opaque;
    s->paused = false;
    tap_update_watch(s);
}

static int run_script(const char *script, const char *ifname, char *err, size_t errlen)
{
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "-netdev tap: fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        execl(script, script, ifname, (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "-netdev tap: script '%s' %s failed", script, ifname);
        return -1;
    }
    return 0;
}

static void tap_cleanup(NetClient *nc)
{
    TapState *s = nc->opaque;
    event_loop_remove_fd(s->el, s->fd);
    if (s->downscript[0]) {
        char err[256];
        if (run_script(s->downscript, s->ifname, err, sizeof(err)) < 0) {
            fprintf(stderr, "mimic: %s\n", err);
        }
    }
    close(s->fd);
    free(s);
}

static const NetClientInfo tap_info = {
    .type = "tap",
    .can_receive = tap_can_receive,
    .receive = tap_receive,
    .drained = tap_drained,
    .cleanup = tap_cleanup,
};

static bool no_script(const char *v)
{
    return !v || !*v || !strcmp(v, "no");
}

NetClient *net_tap_create(EventLoop *el, const char *id, const NetOpts *o, char *err,
                          size_t errlen)
{
    const char *ifname = net_opts_get(o, "ifname"), *fd_s = net_opts_get(o, "fd");
    const char *script = net_opts_get(o, "script"), *down = net_opts_get(o, "downscript");
    const char *vhost = net_opts_get(o, "vhost");
    if (vhost && strcmp(vhost, "off") != 0) {
        snprintf(err, errlen, "-netdev tap: vhost=%s is not supported (vhost=off)", vhost);
        return NULL;
    }
    if (net_opts_get(o, "br") || net_opts_get(o, "helper")) {
        snprintf(err, errlen, "-netdev tap: br= and helper= are not supported; use ifname= "
                 "and script=");
        return NULL;
    }
    if (fd_s && (ifname || !no_script(script) || !no_script(down))) {
        snprintf(err, errlen, "-netdev tap: fd= cannot go with ifname=, script= or downscript=");
        return NULL;
    }
    if (ifname && strlen(ifname) >= IFNAMSIZ) {
        snprintf(err, errlen, "-netdev tap: ifname '%s' is too long", ifname);
        return NULL;
    }
    TapState *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "-netdev tap: out of memory");
        return NULL;
    }
    s->el = el;
    if (fd_s) {
        char *end;
        long fd = strtol(fd_s, &end, 10);
        if (!*fd_s || *end || fd < 0 || fd > 0x7fffffff || fcntl((int)fd, F_GETFL) < 0) {
            snprintf(err, errlen, "-netdev tap: fd '%s' is not an open file descriptor", fd_s);
            free(s);
            return NULL;
        }
        s->fd = (int)fd;
    } else {
        s->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        if (s->fd < 0) {
            snprintf(err, errlen, "-netdev tap: cannot open /dev/net/tun: %s", strerror(errno));
            free(s);
            return NULL;
        }
        struct ifreq ifr = { 0 };
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
        if (ifname) {
            snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
        }
        if (ioctl(s->fd, TUNSETIFF, &ifr) < 0) {
            snprintf(err, errlen, "-netdev tap: could not configure %s: %s",
                     ifname ? ifname : "a tap device", strerror(errno));
            close(s->fd);
            free(s);
            return NULL;
        }
        snprintf(s->ifname, sizeof(s->ifname), "%s", ifr.ifr_name);
        if (!no_script(script) && run_script(script, s->ifname, err, errlen) < 0) {
            close(s->fd);
            free(s);
            return NULL;
        }
        if (!no_script(down)) {
            snprintf(s->downscript, sizeof(s->downscript), "%s", down);
        }
    }
    fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK);
    s->nc = net_client_new(&tap_info, id, s);
    if (!s->nc) {
        snprintf(err, errlen, "-netdev tap: duplicate id '%s'", id ? id : "");
        close(s->fd);
        free(s);
        return NULL;
    }
    tap_update_watch(s);
    return s->nc;
}
