/*
 * event-loop.c — poll(2)-based I/O loop: fd watches, one-shot timers and
 * poll hooks, dispatched under the machine lock (see event-loop.h).
 *
 * Registrations live in small arrays under an internal mutex; a dispatch
 * round copies what it needs, drops the mutex and calls out, re-checking
 * each registration by its serial number so that a callback that removes
 * another watch (or itself) is never followed by a call to a stale one.
 */
#include "mimic/event-loop.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

typedef struct FdWatch {
    int fd;
    unsigned events;
    EventFdHandler *handler;
    void *opaque;
    uint64_t serial;
} FdWatch;

typedef struct PollHook {
    void (*prepare)(void *, EventPollSet *, int64_t *);
    void (*dispatch)(void *, EventPollSet *, bool);
    void *opaque;
} PollHook;

struct EventTimer {
    EventLoop *el;
    EventTimerHandler *handler;
    void *opaque;
    int64_t deadline; /* -1: not armed */
    EventTimer *next;
};

struct EventPollSet {
    struct pollfd *fds;
    int n, cap;
};

struct EventLoop {
    pthread_mutex_t mu;
    FdWatch *watches;
    int nb_watches, cap_watches;
    uint64_t next_serial;
    PollHook *hooks;
    int nb_hooks, cap_hooks;
    EventTimer *timers;
    int wake_fd;
    void (*lock)(void *);
    void (*unlock)(void *);
    void *lock_opaque;
    pthread_t thread;
    bool thread_running;
    volatile bool stop;
};

int64_t event_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void grow(void **arr, int *cap, int need, size_t elem)
{
    if (need <= *cap) {
        return;
    }
    int ncap = *cap ? *cap * 2 : 8;
    while (ncap < need) {
        ncap *= 2;
    }
    void *n = realloc(*arr, (size_t)ncap * elem);
    if (!n) {
        abort();
    }
    *arr = n;
    *cap = ncap;
}

EventLoop *event_loop_new(void)
{
    EventLoop *el = calloc(1, sizeof(*el));
    if (!el) {
        return NULL;
    }
    el->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (el->wake_fd < 0) {
        free(el);
        return NULL;
    }
    pthread_mutex_init(&el->mu, NULL);
    return el;
}

void event_loop_free(EventLoop *el)
{
    if (!el) {
        return;
    }
    event_loop_stop_thread(el);
    while (el->timers) {
        EventTimer *t = el->timers;
        el->timers = t->next;
        free(t);
    }
    free(el->watches);
    free(el->hooks);
    close(el->wake_fd);
    pthread_mutex_destroy(&el->mu);
    free(el);
}

void event_loop_set_lock(EventLoop *el, void (*lock)(void *), void (*unlock)(void *),
                         void *opaque)
{
    el->lock = lock;
    el->unlock = unlock;
    el->lock_opaque = opaque;
}

static void machine_lock(EventLoop *el)
{
    if (el->lock) {
        el->lock(el->lock_opaque);
    }
}

static void machine_unlock(EventLoop *el)
{
    if (el->unlock) {
        el->unlock(el->lock_opaque);
    }
}

void event_loop_wakeup(EventLoop *el)
{
    uint64_t one = 1;
    ssize_t r = write(el->wake_fd, &one, sizeof(one));
    (void)r; /* EAGAIN: the counter is already nonzero, the loop wakes anyway */
}

static int find_watch(EventLoop *el, int fd)
{
    for (int i = 0; i < el->nb_watches; i++) {
        if (el->watches[i].fd == fd) {
            return i;
        }
    }
    return -1;
}

void event_loop_set_fd(EventLoop *el, int fd, unsigned events, EventFdHandler *handler,
                       void *opaque)
{
    pthread_mutex_lock(&el->mu);
    int i = find_watch(el, fd);
    if (i < 0) {
        grow((void **)&el->watches, &el->cap_watches, el->nb_watches + 1, sizeof(FdWatch));
        i = el->nb_watches++;
    }
    el->watches[i] = (FdWatch){ fd, events, handler, opaque, ++el->next_serial };
    pthread_mutex_unlock(&el->mu);
    event_loop_wakeup(el);
}

