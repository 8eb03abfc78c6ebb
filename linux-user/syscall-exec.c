/*
 * syscall-exec.c — execve: a guest program that runs another RISC-V
 * program gets a fresh mimic (the host execve()s mimic itself on it, with
 * the options this one was started with); any other file is handed to the
 * host's execve as it is.
 *
 * The one thing to know: the decision is made on the file's first bytes
 * (a RISC-V ELF), after sysroot mapping, so "/bin/true" from a -L sysroot
 * runs under mimic; argv and envp are copied out of guest memory with
 * every pointer checked before anything is executed. The guest signal
 * mask travels as the host mask across the host execve.
 */
#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linux-user/guest-mem.h"
#include "linux-user/guest-signal.h"
#include "linux-user/syscall-nr.h"
#include "linux-user/syscall.h"
#include "mimic/log.h"

#define EXEC_MAX_STRINGS 65536
#define EXEC_MAX_STRING (128 * 1024)

/* A NULL-terminated host copy of a guest string vector. */
typedef struct HostVec {
    char **v;
    int n;
} HostVec;

static void vec_free(HostVec *hv)
{
    for (int i = 0; i < hv->n; i++) {
        free(hv->v[i]);
    }
    free(hv->v);
}

/* Copies the guest vector at addr (NULL allowed: empty) into hv, with
 * scratch (EXEC_MAX_STRING bytes) for each string; 0 or -errno. */
static int64_t vec_copy_with(uint64_t addr, HostVec *hv, char *scratch)
{
    for (uint64_t p = addr; addr; p += 8) {
        uint64_t str;
        if (guest_copy_from(&str, p, sizeof(str)) < 0) {
            return -EFAULT;
        }
        if (!str) {
            break;
        }
        if (hv->n >= EXEC_MAX_STRINGS) {
            return -E2BIG;
        }
        int64_t len = guest_copy_string(scratch, EXEC_MAX_STRING, str);
        if (len < 0) {
            return len == -ENAMETOOLONG ? -E2BIG : len;
        }
        char **nv = realloc(hv->v, (size_t)(hv->n + 2) * sizeof(char *));
        if (!nv) {
            return -ENOMEM;
        }
        hv->v = nv;
        hv->v[hv->n] = strdup(scratch);
        hv->v[hv->n + 1] = NULL;
        if (!hv->v[hv->n]) {
            return -ENOMEM;
        }
        hv->n++;
    }
    return 0;
}

static int64_t vec_copy(uint64_t addr, HostVec *hv)
{
    hv->n = 0;
    hv->v = calloc(1, sizeof(char *));
    char *scratch = malloc(EXEC_MAX_STRING);
    int64_t r = hv->v && scratch ? vec_copy_with(addr, hv, scratch) : -ENOMEM;
    free(scratch);
    return r;
}

/* True if path is a RISC-V ELF file (mimic's to run). */
static bool is_guest_elf(const char *path)
{
    Elf64_Ehdr eh;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    bool ok = read(fd, &eh, sizeof(eh)) == (ssize_t)sizeof(eh) &&
              memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 && eh.e_machine == EM_RISCV;
    close(fd);
    return ok;
}

/* mimic [inherited options] -0 argv0 -- path argv[1..] */
static char **mimic_argv(const char *path, const HostVec *argv)
{
    int n = 0;
    char **v = calloc((size_t)linux_process.nb_exec_options + (size_t)argv->n + 6, sizeof(char *));
    if (!v) {
        return NULL;
    }
    v[n++] = linux_process.emulator_path;
    for (int i = 0; i < linux_process.nb_exec_options; i++) {
        v[n++] = linux_process.exec_options[i];
    }
    if (argv->n > 0) {
        v[n++] = "-0";
        v[n++] = argv->v[0];
    }
    v[n++] = "--";
    v[n++] = (char *)path;
    for (int i = 1; i < argv->n; i++) {
        v[n++] = argv->v[i];
    }
    return v;
}

static int64_t sys_execve(LinuxTask *t, const uint64_t *a)
{
    char buf[PATH_MAX];
    int64_t err;
    const char *path = path_from_guest(a[0], buf, &err);
    if (!path) {
        return err;
    }
    HostVec argv = { NULL, 0 }, envp = { NULL, 0 };
    int64_t r = vec_copy(a[1], &argv);
    if (r == 0) {
        r = vec_copy(a[2], &envp);
    }
    if (r == 0 && access(path, X_OK) < 0) {
        r = -errno;
    }
    if (r == 0) {
        fflush(stdout);
        if (log_file) {
            fflush(log_file);
        }
        sigset_t old;
        signal_host_exec_mask(t, &old);
        if (is_guest_elf(path)) {
            char **v = mimic_argv(path, &argv);
            r = v ? syscall_host_ret(execve(linux_process.emulator_path, v, envp.v)) : -ENOMEM;
            free(v);
        } else {
            r = syscall_host_ret(execve(path, argv.v, envp.v));
        }
        signal_host_restore(&old);
    }
    vec_free(&argv);
    vec_free(&envp);
    return r;
}

const SyscallDef syscalls_exec[] = {
    { NR_execve, "execve", sys_execve, "spp", 'd' },
    { 0, NULL, NULL, NULL, 0 },
};
