/*
 * virtio-blk.c — the virtio block device (virtio 1.x "Block Device"):
 * read, write, flush, get-id, discard and write-zeroes requests served
 * from a BlockDriverState.
 *
 * The one thing to know: a request is a header (type, sector) in the
 * device-readable part, data, and one status byte at the very end of the
 * device-writable part; sizes and sector ranges are checked against the
 * capacity before the image is touched, so a guest cannot reach past the
 * end of its disk.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/virtio/virtio-blk.h"
#include "mimic/event-loop.h"

enum {
    VIRTIO_BLK_F_SEG_MAX = 2,
    VIRTIO_BLK_F_RO = 5,
    VIRTIO_BLK_F_BLK_SIZE = 6,
    VIRTIO_BLK_F_FLUSH = 9,
    VIRTIO_BLK_F_DISCARD = 13,
    VIRTIO_BLK_F_WRITE_ZEROES = 14,
};

enum {
    VIRTIO_BLK_T_IN = 0,
    VIRTIO_BLK_T_OUT = 1,
    VIRTIO_BLK_T_FLUSH = 4,
    VIRTIO_BLK_T_GET_ID = 8,
    VIRTIO_BLK_T_DISCARD = 11,
    VIRTIO_BLK_T_WRITE_ZEROES = 13,
};

enum { VIRTIO_BLK_S_OK = 0, VIRTIO_BLK_S_IOERR = 1, VIRTIO_BLK_S_UNSUPP = 2 };

#define SECTOR 512u
#define QUEUE_SIZE 256
#define SEG_MAX (QUEUE_SIZE - 2)
#define MAX_DISCARD_SECTORS (1u << 22)
#define MAX_DISCARD_SEGS 32
#define CONFIG_SIZE 60

typedef struct BlkHeader {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
} BlkHeader;

typedef struct BlkDiscardSegment {
    uint64_t sector;
    uint32_t num_sectors;
    uint32_t flags;
} BlkDiscardSegment;

static VirtIOBlock *to_blk(VirtIODevice *vdev)
{
    return (VirtIOBlock *)vdev;
}

static void config_put(uint8_t *cfg, unsigned off, uint64_t v, unsigned size)
{
    memcpy(cfg + off, &v, size);
}

static uint64_t virtio_blk_config_read(VirtIODevice *vdev, uint64_t offset, unsigned size)
{
    VirtIOBlock *b = to_blk(vdev);
    uint8_t cfg[CONFIG_SIZE] = { 0 };
    config_put(cfg, 0, b->sectors, 8);
    config_put(cfg, 12, SEG_MAX, 4);
    config_put(cfg, 20, SECTOR, 4);
    config_put(cfg, 36, MAX_DISCARD_SECTORS, 4);
    config_put(cfg, 40, MAX_DISCARD_SEGS, 4);
    config_put(cfg, 44, 1, 4);
    config_put(cfg, 48, MAX_DISCARD_SECTORS, 4);
    config_put(cfg, 52, MAX_DISCARD_SEGS, 4);
    uint64_t v = 0;
    if (offset < CONFIG_SIZE && size <= CONFIG_SIZE - offset) {
        memcpy(&v, cfg + offset, size);
    }
    return v;
}

/* Is [sector, sector + bytes / 512) inside the disk? */
static bool range_ok(const VirtIOBlock *b, uint64_t sector, uint64_t bytes)
{
    return sector <= b->sectors && bytes / SECTOR <= b->sectors - sector;
}

/* Reads or writes the data buffers of a request (in[] without its status
 * byte, or out[] after the header) at byte offset pos of the disk. */
static int blk_rw(VirtIOBlock *b, const struct iovec *iov, unsigned n, size_t skip, size_t len,
                  uint64_t pos, bool write)
{
    for (unsigned i = 0; i < n && len > 0; i++) {
        if (skip >= iov[i].iov_len) {
            skip -= iov[i].iov_len;
            continue;
        }
        size_t chunk = iov[i].iov_len - skip;
        if (chunk > len) {
            chunk = len;
        }
        uint8_t *p = (uint8_t *)iov[i].iov_base + skip;
        int r = write ? bdrv_pwrite(b->bs, pos, p, chunk, NULL)
                      : bdrv_pread(b->bs, pos, p, chunk, NULL);
        if (r < 0) {
            return r;
        }
        pos += chunk;
        len -= chunk;
        skip = 0;
    }
    return 0;
}

