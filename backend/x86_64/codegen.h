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
    uint32_t unchecked_entry; /* offset of the code after the entry check */
    uint32_t nb_sites;
    FaultSite sites[];
} JitTBData;

/* The out-of-line slow path of one fp op (codegen-fp.c): the jumps into
 * it, where it returns to, and the register state it must keep. */
#define FP_MAX_JUMPS 4
/* FP values the fast paths computed stay in xmm4..xmm15 as mirrors of the
 * GPR they were written to, so the next fp op reads them from there
 * instead of moving them back from the GPR (see codegen-fp.c). */
#define FP_FIRST_MIRROR 4
#define FP_NB_MIRRORS 12

typedef struct FpSlowPath {
    uint8_t *jumps[FP_MAX_JUMPS]; /* rel32 fields to patch */
    unsigned nb_jumps;
    uint8_t *range_jump;          /* the result check's jump, or NULL */
    int tmp;                      /* the fast path's scratch register */
    uintptr_t resume;             /* rx address after the fast path */
    const IRFpEnv *fe;
    uint64_t desc;
    int ro;                       /* register of the result */
    uint16_t save;                /* caller-saved registers holding values */
    uint64_t guest_pc;            /* IR_FP_FAULTS: stored to env->pc, and */
    uint8_t nb_sync;              /* the dirty globals to write back */
    uint8_t sync_reg[NB_ALLOC_REGS];
    int32_t sync_off[NB_ALLOC_REGS];
    uint8_t nb_remat;             /* xmm mirrors to refill from their GPRs */
    uint8_t remat_xmm[FP_NB_MIRRORS], remat_gpr[FP_NB_MIRRORS];
} FpSlowPath;

unsigned jit_fp_nb_inputs(uint64_t desc);
/* The inline part: operands in in[] (or, where in_xmm[i] >= 0, the same
 * value in that xmm register), result to ro (and to xmm out_xmm unless
 * -1), tmp a scratch GPR; records its exits to the slow path in sp (desc,
 * fe and the mirrors to refill already set). */
void jit_fp_emit_fast(Emitter *e, const int *in, const int *in_xmm, int ro, int out_xmm, int tmp,
                      FpSlowPath *sp);
/* Whether the fast path leaves an FP result in its result register (the
 * arithmetic and the conversions from integers), which a mirror can keep. */
bool jit_fp_result_in_xmm(uint64_t desc);
/* The slow path, after the block's code: call the fallback, jump back. */
void jit_fp_emit_slow(Emitter *e, const FpSlowPath *sp);

/* System mode (codegen-softmmu.c): the shared slow-path thunk, written
 * with the stubs; the inline probe of one load (rv = result) or store
 * (rv = value) at the address in ra; unwinding for a raising slow path. */
void jit_softmmu_gen_thunk(Emitter *e);
void jit_softmmu_emit(Emitter *e, int ra, int rv, uint64_t memop, bool store);
/* System-mode indirect jump: the inline probe of the code TLB and the
 * CPU's jump cache; falls through to the caller's miss path. */
void jit_softmmu_emit_goto_ptr(Emitter *e, uint32_t tb_flags);
void jit_unwind_softmmu(CPUState *cpu, uintptr_t retaddr);

/* Index of each x86 register in ucontext_t's gregs (backend.c). */
extern const int jit_ucontext_index[16];

/* Shared code at the start of the code buffer (backend.c). */
typedef struct JitStubs {
    uintptr_t prologue;       /* uintptr_t fn(CPUState *env, const void *code) */
    uintptr_t epilogue;       /* return rax to the caller of the prologue */
    uintptr_t return_nochain; /* return TB_EXIT_NOCHAIN */
} JitStubs;

extern JitStubs jit_stubs;

/* Host CPU features the code generator relies on. */
extern bool host_has_lzcnt, host_has_bmi1, host_has_popcnt;
extern bool host_has_fma; /* FMA3 with the AVX state enabled by the OS */

int jit_gen_block(TranslationBlock *tb, IRBlock *b);
/* Called by goto_ptr code: the host code for env->pc, or return_nochain. */
const void *jit_lookup_code(CPUState *cpu);

#endif
