/*
 * virtio-rng.h — the virtio entropy device (virtio 1.x "Entropy Device",
 * device id 4): one requestq whose device-writable buffers it fills from
 * getrandom(2).
 *
 * The one thing to know: at most VIRTIO_RNG_MAX_REQUEST bytes are written
 * per request whatever the guest's buffers claim; a chain with a readable
 * buffer, or with no room at all, is a driver error (DEVICE_NEEDS_RESET).
 */
#ifndef MIMIC_HW_VIRTIO_RNG_H
#define MIMIC_HW_VIRTIO_RNG_H

#include "mimic/virtio.h"

#define VIRTIO_ID_RNG 4
#define VIRTIO_RNG_MAX_REQUEST 65536

typedef struct VirtIORNG {
    VirtIODevice vdev;
    VirtQueueElement *elem; /* scratch for one request */
    uint64_t bytes_served;  /* statistics */
} VirtIORNG;

/* 0 or -ENOMEM. */
int virtio_rng_init(VirtIORNG *r, const AddressSpace *as);
void virtio_rng_destroy(VirtIORNG *r);

#endif
