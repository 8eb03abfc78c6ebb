/*
 * qcow2-snapshot-refs.c — walking one L1 table's tree (L2 tables and data
 * clusters) to add or drop the references a snapshot holds, and to set
 * the COPIED flag where a cluster ends up with a single reference.
 *
 * The one thing to know: refcounts are kept per path, as qemu does: a data
 * cluster in an L2 table shared by two L1 tables has refcount 2, so a
 * whole tree is counted once per L1 table that reaches it. Callers order
 * the walks so that refcounts on disk never drop below the references on
 * disk (increments before the new reference, decrements after a barrier
 * that removed the old one).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"

/* Refcount += delta; an increment past the refcount width is an error
 * (the image is not corrupt: the snapshot does not fit). */
static int add(Qcow2State *s, uint64_t cluster, int delta, Error **errp)
{
    uint64_t rc;
    int ret = 0;

    if (delta > 0) {
        ret = qcow2_refcount_get(s, cluster, &rc, errp);
        if (ret == 0 && rc >= qcow2_refcount_max(s)) {
            return error_setg(errp, -ERANGE,
                              "'%s': refcount of cluster %llu would exceed %u bits",
                              s->filename, (unsigned long long)cluster, s->refcount_bits);
        }
    }
    return ret < 0 ? ret : qcow2_refcount_update(s, cluster, delta, errp);
}

/* Updates the refcounts of what one L2 entry points at; *rc is the
 * resulting refcount (2 for compressed clusters, which are never COPIED). */
static int update_entry(Qcow2State *s, uint64_t e, int delta, uint64_t *rc, Error **errp)
{
    uint64_t host = e & QCOW2_OFFSET_MASK;
    int ret;

    *rc = 0;
    if (e & QCOW2_OFLAG_COMPRESSED) {
        uint64_t off, len;
        qcow2_compressed_range(s, e, &off, &len);
        uint64_t first = off >> s->cluster_bits, last = (off + len - 1) >> s->cluster_bits;
        if (off < s->cluster_size || last >= s->end_cluster) {
            return qcow2_signal_corruption(s, errp,
                                           "compressed cluster at offset %#llx is outside "
                                           "the file's data area",
                                           (unsigned long long)off);
        }
        for (uint64_t c = first; c <= last && delta; c++) {
            ret = add(s, c, delta, errp);
            if (ret < 0) {
                return ret;
            }
        }
        *rc = 2;
        return 0;
    }
    if (!host) {
        return 0;
    }
    ret = qcow2_check_table_offset(s, host, "data cluster", errp);
    if (ret == 0 && delta) {
        ret = add(s, host >> s->cluster_bits, delta, errp);
    }
    if (ret == 0) {
        ret = qcow2_refcount_get(s, host >> s->cluster_bits, rc, errp);
    }
    return ret;
}

/* One L2 table: its entries' refcounts and COPIED flags. */
static int update_l2(Qcow2State *s, uint64_t off, int delta, uint8_t *buf, Error **errp)
{
    uint8_t *l2;
    bool changed = false;
    int ret = qcow2_cache_get(s, &s->l2_cache, off, &l2, errp);

    if (ret < 0) {
        return ret;
    }
    memcpy(buf, l2, s->cluster_size);
    for (uint64_t j = 0; j < qcow2_l2_entries(s); j++) {
        uint64_t e = qcow2_l2_entry(s, buf, j), ne = e & ~QCOW2_OFLAG_COPIED, rc;

        ret = update_entry(s, e, delta, &rc, errp);
        if (ret < 0) {
            return ret;
        }
        if (!(e & QCOW2_OFLAG_COMPRESSED) && (e & QCOW2_OFFSET_MASK) && rc == 1) {
            ne |= QCOW2_OFLAG_COPIED;
        }
        if (!(e & QCOW2_OFFSET_MASK) && !(e & QCOW2_OFLAG_COMPRESSED)) {
            ne = e;
        }
        if (ne != e) {
            qcow2_l2_set_entry(s, buf, j, ne);
            changed = true;
        }
    }
    if (!changed) {
        return 0;
    }
    ret = qcow2_cache_get(s, &s->l2_cache, off, &l2, errp);
    if (ret == 0) {
        memcpy(l2, buf, s->cluster_size);
        qcow2_cache_mark_dirty(&s->l2_cache, l2);
    }
    return ret;
}

