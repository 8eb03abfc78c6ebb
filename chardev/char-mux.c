/*
 * char-mux.c — input routing and the multiplexer of `mon:` chardevs:
 * QEMU's Ctrl-a escape keys (x quit, h help, a or Ctrl-a a literal Ctrl-a,
 * c switch between the serial frontend and the monitor).
 *
 * The one thing to know: escape keys are acted on as they are read, in the
 * event-loop thread, before any frontend sees them; every other byte goes
 * to the queue of the frontend that has the focus at that point.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chardev/chardev-internal.h"

static const char mux_help[] =
    "\r\n"
    "Ctrl-a h    show these keys\r\n"
    "Ctrl-a x    quit mimic\r\n"
    "Ctrl-a c    switch the input between the serial console and the monitor\r\n"
    "Ctrl-a a    send Ctrl-a itself (so does Ctrl-a Ctrl-a)\r\n";

static void queue_put(ChardevQueue *q, uint8_t c)
{
    if (q->count < CHARDEV_QUEUE_SIZE) { /* reads never exceed the room */
        q->buf[(q->head + q->count) % CHARDEV_QUEUE_SIZE] = c;
        q->count++;
    }
}

static void say(Chardev *chr, const char *text)
{
    chardev_write(chr, text, strlen(text));
}

static void switch_focus(Chardev *chr)
{
    if (!chr->fe[1].ops) {
        say(chr, "\r\nmimic: no monitor yet (the QEMU-style monitor is not available); "
                 "input stays with the serial console\r\n");
        return;
    }
    ChardevFe *old = &chr->fe[chr->focus];
    chr->focus ^= 1;
    ChardevFe *now = &chr->fe[chr->focus];
    if (old->ops->focus) {
        old->ops->focus(old->opaque, false);
    }
    if (now->ops->focus) {
        now->ops->focus(now->opaque, true);
    }
}

void chardev_route_input(Chardev *chr, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = buf[i];
        if (!chr->mux) {
            queue_put(&chr->fe[0].q, c);
            continue;
        }
        if (!chr->got_escape) {
            if (c == CHARDEV_ESCAPE) {
                chr->got_escape = true;
            } else {
                queue_put(&chr->fe[chr->focus].q, c);
            }
            continue;
        }
        chr->got_escape = false;
        switch (c) {
        case 'x':
            say(chr, "\r\nmimic: terminated\r\n");
            if (chr->quit) {
                chr->quit(chr->quit_opaque);
            } else {
                exit(0);
            }
            return; /* what follows the quit key is not input any more */
        case 'h':
        case '?':
            say(chr, mux_help);
            break;
        case 'a':
        case CHARDEV_ESCAPE:
            queue_put(&chr->fe[chr->focus].q, CHARDEV_ESCAPE);
            break;
        case 'c':
            switch_focus(chr);
            break;
        default:
            break; /* unknown escape keys are ignored, as in QEMU */
        }
    }
}
