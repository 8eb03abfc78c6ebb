/*
 * riscv-virt-internal.h — the virt machine's state, shared by the board
 * (riscv-virt.c) and the hart loop (riscv-virt-harts.c) only.
 */
#ifndef MIMIC_SYSTEM_RISCV_VIRT_INTERNAL_H
#define MIMIC_SYSTEM_RISCV_VIRT_INTERNAL_H

#include "hw/virtio/virtio-console.h"
#include "hw/virtio/virtio-net.h"
#include "hw/virtio/virtio-rng.h"
#include "mimic/block.h"
#include "monitor/monitor.h"
#include "system/riscv-virt.h"

typedef struct VirtSlot {
    VirtMachine *m;
    unsigned index;
} VirtSlot;

struct VirtMachine {
    VirtConfig cfg;
    AddressSpace as;
    pthread_mutex_t lock;   /* the machine lock */
    pthread_cond_t wake;    /* harts in wfi wait here (with the lock) */
    RISCVSysContext sysctx;
    RISCVCPU *harts[VIRT_MAX_HARTS];
    CLINT clint;
    PLIC plic;
    UART16550 uart;
    SiFiveTest test;
    GoldfishRTC rtc;
    /* Per slot, indexed like cfg.devices: what is there. */
    BlockDriverState *bs[VIRT_VIRTIO_COUNT];
    VirtIOBlock blk[VIRT_VIRTIO_COUNT];
    VirtioNet *net[VIRT_VIRTIO_COUNT];
    VirtIORNG rng[VIRT_VIRTIO_COUNT];
    VirtIOConsole con[VIRT_VIRTIO_COUNT];
    bool has_con[VIRT_VIRTIO_COUNT];
    VirtIODevice *vdev[VIRT_VIRTIO_COUNT];
    VirtIODevice empty[VIRT_VIRTIO_COUNT];
    VirtSlot slots[VIRT_VIRTIO_COUNT];
    EventLoop *el;
    EventTimer *timer;       /* the next CLINT / stimecmp / RTC deadline */
    uint64_t timer_deadline; /* what it is armed for (UINT64_MAX: not) */
    bool shutdown;           /* every hart leaves virt_run */
    int exit_status;
    bool reboot_pending;     /* harts are gathering for a reboot */
    unsigned parked;         /* how many have arrived */
    uint64_t reboot_generation;
    /* Run state (riscv-virt-run.c): harts park at the top of their loop
     * while pause_req is set; the one who paused waits until all have. */
    MonRunState runstate;
    bool pause_req;
    unsigned paused_harts;   /* parked now */
    uint64_t stop_mtime;     /* the guest's mtime when it stopped */
    pid_t hart_tid[VIRT_MAX_HARTS];
    /* wfi polling (riscv-virt-harts.c): kicks per hart, whether it waits
     * in wfi now, and the pc and trap count of its last wfi that found an
     * interrupt pending and how many such in a row. */
    uint64_t hart_events[VIRT_MAX_HARTS];
    bool hart_waiting[VIRT_MAX_HARTS];
    uint64_t wfi_poll_pc[VIRT_MAX_HARTS];
    uint64_t wfi_poll_traps[VIRT_MAX_HARTS];
    unsigned wfi_polls[VIRT_MAX_HARTS];
    struct VirtGdb *gdb;     /* the gdb stub (riscv-virt-gdb.c), or NULL */
};

/* A hart that polls with wfi waits for an event after this many wfis in a
 * row that found an interrupt pending: at least WFI_POLL_MIN_NS, then until
 * no other hart runs firmware, at most WFI_POLL_MAX_NS, looking every
 * WFI_POLL_SLICE_NS. */
#define WFI_POLL_THRESHOLD 64
#define WFI_POLL_MIN_NS (20 * 1000 * 1000ull)
#define WFI_POLL_MAX_NS (1000 * 1000 * 1000ull)
#define WFI_POLL_SLICE_NS (2 * 1000 * 1000ull)

void virt_lock(void *opaque);
void virt_unlock(void *opaque);
/* Makes hart leave translated code and wake from wfi (lock held). */
void virt_kick(VirtMachine *m, unsigned hart);
/* Brings mip's timer bits up to date and re-arms the timer (lock held). */
void virt_sync_timers(VirtMachine *m);
/* Reboot: devices and harts reset, images loaded again (lock held, every
 * hart parked). */
int virt_reset(VirtMachine *m, char *err, size_t errlen);

/* riscv-virt-run.c (lock held). Parks every hart outside translated code
 * and waits until they all are; false if they already were (nested). */
bool virt_pause_all(VirtMachine *m);
/* Releases harts parked by virt_pause_all. */
void virt_resume_all(VirtMachine *m);
/* A hart at the top of its loop parks here while pause_req is set. */
void virt_park_hart(VirtMachine *m);
/* Stops the machine: every hart leaves virt_run (SHUTDOWN event). */
void virt_request_shutdown(VirtMachine *m, int status, bool guest, const char *reason);
/* riscv-virt-state.c (lock held, harts parked): the machine as a
 * MigMachine; the guest clock in ns (frozen while stopped); making mtime
 * read stop_mtime now (before a save of a stopped machine); and what
 * follows a load (flushes, interrupt lines, timers). */
struct MigMachine;
void virt_mig_machine(VirtMachine *m, struct MigMachine *mm);
uint64_t virt_guest_clock_ns(VirtMachine *m);
void virt_freeze_clock(VirtMachine *m);
void virt_state_post_load(VirtMachine *m);
/* riscv-virt-snapshot.c: savevm, loadvm, delvm, info snapshots (lock
 * held; -1 with QEMU's message), and -loadvm before the harts start. */
int virt_savevm(void *m, const char *name, char *err, size_t errlen);
int virt_loadvm(void *m, const char *name, char *err, size_t errlen);
int virt_delvm(void *m, const char *name, char *err, size_t errlen);
void virt_info_snapshots(void *m, MonBuf *out);
/* riscv-virt-migration.c: the monitor's migrate commands. */
int virt_mon_migrate(void *opaque, const char *uri, char *err, size_t errlen);
int virt_mon_migrate_incoming(void *opaque, const char *uri, char *err, size_t errlen);
void virt_mon_migrate_cancel(void *opaque);
void virt_mon_query_migrate(void *opaque, MonMigrateInfo *out);
int virt_mon_migrate_set_downtime(void *opaque, uint64_t ms, char *err, size_t errlen);
/* riscv-virt-blockdev.c: blockdev-snapshot-sync, the drive `device` (id
 * or node name) onto a new qcow2 overlay `file` (lock held). */
int virt_blockdev_snapshot_sync(void *opaque, const char *device, const char *file,
                                bool existing, char *err, size_t errlen);
/* The monitor's view of the machine (riscv-virt-monitor.c). */
extern const MonitorMachineOps virt_monitor_ops;
void virt_monitor_block_info(void *opaque, unsigned index, MonBlockInfo *out);
int virt_monitor_read_memory(void *opaque, unsigned cpu, bool virt, uint64_t addr, void *buf,
                             size_t len, uint64_t *fault_addr);
/* A debugger's view of virtual address va on hart cpu (riscv-virt-monitor.c). */
bool virt_debug_translate(VirtMachine *m, unsigned cpu, uint64_t va, uint64_t *pa);

#endif
