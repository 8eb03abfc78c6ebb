/*
 * exec.h — translated blocks, the exec loop, and the contracts between the
 * generic core, a guest frontend (TargetInfo) and a host backend (Backend).
 *
 * The one thing to know: translated code runs with env = (CPUState *), the
 * first member of every guest CPU structure, and leaves a block either
 * through a chain slot (which exec/ may patch to jump straight to the next
 * block) or by returning an exit code (Excp) to exec_cpu_loop().
 */
#ifndef MIMIC_EXEC_H
#define MIMIC_EXEC_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mimic/ir.h"

/* Why translated code returned to the exec loop. */
typedef enum Excp {
    EXCP_NONE = 0,     /* just look up the next block at env->pc */
    EXCP_SYSCALL,      /* guest system call (ecall) at env->pc */
    EXCP_BREAKPOINT,   /* ebreak */
    EXCP_ILLEGAL,      /* illegal instruction at env->pc */
    EXCP_FLUSH,        /* fence.i: drop all translations, continue at env->pc */
    EXCP_SEGV,         /* bad guest access: fault_addr, fault_code (SEGV_*) */
    EXCP_BUS,          /* misaligned atomic: fault_addr */
    EXCP_FETCH_FAULT,  /* could not read the instruction at env->pc */
    EXCP_INTERRUPT,    /* exit_request was set */
    EXCP_HALT,         /* system mode: wfi, wait for an interrupt */
    EXCP_DEBUG,        /* debugger: breakpoint at env->pc, or a single step done */
} Excp;

struct TranslationBlock;
struct TargetInfo;

/* Generic part of every guest CPU; the guest structure starts with it. */
typedef struct CPUState {
    uint64_t pc;
    uint32_t exit_code;            /* Excp, written by exit_tb / faults */
    volatile int32_t exit_request; /* nonzero: leave translated code soon */
    uint64_t fault_addr;
    int32_t fault_code;            /* si_code for SEGV/BUS */
    volatile int32_t in_helper_access; /* a helper is touching guest memory;
                                          env->pc names the instruction */
    const struct TargetInfo *target;
    sigjmp_buf *fault_jmp;         /* where a host fault in guest code lands */
    void *opaque;                  /* owner's per-CPU data (linux-user task) */
    bool running;                  /* inside exec_cpu_loop (exec/cpus.c) */
    struct CPUState *next_cpu;     /* list of registered CPUs */
    /* System mode: this CPU's own jump cache, entries holding the whole
     * key (exec/tb-cache.c); NULL in user mode. */
    struct TBJumpEntry *tb_jc;
    /* Debugger single step (exec/debug.c): EXEC_STEP_REQUEST runs one
     * instruction, then the exec loop returns EXCP_DEBUG. */
    uint8_t debug_step;
    /* The watchpoint the last debug stop hit (EXEC_WATCH_* of the
     * watchpoint, 0: none) and the address accessed. */
    uint8_t debug_watch_flags;
    uint64_t debug_watch_addr;
} CPUState;

enum { EXEC_STEP_NONE, EXEC_STEP_REQUEST, EXEC_STEP_DONE };

/* Bytes the backend may use as a guest memory window: guest addresses in
 * [0, guest_limit) map to host guest_base + addr. Set by the owner (linux-user)
 * before any translation. */
extern uintptr_t guest_base;
extern uint64_t guest_limit;

static inline void *g2h(uint64_t addr)
{
    return (void *)(guest_base + (uintptr_t)addr);
}

/* What a guest frontend provides. */
typedef struct TranslateRequest {
    CPUState *cpu;
    IRBlock *b;
    uint64_t pc;          /* first instruction */
    unsigned max_insns;   /* stop after this many (1 for single-step) */
} TranslateRequest;

/* What a translation is looked up by. In user mode phys = pc and flags = 0;
 * in system mode phys is the physical address of pc and flags the CPU state
 * the code was translated for (privilege, MMU mode...). */
typedef struct TBKey {
    uint64_t pc;
    uint64_t phys;
    uint32_t flags;
} TBKey;

