/*
 * exec-internal.h — what the files of exec/ share and nobody else needs.
 */
#ifndef MIMIC_EXEC_INTERNAL_H
#define MIMIC_EXEC_INTERNAL_H

#include "mimic/exec.h"

typedef struct ExecStats {
    uint64_t blocks_translated;
    uint64_t guest_insns_translated;
    uint64_t translate_ns;
    uint64_t chains;
    uint64_t invalidations;
    uint64_t flushes;
    uint64_t loop_entries;
} ExecStats;

extern ExecStats exec_stats;
/* Incremented by every flush: a TB pointer from before a flush is stale. */
extern uint64_t exec_flush_generation;

/* The lock on the TB cache (hash table, TB list, chaining, code buffer
 * and the translator's scratch state); recursive. */
void tb_lock(void);
void tb_unlock(void);
/* In a fork child, instead of tb_unlock(). */
void tb_lock_after_fork_child(void);
/* Looks key up through cpu's own jump cache (system mode) or the shared
 * one, then the hash table. */
TranslationBlock *tb_lookup_for_cpu(CPUState *cpu, const TBKey *key);
/* Gives cpu its own jump cache in system mode (at registration). */
void tb_jump_cache_alloc(CPUState *cpu);
/* Looks key up in the hash table only (tb_lock held). */
TranslationBlock *tb_hash_lookup(const TBKey *key);
/* Frees every TB and restarts the code buffer (world stopped). */
void tb_flush_locked(void);
void tb_cache_insert(TranslationBlock *tb);
/* Keeps tb for host-pc lookups and the next flush only: nobody finds it
 * by key (a debugger's single-step block). */
void tb_cache_keep(TranslationBlock *tb);
/* debug.c: how many breakpoints are set. */
unsigned exec_breakpoint_count(void);
unsigned exec_watchpoint_count(void);
void tb_chain(TranslationBlock *from, unsigned slot, TranslationBlock *to);
void host_disas_log(const TranslationBlock *tb);
/* Unhooks tb from lookups and chains; its code stays until a flush
 * (tb_lock held). */
void tb_invalidate_locked(TranslationBlock *tb);
/* code-pages.c: a translation starts (forget the pages read so far);
 * a translated TB joins the lists of the pages it read; a flush forgets
 * every page (all under tb_lock). */
void tb_pages_begin(void);
void tb_pages_link(TranslationBlock *tb);
void tb_pages_reset(void);
/* Calls fn for every registered CPU (under the CPU list's lock). */
void exec_cpu_foreach(void (*fn)(CPUState *cpu, void *opaque), void *opaque);

#endif