void event_loop_remove_fd(EventLoop *el, int fd)
{
    pthread_mutex_lock(&el->mu);
    int i = find_watch(el, fd);
    if (i >= 0) {
        el->watches[i] = el->watches[--el->nb_watches];
    }
    pthread_mutex_unlock(&el->mu);
    event_loop_wakeup(el);
}

EventTimer *event_timer_new(EventLoop *el, EventTimerHandler *handler, void *opaque)
{
    EventTimer *t = calloc(1, sizeof(*t));
    if (!t) {
        abort();
    }
    t->el = el;
    t->handler = handler;
    t->opaque = opaque;
    t->deadline = -1;
    pthread_mutex_lock(&el->mu);
    t->next = el->timers;
    el->timers = t;
    pthread_mutex_unlock(&el->mu);
    return t;
}

void event_timer_mod(EventTimer *t, int64_t deadline_ns)
{
    pthread_mutex_lock(&t->el->mu);
    t->deadline = deadline_ns < 0 ? 0 : deadline_ns;
    pthread_mutex_unlock(&t->el->mu);
    event_loop_wakeup(t->el);
}

void event_timer_del(EventTimer *t)
{
    pthread_mutex_lock(&t->el->mu);
    t->deadline = -1;
    pthread_mutex_unlock(&t->el->mu);
}

void event_timer_free(EventTimer *t)
{
    if (!t) {
        return;
    }
    EventLoop *el = t->el;
    pthread_mutex_lock(&el->mu);
    for (EventTimer **p = &el->timers; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }
    pthread_mutex_unlock(&el->mu);
    free(t);
}

int event_pollset_add(EventPollSet *set, int fd, short events)
{
    grow((void **)&set->fds, &set->cap, set->n + 1, sizeof(struct pollfd));
    set->fds[set->n] = (struct pollfd){ .fd = fd, .events = events };
    return set->n++;
}

short event_pollset_revents(const EventPollSet *set, int index)
{
    return index >= 0 && index < set->n ? set->fds[index].revents : 0;
}

void event_loop_add_poll_hook(EventLoop *el,
                              void (*prepare)(void *, EventPollSet *, int64_t *),
                              void (*dispatch)(void *, EventPollSet *, bool), void *opaque)
{
    pthread_mutex_lock(&el->mu);
    grow((void **)&el->hooks, &el->cap_hooks, el->nb_hooks + 1, sizeof(PollHook));
    el->hooks[el->nb_hooks++] = (PollHook){ prepare, dispatch, opaque };
    pthread_mutex_unlock(&el->mu);
    event_loop_wakeup(el);
}

void event_loop_remove_poll_hook(EventLoop *el, void *opaque)
{
    pthread_mutex_lock(&el->mu);
    for (int i = 0; i < el->nb_hooks; i++) {
        if (el->hooks[i].opaque == opaque) {
            el->hooks[i--] = el->hooks[--el->nb_hooks];
        }
    }
    pthread_mutex_unlock(&el->mu);
    event_loop_wakeup(el);
}

/* Earliest armed deadline, or -1. Called with el->mu held. */
static int64_t next_deadline(EventLoop *el)
{
    int64_t best = -1;
    for (EventTimer *t = el->timers; t; t = t->next) {
        if (t->deadline >= 0 && (best < 0 || t->deadline < best)) {
            best = t->deadline;
        }
    }
    return best;
}

static int run_expired_timers(EventLoop *el)
{
    int ran = 0;
    for (;;) {
        int64_t now = event_clock_ns();
        EventTimerHandler *handler = NULL;
        void *opaque = NULL;
        pthread_mutex_lock(&el->mu);
        for (EventTimer *t = el->timers; t; t = t->next) {
            if (t->deadline >= 0 && t->deadline <= now) {
                t->deadline = -1;
                handler = t->handler;
                opaque = t->opaque;
                break;
            }
        }
        pthread_mutex_unlock(&el->mu);
        if (!handler) {
            return ran;
        }
        handler(opaque);
        ran++;
    }
}

