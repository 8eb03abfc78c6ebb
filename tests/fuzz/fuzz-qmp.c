/*
 * fuzz-qmp.c — libFuzzer target over the monitor's input parsing: the
 * bytes go to a QMP session (framing, JSON, dispatch, argument checks,
 * human-monitor-command), to a human monitor session (line editing,
 * history) and, line by line, to the human monitor's command parser
 * (x/xp formats and expressions, info, help), on a fake machine.
 *
 * The one thing to know: every reply must be a complete JSON object on a
 * line of its own — a reply that is not is a bug, and aborts. The first
 * input byte chooses how the rest is cut into chunks (a stream may split
 * anywhere). Commands that would stop the fake machine only flip a flag.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/qmp-fake-machine.h"

static void check_replies(char *out)
{
    char *cur = out, *nl;
    while ((nl = strstr(cur, "\r\n"))) {
        *nl = '\0';
        json_error_t e;
        json_t *v = json_loads(cur, 0, &e);
        if (!v || !json_is_object(v)) {
            abort(); /* the server wrote something that is not a QMP message */
        }
        json_decref(v);
        cur = nl + 2;
    }
    if (*cur) {
        abort(); /* a reply without its line end */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    size_t step = 1 + data[0] % 64;
    data++, size--;
    fake_state = MON_RUNSTATE_RUNNING;
    MonSession *s = fake_session_new(&qmp_protocol);
    free(fake_drain(s)); /* the greeting */
    static const char caps[] = "{\"execute\": \"qmp_capabilities\"}";
    if (size > 0 && data[0] & 1) { /* half the inputs start negotiated */
        s->proto->input(s, (const uint8_t *)caps, sizeof(caps) - 1);
    }
    for (size_t off = 0; off < size; off += step) {
        size_t n = size - off < step ? size - off : step;
        s->proto->input(s, data + off, n);
        char *out = fake_drain(s);
        check_replies(out);
        free(out);
    }
    fake_session_free(s);

    /* The human monitor's session: line editing, escapes, history. */
    fake_state = MON_RUNSTATE_RUNNING;
    s = fake_session_new(&hmp_protocol);
    for (size_t off = 0; off < size; off += step) {
        size_t n = size - off < step ? size - off : step;
        s->proto->input(s, data + off, n);
        free(fake_drain(s));
    }
    fake_session_free(s);

    /* The human monitor's parser, one line at a time. */
    char line[1100];
    size_t len = 0;
    unsigned cpu = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || data[i] == '\n' || len + 1 == sizeof(line)) {
            line[len] = '\0';
            MonBuf out = { 0 };
            hmp_run_line(line, &cpu, &out);
            if (cpu >= 2) {
                abort();
            }
            monbuf_free(&out);
            len = 0;
        } else {
            line[len++] = data[i] ? (char)data[i] : ' ';
        }
    }
    return 0;
}
