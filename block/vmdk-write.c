/*
 * vmdk-write.c — writing vmdk sparse extents: grains in place, new grains
 * appended (deflated behind a marker for streamOptimized), new grain
 * tables, and the end-of-stream marker.
 *
 * The one thing to know: a grain is written whole before the GT entry that
 * points at it (in the GT and, when there is one, the redundant GT), so a
 * crash leaves at worst an unreferenced grain. streamOptimized grains
 * cannot be rewritten: like qemu we only append, and a write to an
 * allocated compressed grain fails.
 */
#include <errno.h>
#include <stdlib.h>

#include "block/vmdk.h"

/* Appends len bytes at s->append_at (sector aligned); *sector is where. */
static int vmdk_append(BlockDriverState *bs, const void *buf, size_t len, uint32_t *sector,
                       const char *what, Error **errp)
{
    VmdkState *s = bs->opaque;
    uint64_t at = s->append_at;
    int ret;

    if (at / 512 >= UINT32_MAX) {
        return error_setg(errp, -EFBIG, "'%s': vmdk file would grow past 2 TiB", bs->filename);
    }
    ret = img_write(bs, at, buf, len, what, errp);
    if (ret < 0) {
        return ret;
    }
    *sector = (uint32_t)(at / 512);
    s->append_at = (at + len + 511) & ~511ULL;
    if (at + len > s->file_size) {
        s->file_size = at + len;
    }
    return 0;
}

/* Gives GD entry gdi a new, empty grain table. */
static int vmdk_new_gt(BlockDriverState *bs, uint32_t gdi, Error **errp)
{
    VmdkState *s = bs->opaque;
    size_t len = ((size_t)s->gtes * 4 + 511) & ~(size_t)511;
    uint8_t *zeros = calloc(1, len), le[4];
    uint32_t sector = 0;
    int ret;

    if (!zeros) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory", bs->filename);
    }
    ret = vmdk_append(bs, zeros, len, &sector, "vmdk grain table", errp);
    free(zeros);
    if (ret < 0) {
        return ret;
    }
    img_st_le32(le, sector);
    ret = img_write(bs, s->gd_sector * 512 + 4 * (uint64_t)gdi, le, 4, "vmdk grain directory",
                    errp);
    if (ret == 0) {
        s->gd[gdi] = sector;
        s->gt_index = UINT32_MAX;
    }
    return ret;
}

/* Points the GTE of the grain at `offset` (GT cached) at `sector`. */
static int vmdk_set_gte(BlockDriverState *bs, uint64_t offset, uint32_t sector, Error **errp)
{
    VmdkState *s = bs->opaque;
    uint64_t g = offset / s->grain_size;
    uint32_t gdi = (uint32_t)(g / s->gtes);
    uint64_t at = 4 * (g % s->gtes);
    uint8_t le[4];
    int ret;

    img_st_le32(le, sector);
    ret = img_write(bs, (uint64_t)s->gd[gdi] * 512 + at, le, 4, "vmdk grain table", errp);
    if (ret == 0 && s->rgd && s->rgd[gdi]) {
        uint64_t r = (uint64_t)s->rgd[gdi] * 512 + at;
        ret = img_check_extent(bs, r, 4, s->file_size, "redundant vmdk grain table", errp);
        if (ret == 0) {
            ret = img_write(bs, r, le, 4, "redundant vmdk grain table", errp);
        }
    }
    if (ret == 0 && s->gt_index == gdi) {
        s->gt[g % s->gtes] = sector;
    }
    return ret;
}

