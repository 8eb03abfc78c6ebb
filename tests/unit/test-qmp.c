/*
 * test-qmp.c — QMP without a machine: the argument checker against each
 * command schema shape, the JSON stream splitter (chunks, several values
 * per chunk, QEMU's single quotes, limits), and whole sessions on a fake
 * machine (negotiation, ids, errors, events, human-monitor-command x/xp).
 *
 * The one thing to know: the protocol code is the real one, talking over a
 * socketpair (tests/unit/qmp-fake-machine.h); only the machine is fake.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "qmp-fake-machine.h"

static const QmpArg schema_hmp[] = {
    { "command-line", QMP_ARG_STR, false },
    { "cpu-index", QMP_ARG_INT, true },
    { NULL, 0, false },
};
static const QmpArg schema_list[] = {
    { "enable", QMP_ARG_STR_LIST, true },
    { "flag", QMP_ARG_BOOL, true },
    { NULL, 0, false },
};
static const QmpArg schema_none[] = { { NULL, 0, false } };

static void expect_args(const QmpArg *schema, const char *json, const char *want_err)
{
    json_t *args = json ? json_loads(json, 0, NULL) : NULL;
    if (json) {
        assert_non_null(args);
    }
    char err[256] = "";
    int r = qmp_check_args(schema, args, err, sizeof(err));
    if (want_err) {
        assert_int_equal(r, -1);
        assert_string_equal(err, want_err);
    } else {
        assert_int_equal(r, 0);
    }
    json_decref(args);
}

static void test_check_args(void **state)
{
    expect_args(schema_hmp, "{\"command-line\": \"info status\"}", NULL);
    expect_args(schema_hmp, "{\"command-line\": \"x\", \"cpu-index\": 1}", NULL);
    expect_args(schema_hmp, NULL, "Parameter 'command-line' is missing");
    expect_args(schema_hmp, "{}", "Parameter 'command-line' is missing");
    expect_args(schema_hmp, "{\"command-line\": 5}",
                "Invalid parameter type for 'command-line', expected: string");
    expect_args(schema_hmp, "{\"command-line\": \"x\", \"cpu-index\": \"1\"}",
                "Invalid parameter type for 'cpu-index', expected: integer");
    expect_args(schema_hmp, "{\"command-line\": \"x\", \"cpu-index\": 1.5}",
                "Invalid parameter type for 'cpu-index', expected: integer");
    expect_args(schema_hmp, "{\"command-line\": \"x\", \"extra\": null}",
                "Parameter 'extra' is unexpected");
    expect_args(schema_none, NULL, NULL);
    expect_args(schema_none, "{}", NULL);
    expect_args(schema_none, "{\"a\": 1}", "Parameter 'a' is unexpected");
    expect_args(schema_none, "[]", "QMP input member 'arguments' must be an object");
    expect_args(schema_list, "{\"enable\": [\"oob\"], \"flag\": true}", NULL);
    expect_args(schema_list, "{\"enable\": []}", NULL);
    expect_args(schema_list, "{\"enable\": \"oob\"}",
                "Invalid parameter type for 'enable', expected: array");
    expect_args(schema_list, "{\"enable\": [\"oob\", 3]}",
                "Invalid parameter type for 'enable', expected: string");
    expect_args(schema_list, "{\"flag\": 1}",
                "Invalid parameter type for 'flag', expected: boolean");
}

/* ---- splitter ---- */

static char got[8][256];
static int nb_got;

static void collect(void *opaque, const char *text, size_t len, const char *limit)
{
    assert_true(nb_got < 8);
    snprintf(got[nb_got++], sizeof(got[0]), "%s", limit ? limit : text);
}

static void feed(JsonSplitter *js, const char *s)
{
    json_splitter_feed(js, (const uint8_t *)s, strlen(s), collect, NULL);
}

