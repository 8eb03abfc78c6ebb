/*
 * riscv-virt-migration.c — the virt machine's side of live migration: what
 * migration/ may do to it (stop, resume, look at its devices), -incoming,
 * and the monitor's migrate commands.
 *
 * The one thing to know: a destination waits in the "inmigrate" run state
 * (harts parked, like -S) until the stream is loaded; then it runs, unless
 * -S was given. A stream it cannot load ends the process with status 1,
 * the machine never having run.
 */
#include <stdio.h>
#include <string.h>

#include "migration/migration.h"
#include "system/drive.h"
#include "system/riscv-virt-internal.h"

static void mig_describe(void *opaque, MigMachine *mm)
{
    virt_mig_machine(opaque, mm);
}

/* Stops the machine and writes every image's metadata out (the
 * destination opens the images again when the stream ends). */
static bool mig_stop(void *opaque)
{
    VirtMachine *m = opaque;
    bool running = m->runstate == MON_RUNSTATE_RUNNING;
    if (running) {
        virt_monitor_ops.stop(m);
    }
    virt_freeze_clock(m);
    for (unsigned i = 0; i < m->cfg.nb_devices; i++) {
        Error *e = NULL;
        if (m->bs[i] && bdrv_flush(m->bs[i], &e) < 0) {
            fprintf(stderr, "mimic-system-riscv64: migration: %s\n", e ? e->msg : "flush failed");
        }
        error_free(e);
    }
    return running;
}

/* The destination's images were opened while the source wrote them: open
 * them again now that the source has flushed them (their caches are
 * stale). -1 with a message. */
static int reopen_drives(VirtMachine *m, char *err, size_t errlen)
{
    for (unsigned i = 0; i < m->cfg.nb_devices; i++) {
        const VirtDrive *dr = &m->cfg.devices[i].drive;
        BlockDriverState *bs;
        if (m->cfg.devices[i].kind != VIRT_DEV_BLK || !dr->incoming || dr->snapshot) {
            continue;
        }
        bdrv_close(m->bs[i], NULL);
        m->bs[i] = m->blk[i].bs = NULL;
        if (drive_open(dr->file, dr->format, dr->read_only, false, &bs, err, errlen) < 0) {
            return -1;
        }
        if (bs->total_size != m->blk[i].sectors * 512) {
            bdrv_close(bs, NULL);
            snprintf(err, errlen, "-drive file=%s: the image changed size", dr->file);
            return -1;
        }
        m->bs[i] = m->blk[i].bs = bs;
    }
    return 0;
}

static void mig_resume(void *opaque)
{
    char err[256];
    if (virt_monitor_ops.cont(opaque, err, sizeof(err)) < 0) {
        fprintf(stderr, "mimic-system-riscv64: cannot resume after migration: %s\n", err);
    }
}

static void mig_source_done(void *opaque)
{
    ((VirtMachine *)opaque)->runstate = MON_RUNSTATE_POSTMIGRATE;
}

static void mig_incoming_done(void *opaque, bool ok, const char *error)
{
    VirtMachine *m = opaque;
    char why[512];
    if (ok && reopen_drives(m, why, sizeof(why)) < 0) {
        ok = false;
        error = why;
    }
    if (!ok) {
        fprintf(stderr, "mimic-system-riscv64: load of migration failed: %s\n", error);
        virt_request_shutdown(m, 1, false, "host-error");
        return;
    }
    virt_state_post_load(m);
    m->runstate = MON_RUNSTATE_PAUSED;
    if (!m->cfg.start_paused) {
        mig_resume(m);
    }
}

static void mig_event(const char *status)
{
    char data[64];
    snprintf(data, sizeof(data), "{\"status\": \"%s\"}", status);
    monitor_event("MIGRATION", data);
}

void virt_migration_init(VirtMachine *m)
{
    MigrationHost h = {
        .opaque = m, .lock = virt_lock, .unlock = virt_unlock, .ram_base = VIRT_DRAM_BASE,
        .describe = mig_describe, .stop = mig_stop, .resume = mig_resume,
        .source_done = mig_source_done, .incoming_done = mig_incoming_done,
        .event = mig_event,
    };
    migration_init(&h);
}

int virt_start_incoming(VirtMachine *m, const char *uri, char *err, size_t errlen)
{
    pthread_mutex_lock(&m->lock);
    m->pause_req = true;
    m->runstate = MON_RUNSTATE_INMIGRATE;
    m->stop_mtime = clint_mtime(&m->clint);
    for (unsigned i = 0; i < m->cfg.nb_devices; i++) {
        if (m->net[i]) {
            virtio_net_set_vm_stopped(m->net[i], true);
        }
    }
    int r = strcmp(uri, "defer") ? migration_incoming(uri, err, errlen) : 0;
    pthread_mutex_unlock(&m->lock);
    return r;
}

/* ---- MonitorMachineOps ---- */

int virt_mon_migrate(void *opaque, const char *uri, char *err, size_t errlen)
{
    VirtMachine *m = opaque;
    if (m->runstate == MON_RUNSTATE_INMIGRATE) {
        snprintf(err, errlen, "Guest is waiting for an incoming migration");
        return -1;
    }
    return migration_start(uri, err, errlen);
}

int virt_mon_migrate_incoming(void *opaque, const char *uri, char *err, size_t errlen)
{
    VirtMachine *m = opaque;
    if (m->runstate != MON_RUNSTATE_INMIGRATE) {
        snprintf(err, errlen, "'-incoming' was not specified on the command line");
        return -1;
    }
    return migration_incoming(uri, err, errlen);
}

void virt_mon_migrate_cancel(void *opaque)
{
    migration_cancel();
}

void virt_mon_query_migrate(void *opaque, MonMigrateInfo *out)
{
    migration_query(out);
}

int virt_mon_migrate_set_downtime(void *opaque, uint64_t ms, char *err, size_t errlen)
{
    return migration_set_downtime(ms, err, errlen);
}
