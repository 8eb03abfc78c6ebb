/*
 * image-util.c — helpers shared by the vmdk, vdi, vpc and qcow v1 drivers
 * (see image-util.h).
 *
 * The one thing to know: messages always name the file and say which
 * structure was being read, so a hostile image gets a useful error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <zlib.h>

#include "block/image-util.h"

int img_read(BlockDriverState *bs, uint64_t off, void *buf, size_t len, const char *what,
             Error **errp)
{
    int ret = file_pread(bs->fd, buf, len, off);

    if (ret < 0) {
        return error_setg(errp, ret, "'%s': could not read %s at offset %llu (%zu bytes): %s",
                          bs->filename, what, (unsigned long long)off, len,
                          ret == -EIO ? "past the end of the file" : strerror(-ret));
    }
    return 0;
}

int img_write(BlockDriverState *bs, uint64_t off, const void *buf, size_t len,
              const char *what, Error **errp)
{
    int ret = file_pwrite(bs->fd, buf, len, off);

    if (ret < 0) {
        return error_setg(errp, ret, "'%s': could not write %s at offset %llu: %s",
                          bs->filename, what, (unsigned long long)off, strerror(-ret));
    }
    return 0;
}

int img_check_extent(BlockDriverState *bs, uint64_t off, uint64_t len, uint64_t file_size,
                     const char *what, Error **errp)
{
    if (off > file_size || len > file_size - off) {
        return error_setg(errp, -EINVAL,
                          "'%s': %s at offset %llu (%llu bytes) lies past the end of the "
                          "file (%llu bytes)",
                          bs->filename, what, (unsigned long long)off,
                          (unsigned long long)len, (unsigned long long)file_size);
    }
    return 0;
}

int img_file_size(BlockDriverState *bs, uint64_t *size, Error **errp)
{
    int64_t s = file_size(bs->fd);

    if (s < 0) {
        return error_setg(errp, (int)s, "'%s': could not get the file size: %s", bs->filename,
                          strerror((int)-s));
    }
    *size = (uint64_t)s;
    return 0;
}

int img_inflate(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len,
                int window_bits)
{
    z_stream z = { 0 };
    int ret;

    if (in_len > UINT32_MAX || out_len > UINT32_MAX ||
        inflateInit2(&z, window_bits) != Z_OK) {
        return -EIO;
    }
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)in_len;
    z.next_out = out;
    z.avail_out = (uInt)out_len;
    ret = inflate(&z, Z_FINISH);
    /* A raw stream (qcow) may lack its end marker when the output is full. */
    bool ok = z.avail_out == 0 && (ret == Z_STREAM_END || (ret == Z_BUF_ERROR && window_bits < 0));
    inflateEnd(&z);
    return ok ? 0 : -EIO;
}

size_t img_deflate(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len)
{
    z_stream z = { 0 };
    size_t n = 0;

    if (in_len > UINT32_MAX || out_len > UINT32_MAX ||
        deflateInit(&z, Z_DEFAULT_COMPRESSION) != Z_OK) {
        return 0;
    }
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)in_len;
    z.next_out = out;
    z.avail_out = (uInt)out_len;
    if (deflate(&z, Z_FINISH) == Z_STREAM_END) {
        n = out_len - z.avail_out;
    }
    deflateEnd(&z);
    return n;
}

int img_create_file(const char *filename, Error **errp)
{
    int fd = open(filename, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    if (fd < 0) {
        return error_setg(errp, -errno, "Could not create '%s': %s", filename,
                          strerror(errno));
    }
    return fd;
}

int img_sync(const BlockDriverState *bs, int fd)
{
    if (bs && (bs->flags & BDRV_O_NO_FLUSH)) {
        return 0;
    }
    return fdatasync(fd) < 0 ? -errno : 0;
}

int img_flush(BlockDriverState *bs, Error **errp)
{
    if (img_sync(bs, bs->fd) < 0) {
        return error_setg(errp, -errno, "Could not flush '%s': %s", bs->filename,
                          strerror(errno));
    }
    return 0;
}

int img_discard_ignore(BlockDriverState *bs, uint64_t offset, uint64_t len, Error **errp)
{
    return 0;
}

int img_truncate_unsupported(BlockDriverState *bs, uint64_t size, Error **errp)
{
    return error_setg(errp, -ENOTSUP, "'%s': resizing %s images is not supported",
                      bs->filename, bs->drv->format_name);
}

bool img_is_zero(const uint8_t *buf, size_t len)
{
    return len == 0 || (buf[0] == 0 && memcmp(buf, buf + 1, len - 1) == 0);
}

int img_write_units(BlockDriverState *bs, uint64_t offset, const void *buf, size_t len,
                    uint64_t unit, ImgUnitWriter write_unit, Error **errp)
{
    const uint8_t *p = buf;
    while (len) {
        uint64_t in = offset % unit;
        size_t n = unit - in < len ? (size_t)(unit - in) : len;
        int ret = write_unit(bs, offset, p, n, errp);
        if (ret < 0) {
            return ret;
        }
        p += n;
        offset += n;
        len -= n;
    }
    return 0;
}
