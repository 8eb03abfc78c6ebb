/*
 * codegen.h — what the x86-64 backend's files share: the pinned registers,
 * the frame layout and the fault-site table kept with each TB.
 *
 * The one thing to know: while translated code runs, rbp holds env, r14
 * guest_base and r13 guest_limit; every other register belongs to the
 * allocator, and a fault site records which of them hold guest registers
 * that have not been written back yet.
 */
#ifndef MIMIC_BACKEND_X86_64_CODEGEN_H
#define MIMIC_BACKEND_X86_64_CODEGEN_H

#include "emit.h"

#define REG_ENV RBP
#define REG_GUEST_BASE R14
#define REG_GUEST_LIMIT R13

#define NB_ALLOC_REGS 12
#define MAX_SPILL_SLOTS 512
/* The top 17 slots are reserved: one per host register for saving it
 * around a leaf call, and one for the call's result. */
#define SAVE_SLOT(reg) (MAX_SPILL_SLOTS - 16 + (reg))
#define RESULT_SLOT (MAX_SPILL_SLOTS - 17)
#define LOCAL_SPILL_SLOTS (MAX_SPILL_SLOTS - 17)
/* Bytes below the saved registers: spill slots, keeping rsp 16-aligned. */
#define FRAME_SIZE (8 + 8 * MAX_SPILL_SLOTS)

/* A guest memory access in translated code that may fault. */
typedef struct FaultSite {
    uint32_t host_start, host_end; /* offsets of the access from tb->code */
    uint64_t guest_pc;
    uint8_t nb_regs;
    uint8_t reg[NB_ALLOC_REGS];    /* host register ... */
    uint8_t global[NB_ALLOC_REGS]; /* ... holding this not-yet-written global */
} FaultSite;

typedef struct JitTBData {
    uint32_t nb_sites;
    FaultSite sites[];
} JitTBData;

/* Shared code at the start of the code buffer (backend.c). */
typedef struct JitStubs {
    uintptr_t prologue;       /* uintptr_t fn(CPUState *env, const void *code) */
    uintptr_t epilogue;       /* return rax to the caller of the prologue */
    uintptr_t return_nochain; /* return TB_EXIT_NOCHAIN */
} JitStubs;

extern JitStubs jit_stubs;

/* Host CPU features the code generator relies on. */
extern bool host_has_lzcnt, host_has_bmi1, host_has_popcnt;

int jit_gen_block(TranslationBlock *tb, IRBlock *b);
/* Called by goto_ptr code: the host code for env->pc, or return_nochain. */
const void *jit_lookup_code(CPUState *cpu);

#endif
