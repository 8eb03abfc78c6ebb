/*
 * vmdk.c — VMware disk images with one embedded sparse extent
 * (monolithicSparse and streamOptimized): probe, open, read, info.
 *
 * The one thing to know: everything the header and tables say is checked
 * before use: grain size (at most 1 MiB), GTs per GD entry (at most 512),
 * the GD, each GT and each grain (or compressed grain) inside the file.
 * A streamOptimized image may keep its real header in a footer at the end
 * of the file (gdOffset = GD_AT_END). The descriptor gives CID, parentCID,
 * createType and parentFileNameHint (the backing file).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "block/vmdk.h"

#define VMDK_DESC_MAX 65536

static int vmdk_probe(const uint8_t *buf, size_t len)
{
    /* A descriptor file too, so that open refuses it by name. */
    if (len >= 21 && !memcmp(buf, "# Disk DescriptorFile", 21)) {
        return 100;
    }
    return len >= 4 && img_le32(buf) == VMDK_MAGIC ? 100 : 0;
}

/* Copies the value of `key=` (optionally quoted) from the descriptor. */
static bool desc_value(const char *desc, const char *key, char *out, size_t out_len)
{
    size_t klen = strlen(key);

    for (const char *next = desc; next;) {
        const char *line = next;
        next = strchr(line, '\n');
        next = next ? next + 1 : NULL;
        while (*line == ' ' || *line == '\t') {
            line++;
        }
        if (strncmp(line, key, klen)) {
            continue;
        }
        const char *v = line + klen;
        while (*v == ' ' || *v == '\t') {
            v++;
        }
        if (*v++ != '=') {
            continue;
        }
        while (*v == ' ' || *v == '\t') {
            v++;
        }
        bool quoted = *v == '"';
        v += quoted;
        size_t n = 0;
        while (v[n] && v[n] != '\n' && v[n] != '\r' && !(quoted && v[n] == '"') && n + 1 < out_len) {
            n++;
        }
        memcpy(out, v, n);
        out[n] = 0;
        return true;
    }
    return false;
}

static int vmdk_read_descriptor(BlockDriverState *bs, const uint8_t *h, Error **errp)
{
    VmdkState *s = bs->opaque;
    uint64_t off = img_le64(h + VMDK_H_DESC_OFFSET), size = img_le64(h + VMDK_H_DESC_SIZE);
    char value[1024], *desc;
    int ret;

    s->parent_cid = UINT32_MAX;
    if (!off) {
        return 0;
    }
    if (off > s->file_size / 512) {
        return error_setg(errp, -EINVAL,
                          "'%s': vmdk descriptor at sector %llu lies past the end of the file",
                          bs->filename, (unsigned long long)off);
    }
    size = size > VMDK_DESC_MAX / 512 ? VMDK_DESC_MAX : size * 512; /* the text ends early */
    if (size > s->file_size - off * 512) {
        size = s->file_size - off * 512;
    }
    desc = calloc(1, size + 1);
    if (!desc) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory", bs->filename);
    }
    ret = img_read(bs, off * 512, desc, size, "the vmdk descriptor", errp);
    if (ret == 0) {
        if (desc_value(desc, "CID", value, sizeof(value))) {
            s->cid = (uint32_t)strtoul(value, NULL, 16);
        }
        if (desc_value(desc, "parentCID", value, sizeof(value))) {
            s->parent_cid = (uint32_t)strtoul(value, NULL, 16);
        }
        desc_value(desc, "createType", s->create_type, sizeof(s->create_type));
        if (s->parent_cid != UINT32_MAX &&
            desc_value(desc, "parentFileNameHint", value, sizeof(value)) && value[0]) {
            bs->backing_file = strdup(value);
            bs->backing_format = strdup("vmdk"); /* a vmdk's parent is a vmdk */
            if (!bs->backing_file || !bs->backing_format) {
                ret = error_setg(errp, -ENOMEM, "'%s': out of memory", bs->filename);
            }
        }
    }
    free(desc);
    return ret;
}

/* A streamOptimized image may store its header in the footer. */
static int vmdk_read_footer(BlockDriverState *bs, uint8_t *h, Error **errp)
{
    VmdkState *s = bs->opaque;
    int ret;

    if (s->file_size < 3 * 512) {
        return error_setg(errp, -EINVAL, "'%s': vmdk footer missing (file truncated?)",
                          bs->filename);
    }
    ret = img_read(bs, s->file_size - 1024, h, 512, "the vmdk footer", errp);
    if (ret < 0) {
        return ret;
    }
    if (img_le32(h + VMDK_H_MAGIC) != VMDK_MAGIC || img_le64(h + VMDK_H_GD) == VMDK_GD_AT_END) {
        return error_setg(errp, -EINVAL, "'%s': invalid vmdk footer (file truncated?)",
                          bs->filename);
    }
    return 0;
}

