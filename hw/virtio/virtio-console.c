/*
 * virtio-console.c — the virtio console (virtio 1.x "Console Device"):
 * one port, receiveq 0 and transmitq 1, on a Chardev; optional console
 * size (VIRTIO_CONSOLE_F_SIZE) and emergency write (F_EMERG_WRITE).
 *
 * The one thing to know: the chardev asks can_receive() before it hands
 * over input; that pops one receive buffer from the guest and holds it, so
 * input never arrives without a place to go, and a guest that posts no
 * buffers only makes the input wait. Transmit buffers must be readable and
 * receive buffers writable; anything else is a driver error.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/virtio/virtio-console.h"

enum {
    VIRTIO_CONSOLE_F_SIZE = 0,
    VIRTIO_CONSOLE_F_MULTIPORT = 1, /* not offered: one port */
    VIRTIO_CONSOLE_F_EMERG_WRITE = 2,
};

#define QUEUE_SIZE 128
#define RXQ 0
#define TXQ 1
#define CONFIG_SIZE 12
#define RX_MAX 4096 /* bytes put in one receive buffer at a time */

static VirtIOConsole *to_console(VirtIODevice *vdev)
{
    return (VirtIOConsole *)vdev;
}

static bool queue_live(const VirtIODevice *vdev, unsigned n)
{
    return (vdev->status & VIRTIO_STATUS_DRIVER_OK) &&
           !(vdev->status & VIRTIO_STATUS_NEEDS_RESET) && vdev->vq[n].ready;
}

static uint64_t console_config_read(VirtIODevice *vdev, uint64_t offset, unsigned size)
{
    VirtIOConsole *c = to_console(vdev);
    uint8_t cfg[CONFIG_SIZE] = { 0 };
    uint32_t max_ports = 1;
    memcpy(cfg + 0, &c->cols, 2);
    memcpy(cfg + 2, &c->rows, 2);
    memcpy(cfg + 4, &max_ports, 4);
    /* emerg_wr (offset 8) reads as 0 */
    uint64_t v = 0;
    if (offset < CONFIG_SIZE && size <= CONFIG_SIZE - offset) {
        memcpy(&v, cfg + offset, size);
    }
    return v;
}

static void console_config_write(VirtIODevice *vdev, uint64_t offset, uint64_t value,
                                 unsigned size)
{
    VirtIOConsole *c = to_console(vdev);
    if (offset == 8 && c->chr) { /* emerg_wr: one character */
        uint8_t ch = (uint8_t)value;
        chardev_write(c->chr, &ch, 1);
    }
}

static void console_transmit(VirtIOConsole *c)
{
    VirtIODevice *vdev = &c->vdev;
    VirtQueue *vq = &vdev->vq[TXQ];
    VirtQueueElement *e = c->elem;
    for (;;) {
        int r = virtqueue_pop(vq, vdev->as, vdev->guest_features, e);
        if (r == 0) {
            return;
        }
        if (r < 0) {
            virtio_error(vdev, "malformed transmitq");
            return;
        }
        if (e->in_num) {
            virtio_error(vdev, "device-writable buffer in transmitq");
            return;
        }
        for (unsigned i = 0; i < e->out_num && c->chr; i++) {
            chardev_write(c->chr, e->out[i].iov_base, e->out[i].iov_len);
        }
        if (virtqueue_push(vq, vdev->as, e, 0) < 0) {
            virtio_error(vdev, "used ring outside guest memory");
            return;
        }
        virtio_notify(vdev, vq);
    }
}

static void console_queue_notify(VirtIODevice *vdev, unsigned n)
{
    VirtIOConsole *c = to_console(vdev);
    if (n == TXQ) {
        console_transmit(c);
    } else if (n == RXQ && c->chr) {
        chardev_accept_input(c->chr); /* new receive buffers */
    }
}

static void console_reset(VirtIODevice *vdev)
{
    to_console(vdev)->rx_held = false; /* the ring it came from is gone */
}

/* A receive buffer held for input goes back to the ring (it was taken
 * but not used): the restored machine takes it again. Nothing else. */
static void console_save_state(VirtIODevice *vdev, MigWriter *w)
{
    VirtIOConsole *c = to_console(vdev);
    if (c->rx_held) {
        vdev->vq[RXQ].last_avail_idx--;
        c->rx_held = false;
    }
}

