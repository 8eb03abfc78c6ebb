/*
 * riscv-virt-run.c — the virt machine's run state for the monitor: stop
 * and cont (QEMU's vm_stop/vm_start), system_reset, system_powerdown and
 * shutdown requests, with their QMP events.
 *
 * The one thing to know: a stop sets pause_req, kicks every hart out of
 * translated code and wfi, and waits on m->wake (which releases the
 * machine lock) until every hart is parked at the top of its loop; so it
 * can be called from the I/O thread holding the lock, and no hart is ever
 * inside a device or translated code while the machine is stopped. The
 * guest's clock (CLINT mtime) is frozen across a stop: cont moves the
 * CLINT's offset back by the stopped interval, and the machine's timer
 * does not raise interrupts while stopped.
 */
#include <stdio.h>

#include "system/riscv-virt-internal.h"

bool virt_pause_all(VirtMachine *m)
{
    if (m->pause_req) {
        return false;
    }
    m->pause_req = true;
    for (unsigned h = 0; h < m->cfg.nb_harts; h++) {
        virt_kick(m, h);
    }
    while (m->paused_harts < m->cfg.nb_harts && !m->shutdown) {
        pthread_cond_wait(&m->wake, &m->lock);
    }
    return true;
}

void virt_resume_all(VirtMachine *m)
{
    m->pause_req = false;
    pthread_cond_broadcast(&m->wake);
}

void virt_park_hart(VirtMachine *m)
{
    m->paused_harts++;
    pthread_cond_broadcast(&m->wake); /* the pauser counts us */
    while (m->pause_req && !m->shutdown) {
        pthread_cond_wait(&m->wake, &m->lock);
    }
    m->paused_harts--;
}

void virt_request_shutdown(VirtMachine *m, int status, bool guest, const char *reason)
{
    if (m->shutdown) {
        return;
    }
    m->exit_status = status;
    m->shutdown = true;
    m->runstate = MON_RUNSTATE_SHUTDOWN;
    monitor_event_shutdown(guest, reason);
    for (unsigned h = 0; h < m->cfg.nb_harts; h++) {
        virt_kick(m, h);
    }
}

/* No frame reaches guest memory while stopped (as QEMU): they wait in the
 * backends' queues and are delivered on cont. */
static void virt_set_nics_stopped(VirtMachine *m, bool stopped)
{
    for (unsigned i = 0; i < m->cfg.nb_devices; i++) {
        if (m->net[i]) {
            virtio_net_set_vm_stopped(m->net[i], stopped);
        }
    }
}

/* ---- MonitorMachineOps: run control ---- */

static MonRunState virt_mon_run_state(void *opaque)
{
    return ((VirtMachine *)opaque)->runstate;
}

static void virt_mon_stop(void *opaque)
{
    VirtMachine *m = opaque;
    if (m->runstate != MON_RUNSTATE_RUNNING) {
        return; /* QEMU: stopping a stopped machine is no error, no event */
    }
    virt_pause_all(m);
    m->stop_mtime = clint_mtime(&m->clint);
    m->runstate = MON_RUNSTATE_PAUSED;
    virt_set_nics_stopped(m, true);
    monitor_event("STOP", NULL);
}

static int virt_mon_cont(void *opaque, char *err, size_t errlen)
{
    VirtMachine *m = opaque;
    if (m->runstate == MON_RUNSTATE_RUNNING) {
        return 0;
    }
    if (m->runstate == MON_RUNSTATE_SHUTDOWN || m->shutdown) {
        snprintf(err, errlen, "the machine is shutting down");
        return -1;
    }
    if (m->runstate == MON_RUNSTATE_INMIGRATE) {
        snprintf(err, errlen, "Guest is waiting for an incoming migration");
        return -1;
    }
    /* Guest time resumes where it stopped. */
    m->clint.mtime_offset += (int64_t)(m->stop_mtime - clint_mtime(&m->clint));
    m->runstate = MON_RUNSTATE_RUNNING;
    monitor_event("RESUME", NULL);
    virt_resume_all(m);
    virt_sync_timers(m);
    virt_set_nics_stopped(m, false);
    return 0;
}

/* Synchronous, like QEMU's: the harts are parked, the machine is reset and
 * the RESET event sent before the command returns; a stopped machine stays
 * stopped. */