static int vmdk_parse_header(BlockDriverState *bs, const uint8_t *h, Error **errp)
{
    VmdkState *s = bs->opaque;
    const char *f = bs->filename;
    uint32_t version = img_le32(h + VMDK_H_VERSION);
    uint64_t capacity = img_le64(h + VMDK_H_CAPACITY);
    uint64_t grain = img_le64(h + VMDK_H_GRAIN);

    if (version < 1 || version > 3) {
        return error_setg(errp, -ENOTSUP, "'%s': Unsupported vmdk version %u", f, version);
    }
    s->flags = img_le32(h + VMDK_H_FLAGS);
    s->compressed = (s->flags & VMDK_FLAG_COMPRESSED) != 0;
    if (s->compressed && img_le16(h + VMDK_H_COMPRESS) != 1) {
        return error_setg(errp, -ENOTSUP, "'%s': Unsupported vmdk compression algorithm %u", f,
                          img_le16(h + VMDK_H_COMPRESS));
    }
    if (grain < 1 || grain > VMDK_GRAIN_SECTORS_MAX) {
        return error_setg(errp, -EINVAL,
                          "'%s': Unsupported vmdk grain size %llu sectors (must be 1..%u)", f,
                          (unsigned long long)grain, VMDK_GRAIN_SECTORS_MAX);
    }
    s->gtes = img_le32(h + VMDK_H_GTES);
    if (s->gtes < 1 || s->gtes > VMDK_GTES_MAX) {
        return error_setg(errp, -EINVAL,
                          "'%s': Unsupported vmdk grain table size %u entries (must be 1..%u)",
                          f, s->gtes, VMDK_GTES_MAX);
    }
    if (capacity > (1ULL << 53)) {
        return error_setg(errp, -EFBIG, "'%s': Image is too big (vmdk capacity %llu sectors)",
                          f, (unsigned long long)capacity);
    }
    uint64_t span = grain * s->gtes;
    uint64_t entries = (capacity + span - 1) / span;
    if (entries > VMDK_GD_MAX) {
        return error_setg(errp, -EFBIG,
                          "'%s': Image is too big (vmdk grain directory of %llu entries, at "
                          "most %u)",
                          f, (unsigned long long)entries, VMDK_GD_MAX);
    }
    if (entries > s->file_size / 4) {
        return error_setg(errp, -EFBIG,
                          "'%s': vmdk grain directory of %llu entries cannot fit in the file", f,
                          (unsigned long long)entries);
    }
    s->gd_entries = (uint32_t)entries;
    s->grain_size = grain * 512;
    bs->total_size = capacity * 512;
    return 0;
}

/* Reads a grain directory at `sector` into a new array. */
static int vmdk_read_gd(BlockDriverState *bs, uint64_t sector, uint32_t **out, Error **errp)
{
    VmdkState *s = bs->opaque;
    size_t len = (size_t)s->gd_entries * 4;
    uint8_t *raw;
    int ret;

    if (sector > s->file_size / 512) {
        return error_setg(errp, -EINVAL,
                          "'%s': vmdk grain directory at sector %llu lies past the end of the file",
                          bs->filename, (unsigned long long)sector);
    }
    ret = img_check_extent(bs, sector * 512, len, s->file_size, "vmdk grain directory", errp);
    if (ret < 0) {
        return ret;
    }
    *out = malloc(len + 1);
    if (!*out) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory", bs->filename);
    }
    raw = (uint8_t *)*out;
    ret = img_read(bs, sector * 512, raw, len, "vmdk grain directory", errp);
    for (uint32_t i = 0; ret == 0 && i < s->gd_entries; i++) {
        (*out)[i] = img_le32(raw + 4 * (size_t)i);
    }
    return ret;
}

