/*
 * debug.c — debugger breakpoints for the exec loop and the translator,
 * and watchpoints for the soft-MMU slow paths (the gdb stub sets them).
 *
 * The one thing to know: the tables are read without a lock (one load of
 * the count when there are none) and written by the debugger while the
 * CPUs that matter are stopped; a breakpoint change drops the translations
 * that cover the address, so no translated block runs past a breakpoint or
 * starts at one. A watchpoint hit restarts its instruction as a single
 * step, so the stop comes after the access, as gdb expects.
 */
#include <pthread.h>
#include <setjmp.h>

#include "exec-internal.h"
#include "mimic/softmmu.h"

static uint64_t bp_pc[EXEC_MAX_BREAKPOINTS];
static unsigned nb_bp;
static pthread_mutex_t bp_lock = PTHREAD_MUTEX_INITIALIZER;

unsigned exec_breakpoint_count(void)
{
    return __atomic_load_n(&nb_bp, __ATOMIC_ACQUIRE);
}

bool exec_breakpoint_at(uint64_t pc)
{
    unsigned n = exec_breakpoint_count();
    for (unsigned i = 0; i < n; i++) {
        if (bp_pc[i] == pc) {
            return true;
        }
    }
    return false;
}

bool exec_breakpoint_insert(uint64_t pc)
{
    pthread_mutex_lock(&bp_lock);
    bool ok = true;
    if (!exec_breakpoint_at(pc)) {
        if (nb_bp == EXEC_MAX_BREAKPOINTS) {
            ok = false;
        } else {
            bp_pc[nb_bp] = pc;
            __atomic_store_n(&nb_bp, nb_bp + 1, __ATOMIC_RELEASE);
        }
    }
    pthread_mutex_unlock(&bp_lock);
    if (ok) {
        exec_tb_invalidate_range(pc, pc + 1);
    }
    return ok;
}

bool exec_breakpoint_remove(uint64_t pc)
{
    pthread_mutex_lock(&bp_lock);
    bool found = false;
    for (unsigned i = 0; i < nb_bp; i++) {
        if (bp_pc[i] == pc) {
            bp_pc[i] = bp_pc[nb_bp - 1];
            __atomic_store_n(&nb_bp, nb_bp - 1, __ATOMIC_RELEASE);
            found = true;
            break;
        }
    }
    pthread_mutex_unlock(&bp_lock);
    if (found) {
        /* Blocks that cover it, and those cut short before it (which end
         * at pc): they grow again when translated next. */
        exec_tb_invalidate_range(pc ? pc - 1 : 0, pc + 1);
    }
    return found;
}

void exec_breakpoint_remove_all(void)
{
    for (;;) {
        pthread_mutex_lock(&bp_lock);
        bool any = nb_bp > 0;
        uint64_t pc = any ? bp_pc[0] : 0;
        pthread_mutex_unlock(&bp_lock);
        if (!any) {
            return;
        }
        exec_breakpoint_remove(pc);
    }
}

/* ---- watchpoints ---- */

typedef struct Watchpoint {
    uint64_t addr, len;
    unsigned flags;
} Watchpoint;

static Watchpoint wp[EXEC_MAX_WATCHPOINTS];
static unsigned nb_wp;

unsigned exec_watchpoint_count(void)
{
    return __atomic_load_n(&nb_wp, __ATOMIC_ACQUIRE);
}

/* [a, a + alen) and [b, b + blen) overlap (no overflow at the top). */
static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a - b < blen || b - a < alen;
}

bool exec_watchpoint_insert(uint64_t addr, uint64_t len, unsigned flags)
{
    pthread_mutex_lock(&bp_lock);
    bool ok = nb_wp < EXEC_MAX_WATCHPOINTS && len > 0;
    if (ok) {
        wp[nb_wp] = (Watchpoint){ addr, len, flags };
        __atomic_store_n(&nb_wp, nb_wp + 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&bp_lock);
    return ok;
}

bool exec_watchpoint_remove(uint64_t addr, uint64_t len, unsigned flags)
{
    pthread_mutex_lock(&bp_lock);
    bool found = false;
    for (unsigned i = 0; i < nb_wp; i++) {
        if (wp[i].addr == addr && wp[i].len == len && wp[i].flags == flags) {
            wp[i] = wp[nb_wp - 1];
            __atomic_store_n(&nb_wp, nb_wp - 1, __ATOMIC_RELEASE);
            found = true;
            break;
        }
    }
    pthread_mutex_unlock(&bp_lock);
    return found;
}

void exec_watchpoint_remove_all(void)
{
    pthread_mutex_lock(&bp_lock);
    __atomic_store_n(&nb_wp, 0, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&bp_lock);
}

bool exec_watchpoint_on_page(uint64_t page, uint64_t size)
{
    unsigned n = exec_watchpoint_count();
    for (unsigned i = 0; i < n; i++) {
        if (overlaps(wp[i].addr, wp[i].len, page, size)) {
            return true;
        }
    }
    return false;
}

void exec_watchpoint_check(CPUState *cpu, uint64_t addr, unsigned len, bool write,
                           uintptr_t retaddr)
{
    unsigned n = exec_watchpoint_count();
    unsigned want = write ? EXEC_WATCH_WRITE : EXEC_WATCH_READ;
    for (unsigned i = 0; i < n; i++) {
        if (!(wp[i].flags & want) || !overlaps(wp[i].addr, wp[i].len, addr, len)) {
            continue;
        }
        if (!cpu->debug_watch_flags) {
            cpu->debug_watch_flags = (uint8_t)wp[i].flags;
            cpu->debug_watch_addr = addr;
        }
        if (cpu->debug_step == EXEC_STEP_NONE) {
            /* Restart the instruction as a single step: it completes, then
             * the debugger sees the hit. */
            exec_softmmu_unwind(cpu, retaddr);
            cpu->debug_step = EXEC_STEP_REQUEST;
            siglongjmp(*cpu->fault_jmp, 1);
        }
        return;
    }
}
