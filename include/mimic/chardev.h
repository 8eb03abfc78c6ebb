/*
 * chardev.h — character devices of system mode, the backends behind
 * `-serial` and `-chardev`: stdio (a raw terminal, or plain pipes), file,
 * pty, null, and the `mon:` multiplexer with QEMU's Ctrl-a escape keys.
 *
 * The one thing to know: input is read in the event-loop thread and handed
 * to the frontend (a UART, virtio-console) only as fast as its can_receive()
 * allows; what it cannot take waits in the chardev (and then in the kernel)
 * until the frontend calls chardev_accept_input(). Every call here and every
 * frontend callback runs under the machine lock (the event loop's lock
 * hooks), so neither side locks anything itself. Output never blocks on a
 * pty nobody reads: what does not fit is dropped.
 */
#ifndef MIMIC_CHARDEV_H
#define MIMIC_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mimic/event-loop.h"

typedef struct Chardev Chardev;

/* The device side of a chardev (QEMU's "frontend"). */
typedef struct ChardevFrontend {
    /* How many bytes the frontend can take now; 0 holds input back until
     * it calls chardev_accept_input(). */
    size_t (*can_receive)(void *opaque);
    /* Input bytes (len <= what can_receive() said); returns how many were
     * taken. */
    size_t (*receive)(void *opaque, const uint8_t *buf, size_t len);
    /* Optional, multiplexers only: the input focus moved to (true) or away
     * from (false) this frontend — a monitor prints its prompt here. */
    void (*focus)(void *opaque, bool focused);
} ChardevFrontend;

/* Creates a backend from a -serial style spec: "stdio", "mon:stdio",
 * "null", "pty", "file:PATH", and "mon:" before any of them (a multiplexer
 * with the Ctrl-a keys). Also the -chardev form "BACKEND,id=ID[,path=P]
 * [,mux=on|off][,signal=on|off]" (the id becomes the label). On error
 * returns NULL with a message in err naming the spec, for example
 * "unknown character device 'foo'"; callers print "-serial foo: <err>". */
Chardev *chardev_parse(const char *spec, char *err, size_t errlen);

/* stdio on given descriptors (the test's pipes; chardev_parse uses 0 and
 * 1). When in_fd is a terminal it is put in raw mode (keeping ISIG when
 * signals is true, so Ctrl-C still stops mimic) and restored by
 * chardev_free(), at exit, and on SIGINT/SIGTERM/SIGHUP/SIGQUIT/SIGABRT;
 * only one chardev can own the terminal. in_fd -1: no input. */
Chardev *chardev_new_stdio(int in_fd, int out_fd, bool mux, bool signals, char *err,
                           size_t errlen);

/* Stops watching, restores the terminal, closes what the chardev opened. */
void chardev_free(Chardev *chr);

/* The name in messages ("serial0" unless set; -chardev sets its id). */
void chardev_set_label(Chardev *chr, const char *label);
const char *chardev_label(const Chardev *chr);
/* The pty's slave path ("/dev/pts/N"), or NULL for other backends. */
const char *chardev_pty_name(const Chardev *chr);
bool chardev_is_mux(const Chardev *chr);
/* The terminal's size if the backend is a terminal: 0, or -ENOTTY. */
int chardev_get_winsize(const Chardev *chr, uint16_t *cols, uint16_t *rows);

/* Connects the (first) frontend and starts reading input in el's thread.
 * A pty prints "char device redirected to /dev/pts/N (label L)" here.
 * 0, or -EBUSY if a frontend is already attached. */
int chardev_attach(Chardev *chr, EventLoop *el, const ChardevFrontend *ops, void *opaque);
/* Disconnects the frontends (queued input is dropped) and stops reading;
 * the chardev can be attached again. A device that goes away calls it. */
void chardev_detach(Chardev *chr);
/* Multiplexers: the second frontend, reached with Ctrl-a c (the monitor).
 * 0, -EINVAL (not a multiplexer) or -EBUSY. Without one, Ctrl-a c says that
 * the monitor is not available and input stays with the first frontend. */
int chardev_attach_monitor(Chardev *chr, const ChardevFrontend *ops, void *opaque);
/* Ctrl-a x on a multiplexer calls quit(opaque) (in the event-loop thread,
 * under the machine lock). Without a handler it calls exit(0). */
void chardev_set_quit_handler(Chardev *chr, void (*quit)(void *opaque), void *opaque);

/* Output from any frontend. Returns the bytes written; the rest was
 * dropped (a full pty) or failed. stdio and files block like a write(2)
 * to them would; a pty never blocks. */
size_t chardev_write(Chardev *chr, const void *buf, size_t len);
/* The frontend has room again (its FIFO drained, the guest posted
 * buffers): held-back input is delivered soon, from the event loop. */
void chardev_accept_input(Chardev *chr);

/* Puts a terminal that a stdio chardev made raw back as it was. Safe in a
 * signal handler; a machine that installs its own fatal-signal handlers
 * calls it there. */
void chardev_restore_terminal(void);

#endif
