/*
 * qcow2-snapshot-ops.c — creating, applying (reverting to) and deleting
 * internal snapshots.
 *
 * The one thing to know: each operation is ordered so that a crash at any
 * point leaves at worst leaked clusters: refcounts go up and reach the
 * disk before a new reference (snapshot table, active L1) is written, and
 * go down only after the reference that held them is gone on disk.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "block/qcow2.h"

#define SNAPSHOT_EXTRA_LEN 24 /* vm_state_size_large, disk_size, icount */

/* Writes l1[0..n) as one table of `clusters` clusters at off. */
static int write_l1_copy(Qcow2State *s, const uint64_t *l1, uint32_t n, uint64_t off,
                         uint64_t clusters, Error **errp)
{
    uint8_t *raw = calloc(clusters ? clusters : 1, s->cluster_size);
    int ret;

    if (!raw) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory", s->filename);
    }
    for (uint32_t i = 0; i < n; i++) {
        qcow2_put_be64(raw + 8 * i, l1[i]);
    }
    ret = qcow2_check_overlap(s, off, clusters * s->cluster_size, "snapshot L1 table", errp);
    if (ret == 0) {
        ret = file_pwrite(s->fd, raw, clusters * s->cluster_size, off);
        if (ret < 0) {
            ret = error_setg(errp, ret, "'%s': could not write an L1 table: %s", s->filename,
                             strerror(-ret));
        }
    }
    free(raw);
    return ret;
}

/* Makes room for one more entry in the in-memory table. */
static int grow_arrays(Qcow2State *s, Error **errp)
{
    size_t n = (size_t)s->nb_snapshots + 1;
    Qcow2Snapshot *sn = realloc(s->snapshots, n * sizeof(*sn));

    if (sn) {
        s->snapshots = sn;
        BlockSnapshotInfo *si = realloc(s->snap_info, n * sizeof(*si));
        if (si) {
            s->snap_info = si;
            return 0;
        }
    }
    return error_setg(errp, -ENOMEM, "'%s': out of memory", s->filename);
}

/* Like qemu: one more than the largest numeric id. */
static char *new_id(const Qcow2State *s)
{
    unsigned long max = 0;
    char *id;

    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        unsigned long v = strtoul(s->snap_info[i].id, NULL, 10);
        if (v > max) {
            max = v;
        }
    }
    return asprintf(&id, "%lu", max + 1) < 0 ? NULL : id;
}

/* Adds the entry (last in the table) for a snapshot whose L1 copy is at
 * l1_off; on failure the entry is not there. */
static int add_entry(Qcow2State *s, const char *name, uint64_t l1_off, uint64_t vm_state_size,
                     uint64_t vm_clock_nsec, Error **errp)
{
    struct timespec now;
    Qcow2Snapshot *sn;
    BlockSnapshotInfo *si;
    int ret = grow_arrays(s, errp);

    if (ret < 0) {
        return ret;
    }
    sn = &s->snapshots[s->nb_snapshots];
    si = &s->snap_info[s->nb_snapshots];
    memset(sn, 0, sizeof(*sn));
    memset(si, 0, sizeof(*si));
    clock_gettime(CLOCK_REALTIME, &now);
    sn->l1_offset = l1_off;
    sn->l1_size = s->l1_size;
    sn->disk_size = s->bs->total_size;
    sn->has_disk_size = true;
    sn->extra_len = SNAPSHOT_EXTRA_LEN;
    sn->extra = calloc(1, SNAPSHOT_EXTRA_LEN);
    si->id = new_id(s);
    si->name = strdup(name);
    si->date_sec = (uint32_t)now.tv_sec;
    si->date_nsec = (uint32_t)now.tv_nsec;
    si->icount = 0;
    si->vm_state_size = vm_state_size;
    si->vm_clock_nsec = vm_clock_nsec;
    /* The 32-bit field holds what fits, the extra data the whole size. */
    sn->vm_state_size32 = vm_state_size > UINT32_MAX ? UINT32_MAX : (uint32_t)vm_state_size;
    if (!sn->extra || !si->id || !si->name) {
        free(sn->extra);
        free(si->id);
        free(si->name);
        return error_setg(errp, -ENOMEM, "'%s': out of memory", s->filename);
    }
    qcow2_put_be64(sn->extra, vm_state_size);
    qcow2_put_be64(sn->extra + 8, sn->disk_size);
    s->nb_snapshots++;
    s->n_snapshots_read++;
    ret = qcow2_snapshots_write(s, errp);
    if (ret < 0) {
        s->nb_snapshots--;
        s->n_snapshots_read--;
        free(sn->extra);
        free(si->id);
        free(si->name);
    }
    return ret;
}

