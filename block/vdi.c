/*
 * vdi.c — VirtualBox disk images (VDI 1.1), dynamic and fixed ("static"):
 * read, write, create, check.
 *
 * The one thing to know: the image is a header, a block map of 32-bit
 * little-endian entries (one per 1 MiB block: the block's index in the
 * data area, or 0xffffffff unallocated, 0xfffffffe discarded, both reading
 * as zeros) and the data area. New blocks are appended as block number
 * "blocks allocated" (a header field), written whole before the map entry.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

#include "block/image-util.h"

#define VDI_SIGNATURE 0xbeda107fu
#define VDI_VERSION_1_1 0x00010001u
#define VDI_TYPE_DYNAMIC 1
#define VDI_TYPE_FIXED 2
#define VDI_UNALLOCATED 0xffffffffu
#define VDI_DISCARDED 0xfffffffeu
#define VDI_BLOCK_SIZE (1u << 20)
#define VDI_BLOCKS_MAX (1u << 24) /* a 64 MiB block map, 16 TiB disks */
#define VDI_HEADER_SIZE 512
#define VDI_TEXT "<<< mimic VM Virtual Disk Image >>>\n"

/* Header field offsets (from the start of the file). */
enum {
    VDI_OFF_SIGNATURE = 0x40,
    VDI_OFF_VERSION = 0x44,
    VDI_OFF_HEADER_SIZE = 0x48,
    VDI_OFF_TYPE = 0x4c,
    VDI_OFF_BMAP = 0x154,
    VDI_OFF_DATA = 0x158,
    VDI_OFF_SECTOR_SIZE = 0x168,
    VDI_OFF_DISK_SIZE = 0x170,
    VDI_OFF_BLOCK_SIZE = 0x178,
    VDI_OFF_BLOCK_EXTRA = 0x17c,
    VDI_OFF_BLOCKS = 0x180,
    VDI_OFF_ALLOCATED = 0x184,
    VDI_OFF_UUID_IMAGE = 0x188,
    VDI_OFF_UUID_SNAP = 0x198,
    VDI_OFF_UUID_LINK = 0x1a8,
    VDI_OFF_UUID_PARENT = 0x1b8,
};

typedef struct VdiState {
    uint32_t *bmap; /* host order */
    uint32_t blocks;
    uint32_t allocated;
    uint64_t bmap_off, data_off;
    uint64_t file_size;
    uint32_t type;
} VdiState;

static int vdi_probe(const uint8_t *buf, size_t len)
{
    return len >= VDI_OFF_VERSION + 4 && img_le32(buf + VDI_OFF_SIGNATURE) == VDI_SIGNATURE
               ? 100
               : 0;
}

static bool uuid_is_null(const uint8_t *u)
{
    return img_is_zero(u, 16);
}

static int vdi_parse_header(BlockDriverState *bs, const uint8_t *h, Error **errp)
{
    VdiState *s = bs->opaque;
    const char *f = bs->filename;
    uint32_t version = img_le32(h + VDI_OFF_VERSION);
    uint32_t block_size = img_le32(h + VDI_OFF_BLOCK_SIZE);
    uint64_t disk_size = img_le64(h + VDI_OFF_DISK_SIZE);

    if (img_le32(h + VDI_OFF_SIGNATURE) != VDI_SIGNATURE) {
        return error_setg(errp, -EINVAL, "'%s': Image is not in vdi format", f);
    }
    if (version != VDI_VERSION_1_1) {
        return error_setg(errp, -ENOTSUP, "'%s': Unsupported vdi version %u.%u", f,
                          version >> 16, version & 0xffff);
    }
    s->type = img_le32(h + VDI_OFF_TYPE);
    if (s->type != VDI_TYPE_DYNAMIC && s->type != VDI_TYPE_FIXED) {
        return error_setg(errp, -ENOTSUP,
                          "'%s': Unsupported vdi image type %u (only dynamic and fixed images)",
                          f, s->type);
    }
    if (img_le32(h + VDI_OFF_SECTOR_SIZE) != 512) {
        return error_setg(errp, -ENOTSUP, "'%s': Unsupported vdi sector size %u", f,
                          img_le32(h + VDI_OFF_SECTOR_SIZE));
    }
    if (block_size != VDI_BLOCK_SIZE || img_le32(h + VDI_OFF_BLOCK_EXTRA) != 0) {
        return error_setg(errp, -ENOTSUP,
                          "'%s': Unsupported vdi block size %u (extra %u); only 1 MiB blocks",
                          f, block_size, img_le32(h + VDI_OFF_BLOCK_EXTRA));
    }
    s->bmap_off = img_le32(h + VDI_OFF_BMAP);
    s->data_off = img_le32(h + VDI_OFF_DATA);
    if (s->bmap_off % 512 || s->data_off % 512 || s->bmap_off < VDI_HEADER_SIZE) {
        return error_setg(errp, -EINVAL,
                          "'%s': Invalid vdi block map offset %llu or data offset %llu", f,
                          (unsigned long long)s->bmap_off, (unsigned long long)s->data_off);
    }
    s->blocks = img_le32(h + VDI_OFF_BLOCKS);
    s->allocated = img_le32(h + VDI_OFF_ALLOCATED);
    if (s->blocks > VDI_BLOCKS_MAX) {
        return error_setg(errp, -EFBIG, "'%s': Image is too big (%u vdi blocks, at most %u)",
                          f, s->blocks, VDI_BLOCKS_MAX);
    }
    if (disk_size > (uint64_t)s->blocks * VDI_BLOCK_SIZE) {
        return error_setg(errp, -EINVAL,
                          "'%s': vdi disk size %llu does not fit in its %u blocks", f,
                          (unsigned long long)disk_size, s->blocks);
    }
    if (s->allocated > s->blocks) {
        return error_setg(errp, -EINVAL, "'%s': %u vdi blocks allocated out of %u", f,
                          s->allocated, s->blocks);
    }
    if (!uuid_is_null(h + VDI_OFF_UUID_LINK) || !uuid_is_null(h + VDI_OFF_UUID_PARENT)) {
        return error_setg(errp, -ENOTSUP,
                          "'%s': vdi images linked to a parent image are not supported", f);
    }
    bs->total_size = disk_size & ~511ULL;
    return 0;
}

