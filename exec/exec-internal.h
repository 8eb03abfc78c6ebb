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

void tb_cache_insert(TranslationBlock *tb);
void tb_chain(TranslationBlock *from, unsigned slot, TranslationBlock *to);
void host_disas_log(const TranslationBlock *tb);

#endif
