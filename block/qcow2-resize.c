/*
 * qcow2-resize.c — growing a qcow2 image: a larger L1 table when needed,
 * then the new virtual size in the header.
 *
 * The one thing to know: the new L1 table and the refcounts of its
 * clusters are on disk before the header points at it, and the old table
 * is freed only afterwards; a crash in between leaks the new or old table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/qcow2.h"

static int sync_or_fail(Qcow2State *s, Error **errp)
{
    if (img_sync(s->bs, s->fd) < 0) {
        return error_setg(errp, -errno, "'%s': could not flush: %s", s->filename,
                          strerror(errno));
    }
    return 0;
}

int qcow2_grow_l1(Qcow2State *s, uint64_t needed, Error **errp)
{
    uint64_t cs = s->cluster_size;
    uint64_t clusters = (needed * 8 + cs - 1) / cs;
    uint64_t old_off = s->l1_offset, old_clusters = ((uint64_t)s->l1_size * 8 + cs - 1) / cs;
    uint64_t *l1 = NULL, off;
    uint8_t *raw = NULL;
    int ret;

    /* Use the whole last cluster: later growth may not need a new table. */
    needed = clusters * cs / 8;
    if (needed > QCOW2_MAX_L1_BYTES / 8) {
        needed = QCOW2_MAX_L1_BYTES / 8;
    }
    ret = qcow2_barrier(s, errp); /* the L1 copied below is the one on disk */
    if (ret < 0) {
        return ret;
    }
    l1 = calloc(needed, 8);
    raw = calloc(clusters, cs);
    if (!l1 || !raw) {
        ret = error_setg(errp, -ENOMEM, "'%s': out of memory for the L1 table", s->filename);
        goto out;
    }
    memcpy(l1, s->l1, (size_t)s->l1_size * 8);
    for (uint64_t i = 0; i < needed; i++) {
        qcow2_put_be64(raw + i * 8, l1[i]);
    }
    ret = qcow2_alloc_clusters(s, clusters, &off, errp);
    if (ret < 0) {
        goto out;
    }
    ret = file_pwrite(s->fd, raw, clusters * cs, off);
    if (ret < 0) {
        ret = error_setg(errp, ret, "'%s': could not write the new L1 table: %s", s->filename,
                         strerror(-ret));
        goto out;
    }
    ret = qcow2_barrier(s, errp); /* table contents and refcounts on disk */
    if (ret < 0) {
        goto out;
    }
    free(s->l1);
    s->l1 = l1;
    l1 = NULL;
    s->l1_offset = off;
    s->l1_size = (uint32_t)needed;
    ret = qcow2_header_write(s, errp);
    if (ret == 0) {
        ret = sync_or_fail(s, errp);
    }
    if (ret == 0 && old_clusters) {
        ret = qcow2_free_clusters(s, old_off, old_clusters, errp);
    }
out:
    free(l1);
    free(raw);
    return ret;
}

int qcow2_grow(Qcow2State *s, uint64_t new_size, Error **errp)
{
    uint64_t span = s->cluster_size << s->l2_bits; /* bytes per L1 entry */
    uint64_t needed;
    uint64_t old_size = s->bs->total_size;
    int ret;

    if (new_size > INT64_MAX - 511) {
        return error_setg(errp, -EFBIG, "'%s': size %llu is too large", s->filename,
                          (unsigned long long)new_size);
    }
    /* qemu sees qcow2 sizes in 512-byte sectors: keep them whole. */
    new_size = (new_size + 511) & ~511ULL;
    needed = new_size / span + (new_size % span != 0);
    if (needed > QCOW2_MAX_L1_BYTES / 8) {
        return error_setg(errp, -EFBIG,
                          "'%s': size %llu needs an L1 table above %u bytes (use a larger "
                          "cluster_size)",
                          s->filename, (unsigned long long)new_size, QCOW2_MAX_L1_BYTES);
    }
    ret = qcow2_mark_dirty(s, errp);
    if (ret == 0 && needed > s->l1_size) {
        ret = qcow2_grow_l1(s, needed, errp);
    }
    if (ret < 0) {
        return ret;
    }
    s->bs->total_size = new_size;
    ret = qcow2_header_write(s, errp);
    if (ret == 0) {
        ret = sync_or_fail(s, errp);
    }
    if (ret < 0) {
        s->bs->total_size = old_size;
    }
    return ret;
}
