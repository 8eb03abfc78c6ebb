/*
 * chardev.c — character device core: parsing -serial/-chardev specs,
 * the null and file backends, attaching frontends, output, and the input
 * path (read in the event loop, queued, delivered under flow control).
 *
 * The one thing to know: the input fd is watched only while every
 * frontend queue has room, so a frontend that stops taking bytes stops the
 * reads too (the rest waits in the kernel); chardev_accept_input() arms a
 * zero-delay timer so delivery resumes in the loop thread, never inside
 * the frontend's own call.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "chardev/chardev-internal.h"

static bool stdio_in_use; /* fds 0 and 1 belong to one chardev at most */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static Chardev *chardev_alloc(ChardevKind kind, bool mux)
{
    Chardev *chr = calloc(1, sizeof(*chr));
    if (!chr) {
        return NULL;
    }
    chr->kind = kind;
    chr->in_fd = chr->out_fd = chr->pty_slave = -1;
    chr->write_timeout_ms = -1;
    chr->mux = mux;
    snprintf(chr->label, sizeof(chr->label), "serial0");
    return chr;
}

Chardev *chardev_new_stdio(int in_fd, int out_fd, bool mux, bool signals, char *err,
                           size_t errlen)
{
    Chardev *chr = chardev_alloc(CHARDEV_KIND_STDIO, mux);
    if (!chr) {
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    chr->in_fd = in_fd;
    chr->out_fd = out_fd;
    if (in_fd >= 0 && isatty(in_fd)) {
        if (chardev_claim_terminal(in_fd, signals, err, errlen) < 0) {
            free(chr);
            return NULL;
        }
        chr->owns_terminal = true;
    }
    return chr;
}

static Chardev *chardev_new_file(const char *path, bool mux, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        set_err(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    Chardev *chr = chardev_alloc(CHARDEV_KIND_FILE, mux);
    if (!chr) {
        close(fd);
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    chr->out_fd = fd;
    chr->close_out = true;
    return chr;
}

/* One backend by name, with the options of the -chardev form. */
static Chardev *chardev_create(const char *spec, const char *backend, const char *path,
                               bool mux, bool signals, char *err, size_t errlen)
{
    Chardev *chr = NULL;
    if (!strcmp(backend, "null")) {
        chr = chardev_alloc(CHARDEV_KIND_NULL, mux);
    } else if (!strcmp(backend, "stdio")) {
        if (stdio_in_use) {
            set_err(err, errlen, "'%s': stdio is already used by another character device",
                    spec);
            return NULL;
        }
        chr = chardev_new_stdio(0, 1, mux, signals, err, errlen);
        if (chr) {
            chr->owns_stdio = true;
            stdio_in_use = true;
        }
        return chr;
    } else if (!strcmp(backend, "pty")) {
        chr = chardev_alloc(CHARDEV_KIND_PTY, mux);
        if (chr && chardev_open_pty(chr, err, errlen) < 0) {
            free(chr);
            return NULL;
        }
        return chr;
    } else if (!strcmp(backend, "file")) {
        if (!path || !*path) {
            set_err(err, errlen, "'%s': the file backend needs a file name", spec);
            return NULL;
        }
        return chardev_new_file(path, mux, err, errlen);
    } else {
        set_err(err, errlen, "unknown character device '%s'", spec);
        return NULL;
    }
    if (!chr) {
        set_err(err, errlen, "out of memory");
    }
    return chr;
}

static int parse_on_off(const char *spec, const char *key, const char *v, bool *out, char *err,
                        size_t errlen)
{
    if (!strcmp(v, "on")) {
        *out = true;
    } else if (!strcmp(v, "off")) {
        *out = false;
    } else {
        set_err(err, errlen, "'%s': %s must be on or off, not '%s'", spec, key, v);
        return -1;
    }
    return 0;
}

Chardev *chardev_parse(const char *spec, char *err, size_t errlen)
{
    if (!spec) {
        spec = "";
    }
    const char *rest = spec;
    bool mux = false;
    if (!strncmp(rest, "mon:", 4)) {
        mux = true;
        rest += 4;
    }
    if (!strncmp(rest, "file:", 5)) {
        /* -serial file:PATH: the whole rest is the path, commas included. */
        return chardev_create(spec, "file", rest + 5, mux, true, err, errlen);
    }
    /* BACKEND[,key=value...] */
    char *copy = strdup(rest);
    if (!copy) {
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    char *save = NULL;
    char *backend = strtok_r(copy, ",", &save);
    const char *id = NULL, *path = NULL;
    bool signals = !mux;
    Chardev *chr = NULL;
    if (!backend || strchr(backend, '=')) {
        set_err(err, errlen, "unknown character device '%s'", spec);
        goto out;
    }
    for (char *opt; (opt = strtok_r(NULL, ",", &save));) {
        char *eq = strchr(opt, '=');
        if (!eq) {
            set_err(err, errlen, "'%s': option '%s' needs a value", spec, opt);
            goto out;
        }
        *eq = 0;
        const char *v = eq + 1;
        if (!strcmp(opt, "id")) {
            id = v;
        } else if (!strcmp(opt, "path")) {
            path = v;
        } else if (!strcmp(opt, "mux")) {
            if (parse_on_off(spec, opt, v, &mux, err, errlen) < 0) {
                goto out;
            }
        } else if (!strcmp(opt, "signal")) {
            if (parse_on_off(spec, opt, v, &signals, err, errlen) < 0) {
                goto out;
            }
        } else {
            set_err(err, errlen, "'%s': unknown option '%s'", spec, opt);
            goto out;
        }
    }
    if (path && strcmp(backend, "file")) {
        set_err(err, errlen, "'%s': path= is for the file backend", spec);
        goto out;
    }
    if (id && !*id) {
        set_err(err, errlen, "'%s': id= is empty", spec);
        goto out;
    }
    chr = chardev_create(spec, backend, path, mux, signals, err, errlen);
    if (chr && id) {
        chardev_set_label(chr, id);
    }
out:
    free(copy);
    return chr;
}

void chardev_detach(Chardev *chr)
{
    if (!chr || !chr->el) {
        return;
    }
    if (chr->watching) {
        event_loop_remove_fd(chr->el, chr->in_fd);
    }
    event_timer_free(chr->kick);
    chr->kick = NULL;
    chr->el = NULL;
    chr->watching = false;
    memset(chr->fe, 0, sizeof(chr->fe));
    chr->focus = 0;
    chr->got_escape = false;
}

void chardev_free(Chardev *chr)
{
    if (!chr) {
        return;
    }
    chardev_detach(chr);
    if (chr->owns_terminal) {
        chardev_release_terminal();
    }
    if (chr->owns_stdio) {
        stdio_in_use = false;
    }
    if (chr->close_in && chr->in_fd >= 0) {
        close(chr->in_fd);
    }
    if (chr->close_out && chr->out_fd >= 0 && chr->out_fd != chr->in_fd) {
        close(chr->out_fd);
    }
    if (chr->pty_slave >= 0) {
        close(chr->pty_slave);
    }
    free(chr);
}

void chardev_set_label(Chardev *chr, const char *label)
{
    snprintf(chr->label, sizeof(chr->label), "%s", label);
}

const char *chardev_label(const Chardev *chr)
{
    return chr->label;
}

const char *chardev_pty_name(const Chardev *chr)
{
    return chr->kind == CHARDEV_KIND_PTY ? chr->pty_name : NULL;
}

bool chardev_is_mux(const Chardev *chr)
{
    return chr->mux;
}

int chardev_get_winsize(const Chardev *chr, uint16_t *cols, uint16_t *rows)
{
    struct winsize ws;
    int fd = chr->kind == CHARDEV_KIND_STDIO ? chr->out_fd : -1;
    if (fd < 0 || ioctl(fd, TIOCGWINSZ, &ws) < 0) {
        return -ENOTTY;
    }
    *cols = ws.ws_col;
    *rows = ws.ws_row;
    return 0;
}

/* ---- input ---------------------------------------------------------------- */

/* Bytes that can be read now without overflowing any frontend queue. */
static size_t input_room(const Chardev *chr)
{
    size_t room = 0;
    bool any = false;
    for (int i = 0; i < 2; i++) {
        if (chr->fe[i].ops) {
            size_t r = CHARDEV_QUEUE_SIZE - chr->fe[i].q.count;
            room = any && room < r ? room : r;
            any = true;
        }
    }
    return room;
}

static void chardev_fd_ready(void *opaque, int fd, unsigned revents);

/* Watches the input fd exactly while there is room to read into (no watch
 * at all otherwise, so a hangup cannot make the loop spin). */
static void update_watch(Chardev *chr)
{
    if (!chr->el || chr->in_fd < 0) {
        return;
    }
    bool want = !chr->in_eof && input_room(chr) > 0;
    if (want && !chr->watching) {
        event_loop_set_fd(chr->el, chr->in_fd, POLLIN, chardev_fd_ready, chr);
    } else if (!want && chr->watching) {
        event_loop_remove_fd(chr->el, chr->in_fd);
    }
    chr->watching = want;
}

/* Hands queued input to the frontends as far as they take it. */
static void pump(Chardev *chr)
{
    for (int i = 0; i < 2; i++) {
        ChardevFe *fe = &chr->fe[i];
        while (fe->ops && fe->q.count) {
            size_t can = fe->ops->can_receive(fe->opaque);
            if (!can) {
                break;
            }
            size_t chunk = CHARDEV_QUEUE_SIZE - fe->q.head;
            chunk = chunk < fe->q.count ? chunk : fe->q.count;
            chunk = chunk < can ? chunk : can;
            size_t took = fe->ops->receive(fe->opaque, fe->q.buf + fe->q.head, chunk);
            if (!took) {
                break;
            }
            took = took < chunk ? took : chunk;
            fe->q.head = (fe->q.head + took) % CHARDEV_QUEUE_SIZE;
            fe->q.count -= took;
        }
    }
    update_watch(chr);
}

static void chardev_fd_ready(void *opaque, int fd, unsigned revents)
{
    Chardev *chr = opaque;
    uint8_t buf[CHARDEV_QUEUE_SIZE];
    size_t room = input_room(chr);
    if (room) {
        ssize_t n = read(fd, buf, room < sizeof(buf) ? room : sizeof(buf));
        if (n > 0) {
            chardev_route_input(chr, buf, (size_t)n);
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            chr->in_eof = true; /* end of input: stop watching */
        }
    }
    pump(chr);
}

static void chardev_kick(void *opaque)
{
    pump(opaque);
}

static void print_pty_banner(const Chardev *chr)
{
    printf("char device redirected to %s (label %s)\n", chr->pty_name, chr->label);
    fflush(stdout);
}

int chardev_attach(Chardev *chr, EventLoop *el, const ChardevFrontend *ops, void *opaque)
{
    if (chr->fe[0].ops || chr->el) {
        return -EBUSY;
    }
    chr->el = el;
    chr->kick = event_timer_new(el, chardev_kick, chr);
    chr->fe[0].ops = ops;
    chr->fe[0].opaque = opaque;
    chr->focus = 0;
    if (chr->kind == CHARDEV_KIND_PTY) {
        print_pty_banner(chr);
    }
    update_watch(chr);
    return 0;
}

int chardev_attach_monitor(Chardev *chr, const ChardevFrontend *ops, void *opaque)
{
    if (!chr->mux) {
        return -EINVAL;
    }
    if (chr->fe[1].ops) {
        return -EBUSY;
    }
    chr->fe[1].ops = ops;
    chr->fe[1].opaque = opaque;
    update_watch(chr);
    return 0;
}

void chardev_set_quit_handler(Chardev *chr, void (*quit)(void *opaque), void *opaque)
{
    chr->quit = quit;
    chr->quit_opaque = opaque;
}

void chardev_accept_input(Chardev *chr)
{
    if (!chr || !chr->el) {
        return;
    }
    bool queued = chr->fe[0].q.count || chr->fe[1].q.count;
    bool reading = chr->watching || chr->in_eof || chr->in_fd < 0;
    if (queued || !reading) {
        event_timer_mod(chr->kick, 0);
    }
}

/* ---- output --------------------------------------------------------------- */

size_t chardev_write(Chardev *chr, const void *buf, size_t len)
{
    if (!chr || chr->out_fd < 0) {
        return chr && chr->kind == CHARDEV_KIND_NULL ? len : 0;
    }
    const uint8_t *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(chr->out_fd, p + done, len - done);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN && chr->write_timeout_ms != 0) {
            struct pollfd pfd = { .fd = chr->out_fd, .events = POLLOUT };
            int r = poll(&pfd, 1, chr->write_timeout_ms);
            if (r > 0 || (r < 0 && errno == EINTR)) {
                continue;
            }
        }
        break; /* full (a pty nobody reads), or an error: drop the rest */
    }
    return done;
}