static void test_splitter(void **state)
{
    JsonSplitter js = { 0 };
    nb_got = 0;
    feed(&js, "{\"execute\": \"a\"}{\"execute\": \"b\"}\n");
    assert_int_equal(nb_got, 2);
    assert_string_equal(got[0], "{\"execute\": \"a\"}");
    assert_string_equal(got[1], "{\"execute\": \"b\"}");

    nb_got = 0; /* a value split anywhere, braces inside strings */
    feed(&js, "  {\"a\": \"}{\\\"");
    assert_int_equal(nb_got, 0);
    feed(&js, "]\", \"b\": [1, {\"c\": 2}]");
    assert_int_equal(nb_got, 0);
    feed(&js, "}");
    assert_int_equal(nb_got, 1);
    assert_string_equal(got[0], "{\"a\": \"}{\\\"]\", \"b\": [1, {\"c\": 2}]}");

    nb_got = 0; /* scalars and stray closers are values of their own */
    feed(&js, "garbage 12 \"str\" }");
    assert_int_equal(nb_got, 4);
    assert_string_equal(got[0], "garbage");
    assert_string_equal(got[1], "12");
    assert_string_equal(got[2], "\"str\"");
    assert_string_equal(got[3], "}");

    nb_got = 0; /* stray separators (the fuzzer found they looped forever) */
    feed(&js, ": ,x");
    assert_int_equal(nb_got, 2);
    assert_string_equal(got[0], ":");
    assert_string_equal(got[1], ",");
    feed(&js, " ");
    assert_int_equal(nb_got, 3);
    assert_string_equal(got[2], "x");

    nb_got = 0; /* QEMU's single-quoted strings */
    feed(&js, "{'execute': 'it\\'s \"x\"'}");
    assert_int_equal(nb_got, 1);
    assert_string_equal(got[0], "{\"execute\": \"it's \\\"x\\\"\"}");
    json_t *v = json_loads(got[0], 0, NULL);
    assert_non_null(v);
    assert_string_equal(json_string_value(json_object_get(v, "execute")), "it's \"x\"");
    json_decref(v);

    nb_got = 0; /* limits: depth, then size; the stream goes on after each */
    for (int i = 0; i < 2000; i++) {
        feed(&js, "[");
    }
    for (int i = 0; i < 2000; i++) {
        feed(&js, "]");
    }
    assert_int_equal(nb_got, 1);
    assert_string_equal(got[0], "JSON nesting too deep (the limit is 1024)");
    feed(&js, "{\"a\": \"");
    char *big = malloc(QMP_MAX_MESSAGE + 10);
    memset(big, 'x', QMP_MAX_MESSAGE + 9);
    big[QMP_MAX_MESSAGE + 9] = '\0';
    feed(&js, big);
    free(big);
    feed(&js, "\"}[1]");
    assert_int_equal(nb_got, 3);
    assert_string_equal(got[1], "JSON message too large (the limit is 1 MiB)");
    assert_string_equal(got[2], "[1]");
    json_splitter_free(&js);
}

/* ---- whole sessions ---- */

static json_t *next_msg(char **cursor)
{
    char *nl = strstr(*cursor, "\r\n");
    if (!nl) {
        return NULL;
    }
    *nl = '\0';
    json_t *v = json_loads(*cursor, 0, NULL);
    *cursor = nl + 2;
    assert_non_null(v);
    return v;
}

static void send_str(MonSession *s, const char *text)
{
    s->proto->input(s, (const uint8_t *)text, strlen(text));
}

static const char *err_class(json_t *m)
{
    return json_string_value(json_object_get(json_object_get(m, "error"), "class"));
}

