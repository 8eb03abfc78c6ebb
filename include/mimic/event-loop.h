/*
 * event-loop.h — the I/O event loop of system mode: file descriptors,
 * timers and poll hooks (libslirp) served by poll(2), usually in one
 * dedicated I/O thread while the vCPUs run translated code.
 *
 * The one thing to know: every callback (fd handler, timer, poll hook
 * dispatch) runs with the machine lock held — the loop calls the lock/unlock
 * hooks set by event_loop_set_lock() around each dispatch round — so device
 * code called from here needs no locking of its own. Registration functions
 * may be called from any thread (vCPUs under the machine lock included) and
 * from inside callbacks; they wake the loop so a change takes effect at once.
 */
#ifndef MIMIC_EVENT_LOOP_H
#define MIMIC_EVENT_LOOP_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct EventLoop EventLoop;
typedef struct EventTimer EventTimer;
typedef struct EventPollSet EventPollSet;

/* revents is poll(2)'s (POLLIN, POLLOUT, POLLHUP, POLLERR...). */
typedef void EventFdHandler(void *opaque, int fd, unsigned revents);
typedef void EventTimerHandler(void *opaque);

/* CLOCK_MONOTONIC in nanoseconds: the clock of every deadline here. */
int64_t event_clock_ns(void);

EventLoop *event_loop_new(void);
/* Stops the thread if running; frees timers still registered. */
void event_loop_free(EventLoop *el);
/* Hooks taken around each dispatch round (the machine lock). */
void event_loop_set_lock(EventLoop *el, void (*lock)(void *), void (*unlock)(void *),
                         void *opaque);

/* Watches fd for events (POLLIN and/or POLLOUT); replaces an earlier watch
 * of the same fd. events 0 keeps the registration but polls nothing. */
void event_loop_set_fd(EventLoop *el, int fd, unsigned events, EventFdHandler *handler,
                       void *opaque);
void event_loop_remove_fd(EventLoop *el, int fd);

EventTimer *event_timer_new(EventLoop *el, EventTimerHandler *handler, void *opaque);
/* Arms the timer to fire once at deadline_ns (event_clock_ns() time). */
void event_timer_mod(EventTimer *t, int64_t deadline_ns);
void event_timer_del(EventTimer *t);
/* Disarms and frees. */
void event_timer_free(EventTimer *t);

/* A poll hook gathers extra fds before each poll (prepare: add fds to the
 * set, lower *timeout_ns if it needs waking sooner; -1 = no limit) and looks
 * at their results after it (dispatch). For libraries that own their fds,
 * such as libslirp. */
int event_pollset_add(EventPollSet *set, int fd, short events);
short event_pollset_revents(const EventPollSet *set, int index);
void event_loop_add_poll_hook(EventLoop *el,
                              void (*prepare)(void *opaque, EventPollSet *set,
                                              int64_t *timeout_ns),
                              void (*dispatch)(void *opaque, EventPollSet *set, bool error),
                              void *opaque);
void event_loop_remove_poll_hook(EventLoop *el, void *opaque);

/* Makes a poll in progress return early. */
void event_loop_wakeup(EventLoop *el);
/* One round: polls for at most timeout_ns (-1 = until something happens),
 * then dispatches ready fds, hooks and expired timers. Returns the number
 * of callbacks run. Use either this or the thread, not both. */
int event_loop_run_once(EventLoop *el, int64_t timeout_ns);
/* Runs rounds in a new thread until event_loop_stop_thread(). 0 or -errno. */
int event_loop_start_thread(EventLoop *el);
void event_loop_stop_thread(EventLoop *el);

#endif