int qcow2_snapshot_create(BlockDriverState *bs, const char *name, uint64_t vm_state_size,
                          uint64_t vm_clock_nsec, Error **errp)
{
    Qcow2State *s = bs->opaque;
    uint64_t clusters = ((uint64_t)s->l1_size * 8 + s->cluster_size - 1) >> s->cluster_bits;
    uint64_t off = 0;
    bool changed;
    int ret;

    if (strlen(name) > 0xffff) {
        return error_setg(errp, -EINVAL, "'%s': snapshot name too long", s->filename);
    }
    if (s->refcount_bits == 1) {
        return error_setg(errp, -EINVAL,
                          "'%s': 1-bit refcounts cannot count the references of a snapshot",
                          s->filename);
    }
    if (s->nb_snapshots >= QCOW2_MAX_SNAPSHOTS) {
        return error_setg(errp, -EFBIG, "'%s': too many snapshots", s->filename);
    }
    ret = qcow2_tree_check_room(s, s->l1, s->l1_size, errp);
    if (ret == 0) {
        ret = qcow2_mark_dirty(s, errp);
    }
    if (ret == 0) {
        ret = qcow2_barrier(s, errp);
    }
    if (ret == 0 && clusters) {
        ret = qcow2_alloc_clusters(s, clusters, &off, errp);
    }
    if (ret == 0 && clusters) {
        ret = write_l1_copy(s, s->l1, s->l1_size, off, clusters, errp);
    }
    /* Every cluster of the tree gains the snapshot's reference; shared
     * clusters lose COPIED in the active tables. */
    if (ret == 0) {
        ret = qcow2_update_tree_refcounts(s, s->l1, s->l1_size, 1, &changed, errp);
        s->l1_dirty |= changed;
    }
    if (ret == 0) {
        ret = qcow2_barrier(s, errp);
    }
    if (ret == 0) {
        ret = add_entry(s, name, off, vm_state_size, vm_clock_nsec, errp);
    }
    /* The snapshot holds the VM state now; in the active tables it would
     * only cost copy-on-write at the next savevm (as QEMU, dropped). */
    if (ret == 0 && vm_state_size) {
        ret = qcow2_discard_clusters(s, qcow2_vmstate_offset(s),
                                     (vm_state_size + s->cluster_size - 1) &
                                         ~(s->cluster_size - 1),
                                     errp);
    }
    if (ret == 0 && vm_state_size) {
        ret = qcow2_barrier(s, errp);
    }
    return ret;
}