static int vdi_open(BlockDriverState *bs, int flags, Error **errp)
{
    VdiState *s = bs->opaque;
    uint8_t h[VDI_HEADER_SIZE];
    uint8_t *raw;
    int ret;

    ret = img_file_size(bs, &s->file_size, errp);
    if (ret < 0) {
        return ret;
    }
    if (s->file_size < VDI_HEADER_SIZE) {
        return error_setg(errp, -EINVAL, "'%s': file too small for a vdi header (truncated?)",
                          bs->filename);
    }
    ret = img_read(bs, 0, h, sizeof(h), "the vdi header", errp);
    if (ret < 0) {
        return ret;
    }
    ret = vdi_parse_header(bs, h, errp);
    if (ret < 0) {
        return ret;
    }
    ret = img_check_extent(bs, s->bmap_off, (uint64_t)s->blocks * 4, s->file_size,
                           "vdi block map", errp);
    if (ret < 0) {
        return ret;
    }
    s->bmap = malloc((size_t)s->blocks * 4 + 1);
    if (!s->bmap) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory for the block map",
                          bs->filename);
    }
    raw = (uint8_t *)s->bmap;
    ret = img_read(bs, s->bmap_off, raw, (size_t)s->blocks * 4, "vdi block map", errp);
    if (ret < 0) {
        return ret;
    }
    for (uint32_t i = 0; i < s->blocks; i++) {
        s->bmap[i] = img_le32(raw + 4 * (size_t)i);
    }
    return 0;
}

static void vdi_close(BlockDriverState *bs)
{
    VdiState *s = bs->opaque;

    free(s->bmap);
}

/* File offset of the block holding guest byte `offset`, or 0 when it reads
 * as zeros; errors for a map entry out of range. */
static int vdi_block_offset(BlockDriverState *bs, uint64_t offset, uint64_t *host,
                            Error **errp)
{
    VdiState *s = bs->opaque;
    uint32_t idx = (uint32_t)(offset / VDI_BLOCK_SIZE);
    uint32_t e = s->bmap[idx];

    *host = 0;
    if (e == VDI_UNALLOCATED || e == VDI_DISCARDED) {
        return 0;
    }
    if (e >= s->blocks) {
        return error_setg(errp, -EINVAL,
                          "'%s': vdi block map entry %u (%u) is out of range (%u blocks)",
                          bs->filename, idx, e, s->blocks);
    }
    *host = s->data_off + (uint64_t)e * VDI_BLOCK_SIZE;
    return 0;
}

