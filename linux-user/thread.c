/*
 * thread.c — guest threads on host threads: creation for clone(CLONE_VM |
 * CLONE_THREAD ...) and exit(2) of one thread.
 *
 * The one thing to know: thread exit does what the kernel does for
 * CLONE_CHILD_CLEARTID (store 0 at the guest's tid word and wake one futex
 * waiter: that is how pthread_join learns of it), then leaves the CPU list
 * before the host thread ends; the last thread to leave ends the process.
 * The guest's robust futex list is walked the same way the kernel does it,
 * so a robust mutex held by a dying thread reports EOWNERDEAD.
 */
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux-user/cpu-loop.h"
#include "linux-user/guest-mem.h"
#include "linux-user/guest-signal.h"
#include "linux-user/host-signal.h"
#include "linux-user/thread.h"

/* Handed from the parent to the new host thread; lives on the parent's
 * stack until `done`. */
typedef struct ThreadStart {
    LinuxTask *task;
    uint64_t flags, parent_tid, child_tid;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
    int64_t result; /* the tid, or -errno */
} ThreadStart;

static void thread_start_finish(ThreadStart *st, int64_t result)
{
    pthread_mutex_lock(&st->lock);
    st->result = result;
    st->done = true;
    pthread_cond_signal(&st->cond);
    pthread_mutex_unlock(&st->lock);
}

static void *thread_main(void *arg)
{
    ThreadStart *st = arg;
    LinuxTask *t = st->task;
    t->tid = gettid();
    signal_host_set_task(t);
    if (host_signal_init_thread(t->cpu) < 0) {
        signal_host_set_task(NULL);
        thread_start_finish(st, -EAGAIN);
        return NULL;
    }
    int32_t tid = t->tid;
    if (st->flags & CLONE_CHILD_SETTID) {
        guest_copy_to(st->child_tid, &tid, sizeof(tid));
    }
    if (st->flags & CLONE_PARENT_SETTID) {
        guest_copy_to(st->parent_tid, &tid, sizeof(tid));
    }
    exec_cpu_register(t->cpu);
    thread_start_finish(st, tid); /* st is gone from here on */
    signal_host_apply_mask(t);
    riscv_cpu_loop(t);
}

int64_t thread_create(LinuxTask *parent, CPUState *child_cpu, uint64_t flags,
                      uint64_t parent_tid, uint64_t child_tid)
{
    LinuxTask *t = calloc(1, sizeof(*t));
    if (!t) {
        return -ENOMEM;
    }
    t->cpu = child_cpu;
    child_cpu->opaque = t;
    t->sigmask = parent->sigmask;
    t->clear_child_tid = (flags & CLONE_CHILD_CLEARTID) ? child_tid : 0;
    ThreadStart st = { .task = t, .flags = flags, .parent_tid = parent_tid, .child_tid = child_tid };
    pthread_mutex_init(&st.lock, NULL);
    pthread_cond_init(&st.cond, NULL);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    sigset_t old;
    signal_host_block_all(&old); /* the new thread inherits this mask */
    pthread_t th;
    int err = pthread_create(&th, &attr, thread_main, &st);
    signal_host_restore(&old);
    pthread_attr_destroy(&attr);
    int64_t result = -err;
    if (!err) {
        pthread_mutex_lock(&st.lock);
        while (!st.done) {
            pthread_cond_wait(&st.cond, &st.lock);
        }
        pthread_mutex_unlock(&st.lock);
        result = st.result;
    }
    pthread_cond_destroy(&st.cond);
    pthread_mutex_destroy(&st.lock);
    if (result < 0) {
        free(t);
    }
    return result;
}

#define ROBUST_LIST_LIMIT 2048

/* Marks the robust futex at guest address uaddr as owned by a dead thread
 * if t owns it, and wakes a waiter. */
static void robust_futex_release(LinuxTask *t, uint64_t uaddr)
{
    if ((uaddr & 3) || !guest_lock(uaddr, 4, GUEST_ACCESS_WRITE)) {
        return;
    }
    uint32_t *word = g2h(uaddr);
    uint32_t old = __atomic_load_n(word, __ATOMIC_RELAXED);
    while ((old & FUTEX_TID_MASK) == (uint32_t)t->tid) {
        uint32_t val = (old & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
        if (__atomic_compare_exchange_n(word, &old, val, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_RELAXED)) {
            if (old & FUTEX_WAITERS) {
                syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
            }
            return;
        }
    }
}

/* The kernel's exit_robust_list on the guest's list (struct robust_list_head:
 * next, futex_offset, list_op_pending; entries link through their first
 * word; the list ends back at the head). */
static void robust_list_release(LinuxTask *t)
{
    uint64_t head[3];
    if (!t->robust_list || guest_copy_from(head, t->robust_list, sizeof(head)) < 0) {
        return;
    }
    int64_t offset = (int64_t)head[1];
    uint64_t entry = head[0], pending = head[2];
    for (int n = 0; entry != t->robust_list && n < ROBUST_LIST_LIMIT; n++) {
        uint64_t next;
        if ((entry & ~1ull) == 0 || guest_copy_from(&next, entry & ~1ull, sizeof(next)) < 0) {
            break;
        }
        if ((entry & ~1ull) != pending) {
            robust_futex_release(t, (entry & ~1ull) + (uint64_t)offset);
        }
        entry = next;
    }
    if (pending) {
        robust_futex_release(t, (pending & ~1ull) + (uint64_t)offset);
    }
}

void thread_exit(LinuxTask *t, int status)
{
    sigset_t old;
    signal_host_block_all(&old);
    if (exec_cpu_unregister(t->cpu)) {
        signal_host_restore(&old);
        process_exit(status);
    }
    robust_list_release(t);
    if (t->clear_child_tid) {
        uint32_t zero = 0;
        if (guest_copy_to(t->clear_child_tid, &zero, sizeof(zero)) == 0) {
            syscall(SYS_futex, g2h(t->clear_child_tid), FUTEX_WAKE, 1, NULL, NULL, 0);
        }
    }
    host_signal_exit_thread();
    signal_host_set_task(NULL);
    free(t->cpu);
    free(t);
    pthread_exit(NULL);
}
