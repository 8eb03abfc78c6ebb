/*
 * qcow2-io.c — the fast paths of qcow2 data I/O: reads of runs of
 * allocated clusters and writes of runs of whole clusters, each with one
 * pread/pwrite per contiguous host range and no bounce buffer, done
 * without the image lock.
 *
 * The one thing to know: the lock is dropped only around the data I/O of
 * the request's own clusters (the generic layer keeps overlapping requests
 * and whole-image operations out meanwhile, see bs->serial_align). New
 * clusters are allocated one at a time, in guest order, exactly as the
 * cluster-by-cluster path would, so the image layout does not depend on
 * the path; their L2 entries are set only after the data is written.
 */
#include <errno.h>
#include <string.h>

#include "block/qcow2.h"

#define RUN_MAX 64 /* clusters per run: bounds the stack arrays and the lock hold */

static int data_error(Qcow2State *s, int ret, bool write, uint64_t host, Error **errp)
{
    return error_setg(errp, ret, "'%s': could not %s data at offset %#llx: %s", s->filename,
                      write ? "write" : "read", (unsigned long long)host, strerror(-ret));
}

int qcow2_read_data(Qcow2State *s, uint64_t offset, uint8_t *p, size_t len, bool may_unlock,
                    Error **errp)
{
    uint64_t sub = s->subcluster_size, cmask = s->cluster_size - 1;

    while (len > 0) {
        uint64_t in = offset & (sub - 1), host;
        size_t n = sub - in < len ? (size_t)(sub - in) : len;
        Qcow2ClusterType type;
        uint64_t entry;
        int ret = qcow2_get_cluster(s, offset, &type, &entry, errp);

        if (ret < 0) {
            return ret;
        }
        if (type != QCOW2_CLUSTER_NORMAL) {
            ret = qcow2_read_cluster_data(s, offset, type, entry, p, n, errp);
            if (ret < 0) {
                return ret;
            }
            p += n;
            offset += n;
            len -= n;
            continue;
        }
        /* Extend over following (sub)clusters stored right behind. */
        host = (entry & QCOW2_OFFSET_MASK) + (offset & cmask);
        while (n < len) {
            uint64_t g = offset + n;
            size_t m = sub < len - n ? (size_t)sub : len - n;
            ret = qcow2_get_cluster(s, g, &type, &entry, errp);
            if (ret < 0) {
                return ret;
            }
            if (type != QCOW2_CLUSTER_NORMAL ||
                (entry & QCOW2_OFFSET_MASK) + (g & cmask) != host + n) {
                break;
            }
            n += m;
        }
        if (may_unlock) {
            bdrv_io_unlock(s->bs);
        }
        ret = file_pread(s->fd, p, n, host);
        if (may_unlock) {
            bdrv_io_relock(s->bs);
        }
        if (ret < 0) {
            return data_error(s, ret, false, host, errp);
        }
        p += n;
        offset += n;
        len -= n;
    }
    return 0;
}

/* Host cluster for entry e of a whole-cluster write: the cluster itself if
 * it is ours alone, a new one if e has none; false when the general path
 * must handle it (compressed, shared, preallocated zero, subclusters). */
static int run_host(Qcow2State *s, uint64_t e, uint64_t *host, bool *fresh, bool *ok,
                    Error **errp)
{
    Qcow2ClusterType type;
    int ret;

    *ok = false;
    if (e & QCOW2_OFLAG_COMPRESSED) {
        return 0;
    }
    if (!(e & QCOW2_OFFSET_MASK)) {
        ret = qcow2_alloc_clusters(s, 1, host, errp);
        *fresh = true;
    } else {
        ret = qcow2_classify(s, e, 0, 0, &type, errp);
        if (ret < 0 || type != QCOW2_CLUSTER_NORMAL || !(e & QCOW2_OFLAG_COPIED)) {
            return ret;
        }
        *host = e & QCOW2_OFFSET_MASK;
        *fresh = false;
    }
    if (ret == 0) {
        ret = qcow2_check_overlap(s, *host, s->cluster_size, "data cluster", errp);
    }
    *ok = ret == 0;
    return ret;
}

int qcow2_write_run(Qcow2State *s, uint64_t guest_offset, const uint8_t *buf, uint64_t n,
                    bool may_unlock, uint64_t *done, Error **errp)
{
    uint64_t cs = s->cluster_size, hosts[RUN_MAX];
    bool fresh[RUN_MAX];
    size_t idx = qcow2_l2_index(s, guest_offset);
    uint64_t k = 0, i;
    uint8_t *l2;
    int ret;

    *done = 0;
    if (s->extended_l2 || (guest_offset & (cs - 1))) {
        return 0;
    }
    if (n > qcow2_l2_entries(s) - idx) {
        n = qcow2_l2_entries(s) - idx;
    }
    if (n > RUN_MAX) {
        n = RUN_MAX;
    }
    ret = qcow2_mark_dirty(s, errp);
    for (; ret == 0 && k < n; k++) {
        bool ok = false;
        /* Allocation may touch the caches: take the table again each time. */
        ret = qcow2_l2_get(s, guest_offset, true, true, &l2, errp);
        if (ret == 0) {
            ret = run_host(s, qcow2_l2_entry(s, l2, idx + k), &hosts[k], &fresh[k], &ok,
                           errp);
        }
        if (ret < 0 || !ok) {
            break;
        }
    }
    if (ret < 0 || k == 0) {
        return ret; /* clusters allocated before an error leak, as after a crash */
    }
    if (may_unlock) {
        bdrv_io_unlock(s->bs);
    }
    for (i = 0; i < k && ret == 0;) {
        uint64_t j = i + 1;
        while (j < k && hosts[j] == hosts[i] + (j - i) * cs) {
            j++;
        }
        ret = file_pwrite(s->fd, buf + i * cs, (size_t)((j - i) * cs), hosts[i]);
        if (ret < 0) {
            ret = data_error(s, ret, true, hosts[i], errp);
        }
        i = j;
    }
    if (may_unlock) {
        bdrv_io_relock(s->bs);
    }
    if (ret == 0) {
        ret = qcow2_l2_get(s, guest_offset, true, true, &l2, errp);
    }
    if (ret < 0) {
        return ret;
    }
    for (i = 0; i < k; i++) {
        if (fresh[i]) {
            qcow2_l2_set_entry(s, l2, idx + i, hosts[i] | QCOW2_OFLAG_COPIED);
        }
    }
    qcow2_cache_mark_dirty(&s->l2_cache, l2);
    *done = k * cs;
    return 0;
}
