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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accel/kvm/kvm.h"
#include "mimic/memory.h"

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

/* One "-cpu host,-FEATURE" edit: clears a CPUID bit the host offers. */
typedef struct X86CpuidEdit {
    uint32_t function, index;
    uint8_t reg;      /* 0 EAX, 1 EBX, 2 ECX, 3 EDX */
    uint32_t mask;
} X86CpuidEdit;

#define X86_MAX_CPUID_EDITS 32

/* "-cx16", "cx16=off" (an edit; returns 1), "+cx16", "cx16=on" (nothing
 * to do once the host is known to offer it; returns 0); -1 for a feature
 * name this table does not know, with the reason in err. */
int x86_cpu_parse_feature(const char *spec, X86CpuidEdit *edit, bool *want, char *err,
                          size_t errlen);
/* Whether the host's CPUID (as KVM supports it) has the edit's bit. */
bool x86_cpu_host_has(const KVMState *s, const X86CpuidEdit *edit);

/* CPUID (with the edits applied), MSRs and LAPIC for vCPU v of nb_cpus. */
int x86_cpu_setup(KVMState *s, KVMVcpu *v, unsigned nb_cpus, const X86CpuidEdit *edits,
                  unsigned nb_edits, char *err, size_t errlen);
/* Registers and segments for the boot CPU. */
int x86_cpu_set_boot_state(KVMVcpu *v, const X86BootState *b, char *err, size_t errlen);
/* Delivers the #BP of the int3 at RIP to the guest (RIP moves past it,
 * as the trap requires). */
int x86_cpu_inject_int3(KVMVcpu *v);
/* Prints the vCPU's registers and the code bytes at RIP (when they are in
 * guest RAM) on stderr, for fatal exits. */
void x86_cpu_dump(KVMVcpu *v, const AddressSpace *as);

#endif
