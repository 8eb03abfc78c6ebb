/*
 * qmp-server.c — the QMP protocol on a session: the greeting, framing of
 * the JSON stream, capabilities negotiation, dispatch of `execute` with
 * `arguments` and `id`, replies and events.
 *
 * The one thing to know: input is a stream of JSON values, not lines (as
 * in QEMU); the splitter finds where each top-level value ends, bounded in
 * size and depth, and only then is it parsed (jansson). Every malformed
 * value gets an error reply and the session goes on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "monitor/monitor-internal.h"

struct QmpSessionState {
    MonSession *s;
    JsonSplitter js;
    bool negotiated;
    bool oob;
};

/* ---- framing ---- */

static void js_put(JsonSplitter *js, char c)
{
    if (js->too_big) {
        return;
    }
    if (js->len + 2 > QMP_MAX_MESSAGE) {
        js->too_big = true;
        return;
    }
    if (js->len + 2 > js->cap) {
        size_t cap = js->cap ? js->cap * 2 : 256;
        char *p = realloc(js->buf, cap);
        if (!p) {
            js->too_big = true;
            return;
        }
        js->buf = p;
        js->cap = cap;
    }
    js->buf[js->len++] = c;
}

static void js_emit(JsonSplitter *js,
                    void (*fn)(void *, const char *, size_t, const char *), void *opaque)
{
    if (js->too_big) {
        fn(opaque, NULL, 0, "JSON message too large (the limit is 1 MiB)");
    } else if (js->too_deep) {
        fn(opaque, NULL, 0, "JSON nesting too deep (the limit is 1024)");
    } else {
        js_put(js, '\0');
        fn(opaque, js->buf, js->len - 1, NULL);
    }
    js->len = 0;
    js->depth = 0;
    js->started = js->in_str = js->esc = js->scalar = js->too_big = js->too_deep = false;
    if (js->cap > 65536) { /* do not keep a huge buffer for small messages */
        free(js->buf);
        js->buf = NULL;
        js->cap = 0;
    }
}

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void json_splitter_feed(JsonSplitter *js, const uint8_t *data, size_t len,
                        void (*fn)(void *, const char *, size_t, const char *), void *opaque)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = data[i];
        if (!js->started) {
            if (is_space(c)) {
                continue;
            }
            js->started = true;
            if (c == '{' || c == '[') {
                js->depth = 1;
                js_put(js, (char)c);
                continue;
            }
            if (c == '}' || c == ']') {
                js_put(js, (char)c);
                js_emit(js, fn, opaque);
                continue;
            }
            js->scalar = true;
            /* fall through: the scalar's first character */
        }
        if (js->in_str) {
            if (js->esc) {
                js->esc = false;
                if (js->quote == '\'' && c == '\'') {
                    js_put(js, '\'');
                } else {
                    js_put(js, '\\');
                    js_put(js, (char)c);
                }
            } else if (c == '\\') {
                js->esc = true;
            } else if (c == (uint8_t)js->quote) {
                js->in_str = false;
                js_put(js, '"');
                if (js->scalar) {
                    js_emit(js, fn, opaque); /* a top-level string */
                }
            } else if (c == '"') {
                js_put(js, '\\'); /* inside 'single quotes' */
                js_put(js, '"');
            } else {
                js_put(js, (char)c);
            }
            continue;
        }
        if (c == '"' || c == '\'') {
            if (js->scalar && js->len > 0) {
                js_emit(js, fn, opaque); /* garbage"... : the garbage first */
                i--;
                continue;
            }
            js->in_str = true;
            js->quote = (char)c;
            js_put(js, '"');
            continue;
        }
        if (js->scalar) {
            if (js->len == 0 && (c == ',' || c == ':')) {
                js_put(js, (char)c); /* a stray separator is a value of its own */
                js_emit(js, fn, opaque);
                continue;
            }
            if (is_space(c) || c == '{' || c == '[' || c == '}' || c == ']' || c == ',' ||
                c == ':') {
                js_emit(js, fn, opaque);
                if (!is_space(c)) {
                    i--; /* looked at again as the start of the next value */
                }
                continue;
            }
            js_put(js, (char)c);
            continue;
        }
        js_put(js, (char)c);
        if (c == '{' || c == '[') {
            if (++js->depth > QMP_MAX_DEPTH) {
                js->too_deep = true;
            }
        } else if (c == '}' || c == ']') {
            if (--js->depth == 0) {
                js_emit(js, fn, opaque);
            }
        }
    }
}

void json_splitter_free(JsonSplitter *js)
{
    free(js->buf);
    memset(js, 0, sizeof(*js));
}

/* ---- replies ---- */

static void qmp_send(QmpSessionState *q, json_t *msg)
{
    char *text = json_dumps(msg, JSON_PRESERVE_ORDER | (q->s->pretty ? JSON_INDENT(4) : 0));
    if (text) {
        mon_session_write(q->s, text, strlen(text));
        mon_session_write(q->s, "\r\n", 2);
        free(text);
    }
}

static void qmp_send_error(QmpSessionState *q, json_t *id, const char *cls, const char *desc)
{
    json_t *msg = json_pack("{s:{s:s, s:s}}", "error", "class", cls, "desc", desc);
    if (id) {
        json_object_set(msg, "id", id);
    }
    qmp_send(q, msg);
    json_decref(msg);
}

