/*
 * riscv-virt-gdb.c — the gdb stub on the virt machine (-gdb, -s): one
 * debugger connection served by the I/O thread, one gdb thread per hart,
 * all-stop run control through the monitor's stop and cont.
 *
 * The one thing to know: a hart that returns EXCP_DEBUG (breakpoint or
 * finished step) cannot stop the machine itself (stopping waits for every
 * hart to park, itself included), so it records the stop, arms a timer for
 * "now" and waits; the timer runs in the I/O thread, stops the machine the
 * way the monitor's stop does, and sends gdb the stop reply.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mimic/gdbstub.h"
#include "system/riscv-virt-gdb.h"
#include "system/riscv-virt-internal.h"

struct VirtGdb {
    VirtMachine *m;
    GdbStub *stub;
    int listen_fd;
    int conn_fd;
    EventTimer *stop_timer;
    bool stop_pending;       /* a hart hit a debug exit; the timer stops all */
    unsigned stop_hart;
    GdbWatchKind stop_watch; /* and the watchpoint it hit (0: none) */
    uint64_t stop_addr;
    uint64_t held;           /* harts gdb left stopped when it resumed others */
};

static unsigned gdb_nb_cpus(void *opaque)
{
    VirtGdb *g = opaque;
    return g->m->cfg.nb_harts;
}

static CPUState *gdb_cpu(void *opaque, unsigned index)
{
    VirtGdb *g = opaque;
    return &g->m->harts[index]->cs;
}

static unsigned hart_of(VirtGdb *g, CPUState *cpu)
{
    return (unsigned)((RISCVCPU *)cpu)->priv.mhartid;
}

static int gdb_read_mem(void *opaque, CPUState *cpu, uint64_t addr, void *buf, size_t len)
{
    VirtGdb *g = opaque;
    uint64_t fault;
    return virt_monitor_read_memory(g->m, hart_of(g, cpu), true, addr, buf, len, &fault);
}

/* Writes through the hart's translation, page by page, as the monitor
 * reads; RAM only, and translations of the bytes written are dropped. */
static int gdb_write_mem(void *opaque, CPUState *cpu, uint64_t addr, const void *buf, size_t len)
{
    VirtGdb *g = opaque;
    const uint8_t *src = buf;
    while (len > 0) {
        size_t chunk = SOFTMMU_PAGE_SIZE - (size_t)(addr & (SOFTMMU_PAGE_SIZE - 1));
        chunk = chunk < len ? chunk : len;
        uint64_t pa;
        uint8_t *dst = NULL;
        if (virt_debug_translate(g->m, hart_of(g, cpu), addr, &pa)) {
            dst = address_space_map(&g->m->as, pa, chunk);
        }
        if (!dst) {
            return -1;
        }
        exec_code_write(pa, chunk);
        memcpy(dst, src, chunk);
        src += chunk;
        addr += chunk;
        len -= chunk;
    }
    return 0;
}

static void gdb_resume(void *opaque, uint64_t run, int step_cpu)
{
    VirtGdb *g = opaque;
    char err[128];
    g->held = ~run;
    if (step_cpu >= 0) {
        g->m->harts[step_cpu]->cs.debug_step = EXEC_STEP_REQUEST;
    }
    if (virt_monitor_ops.cont(g->m, err, sizeof(err)) < 0) {
        /* Shutting down: nothing will run; the guest is gone. */
        gdb_stub_report_exit(g->stub, g->m->exit_status);
    }
}

static unsigned watch_flags(GdbWatchKind kind)
{
    return kind == GDB_WATCH_WRITE  ? EXEC_WATCH_WRITE
           : kind == GDB_WATCH_READ ? EXEC_WATCH_READ
                                    : EXEC_WATCH_READ | EXEC_WATCH_WRITE;
}

/* The harts' TLBs forget every page so that watched ones refill slow. */
static void flush_tlbs(VirtGdb *g)
{
    for (unsigned h = 0; h < g->m->cfg.nb_harts; h++) {
        riscv_sys_tlb_flush(g->m->harts[h]);
    }
}

static int gdb_watch_insert(void *opaque, GdbWatchKind kind, uint64_t addr, uint64_t len)
{
    if (!exec_watchpoint_insert(addr, len, watch_flags(kind))) {
        return -1;
    }
    flush_tlbs(opaque);
    return 0;
}

static int gdb_watch_remove(void *opaque, GdbWatchKind kind, uint64_t addr, uint64_t len)
{
    exec_watchpoint_remove(addr, len, watch_flags(kind));
    flush_tlbs(opaque);
    return 0;
}

static void gdb_interrupt(void *opaque)
{
    VirtGdb *g = opaque;
    virt_monitor_ops.stop(g->m);
    gdb_stub_report_stop(g->stub, 0, 2, 0, 0);
}

static void gdb_kill(void *opaque)
{
    VirtGdb *g = opaque;
    virt_request_shutdown(g->m, 0, false, "host-gdb-kill");
}

/* The debugger is gone (D, or the connection closed): its breakpoints go
 * and a machine it stopped runs on. */
static void gdb_disconnect(VirtGdb *g)
{
    exec_breakpoint_remove_all();
    exec_watchpoint_remove_all();
    flush_tlbs(g);
    g->held = 0;
    for (unsigned h = 0; h < g->m->cfg.nb_harts; h++) {
        g->m->harts[h]->cs.debug_step = EXEC_STEP_NONE;
    }
    if (g->conn_fd >= 0) {
        event_loop_remove_fd(g->m->el, g->conn_fd);
        close(g->conn_fd);
        g->conn_fd = -1;
    }
    if (g->m->runstate == MON_RUNSTATE_PAUSED || g->m->runstate == MON_RUNSTATE_PRELAUNCH) {
        char err[128];
        virt_monitor_ops.cont(g->m, err, sizeof(err));
    }
}

