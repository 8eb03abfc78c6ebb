/*
 * qmp-fake-machine.h — a pretend machine behind MonitorMachineOps for the
 * QMP unit test and fuzzer: two CPUs, 64 KiB of "RAM" at 0x80000000, one
 * drive, a run state that stop/cont/quit change; and a QMP session on one
 * end of a socketpair, so the real protocol code runs against it.
 *
 * The one thing to know: header-only (static functions), included by
 * exactly one file of each program.
 */
#ifndef MIMIC_TESTS_QMP_FAKE_MACHINE_H
#define MIMIC_TESTS_QMP_FAKE_MACHINE_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monitor/monitor-internal.h"

#define FAKE_RAM_BASE 0x80000000ull
#define FAKE_RAM_SIZE 0x10000u

static uint8_t fake_ram[FAKE_RAM_SIZE];
static MonRunState fake_state = MON_RUNSTATE_RUNNING;
static unsigned fake_resets, fake_quits;

static MonRunState fake_run_state(void *o) { return fake_state; }
static void fake_stop(void *o)
{
    if (fake_state == MON_RUNSTATE_RUNNING) {
        fake_state = MON_RUNSTATE_PAUSED;
        monitor_event("STOP", NULL);
    }
}
static int fake_cont(void *o, char *err, size_t len)
{
    if (fake_state == MON_RUNSTATE_SHUTDOWN) {
        snprintf(err, len, "the machine is shutting down");
        return -1;
    }
    if (fake_state != MON_RUNSTATE_RUNNING) {
        fake_state = MON_RUNSTATE_RUNNING;
        monitor_event("RESUME", NULL);
    }
    return 0;
}
static void fake_reset(void *o)
{
    fake_resets++;
    monitor_event_reset(false, "host-qmp-system-reset");
}
static void fake_powerdown(void *o) { monitor_event("POWERDOWN", NULL); }
static void fake_quit(void *o, const char *reason)
{
    fake_quits++;
    fake_state = MON_RUNSTATE_SHUTDOWN;
    monitor_event_shutdown(false, reason);
}
static unsigned fake_cpu_count(void *o) { return 2; }
static void fake_cpu_info(void *o, unsigned cpu, MonCpuInfo *out)
{
    out->thread_id = 1000 + (pid_t)cpu;
    snprintf(out->qom_path, sizeof(out->qom_path), "/machine/soc0/harts[%u]", cpu);
    out->core_id = cpu;
}
static void fake_dump_registers(void *o, unsigned cpu, MonBuf *out)
{
    monbuf_printf(out, " pc       %016x\n", 0x80000000u + cpu);
}
static bool fake_register_value(void *o, unsigned cpu, const char *name, uint64_t *v)
{
    if (!strcmp(name, "pc")) {
        *v = FAKE_RAM_BASE + 16 * cpu;
        return true;
    }
    return false;
}
static int fake_read_memory(void *o, unsigned cpu, bool virt, uint64_t addr, void *buf,
                            size_t len, uint64_t *fault)
{
    /* virtual: the RAM also appears at 0 (a pretend identity map) */
    uint64_t base = virt ? 0 : FAKE_RAM_BASE;
    if (addr < base || addr - base > FAKE_RAM_SIZE || len > FAKE_RAM_SIZE - (addr - base)) {
        *fault = addr;
        return -1;
    }
    memcpy(buf, fake_ram + (addr - base), len);
    return 0;
}
static void fake_dump_mtree(void *o, MonBuf *out)
{
    monbuf_printf(out, "    0000000080000000-000000008000ffff (prio 0, ram): ram\n");
}
static void fake_dump_tlb(void *o, unsigned cpu, MonBuf *out)
{
    monbuf_printf(out, "No translation or protection\n");
}
static unsigned fake_block_count(void *o) { return 1; }
static void fake_block_info(void *o, unsigned i, MonBlockInfo *b)
{
    memset(b, 0, sizeof(*b));
    snprintf(b->device, sizeof(b->device), "hd0");
    snprintf(b->node_name, sizeof(b->node_name), "#block000");
    snprintf(b->qdev, sizeof(b->qdev), "/machine/peripheral-anon/device[0]");
    b->file = "/tmp/disk.img";
    b->format = "raw";
    b->virtual_size = 1 << 20;
    b->actual_size = 4096;
    b->stats.rd_ops = 3;
    b->stats.rd_bytes = 12288;
    b->stats.last_access_ns = -1;
}

static const MonitorMachineOps fake_ops = {
    .target = "riscv64",
    .run_state = fake_run_state,
    .stop = fake_stop,
    .cont = fake_cont,
    .system_reset = fake_reset,
    .system_powerdown = fake_powerdown,
    .quit = fake_quit,
    .cpu_count = fake_cpu_count,
    .cpu_info = fake_cpu_info,
    .dump_registers = fake_dump_registers,
    .register_value = fake_register_value,
    .read_memory = fake_read_memory,
    .dump_mtree = fake_dump_mtree,
    .dump_tlb = fake_dump_tlb,
    .dump_mem = fake_dump_tlb,
    .block_count = fake_block_count,
    .block_info = fake_block_info,
};

/* A QMP session on sv[0]; the test reads the other end, fake_peer. */
static int fake_peer = -1;

static MonSession *fake_session_new(const MonProtocol *proto)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
        abort();
    }
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    int big = 4 << 20;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    if (!mon_global.el) {
        mon_global.el = event_loop_new();
    }
    mon_global.ops = &fake_ops;
    MonSession *s = calloc(1, sizeof(*s));
    s->proto = proto;
    s->fd = sv[0];
    fake_peer = sv[1];
    s->next = mon_global.sessions;
    mon_global.sessions = s;
    proto->open(s);
    return s;
}

static void fake_session_free(MonSession *s)
{
    for (MonSession **p = &mon_global.sessions; *p; p = &(*p)->next) {
        if (*p == s) {
            *p = s->next;
            break;
        }
    }
    s->proto->close(s);
    event_loop_remove_fd(mon_global.el, s->fd);
    close(s->fd);
    close(fake_peer);
    fake_peer = -1;
    monbuf_free(&s->outq);
    free(s);
}

/* Everything the session wrote since the last call (NUL-ended, malloc'd). */
static char *fake_drain(MonSession *s)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (s->out_off < s->outq.len) {
            /* queued output: push it out as the event loop would */
            ssize_t n = send(s->fd, s->outq.data + s->out_off, s->outq.len - s->out_off,
                             MSG_DONTWAIT);
            if (n > 0) {
                s->out_off += (size_t)n;
            }
        }
        if (len + 4096 > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        ssize_t n = recv(fake_peer, buf + len, cap - len - 1, MSG_DONTWAIT);
        if (n <= 0) {
            if (s->dead || s->out_off >= s->outq.len) {
                break;
            }
            continue;
        }
        len += (size_t)n;
    }
    buf[len] = '\0';
    return buf;
}

#endif
