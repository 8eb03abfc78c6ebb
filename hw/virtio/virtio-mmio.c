/*
 * virtio-mmio.c — the virtio-mmio transport, version 2 (virtio 1.x
 * "Virtio Over MMIO"), and the transport-independent device helpers
 * (reset, notify, error).
 *
 * The one thing to know: registers are 32-bit; other sizes and unknown
 * offsets read as 0 and ignore writes (config space excepted, which the
 * device decodes). A queue can only be configured while it is not ready,
 * and QueueNum must be a power of two no larger than QueueNumMax; a
 * driver that breaks the rules gets a device that ignores it, never a
 * host error.
 */
#include <stdio.h>
#include <string.h>

#include "mimic/virtio.h"
#include "migration/vmstate.h"

enum {
    MMIO_MAGIC = 0x000,
    MMIO_VERSION = 0x004,
    MMIO_DEVICE_ID = 0x008,
    MMIO_VENDOR_ID = 0x00c,
    MMIO_DEVICE_FEATURES = 0x010,
    MMIO_DEVICE_FEATURES_SEL = 0x014,
    MMIO_DRIVER_FEATURES = 0x020,
    MMIO_DRIVER_FEATURES_SEL = 0x024,
    MMIO_QUEUE_SEL = 0x030,
    MMIO_QUEUE_NUM_MAX = 0x034,
    MMIO_QUEUE_NUM = 0x038,
    MMIO_QUEUE_READY = 0x044,
    MMIO_QUEUE_NOTIFY = 0x050,
    MMIO_INTERRUPT_STATUS = 0x060,
    MMIO_INTERRUPT_ACK = 0x064,
    MMIO_STATUS = 0x070,
    MMIO_QUEUE_DESC_LOW = 0x080,
    MMIO_QUEUE_DESC_HIGH = 0x084,
    MMIO_QUEUE_DRIVER_LOW = 0x090,
    MMIO_QUEUE_DRIVER_HIGH = 0x094,
    MMIO_QUEUE_DEVICE_LOW = 0x0a0,
    MMIO_QUEUE_DEVICE_HIGH = 0x0a4,
    MMIO_CONFIG_GENERATION = 0x0fc,
    MMIO_CONFIG = 0x100,
};

#define VIRTIO_MMIO_MAGIC 0x74726976u /* "virt" */
#define VIRTIO_MMIO_VENDOR 0x4d494d49u /* "IMIM": mimic */

/* Transport registers that select things (kept with the device). */
typedef struct VirtIOMMIOSel {
    uint32_t features_sel, guest_features_sel, queue_sel;
} VirtIOMMIOSel;

static VirtIOMMIOSel *mmio_sel(VirtIODevice *vdev)
{
    _Static_assert(sizeof(VirtIOMMIOSel) <= sizeof(vdev->transport), "transport state");
    return (VirtIOMMIOSel *)vdev->transport;
}

static void update_irq(VirtIODevice *vdev)
{
    if (vdev->set_irq) {
        vdev->set_irq(vdev->irq_opaque, vdev->isr != 0);
    }
}

void virtio_error(VirtIODevice *vdev, const char *why)
{
    fprintf(stderr, "mimic: %s: %s; the device needs a reset\n", vdev->name, why);
    vdev->status |= VIRTIO_STATUS_NEEDS_RESET;
    if (vdev->status & VIRTIO_STATUS_DRIVER_OK) {
        vdev->isr |= 2; /* configuration change */
        update_irq(vdev);
    }
}

void virtio_notify(VirtIODevice *vdev, VirtQueue *vq)
{
    if (virtqueue_should_notify(vq, vdev->as, vdev->guest_features)) {
        vdev->isr |= 1;
        update_irq(vdev);
    }
}

void virtio_device_init(VirtIODevice *vdev, const char *name, uint32_t device_id,
                        uint64_t features, unsigned nb_queues, uint16_t queue_size,
                        const VirtIODeviceOps *ops, const AddressSpace *as, void *opaque)
{
    vdev->name = name;
    vdev->device_id = device_id;
    vdev->host_features = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
                          (1ull << VIRTIO_RING_F_EVENT_IDX) | features;
    vdev->nb_queues = nb_queues;
    for (unsigned i = 0; i < nb_queues; i++) {
        vdev->vq[i].num_max = queue_size;
    }
    vdev->ops = ops;
    vdev->as = as;
    vdev->opaque = opaque;
    virtio_reset(vdev);
}

void virtio_reset(VirtIODevice *vdev)
{
    vdev->status = 0;
    vdev->guest_features = 0;
    vdev->isr = 0;
    memset(vdev->transport, 0, sizeof(vdev->transport));
    for (unsigned i = 0; i < vdev->nb_queues; i++) {
        virtqueue_reset(&vdev->vq[i]);
    }
    if (vdev->ops->reset) {
        vdev->ops->reset(vdev);
    }
    update_irq(vdev);
}

