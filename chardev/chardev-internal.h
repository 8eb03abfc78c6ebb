/*
 * chardev-internal.h — the Chardev structure shared by the files of
 * chardev/ (core, stdio terminal handling, pty, multiplexer).
 *
 * The one thing to know: input goes fd → chardev_route_input() (escape
 * keys, focus) → one queue per frontend → the frontend as fast as its
 * can_receive() allows; the fd is watched only while every queue has room.
 */
#ifndef MIMIC_CHARDEV_INTERNAL_H
#define MIMIC_CHARDEV_INTERNAL_H

#include "mimic/chardev.h"

#define CHARDEV_QUEUE_SIZE 4096
#define CHARDEV_ESCAPE 0x01 /* Ctrl-a */

typedef struct ChardevQueue {
    uint8_t buf[CHARDEV_QUEUE_SIZE];
    size_t head, count;
} ChardevQueue;

typedef struct ChardevFe {
    const ChardevFrontend *ops; /* NULL: not attached */
    void *opaque;
    ChardevQueue q;
} ChardevFe;

typedef enum ChardevKind {
    CHARDEV_KIND_NULL,
    CHARDEV_KIND_STDIO,
    CHARDEV_KIND_FILE,
    CHARDEV_KIND_PTY,
} ChardevKind;

struct Chardev {
    ChardevKind kind;
    char label[64];
    int in_fd, out_fd;         /* -1: none */
    bool close_in, close_out;  /* opened by the chardev */
    int pty_slave;             /* held open so the master never sees a hangup; -1 */
    char pty_name[64];
    int write_timeout_ms;      /* -1: wait like write(2); 0: drop what does not fit */
    bool owns_terminal;        /* in_fd is a terminal this chardev made raw */
    bool owns_stdio;           /* created by chardev_parse on fds 0 and 1 */
    bool mux;
    bool in_eof;
    EventLoop *el;
    EventTimer *kick;          /* delivers held input from the loop thread */
    bool watching;
    ChardevFe fe[2];           /* [0] the serial frontend, [1] the monitor (mux) */
    unsigned focus;
    bool got_escape;
    void (*quit)(void *opaque);
    void *quit_opaque;
};

/* char-mux.c: sorts input bytes into the frontends' queues (escape keys on
 * a multiplexer). */
void chardev_route_input(Chardev *chr, const uint8_t *buf, size_t len);

/* char-stdio.c: raw mode for a terminal, undone by chardev_release_terminal;
 * 0 or -errno with a message. */
int chardev_claim_terminal(int fd, bool signals, char *err, size_t errlen);
void chardev_release_terminal(void);

/* char-pty.c: opens a pty pair into chr (in_fd = out_fd = master). */
int chardev_open_pty(Chardev *chr, char *err, size_t errlen);

#endif
