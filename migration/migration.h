/*
 * migration.h — live migration between two mimic processes: the source's
 * pre-copy of RAM with dirty tracking, the final stop-and-copy, the
 * destination's load, and the status that query-migrate reports.
 *
 * The one thing to know: the stream is sent and received on a thread of
 * its own, so the I/O thread (QMP) stays responsive; that thread takes the
 * machine lock only to look at devices, to stop the machine for the last
 * round and to report. One migration runs at a time, in or out.
 */
#ifndef MIMIC_MIGRATION_MIGRATION_H
#define MIMIC_MIGRATION_MIGRATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "migration/vmstate.h"
#include "monitor/monitor.h"

typedef struct MigrationHost {
    void *opaque;
    void (*lock)(void *opaque);
    void (*unlock)(void *opaque);
    uint64_t ram_base;   /* guest physical address of MigMachine.ram */
    /* The rest are called with the lock held. */
    void (*describe)(void *opaque, MigMachine *mm);
    bool (*stop)(void *opaque);          /* true if it was running */
    void (*resume)(void *opaque);
    void (*source_done)(void *opaque);   /* migrated: stays stopped (postmigrate) */
    /* The destination's load ended: ok, the machine state is in place (run
     * it); not ok, error says why. */
    void (*incoming_done)(void *opaque, bool ok, const char *error);
    void (*event)(const char *status);   /* the MIGRATION event */
} MigrationHost;

#define MIG_DEFAULT_DOWNTIME_MS 300

void migration_init(const MigrationHost *host);
/* Lock held. Starts sending to uri; -1 with a message if one runs. */
int migration_start(const char *uri, char *err, size_t errlen);
/* Lock held, or before the machine runs: listens or opens uri and loads
 * the stream on a thread. */
int migration_incoming(const char *uri, char *err, size_t errlen);
void migration_cancel(void);
void migration_query(MonMigrateInfo *out);
int migration_set_downtime(uint64_t ms, char *err, size_t errlen);
/* -1 with "There's a migration process in progress" while one runs (in
 * or out): savevm and loadvm must not change the machine meanwhile. */
int migration_check_idle(char *err, size_t errlen);
/* At exit, without the lock: cancels what runs and waits for its thread. */
void migration_finish(void);

#endif
