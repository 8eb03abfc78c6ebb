/*
 * virtio-net.h — the virtio network device (device id 1) on the virtio
 * core, attached to a net backend through a NetClient.
 *
 * The one thing to know: receive queue 0, transmit queue 1, no control
 * queue; offered: MAC, STATUS (link up), MRG_RXBUF, and the ring features
 * (indirect, event index). Checksum and segmentation offloads are not
 * offered, so every frame carries a plain 12-byte virtio_net_hdr_v1 and a
 * full checksum; a transmit header asking for offload help is refused and
 * counted. Frames that cannot be received yet stay in the NIC's queue and
 * are delivered when the guest adds receive buffers.
 *
 * Plugging it into a machine:
 *   VirtioNet *n = virtio_net_create(as, net_backend_lookup("n0"), mac, 0, err, sizeof(err));
 *   virtio_net_vdev(n)->set_irq = ...; ->irq_opaque = ...;
 *   address_space_add_mmio(as, "virtio-net", base, VIRTIO_MMIO_SIZE, &virtio_mmio_ops,
 *                          virtio_net_vdev(n));
 */
#ifndef MIMIC_HW_VIRTIO_NET_H
#define MIMIC_HW_VIRTIO_NET_H

#include "mimic/net.h"
#include "mimic/virtio.h"

#define VIRTIO_ID_NET 1

enum {
    VIRTIO_NET_F_CSUM = 0,
    VIRTIO_NET_F_GUEST_CSUM = 1,
    VIRTIO_NET_F_MTU = 3,
    VIRTIO_NET_F_MAC = 5,
    VIRTIO_NET_F_GUEST_TSO4 = 7,
    VIRTIO_NET_F_HOST_TSO4 = 11,
    VIRTIO_NET_F_MRG_RXBUF = 15,
    VIRTIO_NET_F_STATUS = 16,
    VIRTIO_NET_F_CTRL_VQ = 17,
};

#define VIRTIO_NET_S_LINK_UP 1
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_GSO_NONE 0
#define VIRTIO_NET_HDR_LEN 12            /* virtio_net_hdr_v1, num_buffers included */
#define VIRTIO_NET_RX_QUEUE 0
#define VIRTIO_NET_TX_QUEUE 1
#define VIRTIO_NET_MAX_FRAME 65535       /* largest frame accepted from the guest */

typedef struct VirtioNetStats {
    uint64_t tx_packets, rx_packets;
    uint64_t tx_malformed;   /* short, oversized, or a header asking for offloads */
    uint64_t rx_dropped;     /* too big for the guest's buffers, or no driver */
} VirtioNetStats;

typedef struct VirtioNet {
    VirtIODevice vdev;       /* first: the transport's opaque is &vdev */
    NetClient *nc;           /* this NIC's client; its peer is the backend */
    uint8_t mac[6];
    uint16_t status;         /* config status: VIRTIO_NET_S_LINK_UP */
    bool in_tx;              /* virtio_net_tx() is running (no re-entry) */
    bool tx_blocked;         /* the backend's queue is full: wait for drained() */
    bool vm_stopped;         /* the machine is stopped: frames wait in the backend */
    VirtioNetStats stats;
    /* scratch, separate for each direction: a backend may answer a
     * transmitted frame at once, from inside net_send() */
    VirtQueueElement *tx_elem, *rx_elem;
    uint8_t *tx_frame, *rx_frame;
} VirtioNet;

/* Creates the device, linked to backend (NULL: not connected, frames are
 * dropped and counted); mac NULL means the default for NIC number index
 * (52:54:00:12:34:56 + index). Guest memory is as. NULL with err on failure
 * (backend already in use, out of memory). */
VirtioNet *virtio_net_create(const AddressSpace *as, NetClient *backend, const uint8_t *mac,
                             unsigned index, char *err, size_t errlen);
void virtio_net_destroy(VirtioNet *n);
static inline VirtIODevice *virtio_net_vdev(VirtioNet *n)
{
    return &n->vdev;
}
/* The machine stopped (true) or runs again (false): while stopped no frame
 * is written into guest memory (they queue in the backend, as QEMU holds
 * them back); on resume the queue is delivered. */
void virtio_net_set_vm_stopped(VirtioNet *n, bool stopped);
/* Link up or down (config status, with a configuration interrupt). */
void virtio_net_set_link(VirtioNet *n, bool up);

#endif