int event_loop_run_once(EventLoop *el, int64_t timeout_ns)
{
    EventPollSet set = { 0 };
    event_pollset_add(&set, el->wake_fd, POLLIN);

    pthread_mutex_lock(&el->mu);
    int nb_watch = el->nb_watches;
    uint64_t *serials = calloc((size_t)nb_watch + 1, sizeof(*serials));
    for (int i = 0; i < nb_watch; i++) {
        serials[i] = el->watches[i].serial;
        event_pollset_add(&set, el->watches[i].fd, (short)el->watches[i].events);
    }
    int nb_hooks = el->nb_hooks;
    PollHook *hooks = calloc((size_t)nb_hooks + 1, sizeof(*hooks));
    if (nb_hooks) { /* el->hooks is NULL until the first hook: memcpy(x, NULL, 0) is UB */
        memcpy(hooks, el->hooks, (size_t)nb_hooks * sizeof(*hooks));
    }
    int64_t deadline = next_deadline(el);
    pthread_mutex_unlock(&el->mu);

    if (nb_hooks) {
        machine_lock(el);
        for (int i = 0; i < nb_hooks; i++) {
            hooks[i].prepare(hooks[i].opaque, &set, &timeout_ns);
        }
        machine_unlock(el);
    }

    if (deadline >= 0) {
        int64_t until = deadline - event_clock_ns();
        if (until < 0) {
            until = 0;
        }
        if (timeout_ns < 0 || until < timeout_ns) {
            timeout_ns = until;
        }
    }
    struct timespec ts, *tsp = NULL;
    if (timeout_ns >= 0) {
        ts.tv_sec = timeout_ns / 1000000000;
        ts.tv_nsec = timeout_ns % 1000000000;
        tsp = &ts;
    }
    int n = ppoll(set.fds, (nfds_t)set.n, tsp, NULL);
    bool error = n < 0;
    if (error) {
        for (int i = 0; i < set.n; i++) {
            set.fds[i].revents = 0;
        }
    }
    if (set.fds[0].revents & POLLIN) {
        uint64_t v;
        ssize_t r = read(el->wake_fd, &v, sizeof(v));
        (void)r;
    }

    int ran = 0;
    machine_lock(el);
    for (int i = 0; i < nb_watch; i++) {
        unsigned revents = (unsigned)set.fds[1 + i].revents;
        if (!revents) {
            continue;
        }
        EventFdHandler *handler = NULL;
        void *opaque = NULL;
        int fd = set.fds[1 + i].fd;
        pthread_mutex_lock(&el->mu);
        int w = find_watch(el, fd);
        if (w >= 0 && el->watches[w].serial == serials[i]) {
            handler = el->watches[w].handler;
            opaque = el->watches[w].opaque;
        }
        pthread_mutex_unlock(&el->mu);
        if (handler) {
            handler(opaque, fd, revents);
            ran++;
        }
    }
    for (int i = 0; i < nb_hooks; i++) {
        bool live = false;
        pthread_mutex_lock(&el->mu);
        for (int h = 0; h < el->nb_hooks; h++) {
            live |= el->hooks[h].opaque == hooks[i].opaque;
        }
        pthread_mutex_unlock(&el->mu);
        if (live) {
            hooks[i].dispatch(hooks[i].opaque, &set, error);
            ran++;
        }
    }
    ran += run_expired_timers(el);
    machine_unlock(el);

    free(serials);
    free(hooks);
    free(set.fds);
    return ran;
}

static void *loop_thread(void *opaque)
{
    EventLoop *el = opaque;
    while (!el->stop) {
        event_loop_run_once(el, -1);
    }
    return NULL;
}

int event_loop_start_thread(EventLoop *el)
{
    el->stop = false;
    int r = pthread_create(&el->thread, NULL, loop_thread, el);
    if (r) {
        return -r;
    }
    el->thread_running = true;
    return 0;
}

void event_loop_stop_thread(EventLoop *el)
{
    if (!el->thread_running) {
        return;
    }
    el->stop = true;
    event_loop_wakeup(el);
    pthread_join(el->thread, NULL);
    el->thread_running = false;
}
