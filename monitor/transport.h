/*
 * transport.h — how monitor sessions reach their clients: listening unix
 * and TCP sockets (one client at a time, like QEMU's socket chardev; the
 * next one is accepted when it leaves) and chardevs (stdio, pty, the
 * serial multiplexer's Ctrl-a c side).
 *
 * The one thing to know: socket output never blocks the caller: it is
 * queued (at most MON_OUTQ_MAX, then the client is dropped) and written
 * from the event loop; monitor_finish() flushes what is left, with a
 * bounded wait, after the machine has stopped.
 */
#ifndef MIMIC_MONITOR_TRANSPORT_H
#define MIMIC_MONITOR_TRANSPORT_H

#include "monitor/monitor-internal.h"

typedef struct MonSocketSpec {
    bool is_unix;
    char path[108];     /* unix */
    char host[256];     /* tcp: empty means every address */
    char port[16];
    bool wait;          /* wait=on: block until the first client connects */
} MonSocketSpec;

/* Parses "unix:PATH[,server=on][,wait=off]" and "tcp:[HOST]:PORT[,...]"
 * (also the older bare "server" and "nowait"); 0 or -1 with a message. */
int mon_socket_parse(const char *spec, MonSocketSpec *out, char *err, size_t errlen);
int mon_listen(const char *spec, const MonProtocol *proto, bool pretty, char *err,
               size_t errlen);
/* as_mux_monitor: chr is the serial mux, the session is its Ctrl-a c side
 * (the machine owns chr); otherwise the monitor owns and frees chr. */
int mon_attach_chardev(Chardev *chr, const MonProtocol *proto, bool pretty,
                       bool as_mux_monitor, char *err, size_t errlen);
void mon_transport_finish(void);

#endif
