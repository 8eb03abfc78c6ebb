/*
 * virtio-net.c — the virtio network device (virtio 1.x "Network Device"):
 * frames between the guest's rx/tx virtqueues and a net backend.
 *
 * The one thing to know: receiving may take several guest buffers
 * (VIRTIO_NET_F_MRG_RXBUF); they are popped and filled first and only
 * returned to the guest (pushed) once the whole frame fits, so a frame
 * that does not fit yet is "un-popped" (last_avail_idx rewound) and stays
 * in the NIC's queue until the guest adds buffers and notifies queue 0.
 * Every length the guest gives is checked before use; a bad frame is
 * dropped and counted, a broken ring marks the device NEEDS_RESET.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/virtio/virtio-net.h"

#define QUEUE_SIZE 256
#define CONFIG_SIZE 10
#define ETH_HLEN 14

typedef struct NetHdr {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
    uint16_t num_buffers;
} NetHdr;

_Static_assert(sizeof(NetHdr) == VIRTIO_NET_HDR_LEN, "virtio_net_hdr_v1");

static VirtioNet *to_net(VirtIODevice *vdev)
{
    return (VirtioNet *)vdev;
}

static bool has_feature(const VirtIODevice *vdev, unsigned bit)
{
    return (vdev->guest_features >> bit) & 1;
}

static uint64_t virtio_net_config_read(VirtIODevice *vdev, uint64_t offset, unsigned size)
{
    VirtioNet *n = to_net(vdev);
    uint8_t cfg[CONFIG_SIZE] = { 0 };
    memcpy(cfg, n->mac, 6);
    memcpy(cfg + 6, &n->status, 2);
    uint16_t pairs = 1;
    memcpy(cfg + 8, &pairs, 2);
    uint64_t v = 0;
    if (offset < CONFIG_SIZE && size <= 8 && size <= CONFIG_SIZE - offset) {
        memcpy(&v, cfg + offset, size);
    }
    return v;
}

static bool driver_running(const VirtIODevice *vdev)
{
    return (vdev->status & VIRTIO_STATUS_DRIVER_OK) &&
           !(vdev->status & VIRTIO_STATUS_NEEDS_RESET);
}

/* ---- transmit ----------------------------------------------------------- */

static void virtio_net_tx_loop(VirtioNet *n);

static void virtio_net_tx(VirtioNet *n)
{
    if (n->in_tx) {
        return;
    }
    n->in_tx = true;
    virtio_net_tx_loop(n);
    n->in_tx = false;
}

static void virtio_net_tx_loop(VirtioNet *n)
{
    VirtIODevice *vdev = &n->vdev;
    VirtQueue *vq = &vdev->vq[VIRTIO_NET_TX_QUEUE];
    VirtQueueElement *e = n->tx_elem;
    bool pushed = false;
    if (!driver_running(vdev) || !vq->ready) {
        return;
    }
    while (!n->tx_blocked) {
        int r = virtqueue_pop(vq, vdev->as, vdev->guest_features, e);
        if (r == 0) {
            break;
        }
        if (r < 0) {
            virtio_error(vdev, "malformed transmit queue");
            return;
        }
        size_t total = iov_size(e->out, e->out_num);
        NetHdr h;
        if (total < VIRTIO_NET_HDR_LEN + ETH_HLEN ||
            total - VIRTIO_NET_HDR_LEN > VIRTIO_NET_MAX_FRAME) {
            n->stats.tx_malformed++;
            n->nc->stats.malformed++;
        } else if (iov_to_buf(e->out, e->out_num, 0, &h, sizeof(h)) != sizeof(h) ||
                   (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) ||
                   h.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
            /* offloads were not offered: a driver may not ask for them */
            n->stats.tx_malformed++;
            n->nc->stats.malformed++;
        } else {
            size_t len = total - VIRTIO_NET_HDR_LEN;
            iov_to_buf(e->out, e->out_num, VIRTIO_NET_HDR_LEN, n->tx_frame, len);
            n->stats.tx_packets++;
            if (net_send_buf(n->nc, n->tx_frame, len) == 0) {
                n->tx_blocked = true; /* queued; the rest waits in the ring */
            }
        }
        if (virtqueue_push(vq, vdev->as, e, 0) < 0) {
            virtio_error(vdev, "used ring outside guest memory");
            return;
        }
        pushed = true;
    }
    if (pushed) {
        virtio_notify(vdev, vq);
    }
}