static int vmdk_open(BlockDriverState *bs, int flags, Error **errp)
{
    VmdkState *s = bs->opaque;
    uint8_t h[512];
    int ret;

    s->gt_index = UINT32_MAX;
    ret = img_file_size(bs, &s->file_size, errp);
    if (ret < 0) {
        return ret;
    }
    memset(h, 0, sizeof(h));
    ret = img_read(bs, 0, h, s->file_size < sizeof(h) ? s->file_size : sizeof(h),
                   "the vmdk header", errp);
    if (ret < 0) {
        return ret;
    }
    if (img_le32(h) == VMDK_MAGIC && s->file_size < sizeof(h)) {
        return error_setg(errp, -EINVAL, "'%s': file too small for a vmdk header (truncated?)",
                          bs->filename);
    }
    if (img_le32(h) != VMDK_MAGIC) {
        if (!memcmp(h, "# Disk DescriptorFile", 21)) {
            return error_setg(errp, -ENOTSUP,
                              "'%s': vmdk descriptor files with separate extents are not "
                              "supported (only monolithicSparse and streamOptimized)",
                              bs->filename);
        }
        return error_setg(errp, -EINVAL, "'%s': Image is not in vmdk format", bs->filename);
    }
    ret = vmdk_read_descriptor(bs, h, errp);
    if (ret == 0 && img_le64(h + VMDK_H_GD) == VMDK_GD_AT_END) {
        s->footer = true;
        ret = vmdk_read_footer(bs, h, errp);
    }
    s->gd_sector = img_le64(h + VMDK_H_GD);
    if (ret < 0 || (ret = vmdk_parse_header(bs, h, errp)) < 0 ||
        (ret = vmdk_read_gd(bs, img_le64(h + VMDK_H_GD), &s->gd, errp)) < 0) {
        return ret;
    }
    if ((s->flags & VMDK_FLAG_RGD) && img_le64(h + VMDK_H_RGD) &&
        (ret = vmdk_read_gd(bs, img_le64(h + VMDK_H_RGD), &s->rgd, errp)) < 0) {
        return ret;
    }
    s->cbuf_size = 2 * s->grain_size + 1024;
    s->gt = malloc((size_t)s->gtes * 4);
    s->grain = malloc(s->grain_size);
    s->cbuf = malloc(s->cbuf_size);
    if (!s->gt || !s->grain || !s->cbuf) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory", bs->filename);
    }
    s->append_at = (s->file_size + 511) & ~511ULL;
    if (s->compressed && s->file_size >= 1024 && (flags & BDRV_O_RDWR)) {
        /* Grains written now go over the end-of-stream marker. */
        uint8_t last[512];
        ret = img_read(bs, s->file_size - 512, last, sizeof(last), "the vmdk stream end", errp);
        if (ret < 0) {
            return ret;
        }
        if (s->file_size % 512 == 0 && img_is_zero(last, sizeof(last))) {
            s->append_at = s->file_size - 512;
        }
    }
    return 0;
}

static void vmdk_close(BlockDriverState *bs)
{
    VmdkState *s = bs->opaque;

    free(s->gd);
    free(s->rgd);
    free(s->gt);
    free(s->grain);
    free(s->cbuf);
}

int vmdk_lookup(BlockDriverState *bs, uint64_t offset, uint32_t *gte, Error **errp)
{
    VmdkState *s = bs->opaque;
    uint64_t g = offset / s->grain_size;
    uint32_t gdi = (uint32_t)(g / s->gtes);
    uint64_t gt_off;
    uint8_t *raw = s->cbuf;
    int ret;

    *gte = 0;
    if (gdi >= s->gd_entries || !s->gd[gdi]) {
        return 0;
    }
    if (s->gt_index != gdi) {
        gt_off = (uint64_t)s->gd[gdi] * 512;
        s->gt_index = UINT32_MAX;
        ret = img_check_extent(bs, gt_off, (uint64_t)s->gtes * 4, s->file_size,
                               "vmdk grain table", errp);
        if (ret < 0 ||
            (ret = img_read(bs, gt_off, raw, (size_t)s->gtes * 4, "vmdk grain table", errp)) < 0) {
            return ret;
        }
        for (uint32_t i = 0; i < s->gtes; i++) {
            s->gt[i] = img_le32(raw + 4 * (size_t)i);
        }
        s->gt_index = gdi;
    }
    *gte = s->gt[g % s->gtes];
    return 0;
}