static void test_session(void **state)
{
    MonSession *s = fake_session_new(&qmp_protocol);
    char *out = fake_drain(s), *cur = out;
    json_t *m = next_msg(&cur);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(
                         json_object_get(m, "QMP"), "version"), "qemu"), "major")),
                     MON_QEMU_MAJOR);
    json_decref(m);
    free(out);

    send_str(s, "{\"execute\": \"query-status\"}\n"
                "{\"execute\": \"qmp_capabilities\", \"id\": [1, \"x\"]}\n"
                "{\"execute\": \"stop\"}"
                "{'execute': 'query-status', 'id': 7}"
                "{\"execute\": \"cont\", \"arguments\": {\"now\": true}}"
                "{\"execute\": \"human-monitor-command\", \"arguments\": "
                "{\"command-line\": \"xp/2xw 0x80000000\"}}"
                "{\"execute\": \"human-monitor-command\", \"arguments\": "
                "{\"command-line\": \"x/2xb 0x20000\"}}"
                "{\"execute\": \"human-monitor-command\", \"arguments\": "
                "{\"command-line\": \"x/1xg $pc\", \"cpu-index\": 9}}"
                "{\"execute\": \"query-cpus-fast\"}"
                "{\"execute\": \"query-target\"}"
                "{\"execute\": \"quit\"}");
    out = fake_drain(s);
    cur = out;
    m = next_msg(&cur); /* before negotiation */
    assert_string_equal(err_class(m), "CommandNotFound");
    json_decref(m);
    m = next_msg(&cur); /* the id comes back as it was */
    json_t *id = json_pack("[i, s]", 1, "x");
    assert_true(json_equal(json_object_get(m, "id"), id));
    json_decref(id);
    json_decref(m);
    m = next_msg(&cur); /* STOP, then stop's reply */
    assert_string_equal(json_string_value(json_object_get(m, "event")), "STOP");
    assert_non_null(json_object_get(json_object_get(m, "timestamp"), "seconds"));
    json_decref(m);
    m = next_msg(&cur);
    assert_non_null(json_object_get(m, "return"));
    json_decref(m);
    m = next_msg(&cur);
    assert_string_equal(json_string_value(json_object_get(json_object_get(m, "return"),
                                                          "status")), "paused");
    assert_int_equal(json_integer_value(json_object_get(m, "id")), 7);
    json_decref(m);
    m = next_msg(&cur); /* cont with an argument it does not take */
    assert_string_equal(err_class(m), "GenericError");
    json_decref(m);
    m = next_msg(&cur);
    assert_string_equal(json_string_value(json_object_get(m, "return")),
                        "0000000080000000: 0x03020100 0x07060504\r\n");
    json_decref(m);
    m = next_msg(&cur);
    assert_string_equal(json_string_value(json_object_get(m, "return")),
                        "0000000000020000: Cannot access memory\r\n");
    json_decref(m);
    m = next_msg(&cur);
    assert_string_equal(err_class(m), "GenericError"); /* no CPU 9 */
    json_decref(m);
    m = next_msg(&cur);
    assert_int_equal(json_array_size(json_object_get(m, "return")), 2);
    json_decref(m);
    m = next_msg(&cur);
    assert_string_equal(json_string_value(json_object_get(json_object_get(m, "return"),
                                                          "arch")), "riscv64");
    json_decref(m);
    m = next_msg(&cur);
    assert_string_equal(json_string_value(json_object_get(m, "event")), "SHUTDOWN");
    assert_string_equal(json_string_value(json_object_get(json_object_get(m, "data"),
                                                          "reason")), "host-qmp-quit");
    json_decref(m);
    m = next_msg(&cur);
    assert_non_null(json_object_get(m, "return"));
    json_decref(m);
    assert_null(next_msg(&cur));
    assert_int_equal(fake_quits, 1);
    free(out);
    fake_session_free(s);
}

/* The human monitor's line editing: backspace, Ctrl-U, history with the
 * arrow keys, an over-long line. */
static void test_hmp_editing(void **state)
{
    fake_state = MON_RUNSTATE_RUNNING;
    MonSession *s = fake_session_new(&hmp_protocol);
    char *out = fake_drain(s);
    assert_non_null(strstr(out, "(qemu) "));
    free(out);
    send_str(s, "info statux\x7fs\r");
    out = fake_drain(s);
    assert_non_null(strstr(out, "VM status: running\r\n(qemu) "));
    free(out);
    send_str(s, "garbage\x15info version\r\n");
    out = fake_drain(s);
    assert_non_null(strstr(out, "7.2.0"));
    assert_null(strstr(out, "unknown command"));
    free(out);
    send_str(s, "\x1b[A\x1b[A\r"); /* two back: info status */
    out = fake_drain(s);
    assert_non_null(strstr(out, "VM status: running"));
    free(out);
    send_str(s, "\x1b[A\x1b[A\x1b[B\r"); /* back two, forward one: info status again */
    out = fake_drain(s);
    assert_non_null(strstr(out, "VM status: running"));
    free(out);
    char longline[3000];
    memset(longline, 'a', sizeof(longline) - 2);
    longline[sizeof(longline) - 2] = '\r';
    longline[sizeof(longline) - 1] = '\0';
    send_str(s, longline);
    out = fake_drain(s);
    assert_non_null(strstr(out, "line too long"));
    free(out);
    fake_session_free(s);
}

int main(void)
{
    for (unsigned i = 0; i < FAKE_RAM_SIZE; i++) {
        fake_ram[i] = (uint8_t)i;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_args),
        cmocka_unit_test(test_splitter),
        cmocka_unit_test(test_session),
        cmocka_unit_test(test_hmp_editing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