/* ---- receive ------------------------------------------------------------ */

static bool rx_has_buffers(VirtioNet *n)
{
    VirtIODevice *vdev = &n->vdev;
    VirtQueue *vq = &vdev->vq[VIRTIO_NET_RX_QUEUE];
    uint8_t *avail = address_space_map(vdev->as, vq->avail, 4);
    if (!avail) {
        return true; /* let pop() find the broken ring and report it */
    }
    uint16_t idx;
    memcpy(&idx, avail + 2, 2);
    return idx != vq->last_avail_idx;
}

static bool virtio_net_can_receive(NetClient *nc)
{
    VirtioNet *n = nc->opaque;
    VirtIODevice *vdev = &n->vdev;
    if (n->vm_stopped) {
        return false;
    }
    if (!driver_running(vdev) || !vdev->vq[VIRTIO_NET_RX_QUEUE].ready ||
        !(n->status & VIRTIO_NET_S_LINK_UP)) {
        return true; /* no driver: receive() drops rather than hoarding frames */
    }
    return rx_has_buffers(n);
}

/* Gives back the chains popped since saved (nothing was pushed). */
static void rx_unpop(VirtioNet *n, uint16_t saved)
{
    VirtIODevice *vdev = &n->vdev;
    VirtQueue *vq = &vdev->vq[VIRTIO_NET_RX_QUEUE];
    vq->last_avail_idx = saved;
    if ((vdev->guest_features >> VIRTIO_RING_F_EVENT_IDX) & 1) {
        uint8_t *used = address_space_map(vdev->as, vq->used, 6 + 8 * (uint64_t)vq->num);
        if (used) {
            address_space_notify_write(vdev->as, vq->used + 4 + 8 * (uint64_t)vq->num, 2);
            memcpy(used + 4 + 8 * (uint64_t)vq->num, &saved, 2); /* avail_event */
        }
    }
}

/* The byte at offset off of the in[] buffers, or NULL. */
static uint8_t *in_byte(const VirtQueueElement *e, size_t off)
{
    for (unsigned i = 0; i < e->in_num; i++) {
        if (off < e->in[i].iov_len) {
            return (uint8_t *)e->in[i].iov_base + off;
        }
        off -= e->in[i].iov_len;
    }
    return NULL;
}

static ssize_t rx_drop(VirtioNet *n, size_t size)
{
    n->stats.rx_dropped++;
    n->nc->stats.dropped++;
    return (ssize_t)(size ? size : 1);
}