static int vdi_read(BlockDriverState *bs, uint64_t offset, void *buf, size_t len,
                    Error **errp)
{
    VdiState *s = bs->opaque;
    uint8_t *p = buf;

    while (len) {
        uint64_t in = offset % VDI_BLOCK_SIZE, host;
        size_t n = VDI_BLOCK_SIZE - in < len ? VDI_BLOCK_SIZE - in : len;
        int ret = vdi_block_offset(bs, offset, &host, errp);

        if (ret < 0) {
            return ret;
        }
        if (!host) {
            memset(p, 0, n);
        } else {
            ret = img_check_extent(bs, host + in, n, s->file_size, "vdi data block", errp);
            if (ret < 0 || (ret = img_read(bs, host + in, p, n, "vdi data", errp)) < 0) {
                return ret;
            }
        }
        p += n;
        offset += n;
        len -= n;
    }
    return 0;
}

static int vdi_allocate(BlockDriverState *bs, uint32_t idx, uint64_t in, const uint8_t *data,
                        size_t n, Error **errp)
{
    VdiState *s = bs->opaque;
    uint64_t host = s->data_off + (uint64_t)s->allocated * VDI_BLOCK_SIZE;
    uint8_t le[4];
    uint8_t *block;
    int ret;

    if (s->allocated >= s->blocks || host > s->file_size) {
        return error_setg(errp, -EINVAL,
                          "'%s': the vdi header's count of allocated blocks (%u) does not "
                          "match the file; not allocating a block",
                          bs->filename, s->allocated);
    }
    block = calloc(1, VDI_BLOCK_SIZE);
    if (!block) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory", bs->filename);
    }
    memcpy(block + in, data, n);
    ret = img_write(bs, host, block, VDI_BLOCK_SIZE, "vdi data block", errp);
    free(block);
    if (ret < 0) {
        return ret;
    }
    if (host + VDI_BLOCK_SIZE > s->file_size) {
        s->file_size = host + VDI_BLOCK_SIZE;
    }
    img_st_le32(le, s->allocated);
    ret = img_write(bs, s->bmap_off + 4 * (uint64_t)idx, le, 4, "vdi block map", errp);
    if (ret < 0) {
        return ret;
    }
    s->bmap[idx] = s->allocated++;
    img_st_le32(le, s->allocated);
    return img_write(bs, VDI_OFF_ALLOCATED, le, 4, "the vdi header", errp);
}