static VirtQueue *selected_queue(VirtIODevice *vdev)
{
    uint32_t sel = mmio_sel(vdev)->queue_sel;
    return sel < vdev->nb_queues ? &vdev->vq[sel] : NULL;
}

static uint64_t virtio_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    VirtIODevice *vdev = opaque;
    if (offset >= MMIO_CONFIG) {
        return vdev->ops->config_read ? vdev->ops->config_read(vdev, offset - MMIO_CONFIG, size)
                                      : 0;
    }
    if (size != 4) {
        return 0;
    }
    VirtIOMMIOSel *sel = mmio_sel(vdev);
    VirtQueue *vq = selected_queue(vdev);
    switch (offset) {
    case MMIO_MAGIC:
        return VIRTIO_MMIO_MAGIC;
    case MMIO_VERSION:
        return 2;
    case MMIO_DEVICE_ID:
        return vdev->device_id;
    case MMIO_VENDOR_ID:
        return VIRTIO_MMIO_VENDOR;
    case MMIO_DEVICE_FEATURES:
        return sel->features_sel < 2 ? (uint32_t)(vdev->host_features >> (32 * sel->features_sel))
                                     : 0;
    case MMIO_QUEUE_NUM_MAX:
        return vq ? vq->num_max : 0;
    case MMIO_QUEUE_READY:
        return vq ? vq->ready : 0;
    case MMIO_INTERRUPT_STATUS:
        return vdev->isr;
    case MMIO_STATUS:
        return vdev->status;
    case MMIO_CONFIG_GENERATION:
        return vdev->config_generation;
    default:
        return 0;
    }
}

/* Replaces the low or high half of a queue address. */
static void set_half(uint64_t *addr, bool high, uint32_t value)
{
    *addr = high ? (*addr & 0xffffffffu) | ((uint64_t)value << 32)
                 : (*addr & ~0xffffffffull) | value;
}

static void queue_write(VirtIODevice *vdev, VirtQueue *vq, uint64_t offset, uint32_t value)
{
    if (!vq) {
        return;
    }
    if (offset == MMIO_QUEUE_READY) {
        vq->ready = value & 1;
        return;
    }
    if (vq->ready) {
        return; /* the layout of a live queue does not change */
    }
    switch (offset) {
    case MMIO_QUEUE_NUM:
        if (value && value <= vq->num_max && !(value & (value - 1))) {
            vq->num = (uint16_t)value;
        }
        break;
    case MMIO_QUEUE_DESC_LOW:
    case MMIO_QUEUE_DESC_HIGH:
        set_half(&vq->desc, offset == MMIO_QUEUE_DESC_HIGH, value);
        break;
    case MMIO_QUEUE_DRIVER_LOW:
    case MMIO_QUEUE_DRIVER_HIGH:
        set_half(&vq->avail, offset == MMIO_QUEUE_DRIVER_HIGH, value);
        break;
    case MMIO_QUEUE_DEVICE_LOW:
    case MMIO_QUEUE_DEVICE_HIGH:
        set_half(&vq->used, offset == MMIO_QUEUE_DEVICE_HIGH, value);
        break;
    }
}

static void virtio_mmio_write(void *opaque, uint64_t offset, uint64_t value64, unsigned size)
{
    VirtIODevice *vdev = opaque;
    if (offset >= MMIO_CONFIG) {
        if (vdev->ops->config_write) {
            vdev->ops->config_write(vdev, offset - MMIO_CONFIG, value64, size);
        }
        return;
    }
    if (size != 4) {
        return;
    }
    uint32_t value = (uint32_t)value64;
    VirtIOMMIOSel *sel = mmio_sel(vdev);
    switch (offset) {
    case MMIO_DEVICE_FEATURES_SEL:
        sel->features_sel = value;
        break;
    case MMIO_DRIVER_FEATURES_SEL:
        sel->guest_features_sel = value;
        break;
    case MMIO_DRIVER_FEATURES:
        if (sel->guest_features_sel < 2 && !(vdev->status & VIRTIO_STATUS_FEATURES_OK)) {
            unsigned shift = 32 * sel->guest_features_sel;
            uint64_t mask = 0xffffffffull << shift;
            vdev->guest_features = (vdev->guest_features & ~mask) |
                                   (((uint64_t)value << shift) & vdev->host_features);
        }
        break;
    case MMIO_QUEUE_SEL:
        sel->queue_sel = value;
        break;
    case MMIO_QUEUE_NOTIFY:
        if (value < vdev->nb_queues && (vdev->status & VIRTIO_STATUS_DRIVER_OK) &&
            !(vdev->status & VIRTIO_STATUS_NEEDS_RESET) && vdev->vq[value].ready &&
            vdev->ops->queue_notify) {
            vdev->ops->queue_notify(vdev, value);
        }
        break;
    case MMIO_INTERRUPT_ACK:
        vdev->isr &= ~value;
        update_irq(vdev);
        break;
    case MMIO_STATUS:
        if (value == 0) {
            virtio_reset(vdev);
        } else if ((value & VIRTIO_STATUS_FEATURES_OK) &&
                   !((vdev->guest_features >> VIRTIO_F_VERSION_1) & 1)) {
            /* A modern transport needs VERSION_1: FEATURES_OK does not stick. */
            vdev->status = (uint8_t)(value & ~VIRTIO_STATUS_FEATURES_OK);
        } else {
            vdev->status = (uint8_t)((value & 0xff) |
                                     (vdev->status & VIRTIO_STATUS_NEEDS_RESET));
        }
        break;
    default:
        queue_write(vdev, selected_queue(vdev), offset, value);
        break;
    }
}

