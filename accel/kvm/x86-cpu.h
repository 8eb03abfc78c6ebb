/*
 * x86-cpu.h — setting up an x86-64 vCPU on KVM: CPUID (-cpu host, with
 * the KVM paravirtual leaves), the MSRs the host accepts, the local APIC's
 * LINT pins, and the register state a direct kernel boot starts in.
 *
 * The one thing to know: only the boot CPU gets a boot state; the others
 * stay in KVM's reset state, waiting for INIT/SIPI from the guest.
 */
#ifndef MIMIC_ACCEL_KVM_X86_CPU_H
#define MIMIC_ACCEL_KVM_X86_CPU_H

#include <stddef.h>
#include <stdint.h>

#include "accel/kvm/kvm.h"

typedef enum X86BootMode {
    X86_BOOT_LONG64, /* Linux 64-bit boot protocol: paging on, RSI = boot_params */
    X86_BOOT_PVH32,  /* PVH: 32-bit flat protected mode, paging off, EBX = start_info */
} X86BootMode;

/* Where the boot loaders left things in guest memory. */
typedef struct X86BootState {
    X86BootMode mode;
    uint64_t entry;
    uint64_t rsi, rbx;
    uint64_t cr3;      /* LONG64: the identity-mapping PML4 */
    uint64_t gdt_base; /* a GDT with __BOOT_CS 0x10, __BOOT_DS 0x18, TSS 0x20 */
} X86BootState;

/* Guest-physical address of the GDT the loaders write (x86_write_gdt). */
#define X86_BOOT_GDT_ADDR 0x500ull
#define X86_BOOT_GDT_SIZE (5 * 8)
/* Fills 5 descriptors: null, null, code (64-bit when long), data, TSS. */
void x86_build_gdt(uint64_t gdt[5], X86BootMode mode);

/* CPUID, MSRs and LAPIC for vCPU v of nb_cpus. */
int x86_cpu_setup(KVMState *s, KVMVcpu *v, unsigned nb_cpus, char *err, size_t errlen);
/* Registers and segments for the boot CPU. */
int x86_cpu_set_boot_state(KVMVcpu *v, const X86BootState *b, char *err, size_t errlen);
/* Prints the vCPU's registers on stderr (fatal exits). */
void x86_cpu_dump(KVMVcpu *v);

#endif
