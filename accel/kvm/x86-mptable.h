/*
 * x86-mptable.h — the Intel MultiProcessor Specification 1.4 tables that
 * tell a kernel without ACPI how many CPUs there are and how the ISA
 * interrupts reach the IOAPIC (written for -smp > 1).
 *
 * The one thing to know: the floating pointer and the configuration
 * table live in the last KiB of base memory (X86_BOOT_EBDA), which the
 * memory map marks reserved; a kernel built without CONFIG_X86_MPPARSE
 * (Debian's cloud kernel is one) ignores them and runs on one CPU.
 */
#ifndef MIMIC_ACCEL_KVM_X86_MPTABLE_H
#define MIMIC_ACCEL_KVM_X86_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "mimic/memory.h"

#define X86_IOAPIC_ADDR 0xfec00000u
#define X86_LAPIC_ADDR 0xfee00000u

/* cpu_signature and cpu_features are CPUID leaf 1's EAX and EDX. */
int x86_write_mptable(AddressSpace *as, unsigned nb_cpus, uint32_t cpu_signature,
                      uint32_t cpu_features, char *err, size_t errlen);

#endif