const MemoryRegionOps virtio_mmio_ops = {
    .read = virtio_mmio_read,
    .write = virtio_mmio_write,
};

/* ---- machine state ---- */

bool virtio_state_supported(const VirtIODevice *vdev)
{
    return !vdev->ops || (vdev->ops->save_state && vdev->ops->load_state);
}

void virtio_mmio_state_save(void *obj, MigWriter *w)
{
    VirtIODevice *vdev = obj;
    if (vdev->ops) {
        vdev->ops->save_state(vdev, w);
    }
    mig_put_u32(w, vdev->device_id);
    mig_put_u64(w, vdev->host_features);
    mig_put_u64(w, vdev->guest_features);
    mig_put_u8(w, vdev->status);
    mig_put_u32(w, vdev->isr);
    mig_put_u32(w, vdev->config_generation);
    for (unsigned i = 0; i < 4; i++) {
        mig_put_u32(w, vdev->transport[i]);
    }
    mig_put_u32(w, vdev->nb_queues);
    for (unsigned i = 0; i < vdev->nb_queues; i++) {
        const VirtQueue *vq = &vdev->vq[i];
        mig_put_u16(w, vq->num);
        mig_put_u8(w, (uint8_t)(vq->ready | vq->signalled_used_valid << 1));
        mig_put_u64(w, vq->desc);
        mig_put_u64(w, vq->avail);
        mig_put_u64(w, vq->used);
        mig_put_u16(w, vq->last_avail_idx);
        mig_put_u16(w, vq->used_idx);
        mig_put_u16(w, vq->signalled_used);
    }
}

int virtio_mmio_state_load(void *obj, MigReader *r, uint32_t version, char *err, size_t errlen)
{
    VirtIODevice *vdev = obj;
    if (vdev->ops && vdev->ops->load_state(vdev, r, err, errlen) < 0) {
        return -1;
    }
    if (mig_get_u32(r) != vdev->device_id || mig_get_u64(r) != vdev->host_features) {
        snprintf(err, errlen, "another device (or one with other features) is in this slot "
                 "(give the same devices in the same order)");
        return -1;
    }
    vdev->guest_features = mig_get_u64(r);
    vdev->status = mig_get_u8(r);
    vdev->isr = mig_get_u32(r);
    vdev->config_generation = mig_get_u32(r);
    for (unsigned i = 0; i < 4; i++) {
        vdev->transport[i] = mig_get_u32(r);
    }
    if ((vdev->guest_features & ~vdev->host_features) || vdev->isr > 3) {
        return mig_bad(err, errlen, vdev->name, "features or interrupt status");
    }
    if (mig_get_u32(r) != vdev->nb_queues) {
        return mig_bad(err, errlen, vdev->name, "queue count");
    }
    for (unsigned i = 0; i < vdev->nb_queues; i++) {
        VirtQueue *vq = &vdev->vq[i];
        vq->num = mig_get_u16(r);
        uint8_t flags = mig_get_u8(r);
        vq->desc = mig_get_u64(r);
        vq->avail = mig_get_u64(r);
        vq->used = mig_get_u64(r);
        vq->last_avail_idx = mig_get_u16(r);
        vq->used_idx = mig_get_u16(r);
        vq->signalled_used = mig_get_u16(r);
        if (vq->num > vq->num_max || (vq->num & (vq->num - 1)) || flags > 3 ||
            ((flags & 1) && vq->num == 0)) {
            return mig_bad(err, errlen, vdev->name, "queue size or flags");
        }
        vq->ready = flags & 1;
        vq->signalled_used_valid = (flags >> 1) & 1;
    }
    return 0;
}

void virtio_mmio_state_post_load(VirtIODevice *vdev)
{
    update_irq(vdev);
}
