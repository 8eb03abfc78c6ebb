/*
 * qcow1.c — QEMU Copy-On-Write version 1 images ("qcow"): read (including
 * zlib-compressed clusters), write, create, with a backing file.
 *
 * The one thing to know: a two-level table maps guest clusters to file
 * offsets. The big-endian 48-byte header gives cluster_bits and l2_bits;
 * L1 entries are L2 table offsets, L2 entries are cluster offsets (0:
 * unallocated, read from the backing file) or, with bit 63 set, compressed
 * clusters: raw deflate data of (entry >> (63 - cluster_bits)) & (cluster
 * size - 1) bytes at the offset in the low 63 - cluster_bits bits. New L2
 * tables and clusters are appended at the cluster-aligned end of the file;
 * a write to a compressed cluster moves it to a new, plain cluster.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "block/image-util.h"

#define QCOW_MAGIC 0x514649fbu /* "QFI\xfb" */
#define QCOW_HEADER_SIZE 48
#define QCOW_COMPRESSED (1ULL << 63)
#define QCOW_BACKING_MAX 1023
#define QCOW_L1_MAX (1u << 22) /* a 32 MiB L1 table */

typedef struct QcowState {
    uint64_t file_size;
    unsigned cluster_bits, l2_bits;
    uint64_t cluster_size;
    uint64_t *l1; /* host order */
    uint64_t l1_size, l1_off;
    uint64_t *l2; /* the one cached L2 table, host order */
    uint64_t l2_off; /* its offset; 0: none cached */
    uint8_t *cluster; /* a decompressed or copied cluster */
    uint8_t *cdata;   /* compressed input */
} QcowState;

static int qcow1_probe(const uint8_t *buf, size_t len)
{
    return len >= 8 && img_be32(buf) == QCOW_MAGIC && img_be32(buf + 4) == 1 ? 100 : 0;
}

static int qcow1_parse_header(BlockDriverState *bs, const uint8_t *h, Error **errp)
{
    QcowState *s = bs->opaque;
    const char *f = bs->filename;
    uint64_t size = img_be64(h + 24), span;
    uint32_t crypt = img_be32(h + 36);

    if (img_be32(h) != QCOW_MAGIC) {
        return error_setg(errp, -EINVAL, "'%s': Image is not in qcow format", f);
    }
    if (img_be32(h + 4) != 1) {
        return error_setg(errp, -ENOTSUP, "'%s': Unsupported qcow version %u", f,
                          img_be32(h + 4));
    }
    s->cluster_bits = h[32];
    s->l2_bits = h[33];
    if (s->cluster_bits < 9 || s->cluster_bits > 16) {
        return error_setg(errp, -EINVAL,
                          "'%s': Unsupported qcow cluster size 2^%u (must be 512..64k)", f,
                          s->cluster_bits);
    }
    if (s->l2_bits < 6 || s->l2_bits > 13) {
        return error_setg(errp, -EINVAL,
                          "'%s': Unsupported qcow L2 table size 2^%u entries (must be 2^6..2^13)",
                          f, s->l2_bits);
    }
    if (crypt == 1) {
        return error_setg(errp, -ENOTSUP, "'%s': AES-encrypted qcow images are not supported",
                          f);
    }
    if (crypt) {
        return error_setg(errp, -EINVAL, "'%s': invalid qcow encryption method %u", f, crypt);
    }
    if (size <= 1) {
        return error_setg(errp, -EINVAL, "'%s': qcow image size %llu is too small", f,
                          (unsigned long long)size);
    }
    span = 1ULL << (s->cluster_bits + s->l2_bits);
    if (size > (1ULL << 62)) {
        return error_setg(errp, -EFBIG, "'%s': Image is too big (qcow size %llu)", f,
                          (unsigned long long)size);
    }
    s->cluster_size = 1ULL << s->cluster_bits;
    s->l1_size = (size + span - 1) / span;
    if (s->l1_size > QCOW_L1_MAX) {
        return error_setg(errp, -EFBIG,
                          "'%s': Image is too big (qcow L1 table of %llu entries, at most %u)", f,
                          (unsigned long long)s->l1_size, QCOW_L1_MAX);
    }
    s->l1_off = img_be64(h + 40);
    bs->total_size = size & ~511ULL;
    return 0;
}

