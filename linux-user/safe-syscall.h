/*
 * safe-syscall.h — host system calls that may block, made safe against a
 * guest signal arriving just before the kernel is entered.
 *
 * The one thing to know: use safe_syscall() for every host call that can
 * block indefinitely (read, write, poll, wait, sleep, futex...): if a
 * signal for the guest is already pending (exit_request), or arrives before
 * the call enters the kernel, it returns -EINTR at once and the CPU loop
 * delivers the signal (and restarts the call if the handler allows).
 */
#ifndef LINUX_USER_SAFE_SYSCALL_H
#define LINUX_USER_SAFE_SYSCALL_H

#include <stdint.h>

#include "linux-user/syscall.h"

int64_t safe_syscall_base(volatile int32_t *pending, long nr, long a1, long a2, long a3, long a4,
                          long a5, long a6);
/* Code addresses used by the host signal handler (signal-host.c). */
extern char safe_syscall_start[], safe_syscall_end[], safe_syscall_eintr[];

/* Raw result: the value, or -errno. */
static inline int64_t safe_syscall(LinuxTask *t, long nr, long a1, long a2, long a3, long a4,
                                   long a5, long a6)
{
    return safe_syscall_base(&t->cpu->exit_request, nr, a1, a2, a3, a4, a5, a6);
}

#endif
