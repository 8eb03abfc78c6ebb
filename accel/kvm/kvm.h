/*
 * kvm.h — the thin layer over /dev/kvm: opening it, one VM with guest RAM
 * slots, the in-kernel irqchip and PIT, interrupt lines, and vCPU file
 * descriptors with their shared kvm_run page.
 *
 * The one thing to know: every function returns 0 or -1 with a message in
 * err; none of them exits. The VM owns no guest memory: RAM is the
 * machine's AddressSpace (host mmap), registered with kvm_vm_add_ram().
 */
#ifndef MIMIC_ACCEL_KVM_KVM_H
#define MIMIC_ACCEL_KVM_KVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

typedef struct KVMState {
    int kvm_fd;          /* /dev/kvm */
    int vm_fd;
    size_t run_size;     /* KVM_GET_VCPU_MMAP_SIZE */
    unsigned nb_slots;   /* memory slots used */
    struct kvm_cpuid2 *cpuid; /* KVM_GET_SUPPORTED_CPUID */
    uint32_t *msr_list;  /* KVM_GET_MSR_INDEX_LIST */
    unsigned nb_msrs;
    bool immediate_exit; /* KVM_CAP_IMMEDIATE_EXIT */
} KVMState;

typedef struct KVMVcpu {
    int fd;
    unsigned index;
    struct kvm_run *run; /* mmap'ed, run_size bytes */
} KVMVcpu;

/* Opens /dev/kvm and checks the API version and the capabilities used
 * here; the message says why KVM is not usable. */
int kvm_open(KVMState *s, char *err, size_t errlen);
/* Creates the VM: TSS and identity-map pages, in-kernel PIC + IOAPIC +
 * LAPICs, PIT. */
int kvm_vm_create(KVMState *s, char *err, size_t errlen);
/* Registers host memory [host, host + size) at guest physical gpa. */
int kvm_vm_add_ram(KVMState *s, uint64_t gpa, uint64_t size, void *host, char *err,
                   size_t errlen);
/* Sets the level of in-kernel irqchip input gsi (ISA IRQ 0-15 reach the
 * PIC and the IOAPIC, 16-23 the IOAPIC only). */
void kvm_set_irq(KVMState *s, unsigned gsi, int level);
/* Closes the VM (vCPUs must be closed first); the /dev/kvm fd stays. */
void kvm_vm_destroy(KVMState *s);
void kvm_close(KVMState *s);

int kvm_vcpu_create(KVMState *s, KVMVcpu *v, unsigned index, char *err, size_t errlen);
void kvm_vcpu_destroy(KVMState *s, KVMVcpu *v);
/* Whether /dev/kvm is PVM's (KVM on shadow paging without hardware
 * virtualization: the kvm_pvm module), whose instruction emulator cannot
 * run some instructions that kernels use. */
bool kvm_host_is_pvm(void);
/* Whether the host lists msr in KVM_GET_MSR_INDEX_LIST. */
bool kvm_msr_supported(const KVMState *s, uint32_t msr);

#endif
