/*
 * raw.c — the raw format: the virtual disk is the file, byte for byte.
 *
 * The one thing to know: holes stay holes. Discard punches holes, block
 * status reports holes as zeros (SEEK_DATA/SEEK_HOLE), and create/truncate
 * use ftruncate, so a new or grown image allocates nothing. As in qemu the
 * virtual size is the file size rounded up to 512 bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "block/image-util.h"
#include "mimic/block.h"

static int raw_probe(const uint8_t *buf, size_t len)
{
    return 1; /* anything is a raw image, as a last resort */
}

static int raw_open(BlockDriverState *bs, int flags, Error **errp)
{
    int64_t size = file_size(bs->fd);

    if (size < 0) {
        return error_setg(errp, (int)size, "Could not get the size of '%s': %s", bs->filename,
                          strerror((int)-size));
    }
    /* Like qemu, the size is in whole 512-byte sectors; a partial last
     * sector reads with zeros past the end of the file. */
    bs->total_size = ((uint64_t)size + 511) & ~511ULL;
    /* Reads and writes are plain pread/pwrite: they run without bs->lock
     * (the generic layer keeps overlapping requests apart). */
    bs->serial_align = 512;
    return 0;
}

static void raw_close(BlockDriverState *bs)
{
}

static int raw_read(BlockDriverState *bs, uint64_t offset, void *buf, size_t len,
                    Error **errp)
{
    int64_t size = file_size(bs->fd);
    size_t n = len;
    int ret = (int)(size < 0 ? size : 0);

    bdrv_io_unlock(bs);
    if (ret == 0 && offset + len > (uint64_t)size) {
        n = offset < (uint64_t)size ? (size_t)((uint64_t)size - offset) : 0;
        memset((uint8_t *)buf + n, 0, len - n);
    }
    if (ret == 0 && n) {
        ret = file_pread(bs->fd, buf, n, offset);
    }
    bdrv_io_relock(bs);
    if (ret < 0) {
        return error_setg(errp, ret, "Could not read '%s' at offset %llu: %s", bs->filename,
                          (unsigned long long)offset, strerror(-ret));
    }
    return 0;
}

static int raw_write(BlockDriverState *bs, uint64_t offset, const void *buf, size_t len,
                     Error **errp)
{
    int ret;

    bdrv_io_unlock(bs);
    ret = file_pwrite(bs->fd, buf, len, offset);
    bdrv_io_relock(bs);
    if (ret < 0) {
        return error_setg(errp, ret, "Could not write '%s' at offset %llu: %s", bs->filename,
                          (unsigned long long)offset, strerror(-ret));
    }
    return 0;
}

static int raw_flush(BlockDriverState *bs, Error **errp)
{
    if (img_sync(bs, bs->fd) < 0) {
        return error_setg(errp, -errno, "Could not flush '%s': %s", bs->filename,
                          strerror(errno));
    }
    return 0;
}

static int raw_discard(BlockDriverState *bs, uint64_t offset, uint64_t len, Error **errp)
{
    if (fallocate(bs->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset,
                  (off_t)len) < 0) {
        if (errno == EOPNOTSUPP) {
            return 0; /* discard is a hint */
        }
        return error_setg(errp, -errno, "Could not discard in '%s': %s", bs->filename,
                          strerror(errno));
    }
    return 0;
}

static int raw_truncate(BlockDriverState *bs, uint64_t size, Error **errp)
{
    if (size > INT64_MAX || ftruncate(bs->fd, (off_t)size) < 0) {
        int err = size > INT64_MAX ? EFBIG : errno;
        return error_setg(errp, -err, "Could not resize '%s': %s", bs->filename,
                          strerror(err));
    }
    bs->total_size = size;
    return 0;
}

static int raw_get_info(BlockDriverState *bs, BlockInfo *info, Error **errp)
{
    return 0;
}

static int raw_create(const char *filename, const BlockCreateOptions *opts, Error **errp)
{
    int fd;

    if (opts->backing_file) {
        return error_setg(errp, -EINVAL,
                          "'%s': the raw format does not support backing files (option "
                          "backing_file)",
                          filename);
    }
    if (opts->size > INT64_MAX) {
        return error_setg(errp, -EFBIG, "'%s': size %llu is too large", filename,
                          (unsigned long long)opts->size);
    }
    fd = open(filename, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return error_setg(errp, -errno, "Could not create '%s': %s", filename,
                          strerror(errno));
    }
    if (ftruncate(fd, (off_t)opts->size) < 0) {
        int err = errno;
        close(fd);
        return error_setg(errp, -err, "Could not resize '%s': %s", filename, strerror(err));
    }
    close(fd);
    return 0;
}

static int raw_block_status(BlockDriverState *bs, uint64_t offset, uint64_t *pnum,
                            Error **errp)
{
    off_t data = lseek(bs->fd, (off_t)offset, SEEK_DATA);
    off_t end = (off_t)(offset + *pnum);

    if (data < 0) {
        /* ENXIO: only a hole up to the end of the file. Other errors:
         * no hole information, say data. */
        return errno == ENXIO ? BDRV_STATUS_ZERO | BDRV_STATUS_ALLOCATED
                              : BDRV_STATUS_DATA | BDRV_STATUS_ALLOCATED;
    }
    if (data > (off_t)offset) {
        if (data < end) {
            *pnum = (uint64_t)data - offset;
        }
        return BDRV_STATUS_ZERO | BDRV_STATUS_ALLOCATED;
    }
    off_t hole = lseek(bs->fd, (off_t)offset, SEEK_HOLE);
    if (hole > (off_t)offset && hole < end) {
        *pnum = (uint64_t)hole - offset;
    }
    return BDRV_STATUS_DATA | BDRV_STATUS_ALLOCATED;
}

static int raw_host_offset(BlockDriverState *bs, uint64_t offset, uint64_t *pnum,
                           uint64_t *host, bool *has, Error **errp)
{
    *has = true;
    *host = offset;
    return 0;
}

const BlockDriver bdrv_raw = {
    .format_name = "raw",
    .probe = raw_probe,
    .open = raw_open,
    .close = raw_close,
    .read = raw_read,
    .write = raw_write,
    .flush = raw_flush,
    .discard = raw_discard,
    .truncate = raw_truncate,
    .get_info = raw_get_info,
    .create = raw_create,
    .block_status = raw_block_status,
    .host_offset = raw_host_offset,
    .data_offset = raw_host_offset,
};