static void gdb_detach(void *opaque)
{
    gdb_disconnect(opaque);
}

static void gdb_send(void *opaque, const void *buf, size_t len)
{
    VirtGdb *g = opaque;
    if (g->conn_fd >= 0 && !gdb_write_all(g->conn_fd, buf, len)) {
        gdb_disconnect(g);
    }
}

static const GdbHostOps virt_gdb_ops = {
    .nb_cpus = gdb_nb_cpus,
    .cpu = gdb_cpu,
    .read_mem = gdb_read_mem,
    .write_mem = gdb_write_mem,
    .resume = gdb_resume,
    .interrupt = gdb_interrupt,
    .kill = gdb_kill,
    .detach = gdb_detach,
    .watch_insert = gdb_watch_insert,
    .watch_remove = gdb_watch_remove,
    .send = gdb_send,
};

static void gdb_conn_readable(void *opaque, int fd, unsigned revents)
{
    VirtGdb *g = opaque;
    uint8_t buf[4096];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return;
    }
    if (n <= 0) {
        gdb_disconnect(g);
        return;
    }
    gdb_stub_input(g->stub, buf, (size_t)n);
}

static void gdb_listen_readable(void *opaque, int fd, unsigned revents)
{
    VirtGdb *g = opaque;
    int c = gdb_accept(fd);
    if (c < 0) {
        return;
    }
    if (g->conn_fd >= 0) {
        close(c); /* one debugger at a time */
        return;
    }
    g->conn_fd = c;
    /* As QEMU: a debugger that attaches finds the machine stopped. */
    if (g->m->runstate == MON_RUNSTATE_RUNNING) {
        virt_monitor_ops.stop(g->m);
    }
    gdb_stub_connected(g->stub);
    event_loop_set_fd(g->m->el, c, POLLIN, gdb_conn_readable, g);
}

/* I/O thread, lock held: finish the stop a hart asked for. */
static void gdb_stop_fired(void *opaque)
{
    VirtGdb *g = opaque;
    if (!g->stop_pending) {
        return;
    }
    virt_monitor_ops.stop(g->m);
    g->stop_pending = false;
    gdb_stub_report_stop(g->stub, g->stop_hart, 5, g->stop_watch, g->stop_addr);
}

bool virt_gdb_hold(VirtMachine *m, unsigned hart)
{
    VirtGdb *g = m->gdb;
    if (!g || !(g->held >> hart & 1)) {
        return false;
    }
    while ((g->held >> hart & 1) && !m->pause_req && !m->shutdown && !m->reboot_pending) {
        pthread_cond_wait(&m->wake, &m->lock);
    }
    return true;
}

void virt_gdb_debug_exit(VirtMachine *m, unsigned hart)
{
    CPUState *cs = &m->harts[hart]->cs;
    unsigned watch = cs->debug_watch_flags;
    cs->debug_watch_flags = 0;
    pthread_mutex_lock(&m->lock);
    VirtGdb *g = m->gdb;
    if (g && g->conn_fd >= 0 && m->runstate == MON_RUNSTATE_RUNNING) {
        if (!g->stop_pending) {
            g->stop_pending = true;
            g->stop_hart = hart;
            g->stop_watch = watch == EXEC_WATCH_WRITE  ? GDB_WATCH_WRITE
                            : watch == EXEC_WATCH_READ ? GDB_WATCH_READ
                            : watch                    ? GDB_WATCH_ACCESS
                                                       : 0;
            g->stop_addr = cs->debug_watch_addr;
            event_timer_mod(g->stop_timer, event_clock_ns());
        }
        /* Until the stop parks every hart (this one at the top of its loop). */
        while (g->stop_pending && !m->pause_req && !m->shutdown) {
            pthread_cond_wait(&m->wake, &m->lock);
        }
    }
    pthread_mutex_unlock(&m->lock);
}

int virt_gdb_start(VirtMachine *m, const char *spec, char *err, size_t errlen)
{
    VirtGdb *g = calloc(1, sizeof(*g));
    if (!g) {
        snprintf(err, errlen, "gdb: out of memory");
        return -1;
    }
    g->m = m;
    g->conn_fd = -1;
    g->listen_fd = gdb_listen(spec, err, errlen);
    g->stub = gdb_stub_new(&gdb_arch_riscv64, &virt_gdb_ops, g, true);
    if (g->listen_fd < 0 || !g->stub) {
        if (g->listen_fd >= 0) {
            close(g->listen_fd);
        }
        gdb_stub_free(g->stub);
        free(g);
        return -1;
    }
    pthread_mutex_lock(&m->lock);
    g->stop_timer = event_timer_new(m->el, gdb_stop_fired, g);
    event_loop_set_fd(m->el, g->listen_fd, POLLIN, gdb_listen_readable, g);
    m->gdb = g;
    pthread_mutex_unlock(&m->lock);
    return 0;
}

void virt_gdb_stop(VirtMachine *m)
{
    VirtGdb *g = m->gdb;
    if (!g) {
        return;
    }
    pthread_mutex_lock(&m->lock);
    if (g->conn_fd >= 0 && gdb_stub_running(g->stub)) {
        gdb_stub_report_exit(g->stub, m->exit_status); /* the guest powered off */
    }
    if (g->conn_fd >= 0) {
        event_loop_remove_fd(m->el, g->conn_fd);
        close(g->conn_fd);
    }
    event_loop_remove_fd(m->el, g->listen_fd);
    close(g->listen_fd);
    event_timer_free(g->stop_timer);
    m->gdb = NULL;
    pthread_mutex_unlock(&m->lock);
    gdb_stub_free(g->stub);
    free(g);
}
