/*
 * debug.c — debugger breakpoints for the exec loop and the translator
 * (the gdb stub sets them).
 *
 * The one thing to know: the table is read without a lock by the exec
 * loop (one load of the count when there are none) and written by the
 * debugger while the CPUs that matter are stopped; a change drops the
 * translations that cover the address, so no translated block runs past
 * a breakpoint or starts at one.
 */
#include <pthread.h>

#include "exec-internal.h"

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
        /* Blocks were cut short before it: let them grow again. */
        exec_tb_invalidate_range(pc, pc + 1);
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
