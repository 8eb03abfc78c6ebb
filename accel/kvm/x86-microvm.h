/*
 * x86-microvm.h — the x86-64 `microvm` machine on KVM, laid out as QEMU's
 * `-M microvm` without ACPI, so the same kernels boot on both: RAM from 0
 * (below 3 GiB, the rest above 4 GiB), COM1 (16550 at 0x3f8, IRQ 4), the
 * i8042 (reset line), the CMOS RTC, and eight virtio-mmio transports of
 * 512 bytes from 0xfeb00000 on IRQs 5 to 12, described to the kernel on
 * its command line; the PIC, IOAPIC, LAPICs and PIT are KVM's.
 *
 * The one thing to know: one lock (the machine lock) serialises every
 * device access, from the vCPU threads' port-I/O and MMIO exits and from
 * the I/O thread (the event loop: console input, network, timers).
 */
#ifndef MIMIC_ACCEL_KVM_X86_MICROVM_H
#define MIMIC_ACCEL_KVM_X86_MICROVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accel/kvm/x86-cpu.h"
#include "mimic/chardev.h"

#define MICROVM_MAX_CPUS 32
#define MICROVM_VIRTIO_COUNT 8
#define MICROVM_VIRTIO_BASE 0xfeb00000ull
#define MICROVM_VIRTIO_STRIDE 0x200ull
#define MICROVM_VIRTIO_IRQ 5
#define MICROVM_COM1_PORT 0x3f8
#define MICROVM_COM1_IRQ 4
#define MICROVM_I8042_IRQ 1

typedef enum MicrovmDeviceKind {
    MICROVM_DEV_BLK,
    MICROVM_DEV_NET, /* nic: index into the net module's NICs (net_nic_get) */
    MICROVM_DEV_RNG,
} MicrovmDeviceKind;

typedef struct MicrovmDevice {
    MicrovmDeviceKind kind;
    const char *file;    /* BLK */
    const char *format;  /* BLK; NULL: probe */
    bool read_only, snapshot;
    unsigned nic;        /* NET */
} MicrovmDevice;

typedef struct MicrovmConfig {
    uint64_t ram_size;
    unsigned nb_cpus;
    /* -cpu host,-FEATURE: bits taken out of the host's CPUID; and the
     * +FEATURE ones, which the host must offer. */
    X86CpuidEdit cpu_clear[X86_MAX_CPUID_EDITS];
    unsigned nb_cpu_clear;
    X86CpuidEdit cpu_need[X86_MAX_CPUID_EDITS];
    unsigned nb_cpu_need;
    const char *kernel;
    const char *initrd;
    const char *append;
    bool auto_cmdline;   /* append virtio_mmio.device= for each device (default on) */
    bool pvm_fixups;     /* on PVM: hide cx16, and for Linux add PVM_LINUX_ARGS (default on) */
    MicrovmDevice devices[MICROVM_VIRTIO_COUNT];
    unsigned nb_devices;
    bool networking;
    bool no_reboot;
    Chardev *serial;     /* COM1's host end (the machine frees it); NULL: none */
} MicrovmConfig;

/* What a Linux kernel needs on PVM, whose emulator cannot run xsave/xrstor
 * nor clac/stac, and which does not let CPUID hide them. */
#define PVM_LINUX_ARGS "noxsave clearcpuid=smap,ssse3,sse4_1,sse4_2,pclmulqdq,aes,avx,avx2,avx512f,sha_ni"

typedef struct Microvm Microvm;

/* Opens /dev/kvm, builds the devices and checks the images; NULL with a
 * message in err (which begins "KVM is not available: " when that is the
 * reason). */
Microvm *microvm_create(const MicrovmConfig *cfg, char *err, size_t errlen);
/* Runs the guest until it powers off, halts for good, or resets under
 * -no-reboot; returns mimic's exit status. */
int microvm_run(Microvm *m);
void microvm_destroy(Microvm *m);

#endif
