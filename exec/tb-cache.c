/*
 * tb-cache.c — the translated-block cache: hashed lookup by guest pc, a
 * direct-mapped jump cache in front of it, chaining bookkeeping with
 * back-links, invalidation of ranges and full flushes.
 *
 * The one thing to know: TBs are allocated in code-buffer order and kept in
 * an array (all_tbs) in that order, so the TB holding a host pc is found by
 * binary search; a flush frees every TB and restarts the code buffer, with
 * every other CPU stopped (exec/cpus.c). Everything here is under tb_lock
 * except the jump-cache probe: its entries are single pointer stores, and
 * a TB is only freed by a flush, when no CPU runs.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "exec-internal.h"

#define TB_HASH_BITS 16
#define TB_HASH_SIZE (1u << TB_HASH_BITS)

static TranslationBlock *tb_hash[TB_HASH_SIZE];
TranslationBlock *exec_jmp_cache[EXEC_JMP_CACHE_SIZE];
static TranslationBlock **all_tbs;
static size_t nb_tbs, cap_tbs;
ExecStats exec_stats;
static pthread_mutex_t tb_mutex = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

void tb_lock(void)
{
    pthread_mutex_lock(&tb_mutex);
}

void tb_unlock(void)
{
    pthread_mutex_unlock(&tb_mutex);
}

void tb_lock_after_fork_child(void)
{
    /* A recursive mutex is owned by the parent's thread id, which is not
     * ours in the child: unlocking would fail, so start a fresh one. */
    pthread_mutex_t fresh = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
    tb_mutex = fresh;
}

static inline uint32_t tb_hash_pc(uint64_t pc)
{
    uint64_t h = (pc >> 1) * 0x9e3779b97f4a7c15ull;
    return (uint32_t)(h >> (64 - TB_HASH_BITS));
}

static inline bool tb_matches(const TranslationBlock *tb, const TBKey *key)
{
    return tb->pc == key->pc && tb->phys == key->phys && tb->flags == key->flags;
}

TranslationBlock *tb_hash_lookup(const TBKey *key)
{
    for (TranslationBlock *tb = tb_hash[tb_hash_pc(key->pc)]; tb; tb = tb->hash_next) {
        if (tb_matches(tb, key)) {
            return tb;
        }
    }
    return NULL;
}

TranslationBlock *exec_tb_lookup_key(const TBKey *key)
{
    uint32_t j = exec_jmp_cache_index(key->pc);
    TranslationBlock *tb = __atomic_load_n(&exec_jmp_cache[j], __ATOMIC_ACQUIRE);
    if (tb && tb_matches(tb, key)) {
        return tb;
    }
    tb_lock();
    tb = tb_hash_lookup(key);
    if (tb) {
        __atomic_store_n(&exec_jmp_cache[j], tb, __ATOMIC_RELEASE);
    }
    tb_unlock();
    return tb;
}

TranslationBlock *exec_tb_lookup(uint64_t pc)
{
    TBKey key = { pc, pc, 0 };
    return exec_tb_lookup_key(&key);
}

TranslationBlock *tb_lookup_for_cpu(CPUState *cpu, const TBKey *key)
{
    TBJumpEntry *jc = cpu->tb_jc;
    if (!jc) {
        return exec_tb_lookup_key(key);
    }
    TBJumpEntry *e = &jc[exec_jmp_cache_index(key->pc)];
    TranslationBlock *tb = __atomic_load_n(&e->tb, __ATOMIC_ACQUIRE);
    if (tb && e->pc == key->pc && e->phys == key->phys && e->flags == key->flags) {
        return tb;
    }
    tb_lock();
    tb = tb_hash_lookup(key);
    if (tb) {
        e->pc = key->pc;
        e->phys = key->phys;
        e->flags = key->flags;
        __atomic_store_n(&e->tb, tb, __ATOMIC_RELEASE);
    }
    tb_unlock();
    return tb;
}

TranslationBlock *exec_tb_lookup_cpu(CPUState *cpu)
{
    const TargetInfo *t = exec_config()->target;
    TBKey key = { cpu->pc, cpu->pc, 0 };
    if (t->tb_key && !t->tb_key(cpu, &key)) {
        return NULL;
    }
    return tb_lookup_for_cpu(cpu, &key);
}

void tb_jump_cache_alloc(CPUState *cpu)
{
    if (exec_config()->softmmu && !cpu->tb_jc) {
        cpu->tb_jc = calloc(EXEC_JMP_CACHE_SIZE, sizeof(TBJumpEntry));
        if (!cpu->tb_jc) {
            abort();
        }
    }
}

