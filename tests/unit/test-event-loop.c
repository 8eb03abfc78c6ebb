/*
 * test-event-loop.c — the system-mode I/O loop: fd watches, timers, poll
 * hooks, removal from inside a callback, the lock hooks and thread mode.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>

#include <cmocka.h>

#include "mimic/event-loop.h"

static int reads, timer_hits, lock_depth, max_depth, locks;

static void on_lock(void *o) { lock_depth++; locks++; if (lock_depth > max_depth) max_depth = lock_depth; }
static void on_unlock(void *o) { lock_depth--; }

static void on_read(void *opaque, int fd, unsigned revents)
{
    char c;
    assert_true(revents & POLLIN);
    assert_int_equal(lock_depth, 1);
    assert_int_equal(read(fd, &c, 1), 1);
    reads++;
}

static void on_timer(void *opaque)
{
    int *order = opaque;
    *order = ++timer_hits;
}

static void fd_and_timers(void **state)
{
    EventLoop *el = event_loop_new();
    event_loop_set_lock(el, on_lock, on_unlock, NULL);
    int p[2];
    assert_int_equal(pipe(p), 0);
    event_loop_set_fd(el, p[0], POLLIN, on_read, NULL);
    assert_int_equal(write(p[1], "ab", 2), 2);
    event_loop_run_once(el, 0);
    event_loop_run_once(el, 0);
    assert_int_equal(reads, 2);

    int first = 0, second = 0;
    EventTimer *t1 = event_timer_new(el, on_timer, &first);
    EventTimer *t2 = event_timer_new(el, on_timer, &second);
    int64_t now = event_clock_ns();
    event_timer_mod(t2, now + 20000000);
    event_timer_mod(t1, now + 5000000);
    while (timer_hits < 2) {
        event_loop_run_once(el, -1);
    }
    assert_int_equal(first, 1);
    assert_int_equal(second, 2);
    assert_true(event_clock_ns() - now >= 20000000);
    event_timer_mod(t1, now);
    event_timer_del(t1);
    event_loop_run_once(el, 0);
    assert_int_equal(timer_hits, 2);
    assert_int_equal(lock_depth, 0);
    assert_int_equal(max_depth, 1);
    event_timer_free(t1);
    event_timer_free(t2);
    event_loop_remove_fd(el, p[0]);
    assert_int_equal(write(p[1], "c", 1), 1);
    event_loop_run_once(el, 0);
    assert_int_equal(reads, 2);
    event_loop_free(el);
    close(p[0]);
    close(p[1]);
}

typedef struct Pair { EventLoop *el; int other_fd; int calls; } Pair;

static void remove_other(void *opaque, int fd, unsigned revents)
{
    Pair *pr = opaque;
    char c;
    assert_int_equal(read(fd, &c, 1), 1);
    pr->calls++;
    event_loop_remove_fd(pr->el, pr->other_fd);
    event_loop_remove_fd(pr->el, fd);
}

static void removal_in_callback(void **state)
{
    EventLoop *el = event_loop_new();
    int a[2], b[2];
    assert_int_equal(pipe(a), 0);
    assert_int_equal(pipe(b), 0);
    Pair pa = { el, b[0], 0 }, pb = { el, a[0], 0 };
    event_loop_set_fd(el, a[0], POLLIN, remove_other, &pa);
    event_loop_set_fd(el, b[0], POLLIN, remove_other, &pb);
    assert_int_equal(write(a[1], "x", 1), 1);
    assert_int_equal(write(b[1], "y", 1), 1);
    event_loop_run_once(el, 0);
    /* Whichever ran first removed the other: exactly one call. */
    assert_int_equal(pa.calls + pb.calls, 1);
    event_loop_free(el);
    close(a[0]); close(a[1]); close(b[0]); close(b[1]);
}

typedef struct Hook { int fd, index, dispatched; bool saw_in; } Hook;

static void hook_prepare(void *opaque, EventPollSet *set, int64_t *timeout)
{
    Hook *h = opaque;
    h->index = event_pollset_add(set, h->fd, POLLIN);
    *timeout = 1000000;
}

static void hook_dispatch(void *opaque, EventPollSet *set, bool error)
{
    Hook *h = opaque;
    assert_false(error);
    h->dispatched++;
    if (event_pollset_revents(set, h->index) & POLLIN) {
        h->saw_in = true;
    }
}

static void poll_hooks(void **state)
{
    EventLoop *el = event_loop_new();
    int p[2];
    assert_int_equal(pipe(p), 0);
    Hook h = { .fd = p[0] };
    event_loop_add_poll_hook(el, hook_prepare, hook_dispatch, &h);
    event_loop_run_once(el, -1); /* the hook's 1 ms timeout bounds this */
    assert_int_equal(h.dispatched, 1);
    assert_false(h.saw_in);
    assert_int_equal(write(p[1], "z", 1), 1);
    event_loop_run_once(el, -1);
    assert_true(h.saw_in);
    event_loop_remove_poll_hook(el, &h);
    event_loop_run_once(el, 0);
    assert_int_equal(h.dispatched, 2);
    event_loop_free(el);
    close(p[0]);
    close(p[1]);
}

static volatile int thread_timer;
static void set_flag(void *opaque) { thread_timer = 1; }

static void thread_mode(void **state)
{
    EventLoop *el = event_loop_new();
    assert_int_equal(event_loop_start_thread(el), 0);
    EventTimer *t = event_timer_new(el, set_flag, NULL);
    event_timer_mod(t, event_clock_ns() + 1000000);
    for (int i = 0; i < 2000 && !thread_timer; i++) {
        usleep(1000);
    }
    assert_int_equal(thread_timer, 1);
    event_loop_stop_thread(el);
    event_timer_free(t);
    event_loop_free(el);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fd_and_timers),
        cmocka_unit_test(removal_in_callback),
        cmocka_unit_test(poll_hooks),
        cmocka_unit_test(thread_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
