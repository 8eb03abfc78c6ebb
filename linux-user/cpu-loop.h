/*
 * cpu-loop.h — the per-guest-ISA CPU loops of linux-user.
 *
 * The one thing to know: a CPU loop never returns; the guest leaves only
 * through exit/exit_group or a fatal signal.
 */
#ifndef LINUX_USER_CPU_LOOP_H
#define LINUX_USER_CPU_LOOP_H

#include "linux-user/syscall.h"
#include "target/riscv64/cpu.h"

/* t->cpu is the RISCVCPU's cs, with pc and sp set. */
__attribute__((noreturn)) void riscv_cpu_loop(LinuxTask *t);

#endif
