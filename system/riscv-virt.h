/*
 * riscv-virt.h — the RISC-V `virt` machine: RAM, the mask ROM, CLINT,
 * PLIC, the NS16550A UART, the SiFive test finisher, the Goldfish RTC and
 * eight virtio-mmio slots, laid out as QEMU's virt so the same firmware
 * and kernels boot; and its harts, run by virt_run().
 *
 * The one thing to know: one lock (the machine lock) serialises every
 * device access — from the harts' MMIO slow path and from the I/O thread
 * (the event loop: console input, timers) — and every change of a hart's
 * interrupt lines; a hart that must notice something (an interrupt, a
 * shutdown request) gets exit_request set and its wfi wait signalled.
 */
#ifndef MIMIC_SYSTEM_RISCV_VIRT_H
#define MIMIC_SYSTEM_RISCV_VIRT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/char/uart16550.h"
#include "hw/intc/clint.h"
#include "hw/intc/plic.h"
#include "hw/misc/goldfish-rtc.h"
#include "hw/misc/sifive-test.h"
#include "hw/virtio/virtio-blk.h"
#include "mimic/chardev.h"
#include "mimic/event-loop.h"
#include "mimic/memory.h"
#include "system/riscv-virt-fdt.h"
#include "target/riscv64/softmmu.h"

#define VIRT_MAX_HARTS 8

typedef struct VirtDrive {
    const char *id;      /* -drive id=, or NULL (the monitor says virtioN) */
    const char *file;
    const char *format;  /* NULL: probe */
    bool read_only;
    bool snapshot;       /* writes go to a temporary overlay */
    bool incoming;       /* -incoming: opened again when the migration is done */
} VirtDrive;

/* A device in a virtio-mmio slot; slots fill from the top (the first
 * device gets the highest address, as in QEMU). */
typedef enum VirtDeviceKind {
    VIRT_DEV_BLK,     /* drive */
    VIRT_DEV_NET,     /* nic: index into the net module's NICs (net_nic_get) */
    VIRT_DEV_RNG,     /* virtio-rng-device */
    VIRT_DEV_CONSOLE, /* virtconsole on chardev */
} VirtDeviceKind;

typedef struct VirtDevice {
    VirtDeviceKind kind;
    VirtDrive drive;
    unsigned nic;
    Chardev *chardev;
} VirtDevice;

typedef struct VirtConfig {
    uint64_t ram_size;
    unsigned nb_harts;
    const char *bios;    /* path, "none", or NULL for Debian's OpenSBI fw_dynamic */
    const char *kernel;
    const char *initrd;
    const char *append;
    const char *dtb;     /* NULL: generated */
    const char *dumpdtb; /* -M virt,dumpdtb=FILE: write the device tree there, do not run */
    VirtDevice devices[VIRT_VIRTIO_COUNT];
    unsigned nb_devices;
    bool networking;     /* -netdev/-nic given: the net module is set up */
    bool no_reboot;
    Chardev *serial;     /* the UART's host end (-serial; the machine frees it); NULL: none */
    bool start_paused;   /* -S: the harts wait for the monitor's cont */
} VirtConfig;

typedef struct VirtMachine VirtMachine;

/* Builds and loads the machine; NULL with a message naming the option or
 * file at fault in err. */
VirtMachine *virt_create(const VirtConfig *cfg, char *err, size_t errlen);
/* Runs the harts until poweroff; returns the exit status mimic should
 * exit with (0 for a plain poweroff, the test finisher's code otherwise). */
int virt_run(VirtMachine *m);
void virt_destroy(VirtMachine *m);
/* Starts QMP and the human monitors given on the command line (after
 * virt_create, before virt_run); -1 with a message. */
int virt_start_monitor(VirtMachine *m, char *err, size_t errlen);

/* -loadvm NAME: the machine takes the state of snapshot NAME before its
 * harts start; -1 with QEMU's message. */
int virt_start_loadvm(VirtMachine *m, const char *name, char *err, size_t errlen);

/* Live migration: set up once (after virt_create); -incoming URI|defer
 * makes the machine wait for a migration stream (before virt_run); at
 * exit, before virt_destroy, migration_finish() (migration/migration.h). */
void virt_migration_init(VirtMachine *m);
int virt_start_incoming(VirtMachine *m, const char *uri, char *err, size_t errlen);

/* Debian's OpenSBI fw_dynamic.bin for the generic platform. */
#define VIRT_DEFAULT_BIOS "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"

#endif
