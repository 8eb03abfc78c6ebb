/*
 * gdbstub-internal.h — the stub's state, shared by the packet layer
 * (packet.c) and the commands (commands.c, query.c) only.
 */
#ifndef GDBSTUB_INTERNAL_H
#define GDBSTUB_INTERNAL_H

#include "mimic/gdbstub.h"

typedef enum GdbRxState {
    RX_IDLE,    /* between packets: '$', Ctrl-C, acks */
    RX_DATA,    /* inside $...# */
    RX_CSUM1,   /* first checksum digit */
    RX_CSUM2,
} GdbRxState;

struct GdbStub {
    const GdbArch *arch;
    const GdbHostOps *ops;
    void *opaque;
    bool system;
    /* Receiving: the payload, unescaped, NUL-terminated. */
    GdbRxState rx_state;
    char rx[GDB_PACKET_SIZE + 1];
    size_t rx_len;
    bool rx_overflow;
    bool rx_escape;
    uint8_t rx_sum;      /* running sum of the raw payload bytes */
    uint8_t rx_csum;     /* the checksum received */
    bool no_ack;
    /* Sending: one reply is built at a time; the last one is kept for a
     * retransmission ('-'). */
    char tx[GDB_PACKET_SIZE + 4];
    size_t tx_len;
    bool tx_overflow;
    /* Run state. */
    bool running;
    unsigned g_cpu;      /* Hg: registers and memory of this CPU */
    unsigned stop_cpu;
    int stop_sig;
    GdbWatchKind stop_watch;
    uint64_t stop_addr;
};

/* packet.c: building and sending a reply. */
void gdb_reply_begin(GdbStub *s);
void gdb_reply_str(GdbStub *s, const char *str);
void gdb_reply_fmt(GdbStub *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gdb_reply_hex(GdbStub *s, const uint8_t *buf, size_t len);
/* Binary data escaped as the protocol wants ('}' ^ 0x20). */
void gdb_reply_bin(GdbStub *s, const uint8_t *buf, size_t len);
void gdb_reply_end(GdbStub *s);
/* A whole reply in one go. */
void gdb_reply(GdbStub *s, const char *str);

/* commands.c: runs one received payload. */
void gdb_handle_packet(GdbStub *s, char *p, size_t len);
/* The stop reply for the last stop. */
void gdb_reply_stop(GdbStub *s);

/* query.c: q, Q and v packets; false if unknown (empty reply). */
bool gdb_handle_query(GdbStub *s, char *p);
bool gdb_handle_v(GdbStub *s, char *p);

/* Parsing (commands.c): a hex number of at most 16 digits at *p, which is
 * advanced; false if there is none. */
bool gdb_parse_hex(const char **p, uint64_t *out);
/* A thread id: -1 (all), 0 (any) or a CPU number + 1; false if malformed. */
bool gdb_parse_thread(const char **p, int64_t *tid);
/* The CPU for a thread id (any and all: cur); -1 if no such thread. */
int gdb_thread_cpu(GdbStub *s, int64_t tid, unsigned cur);
/* Resumes the CPUs in run; step_cpu (-1: none) steps. */
void gdb_resume(GdbStub *s, uint64_t run, int step_cpu);
/* Every CPU's bit. */
uint64_t gdb_all_cpus(GdbStub *s);

#endif
