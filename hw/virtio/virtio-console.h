/*
 * virtio-console.h — the virtio console device (virtio 1.x "Console
 * Device", device id 3) with its single port, connected to a Chardev; Linux
 * calls it hvc0.
 *
 * The one thing to know: the device holds at most one receive buffer
 * popped from receiveq 0 and fills it from the chardev when input comes;
 * with no buffer posted, input waits in the chardev (flow control), and a
 * notification on receiveq tells the chardev to resume. Transmitq 1 goes
 * straight to chardev_write() in the notifying thread.
 */
#ifndef MIMIC_HW_VIRTIO_CONSOLE_H
#define MIMIC_HW_VIRTIO_CONSOLE_H

#include "mimic/chardev.h"
#include "mimic/virtio.h"

#define VIRTIO_ID_CONSOLE 3

typedef struct VirtIOConsole {
    VirtIODevice vdev;
    Chardev *chr;             /* may be NULL: output dropped, no input */
    uint16_t cols, rows;      /* VIRTIO_CONSOLE_F_SIZE offered when nonzero */
    VirtQueueElement *elem;   /* scratch for transmit */
    VirtQueueElement *rx;     /* the receive buffer being held */
    bool rx_held;
} VirtIOConsole;

/* Sets up c with guest memory as and attaches it as chr's frontend (input
 * read in el's thread). cols/rows nonzero offer VIRTIO_CONSOLE_F_SIZE.
 * 0, -ENOMEM, or -EBUSY if chr already has a frontend. */
int virtio_console_init(VirtIOConsole *c, Chardev *chr, EventLoop *el, const AddressSpace *as,
                        uint16_t cols, uint16_t rows);
/* New terminal size (only with F_SIZE): config change interrupt. */
void virtio_console_set_size(VirtIOConsole *c, uint16_t cols, uint16_t rows);
/* Detaches from the chardev, which the caller still owns and frees after
 * this call. */
void virtio_console_destroy(VirtIOConsole *c);

#endif
