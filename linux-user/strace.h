/*
 * strace.h — the -strace log of guest system calls and signals, in the
 * format of qemu-user's -strace.
 *
 * The one thing to know: arguments are decoded from the SyscallDef's
 * letters before the call (so output buffers show as pointers); a guest
 * pointer is read only through guest_copy_*(), and a bad one prints as a
 * number.
 */
#ifndef LINUX_USER_STRACE_H
#define LINUX_USER_STRACE_H

#include "linux-user/syscall.h"

void strace_print_call(const SyscallDef *def, uint64_t nr, const uint64_t a[6]);
void strace_print_result(const SyscallDef *def, int64_t ret);
/* "--- SIGSEGV {si_signo=SIGSEGV, si_code=1, si_addr=0x10} ---" */
void strace_print_signal(int sig, const GuestSiginfo *info);

#endif
