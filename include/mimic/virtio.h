/*
 * virtio.h — the virtio core: split virtqueues (with indirect descriptors
 * and event index), the device interface, and the virtio-mmio transport
 * (version 2, "modern"). Devices: virtio-blk (hw/virtio/virtio-blk.c).
 *
 * The one thing to know: everything in a virtqueue belongs to the guest and
 * may be hostile at any moment: virtqueue_pop() checks every index, length,
 * flag and address and returns -EIO for a broken ring or chain, after which
 * the transport marks the device DEVICE_NEEDS_RESET; nothing a guest writes
 * can make the host read or write outside guest RAM, loop, or abort.
 */
#ifndef MIMIC_VIRTIO_H
#define MIMIC_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "mimic/memory.h"
#include "migration/stream.h"

/* Feature bits of the transport and ring. */
#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

/* Device status bits. */
enum {
    VIRTIO_STATUS_ACKNOWLEDGE = 1,
    VIRTIO_STATUS_DRIVER = 2,
    VIRTIO_STATUS_DRIVER_OK = 4,
    VIRTIO_STATUS_FEATURES_OK = 8,
    VIRTIO_STATUS_NEEDS_RESET = 64,
    VIRTIO_STATUS_FAILED = 128,
};

#define VIRTQUEUE_MAX_SIZE 1024
#define VIRTQUEUE_MAX_SG 1024 /* buffers in one chain, indirect included */

typedef struct VirtQueue {
    uint16_t num;            /* queue size chosen by the driver (power of 2) */
    uint16_t num_max;        /* what the device offers */
    bool ready;
    uint64_t desc, avail, used; /* guest physical addresses of the three parts */
    uint16_t last_avail_idx; /* next available entry to take */
    uint16_t used_idx;       /* next used entry to fill */
    uint16_t signalled_used; /* used_idx at the last interrupt (event index) */
    bool signalled_used_valid;
} VirtQueue;

/* One request: the chain starting at `head`, as host iovecs. out[] are the
 * buffers the device reads (driver → device), in[] those it writes. */
typedef struct VirtQueueElement {
    uint16_t head;
    unsigned out_num, in_num;
    struct iovec out[VIRTQUEUE_MAX_SG];
    struct iovec in[VIRTQUEUE_MAX_SG];
    uint64_t in_addr[VIRTQUEUE_MAX_SG]; /* guest address of each in[] */
} VirtQueueElement;

/* Takes the next available chain: 1 (elem filled), 0 (queue empty), or
 * -EIO (the ring or the chain is malformed). */
int virtqueue_pop(VirtQueue *vq, const AddressSpace *as, uint64_t features, VirtQueueElement *elem);
/* Returns a chain to the driver with `len` bytes written into its in[]. */
int virtqueue_push(VirtQueue *vq, const AddressSpace *as, const VirtQueueElement *elem,
                   uint32_t len);
/* Whether the driver wants an interrupt for what was pushed since the last
 * one (VIRTQ_AVAIL_F_NO_INTERRUPT, or used_event with EVENT_IDX). */
bool virtqueue_should_notify(VirtQueue *vq, const AddressSpace *as, uint64_t features);
void virtqueue_reset(VirtQueue *vq);

/* Bytes of an iovec array; copies to/from it (return bytes copied). */
size_t iov_size(const struct iovec *iov, unsigned n);
size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t offset, const void *buf,
                    size_t len);
size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t offset, void *buf, size_t len);

/* ---- devices and the virtio-mmio transport ------------------------------ */

typedef struct VirtIODevice VirtIODevice;

typedef struct VirtIODeviceOps {
    /* Device-specific configuration space. */
    uint64_t (*config_read)(VirtIODevice *vdev, uint64_t offset, unsigned size);
    void (*config_write)(VirtIODevice *vdev, uint64_t offset, uint64_t value, unsigned size);
    /* The driver notified queue n. */
    void (*queue_notify)(VirtIODevice *vdev, unsigned n);
    void (*reset)(VirtIODevice *vdev);
    /* Machine state of the device model (the transport saves the rest),
     * with the machine stopped; load works on a copy of the whole device
     * (VirtIODevice first in it) and checks every field. A device without
     * them cannot be snapshotted or migrated. */
    void (*save_state)(VirtIODevice *vdev, MigWriter *w);
    int (*load_state)(VirtIODevice *vdev, MigReader *r, char *err, size_t errlen);
} VirtIODeviceOps;

#define VIRTIO_MAX_QUEUES 8

struct VirtIODevice {
    const char *name;
    uint32_t device_id;
    uint64_t host_features;   /* offered */
    uint64_t guest_features;  /* accepted by the driver */
    uint8_t status;
    uint32_t isr;             /* InterruptStatus: bit 0 used ring, bit 1 config */
    uint32_t config_generation;
    unsigned nb_queues;
    VirtQueue vq[VIRTIO_MAX_QUEUES];
    const VirtIODeviceOps *ops;
    const AddressSpace *as;   /* guest memory for DMA */
    /* Raises (level 1) or lowers the device's interrupt line. */
    void (*set_irq)(void *irq_opaque, int level);
    void *irq_opaque;
    void *opaque;             /* the device model's state */
    uint32_t transport[4];    /* the transport's own registers (feature/queue selectors) */
};

/* Marks the device broken (DEVICE_NEEDS_RESET) and tells the driver. */
void virtio_error(VirtIODevice *vdev, const char *why);
/* Sets ISR bit 0 and raises the interrupt if the queue wants one. */
void virtio_notify(VirtIODevice *vdev, VirtQueue *vq);
/* Sets up a device: its identity, the features it offers besides the
 * ones every device here offers (VERSION_1, INDIRECT_DESC, EVENT_IDX),
 * nb_queues queues of at most queue_size entries; then resets it. */
void virtio_device_init(VirtIODevice *vdev, const char *name, uint32_t device_id,
                        uint64_t features, unsigned nb_queues, uint16_t queue_size,
                        const VirtIODeviceOps *ops, const AddressSpace *as, void *opaque);
/* Resets transport state and every queue, then the device. */
void virtio_reset(VirtIODevice *vdev);

/* virtio-mmio register window (0x200 bytes) for vdev. */
extern const MemoryRegionOps virtio_mmio_ops;

/* Machine state of one virtio-mmio slot (obj: its VirtIODevice, first in
 * the device model's struct): the device model's own state, then status,
 * features, interrupt status, selectors and every queue. Loading refuses a
 * different device, features the device does not offer and queue sizes it
 * does not allow; virtio_mmio_state_post_load drives the line again. */
#define VIRTIO_MMIO_STATE_VERSION 1
void virtio_mmio_state_save(void *obj, MigWriter *w);
int virtio_mmio_state_load(void *obj, MigReader *r, uint32_t version, char *err, size_t errlen);
void virtio_mmio_state_post_load(VirtIODevice *vdev);
/* Whether the device model in this slot can save its state. */
bool virtio_state_supported(const VirtIODevice *vdev);
#define VIRTIO_MMIO_SIZE 0x200

#endif
