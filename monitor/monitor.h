/*
 * monitor.h — QMP (the JSON machine protocol) and the human monitor (HMP):
 * what a machine offers them, and how the program starts them.
 *
 * The one thing to know: everything in monitor/ runs in the I/O thread
 * (the event loop), under the machine lock, like a device callback; the
 * machine's MonitorMachineOps are called with that lock held and must not
 * take it. Events (STOP, SHUTDOWN...) may be raised from any thread that
 * holds the lock (a hart powering off): they are queued on each QMP client
 * and written by the event loop.
 */
#ifndef MIMIC_MONITOR_H
#define MIMIC_MONITOR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mimic/chardev.h"
#include "mimic/event-loop.h"

/* A growing text buffer (HMP output, command replies); at most
 * MONBUF_MAX bytes, what goes beyond is cut and `truncated` set. */
#define MONBUF_MAX (4u << 20)
typedef struct MonBuf {
    char *data;
    size_t len, cap;
    bool truncated;
} MonBuf;

void monbuf_printf(MonBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void monbuf_vprintf(MonBuf *b, const char *fmt, va_list ap);
void monbuf_append(MonBuf *b, const char *data, size_t len);
void monbuf_free(MonBuf *b);

/* QEMU's run states (query-status "status"). */
typedef enum MonRunState {
    MON_RUNSTATE_PRELAUNCH,
    MON_RUNSTATE_RUNNING,
    MON_RUNSTATE_PAUSED,
    MON_RUNSTATE_SHUTDOWN,
    MON_RUNSTATE_INMIGRATE,   /* -incoming: waiting for the migration stream */
    MON_RUNSTATE_POSTMIGRATE, /* migrated away: stopped */
} MonRunState;

const char *monitor_runstate_name(MonRunState s);

typedef struct MonCpuInfo {
    pid_t thread_id;     /* the hart's host thread (0: not started) */
    char qom_path[64];
    unsigned core_id;
} MonCpuInfo;

typedef struct MonBlockStats {
    uint64_t rd_bytes, wr_bytes, unmap_bytes;
    uint64_t rd_ops, wr_ops, flush_ops, unmap_ops;
    uint64_t failed_rd_ops, failed_wr_ops, failed_flush_ops, failed_unmap_ops;
    uint64_t invalid_rd_ops, invalid_wr_ops, invalid_flush_ops, invalid_unmap_ops;
    uint64_t rd_total_ns, wr_total_ns, flush_total_ns, unmap_total_ns;
    uint64_t wr_highest_offset;
    int64_t last_access_ns; /* event_clock_ns() of the last request, or -1 */
} MonBlockStats;

typedef struct MonBlockInfo {
    char device[64];     /* the -drive id, or virtioN */
    char node_name[32];
    char qdev[64];
    const char *file;
    const char *format;
    bool read_only;
    uint64_t virtual_size;
    int64_t actual_size; /* bytes the image file takes on the host, or -1 */
    const char *backing_file; /* NULL: none */
    MonBlockStats stats;
} MonBlockInfo;

/* query-migrate, with QEMU's keys (status NULL: no migration yet). */
typedef struct MonMigrateInfo {
    const char *status;   /* setup, active, completed, failed, cancelling, cancelled */
    int64_t total_time_ms, setup_time_ms, downtime_ms, expected_downtime_ms;
    uint64_t transferred, remaining, total, duplicate, normal, normal_bytes;
    uint64_t dirty_sync_count, dirty_pages_rate;
    double mbps;
    char error[256];      /* failed: why */
} MonMigrateInfo;

/* What a machine offers the monitor; every call is made in the I/O thread
 * with the machine lock held. */
typedef struct MonitorMachineOps {
    const char *target;  /* query-cpus-fast "target", e.g. "riscv64" */
    MonRunState (*run_state)(void *opaque);
    /* Parks every CPU outside translated code (STOP event). */
    void (*stop)(void *opaque);
    /* Lets them run again (RESUME event); -1 with a message if it cannot. */
    int (*cont)(void *opaque, char *err, size_t errlen);
    void (*system_reset)(void *opaque);       /* RESET event */
    void (*system_powerdown)(void *opaque);   /* POWERDOWN event */
    void (*quit)(void *opaque, const char *reason); /* SHUTDOWN event, exit */
    unsigned (*cpu_count)(void *opaque);
    void (*cpu_info)(void *opaque, unsigned cpu, MonCpuInfo *out);
    /* HMP: info registers of one CPU. */
    void (*dump_registers)(void *opaque, unsigned cpu, MonBuf *out);
    /* A register by name for x/xp expressions ($pc, $sp, $a0...). */
    bool (*register_value)(void *opaque, unsigned cpu, const char *name, uint64_t *value);
    /* Reads guest memory: virt through cpu's current translation, or
     * physical. 0, or -1 with *fault_addr the first address that failed. */
    int (*read_memory)(void *opaque, unsigned cpu, bool virt, uint64_t addr, void *buf,
                       size_t len, uint64_t *fault_addr);
    void (*dump_mtree)(void *opaque, MonBuf *out);
    /* info tlb (every leaf mapping) and info mem (merged ranges). */
    void (*dump_tlb)(void *opaque, unsigned cpu, MonBuf *out);
    void (*dump_mem)(void *opaque, unsigned cpu, MonBuf *out);
    unsigned (*block_count)(void *opaque);
    void (*block_info)(void *opaque, unsigned index, MonBlockInfo *out);
    /* Optional (NULL: the machine has no snapshots): savevm, loadvm,
     * delvm NAME, 0 or -1 with QEMU's message; info snapshots. */
    int (*savevm)(void *opaque, const char *name, char *err, size_t errlen);
    int (*loadvm)(void *opaque, const char *name, char *err, size_t errlen);
    int (*delvm)(void *opaque, const char *name, char *err, size_t errlen);
    void (*info_snapshots)(void *opaque, MonBuf *out);
    /* Optional (NULL: no migration): migrate to URI in the background,
     * migrate-incoming (after -incoming defer), migrate_cancel,
     * query-migrate, and the downtime limit in ms. -1 with a message. */
    int (*migrate)(void *opaque, const char *uri, char *err, size_t errlen);
    int (*migrate_incoming)(void *opaque, const char *uri, char *err, size_t errlen);
    void (*migrate_cancel)(void *opaque);
    void (*query_migrate)(void *opaque, MonMigrateInfo *out);
    int (*migrate_set_downtime)(void *opaque, uint64_t ms, char *err, size_t errlen);
    /* Optional (NULL: not offered): blockdev-snapshot-sync, the drive
     * `device` (id or node name) onto a qcow2 overlay `file` whose backing
     * file is its current image (created, unless `existing`). */
    int (*blockdev_snapshot_sync)(void *opaque, const char *device, const char *file,
                                  bool existing, char *err, size_t errlen);
} MonitorMachineOps;

/* The options, collected before the machine exists (-qmp, -monitor, -mon);
 * each returns -1 with a message naming the problem. */
int monitor_add_qmp(const char *spec, char *err, size_t errlen);   /* -qmp SPEC */
int monitor_add_hmp(const char *spec, char *err, size_t errlen);   /* -monitor SPEC */
/* -mon chardev=ID[,mode=control|readline][,pretty=on|off]; chr found by
 * the caller from ID. */
int monitor_add_on_chardev(Chardev *chr, bool control, bool pretty, char *err,
                           size_t errlen);
/* Whether one of the monitors uses the process's stdio (-qmp/-monitor stdio). */
bool monitor_uses_stdio(void);
/* Whether -monitor none was given. */
bool monitor_disabled(void);
/* Parses -mon's option string into its parts (chardev id copied to id). */
int monitor_parse_mon(const char *spec, char *id, size_t idlen, bool *control, bool *pretty,
                      char *err, size_t errlen);

/* Starts listening and attaches chardev monitors in el's thread; the
 * serial mux (mon:, may be NULL) gets a human monitor behind Ctrl-a c. */
int monitor_start(EventLoop *el, const MonitorMachineOps *ops, void *opaque, Chardev *mux,
                  char *err, size_t errlen);
/* After the event loop has stopped: writes what is still queued for the
 * clients (bounded wait), closes every socket and frees the monitors. */
void monitor_finish(void);

/* Events (machine lock held, any thread). data: a JSON object text or NULL. */
void monitor_event(const char *name, const char *data_json);
void monitor_event_shutdown(bool guest, const char *reason);
void monitor_event_reset(bool guest, const char *reason);

#endif
