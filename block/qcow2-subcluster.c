/*
 * qcow2-subcluster.c — writing to images with extended L2 entries: each
 * cluster has 32 subclusters, each allocated (data in the host cluster at
 * the same offset), zero, or unallocated (read from the backing file).
 *
 * The one thing to know: a write touches whole subclusters only. In a host
 * cluster that is ours alone (COPIED) the touched subclusters are written
 * in place; otherwise a new host cluster gets the touched subclusters plus
 * every allocated subcluster of a shared or compressed old cluster, and
 * only then does the L2 entry change (in the cache; a barrier writes it).
 * Untouched subclusters keep their state, so no backing data is copied
 * that the write does not need.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"

#define ALLOC_MASK 0xffffffffULL

/* Fills sub[0, n) of the cluster at guest `start` with its current
 * content, subcluster by subcluster, for the subclusters in `want`. */
static int read_current(Qcow2State *s, uint64_t start, uint64_t e, uint64_t bitmap,
                        uint32_t want, uint8_t *cluster, Error **errp)
{
    uint64_t scs = s->subcluster_size;

    for (unsigned k = 0; k < QCOW2_SUBCLUSTERS; k++) {
        uint64_t g = start + k * scs;
        Qcow2ClusterType type;
        int ret;

        if (!(want & (1u << k)) || g >= s->bs->total_size) {
            continue;
        }
        ret = qcow2_classify(s, e, bitmap, k, &type, errp);
        if (ret == 0 && type != QCOW2_CLUSTER_ZERO) {
            uint64_t n = s->bs->total_size - g < scs ? s->bs->total_size - g : scs;
            ret = qcow2_read_cluster_data(s, g, type, e, cluster + k * scs, (size_t)n, errp);
        }
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

static int write_host(Qcow2State *s, const uint8_t *data, uint64_t len, uint64_t host,
                      Error **errp)
{
    int ret = file_pwrite(s->fd, data, len, host);

    if (ret < 0) {
        return error_setg(errp, ret, "'%s': could not write data at offset %#llx: %s",
                          s->filename, (unsigned long long)host, strerror(-ret));
    }
    return 0;
}

int qcow2_write_subclusters(Qcow2State *s, uint64_t guest_offset, const uint8_t *buf,
                            size_t len, Error **errp)
{
    uint64_t cs = s->cluster_size, scs = s->subcluster_size;
    uint64_t in = guest_offset & (cs - 1), start = guest_offset - in;
    unsigned first = (unsigned)(in / scs), last = (unsigned)((in + len - 1) / scs);
    uint32_t range = (uint32_t)(((2ULL << last) - 1) & ~((1ULL << first) - 1));
    size_t idx = qcow2_l2_index(s, guest_offset);
    uint64_t e, bitmap, new_bitmap, host, old_host;
    uint32_t keep, partial = 0;
    bool in_place, compressed;
    uint8_t *l2, *cluster;
    Qcow2ClusterType type;
    int ret = qcow2_mark_dirty(s, errp);

    if (ret == 0) {
        ret = qcow2_l2_get(s, guest_offset, true, true, &l2, errp);
    }
    if (ret < 0) {
        return ret;
    }
    e = qcow2_l2_entry(s, l2, idx);
    bitmap = qcow2_l2_bitmap(s, l2, idx);
    ret = qcow2_classify(s, e, bitmap, first, &type, errp);
    if (ret < 0) {
        return ret;
    }
    compressed = (e & QCOW2_OFLAG_COMPRESSED) != 0;
    old_host = compressed ? 0 : e & QCOW2_OFFSET_MASK;
    in_place = old_host && (e & QCOW2_OFLAG_COPIED);
    if (old_host) {
        ret = qcow2_check_table_offset(s, old_host, "data cluster", errp);
        if (ret < 0) {
            return ret;
        }
    }
    /* Subclusters carried over from a cluster we cannot write in place. */
    keep = compressed ? (uint32_t)ALLOC_MASK
                      : in_place ? 0 : (uint32_t)(bitmap & ALLOC_MASK) & ~range;
    if (in % scs) {
        partial |= 1u << first;
    }
    if ((in + len) % scs) {
        partial |= 1u << last;
    }
    cluster = calloc(1, cs);
    if (!cluster) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory", s->filename);
    }
    ret = read_current(s, start, e, bitmap, keep | partial, cluster, errp);
    if (ret == 0) {
        memcpy(cluster + in, buf, len);
        host = old_host;
        if (!in_place) {
            ret = qcow2_alloc_clusters(s, 1, &host, errp);
        }
    }
    if (ret == 0) {
        ret = qcow2_check_overlap(s, host, cs, "data cluster", errp);
    }
    if (ret == 0 && (keep & ~range)) {
        ret = write_host(s, cluster, cs, host, errp); /* whole copied cluster */
    } else if (ret == 0) {
        ret = write_host(s, cluster + first * scs, (uint64_t)(last - first + 1) * scs,
                         host + first * scs, errp);
    }
    free(cluster);
    if (ret == 0) {
        ret = qcow2_l2_get(s, guest_offset, true, true, &l2, errp); /* cache may have moved */
    }
    if (ret < 0) {
        return ret;
    }
    new_bitmap = compressed ? ALLOC_MASK
                            : ((bitmap & ALLOC_MASK) | range) |
                                  (bitmap & ~ALLOC_MASK & ~((uint64_t)range << 32));
    qcow2_l2_set_entry(s, l2, idx, host | QCOW2_OFLAG_COPIED);
    qcow2_l2_set_bitmap(s, l2, idx, new_bitmap);
    qcow2_cache_mark_dirty(&s->l2_cache, l2);
    if (!in_place && (compressed || old_host)) {
        ret = qcow2_barrier(s, errp);
        if (ret == 0) {
            ret = qcow2_free_entry(s, e, errp);
        }
    }
    return ret;
}
