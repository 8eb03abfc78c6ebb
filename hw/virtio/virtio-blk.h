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

/* Request accounting (query-blockstats). "invalid": refused before any
 * I/O (range, alignment, read-only); "failed": the image returned an
 * error. Times are in nanoseconds of event_clock_ns. */
typedef struct VirtIOBlockStats {
    uint64_t rd_bytes, wr_bytes, unmap_bytes;
    uint64_t rd_ops, wr_ops, flush_ops, unmap_ops;
    uint64_t failed_rd, failed_wr, failed_flush, failed_unmap;
    uint64_t invalid_rd, invalid_wr, invalid_flush, invalid_unmap;
    uint64_t rd_ns, wr_ns, flush_ns, unmap_ns;
    uint64_t wr_highest_offset;  /* end of the highest write */
    int64_t last_ns;             /* when the last request finished, or -1 */
} VirtIOBlockStats;

typedef struct VirtIOBlock {
    VirtIODevice vdev;
    BlockDriverState *bs;
    bool read_only;
    uint64_t sectors;        /* capacity in 512-byte sectors */
    VirtQueueElement *elem;  /* scratch for one request */
    VirtIOBlockStats stats;  /* under the machine lock, like the device */
    bool req_invalid;        /* the request being served was refused */
} VirtIOBlock;

/* Sets up b for image bs (opened by the caller, which keeps it); guest
 * memory is as. 0 or -ENOMEM. */
int virtio_blk_init(VirtIOBlock *b, BlockDriverState *bs, bool read_only, const AddressSpace *as);
void virtio_blk_destroy(VirtIOBlock *b);

#endif
