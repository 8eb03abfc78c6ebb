/*
 * clone-riscv64.c — clone(2) for the guest: threads (a new host thread with
 * a copy of the CPU, thread.c), fork and vfork (a new host process running
 * the same translated program).
 *
 * The one thing to know: vfork (CLONE_VM | CLONE_VFORK, as glibc's
 * posix_spawn, system and popen use) runs as a fork, the way QEMU does it:
 * the child gets a copy of memory instead of sharing it, which is
 * invisible to a child that only calls execve or _exit. The child also
 * gets a private copy of the code buffer (code_buffer_after_fork). Threads
 * need the whole set glibc's pthread_create passes (shared memory, files,
 * fs, handlers, thread group), as in QEMU; other sharing combinations get
 * -EINVAL.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "linux-user/guest-mem.h"
#include "linux-user/syscall-nr.h"
#include "linux-user/syscall.h"
#include "linux-user/thread.h"
#include "mimic/log.h"
#include "target/riscv64/cpu.h"

#define CLONE_THREAD_NEEDED (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD)
#define CLONE_THREAD_OPTIONAL (CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | \
                               CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | CLONE_DETACHED)

/* clone for a thread: the child's CPU is the parent's, returning 0 from
 * the ecall on the new stack with the new TLS. */
static int64_t clone_thread(LinuxTask *t, uint64_t flags, uint64_t newsp, uint64_t parent_tid,
                            uint64_t child_tid, uint64_t tls)
{
    if ((flags & CLONE_THREAD_NEEDED) != CLONE_THREAD_NEEDED ||
        (flags & ~(uint64_t)(CLONE_THREAD_NEEDED | CLONE_THREAD_OPTIONAL | CSIGNAL))) {
        if (log_enabled(LOG_UNIMP)) {
            log_printf("clone: unsupported flags %#llx\n", (unsigned long long)flags);
        }
        return -EINVAL;
    }
    RISCVCPU *parent = (RISCVCPU *)t->cpu;
    RISCVCPU *cpu = malloc(sizeof(*cpu));
    if (!cpu) {
        return -ENOMEM;
    }
    *cpu = *parent;
    cpu->cs.exit_request = 0;
    cpu->cs.exit_code = EXCP_NONE;
    cpu->cs.in_helper_access = 0;
    cpu->cs.fault_jmp = NULL;
    cpu->cs.running = false;
    cpu->cs.pc += 4; /* past the ecall */
    cpu->x[RV_REG_A0] = 0;
    if (newsp) {
        cpu->x[RV_REG_SP] = newsp;
    }
    if (flags & CLONE_SETTLS) {
        cpu->x[RV_REG_TP] = tls;
    }
    cpu->res_addr = UINT64_MAX;
    int64_t tid = thread_create(t, &cpu->cs, flags, parent_tid, child_tid);
    if (tid < 0) {
        free(cpu);
    }
    return tid;
}

/* fork() with the translation cache and the guest mappings consistent:
 * no other thread runs guest code or holds their locks meanwhile. */
static pid_t clone_fork(LinuxTask *t)
{
    fflush(NULL); /* mimic's own log must not be written twice */
    exec_fork_prepare();
    mmap_lock();
    pid_t pid = fork();
    int saved_errno = errno;
    if (pid == 0) {
        mmap_lock_after_fork_child();
    } else {
        mmap_unlock();
    }
    exec_fork_finish(t->cpu, pid == 0);
    errno = saved_errno;
    return pid;
}

static int64_t sys_clone(LinuxTask *t, const uint64_t *a)
{
    /* The RISC-V kernel takes (flags, newsp, parent_tid, tls, child_tid). */
    uint64_t flags = a[0], newsp = a[1], parent_tid = a[2], tls = a[3], child_tid = a[4];
    if ((flags & CLONE_VM) && !(flags & CLONE_VFORK)) {
        return clone_thread(t, flags, newsp, parent_tid, child_tid, tls);
    }
    if (flags & (CLONE_THREAD | CLONE_SIGHAND)) {
        return -EINVAL;
    }
    pid_t pid = clone_fork(t);
    if (pid < 0) {
        return -errno;
    }
    if (pid > 0) {
        if ((flags & CLONE_PARENT_SETTID) && guest_copy_to(parent_tid, &pid, sizeof(pid)) < 0) {
            return -EFAULT;
        }
        return pid;
    }
    /* The child: only this thread exists. */
    if (code_buffer_after_fork() < 0) {
        fprintf(stderr, "mimic: clone: cannot copy the code buffer in the child\n");
        _exit(127);
    }
    RISCVCPU *cpu = (RISCVCPU *)t->cpu;
    t->tid = gettid();
    t->sigpending = 0;
    t->rtqueue_len = 0;
    t->host_queue_len = 0;
    if (newsp) {
        cpu->x[RV_REG_SP] = newsp;
    }
    if (flags & CLONE_SETTLS) {
        cpu->x[RV_REG_TP] = tls;
    }
    pid_t self = t->tid;
    if (flags & (CLONE_CHILD_SETTID | CLONE_PARENT_SETTID)) {
        uint64_t where = (flags & CLONE_CHILD_SETTID) ? child_tid : parent_tid;
        guest_copy_to(where, &self, sizeof(self));
    }
    if (flags & CLONE_CHILD_CLEARTID) {
        t->clear_child_tid = child_tid;
    }
    return 0;
}

const SyscallDef syscalls_clone[] = {
    { NR_clone, "clone", sys_clone, "xpppp", 'd' },
    { 0, NULL, NULL, NULL, 0 },
};