static int qcow1_read_backing_name(BlockDriverState *bs, const uint8_t *h, Error **errp)
{
    QcowState *s = bs->opaque;
    uint64_t off = img_be64(h + 8);
    uint32_t len = img_be32(h + 16);
    int ret;

    if (!off) {
        return 0;
    }
    if (len > QCOW_BACKING_MAX) {
        return error_setg(errp, -EINVAL, "'%s': qcow backing file name too long (%u bytes)",
                          bs->filename, len);
    }
    ret = img_check_extent(bs, off, len, s->file_size, "qcow backing file name", errp);
    if (ret < 0) {
        return ret;
    }
    bs->backing_file = calloc(1, len + 1);
    if (!bs->backing_file) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory", bs->filename);
    }
    ret = img_read(bs, off, bs->backing_file, len, "qcow backing file name", errp);
    if (ret == 0 && strlen(bs->backing_file) != len) {
        ret = error_setg(errp, -EINVAL, "'%s': qcow backing file name contains a zero byte",
                         bs->filename);
    }
    return ret;
}

static int qcow1_open(BlockDriverState *bs, int flags, Error **errp)
{
    QcowState *s = bs->opaque;
    uint8_t h[QCOW_HEADER_SIZE];
    uint8_t *raw;
    int ret;

    ret = img_file_size(bs, &s->file_size, errp);
    if (ret < 0) {
        return ret;
    }
    if (s->file_size < QCOW_HEADER_SIZE) {
        return error_setg(errp, -EINVAL, "'%s': file too small for a qcow header (truncated?)",
                          bs->filename);
    }
    ret = img_read(bs, 0, h, sizeof(h), "the qcow header", errp);
    if (ret < 0 || (ret = qcow1_parse_header(bs, h, errp)) < 0 ||
        (ret = qcow1_read_backing_name(bs, h, errp)) < 0) {
        return ret;
    }
    ret = img_check_extent(bs, s->l1_off, s->l1_size * 8, s->file_size, "qcow L1 table", errp);
    if (ret < 0) {
        return ret;
    }
    s->l1 = malloc(s->l1_size * 8 + 1);
    s->l2 = malloc(8ULL << s->l2_bits);
    s->cluster = malloc(s->cluster_size);
    s->cdata = malloc(s->cluster_size);
    if (!s->l1 || !s->l2 || !s->cluster || !s->cdata) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory", bs->filename);
    }
    raw = (uint8_t *)s->l1;
    ret = img_read(bs, s->l1_off, raw, s->l1_size * 8, "qcow L1 table", errp);
    if (ret < 0) {
        return ret;
    }
    for (uint64_t i = 0; i < s->l1_size; i++) {
        s->l1[i] = img_be64(raw + 8 * i);
    }
    return 0;
}

static void qcow1_close(BlockDriverState *bs)
{
    QcowState *s = bs->opaque;

    free(s->l1);
    free(s->l2);
    free(s->cluster);
    free(s->cdata);
}

/* Loads the L2 table at `off` into the cache. */
static int qcow1_load_l2(BlockDriverState *bs, uint64_t off, Error **errp)
{
    QcowState *s = bs->opaque;
    size_t len = (size_t)8 << s->l2_bits;
    uint8_t *raw = (uint8_t *)s->l2;
    int ret;

    if (s->l2_off == off) {
        return 0;
    }
    s->l2_off = 0;
    ret = img_check_extent(bs, off, len, s->file_size, "qcow L2 table", errp);
    if (ret < 0 || (ret = img_read(bs, off, raw, len, "qcow L2 table", errp)) < 0) {
        return ret;
    }
    for (size_t i = 0; i < len / 8; i++) {
        s->l2[i] = img_be64(raw + 8 * i);
    }
    s->l2_off = off;
    return 0;
}

/* The L2 entry of the cluster holding guest byte `offset` (0: none). */
static int qcow1_lookup(BlockDriverState *bs, uint64_t offset, uint64_t *entry, Error **errp)
{
    QcowState *s = bs->opaque;
    uint64_t l1i = offset >> (s->cluster_bits + s->l2_bits);
    int ret;

    *entry = 0;
    if (l1i >= s->l1_size || !s->l1[l1i]) {
        return 0;
    }
    ret = qcow1_load_l2(bs, s->l1[l1i], errp);
    if (ret == 0) {
        *entry = s->l2[(offset >> s->cluster_bits) & ((1ULL << s->l2_bits) - 1)];
    }
    return ret;
}

