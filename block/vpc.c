/*
 * vpc.c — Microsoft Virtual PC / Hyper-V disk images (VHD), fixed and
 * dynamic: read, write, create.
 *
 * The one thing to know: a 512-byte big-endian footer ("conectix") ends
 * every image (dynamic images keep a copy at offset 0). A dynamic image
 * has a header ("cxsparse") pointing at the block allocation table (BAT):
 * one 32-bit sector number per block, 0xffffffff unallocated (reads as
 * zeros). Each block is a sector bitmap then the data; like qemu we read
 * an allocated block whole and write new blocks with a full bitmap,
 * appended where the footer was (the footer moves behind them). Differencing
 * images are refused.
 */
#include <errno.h>
#include <stdlib.h>

#include "block/vpc.h"

#define VHD_FOOTER_SIZE 512
#define VHD_DYN_HEADER_SIZE 1024
#define VHD_UNALLOCATED 0xffffffffu
#define VHD_BLOCK_SIZE_DEFAULT (2u << 20)
#define VHD_BLOCK_SIZE_MAX (1u << 28)
#define VHD_BAT_MAX (1u << 24) /* a 64 MiB table */

typedef struct VpcState {
    uint8_t footer[VHD_FOOTER_SIZE];
    bool fixed;
    uint64_t file_size;
    uint32_t *bat; /* host order */
    uint64_t bat_off;
    uint32_t bat_entries;
    uint32_t block_size;
    uint32_t bitmap_size;   /* bytes, a multiple of 512 */
    uint64_t free_offset;   /* where the next block goes (and the footer after it) */
} VpcState;

static int vpc_probe(const uint8_t *buf, size_t len)
{
    /* Only the copy at offset 0: fixed images probe as raw, as in qemu. */
    return len >= 8 && !memcmp(buf, "conectix", 8) ? 100 : 0;
}

uint32_t vpc_checksum(const uint8_t *buf, size_t len, size_t skip)
{
    uint32_t sum = 0;

    for (size_t i = 0; i < len; i++) {
        if (i < skip || i >= skip + 4) {
            sum += buf[i];
        }
    }
    return ~sum;
}

static int vpc_size_from_footer(BlockDriverState *bs, const uint8_t *f, Error **errp)
{
    uint64_t chs = (uint64_t)img_be16(f + VHD_F_GEOMETRY) * f[VHD_F_GEOMETRY + 2] *
                   f[VHD_F_GEOMETRY + 3];
    const char *app = (const char *)f + VHD_F_CREATOR_APP;
    /* Virtual PC and qemu size a disk by its geometry; Hyper-V, Disk2vhd,
     * XenServer and "qem2" by the current size field. */
    bool use_chs = memcmp(app, "win ", 4) && memcmp(app, "qem2", 4) && memcmp(app, "d2v ", 4) &&
                   memcmp(app, "CTXS", 4) && memcmp(app, "tap", 4);
    uint64_t sectors = chs;

    if (!use_chs || chs == VHD_MAX_GEOMETRY) {
        sectors = img_be64(f + VHD_F_CURRENT_SIZE) / 512;
        if (sectors > VHD_MAX_SECTORS) {
            return error_setg(errp, -EFBIG, "'%s': Image is too big (vhd size %llu, at most "
                              "2040 GiB)",
                              bs->filename, (unsigned long long)img_be64(f + VHD_F_CURRENT_SIZE));
        }
    }
    bs->total_size = sectors * 512;
    return 0;
}

