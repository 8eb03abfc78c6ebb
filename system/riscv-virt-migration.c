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
#include "system/riscv-virt-internal.h"

static void mig_describe(void *opaque, MigMachine *mm)
{
    virt_mig_machine(opaque, mm);
}

static bool mig_stop(void *opaque)
{
    VirtMachine *m = opaque;
    bool running = m->runstate == MON_RUNSTATE_RUNNING;
    if (running) {
        virt_monitor_ops.stop(m);
    }
    virt_freeze_clock(m);
    return running;
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
