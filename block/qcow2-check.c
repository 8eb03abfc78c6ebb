/*
 * qcow2-check.c — consistency check of a qcow2 image: count the references
 * to every host cluster from the metadata, compare them with the stored
 * refcounts, and optionally repair leaks.
 *
 * The one thing to know: references are counted once per path from an L1
 * table (the active one and each snapshot's), as qemu keeps refcounts, in
 * an array sized by the file, so an entry pointing past the end of the
 * file is reported as an error rather than counted. Repairing leaks lowers
 * refcounts to the references found, then fixes the COPIED flags. Messages
 * follow qemu-img's wording and go to stderr; the caller prints the
 * summary.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"

typedef struct CheckState {
    Qcow2State *s;
    BlockCheckResult *res;
    uint32_t *refs;
    uint64_t nclusters;
} CheckState;

static void add_ref(CheckState *c, uint64_t offset, uint64_t len, const char *what)
{
    uint64_t first = offset >> c->s->cluster_bits;
    uint64_t last = (offset + len - 1) >> c->s->cluster_bits;

    for (uint64_t i = first; i <= last; i++) {
        if (i >= c->nclusters) {
            fprintf(stderr, "ERROR %s at offset %#llx is past the end of the file\n", what,
                    (unsigned long long)offset);
            c->res->corruptions++;
            return;
        }
        c->refs[i]++;
    }
}

static bool aligned_or_report(CheckState *c, uint64_t offset, const char *what)
{
    if (offset & (c->s->cluster_size - 1)) {
        fprintf(stderr, "ERROR %s offset=%llx: not cluster aligned; entry corrupted\n", what,
                (unsigned long long)offset);
        c->res->corruptions++;
        return false;
    }
    return true;
}

/* Without snapshots, the COPIED flag must be set exactly when the
 * refcount is 1. */
static void check_copied(CheckState *c, uint64_t entry, uint64_t host, const char *what)
{
    uint64_t rc;

    if (host >> c->s->cluster_bits >= c->nclusters ||
        qcow2_refcount_get(c->s, host >> c->s->cluster_bits, &rc, NULL) < 0) {
        return;
    }
    if ((rc == 1) != ((entry & QCOW2_OFLAG_COPIED) != 0)) {
        fprintf(stderr, "ERROR OFLAG_COPIED %s=%llx refcount=%llu\n", what,
                (unsigned long long)entry, (unsigned long long)rc);
        c->res->corruptions++;
    }
}

static void check_l2(CheckState *c, const uint8_t *l2, uint64_t l1i, bool active)
{
    uint64_t contiguous = 0; /* like qemu-img: fragmentation within one table */
    Qcow2State *s = c->s;
    uint64_t n = qcow2_l2_entries(s);
    uint64_t guest_clusters = (s->bs->total_size + s->cluster_size - 1) >> s->cluster_bits;
    uint64_t vmstate_cluster = qcow2_vmstate_offset(s) >> s->cluster_bits;

    for (uint64_t i = 0; i < n; i++) {
        uint64_t e = qcow2_l2_entry(s, l2, i), bitmap = qcow2_l2_bitmap(s, l2, i);
        uint64_t g = (l1i << s->l2_bits) + i;

        if (s->extended_l2 && !(e & QCOW2_OFLAG_COMPRESSED) &&
            (((uint32_t)bitmap & (uint32_t)(bitmap >> 32)) ||
             ((uint32_t)bitmap && !(e & QCOW2_OFFSET_MASK)))) {
            fprintf(stderr, "ERROR invalid subcluster bitmap %#llx in L2 entry %llu of L1 "
                    "index %llu\n", (unsigned long long)bitmap, (unsigned long long)i,
                    (unsigned long long)l1i);
            c->res->corruptions++;
        }

        if (e & QCOW2_OFLAG_COMPRESSED) {
            uint64_t off, len;
            qcow2_compressed_range(s, e, &off, &len);
            add_ref(c, off, len, "compressed cluster");
            if (active) {
                c->res->allocated_clusters++;
                c->res->compressed_clusters++;
                c->res->fragmented_clusters++; /* by nature, as qemu-img counts */
            }
            continue;
        }
        uint64_t host = e & QCOW2_OFFSET_MASK;
        if (!host) {
            continue;
        }
        /* The VM state area past the disk (qcow2-vmstate.c) is mapped too. */
        if (g >= guest_clusters && g < vmstate_cluster) {
            fprintf(stderr, "ERROR cluster entry past the virtual disk end (L1 index %llu)\n",
                    (unsigned long long)l1i);
            c->res->corruptions++;
            continue;
        }
        if (!aligned_or_report(c, host, "data cluster")) {
            continue;
        }
        add_ref(c, host, s->cluster_size, "data cluster");
        if (!active) {
            continue;
        }
        check_copied(c, e, host, "data cluster: l2_entry");
        if (!(s->version >= 3 && (e & QCOW2_OFLAG_ZERO))) {
            c->res->allocated_clusters++;
            if (contiguous && host != contiguous) {
                c->res->fragmented_clusters++;
            }
            contiguous = host + s->cluster_size;
        }
    }
}