typedef struct TargetInfo {
    const char *name;                 /* "riscv64" */
    const IRGlobalDef *globals;       /* global temps, registered in every IRBlock */
    unsigned nb_globals;
    /* Emits IR for one block at req->pc; returns the guest bytes covered
     * (> 0). Reads code with exec_read_code(); if the first instruction is
     * unreadable it emits exit_tb(EXCP_FETCH_FAULT). */
    uint32_t (*translate)(const TranslateRequest *req);
    void (*dump_state)(const CPUState *cpu, FILE *f);
    /* Disassembles the instruction at pc into buf; returns its length in
     * bytes, or 0 if it cannot be read. */
    unsigned (*disas)(uint64_t pc, char *buf, size_t buflen);
    /* System mode (NULL in user mode): fills the lookup key for cpu->pc.
     * Returns false after raising a guest exception instead (pc changed:
     * the exec loop just looks again). */
    bool (*tb_key)(CPUState *cpu, TBKey *key);
} TargetInfo;

/* Reads len bytes of guest code; false if any byte is not mapped readable
 * and executable. Implemented by the owner of guest memory (linux-user). */
bool exec_read_code(uint64_t addr, void *dst, size_t len);

/* Translated block. */
#define TB_NO_OFFSET UINT32_MAX
/* A block's code lies in one guest page, plus the next for an instruction
 * that straddles the boundary. */
#define TB_MAX_PAGES 2

typedef struct TranslationBlock {
    uint64_t pc;
    uint64_t phys;                 /* TBKey.phys and .flags */
    uint32_t flags;
    uint32_t size;                 /* guest bytes */
    uint32_t nb_insns;
    void *code;                    /* JIT: executable entry; interp: IRBlock * */
    uint32_t code_size;
    bool invalid;
    struct TranslationBlock *hash_next;
    /* Chaining. jmp_patch[n]: offset of the slot-n jump's patchable field;
     * jmp_reset[n]: offset of its unchained target (the exit path). */
    uint32_t jmp_patch[IR_NB_CHAIN_SLOTS];
    uint32_t jmp_reset[IR_NB_CHAIN_SLOTS];
    struct TranslationBlock *jmp_dest[IR_NB_CHAIN_SLOTS];
    /* Incoming chained jumps: singly linked list of (tb | slot) values,
     * threaded through the source TBs' jmp_next[slot]. */
    uintptr_t jmp_incoming;
    uintptr_t jmp_next[IR_NB_CHAIN_SLOTS];
    /* Backend-private data (JIT: the fault-site table that maps host code
     * back to guest pc and registers). */
    void *backend_data;
    /* System mode: the physical pages the code came from (page numbers),
     * and the links of exec/code-pages.c's per-page lists. */
    unsigned nb_pages;
    uint64_t page_addr[TB_MAX_PAGES];
    uintptr_t page_next[TB_MAX_PAGES];
} TranslationBlock;

/* Value returned by Backend.exec: the TB that exited (or 0) in the high bits
 * and, in the low three bits (TBs are malloc'd, so 8-aligned), its chain
 * slot or TB_EXIT_NOCHAIN. */
enum {
    TB_EXIT_SLOT0 = 0,
    TB_EXIT_SLOT1 = 1,
    TB_EXIT_NOCHAIN = 7,  /* env->exit_code says why */
    TB_EXIT_MASK = 7,
};
_Static_assert(IR_NB_CHAIN_SLOTS <= TB_EXIT_NOCHAIN, "chain slots fit below TB_EXIT_NOCHAIN");

enum { BACKEND_GEN_FULL = -1, BACKEND_GEN_TOO_BIG = -2 };

/* What a host backend provides. */
typedef struct Backend {
    const char *name;
    /* Generates code for b (optimized, liveness done) into tb; 0 on success,
     * BACKEND_GEN_FULL if the code buffer is full (exec/ flushes everything
     * and retries), BACKEND_GEN_TOO_BIG if the block needs more registers or
     * spill slots than the backend has (exec/ retranslates a shorter block). */
    int (*gen)(TranslationBlock *tb, IRBlock *b);
    /* Runs tb (and whatever it chains to). */
    uintptr_t (*exec)(CPUState *cpu, TranslationBlock *tb);
    /* Points chain slot `slot` of tb at dest's code, or back at its exit
     * path when dest is NULL. */
    void (*chain)(TranslationBlock *tb, unsigned slot, TranslationBlock *dest);
    /* After a host fault at host_pc inside tb's code: writes the guest state
     * (pc and every register held in a host register) back into cpu from
     * the signal context uc. Returns false if host_pc is not in tb. */
    bool (*restore_state)(CPUState *cpu, TranslationBlock *tb, uintptr_t host_pc, void *uc);
    /* Frees backend data of a TB dropped by a flush (may be NULL). */
    void (*free_tb)(TranslationBlock *tb);
    /* Drops all generated code (full flush). */
    void (*reset)(void);
    /* System mode: a soft-MMU slow path called from translated code at
     * host return address retaddr is about to raise a guest exception;
     * writes the guest pc and registers back into cpu (NULL: the backend
     * keeps them exact in env, as the interpreter does). */
    void (*unwind_softmmu)(CPUState *cpu, uintptr_t retaddr);
} Backend;