static int vpc_open_dynamic(BlockDriverState *bs, Error **errp)
{
    VpcState *s = bs->opaque;
    uint8_t h[VHD_DYN_HEADER_SIZE];
    uint64_t hoff = img_be64(s->footer + VHD_F_DATA_OFFSET), bat_off;
    uint8_t *raw;
    int ret;

    ret = img_check_extent(bs, hoff, sizeof(h), s->file_size, "vhd dynamic disk header", errp);
    if (ret < 0 || (ret = img_read(bs, hoff, h, sizeof(h), "vhd dynamic disk header", errp)) < 0) {
        return ret;
    }
    if (memcmp(h, "cxsparse", 8)) {
        return error_setg(errp, -EINVAL, "'%s': vhd dynamic disk header has a bad cookie",
                          bs->filename);
    }
    bat_off = s->bat_off = img_be64(h + VHD_D_TABLE_OFFSET);
    s->bat_entries = img_be32(h + VHD_D_MAX_ENTRIES);
    s->block_size = img_be32(h + VHD_D_BLOCK_SIZE);
    if (s->block_size < 512 || s->block_size > VHD_BLOCK_SIZE_MAX ||
        (s->block_size & (s->block_size - 1))) {
        return error_setg(errp, -EINVAL, "'%s': Invalid vhd block size %u", bs->filename,
                          s->block_size);
    }
    if (s->bat_entries > VHD_BAT_MAX) {
        return error_setg(errp, -EFBIG, "'%s': Image is too big (%u vhd blocks, at most %u)",
                          bs->filename, s->bat_entries, VHD_BAT_MAX);
    }
    s->bitmap_size = ((s->block_size / 512 / 8) + 511) & ~511u;
    if ((uint64_t)s->bat_entries * s->block_size < bs->total_size) {
        return error_setg(errp, -EINVAL,
                          "'%s': vhd block table too small (%u entries of %u bytes for a "
                          "%llu-byte disk)",
                          bs->filename, s->bat_entries, s->block_size,
                          (unsigned long long)bs->total_size);
    }
    ret = img_check_extent(bs, bat_off, (uint64_t)s->bat_entries * 4, s->file_size,
                           "vhd block allocation table", errp);
    if (ret < 0) {
        return ret;
    }
    s->bat = malloc((size_t)s->bat_entries * 4 + 1);
    if (!s->bat) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory for the block table",
                          bs->filename);
    }
    raw = (uint8_t *)s->bat;
    ret = img_read(bs, bat_off, raw, (size_t)s->bat_entries * 4, "vhd block allocation table",
                   errp);
    if (ret < 0) {
        return ret;
    }
    s->free_offset = (bat_off + (uint64_t)s->bat_entries * 4 + 511) & ~511ULL;
    if (s->free_offset < hoff + VHD_DYN_HEADER_SIZE) {
        s->free_offset = hoff + VHD_DYN_HEADER_SIZE;
    }
    for (uint32_t i = 0; i < s->bat_entries; i++) {
        s->bat[i] = img_be32(raw + 4 * (size_t)i);
        if (s->bat[i] != VHD_UNALLOCATED) {
            uint64_t end = (uint64_t)s->bat[i] * 512 + s->bitmap_size + s->block_size;
            if (end > s->free_offset) {
                s->free_offset = end;
            }
        }
    }
    return 0;
}

static int vpc_open(BlockDriverState *bs, int flags, Error **errp)
{
    VpcState *s = bs->opaque;
    uint32_t type;
    int ret;

    ret = img_file_size(bs, &s->file_size, errp);
    if (ret < 0) {
        return ret;
    }
    if (s->file_size < VHD_FOOTER_SIZE) {
        return error_setg(errp, -EINVAL, "'%s': file too small for a vhd footer (truncated?)",
                          bs->filename);
    }
    ret = img_read(bs, 0, s->footer, VHD_FOOTER_SIZE, "the vhd footer", errp);
    if (ret == 0 && memcmp(s->footer, "conectix", 8)) {
        ret = img_read(bs, s->file_size - VHD_FOOTER_SIZE, s->footer, VHD_FOOTER_SIZE,
                       "the vhd footer", errp);
        if (ret == 0 && memcmp(s->footer, "conectix", 8)) {
            return error_setg(errp, -EINVAL, "'%s': Image is not in vpc format (no footer)",
                              bs->filename);
        }
    }
    if (ret < 0) {
        return ret;
    }
    type = img_be32(s->footer + VHD_F_DISK_TYPE);
    if (type != VHD_TYPE_FIXED && type != VHD_TYPE_DYNAMIC) {
        return error_setg(errp, -ENOTSUP, "'%s': Unsupported vhd disk type %u%s", bs->filename,
                          type, type == VHD_TYPE_DIFF ? " (differencing)" : "");
    }
    s->fixed = type == VHD_TYPE_FIXED;
    ret = vpc_size_from_footer(bs, s->footer, errp);
    if (ret < 0) {
        return ret;
    }
    if (s->fixed) {
        return img_check_extent(bs, 0, bs->total_size, s->file_size, "fixed vhd data", errp);
    }
    return vpc_open_dynamic(bs, errp);
}

static void vpc_close(BlockDriverState *bs)
{
    VpcState *s = bs->opaque;

    free(s->bat);
}

/* File offset of guest byte `offset` (0: unallocated) and the bytes left
 * in its block. */
static int vpc_map(BlockDriverState *bs, uint64_t offset, uint64_t *host, uint64_t *avail,
                   Error **errp)
{
    VpcState *s = bs->opaque;
    uint64_t idx, in;

    if (s->fixed) {
        *host = offset;
        *avail = bs->total_size - offset;
        return 0;
    }
    idx = offset / s->block_size;
    in = offset % s->block_size;
    *avail = s->block_size - in;
    *host = 0;
    if (idx >= s->bat_entries || s->bat[idx] == VHD_UNALLOCATED) {
        return 0;
    }
    *host = (uint64_t)s->bat[idx] * 512 + s->bitmap_size + in;
    if (*host < VHD_FOOTER_SIZE) {
        return error_setg(errp, -EINVAL, "'%s': vhd block %llu points into the footer copy",
                          bs->filename, (unsigned long long)idx);
    }
    return 0;
}