/* Decompresses the cluster of a compressed L2 entry into s->cluster. */
static int qcow1_decompress(BlockDriverState *bs, uint64_t entry, Error **errp)
{
    QcowState *s = bs->opaque;
    unsigned shift = 63 - s->cluster_bits;
    uint64_t coff = entry & ((1ULL << shift) - 1);
    uint64_t csize = (entry >> shift) & (s->cluster_size - 1);
    int ret;

    if (coff >= s->file_size || csize == 0) {
        return error_setg(errp, -EINVAL,
                          "'%s': compressed qcow cluster at offset %llu (%llu bytes) lies past "
                          "the end of the file",
                          bs->filename, (unsigned long long)coff, (unsigned long long)csize);
    }
    if (csize > s->file_size - coff) {
        csize = s->file_size - coff;
    }
    ret = img_read(bs, coff, s->cdata, csize, "compressed qcow cluster", errp);
    if (ret < 0) {
        return ret;
    }
    if (img_inflate(s->cdata, csize, s->cluster, s->cluster_size, -12) < 0) {
        return error_setg(errp, -EIO, "'%s': compressed qcow cluster at offset %llu is corrupt",
                          bs->filename, (unsigned long long)coff);
    }
    return 0;
}

static int qcow1_read(BlockDriverState *bs, uint64_t offset, void *buf, size_t len,
                      Error **errp)
{
    QcowState *s = bs->opaque;
    uint8_t *p = buf;

    while (len) {
        uint64_t in = offset & (s->cluster_size - 1), entry;
        size_t n = s->cluster_size - in < len ? (size_t)(s->cluster_size - in) : len;
        int ret = qcow1_lookup(bs, offset, &entry, errp);

        if (ret < 0) {
            return ret;
        }
        if (!entry) {
            ret = bdrv_read_backing(bs, offset, p, n, errp);
        } else if (entry & QCOW_COMPRESSED) {
            ret = qcow1_decompress(bs, entry, errp);
            if (ret == 0) {
                memcpy(p, s->cluster + in, n);
            }
        } else {
            ret = img_check_extent(bs, entry + in, n, s->file_size, "qcow data cluster", errp);
            if (ret == 0) {
                ret = img_read(bs, entry + in, p, n, "qcow data", errp);
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

/* Appends `len` bytes at the cluster-aligned end of the file; returns the
 * offset in *off. */
static int qcow1_append(BlockDriverState *bs, const void *data, size_t len, uint64_t *off,
                        const char *what, Error **errp)
{
    QcowState *s = bs->opaque;
    uint64_t at = (s->file_size + s->cluster_size - 1) & ~(s->cluster_size - 1);
    int ret;

    if (at >> (63 - s->cluster_bits)) {
        return error_setg(errp, -EFBIG, "'%s': qcow file too large", bs->filename);
    }
    ret = img_write(bs, at, data, len, what, errp);
    if (ret == 0) {
        s->file_size = at + len;
        *off = at;
    }
    return ret;
}

/* The L2 table for guest byte `offset`, allocating it when missing. */
static int qcow1_get_l2(BlockDriverState *bs, uint64_t offset, Error **errp)
{
    QcowState *s = bs->opaque;
    uint64_t l1i = offset >> (s->cluster_bits + s->l2_bits), off;
    uint8_t be[8];
    int ret;

    if (s->l1[l1i]) {
        return qcow1_load_l2(bs, s->l1[l1i], errp);
    }
    memset(s->l2, 0, (size_t)8 << s->l2_bits);
    s->l2_off = 0;
    ret = qcow1_append(bs, s->l2, (size_t)8 << s->l2_bits, &off, "qcow L2 table", errp);
    if (ret < 0) {
        return ret;
    }
    img_st_be64(be, off);
    ret = img_write(bs, s->l1_off + 8 * l1i, be, 8, "qcow L1 table", errp);
    if (ret == 0) {
        s->l1[l1i] = off;
        s->l2_off = off;
    }
    return ret;
}

static int qcow1_write_cluster(BlockDriverState *bs, uint64_t offset, const uint8_t *p,
                               size_t n, Error **errp)
{
    QcowState *s = bs->opaque;
    uint64_t in = offset & (s->cluster_size - 1), start = offset - in, entry, off;
    uint64_t l2i = (offset >> s->cluster_bits) & ((1ULL << s->l2_bits) - 1);
    uint8_t be[8];
    int ret = qcow1_get_l2(bs, offset, errp);

    if (ret < 0) {
        return ret;
    }
    entry = s->l2[l2i];
    if (entry && !(entry & QCOW_COMPRESSED)) {
        ret = img_check_extent(bs, entry + in, n, s->file_size, "qcow data cluster", errp);
        return ret < 0 ? ret : img_write(bs, entry + in, p, n, "qcow data", errp);
    }
    /* A new cluster: the old contents around the new data. */
    if (entry) {
        ret = qcow1_decompress(bs, entry, errp);
    } else if (n < s->cluster_size) {
        uint64_t len = bs->total_size - start < s->cluster_size ? bs->total_size - start
                                                                 : s->cluster_size;
        memset(s->cluster, 0, s->cluster_size);
        ret = bdrv_read_backing(bs, start, s->cluster, len, errp);
    }
    if (ret < 0) {
        return ret;
    }
    memcpy(s->cluster + in, p, n);
    ret = qcow1_append(bs, s->cluster, s->cluster_size, &off, "qcow data cluster", errp);
    if (ret < 0) {
        return ret;
    }
    img_st_be64(be, off);
    ret = img_write(bs, s->l2_off + 8 * l2i, be, 8, "qcow L2 table", errp);
    if (ret == 0) {
        s->l2[l2i] = off;
    }
    return ret;
}

static int qcow1_write(BlockDriverState *bs, uint64_t offset, const void *buf, size_t len,
                       Error **errp)
{
    QcowState *s = bs->opaque;
    return img_write_units(bs, offset, buf, len, s->cluster_size, qcow1_write_cluster, errp);
}

static int qcow1_block_status(BlockDriverState *bs, uint64_t offset, uint64_t *pnum,
                              Error **errp)
{
    QcowState *s = bs->opaque;
    uint64_t in = offset & (s->cluster_size - 1), entry;
    int ret = qcow1_lookup(bs, offset, &entry, errp);

    if (ret < 0) {
        return ret;
    }
    if (*pnum > s->cluster_size - in) {
        *pnum = s->cluster_size - in;
    }
    return entry ? BDRV_STATUS_DATA | BDRV_STATUS_ALLOCATED : 0;
}

static int qcow1_get_info(BlockDriverState *bs, BlockInfo *info, Error **errp)
{
    QcowState *s = bs->opaque;

    info->cluster_size = s->cluster_size;
    return 0;
}

static int qcow1_create(const char *filename, const BlockCreateOptions *opts, Error **errp)
{
    size_t blen = opts->backing_file ? strlen(opts->backing_file) : 0;
    uint64_t l1_size = (opts->size + (1u << 21) - 1) >> 21; /* 4 KiB clusters, 512 entries */
    uint64_t l1_off = (QCOW_HEADER_SIZE + blen + 7) & ~7ULL;
    uint64_t l1_len = (l1_size * 8 + 511) & ~511ULL;
    uint8_t h[QCOW_HEADER_SIZE] = { 0 };
    uint8_t *zeros;
    int fd, ret = 0;

    if (opts->subformat) {
        return error_setg(errp, -EINVAL, "'%s': the qcow format has no subformats", filename);
    }
    if (blen > QCOW_BACKING_MAX) {
        return error_setg(errp, -EINVAL, "'%s': backing file name too long", filename);
    }
    if (opts->size > (1ULL << 50)) {
        return error_setg(errp, -EFBIG, "'%s': size %llu is too large for qcow", filename,
                          (unsigned long long)opts->size);
    }
    img_st_be32(h, QCOW_MAGIC);
    img_st_be32(h + 4, 1);
    if (blen) {
        img_st_be64(h + 8, QCOW_HEADER_SIZE);
        img_st_be32(h + 16, (uint32_t)blen);
    }
    img_st_be64(h + 24, opts->size);
    h[32] = 12;
    h[33] = 9;
    img_st_be64(h + 40, l1_off);
    zeros = calloc(1, l1_len);
    if (!zeros) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory", filename);
    }
    fd = img_create_file(filename, errp);
    if (fd < 0) {
        free(zeros);
        return fd;
    }
    if (file_pwrite(fd, h, sizeof(h), 0) < 0 ||
        (blen && file_pwrite(fd, opts->backing_file, blen, QCOW_HEADER_SIZE) < 0) ||
        file_pwrite(fd, zeros, l1_len, l1_off) < 0) {
        ret = error_setg(errp, -EIO, "Could not write '%s': %s", filename, strerror(errno));
    }
    free(zeros);
    close(fd);
    return ret;
}

const BlockDriver bdrv_qcow1 = {
    .format_name = "qcow",
    .state_size = sizeof(QcowState),
    .probe = qcow1_probe,
    .open = qcow1_open,
    .close = qcow1_close,
    .read = qcow1_read,
    .write = qcow1_write,
    .flush = img_flush,
    .discard = img_discard_ignore,
    .truncate = img_truncate_unsupported,
    .get_info = qcow1_get_info,
    .create = qcow1_create,
    .block_status = qcow1_block_status,
};
