/*
 * qcow2-amend.c — changing an open image's compatibility level (v2 "0.10"
 * and v3 "1.1") and the lazy refcounts bit, as `qemu-img amend` does.
 *
 * The one thing to know: a downgrade to v2 first removes what v2 cannot
 * express (zero clusters are turned into unallocated clusters, or into
 * allocated zeros over a backing file) and flushes and clears the dirty
 * bit; only then is the header rewritten with version 2. Anything that
 * cannot be expressed is refused with qemu-img's wording.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/qcow2.h"

#define V3_HEADER_LEN 112 /* with the compression type byte, as qemu writes */
#define SNAPSHOT_EXTRA_LEN 24

/* Whether any snapshot's L2 tables hold a zero cluster (not expanded). */
static int snapshots_have_zero(Qcow2State *s, bool *found, Error **errp)
{
    int ret = 0;

    *found = false;
    for (uint32_t i = 0; i < s->nb_snapshots && ret == 0 && !*found; i++) {
        uint64_t *l1;
        ret = qcow2_snapshot_read_l1(s, &s->snapshots[i], &l1, errp);
        for (uint32_t j = 0; ret == 0 && j < s->snapshots[i].l1_size && !*found; j++) {
            uint64_t off = l1[j] & QCOW2_OFFSET_MASK;
            uint8_t *t;
            if (!off) {
                continue;
            }
            ret = qcow2_check_table_offset(s, off, "L2 table", errp);
            if (ret == 0) {
                ret = qcow2_cache_get(s, &s->l2_cache, off, &t, errp);
            }
            for (uint64_t k = 0; ret == 0 && k < qcow2_l2_entries(s); k++) {
                uint64_t e = qcow2_l2_entry(s, t, k);
                *found |= !(e & QCOW2_OFLAG_COMPRESSED) && qcow2_l2_is_zero(s, t, k);
            }
        }
        free(l1);
    }
    return ret;
}

/* Rewrites every zero cluster of the active image as v2 can read it. */
static int expand_zero_clusters(Qcow2State *s, Error **errp)
{
    uint64_t cs = s->cluster_size, span = cs << s->l2_bits;
    uint8_t *zeros = calloc(1, cs);
    int ret = zeros ? 0 : error_setg(errp, -ENOMEM, "'%s': out of memory", s->filename);

    for (uint64_t i = 0; ret == 0 && i < s->l1_size; i++) {
        if (!(s->l1[i] & QCOW2_OFFSET_MASK)) {
            continue;
        }
        for (uint64_t g = i * span; ret == 0 && g < (i + 1) * span && g < s->bs->total_size;
             g += cs) {
            Qcow2ClusterType type;
            uint64_t e, n = s->bs->total_size - g < cs ? s->bs->total_size - g : cs;
            ret = qcow2_get_cluster(s, g, &type, &e, errp);
            if (ret < 0 || type != QCOW2_CLUSTER_ZERO) {
                continue;
            }
            if (s->bs->backing_file) {
                ret = qcow2_write_cluster(s, g, zeros, n, errp);
            } else {
                ret = qcow2_discard_clusters(s, g, n, errp);
            }
        }
    }
    free(zeros);
    return ret;
}

static int set_header_length(Qcow2State *s, uint32_t len, Error **errp)
{
    uint8_t *h = realloc(s->header_raw, len);

    if (!h) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory", s->filename);
    }
    if (len > s->header_length) {
        memset(h + s->header_length, 0, len - s->header_length);
    }
    s->header_raw = h;
    s->header_length = len;
    return 0;
}

static int downgrade(Qcow2State *s, Error **errp)
{
    bool zero_in_snapshots;
    int ret;

    if (s->refcount_order != 4) {
        return error_setg(errp, -ENOTSUP, "compat=0.10 requires refcount_bits=16");
    }
    if (s->incompat & ~QCOW2_INCOMPAT_DIRTY) {
        return error_setg(errp, -ENOTSUP,
                          "Cannot downgrade an image with incompatible features %#llx set",
                          (unsigned long long)(s->incompat & ~QCOW2_INCOMPAT_DIRTY));
    }
    ret = snapshots_have_zero(s, &zero_in_snapshots, errp);
    if (ret == 0 && zero_in_snapshots) {
        ret = error_setg(errp, -ENOTSUP,
                         "Cannot downgrade an image with zero clusters in internal "
                         "snapshots");
    }
    if (ret == 0) {
        ret = expand_zero_clusters(s, errp);
    }
    if (ret == 0) {
        ret = qcow2_barrier(s, errp);
    }
    if (ret == 0) {
        ret = qcow2_header_set_incompat(s, 0, QCOW2_INCOMPAT_DIRTY, errp);
        s->dirty_marked = false;
    }
    if (ret < 0) {
        return ret;
    }
    for (int i = 0; i < s->n_exts; i++) {
        if (s->exts[i].type == QCOW2_EXT_FEATURE_TABLE) {
            free(s->exts[i].data);
            s->exts[i--] = s->exts[--s->n_exts];
        }
    }
    s->version = 2;
    s->compat = 0;
    s->autoclear = 0;
    return set_header_length(s, QCOW2_V2_HEADER_LEN, errp);
}

/* v3 wants at least 16 bytes of snapshot extra data (with the disk size). */
static int upgrade_snapshot_extra(Qcow2State *s, Error **errp)
{
    bool changed = false;

    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        uint8_t *x;
        if (sn->extra_len >= 16) {
            continue;
        }
        x = calloc(1, SNAPSHOT_EXTRA_LEN);
        if (!x) {
            return error_setg(errp, -ENOMEM, "'%s': out of memory", s->filename);
        }
        qcow2_put_be64(x, s->snap_info[i].vm_state_size);
        qcow2_put_be64(x + 8, s->bs->total_size);
        free(sn->extra);
        sn->extra = x;
        sn->extra_len = SNAPSHOT_EXTRA_LEN;
        sn->disk_size = s->bs->total_size;
        sn->has_disk_size = true;
        changed = true;
    }
    return changed ? qcow2_snapshots_write(s, errp) : 0;
}

int qcow2_amend(BlockDriverState *bs, int version, int lazy_refcounts, Error **errp)
{
    Qcow2State *s = bs->opaque;
    int target = version ? version : (int)s->version;
    int ret = 0;

    if (target == 2 && lazy_refcounts == 1) {
        return error_setg(errp, -EINVAL,
                          "Lazy refcounts only supported with compatibility level 1.1 and "
                          "above (use compat=1.1 or greater)");
    }
    if (target == 2 && s->version == 2 && lazy_refcounts < 0) {
        return 0;
    }
    if (target == 2 && s->version == 3) {
        ret = downgrade(s, errp);
    } else if (target == 3) {
        if (s->version == 2) {
            ret = upgrade_snapshot_extra(s, errp);
            if (ret == 0) {
                ret = set_header_length(s, V3_HEADER_LEN, errp);
            }
            s->version = 3;
        }
        if (lazy_refcounts >= 0) {
            s->compat = lazy_refcounts ? s->compat | QCOW2_COMPAT_LAZY_REFCOUNTS
                                       : s->compat & ~QCOW2_COMPAT_LAZY_REFCOUNTS;
        }
        if (ret == 0) {
            ret = qcow2_barrier(s, errp);
        }
    }
    if (ret == 0) {
        ret = qcow2_header_write(s, errp);
    }
    if (ret == 0 && img_sync(s->bs, s->fd) < 0) {
        ret = error_setg(errp, -errno, "'%s': could not flush: %s", s->filename,
                         strerror(errno));
    }
    return ret;
}
