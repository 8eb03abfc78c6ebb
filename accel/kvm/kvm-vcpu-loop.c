/*
 * kvm-vcpu-loop.c — the vCPU threads: KVM_RUN, exit dispatch, kicks.
 *
 * The one thing to know: everything in the kvm_run page after an exit was
 * written by the kernel, but the port-I/O data offset and count are still
 * checked against the page's size before the data is touched; a bad exit
 * is reported with the registers and ends the run (never the process).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "accel/kvm/kvm-vcpu-loop.h"
#include "accel/kvm/x86-complete.h"
#include "accel/kvm/x86-cpu.h"
#include "mimic/log.h"

#define KICK_SIGNAL SIGUSR1

static __thread struct kvm_run *current_run;

static void kick_handler(int sig)
{
    (void)sig;
    if (current_run) {
        current_run->immediate_exit = 1;
    }
}

void kvm_vcpu_loop_init(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = kick_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(KICK_SIGNAL, &sa, NULL); /* no SA_RESTART: KVM_RUN returns EINTR */
}

/* After an interruption: is the vCPU halted with interrupts masked? */
static void sample_halted(KVMVcpuThread *t)
{
    struct kvm_mp_state mp;
    struct kvm_regs r;
    int halted = 0;
    if (log_enabled(LOG_EXEC) && ioctl(t->vcpu.fd, KVM_GET_REGS, &r) == 0) {
        log_printf("kvm: vCPU %u: rip=0x%llx rflags=0x%llx\n", t->vcpu.index,
                   (unsigned long long)r.rip, (unsigned long long)r.rflags);
    }
    if (ioctl(t->vcpu.fd, KVM_GET_MP_STATE, &mp) == 0) {
        if (mp.mp_state == KVM_MP_STATE_UNINITIALIZED ||
            mp.mp_state == KVM_MP_STATE_INIT_RECEIVED) {
            halted = 1; /* an AP nobody started */
        } else if (mp.mp_state == KVM_MP_STATE_HALTED &&
                   ioctl(t->vcpu.fd, KVM_GET_REGS, &r) == 0 && !(r.rflags & (1u << 9))) {
            halted = 1;
        }
    }
    __atomic_store_n(&t->halted, halted, __ATOMIC_RELEASE);
}

static void __attribute__((format(printf, 2, 3))) report(KVMVcpuThread *t, const char *fmt,
                                                         ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "mimic-system-x86_64: vCPU %u: ", t->vcpu.index);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    x86_cpu_dump(&t->vcpu, t->as);
}

/* One exit; false when the loop must end. */
static bool handle_exit(KVMVcpuThread *t)
{
    struct kvm_run *run = t->vcpu.run;
    const KVMVcpuHooks *h = t->hooks;
    unsigned cpu = t->vcpu.index;
    switch (run->exit_reason) {
    case KVM_EXIT_IO: {
        unsigned size = run->io.size;
        uint64_t off = run->io.data_offset, bytes = (uint64_t)size * run->io.count;
        if ((size != 1 && size != 2 && size != 4) || off > t->s->run_size ||
            bytes > t->s->run_size - off) {
            report(t, "malformed port I/O exit (offset %llu, %llu bytes)", (unsigned long long)off,
                   (unsigned long long)bytes);
            h->event(h->opaque, cpu, KVM_VCPU_FAILED);
            return false;
        }
        uint8_t *data = (uint8_t *)run + off;
        for (uint32_t i = 0; i < run->io.count; i++) {
            h->pio(h->opaque, run->io.port, run->io.direction == KVM_EXIT_IO_OUT,
                   data + (size_t)i * size, size);
        }
        return true;
    }
    case KVM_EXIT_MMIO:
        if (run->mmio.len == 0 || run->mmio.len > 8) {
            report(t, "malformed MMIO exit at 0x%llx (%u bytes)",
                   (unsigned long long)run->mmio.phys_addr, run->mmio.len);
            h->event(h->opaque, cpu, KVM_VCPU_FAILED);
            return false;
        }
        h->mmio(h->opaque, run->mmio.phys_addr, run->mmio.is_write, run->mmio.data,
                run->mmio.len);
        return true;
    case KVM_EXIT_INTR:
        return true;
    case KVM_EXIT_SHUTDOWN:
        h->event(h->opaque, cpu, KVM_VCPU_TRIPLE_FAULT);
        return false;
    case KVM_EXIT_SYSTEM_EVENT:
        if (run->system_event.type == KVM_SYSTEM_EVENT_RESET) {
            h->event(h->opaque, cpu, KVM_VCPU_RESET);
        } else if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN) {
            h->event(h->opaque, cpu, KVM_VCPU_POWEROFF);
        } else {
            report(t, "unexpected system event %u", run->system_event.type);
            h->event(h->opaque, cpu, KVM_VCPU_FAILED);
        }
        return false;
    case KVM_EXIT_FAIL_ENTRY:
        report(t, "KVM could not enter the guest (hardware reason 0x%llx)",
               (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
        h->event(h->opaque, cpu, KVM_VCPU_FAILED);
        return false;
    case KVM_EXIT_INTERNAL_ERROR:
        if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
            x86_complete_instruction(&t->vcpu, t->as) == 0) {
            return true;
        }
        report(t, "KVM internal error, suberror %u%s", run->internal.suberror,
               run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
                   ? " (an instruction KVM cannot emulate)" : "");
        h->event(h->opaque, cpu, KVM_VCPU_FAILED);
        return false;
    default:
        report(t, "unexpected KVM exit reason %u", run->exit_reason);
        h->event(h->opaque, cpu, KVM_VCPU_FAILED);
        return false;
    }
}

static void *vcpu_thread(void *opaque)
{
    KVMVcpuThread *t = opaque;
    current_run = t->vcpu.run;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, KICK_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    for (;;) {
        if (__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {
            break;
        }
        if (ioctl(t->vcpu.fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                t->vcpu.run->immediate_exit = 0;
                sample_halted(t);
                continue;
            }
            fprintf(stderr, "mimic-system-x86_64: vCPU %u: KVM_RUN: %s\n", t->vcpu.index,
                    strerror(errno));
            t->hooks->event(t->hooks->opaque, t->vcpu.index, KVM_VCPU_FAILED);
            break;
        }
        __atomic_store_n(&t->halted, 0, __ATOMIC_RELAXED);
        if (!handle_exit(t)) {
            break;
        }
    }
    current_run = NULL;
    __atomic_store_n(&t->running, 0, __ATOMIC_RELEASE);
    return NULL;
}

int kvm_vcpu_thread_start(KVMVcpuThread *t)
{
    t->stop = 0;
    t->halted = 0;
    t->running = 1;
    /* The thread starts with the kick signal blocked and unblocks it once
     * current_run is set. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, KICK_SIGNAL);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    int r = pthread_create(&t->thread, NULL, vcpu_thread, t);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    t->started = r == 0;
    if (r) {
        t->running = 0;
    }
    return r ? -1 : 0;
}

void kvm_vcpu_kick(KVMVcpuThread *t)
{
    if (t->started && __atomic_load_n(&t->running, __ATOMIC_ACQUIRE)) {
        pthread_kill(t->thread, KICK_SIGNAL);
    }
}

void kvm_vcpu_thread_stop(KVMVcpuThread *t)
{
    if (!t->started) {
        return;
    }
    __atomic_store_n(&t->stop, 1, __ATOMIC_RELEASE);
    while (__atomic_load_n(&t->running, __ATOMIC_ACQUIRE)) {
        pthread_kill(t->thread, KICK_SIGNAL);
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
    }
    pthread_join(t->thread, NULL);
    t->started = false;
}