/* Drops tb from cpu's own jump cache (tb_lock held). */
static void tb_jump_cache_forget(CPUState *cpu, void *opaque)
{
    TranslationBlock *tb = opaque;
    if (cpu->tb_jc) {
        TBJumpEntry *e = &cpu->tb_jc[exec_jmp_cache_index(tb->pc)];
        __atomic_compare_exchange_n(&e->tb, &(TranslationBlock *){ tb }, NULL, false,
                                    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
    }
}

static void tb_jump_cache_clear(CPUState *cpu, void *opaque)
{
    if (cpu->tb_jc) {
        memset(cpu->tb_jc, 0, EXEC_JMP_CACHE_SIZE * sizeof(TBJumpEntry));
    }
}

void tb_cache_insert(TranslationBlock *tb)
{
    uint32_t h = tb_hash_pc(tb->pc);
    tb->hash_next = tb_hash[h];
    tb_hash[h] = tb;
    __atomic_store_n(&exec_jmp_cache[exec_jmp_cache_index(tb->pc)], tb, __ATOMIC_RELEASE);
    tb_cache_keep(tb);
}

void tb_cache_keep(TranslationBlock *tb)
{
    if (nb_tbs == cap_tbs) {
        cap_tbs = cap_tbs ? cap_tbs * 2 : 1024;
        all_tbs = realloc(all_tbs, cap_tbs * sizeof(*all_tbs));
        if (!all_tbs) {
            abort();
        }
    }
    all_tbs[nb_tbs++] = tb;
}

TranslationBlock *exec_tb_find_by_host_pc(uintptr_t host_pc)
{
    tb_lock();
    TranslationBlock *found = NULL;
    size_t lo = 0, hi = nb_tbs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        TranslationBlock *tb = all_tbs[mid];
        uintptr_t start = (uintptr_t)tb->code;
        if (host_pc < start) {
            hi = mid;
        } else if (host_pc >= start + tb->code_size) {
            lo = mid + 1;
        } else {
            found = tb;
            break;
        }
    }
    tb_unlock();
    return found;
}

void tb_chain(TranslationBlock *from, unsigned slot, TranslationBlock *to)
{
    if (from->jmp_dest[slot] || from->jmp_patch[slot] == TB_NO_OFFSET || from->invalid ||
        to->invalid) {
        return;
    }
    from->jmp_dest[slot] = to;
    from->jmp_next[slot] = to->jmp_incoming;
    to->jmp_incoming = (uintptr_t)from | slot;
    exec_config()->backend->chain(from, slot, to);
    exec_stats.chains++;
}

/* Removes (from, slot) from dest's list of incoming jumps. */
static void tb_unlink_incoming(TranslationBlock *dest, TranslationBlock *from, unsigned slot)
{
    uintptr_t want = (uintptr_t)from | slot;
    uintptr_t *link = &dest->jmp_incoming;
    while (*link) {
        TranslationBlock *src = (TranslationBlock *)(*link & ~(uintptr_t)TB_EXIT_MASK);
        unsigned s = *link & TB_EXIT_MASK;
        if (*link == want) {
            *link = src->jmp_next[s];
            return;
        }
        link = &src->jmp_next[s];
    }
}

void tb_invalidate_locked(TranslationBlock *tb)
{
    const Backend *be = exec_config()->backend;
    if (tb->invalid) {
        return;
    }
    tb->invalid = true;
    TranslationBlock **link = &tb_hash[tb_hash_pc(tb->pc)];
    while (*link && *link != tb) {
        link = &(*link)->hash_next;
    }
    if (*link) {
        *link = tb->hash_next;
    }
    uint32_t j = exec_jmp_cache_index(tb->pc);
    __atomic_compare_exchange_n(&exec_jmp_cache[j], &(TranslationBlock *){ tb }, NULL, false,
                                __ATOMIC_RELEASE, __ATOMIC_RELAXED);
    if (exec_config()->softmmu) {
        exec_cpu_foreach(tb_jump_cache_forget, tb);
    }
    /* Jumps into this TB go back to their exit paths. */
    for (uintptr_t in = tb->jmp_incoming; in;) {
        TranslationBlock *src = (TranslationBlock *)(in & ~(uintptr_t)TB_EXIT_MASK);
        unsigned s = in & TB_EXIT_MASK;
        in = src->jmp_next[s];
        src->jmp_dest[s] = NULL;
        be->chain(src, s, NULL);
    }
    tb->jmp_incoming = 0;
    /* This TB's own jumps leave the lists of their destinations. */
    for (unsigned s = 0; s < IR_NB_CHAIN_SLOTS; s++) {
        if (tb->jmp_dest[s]) {
            tb_unlink_incoming(tb->jmp_dest[s], tb, s);
            tb->jmp_dest[s] = NULL;
            be->chain(tb, s, NULL);
        }
    }
    exec_stats.invalidations++;
}

void exec_tb_invalidate_range(uint64_t start, uint64_t end)
{
    tb_lock();
    for (size_t i = 0; i < nb_tbs; i++) {
        TranslationBlock *tb = all_tbs[i];
        if (tb->pc < end && tb->pc + tb->size > start) {
            tb_invalidate_locked(tb);
        }
    }
    tb_unlock();
}

void exec_tb_flush(void)
{
    exec_start_exclusive();
    tb_lock();
    tb_flush_locked();
    tb_unlock();
    exec_end_exclusive();
}

void tb_flush_locked(void)
{
    const Backend *be = exec_config()->backend;
    for (size_t i = 0; i < nb_tbs; i++) {
        if (be->free_tb) {
            be->free_tb(all_tbs[i]);
        }
        free(all_tbs[i]);
    }
    nb_tbs = 0;
    tb_pages_reset();
    memset(tb_hash, 0, sizeof(tb_hash));
    memset(exec_jmp_cache, 0, sizeof(exec_jmp_cache));
    if (exec_config()->softmmu) {
        exec_cpu_foreach(tb_jump_cache_clear, NULL);
    }
    if (be->reset) {
        be->reset();
    }
    exec_stats.flushes++;
    __atomic_store_n(&exec_flush_generation, exec_flush_generation + 1, __ATOMIC_RELEASE);
}
