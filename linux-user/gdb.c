/*
 * gdb.c — the gdb stub in user mode (-g PORT, QEMU_GDB): waits for the
 * debugger before the first instruction, then serves it on the CPU
 * thread whenever the guest stops (breakpoint, single step).
 *
 * The one thing to know: the stub is synchronous here — while stopped,
 * the thread that hit the breakpoint reads the socket until gdb resumes.
 * While the guest runs, a watcher thread (all signals blocked) waits for
 * Ctrl-C, then sets a flag and every CPU's exit_request; the first CPU
 * thread out of translated code reports the stop (a blocking system call
 * finishes first). gdb sees one thread (the one that stops; threads that stop meanwhile
 * wait their turn); a forked child does not talk to the debugger and drops
 * the breakpoints it inherited.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
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
/* The Ctrl-C watcher: running while the guest runs; wake_pipe stops it. */
static pthread_t watcher;
static bool watcher_on;
static int wake_pipe[2] = { -1, -1 };
static int interrupt_req;

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

static void *watch_conn(void *opaque)
{
    struct pollfd p[2] = { { conn_fd, POLLIN, 0 }, { wake_pipe[0], POLLIN, 0 } };
    for (;;) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            return NULL;
        }
        if (p[1].revents) {
            return NULL;
        }
        uint8_t c;
        if (recv(conn_fd, &c, 1, MSG_PEEK) == 1 && c == 0x03) {
            recv(conn_fd, &c, 1, 0);
            __atomic_store_n(&interrupt_req, 1, __ATOMIC_RELEASE);
            exec_cpu_kick_all(); /* the first CPU out of translated code stops */
        }
        return NULL; /* anything else waits for the next stop */
    }
}

static void watcher_start(void)
{
    if (conn_fd < 0 || !gdb_stub_running(stub) || (wake_pipe[0] < 0 && pipe2(wake_pipe, O_CLOEXEC))) {
        return;
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old); /* guest signals are not its business */
    watcher_on = pthread_create(&watcher, NULL, watch_conn, NULL) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Stops the watcher; a Ctrl-C it saw is merged into the stop at hand. */
static void watcher_stop(void)
{
    if (watcher_on) {
        char c = 0;
        if (write(wake_pipe[1], &c, 1) == 1) {
            pthread_join(watcher, NULL);
        }
        while (read(wake_pipe[0], &c, 1) < 0 && errno == EINTR) {
        }
        watcher_on = false;
    }
    __atomic_store_n(&interrupt_req, 0, __ATOMIC_RELAXED);
}

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
    watcher_start();
    return 0;
}

/* Reports a stop (lock held) and serves until gdb resumes. */
static void stop_and_serve(CPUState *cpu, int sig)
{
    watcher_stop();
    if (conn_fd >= 0) {
        cur_cpu = cpu;
        gdb_stub_report_stop(stub, 0, sig, 0, 0);
        serve();
        watcher_start();
    }
}

void gdb_user_debug_stop(CPUState *cpu)
{
    if (!stub || getpid() != stub_pid) {
        exec_breakpoint_remove_all(); /* a forked child runs on alone */
        return;
    }
    pthread_mutex_lock(&serve_lock);
    stop_and_serve(cpu, 5);
    pthread_mutex_unlock(&serve_lock);
}

void gdb_user_poll(CPUState *cpu)
{
    if (__atomic_load_n(&interrupt_req, __ATOMIC_ACQUIRE) && getpid() == stub_pid) {
        pthread_mutex_lock(&serve_lock);
        if (__atomic_load_n(&interrupt_req, __ATOMIC_ACQUIRE)) {
            stop_and_serve(cpu, 2);
        }
        pthread_mutex_unlock(&serve_lock);
    }
}

void gdb_user_exit(int status)
{
    if (stub && conn_fd >= 0 && getpid() == stub_pid) {
        pthread_mutex_lock(&serve_lock);
        watcher_stop();
        pthread_mutex_unlock(&serve_lock);
        gdb_stub_report_exit(stub, status);
        close(conn_fd);
        conn_fd = -1;
    }
}