/* Stores the grain in s->grain (guest offset `start`) as a new grain. */
static int vmdk_store_grain(BlockDriverState *bs, uint64_t start, Error **errp)
{
    VmdkState *s = bs->opaque;
    uint32_t sector;
    size_t len;
    int ret;

    if (!s->compressed) {
        ret = vmdk_append(bs, s->grain, s->grain_size, &sector, "vmdk grain", errp);
    } else {
        len = img_deflate(s->grain, s->grain_size, s->cbuf + VMDK_MARKER_SIZE,
                          s->cbuf_size - VMDK_MARKER_SIZE - 512);
        if (!len) {
            return error_setg(errp, -EIO, "'%s': could not compress a vmdk grain",
                              bs->filename);
        }
        img_st_le64(s->cbuf, start / 512);
        img_st_le32(s->cbuf + 8, (uint32_t)len);
        len += VMDK_MARKER_SIZE;
        size_t padded = (len + 511) & ~(size_t)511;
        memset(s->cbuf + len, 0, padded - len);
        len = padded;
        ret = vmdk_append(bs, s->cbuf, len, &sector, "compressed vmdk grain", errp);
        s->need_eos = true;
    }
    return ret < 0 ? ret : vmdk_set_gte(bs, start, sector, errp);
}

static int vmdk_write_grain(BlockDriverState *bs, uint64_t offset, const uint8_t *p, size_t n,
                            Error **errp)
{
    VmdkState *s = bs->opaque;
    uint64_t in = offset % s->grain_size, start = offset - in;
    uint32_t gdi = (uint32_t)(offset / s->grain_size / s->gtes), gte;
    int ret = vmdk_lookup(bs, offset, &gte, errp);
    bool zeroed = gte == VMDK_GTE_ZEROED && (s->flags & VMDK_FLAG_ZERO_GRAIN);

    if (ret < 0) {
        return ret;
    }
    if (s->footer) {
        return error_setg(errp, -ENOTSUP,
                          "'%s': writing to vmdk images with a footer (gdOffset at the end) is "
                          "not supported",
                          bs->filename);
    }
    if (s->compressed && !(s->flags & VMDK_FLAG_MARKERS)) {
        return error_setg(errp, -ENOTSUP,
                          "'%s': writing compressed vmdk images without grain markers is not "
                          "supported",
                          bs->filename);
    }
    if (gte && !zeroed) {
        uint64_t host = (uint64_t)gte * 512 + in;
        if (s->compressed) {
            return error_setg(errp, -ENOTSUP,
                              "'%s': cannot rewrite a compressed grain of a streamOptimized "
                              "vmdk image",
                              bs->filename);
        }
        ret = img_check_extent(bs, host, n, s->file_size, "vmdk grain", errp);
        return ret < 0 ? ret : img_write(bs, host, p, n, "vmdk grain", errp);
    }
    if ((zeroed || !bs->backing) && img_is_zero(p, n)) {
        return 0; /* reads as zeros already */
    }
    if (!s->gd[gdi]) {
        ret = vmdk_new_gt(bs, gdi, errp);
        if (ret < 0 || (ret = vmdk_lookup(bs, offset, &gte, errp)) < 0) {
            return ret;
        }
    }
    s->grain_gte = 0;
    memset(s->grain, 0, s->grain_size);
    if (n < s->grain_size && !zeroed) {
        uint64_t len = bs->total_size - start < s->grain_size ? bs->total_size - start
                                                               : s->grain_size;
        ret = bdrv_read_backing(bs, start, s->grain, len, errp);
        if (ret < 0) {
            return ret;
        }
    }
    memcpy(s->grain + in, p, n);
    return vmdk_store_grain(bs, start, errp);
}

int vmdk_write(BlockDriverState *bs, uint64_t offset, const void *buf, size_t len,
               Error **errp)
{
    VmdkState *s = bs->opaque;
    return img_write_units(bs, offset, buf, len, s->grain_size, vmdk_write_grain, errp);
}

int vmdk_flush(BlockDriverState *bs, Error **errp)
{
    VmdkState *s = bs->opaque;

    if (s->need_eos) {
        uint8_t eos[512] = { 0 }; /* marker: 0 sectors, size 0, type 0 (end of stream) */
        int ret = img_write(bs, s->append_at, eos, sizeof(eos), "the vmdk stream end", errp);
        if (ret < 0) {
            return ret;
        }
        if (s->append_at + sizeof(eos) > s->file_size) {
            s->file_size = s->append_at + sizeof(eos);
        }
        s->need_eos = false;
    }
    return img_flush(bs, errp);
}