/* Counts one L1 table's L2 tables and data clusters. Only the active
 * table feeds the statistics and the COPIED check. */
static void walk_l1(CheckState *c, const uint64_t *l1, uint32_t l1_size, bool active,
                    uint8_t *l2)
{
    Qcow2State *s = c->s;

    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t off = l1[i] & QCOW2_OFFSET_MASK;
        if (!off || !aligned_or_report(c, off, "L2 table")) {
            continue;
        }
        add_ref(c, off, s->cluster_size, "L2 table");
        if ((off >> s->cluster_bits) >= c->nclusters) {
            continue;
        }
        if (active) {
            check_copied(c, l1[i], off, "L2 cluster: l1_entry");
        }
        if (file_pread(s->fd, l2, s->cluster_size, off) < 0) {
            fprintf(stderr, "ERROR could not read the L2 table at offset %#llx\n",
                    (unsigned long long)off);
            c->res->check_errors++;
            continue;
        }
        check_l2(c, l2, i, active);
    }
}

static int walk_snapshots(CheckState *c, uint8_t *l2, Error **errp)
{
    Qcow2State *s = c->s;

    if (s->nb_snapshots) {
        add_ref(c, s->snapshots_offset, s->snapshots_size, "snapshot table");
    }
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        const Qcow2Snapshot *sn = &s->snapshots[i];
        uint64_t *l1;
        uint8_t *raw;

        if (!sn->l1_size) {
            continue;
        }
        add_ref(c, sn->l1_offset, (uint64_t)sn->l1_size * 8, "snapshot L1 table");
        l1 = malloc((size_t)sn->l1_size * 8);
        raw = malloc((size_t)sn->l1_size * 8);
        if (!l1 || !raw) {
            free(l1);
            free(raw);
            return error_setg(errp, -ENOMEM, "'%s': out of memory", s->filename);
        }
        if (file_pread(s->fd, raw, (size_t)sn->l1_size * 8, sn->l1_offset) < 0) {
            fprintf(stderr, "ERROR could not read the L1 table of snapshot %u\n", i);
            c->res->check_errors++;
        } else {
            for (uint32_t j = 0; j < sn->l1_size; j++) {
                l1[j] = qcow2_be64(raw + 8 * j);
            }
            walk_l1(c, l1, sn->l1_size, false, l2);
        }
        free(l1);
        free(raw);
    }
    return 0;
}

static int count_references(CheckState *c, Error **errp)
{
    Qcow2State *s = c->s;
    uint8_t *l2 = malloc(s->cluster_size);
    int ret;

    if (!l2) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory", s->filename);
    }
    add_ref(c, 0, s->cluster_size, "header");
    if (s->l1_size) {
        add_ref(c, s->l1_offset, (uint64_t)s->l1_size * 8, "L1 table");
    }
    add_ref(c, s->rt_offset, (uint64_t)s->rt_clusters * s->cluster_size, "refcount table");
    for (uint64_t r = 0; r < s->rt_size; r++) {
        uint64_t off = s->rt[r] & QCOW2_RT_OFFSET_MASK;
        if (off && aligned_or_report(c, off, "refcount block")) {
            add_ref(c, off, s->cluster_size, "refcount block");
        }
    }
    walk_l1(c, s->l1, s->l1_size, true, l2);
    ret = walk_snapshots(c, l2, errp);
    free(l2);
    return ret;
}

