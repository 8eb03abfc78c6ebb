/*
 * qcow2-metadata.c — keeping qcow2 metadata consistent on disk: the write
 * barrier, the overlap check that guards every write, the corrupt bit and
 * the dirty bit.
 *
 * The one thing to know: qcow2_barrier() is the only place that writes L2
 * tables and the L1 table, always after the refcounts and guest data they
 * depend on are synced; anything that lowers a refcount calls it first.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/qcow2.h"

static int sync_file(Qcow2State *s, Error **errp)
{
    if (img_sync(s->bs, s->fd) < 0) {
        return error_setg(errp, -errno, "'%s': could not flush: %s", s->filename,
                          strerror(errno));
    }
    return 0;
}

static int write_l1(Qcow2State *s, Error **errp)
{
    size_t bytes = (size_t)s->l1_size * 8;
    uint8_t *raw = malloc(bytes ? bytes : 1);
    int ret;

    if (!raw) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory", s->filename);
    }
    for (uint32_t i = 0; i < s->l1_size; i++) {
        qcow2_put_be64(raw + i * 8, s->l1[i]);
    }
    ret = file_pwrite(s->fd, raw, bytes, s->l1_offset);
    free(raw);
    if (ret < 0) {
        return error_setg(errp, ret, "'%s': could not write the L1 table: %s", s->filename,
                          strerror(-ret));
    }
    return 0;
}

int qcow2_barrier(Qcow2State *s, Error **errp)
{
    int ret = qcow2_cache_write_back(s, &s->rb_cache, errp);

    if (ret == 0) {
        ret = sync_file(s, errp);
    }
    if (ret == 0) {
        ret = qcow2_cache_write_back(s, &s->l2_cache, errp);
    }
    if (ret == 0 && s->l1_dirty) {
        ret = sync_file(s, errp);
        if (ret == 0) {
            ret = write_l1(s, errp);
        }
        if (ret == 0) {
            s->l1_dirty = false;
        }
    }
    if (ret == 0) {
        ret = sync_file(s, errp);
    }
    return ret;
}

int qcow2_signal_corruption(Qcow2State *s, Error **errp, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (s->writable && s->version >= 3 && !(s->incompat & QCOW2_INCOMPAT_CORRUPT)) {
        qcow2_header_set_incompat(s, QCOW2_INCOMPAT_CORRUPT, 0, NULL);
        s->writable = false;
        return error_setg(errp, -EIO,
                          "'%s': Marking image as corrupt: %s; further writes are refused",
                          s->filename, msg);
    }
    s->writable = false;
    return error_setg(errp, -EIO, "'%s': Image is corrupt: %s", s->filename, msg);
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

int qcow2_check_overlap(Qcow2State *s, uint64_t offset, uint64_t len, const char *what,
                        Error **errp)
{
    const char *hit = NULL;

    if (overlaps(offset, len, 0, s->cluster_size)) {
        hit = "image header";
    } else if (overlaps(offset, len, s->l1_offset, (uint64_t)s->l1_size * 8)) {
        hit = "active L1 table";
    } else if (overlaps(offset, len, s->rt_offset, (uint64_t)s->rt_clusters * s->cluster_size)) {
        hit = "refcount table";
    } else if (overlaps(offset, len, s->snapshots_offset, s->snapshots_size)) {
        hit = "snapshot table";
    }
    if (hit) {
        return qcow2_signal_corruption(s, errp, "%s at offset %#llx overlaps the %s", what,
                                       (unsigned long long)offset, hit);
    }
    return 0;
}

int qcow2_check_table_offset(Qcow2State *s, uint64_t offset, const char *what,
                             Error **errp)
{
    if (offset & (s->cluster_size - 1)) {
        return qcow2_signal_corruption(s, errp, "%s offset %#llx is not cluster aligned",
                                       what, (unsigned long long)offset);
    }
    if ((offset >> s->cluster_bits) >= s->end_cluster) {
        return qcow2_signal_corruption(s, errp, "%s offset %#llx is past the end of the file",
                                       what, (unsigned long long)offset);
    }
    return qcow2_check_overlap(s, offset, s->cluster_size, what, errp);
}

int qcow2_mark_dirty(Qcow2State *s, Error **errp)
{
    int ret;

    if (!s->writable) {
        return error_setg(errp, -EACCES, "'%s': image is not writable", s->filename);
    }
    if (s->dirty_marked || s->version < 3 || (s->incompat & QCOW2_INCOMPAT_DIRTY)) {
        return 0;
    }
    ret = qcow2_header_set_incompat(s, QCOW2_INCOMPAT_DIRTY, 0, errp);
    if (ret == 0) {
        s->dirty_marked = true;
    }
    return ret;
}
