/*
 * guest-signal.h — guest signals in linux-user: the pending queue and
 * delivery (signal.c), host signals caught for the guest (signal-host.c),
 * the system calls (signal-syscalls.c) and the per-ISA signal frame
 * (signal-frame-riscv64.c). Design notes: docs/linux-user-signals.md.
 *
 * The one thing to know: signals are only ever delivered by
 * signal_deliver(), called by the CPU loop after every exit from
 * translated code, when all guest registers are in the CPU structure; host
 * signal handlers only record and set exit_request.
 */
#ifndef LINUX_USER_GUEST_SIGNAL_H
#define LINUX_USER_GUEST_SIGNAL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "linux-user/syscall.h"

#define SIG_BIT(sig) (1ULL << ((sig) - 1))
#define SIGS_UNBLOCKABLE (SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP))

/* sa_flags of the guest ABI (asm-generic, same values as the host's). */
enum {
    GUEST_SA_NOCLDSTOP = 0x00000001,
    GUEST_SA_NOCLDWAIT = 0x00000002,
    GUEST_SA_SIGINFO = 0x00000004,
    GUEST_SA_ONSTACK = 0x08000000,
    GUEST_SA_RESTART = 0x10000000,
    GUEST_SA_NODEFER = 0x40000000,
    GUEST_SA_RESETHAND = 0x80000000,
};

/* stack_t of the 64-bit asm-generic ABI. */
typedef struct GuestStack {
    uint64_t sp;
    int32_t flags;
    int32_t pad;
    uint64_t size;
} GuestStack;

#define GUEST_SS_ONSTACK 1
#define GUEST_SS_DISABLE 2
#define GUEST_SS_AUTODISARM INT32_MIN
#define GUEST_MINSIGSTKSZ 2048u

/* signal.c */
/* A synchronous fault at the current pc (SIGSEGV, SIGILL, SIGTRAP, SIGBUS):
 * runs the guest handler next, or applies the default action if the
 * signal is blocked, ignored or not handled (like the kernel's force). */
void signal_force(LinuxTask *t, int sig, int code, uint64_t addr);
/* Makes info->signo pending for t: a standard signal that is already
 * pending is not queued twice, a real-time one is (in order). 0, or
 * -EAGAIN when the real-time queue is full. */
int signal_queue(LinuxTask *t, const GuestSiginfo *info);
/* Dequeues one pending instance of sig into info; false if none. */
bool signal_take(LinuxTask *t, int sig, GuestSiginfo *info);
/* Builds the guest frames of every deliverable pending signal (the last
 * one built runs first), or applies their default actions. */
void signal_deliver(LinuxTask *t);
/* True if a signal is pending and not blocked (host ones included). */
bool signal_deliverable(LinuxTask *t);
/* Records a new disposition for sig and mirrors it to the host. */
void signal_set_action(LinuxTask *t, int sig, const GuestSigaction *act);
/* Dies of host signal sig, the way the guest would have. */
__attribute__((noreturn)) void signal_die(int sig);
/* The on-stack state of sp: GUEST_SS_ONSTACK, GUEST_SS_DISABLE or 0. */
int signal_altstack_state(const LinuxTask *t, uint64_t sp);
/* sigaltstack's "set" half, also used by rt_sigreturn; 0 or -errno. */
int64_t signal_altstack_set(LinuxTask *t, const GuestStack *ns, uint64_t sp);

/* signal-host.c */
/* Number of host signals caught so far on this thread (a syscall that
 * returns -EINTR while it grew was interrupted by one). */
uint64_t signal_host_caught(void);
/* Sends host signal sig to the handler that queues it for the guest (a
 * handler), or sets the host's SIG_IGN/SIG_DFL to match the guest's. */
void signal_host_mirror(int sig, uint64_t handler);
/* The task of the calling thread: host signals caught on this thread are
 * queued for it. Each guest thread calls this once, first thing. */
void signal_host_set_task(LinuxTask *t);
/* True for the signals mimic keeps for itself on the host (SIGSEGV,
 * SIGBUS, SIGKILL, SIGSTOP, 32, 33). */
bool signal_host_owned(int sig);
/* Makes the calling host thread's mask the guest mask of t (minus the
 * signals mimic owns); cheap when it did not change. */
void signal_host_apply_mask(LinuxTask *t);
/* Host sigset for a guest signal set (minus mimic's own signals), and back. */
void signal_host_set_of(uint64_t guest_set, sigset_t *set);
uint64_t signal_host_guest_set(const sigset_t *set);
/* Moves the host signals caught so far into t's pending set. */
void signal_host_collect(LinuxTask *t);
/* At start-up: the guest inherits the signal mask and the ignored
 * signals of the process that exec'ed mimic (as across a real execve);
 * the host mask is then opened. */
void signal_host_inherit(LinuxTask *t);
/* Just before a host execve: the host mask becomes the guest's, so the
 * next program inherits it (old receives the current host mask). */
void signal_host_exec_mask(const LinuxTask *t, sigset_t *old);
/* Blocks every host signal (mask saved in old) / restores old. */
void signal_host_block_all(sigset_t *old);
void signal_host_restore(const sigset_t *old);

/* signal-frame-riscv64.c */
/* Maps the page holding the rt_sigreturn trampoline; 0 or -errno. */
int signal_trampoline_init(void);
/* Guest address of the trampoline (for /proc/self/maps). */
uint64_t signal_trampoline_addr(void);
/* Pushes the rt_sigframe for sig on the guest stack and points the CPU at
 * the handler; false if the frame cannot be written (the caller then
 * forces SIGSEGV). saved_mask goes into uc_sigmask. */
bool signal_frame_setup(LinuxTask *t, int sig, const GuestSigaction *sa, const GuestSiginfo *info,
                        uint64_t saved_mask);
/* rt_sigreturn: restores the registers, mask and altstack from the frame at
 * sp; SYSCALL_NO_RESULT, or a forced SIGSEGV for a bad frame. */
int64_t signal_frame_return(LinuxTask *t);
/* Current guest stack pointer. */
uint64_t signal_guest_sp(const LinuxTask *t);
/* Puts the CPU back on the interrupted ecall, with its first argument. */
void signal_syscall_rollback(LinuxTask *t);

#endif
