/*
 * syscall.h — the linux-user process and task state, and the system call
 * dispatcher shared by all guest ABIs that use the asm-generic numbers.
 *
 * The one thing to know: a handler gets the six raw guest argument
 * registers and returns the guest result: a value, or -errno (host and
 * asm-generic guests share errno numbers). Handlers never touch a guest
 * pointer without guest_lock()/guest_copy_*().
 */
#ifndef LINUX_USER_SYSCALL_H
#define LINUX_USER_SYSCALL_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "mimic/exec.h"

#define GUEST_NSIG 64
#define GUEST_SIGRTMIN 32
#define GUEST_RTQUEUE_MAX 64
#define HOST_SIGQUEUE_MAX 128

/* struct sigaction of the asm-generic ABI without SA_RESTORER (riscv64). */
typedef struct GuestSigaction {
    uint64_t handler;
    uint64_t flags;
    uint64_t mask;
} GuestSigaction;

enum { GUEST_SIG_DFL = 0, GUEST_SIG_IGN = 1 };

/* siginfo_t of the 64-bit asm-generic ABI (128 bytes); x86-64 hosts use
 * the same layout, so a host siginfo_t converts by copying. */
typedef struct GuestSiginfo {
    int32_t signo;
    int32_t errno_;
    int32_t code;
    int32_t pad0;
    union {
        uint64_t addr;           /* SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE */
        struct {
            int32_t pid;         /* kill, tgkill, sigqueue, SIGCHLD */
            uint32_t uid;
            uint64_t value;      /* sigqueue value, SIGCHLD status */
        } kill;
        uint8_t raw[112];
    } u;
} GuestSiginfo;

/* A system call handler's result meaning "the handler set every guest
 * register itself" (rt_sigreturn): the CPU loop must not write a0 or pc. */
#define SYSCALL_NO_RESULT INT64_MIN

/* Process-wide state. */
typedef struct LinuxProcess {
    char exe_path[PATH_MAX];        /* absolute host path of the program */
    const char *ld_prefix;          /* -L sysroot, or NULL */
    char emulator_path[PATH_MAX];   /* mimic itself, for execve of guest programs */
    char **exec_options;            /* mimic options an execve'd guest inherits */
    int nb_exec_options;
    GuestSigaction sigact[GUEST_NSIG + 1];
} LinuxProcess;

extern LinuxProcess linux_process;

/* One guest thread. */
typedef struct LinuxTask {
    CPUState *cpu;
    int tid;
    uint64_t clear_child_tid;
    uint64_t robust_list;
    uint64_t sigmask;               /* blocked guest signals (bit sig-1) */
    uint64_t sigpending;            /* raised, not delivered yet */
    GuestSiginfo siginfo[GUEST_NSIG + 1]; /* of each pending signal */
    GuestSiginfo rtqueue[GUEST_RTQUEUE_MAX]; /* more instances of pending real-time
                                                signals, oldest first */
    int rtqueue_len;
    uint64_t saved_sigmask;         /* rt_sigsuspend: the mask to go back to */
    bool sigmask_saved;
    unsigned restart_nr;            /* syscall at pc - 4 interrupted by a host signal */
    uint64_t restart_a0;            /* its first argument */
    uint64_t altstack_sp;
    uint64_t altstack_size;
    int32_t altstack_flags;
    /* Host signals caught on this thread and not yet queued for the guest,
     * oldest first: written only by this thread's host handler, taken by
     * signal_host_collect() with host signals blocked (signal-host.c). */
    GuestSiginfo host_queue[HOST_SIGQUEUE_MAX];
    volatile int host_queue_len;
    volatile uint64_t host_caught;  /* host signals caught so far */
    uint64_t host_mask;             /* guest mask last applied to the host thread */
    bool host_mask_applied;
} LinuxTask;

typedef int64_t (*SyscallFn)(LinuxTask *t, const uint64_t *a);

/* One entry of a per-concept table. args: one character per argument for
 * -strace (letters listed in strace.c: d int, x hex, p pointer, s string,
 * f dirfd, o octal, S signal, A sigaction, M sigset, h how, K stack_t);
 * ret: 'd' (decimal) or 'p' (address). */
typedef struct SyscallDef {
    unsigned nr;
    const char *name;
    SyscallFn fn;
    const char *args;
    char ret;
} SyscallDef;

/* Tables, each ended by an entry with name == NULL. */
extern const SyscallDef syscalls_files[];
extern const SyscallDef syscalls_fs[];
extern const SyscallDef syscalls_mem[];
extern const SyscallDef syscalls_time[];
extern const SyscallDef syscalls_proc[];
extern const SyscallDef syscalls_signal[];
extern const SyscallDef syscalls_exec[];
extern const SyscallDef syscalls_net[];
extern const SyscallDef syscalls_clone[];
extern const SyscallDef syscalls_timer[];

/* Runs guest system call nr; returns the value for the guest's a0. */
int64_t syscall_do(LinuxTask *t, uint64_t nr, const uint64_t a[6]);

/* Result of a host syscall()/libc call that returns -1 and sets errno. */
static inline int64_t syscall_host_ret(long r)
{
    return r == -1 ? -(int64_t)errno : (int64_t)r;
}

/* Exits the whole guest process with status (flushes the log first). */
__attribute__((noreturn)) void process_exit(int status);

/* path.c: the host path for a guest path: the -L sysroot copy of an
 * absolute path if it exists there, /proc/self/exe -> the program; else
 * the path itself. buf has PATH_MAX bytes. */
const char *path_map(const char *guest_path, char *buf);
/* Copies a guest path string and maps it; NULL with *err = -errno. */
const char *path_from_guest(uint64_t addr, char *buf, int64_t *err);

/* Signals: see guest-signal.h. */

#endif