static int blk_discard_or_zero(VirtIOBlock *b, const VirtQueueElement *e, size_t data_len,
                               bool zero)
{
    if (data_len % sizeof(BlkDiscardSegment) ||
        data_len / sizeof(BlkDiscardSegment) > MAX_DISCARD_SEGS || b->read_only) {
        return VIRTIO_BLK_S_IOERR;
    }
    static const uint8_t zeros[64 * 1024];
    for (size_t off = 0; off < data_len; off += sizeof(BlkDiscardSegment)) {
        BlkDiscardSegment seg;
        iov_to_buf(e->out, e->out_num, sizeof(BlkHeader) + off, &seg, sizeof(seg));
        uint64_t bytes = (uint64_t)seg.num_sectors * SECTOR;
        if (seg.num_sectors > MAX_DISCARD_SECTORS || !range_ok(b, seg.sector, bytes)) {
            return VIRTIO_BLK_S_IOERR;
        }
        uint64_t pos = seg.sector * SECTOR;
        if (!zero) {
            if (bdrv_discard(b->bs, pos, bytes, NULL) < 0) {
                return VIRTIO_BLK_S_IOERR;
            }
            continue;
        }
        for (uint64_t done = 0; done < bytes;) {
            size_t chunk = bytes - done < sizeof(zeros) ? (size_t)(bytes - done) : sizeof(zeros);
            if (bdrv_pwrite(b->bs, pos + done, zeros, chunk, NULL) < 0) {
                return VIRTIO_BLK_S_IOERR;
            }
            done += chunk;
        }
    }
    return VIRTIO_BLK_S_OK;
}

/* Serves one request; returns the status byte and the bytes written into
 * the in[] buffers before it (*in_len). */
static uint8_t blk_handle(VirtIOBlock *b, const VirtQueueElement *e, const BlkHeader *h,
                          size_t *in_len)
{
    size_t out_len = iov_size(e->out, e->out_num) - sizeof(BlkHeader);
    size_t in_data = iov_size(e->in, e->in_num) - 1;
    *in_len = 0;
    switch (h->type) {
    case VIRTIO_BLK_T_IN:
        if (in_data % SECTOR || !range_ok(b, h->sector, in_data)) {
            b->req_invalid = true;
            return VIRTIO_BLK_S_IOERR;
        }
        if (blk_rw(b, e->in, e->in_num, 0, in_data, h->sector * SECTOR, false) < 0) {
            return VIRTIO_BLK_S_IOERR;
        }
        *in_len = in_data;
        return VIRTIO_BLK_S_OK;
    case VIRTIO_BLK_T_OUT:
        if (b->read_only || out_len % SECTOR || !range_ok(b, h->sector, out_len)) {
            b->req_invalid = true;
            return VIRTIO_BLK_S_IOERR;
        }
        if (blk_rw(b, e->out, e->out_num, sizeof(BlkHeader), out_len, h->sector * SECTOR,
                   true) < 0) {
            return VIRTIO_BLK_S_IOERR;
        }
        return VIRTIO_BLK_S_OK;
    case VIRTIO_BLK_T_FLUSH:
        return bdrv_flush(b->bs, NULL) < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
    case VIRTIO_BLK_T_GET_ID: {
        static const char id[20] = "mimic-virtio-blk";
        *in_len = iov_from_buf(e->in, e->in_num, 0, id, in_data < 20 ? in_data : 20);
        return VIRTIO_BLK_S_OK;
    }
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
        return (uint8_t)blk_discard_or_zero(b, e, out_len, h->type == VIRTIO_BLK_T_WRITE_ZEROES);
    default:
        return VIRTIO_BLK_S_UNSUPP;
    }
}

