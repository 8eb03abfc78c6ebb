/*
 * cpus.c — the guest CPUs that share one translation cache, and "exclusive
 * sections" that stop them all (a full flush frees every TB, so no thread
 * may be inside translated code or hold a TB pointer while it runs).
 *
 * The one thing to know: a CPU is "running" from exec_cpu_start() to
 * exec_cpu_end() — in practice for the whole of exec_cpu_loop(), and a
 * thread in a system call is not running. exec_start_exclusive() asks
 * every running CPU to leave (exit_request) and waits until none runs; a
 * CPU that wants to start while an exclusive section is active waits.
 * Never wait for an exclusive section while holding tb_lock or the owner's
 * memory lock: a running CPU may be blocked on them.
 */
#include <pthread.h>
#include <stdlib.h>

#include "exec-internal.h"

static pthread_mutex_t cpus_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cpus_stopped = PTHREAD_COND_INITIALIZER;   /* pending_cpus hit 0 */
static pthread_cond_t exclusive_done = PTHREAD_COND_INITIALIZER; /* exclusive_active cleared */
static CPUState *first_cpu;
static bool exclusive_active;
static int pending_cpus; /* running CPUs an exclusive section still waits for */

void exec_cpu_register(CPUState *cpu)
{
    tb_jump_cache_alloc(cpu);
    pthread_mutex_lock(&cpus_lock);
    cpu->running = false;
    cpu->next_cpu = first_cpu;
    first_cpu = cpu;
    pthread_mutex_unlock(&cpus_lock);
}

bool exec_cpu_unregister(CPUState *cpu)
{
    exec_cpu_end(cpu);
    pthread_mutex_lock(&cpus_lock);
    for (CPUState **link = &first_cpu; *link; link = &(*link)->next_cpu) {
        if (*link == cpu) {
            *link = cpu->next_cpu;
            break;
        }
    }
    bool last = first_cpu == NULL;
    pthread_mutex_unlock(&cpus_lock);
    /* Off the list, so no flush can reach its jump cache any more. */
    free(cpu->tb_jc);
    cpu->tb_jc = NULL;
    return last;
}

void exec_cpu_foreach(void (*fn)(CPUState *cpu, void *opaque), void *opaque)
{
    pthread_mutex_lock(&cpus_lock);
    for (CPUState *cpu = first_cpu; cpu; cpu = cpu->next_cpu) {
        fn(cpu, opaque);
    }
    pthread_mutex_unlock(&cpus_lock);
}

static void cpu_kick(CPUState *cpu, void *opaque)
{
    __atomic_store_n(&cpu->exit_request, 1, __ATOMIC_RELEASE);
}

void exec_cpu_kick_all(void)
{
    exec_cpu_foreach(cpu_kick, NULL);
}

void exec_cpu_start(CPUState *cpu)
{
    pthread_mutex_lock(&cpus_lock);
    while (exclusive_active) {
        pthread_cond_wait(&exclusive_done, &cpus_lock);
    }
    cpu->running = true;
    pthread_mutex_unlock(&cpus_lock);
}

void exec_cpu_end(CPUState *cpu)
{
    pthread_mutex_lock(&cpus_lock);
    if (cpu->running) {
        cpu->running = false;
        /* No CPU starts during an exclusive section, so every CPU that
         * stops now was counted when it began. */
        if (exclusive_active && --pending_cpus == 0) {
            pthread_cond_signal(&cpus_stopped);
        }
    }
    pthread_mutex_unlock(&cpus_lock);
}

void exec_start_exclusive(void)
{
    pthread_mutex_lock(&cpus_lock);
    while (exclusive_active) {
        pthread_cond_wait(&exclusive_done, &cpus_lock);
    }
    exclusive_active = true;
    pending_cpus = 0;
    for (CPUState *cpu = first_cpu; cpu; cpu = cpu->next_cpu) {
        if (cpu->running) {
            cpu->exit_request = 1;
            pending_cpus++;
        }
    }
    while (pending_cpus > 0) {
        pthread_cond_wait(&cpus_stopped, &cpus_lock);
    }
    pthread_mutex_unlock(&cpus_lock);
}

void exec_end_exclusive(void)
{
    pthread_mutex_lock(&cpus_lock);
    exclusive_active = false;
    pthread_cond_broadcast(&exclusive_done);
    pthread_mutex_unlock(&cpus_lock);
}

void exec_fork_prepare(void)
{
    exec_start_exclusive();
    tb_lock();
}

void exec_fork_finish(CPUState *self, bool child)
{
    if (child) {
        tb_lock_after_fork_child();
    } else {
        tb_unlock();
    }
    if (child) {
        /* Only the forking thread exists in the child. */
        pthread_mutex_lock(&cpus_lock);
        first_cpu = self;
        self->next_cpu = NULL;
        pthread_mutex_unlock(&cpus_lock);
    }
    exec_end_exclusive();
}