static int compare_one(CheckState *c, uint64_t i, int fix, Error **errp)
{
    Qcow2State *s = c->s;
    uint64_t rc, refs = i < c->nclusters ? c->refs[i] : 0;
    int ret = qcow2_refcount_get(s, i, &rc, errp);

    if (ret < 0) {
        c->res->check_errors++;
        return ret;
    }
    /* Like qemu-img: past the last cluster with a refcount or a reference. */
    if ((rc || refs) && (i + 1) * s->cluster_size > c->res->image_end_offset) {
        c->res->image_end_offset = (i + 1) * s->cluster_size;
    }
    if (rc == refs) {
        return 0;
    }
    if (rc > refs && (fix & BDRV_FIX_LEAKS)) {
        fprintf(stderr, "Repairing cluster %llu refcount=%llu reference=%llu\n",
                (unsigned long long)i, (unsigned long long)rc, (unsigned long long)refs);
        while (rc-- > refs && ret == 0) {
            ret = qcow2_refcount_update(s, i, -1, errp);
        }
        c->res->leaks_fixed++;
        return ret;
    }
    fprintf(stderr, "%s cluster %llu refcount=%llu reference=%llu\n",
            rc > refs ? "Leaked" : "ERROR", (unsigned long long)i, (unsigned long long)rc,
            (unsigned long long)refs);
    if (rc > refs) {
        c->res->leaks++;
    } else {
        c->res->corruptions++;
    }
    return 0;
}

int qcow2_check_image(Qcow2State *s, BlockCheckResult *res, int fix, Error **errp)
{
    CheckState c = { .s = s, .res = res };
    int64_t fsize = file_size(s->fd);
    int ret;

    if (fsize < 0) {
        return error_setg(errp, (int)fsize, "'%s': could not get the file size", s->filename);
    }
    if (s->writable) {
        ret = qcow2_barrier(s, errp);
        if (ret < 0) {
            return ret;
        }
    }
    c.nclusters = ((uint64_t)fsize + s->cluster_size - 1) >> s->cluster_bits;
    c.refs = calloc(c.nclusters ? c.nclusters : 1, sizeof(*c.refs));
    if (!c.refs) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory", s->filename);
    }
    res->total_clusters = (s->bs->total_size + s->cluster_size - 1) >> s->cluster_bits;
    ret = count_references(&c, errp);
    for (uint64_t i = 0; i < c.nclusters && ret == 0; i++) {
        ret = compare_one(&c, i, s->writable ? fix : 0, errp);
    }
    /* Refcounts for clusters past the end of the file are leaks. */
    for (uint64_t r = 0; r < s->rt_size && ret == 0; r++) {
        uint64_t end = (r + 1) * s->refblock_entries;
        if (!(s->rt[r] & QCOW2_RT_OFFSET_MASK) || end <= c.nclusters ||
            ((s->rt[r] & QCOW2_RT_OFFSET_MASK) >> s->cluster_bits) >= c.nclusters) {
            continue;
        }
        uint64_t i = r * s->refblock_entries > c.nclusters ? r * s->refblock_entries
                                                            : c.nclusters;
        for (; i < end && ret == 0; i++) {
            ret = compare_one(&c, i, s->writable ? fix : 0, errp);
        }
    }
    if (ret == 0 && res->leaks_fixed) {
        /* A refcount lowered to 1 makes its cluster the active image's
         * alone again: set COPIED where that is now true. */
        bool changed;
        ret = qcow2_update_tree_refcounts(s, s->l1, s->l1_size, 0, &changed, errp);
        s->l1_dirty |= changed;
    }
    if (ret == 0 && res->leaks_fixed) {
        ret = qcow2_barrier(s, errp);
    }
    free(c.refs);
    return ret;
}
