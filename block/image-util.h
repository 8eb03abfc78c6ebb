/*
 * image-util.h — small helpers shared by the table-based image formats
 * (vmdk, vdi, vpc, qcow v1): byte order, I/O with messages that name the
 * file, bounds checks against the file size, zlib inflate/deflate.
 *
 * The one thing to know: every helper that can fail fills *errp with a
 * message naming the file (bs->filename or the name passed in), so a driver
 * can simply return what the helper returned.
 */
#ifndef BLOCK_IMAGE_UTIL_H
#define BLOCK_IMAGE_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "mimic/block.h"

static inline uint16_t img_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t img_le32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t img_le64(const uint8_t *p)
{
    return img_le32(p) | (uint64_t)img_le32(p + 4) << 32;
}
static inline uint32_t img_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint16_t img_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint64_t img_be64(const uint8_t *p)
{
    return (uint64_t)img_be32(p) << 32 | img_be32(p + 4);
}
static inline void img_st_le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void img_st_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}
static inline void img_st_le64(uint8_t *p, uint64_t v)
{
    img_st_le32(p, (uint32_t)v);
    img_st_le32(p + 4, (uint32_t)(v >> 32));
}
static inline void img_st_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void img_st_be32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (24 - 8 * i));
    }
}
static inline void img_st_be64(uint8_t *p, uint64_t v)
{
    img_st_be32(p, (uint32_t)(v >> 32));
    img_st_be32(p + 4, (uint32_t)v);
}

/* pread/pwrite of exactly len bytes; on failure the message says what
 * (`what`, e.g. "grain table") could not be read or written. */
int img_read(BlockDriverState *bs, uint64_t off, void *buf, size_t len, const char *what,
             Error **errp);
int img_write(BlockDriverState *bs, uint64_t off, const void *buf, size_t len,
              const char *what, Error **errp);

/* -EINVAL with "'file': WHAT at offset X (N bytes) lies past the end of
 * the file (S bytes)" unless [off, off + len) lies inside the file. */
int img_check_extent(BlockDriverState *bs, uint64_t off, uint64_t len, uint64_t file_size,
                     const char *what, Error **errp);

/* The current size of bs's file, or an error naming it. */
int img_file_size(BlockDriverState *bs, uint64_t *size, Error **errp);

/* Inflates in[0..in_len) into exactly out_len bytes: window_bits as for
 * zlib's inflateInit2 (15: zlib stream, -12 etc.: raw deflate). Returns 0,
 * or -EIO when the data is corrupt or does not fill out_len exactly. */
int img_inflate(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len,
                int window_bits);
/* Deflates into a zlib stream; returns the compressed length, or 0 when
 * it does not fit in out_len. */
size_t img_deflate(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len);

/* Creates (truncating) filename for a new image; returns the fd or an error. */
int img_create_file(const char *filename, Error **errp);

/* Ops these formats share: flush is fdatasync, discard is an ignored hint,
 * resizing is not supported. */
int img_flush(BlockDriverState *bs, Error **errp);
/* fdatasync(fd) of an image opened as bs: 0, or -errno; nothing with
 * BDRV_O_NO_FLUSH (cache=unsafe). Every flush of image data goes here. */
int img_sync(const BlockDriverState *bs, int fd);
int img_discard_ignore(BlockDriverState *bs, uint64_t offset, uint64_t len, Error **errp);
int img_truncate_unsupported(BlockDriverState *bs, uint64_t size, Error **errp);

/* Whether len bytes are all zero. */
bool img_is_zero(const uint8_t *buf, size_t len);
/* Writes [offset, offset + len) as pieces that never cross a multiple of
 * unit (a cluster or grain), calling write_unit for each; stops at the
 * first error. */
typedef int (*ImgUnitWriter)(BlockDriverState *bs, uint64_t offset, const uint8_t *buf,
                             size_t len, Error **errp);
int img_write_units(BlockDriverState *bs, uint64_t offset, const void *buf, size_t len,
                    uint64_t unit, ImgUnitWriter write_unit, Error **errp);

#endif
