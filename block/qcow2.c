/*
 * qcow2.c — the qcow2 BlockDriver: open/close, byte-granular read and
 * write split into clusters, flush, discard, resize, info, check.
 *
 * The one thing to know: opening read/write refuses corrupt images, clears
 * unknown autoclear bits, and repairs leaks of a dirty image; flush is a
 * full barrier and then clears the dirty bit that the first write of the
 * session set.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/qcow2.h"

#define L2_CACHE_TABLES 16
#define RB_CACHE_BLOCKS 4

static int qcow2_probe(const uint8_t *buf, size_t len)
{
    /* Magic only: a bad version is reported by open, not read as raw. */
    return len >= 4 && qcow2_be32(buf) == QCOW2_MAGIC ? 100 : 0;
}

static int open_writable(Qcow2State *s, int flags, Error **errp)
{
    BlockCheckResult res;
    int ret;

    if (s->incompat & QCOW2_INCOMPAT_CORRUPT) {
        return error_setg(errp, -EACCES, "'%s': Image is corrupt; cannot be opened read/write",
                          s->filename);
    }
    if (s->autoclear) {
        s->autoclear = 0;
        ret = qcow2_header_write(s, errp);
        if (ret < 0) {
            return ret;
        }
    }
    if ((s->incompat & QCOW2_INCOMPAT_DIRTY) && !(flags & BDRV_O_CHECK)) {
        memset(&res, 0, sizeof(res));
        ret = qcow2_check_image(s, &res, BDRV_FIX_LEAKS, errp);
        if (ret < 0) {
            return ret;
        }
        if (res.corruptions) {
            return error_setg(errp, -EIO,
                              "'%s': image was not closed cleanly and has %llu refcount "
                              "errors; see 'mimic-img check'",
                              s->filename, (unsigned long long)res.corruptions);
        }
        ret = qcow2_barrier(s, errp);
        if (ret == 0) {
            ret = qcow2_header_set_incompat(s, 0, QCOW2_INCOMPAT_DIRTY, errp);
        }
        return ret;
    }
    return 0;
}

static void qcow2_close(BlockDriverState *bs)
{
    Qcow2State *s = bs->opaque;

    qcow2_cache_destroy(&s->l2_cache);
    qcow2_cache_destroy(&s->rb_cache);
    for (int i = 0; i < s->n_exts; i++) {
        free(s->exts[i].data);
    }
    free(s->exts);
    free(s->header_raw);
    free(s->l1);
    free(s->rt);
    free(s->cbuf);
    qcow2_snapshots_free(s);
}

static int qcow2_open(BlockDriverState *bs, int flags, Error **errp)
{
    Qcow2State *s = bs->opaque;
    int64_t fsize;
    int ret;

    s->bs = bs;
    s->fd = bs->fd;
    s->filename = bs->filename;
    ret = qcow2_header_read(s, errp);
    if (ret < 0) {
        return ret;
    }
    ret = qcow2_snapshots_read(s, errp);
    if (ret < 0) {
        return ret;
    }
    fsize = file_size(s->fd);
    s->end_cluster = ((uint64_t)fsize + s->cluster_size - 1) >> s->cluster_bits;
    s->cbuf = malloc(s->cluster_size);
    if (!s->cbuf || qcow2_cache_init(&s->l2_cache, L2_CACHE_TABLES, s->cluster_size, true) ||
        qcow2_cache_init(&s->rb_cache, RB_CACHE_BLOCKS, s->cluster_size, false)) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory for the metadata caches",
                          s->filename);
    }
    /* Data I/O runs without bs->lock (qcow2-io.c); requests on the same
     * cluster wait for each other in the generic layer. */
    bs->serial_align = s->cluster_size;
    if (flags & BDRV_O_RDWR) {
        s->writable = true;
        ret = open_writable(s, flags, errp);
    }
    return ret;
}

static int qcow2_read(BlockDriverState *bs, uint64_t offset, void *buf, size_t len,
                      Error **errp)
{
    return qcow2_read_data(bs->opaque, offset, buf, len, true, errp);
}