extern const Backend backend_x86_64;
extern const Backend backend_interp;

/* Configuration of the exec core, set once before exec_cpu_loop(). */
typedef struct ExecConfig {
    const Backend *backend;
    const TargetInfo *target;
    unsigned max_insns;       /* per block; 0 = default */
    bool no_chain;            /* never chain blocks (debugging) */
    bool no_opt;              /* skip the IR optimizer (debugging) */
    bool validate_ir;         /* check every block's IR (the test suite: MIMIC_VALIDATE_IR=1) */
    /* Optional: the owner's lock on guest mappings, taken around each
     * translation (before tb_lock) so that pages cannot change under the
     * translator. */
    void (*memory_lock)(void);
    void (*memory_unlock)(void);
    /* System mode: guest loads and stores go through this soft MMU
     * (mimic/softmmu.h) instead of the guest_base window. */
    const struct SoftMMUOps *softmmu;
} ExecConfig;

void exec_init(const ExecConfig *cfg);
const ExecConfig *exec_config(void);

/* Runs translated code until it exits with something other than EXCP_NONE
 * or EXCP_FLUSH; returns that Excp (env->pc is the instruction concerned). */
Excp exec_cpu_loop(CPUState *cpu);

/* Threads (exec/cpus.c). Each guest thread has its own CPUState and runs
 * exec_cpu_loop() on its own host thread; the translation cache is shared.
 * A CPU must be registered before its first exec_cpu_loop(). A thread that
 * leaves exec_cpu_loop() by siglongjmp (a guest fault) calls exec_cpu_end()
 * before doing anything else; it is harmless when not running. */
void exec_cpu_register(CPUState *cpu);
/* Returns true if no registered CPU is left. */
bool exec_cpu_unregister(CPUState *cpu);
void exec_cpu_start(CPUState *cpu);
void exec_cpu_end(CPUState *cpu);
/* Stops every running CPU (they wait in exec_cpu_start until
 * exec_end_exclusive); the caller must not be running. */
void exec_start_exclusive(void);
void exec_end_exclusive(void);
/* Sets exit_request on every registered CPU (from any thread). */
void exec_cpu_kick_all(void);
/* Around fork(): the world is stopped and the cache locked, so the child
 * gets consistent tables; in the child only self remains registered. */
void exec_fork_prepare(void);
void exec_fork_finish(CPUState *self, bool child);

/* Looks up an existing translation of pc (no translating); NULL if none.
 * exec_tb_lookup is for user mode (phys = pc, flags 0). */
TranslationBlock *exec_tb_lookup(uint64_t pc);
TranslationBlock *exec_tb_lookup_key(const TBKey *key);
/* The translation to run next for cpu->pc (goto_ptr): in system mode the
 * key comes from TargetInfo.tb_key, and NULL is returned when that raised
 * an exception (pc now names the handler) or nothing is translated yet. */
TranslationBlock *exec_tb_lookup_cpu(CPUState *cpu);

/* The jump cache: a direct-mapped table of recently used TBs in front of
 * the hash table. The JIT reads it inline for indirect jumps, so its index
 * function is part of the interface: backend/x86_64 computes the same
 * thing (gen_goto_ptr); change both together. An entry is NULL or a valid
 * TB; invalidation and flushes clear entries. */
#define EXEC_JMP_CACHE_BITS 14
#define EXEC_JMP_CACHE_SIZE (1u << EXEC_JMP_CACHE_BITS)
extern TranslationBlock *exec_jmp_cache[EXEC_JMP_CACHE_SIZE];
static inline uint32_t exec_jmp_cache_index(uint64_t pc)
{
    return (uint32_t)((pc >> 1) ^ (pc >> (1 + EXEC_JMP_CACHE_BITS))) & (EXEC_JMP_CACHE_SIZE - 1);
}
/* A CPU's jump cache in system mode: indexed like exec_jmp_cache, one
 * per CPU so harts do not fight over cache lines, and holding the key so a
 * hit reads no TB. Written by its CPU only; invalidation clears tb. */
