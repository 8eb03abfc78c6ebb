/*
 * test-chardev.c — character devices: -serial/-chardev specs good and bad,
 * the file backend, a pty (its slave opened here, input and output both
 * ways, and a full pty that must drop output instead of hanging), flow
 * control (a frontend that takes nothing holds input until
 * chardev_accept_input), the mon: multiplexer's Ctrl-a keys driven through
 * pipes, and raw mode on a terminal restored by chardev_free, SIGTERM and
 * abort() (a pty stands in for the terminal).
 *
 * The one thing to know: the event loop runs in the test's own thread
 * (event_loop_run_once), so the callbacks run between the test's steps.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "mimic/chardev.h"

/* A frontend with a FIFO of `capacity` bytes that the test drains. */
typedef struct TestFe {
    uint8_t got[65536];
    size_t len;       /* everything received */
    size_t held;      /* received and not yet drained */
    size_t capacity;
    int focus_in, focus_out;
} TestFe;

static size_t fe_can_receive(void *opaque)
{
    TestFe *fe = opaque;
    return fe->capacity - fe->held;
}

static size_t fe_receive(void *opaque, const uint8_t *buf, size_t len)
{
    TestFe *fe = opaque;
    assert_true(len <= fe->capacity - fe->held);
    assert_true(fe->len + len <= sizeof(fe->got));
    memcpy(fe->got + fe->len, buf, len);
    fe->len += len;
    fe->held += len;
    return len;
}

static void fe_focus(void *opaque, bool focused)
{
    TestFe *fe = opaque;
    if (focused) {
        fe->focus_in++;
    } else {
        fe->focus_out++;
    }
}

static const ChardevFrontend test_frontend = {
    .can_receive = fe_can_receive,
    .receive = fe_receive,
    .focus = fe_focus,
};

static void fe_init(TestFe *fe, size_t capacity)
{
    memset(fe, 0, sizeof(*fe));
    fe->capacity = capacity;
}

/* Runs the loop until nothing more happens (a few quiet rounds). */
static void spin(EventLoop *el)
{
    for (int quiet = 0; quiet < 3;) {
        quiet = event_loop_run_once(el, 5000000) ? 0 : quiet + 1;
    }
}

static void put(int fd, const char *s, size_t len)
{
    assert_int_equal(write(fd, s, len), (ssize_t)len);
}

/* Everything readable now on a non-blocking fd, as a string. */
static char *drain(int fd)
{
    static char buf[65536];
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (n <= 0) {
            break;
        }
        len += (size_t)n;
    }
    buf[len] = 0;
    return buf;
}

static void nonblocking(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Pseudo-terminals back the pty tests and stand in for the user's
 * terminal; a machine without them skips those tests, saying why. */
static bool have_pty(void)
{
    int fd = posix_openpt(O_RDWR | O_NOCTTY);
    if (fd < 0) {
        return false;
    }
    close(fd);
    return true;
}

static void skip_without_pty(void)
{
    if (!have_pty()) {
        print_message("skipped: no pseudo-terminals on this machine (posix_openpt failed)\n");
        skip();
    }
}

static void test_parse_good(void **state)
{
    char err[256] = "";
    const char *good[] = { "null", "mon:null", "pty", "mon:pty", "null,id=con1",
                           "pty,id=p,mux=on", "null,mux=off,signal=off" };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (strstr(good[i], "pty") && !have_pty()) {
            continue;
        }
        Chardev *chr = chardev_parse(good[i], err, sizeof(err));
        if (!chr) {
            fail_msg("%s: %s", good[i], err);
        }
        assert_int_equal(chardev_is_mux(chr), !strncmp(good[i], "mon:", 4) ||
                                                  strstr(good[i], "mux=on") != NULL);
        if (strstr(good[i], "pty")) {
            assert_non_null(chardev_pty_name(chr));
            assert_memory_equal(chardev_pty_name(chr), "/dev/pts/", 9);
        } else {
            assert_null(chardev_pty_name(chr));
        }
        chardev_free(chr);
    }
    Chardev *chr = chardev_parse("null,id=con1", err, sizeof(err));
    assert_string_equal(chardev_label(chr), "con1");
    chardev_free(chr);
    chr = chardev_parse("null", err, sizeof(err));
    assert_string_equal(chardev_label(chr), "serial0");
    assert_int_equal(chardev_write(chr, "abc", 3), 3); /* null swallows output */
    chardev_free(chr);

    if (!isatty(0)) { /* never touch a real terminal from a test */
        chr = chardev_parse("stdio", err, sizeof(err));
        assert_non_null(chr);
        Chardev *second = chardev_parse("mon:stdio", err, sizeof(err));
        assert_null(second);
        assert_non_null(strstr(err, "already used"));
        chardev_free(chr);
        chr = chardev_parse("mon:stdio", err, sizeof(err));
        assert_non_null(chr);
        assert_true(chardev_is_mux(chr));
        chardev_free(chr);
    }
}

