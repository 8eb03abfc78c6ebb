/*
 * x86-complete.h — finishing, in mimic, the few instructions a KVM's
 * instruction emulator gives up on (KVM_EXIT_INTERNAL_ERROR, suberror
 * EMULATION). On a hardware-virtualized host this never happens; on PVM
 * (KVM on shadow paging, as on these machines) the emulator is asked to
 * run instructions it does not know.
 *
 * The one thing to know: only instructions that do not write memory are
 * completed (int3 by injecting #BP; popcnt/lzcnt/tzcnt between registers;
 * clac/stac; fwait, fninit, fnclex; the fences; ldmxcsr), so completing one
 * never writes guest memory behind KVM's back; anything else stays a fatal
 * exit.
 */
#ifndef MIMIC_ACCEL_KVM_X86_COMPLETE_H
#define MIMIC_ACCEL_KVM_X86_COMPLETE_H

#include "accel/kvm/kvm.h"
#include "mimic/memory.h"

/* 0 if the instruction at RIP was completed and the vCPU can go on. */
int x86_complete_instruction(KVMVcpu *v, const AddressSpace *as);

#endif