int qcow2_write_bytes(Qcow2State *s, uint64_t offset, const uint8_t *p, size_t len,
                      Error **errp)
{
    while (len > 0) {
        uint64_t in = offset & (s->cluster_size - 1);
        size_t n = s->cluster_size - in < len ? (size_t)(s->cluster_size - in) : len;
        uint64_t done = 0;
        int ret = 0;

        if (in == 0 && len >= s->cluster_size) {
            ret = qcow2_write_run(s, offset, p, len >> s->cluster_bits, true, &done, errp);
            n = done ? (size_t)done : n;
        }
        if (ret == 0 && !done) {
            ret = qcow2_write_cluster(s, offset, p, n, errp);
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

static int qcow2_write(BlockDriverState *bs, uint64_t offset, const void *buf, size_t len,
                       Error **errp)
{
    Qcow2State *s = bs->opaque;

    if (!s->writable) {
        return error_setg(errp, -EACCES, "'%s': image is not writable", s->filename);
    }
    return qcow2_write_bytes(s, offset, buf, len, errp);
}

static ssize_t qcow2_compress_cluster(BlockDriverState *bs, const void *src, void *dst,
                                      size_t dst_len)
{
    const Qcow2State *s = bs->opaque; /* cluster size and type never change */

    return qcow2_compress(s->compression_type, src, s->cluster_size, dst, dst_len);
}

static int qcow2_write_compressed_cluster(BlockDriverState *bs, uint64_t offset,
                                          const void *data, size_t len, Error **errp)
{
    Qcow2State *s = bs->opaque;

    if (!s->writable) {
        return error_setg(errp, -EACCES, "'%s': image is not writable", s->filename);
    }
    return qcow2_write_compressed(s, offset, data, len, errp);
}

static int qcow2_flush(BlockDriverState *bs, Error **errp)
{
    Qcow2State *s = bs->opaque;
    int ret;

    if (!s->writable) {
        return 0;
    }
    ret = qcow2_barrier(s, errp);
    if (ret == 0 && s->dirty_marked) {
        ret = qcow2_header_set_incompat(s, 0, QCOW2_INCOMPAT_DIRTY, errp);
        s->dirty_marked = false;
    }
    return ret;
}

static int qcow2_discard(BlockDriverState *bs, uint64_t offset, uint64_t len, Error **errp)
{
    Qcow2State *s = bs->opaque;

    if (!s->writable) {
        return error_setg(errp, -EACCES, "'%s': image is not writable", s->filename);
    }
    return qcow2_discard_clusters(s, offset, len, errp);
}

static int qcow2_truncate(BlockDriverState *bs, uint64_t size, Error **errp)
{
    Qcow2State *s = bs->opaque;

    if (!s->writable) {
        return error_setg(errp, -EACCES, "'%s': image is not writable", s->filename);
    }
    if (size < bs->total_size) {
        return error_setg(errp, -ENOTSUP, "'%s': shrinking qcow2 images is not supported yet",
                          s->filename);
    }
    return qcow2_grow(s, size, errp);
}

static void add_item(BlockInfo *info, const char *key, const char *value, bool is_string)
{
    BlockInfoItem *it = &info->specific[info->n_specific++];

    snprintf(it->key, sizeof(it->key), "%s", key);
    snprintf(it->value, sizeof(it->value), "%s", value);
    it->is_string = is_string;
}

static int qcow2_get_info(BlockDriverState *bs, BlockInfo *info, Error **errp)
{
    Qcow2State *s = bs->opaque;
    char bits[16];

    info->cluster_size = s->cluster_size;
    info->n_snapshots = (int)s->nb_snapshots;
    info->snapshots = s->snap_info;
    info->has_dirty = true;
    info->dirty = (s->incompat & QCOW2_INCOMPAT_DIRTY) && !s->dirty_marked;
    add_item(info, "compat", s->version == 2 ? "0.10" : "1.1", true);
    add_item(info, "compression-type", s->compression_type ? "zstd" : "zlib", true);
    if (s->version >= 3) {
        add_item(info, "lazy-refcounts",
                 (s->compat & QCOW2_COMPAT_LAZY_REFCOUNTS) ? "true" : "false", false);
    }
    snprintf(bits, sizeof(bits), "%u", s->refcount_bits);
    add_item(info, "refcount-bits", bits, false);
    if (s->version >= 3) {
        add_item(info, "corrupt", (s->incompat & QCOW2_INCOMPAT_CORRUPT) ? "true" : "false",
                 false);
        add_item(info, "extended-l2", s->extended_l2 ? "true" : "false", false);
    }
    return 0;
}

static int qcow2_check(BlockDriverState *bs, BlockCheckResult *res, int fix, Error **errp)
{
    return qcow2_check_image(bs->opaque, res, fix, errp);
}

static int status_of(Qcow2ClusterType type)
{
    switch (type) {
    case QCOW2_CLUSTER_ZERO:
        return BDRV_STATUS_ZERO | BDRV_STATUS_ALLOCATED;
    case QCOW2_CLUSTER_NORMAL:
    case QCOW2_CLUSTER_COMPRESSED:
        return BDRV_STATUS_DATA | BDRV_STATUS_ALLOCATED;
    default:
        return 0;
    }
}

static int qcow2_block_status(BlockDriverState *bs, uint64_t offset, uint64_t *pnum,
                              Error **errp)
{
    Qcow2State *s = bs->opaque;
    uint64_t done = 0, want = *pnum;
    int status = -1;

    while (done < want) {
        uint64_t g = offset + done, in = g & (s->subcluster_size - 1);
        uint64_t n = s->subcluster_size - in < want - done ? s->subcluster_size - in
                                                           : want - done;
        Qcow2ClusterType type;
        uint64_t entry;
        int ret = qcow2_get_cluster(s, g, &type, &entry, errp);

        if (ret < 0) {
            return ret;
        }
        if (status >= 0 && status_of(type) != status) {
            break;
        }
        status = status_of(type);
        done += n;
    }
    *pnum = done;
    return status < 0 ? 0 : status;
}

/* Host offset of a cluster of type/entry, if it has one (data_only: if
 * it holds the guest data as it is, not a preallocated zero cluster). */
static bool host_of(Qcow2ClusterType type, uint64_t entry, bool data_only, uint64_t *host)
{
    if (type == QCOW2_CLUSTER_COMPRESSED || !(entry & QCOW2_OFFSET_MASK) ||
        (type != QCOW2_CLUSTER_NORMAL && (data_only || type != QCOW2_CLUSTER_ZERO))) {
        return false;
    }
    *host = entry & QCOW2_OFFSET_MASK;
    return true;
}

static int host_range(BlockDriverState *bs, uint64_t offset, uint64_t *pnum, bool data_only,
                      uint64_t *host, bool *has, Error **errp)
{
    Qcow2State *s = bs->opaque;
    /* Data: subcluster by subcluster (extended L2 entries mix data, zeros
     * and unallocated ones in a cluster). */
    uint64_t step = data_only ? s->subcluster_size : s->cluster_size, done = 0, first = 0;

    while (done < *pnum) {
        uint64_t g = offset + done, in = g & (s->cluster_size - 1), h = 0;
        uint64_t n = step - (g & (step - 1));
        n = n < *pnum - done ? n : *pnum - done;
        Qcow2ClusterType type;
        uint64_t entry;
        bool this_has;
        int ret = qcow2_get_cluster(s, g, &type, &entry, errp);

        if (ret < 0) {
            return ret;
        }
        this_has = host_of(type, entry, data_only, &h);
        if (done == 0) {
            *has = this_has;
            first = h + in;
        } else if (this_has != *has || (this_has && h + in != first + done)) {
            break;
        }
        done += n;
    }
    *pnum = done;
    *host = first;
    return 0;
}

static int qcow2_host_offset(BlockDriverState *bs, uint64_t offset, uint64_t *pnum,
                             uint64_t *host, bool *has, Error **errp)
{
    return host_range(bs, offset, pnum, false, host, has, errp);
}

static int qcow2_data_offset(BlockDriverState *bs, uint64_t offset, uint64_t *pnum,
                             uint64_t *host, bool *has, Error **errp)
{
    return host_range(bs, offset, pnum, true, host, has, errp);
}

static char *dup_or_null(const char *str, bool *fail)
{
    char *d = str ? strdup(str) : NULL;

    *fail |= str && !d;
    return d;
}

static int qcow2_change_backing(BlockDriverState *bs, const char *name, const char *fmt,
                                Error **errp)
{
    char *old_name = bs->backing_file, *old_fmt = bs->backing_format;
    bool fail = false;
    int ret = qcow2_flush(bs, errp);

    if (ret < 0) {
        return ret;
    }
    bs->backing_file = dup_or_null(name, &fail);
    bs->backing_format = dup_or_null(name ? fmt : NULL, &fail);
    ret = fail ? error_setg(errp, -ENOMEM, "'%s': out of memory", bs->filename)
               : qcow2_header_write(bs->opaque, errp);
    if (ret == 0 && img_sync(bs, bs->fd) < 0) {
        ret = error_setg(errp, -errno, "Could not flush '%s': %s", bs->filename,
                         strerror(errno));
    }
    if (ret < 0) {
        free(bs->backing_file);
        free(bs->backing_format);
        bs->backing_file = old_name;
        bs->backing_format = old_fmt;
    } else {
        free(old_name);
        free(old_fmt);
    }
    return ret;
}

static int qcow2_make_empty(BlockDriverState *bs, Error **errp)
{
    Qcow2State *s = bs->opaque;
    char *backing = bs->backing_file;
    int ret;

    if (!s->writable) {
        return error_setg(errp, -EACCES, "'%s': image is not writable", s->filename);
    }
    /* Discard leaves zero clusters in an image with a backing file (so
     * that the backing data stays hidden); without the name it leaves
     * unallocated clusters. No other request runs meanwhile. */
    bs->backing_file = NULL;
    ret = qcow2_discard_clusters(s, 0, bs->total_size, errp);
    bs->backing_file = backing;
    return ret < 0 ? ret : qcow2_flush(bs, errp);
}

const BlockDriver bdrv_qcow2 = {
    .format_name = "qcow2",
    .state_size = sizeof(Qcow2State),
    .probe = qcow2_probe,
    .open = qcow2_open,
    .close = qcow2_close,
    .read = qcow2_read,
    .write = qcow2_write,
    .flush = qcow2_flush,
    .discard = qcow2_discard,
    .truncate = qcow2_truncate,
    .get_info = qcow2_get_info,
    .create = qcow2_create,
    .compress = qcow2_compress_cluster,
    .write_compressed = qcow2_write_compressed_cluster,
    .check = qcow2_check,
    .block_status = qcow2_block_status,
    .snapshot_create = qcow2_snapshot_create,
    .snapshot_apply = qcow2_snapshot_apply,
    .snapshot_delete = qcow2_snapshot_delete,
    .amend = qcow2_amend,
    .vmstate_rw = qcow2_vmstate_rw,
    .host_offset = qcow2_host_offset,
    .data_offset = qcow2_data_offset,
    .change_backing = qcow2_change_backing,
    .make_empty = qcow2_make_empty,
};