static void qmp_handle_value(void *opaque, const char *text, size_t len, const char *limit)
{
    QmpSessionState *q = opaque;
    if (limit) {
        qmp_send_error(q, NULL, "GenericError", limit);
        return;
    }
    json_error_t jerr;
    json_t *req = json_loadb(text, len, JSON_DECODE_ANY, &jerr);
    if (!req) {
        char desc[300];
        snprintf(desc, sizeof(desc), "JSON parse error, %s", jerr.text);
        qmp_send_error(q, NULL, "GenericError", desc);
        return;
    }
    json_t *id = NULL;
    char desc[600];
    if (!json_is_object(req)) {
        qmp_send_error(q, NULL, "GenericError", "QMP input must be a JSON object");
        goto out;
    }
    id = json_object_get(req, "id");
    const char *key;
    json_t *val;
    json_object_foreach(req, key, val) {
        if (strcmp(key, "execute") && strcmp(key, "arguments") && strcmp(key, "id") &&
            (strcmp(key, "exec-oob") || !q->oob)) {
            snprintf(desc, sizeof(desc), "QMP input member '%.200s' is unexpected", key);
            qmp_send_error(q, id, "GenericError", desc);
            goto out;
        }
    }
    json_t *exec = json_object_get(req, "execute");
    json_t *oob = json_object_get(req, "exec-oob");
    if (exec && oob) {
        qmp_send_error(q, id, "GenericError",
                       "QMP input must not contain both 'execute' and 'exec-oob'");
        goto out;
    }
    if (!exec && !oob) {
        qmp_send_error(q, id, "GenericError", "QMP input lacks member 'execute'");
        goto out;
    }
    if (!json_is_string(exec ? exec : oob)) {
        snprintf(desc, sizeof(desc), "QMP input member '%s' must be a string",
                 exec ? "execute" : "exec-oob");
        qmp_send_error(q, id, "GenericError", desc);
        goto out;
    }
    json_t *args = json_object_get(req, "arguments");
    if (args && !json_is_object(args)) {
        qmp_send_error(q, id, "GenericError", "QMP input member 'arguments' must be an object");
        goto out;
    }
    const char *name = json_string_value(exec ? exec : oob);
    if (!q->negotiated && strcmp(name, "qmp_capabilities")) {
        qmp_send_error(q, id, "CommandNotFound",
                       "Expecting capabilities negotiation with 'qmp_capabilities'");
        goto out;
    }
    if (q->negotiated && !strcmp(name, "qmp_capabilities")) {
        qmp_send_error(q, id, "CommandNotFound",
                       "Capabilities negotiation is already complete, command ignored");
        goto out;
    }
    const QmpCommand *cmd = qmp_find_command(name);
    if (!cmd) {
        snprintf(desc, sizeof(desc), "The command %.200s has not been found", name);
        qmp_send_error(q, id, "CommandNotFound", desc);
        goto out;
    }
    if (oob) {
        snprintf(desc, sizeof(desc), "The command %.200s does not support OOB", name);
        qmp_send_error(q, id, "GenericError", desc);
        goto out;
    }
    if (qmp_check_args(cmd->args, args, desc, sizeof(desc)) < 0) {
        qmp_send_error(q, id, "GenericError", desc);
        goto out;
    }
    json_t *ret = NULL;
    QmpError err = { "GenericError", "" };
    if (cmd->fn(q, args, &ret, &err) < 0) {
        qmp_send_error(q, id, err.cls, err.desc);
        json_decref(ret);
        goto out;
    }
    json_t *msg = json_object();
    json_object_set_new(msg, "return", ret ? ret : json_object());
    if (id) {
        json_object_set(msg, "id", id);
    }
    qmp_send(q, msg);
    json_decref(msg);
out:
    json_decref(req);
}

void qmp_session_negotiated(QmpSessionState *q, bool oob)
{
    q->negotiated = true;
    q->oob = oob;
}

/* ---- the protocol ---- */

static void qmp_open(MonSession *s)
{
    if (s->state) {
        return;
    }
    QmpSessionState *q = calloc(1, sizeof(*q));
    if (!q) {
        mon_session_close(s);
        return;
    }
    q->s = s;
    s->state = q;
    json_t *g = json_pack("{s:{s:{s:{s:i, s:i, s:i}, s:s}, s:[s]}}", "QMP", "version", "qemu",
                          "micro", MON_QEMU_MICRO, "minor", MON_QEMU_MINOR, "major",
                          MON_QEMU_MAJOR, "package", MON_PACKAGE, "capabilities", "oob");
    qmp_send(q, g);
    json_decref(g);
}

static void qmp_input(MonSession *s, const uint8_t *buf, size_t len)
{
    QmpSessionState *q = s->state;
    if (q) {
        json_splitter_feed(&q->js, buf, len, qmp_handle_value, q);
    }
}

static void qmp_close(MonSession *s)
{
    QmpSessionState *q = s->state;
    if (q) {
        json_splitter_free(&q->js);
        free(q);
        s->state = NULL;
    }
}

const MonProtocol qmp_protocol = { qmp_open, qmp_input, qmp_close };

void qmp_send_event_all(const char *name, json_t *data)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    json_t *ev = json_pack("{s:{s:I, s:I}, s:s}", "timestamp", "seconds", (json_int_t)tv.tv_sec,
                           "microseconds", (json_int_t)tv.tv_usec, "event", name);
    if (data) {
        json_object_set(ev, "data", data);
    }
    for (MonSession *s = mon_global.sessions; s; s = s->next) {
        QmpSessionState *q = s->state;
        if (s->proto == &qmp_protocol && q && q->negotiated && !s->dead) {
            qmp_send(q, ev);
        }
    }
    json_decref(ev);
}
