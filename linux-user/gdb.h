/*
 * gdb.h — user mode's gdb stub (linux-user/gdb.c).
 */
#ifndef LINUX_USER_GDB_H
#define LINUX_USER_GDB_H

#include "mimic/exec.h"

/* Listens on spec (a port or tcp:HOST:PORT), waits for gdb and serves it
 * until it resumes cpu; -1 if it cannot listen. */
int gdb_user_start(const char *spec, CPUState *cpu);
/* The exec loop returned EXCP_DEBUG for cpu: report and serve. */
void gdb_user_debug_stop(CPUState *cpu);
/* After any exit from translated code: a Ctrl-C from gdb stops cpu here. */
void gdb_user_poll(CPUState *cpu);
/* The process exits with status (reported to gdb as W). */
void gdb_user_exit(int status);

#endif
