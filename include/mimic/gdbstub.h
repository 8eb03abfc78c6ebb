/*
 * gdbstub.h — the GDB remote serial protocol stub (gdbstub/): packet layer,
 * commands, and the two contracts around it: GdbArch (a guest ISA's
 * registers and target description) and GdbHostOps (user or system mode:
 * CPUs, memory, run control, the connection).
 *
 * The one thing to know: the stub does no I/O and owns no thread. The host
 * feeds it the bytes that arrive (gdb_stub_input), it answers through
 * GdbHostOps.send, asks the host to resume or stop, and the host tells it
 * when the guest stopped (gdb_stub_report_stop) or exited. Everything that
 * arrives is untrusted: bounded, checked, answered with E.. when malformed.
 */
#ifndef MIMIC_GDBSTUB_H
#define MIMIC_GDBSTUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mimic/exec.h"

/* The largest packet accepted or sent (payload bytes). */
#define GDB_PACKET_SIZE 16384
/* The most CPUs (gdb threads) a stub serves. */
#define GDB_MAX_CPUS 64
/* The largest register, in bytes. */
#define GDB_MAX_REG_SIZE 16

typedef struct GdbArch {
    /* The target description file `annex` (target.xml and what it
     * includes) for user or system mode; NULL if there is no such file. */
    const char *(*xml)(const char *annex, bool system);
    /* Registers sent by the g packet: numbers 0 .. nb_g_regs - 1. */
    unsigned nb_g_regs;
    /* Reads register regno of cpu into buf (target byte order); returns
     * its size, or 0 if there is no such register (in this mode). */
    unsigned (*read_reg)(CPUState *cpu, unsigned regno, bool system, uint8_t *buf);
    /* Writes it from buf (len bytes, its size); false if no such register
     * or it cannot be written. */
    bool (*write_reg)(CPUState *cpu, unsigned regno, bool system, const uint8_t *buf,
                      unsigned len);
} GdbArch;

/* Watchpoint kinds, as in Z2/Z3/Z4. */
typedef enum GdbWatchKind {
    GDB_WATCH_WRITE = 2,
    GDB_WATCH_READ = 3,
    GDB_WATCH_ACCESS = 4,
} GdbWatchKind;

typedef struct GdbHostOps {
    /* CPUs are numbered 0 .. nb_cpus - 1; gdb sees thread ids from 1. */
    unsigned (*nb_cpus)(void *opaque);
    CPUState *(*cpu)(void *opaque, unsigned index);
    /* Guest virtual memory as cpu sees it; 0, or -1 if any byte is not
     * accessible (nothing is written then). */
    int (*read_mem)(void *opaque, CPUState *cpu, uint64_t addr, void *buf, size_t len);
    int (*write_mem)(void *opaque, CPUState *cpu, uint64_t addr, const void *buf, size_t len);
    /* Resumes the CPUs in the run mask (bit n: CPU n; the others stay
     * stopped); step_cpu (or -1), one of them, runs one instruction only
     * and stops again. The host later calls gdb_stub_report_stop. */
    void (*resume)(void *opaque, uint64_t run, int step_cpu);
    /* Ctrl-C: stop the running guest (then report the stop with signal 2);
     * NULL where nothing reads the connection while the guest runs. */
    void (*interrupt)(void *opaque);
    /* k: end the guest. D: the debugger leaves, the guest runs on. */
    void (*kill)(void *opaque);
    void (*detach)(void *opaque);
    /* Watchpoints (NULL: not supported, Z2-Z4 get an empty reply and gdb
     * falls back to software watchpoints). 0 or -1. */
    int (*watch_insert)(void *opaque, GdbWatchKind kind, uint64_t addr, uint64_t len);
    int (*watch_remove)(void *opaque, GdbWatchKind kind, uint64_t addr, uint64_t len);
    /* Bytes to the debugger. */
    void (*send)(void *opaque, const void *buf, size_t len);
} GdbHostOps;

typedef struct GdbStub GdbStub;

GdbStub *gdb_stub_new(const GdbArch *arch, const GdbHostOps *ops, void *opaque, bool system);
void gdb_stub_free(GdbStub *s);
/* A new debugger connected to a stopped guest: protocol state back to the
 * start (acks on, not running). */
void gdb_stub_connected(GdbStub *s);
/* Bytes from the debugger. */
void gdb_stub_input(GdbStub *s, const uint8_t *buf, size_t len);
/* True between a resume and the next reported stop. */
bool gdb_stub_running(const GdbStub *s);
/* The guest stopped: cpu index, signal (5 = SIGTRAP, 2 = SIGINT) and, for
 * a watchpoint, its kind and the address hit (kind 0: none). Sends the stop
 * reply if the debugger is waiting for one. */
void gdb_stub_report_stop(GdbStub *s, unsigned cpu, int sig, GdbWatchKind kind, uint64_t addr);
/* The guest process exited with status (user mode): W reply. */
void gdb_stub_report_exit(GdbStub *s, int status);

/* Connections (gdbstub/socket.c). Parses "tcp::PORT", "tcp:HOST:PORT",
 * "PORT" (user mode's -g) or "unix:PATH[,server=on][,wait=off]" and
 * listens; returns the listening fd or -1 with err filled. */
int gdb_listen(const char *spec, char *err, size_t errlen);
/* Accepts one connection (blocking); -1 on error. */
int gdb_accept(int listen_fd);
/* Writes all of buf to fd (retrying short writes); false on error. */
bool gdb_write_all(int fd, const void *buf, size_t len);

/* The RISC-V 64 register set (target/riscv64/gdbstub.c). */
extern const GdbArch gdb_arch_riscv64;

#endif
