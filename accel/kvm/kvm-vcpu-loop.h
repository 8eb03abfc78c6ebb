/*
 * kvm-vcpu-loop.h — one host thread per vCPU running KVM_RUN and turning
 * its exits into calls to the machine: port I/O, MMIO, and the events
 * that end a run (triple fault, the guest's reset or poweroff, a failure).
 *
 * The one thing to know: a vCPU is stopped or interrupted from another
 * thread with kvm_vcpu_kick(): a signal whose handler sets the run page's
 * immediate_exit, so a kick that arrives just before KVM_RUN is not lost.
 * Each kick also samples whether the vCPU sits in HLT with interrupts
 * disabled (vcpu_halted), which is how a guest that halted for good is
 * noticed with the in-kernel irqchip (HLT never exits to user space);
 * with -d exec each sample also logs the vCPU's RIP (once a second).
 */
#ifndef MIMIC_ACCEL_KVM_VCPU_LOOP_H
#define MIMIC_ACCEL_KVM_VCPU_LOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "accel/kvm/kvm.h"
#include "mimic/memory.h"

typedef enum KVMVcpuEvent {
    KVM_VCPU_TRIPLE_FAULT, /* KVM_EXIT_SHUTDOWN */
    KVM_VCPU_RESET,        /* KVM_EXIT_SYSTEM_EVENT reset */
    KVM_VCPU_POWEROFF,     /* KVM_EXIT_SYSTEM_EVENT shutdown */
    KVM_VCPU_FAILED,       /* entry failure, internal error, unknown exit: already reported */
} KVMVcpuEvent;

typedef struct KVMVcpuHooks {
    /* data holds size bytes (1, 2 or 4): filled by a read, given by a write. */
    void (*pio)(void *opaque, uint16_t port, bool is_write, uint8_t *data, unsigned size);
    /* len is 1 to 8. */
    void (*mmio)(void *opaque, uint64_t addr, bool is_write, uint8_t *data, unsigned len);
    /* The vCPU's loop ends after an event; the machine stops the others. */
    void (*event)(void *opaque, unsigned cpu, KVMVcpuEvent ev);
    void *opaque;
} KVMVcpuHooks;

typedef struct KVMVcpuThread {
    KVMState *s;
    KVMVcpu vcpu;
    const KVMVcpuHooks *hooks;
    const AddressSpace *as; /* guest memory, for diagnostics */
    pthread_t thread;
    bool started;
    int stop;        /* atomic: leave the loop at the next chance */
    int halted;      /* atomic: in HLT with IF clear, as of the last kick */
    int running;     /* atomic: the loop has not ended */
} KVMVcpuThread;

/* Installs the kick signal's handler (once per process). */
void kvm_vcpu_loop_init(void);
int kvm_vcpu_thread_start(KVMVcpuThread *t);
void kvm_vcpu_kick(KVMVcpuThread *t);
/* Sets stop and kicks until the thread has left its loop; joins it. */
void kvm_vcpu_thread_stop(KVMVcpuThread *t);

#endif
