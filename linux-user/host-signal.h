/*
 * host-signal.h — host fault signal handling for linux-user.
 *
 * The one thing to know: call host_signal_init() once, then
 * host_signal_init_thread() in every thread that runs guest code, before
 * its first exec_cpu_loop().
 */
#ifndef LINUX_USER_HOST_SIGNAL_H
#define LINUX_USER_HOST_SIGNAL_H

#include "mimic/exec.h"

/* Installs the SIGSEGV/SIGBUS handlers; 0 or -1 (errno set). */
int host_signal_init(void);
/* Gives this thread an alternate signal stack and names its CPU. */
int host_signal_init_thread(CPUState *cpu);
/* Before a guest thread's host thread ends (host signals blocked). */
void host_signal_exit_thread(void);

/* The host signal (SIGSEGV or SIGBUS) of the last host fault turned into
 * a guest exception on this thread, or 0; reading it clears it. */
int host_signal_take_fault(void);

#endif