static int console_load_state(VirtIODevice *vdev, MigReader *r, char *err, size_t errlen)
{
    to_console(vdev)->rx_held = false;
    return 0;
}

static const VirtIODeviceOps virtio_console_ops = {
    .config_read = console_config_read,
    .config_write = console_config_write,
    .queue_notify = console_queue_notify,
    .reset = console_reset,
    .save_state = console_save_state,
    .load_state = console_load_state,
};

/* ---- the chardev frontend ----------------------------------------------- */

static size_t console_can_receive(void *opaque)
{
    VirtIOConsole *c = opaque;
    VirtIODevice *vdev = &c->vdev;
    if (!queue_live(vdev, RXQ)) {
        return 0;
    }
    if (!c->rx_held) {
        int r = virtqueue_pop(&vdev->vq[RXQ], vdev->as, vdev->guest_features, c->rx);
        if (r == 0) {
            return 0;
        }
        if (r < 0) {
            virtio_error(vdev, "malformed receiveq");
            return 0;
        }
        if (c->rx->out_num || iov_size(c->rx->in, c->rx->in_num) == 0) {
            virtio_error(vdev, "receive buffer without device-writable room");
            return 0;
        }
        c->rx_held = true;
    }
    size_t room = iov_size(c->rx->in, c->rx->in_num);
    return room < RX_MAX ? room : RX_MAX;
}

static size_t console_receive(void *opaque, const uint8_t *buf, size_t len)
{
    VirtIOConsole *c = opaque;
    VirtIODevice *vdev = &c->vdev;
    if (!c->rx_held || !queue_live(vdev, RXQ)) {
        return 0;
    }
    size_t n = iov_from_buf(c->rx->in, c->rx->in_num, 0, buf, len < RX_MAX ? len : RX_MAX);
    c->rx_held = false;
    if (virtqueue_push(&vdev->vq[RXQ], vdev->as, c->rx, (uint32_t)n) < 0) {
        virtio_error(vdev, "used ring outside guest memory");
        return n;
    }
    virtio_notify(vdev, &vdev->vq[RXQ]);
    return n;
}

static const ChardevFrontend virtio_console_frontend = {
    .can_receive = console_can_receive,
    .receive = console_receive,
};

int virtio_console_init(VirtIOConsole *c, Chardev *chr, EventLoop *el, const AddressSpace *as,
                        uint16_t cols, uint16_t rows)
{
    memset(c, 0, sizeof(*c));
    c->elem = malloc(sizeof(*c->elem));
    c->rx = malloc(sizeof(*c->rx));
    if (!c->elem || !c->rx) {
        virtio_console_destroy(c);
        return -ENOMEM;
    }
    c->chr = chr;
    c->cols = cols;
    c->rows = rows;
    VirtIODevice *vdev = &c->vdev;
    virtio_device_init(vdev, "virtio-console", VIRTIO_ID_CONSOLE,
                       (1ull << VIRTIO_CONSOLE_F_EMERG_WRITE) |
                           (cols && rows ? 1ull << VIRTIO_CONSOLE_F_SIZE : 0),
                       2, QUEUE_SIZE, &virtio_console_ops, as, c);
    if (chr) {
        int r = chardev_attach(chr, el, &virtio_console_frontend, c);
        if (r < 0) {
            c->chr = NULL; /* someone else's frontend: leave it attached */
            virtio_console_destroy(c);
            return r;
        }
    }
    return 0;
}

void virtio_console_set_size(VirtIOConsole *c, uint16_t cols, uint16_t rows)
{
    VirtIODevice *vdev = &c->vdev;
    if (!(vdev->host_features & (1ull << VIRTIO_CONSOLE_F_SIZE)) ||
        (c->cols == cols && c->rows == rows)) {
        return;
    }
    c->cols = cols;
    c->rows = rows;
    vdev->config_generation++;
    if (vdev->status & VIRTIO_STATUS_DRIVER_OK) {
        vdev->isr |= 2; /* configuration change */
        if (vdev->set_irq) {
            vdev->set_irq(vdev->irq_opaque, 1);
        }
    }
}

void virtio_console_destroy(VirtIOConsole *c)
{
    if (c->chr) {
        chardev_detach(c->chr); /* no calls into a device that is gone */
        c->chr = NULL;
    }
    free(c->elem);
    free(c->rx);
    c->elem = c->rx = NULL;
    c->rx_held = false;
}