static int vdi_write(BlockDriverState *bs, uint64_t offset, const void *buf, size_t len,
                     Error **errp)
{
    VdiState *s = bs->opaque;
    const uint8_t *p = buf;

    while (len) {
        uint64_t in = offset % VDI_BLOCK_SIZE, host;
        size_t n = VDI_BLOCK_SIZE - in < len ? VDI_BLOCK_SIZE - in : len;
        int ret = vdi_block_offset(bs, offset, &host, errp);

        if (ret < 0) {
            return ret;
        }
        if (host) {
            ret = img_check_extent(bs, host + in, n, s->file_size, "vdi data block", errp);
            if (ret == 0) {
                ret = img_write(bs, host + in, p, n, "vdi data", errp);
            }
        } else if (!img_is_zero(p, n)) { /* zeros need no block */
            ret = vdi_allocate(bs, (uint32_t)(offset / VDI_BLOCK_SIZE), in, p, n, errp);
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

static int vdi_block_status(BlockDriverState *bs, uint64_t offset, uint64_t *pnum,
                            Error **errp)
{
    uint64_t host, end = offset - offset % VDI_BLOCK_SIZE + VDI_BLOCK_SIZE;
    int ret = vdi_block_offset(bs, offset, &host, errp);

    if (ret < 0) {
        return ret;
    }
    if (*pnum > end - offset) {
        *pnum = end - offset;
    }
    return BDRV_STATUS_ALLOCATED | (host ? BDRV_STATUS_DATA : BDRV_STATUS_ZERO);
}

static int vdi_get_info(BlockDriverState *bs, BlockInfo *info, Error **errp)
{
    info->cluster_size = VDI_BLOCK_SIZE;
    return 0;
}

static int vdi_check(BlockDriverState *bs, BlockCheckResult *res, int fix, Error **errp)
{
    VdiState *s = bs->opaque;
    uint8_t *seen = calloc(s->blocks + 1, 1);
    uint32_t used = 0;

    if (!seen) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory", bs->filename);
    }
    for (uint32_t i = 0; i < s->blocks; i++) {
        uint32_t e = s->bmap[i];
        if (e == VDI_UNALLOCATED || e == VDI_DISCARDED) {
            continue;
        }
        if (e >= s->blocks || seen[e]) {
            fprintf(stderr, "ERROR: block %u maps to data block %u, %s\n", i, e,
                    e >= s->blocks ? "out of range" : "which another block uses");
            res->corruptions++;
            continue;
        }
        seen[e] = 1;
        used++;
    }
    free(seen);
    if (used != s->allocated) {
        fprintf(stderr, "ERROR: allocated blocks mismatch: %u in the header, %u in the map\n",
                s->allocated, used);
        res->corruptions++;
    }
    return 0; /* no statistics, as qemu-img's vdi check */
}

static int vdi_create(const char *filename, const BlockCreateOptions *opts, Error **errp)
{
    bool fixed = opts->subformat && !strcmp(opts->subformat, "static");
    uint64_t size = (opts->size + 511) & ~511ULL;
    uint64_t blocks = (size + VDI_BLOCK_SIZE - 1) / VDI_BLOCK_SIZE;
    uint64_t bmap_len = (blocks * 4 + 511) & ~511ULL;
    uint8_t h[VDI_HEADER_SIZE] = { 0 };
    uint8_t *bmap;
    int fd, ret = 0;

    if (opts->subformat && !fixed) {
        return error_setg(errp, -EINVAL, "'%s': unknown vdi variant '%s'", filename,
                          opts->subformat);
    }
    if (opts->backing_file) {
        return error_setg(errp, -ENOTSUP, "'%s': the vdi format does not support backing files",
                          filename);
    }
    if (opts->size > (uint64_t)VDI_BLOCKS_MAX * VDI_BLOCK_SIZE) {
        return error_setg(errp, -EFBIG, "'%s': size %llu is too large for vdi", filename,
                          (unsigned long long)opts->size);
    }
    memcpy(h, VDI_TEXT, sizeof(VDI_TEXT) - 1);
    img_st_le32(h + VDI_OFF_SIGNATURE, VDI_SIGNATURE);
    img_st_le32(h + VDI_OFF_VERSION, VDI_VERSION_1_1);
    img_st_le32(h + VDI_OFF_HEADER_SIZE, 0x180);
    img_st_le32(h + VDI_OFF_TYPE, fixed ? VDI_TYPE_FIXED : VDI_TYPE_DYNAMIC);
    img_st_le32(h + VDI_OFF_BMAP, VDI_HEADER_SIZE);
    img_st_le32(h + VDI_OFF_DATA, (uint32_t)(VDI_HEADER_SIZE + bmap_len));
    img_st_le32(h + VDI_OFF_SECTOR_SIZE, 512);
    img_st_le64(h + VDI_OFF_DISK_SIZE, size);
    img_st_le32(h + VDI_OFF_BLOCK_SIZE, VDI_BLOCK_SIZE);
    img_st_le32(h + VDI_OFF_BLOCKS, (uint32_t)blocks);
    img_st_le32(h + VDI_OFF_ALLOCATED, fixed ? (uint32_t)blocks : 0);
    if (getrandom(h + VDI_OFF_UUID_IMAGE, 32, 0) != 32) {
        memset(h + VDI_OFF_UUID_IMAGE, 0x5a, 32);
    }
    for (int u = 0; u < 2; u++) { /* random (version 4) UUIDs */
        uint8_t *id = h + VDI_OFF_UUID_IMAGE + 16 * u;
        id[7] = (uint8_t)((id[7] & 0x0f) | 0x40);
        id[8] = (uint8_t)((id[8] & 0x3f) | 0x80);
    }
    bmap = malloc(bmap_len);
    if (!bmap) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory", filename);
    }
    memset(bmap, 0, bmap_len);
    for (uint64_t i = 0; i < blocks; i++) {
        img_st_le32(bmap + 4 * i, fixed ? (uint32_t)i : VDI_UNALLOCATED);
    }
    fd = img_create_file(filename, errp);
    if (fd < 0) {
        free(bmap);
        return fd;
    }
    if (file_pwrite(fd, h, sizeof(h), 0) < 0 ||
        file_pwrite(fd, bmap, bmap_len, VDI_HEADER_SIZE) < 0 ||
        (fixed && ftruncate(fd, (off_t)(VDI_HEADER_SIZE + bmap_len + blocks * VDI_BLOCK_SIZE)) <
                      0)) {
        ret = error_setg(errp, -EIO, "Could not write '%s': %s", filename, strerror(errno));
    }
    free(bmap);
    close(fd);
    return ret;
}

const BlockDriver bdrv_vdi = {
    .format_name = "vdi",
    .state_size = sizeof(VdiState),
    .probe = vdi_probe,
    .open = vdi_open,
    .close = vdi_close,
    .read = vdi_read,
    .write = vdi_write,
    .flush = img_flush,
    .discard = img_discard_ignore,
    .truncate = img_truncate_unsupported,
    .get_info = vdi_get_info,
    .create = vdi_create,
    .check = vdi_check,
    .block_status = vdi_block_status,
};