int qcow2_update_tree_refcounts(Qcow2State *s, uint64_t *l1, uint32_t l1_size, int delta,
                                bool *l1_changed, Error **errp)
{
    uint8_t *buf = malloc(s->cluster_size);
    int ret = 0;

    *l1_changed = false;
    if (!buf) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory", s->filename);
    }
    for (uint32_t i = 0; i < l1_size && ret == 0; i++) {
        uint64_t off = l1[i] & QCOW2_OFFSET_MASK, rc = 0, ne;

        if (!off) {
            continue;
        }
        ret = qcow2_check_table_offset(s, off, "L2 table", errp);
        if (ret == 0) {
            ret = update_l2(s, off, delta, buf, errp);
        }
        if (ret == 0 && delta) {
            ret = add(s, off >> s->cluster_bits, delta, errp);
        }
        if (ret == 0) {
            ret = qcow2_refcount_get(s, off >> s->cluster_bits, &rc, errp);
        }
        ne = (l1[i] & ~QCOW2_OFLAG_COPIED) | (rc == 1 ? QCOW2_OFLAG_COPIED : 0);
        if (ret == 0 && ne != l1[i]) {
            l1[i] = ne;
            *l1_changed = true;
        }
    }
    free(buf);
    return ret;
}

/* Refcount of cluster must leave room for `more` references. */
static int room(Qcow2State *s, uint64_t cluster, uint64_t more, Error **errp)
{
    uint64_t rc;
    int ret = qcow2_refcount_get(s, cluster, &rc, errp);

    if (ret == 0 && (rc > qcow2_refcount_max(s) || more > qcow2_refcount_max(s) - rc)) {
        ret = error_setg(errp, -ERANGE, "'%s': refcount of cluster %llu would exceed %u bits",
                         s->filename, (unsigned long long)cluster, s->refcount_bits);
    }
    return ret;
}

int qcow2_tree_check_room(Qcow2State *s, const uint64_t *l1, uint32_t l1_size, Error **errp)
{
    int ret = 0;

    for (uint32_t i = 0; i < l1_size && ret == 0; i++) {
        uint64_t off = l1[i] & QCOW2_OFFSET_MASK;
        uint8_t *l2;

        if (!off) {
            continue;
        }
        ret = qcow2_check_table_offset(s, off, "L2 table", errp);
        if (ret == 0) {
            ret = room(s, off >> s->cluster_bits, 1, errp);
        }
        if (ret == 0) {
            /* Stays valid: only the refcount cache is used below. */
            ret = qcow2_cache_get(s, &s->l2_cache, off, &l2, errp);
        }
        for (uint64_t j = 0; ret == 0 && j < qcow2_l2_entries(s); j++) {
            uint64_t e = qcow2_l2_entry(s, l2, j);
            if (e & QCOW2_OFLAG_COMPRESSED) {
                /* One reference per compressed cluster in a host cluster:
                 * a tree at most doubles it. */
                uint64_t coff, clen, rc;
                qcow2_compressed_range(s, e, &coff, &clen);
                for (uint64_t c = coff >> s->cluster_bits;
                     ret == 0 && c <= (coff + clen - 1) >> s->cluster_bits; c++) {
                    ret = qcow2_refcount_get(s, c, &rc, errp);
                    if (ret == 0) {
                        ret = room(s, c, rc ? rc : 1, errp);
                    }
                }
            } else if (e & QCOW2_OFFSET_MASK) {
                ret = room(s, (e & QCOW2_OFFSET_MASK) >> s->cluster_bits, 1, errp);
            }
        }
    }
    return ret;
}
