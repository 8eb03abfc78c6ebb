/*
 * riscv-virt-gdb.h — the virt machine's gdb stub (riscv-virt-gdb.c).
 */
#ifndef MIMIC_SYSTEM_RISCV_VIRT_GDB_H
#define MIMIC_SYSTEM_RISCV_VIRT_GDB_H

#include <stdbool.h>
#include <stddef.h>

#include "system/riscv-virt.h"

typedef struct VirtGdb VirtGdb;

/* Listens for gdb on spec (tcp::PORT, tcp:HOST:PORT, unix:PATH) in the
 * machine's I/O thread; after virt_create, before virt_run. -1 with err. */
int virt_gdb_start(VirtMachine *m, const char *spec, char *err, size_t errlen);
/* After virt_run: closes the connection and frees the stub. */
void virt_gdb_stop(VirtMachine *m);
/* At the top of a hart's loop (lock held): if gdb keeps this hart stopped
 * while others run (vCont naming threads), waits until the machine stops
 * or gdb lets it go, and returns true (the caller looks again). */
bool virt_gdb_hold(VirtMachine *m, unsigned hart);
/* A hart's exec loop returned EXCP_DEBUG (lock not held): stops the
 * machine for the debugger. */
void virt_gdb_debug_exit(VirtMachine *m, unsigned hart);

#endif
