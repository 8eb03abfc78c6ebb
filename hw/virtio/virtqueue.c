/*
 * virtqueue.c — split virtqueues (virtio 1.x, "Split Virtqueues"): taking
 * descriptor chains from the available ring, returning them through the
 * used ring, the interrupt-suppression rules, and iovec helpers.
 *
 * The one thing to know: the rings are re-mapped from guest memory on every
 * use and each descriptor is read once into a local copy, so a guest that
 * rewrites its rings concurrently can only produce a chain that is checked
 * like any other: indexes below the table size, at most one level of
 * indirection, no indirect flag together with next, readable buffers before
 * writable ones, a bounded number of steps (no loops), every buffer inside
 * guest RAM.
 */
#include <errno.h>
#include <string.h>

#include "mimic/virtio.h"

enum {
    VRING_DESC_F_NEXT = 1,
    VRING_DESC_F_WRITE = 2,
    VRING_DESC_F_INDIRECT = 4,
    VRING_AVAIL_F_NO_INTERRUPT = 1,
};

typedef struct VringDesc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
} VringDesc;

_Static_assert(sizeof(VringDesc) == 16, "descriptor layout");

static bool has_feature(uint64_t features, unsigned bit)
{
    return (features >> bit) & 1;
}

static uint16_t load16(const void *p)
{
    return __atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE);
}

static void store16(void *p, uint16_t v)
{
    __atomic_store_n((uint16_t *)p, v, __ATOMIC_RELEASE);
}

/* The available ring: flags, idx, ring[num], used_event. */
static uint8_t *vq_avail(const VirtQueue *vq, const AddressSpace *as)
{
    return address_space_map(as, vq->avail, 6 + 2 * (uint64_t)vq->num);
}

/* The used ring: flags, idx, ring[num] of {id, len}, avail_event. */
static uint8_t *vq_used(const VirtQueue *vq, const AddressSpace *as)
{
    address_space_notify_write(as, vq->used, 6 + 8 * (uint64_t)vq->num);
    return address_space_map(as, vq->used, 6 + 8 * (uint64_t)vq->num);
}

void virtqueue_reset(VirtQueue *vq)
{
    uint16_t num_max = vq->num_max;
    memset(vq, 0, sizeof(*vq));
    vq->num_max = num_max;
    vq->num = num_max;
}

/* Adds one buffer to elem; -EIO if it is outside RAM, out of order or too many. */
static int elem_add(VirtQueueElement *elem, const AddressSpace *as, const VringDesc *d)
{
    void *host = address_space_map(as, d->addr, d->len);
    if (!host) {
        return -EIO;
    }
    if (d->flags & VRING_DESC_F_WRITE) {
        if (elem->in_num == VIRTQUEUE_MAX_SG) {
            return -EIO;
        }
        address_space_notify_write(as, d->addr, d->len);
        elem->in_addr[elem->in_num] = d->addr;
        elem->in[elem->in_num++] = (struct iovec){ host, d->len };
    } else {
        if (elem->in_num || elem->out_num == VIRTQUEUE_MAX_SG) {
            return -EIO; /* readable after writable, or too many */
        }
        elem->out[elem->out_num++] = (struct iovec){ host, d->len };
    }
    return 0;
}

