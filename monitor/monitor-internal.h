/*
 * monitor-internal.h — what the files of monitor/ share: the global
 * monitor state, sessions (one client of QMP or of the human monitor, on a
 * socket or a chardev) and the listeners that accept them.
 *
 * The one thing to know: a session's transport and its protocol are
 * separate; the protocol sees input bytes and writes text with
 * mon_session_write(), which never blocks on a socket (output is queued,
 * bounded, and written when the socket is writable). Everything here runs
 * under the machine lock.
 */
#ifndef MIMIC_MONITOR_INTERNAL_H
#define MIMIC_MONITOR_INTERNAL_H

#include <jansson.h>

#include "monitor/monitor.h"

#define MON_QEMU_MAJOR 7   /* the QEMU whose QMP and HMP mimic follows */
#define MON_QEMU_MINOR 2
#define MON_QEMU_MICRO 0
#define MON_PACKAGE "mimic 0.1.0"
#define MON_OUTQ_MAX (16u << 20) /* a client that reads nothing is dropped */

typedef struct MonSession MonSession;
typedef struct MonListener MonListener;

typedef struct MonProtocol {
    void (*open)(MonSession *s);   /* greeting, banner */
    void (*input)(MonSession *s, const uint8_t *buf, size_t len);
    void (*close)(MonSession *s);  /* frees s->state */
} MonProtocol;

struct MonSession {
    const MonProtocol *proto;
    void *state;          /* the protocol's */
    bool pretty;          /* QMP: indented JSON */
    int fd;               /* a socket client, or -1 */
    Chardev *chr;         /* or a chardev */
    bool chr_is_mux_monitor;
    bool focused;         /* chardev on a mux: the monitor has the input */
    MonBuf outq;          /* socket output not written yet */
    size_t out_off;
    bool dead;            /* closed; freed by its fd handler or at exit */
    MonListener *listener;
    MonSession *next;
};

typedef struct MonitorGlobal {
    EventLoop *el;
    const MonitorMachineOps *ops;
    void *opaque;
    MonSession *sessions;
    MonListener *listeners;
} MonitorGlobal;

extern MonitorGlobal mon_global;

void mon_session_write(MonSession *s, const char *data, size_t len);
/* HMP text: "\n" becomes "\r\n" as on QEMU's monitor. */
void mon_session_write_crlf(MonSession *s, const char *data, size_t len);
void mon_session_close(MonSession *s);

/* qmp-server.c */
extern const MonProtocol qmp_protocol;
void qmp_send_event_all(const char *name, json_t *data);

/* hmp.c */
extern const MonProtocol hmp_protocol;
/* Runs one command line; output (with "\n") goes to out. cpu: the current
 * CPU; *quit set when the line asked mimic to quit. */
void hmp_run_line(const char *line, unsigned *cpu, MonBuf *out);

/* qmp-commands.c */
typedef enum QmpArgType { QMP_ARG_STR, QMP_ARG_INT, QMP_ARG_BOOL, QMP_ARG_STR_LIST } QmpArgType;
typedef struct QmpArg {
    const char *name;   /* NULL ends the list */
    QmpArgType type;
    bool optional;
} QmpArg;

typedef struct QmpError {
    const char *cls;    /* "GenericError", "CommandNotFound", ... */
    char desc[512];
} QmpError;

typedef struct QmpSessionState QmpSessionState;
typedef int QmpHandler(QmpSessionState *q, json_t *args, json_t **ret, QmpError *err);

typedef struct QmpCommand {
    const char *name;
    QmpHandler *fn;
    QmpArg args[7]; /* up to 6, then an entry with name NULL */
} QmpCommand;

const QmpCommand *qmp_find_command(const char *name);
/* qmp_capabilities succeeded on this session (oob: the client enabled it). */
void qmp_session_negotiated(QmpSessionState *q, bool oob);
const QmpCommand *qmp_command_at(size_t i); /* NULL past the end */
/* Checks args (an object, may be NULL) against a command's schema; 0, or
 * -1 with QEMU's message ("Parameter 'x' is missing", ...) in err. */
int qmp_check_args(const QmpArg *schema, json_t *args, char *err, size_t errlen);

/* The JSON framing of a QMP stream: complete top-level values out of
 * arbitrary chunks, bounded; QEMU's single-quoted strings become JSON. */
#define QMP_MAX_MESSAGE (1u << 20)
#define QMP_MAX_DEPTH 1024
typedef struct JsonSplitter {
    char *buf;
    size_t len, cap;
    unsigned depth;
    bool started, in_str, esc, scalar, too_big, too_deep;
    char quote;
} JsonSplitter;
/* Feeds bytes; for every complete value calls fn with its text (NUL-ended)
 * or, when it broke a limit, with text NULL and a message. */
void json_splitter_feed(JsonSplitter *js, const uint8_t *data, size_t len,
                        void (*fn)(void *opaque, const char *text, size_t textlen,
                                   const char *limit_error),
                        void *opaque);
void json_splitter_free(JsonSplitter *js);

#endif