static int vpc_read(BlockDriverState *bs, uint64_t offset, void *buf, size_t len,
                    Error **errp)
{
    VpcState *s = bs->opaque;
    uint8_t *p = buf;

    while (len) {
        uint64_t host, avail;
        int ret = vpc_map(bs, offset, &host, &avail, errp);
        size_t n = avail < len ? (size_t)avail : len;

        if (ret < 0) {
            return ret;
        }
        if (!host && !s->fixed) {
            memset(p, 0, n);
        } else {
            ret = img_check_extent(bs, host, n, s->file_size, "vhd data block", errp);
            if (ret < 0 || (ret = img_read(bs, host, p, n, "vhd data", errp)) < 0) {
                return ret;
            }
        }
        p += n;
        offset += n;
        len -= n;
    }
    return 0;
}

static int vpc_allocate(BlockDriverState *bs, uint64_t offset, const uint8_t *data, size_t n,
                        Error **errp)
{
    VpcState *s = bs->opaque;
    uint64_t idx = offset / s->block_size, in = offset % s->block_size;
    uint64_t block = s->free_offset, len = (uint64_t)s->bitmap_size + s->block_size;
    uint8_t *buf, be[4];
    int ret;

    if (block / 512 >= VHD_UNALLOCATED) {
        return error_setg(errp, -EFBIG, "'%s': vhd file would grow past 2 TiB", bs->filename);
    }
    if (block > s->file_size) {
        return error_setg(errp, -EINVAL,
                          "'%s': vhd block table points past the end of the file; not "
                          "allocating a block there",
                          bs->filename);
    }
    buf = calloc(1, len);
    if (!buf) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory", bs->filename);
    }
    memset(buf, 0xff, s->bitmap_size);
    memcpy(buf + s->bitmap_size + in, data, n);
    ret = img_write(bs, block, buf, len, "vhd data block", errp);
    free(buf);
    if (ret < 0) {
        return ret;
    }
    /* The footer moves behind the new block, then the table points at it. */
    ret = img_write(bs, block + len, s->footer, VHD_FOOTER_SIZE, "the vhd footer", errp);
    if (ret < 0) {
        return ret;
    }
    s->free_offset = block + len;
    if (s->free_offset + VHD_FOOTER_SIZE > s->file_size) {
        s->file_size = s->free_offset + VHD_FOOTER_SIZE;
    }
    img_st_be32(be, (uint32_t)(block / 512));
    ret = img_write(bs, s->bat_off + 4 * idx, be, 4, "vhd block allocation table", errp);
    if (ret == 0) {
        s->bat[idx] = (uint32_t)(block / 512);
    }
    return ret;
}

static int vpc_write(BlockDriverState *bs, uint64_t offset, const void *buf, size_t len,
                     Error **errp)
{
    VpcState *s = bs->opaque;
    const uint8_t *p = buf;

    while (len) {
        uint64_t host, avail;
        int ret = vpc_map(bs, offset, &host, &avail, errp);
        size_t n = avail < len ? (size_t)avail : len;

        if (ret < 0) {
            return ret;
        }
        if (host || s->fixed) {
            ret = img_check_extent(bs, host, n, s->file_size, "vhd data block", errp);
            if (ret == 0) {
                ret = img_write(bs, host, p, n, "vhd data", errp);
            }
        } else if (!img_is_zero(p, n)) { /* zeros need no block */
            ret = vpc_allocate(bs, offset, p, n, errp);
        }
        if (ret < 0) {
            return ret;
        }
        p += n;
        offset += n;
        len -= n;
    }
    return 0;
}

static int vpc_block_status(BlockDriverState *bs, uint64_t offset, uint64_t *pnum,
                            Error **errp)
{
    VpcState *s = bs->opaque;
    uint64_t host, avail;
    int ret = vpc_map(bs, offset, &host, &avail, errp);

    if (ret < 0) {
        return ret;
    }
    if (*pnum > avail) {
        *pnum = avail;
    }
    return BDRV_STATUS_ALLOCATED | (host || s->fixed ? BDRV_STATUS_DATA : BDRV_STATUS_ZERO);
}

static int vpc_get_info(BlockDriverState *bs, BlockInfo *info, Error **errp)
{
    VpcState *s = bs->opaque;

    info->cluster_size = s->fixed ? 0 : s->block_size;
    return 0;
}

const BlockDriver bdrv_vpc = {
    .format_name = "vpc",
    .state_size = sizeof(VpcState),
    .probe = vpc_probe,
    .open = vpc_open,
    .close = vpc_close,
    .read = vpc_read,
    .write = vpc_write,
    .flush = img_flush,
    .discard = img_discard_ignore,
    .truncate = img_truncate_unsupported,
    .get_info = vpc_get_info,
    .create = vpc_create,
    .block_status = vpc_block_status,
};