int virtqueue_pop(VirtQueue *vq, const AddressSpace *as, uint64_t features, VirtQueueElement *elem)
{
    if (!vq->ready || vq->num == 0) {
        return 0;
    }
    uint8_t *avail = vq_avail(vq, as);
    const VringDesc *table = address_space_map(as, vq->desc, 16 * (uint64_t)vq->num);
    if (!avail || !table) {
        return -EIO;
    }
    uint16_t avail_idx = load16(avail + 2);
    uint16_t pending = (uint16_t)(avail_idx - vq->last_avail_idx);
    if (pending == 0) {
        return 0;
    }
    if (pending > vq->num) {
        return -EIO;
    }
    uint16_t head = load16(avail + 4 + 2 * (vq->last_avail_idx % vq->num));
    if (head >= vq->num) {
        return -EIO;
    }
    elem->head = head;
    elem->in_num = elem->out_num = 0;
    unsigned table_size = vq->num, steps = 0, i = head;
    bool indirect = false;
    for (;;) {
        VringDesc d;
        memcpy(&d, &table[i], sizeof(d));
        if (d.flags & VRING_DESC_F_INDIRECT) {
            if (!has_feature(features, VIRTIO_RING_F_INDIRECT_DESC) || indirect ||
                (d.flags & VRING_DESC_F_NEXT) || d.len == 0 || d.len % 16 ||
                d.len / 16 > VIRTQUEUE_MAX_SG) {
                return -EIO;
            }
            table = address_space_map(as, d.addr, d.len);
            if (!table) {
                return -EIO;
            }
            table_size = d.len / 16;
            indirect = true;
            steps = 0;
            i = 0;
            continue;
        }
        if (++steps > table_size || elem_add(elem, as, &d) < 0) {
            return -EIO;
        }
        if (!(d.flags & VRING_DESC_F_NEXT)) {
            break;
        }
        i = d.next;
        if (i >= table_size) {
            return -EIO;
        }
    }
    vq->last_avail_idx++;
    if (has_feature(features, VIRTIO_RING_F_EVENT_IDX)) {
        uint8_t *used = address_space_map(as, vq->used, 6 + 8 * (uint64_t)vq->num + 2);
        if (!used) {
            return -EIO;
        }
        address_space_notify_write(as, vq->used + 4 + 8 * (uint64_t)vq->num, 2);
        store16(used + 4 + 8 * (uint64_t)vq->num, vq->last_avail_idx); /* avail_event */
    }
    return 1;
}

int virtqueue_push(VirtQueue *vq, const AddressSpace *as, const VirtQueueElement *elem,
                   uint32_t len)
{
    uint8_t *used = vq_used(vq, as);
    if (!used) {
        return -EIO;
    }
    uint8_t *entry = used + 4 + 8 * (vq->used_idx % vq->num);
    uint32_t id = elem->head;
    memcpy(entry, &id, 4);
    memcpy(entry + 4, &len, 4);
    vq->used_idx++;
    store16(used + 2, vq->used_idx);
    /* Written again, after the writes: a live migration that looked at
     * these pages in between (from another thread) sends them again. */
    for (unsigned i = 0; i < elem->in_num && len > 0; i++) {
        uint32_t n = elem->in[i].iov_len < len ? (uint32_t)elem->in[i].iov_len : len;
        address_space_notify_write(as, elem->in_addr[i], n);
        len -= n;
    }
    address_space_notify_write(as, vq->used, 6 + 8 * (uint64_t)vq->num);
    return 0;
}

bool virtqueue_should_notify(VirtQueue *vq, const AddressSpace *as, uint64_t features)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* used idx before the driver's flags */
    if (!has_feature(features, VIRTIO_RING_F_EVENT_IDX)) {
        uint8_t *avail = vq_avail(vq, as);
        return !avail || !(load16(avail) & VRING_AVAIL_F_NO_INTERRUPT);
    }
    uint8_t *avail = address_space_map(as, vq->avail, 6 + 2 * (uint64_t)vq->num + 2);
    if (!avail) {
        return true;
    }
    uint16_t event = load16(avail + 4 + 2 * (uint64_t)vq->num); /* used_event */
    uint16_t new_idx = vq->used_idx, old_idx = vq->signalled_used;
    bool valid = vq->signalled_used_valid;
    vq->signalled_used = new_idx;
    vq->signalled_used_valid = true;
    return !valid || (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

size_t iov_size(const struct iovec *iov, unsigned n)
{
    size_t total = 0;
    for (unsigned i = 0; i < n; i++) {
        total += iov[i].iov_len;
    }
    return total;
}

static size_t iov_copy(const struct iovec *iov, unsigned n, size_t offset, void *buf, size_t len,
                       bool to_iov)
{
    size_t done = 0;
    for (unsigned i = 0; i < n && done < len; i++) {
        if (offset >= iov[i].iov_len) {
            offset -= iov[i].iov_len;
            continue;
        }
        size_t chunk = iov[i].iov_len - offset;
        if (chunk > len - done) {
            chunk = len - done;
        }
        uint8_t *p = (uint8_t *)iov[i].iov_base + offset;
        if (to_iov) {
            memcpy(p, (uint8_t *)buf + done, chunk);
        } else {
            memcpy((uint8_t *)buf + done, p, chunk);
        }
        done += chunk;
        offset = 0;
    }
    return done;
}

size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t offset, const void *buf,
                    size_t len)
{
    return iov_copy(iov, n, offset, (void *)buf, len, true);
}

size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t offset, void *buf, size_t len)
{
    return iov_copy(iov, n, offset, buf, len, false);
}
