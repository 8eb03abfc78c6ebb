/*
 * virtio-blk.h — the virtio block device on the block layer.
 *
 * The one thing to know: requests are served synchronously in the
 * notifying thread, straight between the image and guest RAM (no bounce
 * buffer); a malformed request gets VIRTIO_BLK_S_IOERR or UNSUPP, a
 * malformed ring puts the device in DEVICE_NEEDS_RESET.
 */
#ifndef MIMIC_HW_VIRTIO_BLK_H
#define MIMIC_HW_VIRTIO_BLK_H

#include "mimic/block.h"
#include "mimic/virtio.h"

#define VIRTIO_ID_BLOCK 2

typedef struct VirtIOBlock {
    VirtIODevice vdev;
    BlockDriverState *bs;
    bool read_only;
    uint64_t sectors;        /* capacity in 512-byte sectors */
    VirtQueueElement *elem;  /* scratch for one request */
} VirtIOBlock;

/* Sets up b for image bs (opened by the caller, which keeps it); guest
 * memory is as. 0 or -ENOMEM. */
int virtio_blk_init(VirtIOBlock *b, BlockDriverState *bs, bool read_only, const AddressSpace *as);
void virtio_blk_destroy(VirtIOBlock *b);

#endif