static void expect_error(const char *spec, const char *message)
{
    char err[256] = "";
    Chardev *chr = chardev_parse(spec, err, sizeof(err));
    if (chr) {
        chardev_free(chr);
        fail_msg("'%s' was accepted", spec);
    }
    if (!strstr(err, message)) {
        fail_msg("'%s': got '%s', expected '%s'", spec, err, message);
    }
}

static void test_parse_bad(void **state)
{
    expect_error("foo", "unknown character device 'foo'");
    expect_error("", "unknown character device ''");
    expect_error("mon:foo", "unknown character device 'mon:foo'");
    expect_error("mon:mon:null", "unknown character device 'mon:mon:null'");
    expect_error("file:", "'file:': the file backend needs a file name");
    expect_error("file,id=x", "'file,id=x': the file backend needs a file name");
    expect_error("file:/nonexistent-dir/log", "cannot open '/nonexistent-dir/log'");
    expect_error("null,bogus=1", "'null,bogus=1': unknown option 'bogus'");
    expect_error("null,mux=maybe", "mux must be on or off");
    expect_error("null,id", "option 'id' needs a value");
    expect_error("null,path=/tmp/x", "path= is for the file backend");
    expect_error("id=x", "unknown character device 'id=x'");
    expect_error("null,id=", "id= is empty");
}

static void test_file_backend(void **state)
{
    char path[] = "/tmp/mimic-chardev-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    put(fd, "old contents that must go", 25);
    close(fd);
    char spec[64], err[256];
    snprintf(spec, sizeof(spec), "file:%s", path);
    Chardev *chr = chardev_parse(spec, err, sizeof(err));
    assert_non_null(chr);
    assert_int_equal(chardev_write(chr, "hello\n", 6), 6);
    assert_int_equal(chardev_write(chr, "world\n", 6), 6);
    chardev_free(chr);
    char buf[64] = "";
    fd = open(path, O_RDONLY);
    assert_int_equal(read(fd, buf, sizeof(buf) - 1), 12);
    close(fd);
    assert_string_equal(buf, "hello\nworld\n");

    /* The -chardev form, and input: a file has none, attaching is fine. */
    snprintf(spec, sizeof(spec), "file,id=log,path=%s", path);
    chr = chardev_parse(spec, err, sizeof(err));
    assert_non_null(chr);
    assert_string_equal(chardev_label(chr), "log");
    EventLoop *el = event_loop_new();
    TestFe fe;
    fe_init(&fe, 16);
    assert_int_equal(chardev_attach(chr, el, &test_frontend, &fe), 0);
    assert_int_equal(chardev_attach(chr, el, &test_frontend, &fe), -EBUSY);
    spin(el);
    assert_int_equal(fe.len, 0);
    chardev_free(chr);
    event_loop_free(el);
    unlink(path);
}