static ssize_t virtio_net_receive(NetClient *nc, const struct iovec *iov, int iovcnt)
{
    VirtioNet *n = nc->opaque;
    VirtIODevice *vdev = &n->vdev;
    VirtQueue *vq = &vdev->vq[VIRTIO_NET_RX_QUEUE];
    VirtQueueElement *e = n->rx_elem;
    size_t size = 0;
    for (int i = 0; i < iovcnt; i++) {
        size += iov[i].iov_len;
    }
    if (!driver_running(vdev) || !vq->ready || !(n->status & VIRTIO_NET_S_LINK_UP) ||
        size > NET_MAX_FRAME || size == 0) {
        return rx_drop(n, size);
    }
    /* the stream to place: header, then the frame */
    NetHdr h = { .gso_type = VIRTIO_NET_HDR_GSO_NONE, .num_buffers = 1 };
    size_t flat = 0;
    for (int i = 0; i < iovcnt; i++) {
        memcpy(n->rx_frame + flat, iov[i].iov_base, iov[i].iov_len);
        flat += iov[i].iov_len;
    }
    bool mrg = has_feature(vdev, VIRTIO_NET_F_MRG_RXBUF);
    size_t need = VIRTIO_NET_HDR_LEN + size, off = 0;
    uint16_t saved = vq->last_avail_idx;
    uint16_t heads[QUEUE_SIZE];
    uint32_t lens[QUEUE_SIZE];
    uint8_t *nb_lo = NULL, *nb_hi = NULL;
    unsigned count = 0;
    while (off < need) {
        if (count == vq->num || count == QUEUE_SIZE) {
            /* every buffer of the ring together is too small: never fits */
            rx_unpop(n, saved);
            return rx_drop(n, size);
        }
        int r = virtqueue_pop(vq, vdev->as, vdev->guest_features, e);
        if (r == 0) {
            rx_unpop(n, saved);
            return 0; /* wait for buffers; the frame stays queued */
        }
        if (r < 0) {
            virtio_error(vdev, "malformed receive queue");
            return rx_drop(n, size);
        }
        size_t cap = iov_size(e->in, e->in_num);
        if ((count == 0 && cap < VIRTIO_NET_HDR_LEN) || (!mrg && cap < need)) {
            /* the guest's buffer cannot hold this frame: hand it back empty */
            if (count > 0) {
                rx_unpop(n, saved);
            } else if (virtqueue_push(vq, vdev->as, e, 0) < 0) {
                virtio_error(vdev, "used ring outside guest memory");
            } else {
                virtio_notify(vdev, vq);
            }
            return rx_drop(n, size);
        }
        size_t take = cap < need - off ? cap : need - off;
        size_t done = 0;
        if (off < VIRTIO_NET_HDR_LEN) { /* only the first buffer holds the header */
            done = iov_from_buf(e->in, e->in_num, 0, &h, VIRTIO_NET_HDR_LEN);
            nb_lo = in_byte(e, 10);
            nb_hi = in_byte(e, 11);
        }
        const uint8_t *src = n->rx_frame + (off + done - VIRTIO_NET_HDR_LEN);
        done += iov_from_buf(e->in, e->in_num, done, src, take - done);
        heads[count] = e->head;
        lens[count] = (uint32_t)done;
        count++;
        off += done;
    }
    if (nb_lo && nb_hi) {
        *nb_lo = (uint8_t)count;
        *nb_hi = (uint8_t)(count >> 8);
    }
    for (unsigned i = 0; i < count; i++) {
        e->head = heads[i];
        if (virtqueue_push(vq, vdev->as, e, lens[i]) < 0) {
            virtio_error(vdev, "used ring outside guest memory");
            return rx_drop(n, size);
        }
    }
    n->stats.rx_packets++;
    virtio_notify(vdev, vq);
    return (ssize_t)size;
}

static void virtio_net_drained(NetClient *nc)
{
    VirtioNet *n = nc->opaque;
    n->tx_blocked = false;
    virtio_net_tx(n);
}

static const NetClientInfo virtio_net_info = {
    .type = "nic",
    .can_receive = virtio_net_can_receive,
    .receive = virtio_net_receive,
    .drained = virtio_net_drained,
};

/* ---- the device --------------------------------------------------------- */

static void virtio_net_notify(VirtIODevice *vdev, unsigned q)
{
    VirtioNet *n = to_net(vdev);
    if (q == VIRTIO_NET_RX_QUEUE) {
        net_flush_queue(n->nc);
    } else if (q == VIRTIO_NET_TX_QUEUE) {
        virtio_net_tx(n);
    }
}

static void virtio_net_reset(VirtIODevice *vdev)
{
    VirtioNet *n = to_net(vdev);
    n->tx_blocked = false;
    if (n->nc) {
        net_purge_queue(n->nc);
    }
}

/* The link status and, to refuse another NIC, the MAC. Frames are popped
 * and pushed in one go, so none is in flight; one the backend still
 * queues for the old machine is lost, as on a real link. */
