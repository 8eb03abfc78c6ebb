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
}

/* Appends a guest string, quoted and truncated, to the strace line. */
static void strace_print_string(uint64_t addr)
{
    if (!addr) {
        log_printf("NULL");
        return;
    }
    char buf[64];
    int64_t r = guest_copy_string(buf, sizeof(buf), addr);
    if (r == -ENAMETOOLONG) {
        if (guest_copy_from(buf, addr, sizeof(buf) - 1) == 0) {
            buf[sizeof(buf) - 1] = '\0';
            log_printf("\"%s\"...", buf);
            return;
        }
        r = -EFAULT;
    }
    if (r < 0) {
        log_printf("0x%llx", (unsigned long long)addr);
        return;
    }
    log_printf("\"");
    for (const char *p = buf; *p; p++) {
        if (*p == '\n') {
            log_printf("\\n");
        } else if (*p == '"' || *p == '\\') {
            log_printf("\\%c", *p);
        } else if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) {
            log_printf("\\%o", (unsigned char)*p);
        } else {
            log_printf("%c", *p);
        }
    }
    log_printf("\"");
}

static void strace_print_call(const SyscallDef *def, uint64_t nr, const uint64_t a[6])
{
    log_printf("%d ", getpid());
    if (!def) {
        log_printf("Unknown syscall %llu", (unsigned long long)nr);
        return;
    }
    log_printf("%s(", def->name);
    for (int i = 0; def->args[i] && i < 6; i++) {
        if (i) {
            log_printf(",");
        }
        switch (def->args[i]) {
        case 'd':
            log_printf("%d", (int)a[i]);
            break;
        case 'f':
            if ((int)a[i] == -100) {
                log_printf("AT_FDCWD");
            } else {
                log_printf("%d", (int)a[i]);
            }
            break;
        case 'o':
            log_printf("0%llo", (unsigned long long)a[i]);
            break;
        case 's':
            strace_print_string(a[i]);
            break;
        case 'p':
            if (!a[i]) {
                log_printf("NULL");
                break;
            }
            log_printf("0x%016llx", (unsigned long long)a[i]);
            break;
        default:
            log_printf("0x%llx", (unsigned long long)a[i]);
            break;
        }
    }
    log_printf(")");
}

static void strace_print_result(const SyscallDef *def, int64_t ret)
{
    if (ret < 0 && ret >= -4095) {
        log_printf(" = -1 errno=%d (%s)\n", (int)-ret, strerror((int)-ret));
    } else if (def && def->ret == 'p') {
        log_printf(" = 0x%016llx\n", (unsigned long long)ret);
    } else {
        log_printf(" = %lld\n", (long long)ret);
    }
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
