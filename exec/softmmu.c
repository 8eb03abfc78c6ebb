/*
 * softmmu.c — the generic part of the system-mode soft MMU: flushing a
 * TLB and unwinding translated code for an exception raised by a slow path.
 */
#include <string.h>

#include "exec-internal.h"
#include "mimic/softmmu.h"

void softmmu_tlb_flush(SoftTLB *tlb)
{
    memset(tlb, 0xff, sizeof(*tlb)); /* every compare value SOFTMMU_INVALID */
}

void exec_softmmu_unwind(CPUState *cpu, uintptr_t retaddr)
{
    const Backend *be = exec_config()->backend;
    if (retaddr && be->unwind_softmmu) {
        be->unwind_softmmu(cpu, retaddr);
    }
}