typedef struct TBJumpEntry {
    uint64_t pc, phys;
    uint32_t flags;
    struct TranslationBlock *tb;
} TBJumpEntry;

/* Drops every translation (fence.i, and when the code buffer fills). Stops
 * the world first; the caller must not be inside exec_cpu_loop. */
void exec_tb_flush(void);
/* Drops the translations that cover guest bytes [start, end). */
void exec_tb_invalidate_range(uint64_t start, uint64_t end);
/* Finds the TB whose host code contains host_pc (JIT only); NULL if none. */
TranslationBlock *exec_tb_find_by_host_pc(uintptr_t host_pc);

/* Called from a host SIGSEGV/SIGBUS handler: if the fault happened in
 * translated code or in a helper marked with in_helper_access, records the
 * guest fault in cpu and longjmps to cpu->fault_jmp; returns otherwise. */
void exec_handle_host_fault(CPUState *cpu, uintptr_t host_pc, uint64_t host_addr, int si_code,
                            void *uc);

/* Debugger breakpoints (exec/debug.c), shared by every CPU. The exec loop
 * returns EXCP_DEBUG before running an instruction at a breakpoint, and
 * blocks are translated to end before one; inserting or removing one drops
 * the translations of its address. Checked at translation time and in the
 * C loop only: translated code does not pay for them. */
#define EXEC_MAX_BREAKPOINTS 64
/* False if the table is full. Inserting an existing one is no error. */
bool exec_breakpoint_insert(uint64_t pc);
/* False if there was none at pc. */
bool exec_breakpoint_remove(uint64_t pc);
void exec_breakpoint_remove_all(void);
bool exec_breakpoint_at(uint64_t pc);

/* Debugger watchpoints (exec/debug.c), on guest virtual addresses. Only
 * soft-MMU slow paths look at them (system mode): the owner of the TLBs
 * flushes them after a change, and a TLB fill of a page that holds a
 * watchpoint leaves its read and write entries invalid, so every access
 * to that page takes the slow path. */
#define EXEC_MAX_WATCHPOINTS 16
enum { EXEC_WATCH_READ = 1, EXEC_WATCH_WRITE = 2 };
bool exec_watchpoint_insert(uint64_t addr, uint64_t len, unsigned flags);
bool exec_watchpoint_remove(uint64_t addr, uint64_t len, unsigned flags);
void exec_watchpoint_remove_all(void);
/* True if a watchpoint lies on [page, page + size). */
bool exec_watchpoint_on_page(uint64_t page, uint64_t size);
/* A slow path (called from translated code at retaddr) is about to access
 * [addr, addr + len). On a watchpoint hit outside a single step, the
 * instruction is unwound and restarted as a single step (leaving through
 * cpu->fault_jmp), so the debugger stops right after it with the hit in
 * debug_watch_*; within a step the hit is only recorded. */
void exec_watchpoint_check(CPUState *cpu, uint64_t addr, unsigned len, bool write,
                           uintptr_t retaddr);

/* Code buffer (exec/code-buffer.c): the only place that knows about W^X.
 * Code is written through the writable view and run from the executable
 * view; the two are the same memory mapped twice. */
typedef struct CodeBuffer {
    uint8_t *rw;        /* writable view */
    uint8_t *rx;        /* executable view */
    size_t size;
    size_t used;
} CodeBuffer;

extern CodeBuffer code_buffer;
int code_buffer_init(size_t size);
/* After fork(), in the child: a private copy of the code at the same addresses. */
int code_buffer_after_fork(void);
static inline uint8_t *code_rx_of(const uint8_t *rw_ptr)
{
    return code_buffer.rx + (rw_ptr - code_buffer.rw);
}
static inline uint8_t *code_rw_of(const void *rx_ptr)
{
    return code_buffer.rw + ((const uint8_t *)rx_ptr - code_buffer.rx);
}
static inline bool code_buffer_contains(uintptr_t rx_addr)
{
    return rx_addr >= (uintptr_t)code_buffer.rx &&
           rx_addr < (uintptr_t)code_buffer.rx + code_buffer.size;
}

#endif
