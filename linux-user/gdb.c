/*
 * gdb.c — the gdb stub in user mode (-g PORT, QEMU_GDB): waits for the
 * debugger before the first instruction, then serves it on the CPU
 * thread whenever the guest stops (breakpoint, single step).
 *
 * The one thing to know: the stub is synchronous here — while stopped,
 * the thread that hit the breakpoint reads the socket until gdb resumes;
 * while running nobody reads it, so Ctrl-C takes effect at the next stop.
 * gdb sees one thread (the one that stops; threads that stop meanwhile
 * wait their turn); a forked child does not talk to the debugger and drops
 * the breakpoints it inherited.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linux-user/gdb.h"
#include "linux-user/guest-mem.h"
#include "mimic/gdbstub.h"

static GdbStub *stub;
static int conn_fd = -1;
static pid_t stub_pid;
static CPUState *cur_cpu;  /* the CPU that stopped */
static pthread_mutex_t serve_lock = PTHREAD_MUTEX_INITIALIZER; /* one stop at a time */

static unsigned user_nb_cpus(void *opaque)
{
    return 1;
}

static CPUState *user_cpu(void *opaque, unsigned index)
{
    return cur_cpu;
}

static int user_read_mem(void *opaque, CPUState *cpu, uint64_t addr, void *buf, size_t len)
{
    return guest_copy_from(buf, addr, len) < 0 ? -1 : 0;
}

static int user_write_mem(void *opaque, CPUState *cpu, uint64_t addr, const void *buf, size_t len)
{
    if (!guest_range_valid(addr, len) || !page_check_range(addr, len, PAGE_VALID)) {
        return -1;
    }
    /* Code pages are write-protected to catch self-modifying code; the
     * debugger may write there too (and its translations go). */
    mmap_lock();
    code_pages_unprotect(addr & GUEST_PAGE_MASK, guest_page_align(addr + len));
    int r = guest_copy_to(addr, buf, len);
    mmap_unlock();
    exec_tb_invalidate_range(addr, addr + len);
    return r < 0 ? -1 : 0;
}

static void user_resume(void *opaque, uint64_t run, int step_cpu)
{
    if (step_cpu >= 0) {
        cur_cpu->debug_step = EXEC_STEP_REQUEST;
    }
}

static void user_close(void)
{
    exec_breakpoint_remove_all();
    if (conn_fd >= 0) {
        close(conn_fd);
        conn_fd = -1;
    }
}

static void user_kill(void *opaque)
{
    user_close();
    fprintf(stderr, "mimic-riscv64: killed by the debugger\n");
    exit(137);
}

static void user_detach(void *opaque)
{
    user_close();
}

static void user_send(void *opaque, const void *buf, size_t len)
{
    if (conn_fd >= 0 && !gdb_write_all(conn_fd, buf, len)) {
        user_close();
    }
}

static const GdbHostOps user_gdb_ops = {
    .nb_cpus = user_nb_cpus,
    .cpu = user_cpu,
    .read_mem = user_read_mem,
    .write_mem = user_write_mem,
    .resume = user_resume,
    .kill = user_kill,
    .detach = user_detach,
    .send = user_send,
};

/* Serves the debugger until it resumes the guest or goes away. */
static void serve(void)
{
    uint8_t buf[4096];
    while (conn_fd >= 0 && !gdb_stub_running(stub)) {
        ssize_t n = read(conn_fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            user_close(); /* the debugger left: run on without it */
            return;
        }
        gdb_stub_input(stub, buf, (size_t)n);
    }
}

int gdb_user_start(const char *spec, CPUState *cpu)
{
    char err[256];
    int lfd = gdb_listen(spec, err, sizeof(err));
    if (lfd < 0) {
        fprintf(stderr, "mimic-riscv64: %s\n", err);
        return -1;
    }
    fprintf(stderr, "mimic-riscv64: waiting for gdb on %s\n", spec);
    conn_fd = gdb_accept(lfd);
    close(lfd);
    if (conn_fd < 0) {
        fprintf(stderr, "mimic-riscv64: gdb: accept: %s\n", strerror(errno));
        return -1;
    }
    stub = gdb_stub_new(&gdb_arch_riscv64, &user_gdb_ops, NULL, false);
    if (!stub) {
        return -1;
    }
    stub_pid = getpid();
    cur_cpu = cpu;
    gdb_stub_connected(stub);
    serve();
    return 0;
}

void gdb_user_debug_stop(CPUState *cpu)
{
    if (!stub || getpid() != stub_pid) {
        exec_breakpoint_remove_all(); /* a forked child runs on alone */
        return;
    }
    pthread_mutex_lock(&serve_lock);
    if (conn_fd >= 0) {
        cur_cpu = cpu;
        gdb_stub_report_stop(stub, 0, 5, 0, 0);
        serve();
    }
    pthread_mutex_unlock(&serve_lock);
}

void gdb_user_exit(int status)
{
    if (stub && conn_fd >= 0 && getpid() == stub_pid) {
        gdb_stub_report_exit(stub, status);
        close(conn_fd);
        conn_fd = -1;
    }
}
