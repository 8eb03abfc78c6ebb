/*
 * monitor.c — the monitor's global state: the -qmp/-monitor/-mon options,
 * starting and finishing every monitor, events, and the text buffer that
 * HMP commands and replies are built in.
 *
 * The one thing to know: options are only recorded while the command line
 * is parsed; nothing listens or attaches until monitor_start(), which runs
 * once the machine exists (its ops are what the commands call).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "monitor/monitor-internal.h"
#include "monitor/transport.h"

MonitorGlobal mon_global;

/* ---- MonBuf ---- */

void monbuf_append(MonBuf *b, const char *data, size_t len)
{
    if (b->truncated) {
        return;
    }
    if (len > MONBUF_MAX - b->len) {
        len = MONBUF_MAX - b->len;
        b->truncated = true;
    }
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len + 1) {
            cap *= 2;
        }
        char *p = realloc(b->data, cap);
        if (!p) {
            b->truncated = true;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void monbuf_vprintf(MonBuf *b, const char *fmt, va_list ap)
{
    char small[512];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    if ((size_t)n < sizeof(small)) {
        monbuf_append(b, small, (size_t)n);
    } else {
        char *big = malloc((size_t)n + 1);
        if (big) {
            vsnprintf(big, (size_t)n + 1, fmt, ap2);
            monbuf_append(b, big, (size_t)n);
            free(big);
        }
    }
    va_end(ap2);
}

void monbuf_printf(MonBuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    monbuf_vprintf(b, fmt, ap);
    va_end(ap);
}

void monbuf_free(MonBuf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

const char *monitor_runstate_name(MonRunState s)
{
    switch (s) {
    case MON_RUNSTATE_PRELAUNCH: return "prelaunch";
    case MON_RUNSTATE_RUNNING: return "running";
    case MON_RUNSTATE_PAUSED: return "paused";
    case MON_RUNSTATE_SHUTDOWN: return "shutdown";
    case MON_RUNSTATE_INMIGRATE: return "inmigrate";
    case MON_RUNSTATE_POSTMIGRATE: return "postmigrate";
    }
    return "debug";
}

/* ---- options ---- */

#define MON_MAX_SPECS 8

typedef struct MonSpec {
    bool qmp;
    bool pretty;
    char *addr;      /* unix:/tcp: socket spec, or NULL */
    Chardev *chr;    /* or a chardev */
} MonSpec;

static MonSpec specs[MON_MAX_SPECS];
static unsigned nb_specs;
static bool hmp_none, stdio_used;

static int add_spec(bool qmp, const char *spec, char *err, size_t errlen)
{
    if (nb_specs == MON_MAX_SPECS) {
        snprintf(err, errlen, "too many monitors (at most %d)", MON_MAX_SPECS);
        return -1;
    }
    MonSpec *s = &specs[nb_specs];
    memset(s, 0, sizeof(*s));
    s->qmp = qmp;
    if (!strncmp(spec, "unix:", 5) || !strncmp(spec, "tcp:", 4)) {
        MonSocketSpec ss;
        if (mon_socket_parse(spec, &ss, err, errlen) < 0) {
            return -1;
        }
        s->addr = strdup(spec);
    } else {
        if (!strcmp(spec, "stdio") || !strcmp(spec, "mon:stdio")) {
            if (stdio_used) {
                snprintf(err, errlen, "cannot use stdio by multiple character devices");
                return -1;
            }
            stdio_used = true;
        }
        s->chr = chardev_parse(spec, err, errlen);
        if (!s->chr) {
            return -1;
        }
    }
    nb_specs++;
    return 0;
}

int monitor_add_qmp(const char *spec, char *err, size_t errlen)
{
    if (!strcmp(spec, "none")) {
        return 0;
    }
    return add_spec(true, spec, err, errlen);
}

int monitor_add_hmp(const char *spec, char *err, size_t errlen)
{
    if (!strcmp(spec, "none")) {
        hmp_none = true;
        return 0;
    }
    return add_spec(false, spec, err, errlen);
}

int monitor_parse_mon(const char *spec, char *id, size_t idlen, bool *control, bool *pretty,
                      char *err, size_t errlen)
{
    char buf[256];
    if (strlen(spec) >= sizeof(buf)) {
        snprintf(err, errlen, "option too long");
        return -1;
    }
    snprintf(buf, sizeof(buf), "%s", spec);
    id[0] = '\0';
    *control = false;
    *pretty = false;
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        if (!strncmp(item, "chardev=", 8)) {
            snprintf(id, idlen, "%s", item + 8);
        } else if (!strcmp(item, "mode=control")) {
            *control = true;
        } else if (!strcmp(item, "mode=readline")) {
            *control = false;
        } else if (!strcmp(item, "pretty=on")) {
            *pretty = true;
        } else if (!strcmp(item, "pretty=off")) {
            *pretty = false;
        } else {
            snprintf(err, errlen, "unknown or invalid option '%s' (chardev=ID, "
                     "mode=control|readline, pretty=on|off)", item);
            return -1;
        }
    }
    if (!id[0]) {
        snprintf(err, errlen, "chardev= is required");
        return -1;
    }
    return 0;
}

int monitor_add_on_chardev(Chardev *chr, bool control, bool pretty, char *err, size_t errlen)
{
    if (nb_specs == MON_MAX_SPECS) {
        snprintf(err, errlen, "too many monitors (at most %d)", MON_MAX_SPECS);
        return -1;
    }
    specs[nb_specs++] = (MonSpec){ .qmp = control, .pretty = pretty, .chr = chr };
    return 0;
}

bool monitor_uses_stdio(void)
{
    return stdio_used;
}

bool monitor_disabled(void)
{
    return hmp_none;
}

/* ---- start / finish ---- */

int monitor_start(EventLoop *el, const MonitorMachineOps *ops, void *opaque, Chardev *mux,
                  char *err, size_t errlen)
{
    mon_global.el = el;
    mon_global.ops = ops;
    mon_global.opaque = opaque;
    for (unsigned i = 0; i < nb_specs; i++) {
        const MonProtocol *proto = specs[i].qmp ? &qmp_protocol : &hmp_protocol;
        int r = specs[i].addr
                    ? mon_listen(specs[i].addr, proto, specs[i].pretty, err, errlen)
                    : mon_attach_chardev(specs[i].chr, proto, specs[i].pretty, false, err,
                                         errlen);
        if (r < 0) {
            return -1;
        }
    }
    bool mux_taken = false; /* a -mon already sits on the serial multiplexer */
    for (unsigned i = 0; i < nb_specs; i++) {
        mux_taken |= specs[i].chr && specs[i].chr == mux;
    }
    if (mux && !mux_taken && !hmp_none && chardev_is_mux(mux) &&
        mon_attach_chardev(mux, &hmp_protocol, false, true, err, errlen) < 0) {
        return -1;
    }
    return 0;
}

void monitor_finish(void)
{
    mon_transport_finish();
    for (unsigned i = 0; i < nb_specs; i++) {
        free(specs[i].addr);
        specs[i].addr = NULL;
    }
}

/* ---- events ---- */

void monitor_event(const char *name, const char *data_json)
{
    json_t *data = NULL;
    if (data_json) {
        data = json_loads(data_json, 0, NULL);
    }
    qmp_send_event_all(name, data);
    json_decref(data);
}

void monitor_event_shutdown(bool guest, const char *reason)
{
    json_t *d = json_pack("{s:b, s:s}", "guest", guest, "reason", reason);
    qmp_send_event_all("SHUTDOWN", d);
    json_decref(d);
}

void monitor_event_reset(bool guest, const char *reason)
{
    json_t *d = json_pack("{s:b, s:s}", "guest", guest, "reason", reason);
    qmp_send_event_all("RESET", d);
    json_decref(d);
}
