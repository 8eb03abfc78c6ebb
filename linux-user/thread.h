/*
 * thread.h — guest threads: each one is a host thread with its own CPU
 * state and LinuxTask, running the CPU loop over the shared translation
 * cache.
 *
 * The one thing to know: the parent returns from clone only after the
 * child has its tid and has written CLONE_PARENT_SETTID/CLONE_CHILD_SETTID,
 * as with the kernel; the child starts with every host signal blocked and
 * opens its host mask to its guest mask just before running guest code.
 */
#ifndef LINUX_USER_THREAD_H
#define LINUX_USER_THREAD_H

#include <stdint.h>

#include "linux-user/syscall.h"

/* Runs child_cpu (heap-allocated, its registers already set for the new
 * thread) on a new host thread; returns the new tid or -errno. */
int64_t thread_create(LinuxTask *parent, CPUState *child_cpu, uint64_t flags,
                      uint64_t parent_tid, uint64_t child_tid);
/* exit(2): ends the calling guest thread; the process when it is the last. */
__attribute__((noreturn)) void thread_exit(LinuxTask *t, int status);

#endif
