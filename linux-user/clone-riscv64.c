/*
 * clone-riscv64.c — clone(2) for the guest: fork and vfork (a new host
 * process running the same translated program). Threads (CLONE_VM without
 * CLONE_VFORK) are not supported yet and get -ENOSYS, logged under -d unimp.
 *
 * The one thing to know: vfork (CLONE_VM | CLONE_VFORK, as glibc's
 * posix_spawn, system and popen use) runs as a fork, the way QEMU does it:
 * the child gets a copy of memory instead of sharing it, which is
 * invisible to a child that only calls execve or _exit. The child also
 * gets a private copy of the code buffer (code_buffer_after_fork).
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
#include "mimic/log.h"
#include "target/riscv64/cpu.h"

static int64_t sys_clone(LinuxTask *t, const uint64_t *a)
{
    uint64_t flags = a[0], newsp = a[1], parent_tid = a[2], child_tid = a[3], tls = a[4];
    if ((flags & CLONE_VM) && !(flags & CLONE_VFORK)) {
        if (log_enabled(LOG_UNIMP)) {
            log_printf("clone: threads (flags %#llx) are not supported yet\n",
                       (unsigned long long)flags);
        }
        return -ENOSYS;
    }
    if (flags & (CLONE_THREAD | CLONE_SIGHAND)) {
        return -EINVAL;
    }
    fflush(NULL); /* mimic's own log must not be written twice */
    pid_t pid = fork();
    if (pid < 0) {
        return -errno;
    }
    if (pid > 0) {
        if ((flags & CLONE_PARENT_SETTID) && guest_copy_to(parent_tid, &pid, sizeof(pid)) < 0) {
            return -EFAULT;
        }
        return pid;
    }
    /* The child. */
    if (code_buffer_after_fork() < 0) {
        fprintf(stderr, "mimic: clone: cannot copy the code buffer in the child\n");
        _exit(127);
    }
    RISCVCPU *cpu = (RISCVCPU *)t->cpu;
    t->tid = gettid();
    t->sigpending = 0;
    t->rtqueue_len = 0;
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
