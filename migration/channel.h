/*
 * channel.h — where a migration stream goes or comes from, by URI as QEMU
 * spells them: tcp:HOST:PORT, unix:PATH, file:PATH, exec:COMMAND.
 *
 * The one thing to know: an incoming tcp: or unix: channel listens at once
 * (mig_channel_listen, so a source may connect as soon as the destination
 * has started) and blocks only in mig_channel_accept, from the thread that
 * then reads; exec: runs COMMAND under /bin/sh with its stdin (outgoing)
 * or stdout (incoming) on a pipe.
 */
#ifndef MIMIC_MIGRATION_CHANNEL_H
#define MIMIC_MIGRATION_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct MigChannel {
    int fd;            /* the stream, or -1 */
    int listen_fd;     /* incoming tcp:/unix: before accept, or -1 */
    pid_t pid;         /* exec: the command, or 0 */
    char unix_path[108]; /* incoming unix: the socket to remove */
} MigChannel;

/* Outgoing: connects or opens; -1 with a message naming the URI. */
int mig_channel_connect(const char *uri, MigChannel *ch, char *err, size_t errlen);
/* Incoming: listens (tcp:, unix:) or opens (file:, exec:). */
int mig_channel_listen(const char *uri, MigChannel *ch, char *err, size_t errlen);
/* Incoming: waits for the source's connection (no-op when already open). */
int mig_channel_accept(MigChannel *ch, char *err, size_t errlen);
/* Writes all of buf; 0 or a negative errno. */
int mig_channel_write(MigChannel *ch, const void *buf, size_t len);
ssize_t mig_channel_read(MigChannel *ch, void *buf, size_t len);
/* Makes blocked reads and writes return (another thread: cancel). */
void mig_channel_shutdown(MigChannel *ch);
/* Closes everything, waits for an exec: command. */
void mig_channel_close(MigChannel *ch);

#endif