static void virt_mon_system_reset(void *opaque)
{
    VirtMachine *m = opaque;
    if (m->shutdown) {
        return;
    }
    if (m->cfg.no_reboot) { /* as QEMU: with -no-reboot every reset is a shutdown */
        virt_request_shutdown(m, 0, false, "host-qmp-system-reset");
        return;
    }
    bool paused_here = virt_pause_all(m);
    if (m->shutdown) {
        return;
    }
    char err[256];
    if (virt_reset(m, err, sizeof(err)) < 0) {
        fprintf(stderr, "mimic-system-riscv64: reset failed: %s\n", err);
        virt_request_shutdown(m, 1, false, "host-error");
    } else {
        monitor_event_reset(false, "host-qmp-system-reset");
    }
    if (m->runstate != MON_RUNSTATE_RUNNING) {
        /* Stopped (or prelaunch): the clock stays frozen at the new start. */
        m->stop_mtime = clint_mtime(&m->clint);
    }
    if (paused_here) {
        virt_resume_all(m);
    }
}

/* QEMU's virt board for RISC-V has no power button (no ACPI, no GPIO key,
 * no powerdown notifier): system_powerdown sends the POWERDOWN event and
 * the guest sees nothing. mimic does the same. */
static void virt_mon_system_powerdown(void *opaque)
{
    (void)opaque;
    monitor_event("POWERDOWN", NULL);
}

static void virt_mon_quit(void *opaque, const char *reason)
{
    virt_request_shutdown(opaque, 0, false, reason);
}

static unsigned virt_mon_cpu_count(void *opaque)
{
    return ((VirtMachine *)opaque)->cfg.nb_harts;
}

static void virt_mon_cpu_info(void *opaque, unsigned cpu, MonCpuInfo *out)
{
    VirtMachine *m = opaque;
    out->thread_id = m->hart_tid[cpu];
    snprintf(out->qom_path, sizeof(out->qom_path), "/machine/soc0/harts[%u]", cpu);
    out->core_id = cpu;
}

void virt_monitor_dump_registers(void *opaque, unsigned cpu, MonBuf *out);
bool virt_monitor_register_value(void *opaque, unsigned cpu, const char *name, uint64_t *v);
int virt_monitor_read_memory(void *opaque, unsigned cpu, bool virt, uint64_t addr, void *buf,
                             size_t len, uint64_t *fault_addr);
void virt_monitor_dump_mtree(void *opaque, MonBuf *out);
void virt_monitor_dump_tlb(void *opaque, unsigned cpu, MonBuf *out);
void virt_monitor_dump_mem(void *opaque, unsigned cpu, MonBuf *out);
unsigned virt_monitor_block_count(void *opaque);

const MonitorMachineOps virt_monitor_ops = {
    .target = "riscv64",
    .run_state = virt_mon_run_state,
    .stop = virt_mon_stop,
    .cont = virt_mon_cont,
    .system_reset = virt_mon_system_reset,
    .system_powerdown = virt_mon_system_powerdown,
    .quit = virt_mon_quit,
    .cpu_count = virt_mon_cpu_count,
    .cpu_info = virt_mon_cpu_info,
    .dump_registers = virt_monitor_dump_registers,
    .register_value = virt_monitor_register_value,
    .read_memory = virt_monitor_read_memory,
    .dump_mtree = virt_monitor_dump_mtree,
    .dump_tlb = virt_monitor_dump_tlb,
    .dump_mem = virt_monitor_dump_mem,
    .block_count = virt_monitor_block_count,
    .block_info = virt_monitor_block_info,
    .savevm = virt_savevm,
    .loadvm = virt_loadvm,
    .delvm = virt_delvm,
    .info_snapshots = virt_info_snapshots,
    .migrate = virt_mon_migrate,
    .migrate_incoming = virt_mon_migrate_incoming,
    .migrate_cancel = virt_mon_migrate_cancel,
    .query_migrate = virt_mon_query_migrate,
    .migrate_set_downtime = virt_mon_migrate_set_downtime,
    .blockdev_snapshot_sync = virt_blockdev_snapshot_sync,
};

int virt_start_monitor(VirtMachine *m, char *err, size_t errlen)
{
    pthread_mutex_lock(&m->lock);
    int r = monitor_start(m->el, &virt_monitor_ops, m, m->cfg.serial, err, errlen);
    pthread_mutex_unlock(&m->lock);
    return r;
}