int qcow2_snapshot_apply(BlockDriverState *bs, const char *name, Error **errp)
{
    Qcow2State *s = bs->opaque;
    int i = qcow2_snapshot_find(s, name);
    uint64_t *sn_l1 = NULL, *old = NULL;
    uint32_t old_size = s->l1_size;
    const Qcow2Snapshot *sn;
    bool changed;
    int ret;

    if (i < 0) {
        return error_setg(errp, -ENOENT, "Failed to load snapshot: No such file or directory");
    }
    sn = &s->snapshots[i];
    if (sn->has_disk_size) {
        uint64_t span = s->cluster_size << s->l2_bits;
        uint32_t have = sn->l1_size > s->l1_size ? sn->l1_size : s->l1_size;
        if (sn->disk_size > INT64_MAX || (sn->disk_size + span - 1) / span > have) {
            return error_setg(errp, -EINVAL,
                              "'%s': snapshot '%s' has a disk size that its L1 table "
                              "cannot map",
                              s->filename, s->snap_info[i].name);
        }
    }
    ret = qcow2_mark_dirty(s, errp);
    if (ret == 0) {
        ret = qcow2_snapshot_read_l1(s, sn, &sn_l1, errp);
    }
    if (ret == 0) {
        ret = qcow2_tree_check_room(s, sn_l1, sn->l1_size, errp);
    }
    if (ret == 0 && sn->l1_size > s->l1_size) {
        ret = qcow2_grow_l1(s, sn->l1_size, errp);
        old_size = s->l1_size;
    }
    if (ret == 0) {
        ret = qcow2_barrier(s, errp);
    }
    if (ret == 0) {
        ret = qcow2_update_tree_refcounts(s, sn_l1, sn->l1_size, 1, &changed, errp);
    }
    if (ret == 0) {
        ret = qcow2_barrier(s, errp);
    }
    if (ret < 0) {
        free(sn_l1);
        return ret;
    }
    /* Switch the active L1 to the snapshot's entries, then drop the old
     * tree's references. */
    old = s->l1;
    s->l1 = calloc(old_size, 8);
    if (!s->l1) {
        s->l1 = old;
        free(sn_l1);
        return error_setg(errp, -ENOMEM, "'%s': out of memory", s->filename);
    }
    memcpy(s->l1, sn_l1, (size_t)sn->l1_size * 8);
    free(sn_l1);
    s->l1_dirty = true;
    ret = qcow2_barrier(s, errp);
    if (ret == 0) {
        ret = qcow2_update_tree_refcounts(s, old, old_size, -1, &changed, errp);
    }
    free(old);
    if (ret == 0) {
        ret = qcow2_update_tree_refcounts(s, s->l1, s->l1_size, 0, &changed, errp);
        s->l1_dirty |= changed;
    }
    if (ret == 0 && sn->has_disk_size && sn->disk_size != bs->total_size) {
        bs->total_size = sn->disk_size;
        ret = qcow2_header_write(s, errp);
    }
    if (ret == 0) {
        ret = qcow2_barrier(s, errp);
    }
    s->cbuf_entry = 0;
    return ret;
}

int qcow2_snapshot_delete(BlockDriverState *bs, const char *name, Error **errp)
{
    Qcow2State *s = bs->opaque;
    int i = qcow2_snapshot_find(s, name);
    Qcow2Snapshot sn;
    BlockSnapshotInfo si;
    uint64_t *l1 = NULL;
    bool changed;
    int ret;

    if (i < 0) {
        return error_setg(errp, -ENOENT, "snapshot not found");
    }
    ret = qcow2_mark_dirty(s, errp);
    if (ret == 0) {
        ret = qcow2_snapshot_read_l1(s, &s->snapshots[i], &l1, errp);
    }
    if (ret < 0) {
        return ret;
    }
    /* The table without the entry goes to disk first. */
    sn = s->snapshots[i];
    si = s->snap_info[i];
    memmove(&s->snapshots[i], &s->snapshots[i + 1],
            (s->nb_snapshots - (uint32_t)i - 1) * sizeof(sn));
    memmove(&s->snap_info[i], &s->snap_info[i + 1],
            (s->nb_snapshots - (uint32_t)i - 1) * sizeof(si));
    s->nb_snapshots--;
    s->n_snapshots_read--;
    ret = qcow2_snapshots_write(s, errp);
    if (ret < 0) {
        memmove(&s->snapshots[i + 1], &s->snapshots[i],
                (s->nb_snapshots - (uint32_t)i) * sizeof(sn));
        memmove(&s->snap_info[i + 1], &s->snap_info[i],
                (s->nb_snapshots - (uint32_t)i) * sizeof(si));
        s->snapshots[i] = sn;
        s->snap_info[i] = si;
        s->nb_snapshots++;
        s->n_snapshots_read++;
        free(l1);
        return ret;
    }
    free(si.id);
    free(si.name);
    free(sn.extra);
    ret = qcow2_update_tree_refcounts(s, l1, sn.l1_size, -1, &changed, errp);
    free(l1);
    if (ret == 0 && sn.l1_size) {
        ret = qcow2_free_clusters(s, sn.l1_offset,
                                  ((uint64_t)sn.l1_size * 8 + s->cluster_size - 1) >>
                                      s->cluster_bits,
                                  errp);
    }
    if (ret == 0) {
        ret = qcow2_update_tree_refcounts(s, s->l1, s->l1_size, 0, &changed, errp);
        s->l1_dirty |= changed;
    }
    if (ret == 0) {
        ret = qcow2_barrier(s, errp);
    }
    return ret;
}