/* Counts a served request in b->stats. */
static void blk_account(VirtIOBlock *b, const VirtQueueElement *e, const BlkHeader *h,
                        uint8_t status, int64_t start)
{
    VirtIOBlockStats *st = &b->stats;
    int64_t now = event_clock_ns();
    uint64_t ns = now > start ? (uint64_t)(now - start) : 0;
    uint64_t *ops, *bytes = NULL, *failed, *invalid, *total;
    uint64_t len = 0;
    switch (h->type) {
    case VIRTIO_BLK_T_IN:
        ops = &st->rd_ops, bytes = &st->rd_bytes, failed = &st->failed_rd;
        invalid = &st->invalid_rd, total = &st->rd_ns;
        len = iov_size(e->in, e->in_num) - 1;
        break;
    case VIRTIO_BLK_T_OUT:
        ops = &st->wr_ops, bytes = &st->wr_bytes, failed = &st->failed_wr;
        invalid = &st->invalid_wr, total = &st->wr_ns;
        len = iov_size(e->out, e->out_num) - sizeof(BlkHeader);
        break;
    case VIRTIO_BLK_T_FLUSH:
        ops = &st->flush_ops, failed = &st->failed_flush;
        invalid = &st->invalid_flush, total = &st->flush_ns;
        break;
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
        ops = &st->unmap_ops, failed = &st->failed_unmap;
        invalid = &st->invalid_unmap, total = &st->unmap_ns;
        break;
    default:
        return; /* get-id and unsupported requests are not I/O */
    }
    st->last_ns = now;
    if (b->req_invalid) {
        (*invalid)++;
        return;
    }
    if (status != VIRTIO_BLK_S_OK) {
        (*failed)++;
        return;
    }
    (*ops)++;
    *total += ns;
    if (bytes) {
        *bytes += len;
    }
    if (h->type == VIRTIO_BLK_T_OUT && h->sector * SECTOR + len > st->wr_highest_offset) {
        st->wr_highest_offset = h->sector * SECTOR + len;
    }
}

static void virtio_blk_notify(VirtIODevice *vdev, unsigned n)
{
    VirtIOBlock *b = to_blk(vdev);
    VirtQueue *vq = &vdev->vq[n];
    VirtQueueElement *e = b->elem;
    for (;;) {
        int r = virtqueue_pop(vq, vdev->as, vdev->guest_features, e);
        if (r == 0) {
            break;
        }
        if (r < 0) {
            virtio_error(vdev, "malformed virtqueue");
            return;
        }
        BlkHeader h;
        if (iov_to_buf(e->out, e->out_num, 0, &h, sizeof(h)) != sizeof(h) || e->in_num == 0 ||
            e->in[e->in_num - 1].iov_len == 0) {
            virtio_error(vdev, "request without header or status byte");
            return;
        }
        size_t in_len;
        int64_t start = event_clock_ns();
        b->req_invalid = false;
        uint8_t status = blk_handle(b, e, &h, &in_len);
        blk_account(b, e, &h, status, start);
        const struct iovec *last = &e->in[e->in_num - 1];
        ((uint8_t *)last->iov_base)[last->iov_len - 1] = status;
        if (virtqueue_push(vq, vdev->as, e, (uint32_t)in_len + 1) < 0) {
            virtio_error(vdev, "used ring outside guest memory");
            return;
        }
        virtio_notify(vdev, vq);
    }
}

/* Requests complete before the machine can stop: only the capacity, to
 * refuse a state saved with another disk. */
static void virtio_blk_save_state(VirtIODevice *vdev, MigWriter *w)
{
    mig_put_u64(w, to_blk(vdev)->sectors);
}

static int virtio_blk_load_state(VirtIODevice *vdev, MigReader *r, char *err, size_t errlen)
{
    if (mig_get_u64(r) != to_blk(vdev)->sectors && !mig_reader_failed(r)) {
        snprintf(err, errlen, "the disk has another size than when the state was saved");
        return -1;
    }
    return 0;
}

static const VirtIODeviceOps virtio_blk_ops = {
    .config_read = virtio_blk_config_read,
    .queue_notify = virtio_blk_notify,
    .save_state = virtio_blk_save_state,
    .load_state = virtio_blk_load_state,
};

int virtio_blk_init(VirtIOBlock *b, BlockDriverState *bs, bool read_only, const AddressSpace *as)
{
    memset(b, 0, sizeof(*b));
    b->elem = malloc(sizeof(*b->elem));
    if (!b->elem) {
        return -ENOMEM;
    }
    b->bs = bs;
    b->read_only = read_only || !(bs->flags & BDRV_O_RDWR);
    b->sectors = bs->total_size / SECTOR;
    b->stats.last_ns = -1;
    VirtIODevice *vdev = &b->vdev;
    virtio_device_init(vdev, "virtio-blk", VIRTIO_ID_BLOCK,
                       (1ull << VIRTIO_BLK_F_SEG_MAX) | (1ull << VIRTIO_BLK_F_BLK_SIZE) |
                           (1ull << VIRTIO_BLK_F_FLUSH) |
                           (b->read_only ? 1ull << VIRTIO_BLK_F_RO
                                         : (1ull << VIRTIO_BLK_F_DISCARD) |
                                               (1ull << VIRTIO_BLK_F_WRITE_ZEROES)),
                       1, QUEUE_SIZE, &virtio_blk_ops, as, b);
    return 0;
}

void virtio_blk_destroy(VirtIOBlock *b)
{
    free(b->elem);
    b->elem = NULL;
}