static void test_pty(void **state)
{
    skip_without_pty();
    char err[256];
    Chardev *chr = chardev_parse("pty", err, sizeof(err));
    assert_non_null(chr);
    EventLoop *el = event_loop_new();
    TestFe fe;
    fe_init(&fe, 1024);
    assert_int_equal(chardev_attach(chr, el, &test_frontend, &fe), 0);
    int slave = open(chardev_pty_name(chr), O_RDWR | O_NOCTTY);
    assert_true(slave >= 0);
    put(slave, "ping\x01\r", 6);
    spin(el);
    assert_int_equal(fe.len, 6);
    assert_memory_equal(fe.got, "ping\x01\r", 6); /* raw: nothing translated */
    assert_int_equal(chardev_write(chr, "pong\n", 5), 5);
    nonblocking(slave);
    spin(el);
    assert_string_equal(drain(slave), "pong\n");
    assert_int_equal(fe.len, 6); /* our output does not echo back as input */

    /* Nobody reads: output beyond what the pty buffers is dropped, fast. */
    close(slave);
    static uint8_t big[1 << 20];
    memset(big, 'z', sizeof(big));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t written = 0;
    for (int i = 0; i < 8; i++) {
        written += chardev_write(chr, big, sizeof(big));
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(written < 8 * sizeof(big));
    assert_true(t1.tv_sec - t0.tv_sec < 5);
    chardev_free(chr);
    event_loop_free(el);
}

static void test_flow_control(void **state)
{
    int in[2], out[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    char err[256];
    Chardev *chr = chardev_new_stdio(in[0], out[1], false, true, err, sizeof(err));
    assert_non_null(chr);
    EventLoop *el = event_loop_new();
    TestFe fe;
    fe_init(&fe, 0); /* full */
    assert_int_equal(chardev_attach(chr, el, &test_frontend, &fe), 0);
    put(in[1], "abcdef", 6);
    spin(el);
    assert_int_equal(fe.len, 0);

    /* Room appears but the frontend has not said so: still nothing. */
    fe.capacity = 2;
    spin(el);
    assert_int_equal(fe.len, 0);
    chardev_accept_input(chr);
    spin(el);
    assert_int_equal(fe.len, 2);
    assert_memory_equal(fe.got, "ab", 2);
    fe.held = 0; /* the guest read its FIFO */
    spin(el);
    assert_int_equal(fe.len, 2);
    chardev_accept_input(chr);
    spin(el);
    assert_int_equal(fe.len, 4);
    fe.capacity = 100;
    fe.held = 0;
    chardev_accept_input(chr);
    spin(el);
    assert_int_equal(fe.len, 6);
    assert_memory_equal(fe.got, "abcdef", 6);

    /* Much more than the chardev queues, through a small FIFO, in order. */
    static char pattern[20000];
    for (size_t i = 0; i < sizeof(pattern); i++) {
        pattern[i] = (char)('a' + i % 23);
    }
    fe_init(&fe, 100);
    nonblocking(in[1]);
    size_t sent = 0;
    for (int round = 0; round < 10000 && fe.len < sizeof(pattern); round++) {
        if (sent < sizeof(pattern)) {
            ssize_t n = write(in[1], pattern + sent, sizeof(pattern) - sent);
            sent += n > 0 ? (size_t)n : 0;
        }
        event_loop_run_once(el, 1000000);
        fe.held = 0;
        chardev_accept_input(chr);
    }
    assert_int_equal(fe.len, sizeof(pattern));
    assert_memory_equal(fe.got, pattern, sizeof(pattern));

    /* End of input: the watch goes away, the loop does not spin. */
    close(in[1]);
    spin(el);
    assert_int_equal(event_loop_run_once(el, 0), 0);

    assert_int_equal(chardev_write(chr, "out", 3), 3);
    char buf[8] = "";
    assert_int_equal(read(out[0], buf, sizeof(buf)), 3);
    assert_string_equal(buf, "out");
    chardev_free(chr);
    event_loop_free(el);
    close(in[0]);
    close(out[0]);
    close(out[1]);
}

static int quits;

static void on_quit(void *opaque)
{
    quits++;
    assert_ptr_equal(opaque, &quits);
}

static void test_mux_escapes(void **state)
{
    int in[2], out[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    nonblocking(out[0]);
    char err[256];
    Chardev *chr = chardev_new_stdio(in[0], out[1], true, false, err, sizeof(err));
    assert_non_null(chr);
    assert_true(chardev_is_mux(chr));
    EventLoop *el = event_loop_new();
    TestFe serial, monitor;
    fe_init(&serial, 4096);
    fe_init(&monitor, 4096);
    assert_int_equal(chardev_attach(chr, el, &test_frontend, &serial), 0);
    chardev_set_quit_handler(chr, on_quit, &quits);

    /* Plain bytes pass; Ctrl-a a and Ctrl-a Ctrl-a give one Ctrl-a each. */
    put(in[1], "ab\x01" "a" "c\x01\x01" "d", 8);
    spin(el);
    assert_int_equal(serial.len, 6);
    assert_memory_equal(serial.got, "ab\x01" "c\x01" "d", 6);

    /* Help goes to the output, not to the guest. */
    put(in[1], "\x01h", 2);
    spin(el);
    assert_int_equal(serial.len, 6);
    assert_non_null(strstr(drain(out[0]), "Ctrl-a x"));

    /* Ctrl-a c without a monitor: a message, and input stays. */
    put(in[1], "\x01" "ce", 3);
    spin(el);
    assert_non_null(strstr(drain(out[0]), "monitor is not available"));
    assert_int_equal(serial.len, 7);
    assert_int_equal(serial.got[6], 'e');

    /* With a monitor, Ctrl-a c moves the input back and forth. */
    assert_int_equal(chardev_attach_monitor(chr, &test_frontend, &monitor), 0);
    assert_int_equal(chardev_attach_monitor(chr, &test_frontend, &monitor), -EBUSY);
    put(in[1], "1\x01" "c2\x01" "a\x01" "c3", 9);
    spin(el);
    assert_int_equal(serial.len, 9);
    assert_memory_equal(serial.got + 7, "13", 2);
    assert_int_equal(monitor.len, 2);
    assert_memory_equal(monitor.got, "2\x01", 2);
    assert_int_equal(monitor.focus_in, 1);
    assert_int_equal(monitor.focus_out, 1);
    assert_int_equal(serial.focus_out, 1);
    assert_int_equal(serial.focus_in, 1);

    /* Unknown escapes are swallowed; an escape split over two reads works. */
    put(in[1], "\x01z", 2);
    spin(el);
    put(in[1], "\x01", 1);
    spin(el);
    assert_int_equal(quits, 0);
    put(in[1], "x", 1);
    spin(el);
    assert_int_equal(quits, 1);
    assert_non_null(strstr(drain(out[0]), "terminated"));
    assert_int_equal(serial.len, 9);

    /* Ctrl-a x in the middle of a read: what follows is not input. */
    put(in[1], "q\x01xrest", 7);
    spin(el);
    assert_int_equal(quits, 2);
    assert_int_equal(serial.len, 10);
    assert_int_equal(serial.got[9], 'q');

    /* Detached, the old frontends hear nothing; a new one takes over. */
    chardev_detach(chr);
    TestFe again;
    fe_init(&again, 16);
    assert_int_equal(chardev_attach(chr, el, &test_frontend, &again), 0);
    put(in[1], "k", 1);
    spin(el);
    assert_int_equal(again.len, 1);
    assert_int_equal(again.got[0], 'k');
    assert_int_equal(serial.len, 10);

    /* Only a multiplexer has a monitor. */
    Chardev *plain = chardev_parse("null", err, sizeof(err));
    assert_int_equal(chardev_attach_monitor(plain, &test_frontend, &monitor), -EINVAL);
    chardev_free(plain);

    chardev_free(chr);
    event_loop_free(el);
    close(in[0]);
    close(in[1]);
    close(out[0]);
    close(out[1]);
}

/* A pty slave stands in for the user's terminal. */
static int open_fake_terminal(int *master)
{
    *master = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(*master >= 0);
    assert_int_equal(grantpt(*master), 0);
    assert_int_equal(unlockpt(*master), 0);
    int slave = open(ptsname(*master), O_RDWR | O_NOCTTY);
    assert_true(slave >= 0);
    return slave;
}

/* Still reachable when the child exits: no leak report under ASan. */
static Chardev *volatile kept_at_exit;

static tcflag_t lflag(int fd)
{
    struct termios t;
    assert_int_equal(tcgetattr(fd, &t), 0);
    return t.c_lflag;
}

static void test_terminal_raw_and_restored(void **state)
{
    skip_without_pty();
    int master, tty = open_fake_terminal(&master);
    assert_true(lflag(tty) & ICANON);
    char err[256];
    Chardev *chr = chardev_new_stdio(tty, tty, true, false, err, sizeof(err));
    assert_non_null(chr);
    assert_false(lflag(tty) & (ICANON | ECHO | ISIG));
    /* The terminal has one owner. */
    assert_null(chardev_new_stdio(tty, tty, false, true, err, sizeof(err)));
    assert_non_null(strstr(err, "already used"));
    chardev_free(chr);
    assert_true(lflag(tty) & ICANON);
    assert_true(lflag(tty) & ECHO);

    /* Plain stdio keeps ISIG: Ctrl-C still stops mimic. */
    chr = chardev_new_stdio(tty, tty, false, true, err, sizeof(err));
    assert_non_null(chr);
    assert_true(lflag(tty) & ISIG);
    assert_false(lflag(tty) & ICANON);
    chardev_free(chr);

    /* Killed by SIGTERM, or dying in abort(): the terminal comes back. */
    const int sigs[] = { SIGTERM, SIGABRT, SIGINT };
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            signal(sigs[i], SIG_DFL);
            Chardev *c = chardev_new_stdio(tty, tty, true, false, err, sizeof(err));
            if (!c || (lflag(tty) & ICANON)) {
                _exit(3);
            }
            if (sigs[i] == SIGABRT) {
                abort();
            }
            raise(sigs[i]);
            _exit(4);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), sigs[i]);
        assert_true(lflag(tty) & ICANON);
    }
    /* exit() restores it too (atexit). */
    pid_t pid = fork();
    if (pid == 0) {
        kept_at_exit = chardev_new_stdio(tty, tty, true, false, err, sizeof(err));
        exit(kept_at_exit && !(lflag(tty) & ICANON) ? 0 : 3);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(lflag(tty) & ICANON);
    close(tty);
    close(master);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_file_backend),
        cmocka_unit_test(test_pty),
        cmocka_unit_test(test_flow_control),
        cmocka_unit_test(test_mux_escapes),
        cmocka_unit_test(test_terminal_raw_and_restored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
