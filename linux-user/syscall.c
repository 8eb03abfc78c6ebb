/*
 * syscall.c — the system call dispatcher: number -> handler lookup, the
 * -strace log, and -ENOSYS (with a -d unimp line) for everything unknown.
 *
 * The one thing to know: handlers live in per-concept tables
 * (syscall-files.c, syscall-fs.c, ...); this file merges them into one
 * array indexed by the guest number the first time a syscall is made.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linux-user/guest-mem.h"
#include "linux-user/syscall-nr.h"
#include "linux-user/strace.h"
#include "linux-user/syscall.h"
#include "mimic/log.h"

LinuxProcess linux_process;

static const SyscallDef *syscall_table[NR_syscall_max];
static pthread_once_t syscall_table_once = PTHREAD_ONCE_INIT;

static void syscall_table_add(const SyscallDef *defs)
{
    for (; defs->name; defs++) {
        if (defs->nr >= NR_syscall_max || syscall_table[defs->nr]) {
            abort(); /* a table bug: duplicate or out-of-range number */
        }
        syscall_table[defs->nr] = defs;
    }
}

static void syscall_table_init(void)
{
    syscall_table_add(syscalls_files);
    syscall_table_add(syscalls_fs);
    syscall_table_add(syscalls_mem);
    syscall_table_add(syscalls_time);
    syscall_table_add(syscalls_proc);
    syscall_table_add(syscalls_signal);
    syscall_table_add(syscalls_exec);
    syscall_table_add(syscalls_net);
    syscall_table_add(syscalls_clone);
    syscall_table_add(syscalls_timer);
}

int64_t syscall_do(LinuxTask *t, uint64_t nr, const uint64_t a[6])
{
    pthread_once(&syscall_table_once, syscall_table_init);
    const SyscallDef *def = nr < NR_syscall_max ? syscall_table[nr] : NULL;
    bool strace = log_enabled(LOG_STRACE);
    if (strace) {
        strace_print_call(def, nr, a);
        if (def && (nr == NR_exit || nr == NR_exit_group)) {
            log_printf("\n");
        }
    }
    int64_t ret = def ? def->fn(t, a) : -ENOSYS;
    if (strace) {
        strace_print_result(def, ret);
    }
    if (!def && log_enabled(LOG_UNIMP)) {
        log_printf("Unsupported syscall: %llu\n", (unsigned long long)nr);
    }
    return ret;
}