static void virtio_net_save_state(VirtIODevice *vdev, MigWriter *w)
{
    VirtioNet *n = to_net(vdev);
    mig_put_bytes(w, n->mac, 6);
    mig_put_u16(w, n->status);
}

static int virtio_net_load_state(VirtIODevice *vdev, MigReader *r, char *err, size_t errlen)
{
    VirtioNet *n = to_net(vdev);
    uint8_t mac[6];
    mig_get_bytes(r, mac, 6);
    uint16_t status = mig_get_u16(r);
    if (mig_reader_failed(r)) {
        return 0;
    }
    if (memcmp(mac, n->mac, 6) != 0 || status > VIRTIO_NET_S_LINK_UP) {
        snprintf(err, errlen, "another MAC address or a bad link status");
        return -1;
    }
    n->status = status;
    n->tx_blocked = false;
    n->in_tx = false;
    return 0;
}

static const VirtIODeviceOps virtio_net_ops = {
    .config_read = virtio_net_config_read,
    .queue_notify = virtio_net_notify,
    .reset = virtio_net_reset,
    .save_state = virtio_net_save_state,
    .load_state = virtio_net_load_state,
};

void virtio_net_set_vm_stopped(VirtioNet *n, bool stopped)
{
    n->vm_stopped = stopped;
    if (!stopped) {
        net_flush_queue(n->nc);
    }
}

void virtio_net_set_link(VirtioNet *n, bool up)
{
    uint16_t status = up ? VIRTIO_NET_S_LINK_UP : 0;
    if (status == n->status) {
        return;
    }
    n->status = status;
    VirtIODevice *vdev = &n->vdev;
    vdev->config_generation++;
    if (vdev->status & VIRTIO_STATUS_DRIVER_OK) {
        vdev->isr |= 2;
        if (vdev->set_irq) {
            vdev->set_irq(vdev->irq_opaque, 1);
        }
    }
    if (up) {
        net_flush_queue(n->nc);
    }
}

VirtioNet *virtio_net_create(const AddressSpace *as, NetClient *backend, const uint8_t *mac,
                             unsigned index, char *err, size_t errlen)
{
    if (backend && backend->peer) {
        snprintf(err, errlen, "virtio-net: netdev '%s' is already in use",
                 backend->name ? backend->name : "?");
        return NULL;
    }
    VirtioNet *n = calloc(1, sizeof(*n));
    if (!n || !(n->tx_elem = malloc(sizeof(*n->tx_elem))) ||
        !(n->rx_elem = malloc(sizeof(*n->rx_elem))) || !(n->tx_frame = malloc(NET_MAX_FRAME)) ||
        !(n->rx_frame = malloc(NET_MAX_FRAME)) ||
        !(n->nc = net_client_new(&virtio_net_info, NULL, n))) {
        snprintf(err, errlen, "virtio-net: out of memory");
        if (n) {
            free(n->tx_elem);
            free(n->rx_elem);
            free(n->tx_frame);
            free(n->rx_frame);
            free(n);
        }
        return NULL;
    }
    if (backend) {
        net_client_set_peer(n->nc, backend);
    }
    if (mac) {
        memcpy(n->mac, mac, 6);
    } else {
        net_default_mac(index, n->mac);
    }
    n->status = VIRTIO_NET_S_LINK_UP;
    VirtIODevice *vdev = &n->vdev;
    virtio_device_init(vdev, "virtio-net", VIRTIO_ID_NET,
                       (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_STATUS) |
                           (1ull << VIRTIO_NET_F_MRG_RXBUF),
                       2, QUEUE_SIZE, &virtio_net_ops, as, n);
    return n;
}

void virtio_net_destroy(VirtioNet *n)
{
    if (!n) {
        return;
    }
    net_client_free(n->nc);
    free(n->tx_elem);
    free(n->rx_elem);
    free(n->tx_frame);
    free(n->rx_frame);
    free(n);
}
