/*
 * riscv-cpu-state.h — the "cpu" section of the machine state (one per hart;
 * see migration/vmstate.h): obj is a RISCVCPU.
 */
#ifndef MIMIC_SYSTEM_RISCV_CPU_STATE_H
#define MIMIC_SYSTEM_RISCV_CPU_STATE_H

#include "migration/stream.h"
#include "target/riscv64/cpu.h"

#define RISCV_CPU_STATE_VERSION 1
void riscv_cpu_state_save(void *obj, MigWriter *w);
int riscv_cpu_state_load(void *obj, MigReader *r, uint32_t version, char *err, size_t errlen);

#endif
