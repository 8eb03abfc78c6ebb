/*
 * virtio-rng.c — the virtio entropy device (virtio 1.x "Entropy Device"):
 * each request on requestq 0 is filled with bytes from getrandom(2),
 * without rate limiting.
 *
 * The one thing to know: the guest's buffer lengths are only trusted as
 * far as virtqueue_pop() checked them (inside guest RAM); the device writes
 * at most VIRTIO_RNG_MAX_REQUEST bytes per request and reports exactly how
 * many it wrote, and a request that is not purely device-writable is a
 * driver error.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "hw/virtio/virtio-rng.h"

#define QUEUE_SIZE 64

static size_t fill_random(uint8_t *p, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = getrandom(p + done, len - done, 0);
        if (n > 0) {
            done += (size_t)n;
        } else if (!(n < 0 && errno == EINTR)) {
            break;
        }
    }
    return done;
}

static void virtio_rng_notify(VirtIODevice *vdev, unsigned n)
{
    VirtIORNG *r = vdev->opaque;
    VirtQueue *vq = &vdev->vq[0];
    VirtQueueElement *e = r->elem;
    for (;;) {
        int p = virtqueue_pop(vq, vdev->as, vdev->guest_features, e);
        if (p == 0) {
            return;
        }
        if (p < 0) {
            virtio_error(vdev, "malformed requestq");
            return;
        }
        if (e->out_num) {
            virtio_error(vdev, "device-readable buffer in requestq");
            return;
        }
        if (iov_size(e->in, e->in_num) == 0) {
            virtio_error(vdev, "request without room for any byte");
            return;
        }
        size_t want = VIRTIO_RNG_MAX_REQUEST, filled = 0;
        for (unsigned i = 0; i < e->in_num && filled < want; i++) {
            size_t len = e->in[i].iov_len < want - filled ? e->in[i].iov_len : want - filled;
            size_t got = fill_random(e->in[i].iov_base, len);
            filled += got;
            if (got < len) {
                break;
            }
        }
        r->bytes_served += filled;
        if (virtqueue_push(vq, vdev->as, e, (uint32_t)filled) < 0) {
            virtio_error(vdev, "used ring outside guest memory");
            return;
        }
        virtio_notify(vdev, vq);
    }
}

/* Requests are answered at once: no state beyond the transport's. */
static void virtio_rng_save_state(VirtIODevice *vdev, MigWriter *w)
{
}

static int virtio_rng_load_state(VirtIODevice *vdev, MigReader *r, char *err, size_t errlen)
{
    return 0;
}

static const VirtIODeviceOps virtio_rng_ops = {
    .queue_notify = virtio_rng_notify,
    .save_state = virtio_rng_save_state,
    .load_state = virtio_rng_load_state,
};

int virtio_rng_init(VirtIORNG *r, const AddressSpace *as)
{
    memset(r, 0, sizeof(*r));
    r->elem = malloc(sizeof(*r->elem));
    if (!r->elem) {
        return -ENOMEM;
    }
    VirtIODevice *vdev = &r->vdev;
    virtio_device_init(vdev, "virtio-rng", VIRTIO_ID_RNG, 0, 1, QUEUE_SIZE, &virtio_rng_ops, as,
                       r);
    return 0;
}

void virtio_rng_destroy(VirtIORNG *r)
{
    free(r->elem);
    r->elem = NULL;
}