/* Reads and inflates one compressed grain into s->grain. */
static int vmdk_load_grain(BlockDriverState *bs, uint32_t gte, Error **errp)
{
    VmdkState *s = bs->opaque;
    uint64_t off = (uint64_t)gte * 512, len;
    const uint8_t *data = s->cbuf;
    int ret;

    if (s->grain_gte == gte) {
        return 0;
    }
    s->grain_gte = 0;
    if (off >= s->file_size) {
        return error_setg(errp, -EINVAL,
                          "'%s': compressed vmdk grain at offset %llu lies past the end of the "
                          "file (%llu bytes)",
                          bs->filename, (unsigned long long)off,
                          (unsigned long long)s->file_size);
    }
    len = s->file_size - off < s->cbuf_size ? s->file_size - off : s->cbuf_size;
    ret = img_read(bs, off, s->cbuf, len, "compressed vmdk grain", errp);
    if (ret < 0) {
        return ret;
    }
    if (s->flags & VMDK_FLAG_MARKERS) {
        uint32_t size = len >= VMDK_MARKER_SIZE ? img_le32(s->cbuf + 8) : 0;
        if (size == 0 || size > len - VMDK_MARKER_SIZE) {
            return error_setg(errp, -EINVAL,
                              "'%s': compressed vmdk grain at offset %llu has a bad size %u",
                              bs->filename, (unsigned long long)off, size);
        }
        data += VMDK_MARKER_SIZE;
        len = size;
    }
    if (img_inflate(data, len, s->grain, s->grain_size, 15) < 0) {
        return error_setg(errp, -EIO, "'%s': compressed vmdk grain at offset %llu is corrupt",
                          bs->filename, (unsigned long long)off);
    }
    s->grain_gte = gte;
    return 0;
}

static int vmdk_read(BlockDriverState *bs, uint64_t offset, void *buf, size_t len,
                     Error **errp)
{
    VmdkState *s = bs->opaque;
    uint8_t *p = buf;

    while (len) {
        uint64_t in = offset % s->grain_size;
        size_t n = s->grain_size - in < len ? (size_t)(s->grain_size - in) : len;
        uint32_t gte;
        int ret = vmdk_lookup(bs, offset, &gte, errp);

        if (ret < 0) {
            return ret;
        }
        if (gte == 0) {
            ret = bdrv_read_backing(bs, offset, p, n, errp);
        } else if (gte == VMDK_GTE_ZEROED && (s->flags & VMDK_FLAG_ZERO_GRAIN)) {
            memset(p, 0, n);
        } else if (!s->compressed) {
            uint64_t host = (uint64_t)gte * 512 + in;
            ret = img_check_extent(bs, host, n, s->file_size, "vmdk grain", errp);
            if (ret == 0) {
                ret = img_read(bs, host, p, n, "vmdk grain", errp);
            }
        } else {
            ret = vmdk_load_grain(bs, gte, errp);
            if (ret == 0) {
                memcpy(p, s->grain + in, n);
            }
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

static int vmdk_block_status(BlockDriverState *bs, uint64_t offset, uint64_t *pnum,
                             Error **errp)
{
    VmdkState *s = bs->opaque;
    uint64_t in = offset % s->grain_size;
    uint32_t gte;
    int ret = vmdk_lookup(bs, offset, &gte, errp);

    if (ret < 0) {
        return ret;
    }
    if (*pnum > s->grain_size - in) {
        *pnum = s->grain_size - in;
    }
    if (gte == 0) {
        return 0;
    }
    if (gte == VMDK_GTE_ZEROED && (s->flags & VMDK_FLAG_ZERO_GRAIN)) {
        return BDRV_STATUS_ZERO | BDRV_STATUS_ALLOCATED;
    }
    return BDRV_STATUS_DATA | BDRV_STATUS_ALLOCATED;
}

static void info_item(BlockInfo *info, const char *key, bool is_string, const char *fmt,
                      unsigned long long v, const char *str)
{
    BlockInfoItem *it = &info->specific[info->n_specific++];

    snprintf(it->key, sizeof(it->key), "%s", key);
    if (str) {
        snprintf(it->value, sizeof(it->value), "%s", str);
    } else {
        snprintf(it->value, sizeof(it->value), fmt, v);
    }
    it->is_string = is_string;
}

static int vmdk_get_info(BlockDriverState *bs, BlockInfo *info, Error **errp)
{
    VmdkState *s = bs->opaque;

    info->cluster_size = s->grain_size;
    info_item(info, "cid", false, "%llu", s->cid, NULL);
    info_item(info, "parent-cid", false, "%llu", s->parent_cid, NULL);
    if (s->create_type[0]) {
        info_item(info, "create-type", true, NULL, 0, s->create_type);
    }
    return 0;
}

const BlockDriver bdrv_vmdk = {
    .format_name = "vmdk",
    .state_size = sizeof(VmdkState),
    .probe = vmdk_probe,
    .open = vmdk_open,
    .close = vmdk_close,
    .read = vmdk_read,
    .write = vmdk_write,
    .flush = vmdk_flush,
    .discard = img_discard_ignore,
    .truncate = img_truncate_unsupported,
    .get_info = vmdk_get_info,
    .create = vmdk_create,
    .check = vmdk_check,
    .block_status = vmdk_block_status,
};
