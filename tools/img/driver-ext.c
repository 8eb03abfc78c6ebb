/*
 * driver-ext.c — what mimic-img needs from a format that the BlockDriver
 * API does not offer yet: the host offset of a guest range (map), a new
 * backing file name in the header (rebase) and emptying an overlay so that
 * its backing file shows through again (commit).
 *
 * The one thing to know: for qcow2 this reaches into the driver's
 * internals (block/qcow2.h), under bs->lock where the driver's state is
 * touched. Each function is meant to become an optional BlockDriver op
 * implemented in block/qcow2.c; the callers will not change.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/qcow2.h"
#include "tools/img/img.h"

/* Host offset of a qcow2 cluster of type/entry, if it has one. */
static bool qcow2_host(const Qcow2State *s, Qcow2ClusterType type, uint64_t entry,
                       uint64_t *host)
{
    if (type == QCOW2_CLUSTER_COMPRESSED || !(entry & QCOW2_OFFSET_MASK)) {
        return false;
    }
    if (type != QCOW2_CLUSTER_NORMAL && type != QCOW2_CLUSTER_ZERO) {
        return false;
    }
    *host = entry & QCOW2_OFFSET_MASK;
    return true;
}

static int qcow2_host_offset(BlockDriverState *bs, uint64_t offset, uint64_t *pnum,
                             uint64_t *host, bool *has, Error **errp)
{
    Qcow2State *s = bs->opaque;
    uint64_t cs = s->cluster_size, done = 0, first = 0;
    int ret = 0;

    pthread_mutex_lock(&bs->lock);
    while (done < *pnum) {
        uint64_t g = offset + done, in = g & (cs - 1), h = 0;
        uint64_t n = cs - in < *pnum - done ? cs - in : *pnum - done;
        Qcow2ClusterType type;
        uint64_t entry;
        bool this_has;

        ret = qcow2_get_cluster(s, g, &type, &entry, errp);
        if (ret < 0) {
            break;
        }
        this_has = qcow2_host(s, type, entry, &h);
        if (done == 0) {
            *has = this_has;
            first = h + in;
        } else if (this_has != *has || (this_has && h + in != first + done)) {
            break;
        }
        done += n;
    }
    pthread_mutex_unlock(&bs->lock);
    if (ret < 0) {
        return ret;
    }
    *pnum = done;
    *host = first;
    return 0;
}

int img_host_offset(BlockDriverState *bs, uint64_t offset, uint64_t *pnum, uint64_t *host,
                    bool *has, Error **errp)
{
    *has = false;
    *host = 0;
    if (bs->drv == &bdrv_raw) {
        *has = true;
        *host = offset;
        return 0;
    }
    if (bs->drv == &bdrv_qcow2) {
        return qcow2_host_offset(bs, offset, pnum, host, has, errp);
    }
    return 0;
}

static char *dup_or_null(const char *s, bool *fail)
{
    char *d = s ? strdup(s) : NULL;

    *fail |= s && !d;
    return d;
}

bool img_supports_backing(const BlockDriverState *bs)
{
    return bs->drv == &bdrv_qcow2;
}

int img_change_backing(BlockDriverState *bs, const char *name, const char *fmt, Error **errp)
{
    char *old_name = bs->backing_file, *old_fmt = bs->backing_format;
    bool fail = false;
    int ret;

    if (!img_supports_backing(bs)) {
        return error_setg(errp, -ENOTSUP,
                          "Could not change the backing file to '%s': Operation not supported "
                          "(the %s format has no backing file)",
                          name ? name : "", bs->drv->format_name);
    }
    ret = bdrv_flush(bs, errp);
    if (ret < 0) {
        return ret;
    }
    pthread_mutex_lock(&bs->lock);
    bs->backing_file = dup_or_null(name, &fail);
    bs->backing_format = dup_or_null(name ? fmt : NULL, &fail);
    ret = fail ? error_setg(errp, -ENOMEM, "'%s': out of memory", bs->filename)
               : qcow2_header_write(bs->opaque, errp);
    if (ret == 0 && fdatasync(bs->fd) < 0) {
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
    pthread_mutex_unlock(&bs->lock);
    return ret;
}

int img_make_empty(BlockDriverState *bs, Error **errp)
{
    char *backing = bs->backing_file;
    int ret;

    if (bs->drv != &bdrv_qcow2) {
        return error_setg(errp, -ENOTSUP, "'%s': the %s format cannot be emptied",
                          bs->filename, bs->drv->format_name);
    }
    /* qcow2 discard leaves zero clusters in an image with a backing file
     * (so that the backing data stays hidden); without the name it leaves
     * unallocated clusters. Only the calling thread uses bs here. */
    bs->backing_file = NULL;
    ret = bdrv_discard(bs, 0, bs->total_size, errp);
    bs->backing_file = backing;
    return ret < 0 ? ret : bdrv_flush(bs, errp);
}
