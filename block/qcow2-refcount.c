/*
 * qcow2-refcount.c — refcount blocks and the refcount table: reading and
 * changing refcounts, allocating and freeing host clusters, growing the
 * refcount table.
 *
 * The one thing to know: allocation never needs a cluster that it has not
 * yet counted. A missing refcount block is placed in the first free
 * cluster it describes (it counts itself); a grown refcount table goes at
 * the end of the file followed by the new blocks that describe it, all
 * written and synced before the header points at the new table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/qcow2.h"

static uint64_t entry_get(const Qcow2State *s, const uint8_t *block, uint64_t i)
{
    uint32_t bits = s->refcount_bits;

    switch (bits) {
    case 8:
        return block[i];
    case 16:
        return (uint64_t)block[2 * i] << 8 | block[2 * i + 1];
    case 32:
        return qcow2_be32(block + 4 * i);
    case 64:
        return qcow2_be64(block + 8 * i);
    default: {
        uint64_t bit = i * bits;
        return (block[bit / 8] >> (bit % 8)) & ((1u << bits) - 1);
    }
    }
}

static void entry_set(const Qcow2State *s, uint8_t *block, uint64_t i, uint64_t v)
{
    uint32_t bits = s->refcount_bits;

    switch (bits) {
    case 8:
        block[i] = (uint8_t)v;
        break;
    case 16:
        block[2 * i] = (uint8_t)(v >> 8);
        block[2 * i + 1] = (uint8_t)v;
        break;
    case 32:
        qcow2_put_be32(block + 4 * i, (uint32_t)v);
        break;
    case 64:
        qcow2_put_be64(block + 8 * i, v);
        break;
    default: {
        uint64_t bit = i * bits;
        uint8_t mask = (uint8_t)(((1u << bits) - 1) << (bit % 8));
        block[bit / 8] = (uint8_t)((block[bit / 8] & ~mask) | ((v << (bit % 8)) & mask));
    }
    }
}

uint64_t qcow2_refcount_max(const Qcow2State *s)
{
    return s->refcount_bits == 64 ? UINT64_MAX : (1ULL << s->refcount_bits) - 1;
}

/* The refcount block for cluster, or *block NULL when there is none. */
static int get_block(Qcow2State *s, uint64_t cluster, uint8_t **block, Error **errp)
{
    uint64_t r = cluster / s->refblock_entries;
    uint64_t off;
    int ret;

    *block = NULL;
    if (r >= s->rt_size) {
        return 0;
    }
    off = s->rt[r] & QCOW2_RT_OFFSET_MASK;
    if (!off) {
        return 0;
    }
    ret = qcow2_check_table_offset(s, off, "refcount block", errp);
    if (ret < 0) {
        return ret;
    }
    return qcow2_cache_get(s, &s->rb_cache, off, block, errp);
}

int qcow2_refcount_get(Qcow2State *s, uint64_t cluster, uint64_t *refcount, Error **errp)
{
    uint8_t *block;
    int ret = get_block(s, cluster, &block, errp);

    if (ret < 0) {
        return ret;
    }
    *refcount = block ? entry_get(s, block, cluster % s->refblock_entries) : 0;
    return 0;
}

int qcow2_refcount_update(Qcow2State *s, uint64_t cluster, int delta, Error **errp)
{
    uint8_t *block;
    uint64_t v;
    int ret = get_block(s, cluster, &block, errp);

    if (ret < 0) {
        return ret;
    }
    if (!block) {
        return qcow2_signal_corruption(s, errp, "cluster %llu has no refcount block",
                                       (unsigned long long)cluster);
    }
    v = entry_get(s, block, cluster % s->refblock_entries);
    if ((delta < 0 && v < (uint64_t)-delta) ||
        (delta > 0 && v > qcow2_refcount_max(s) - (uint64_t)delta)) {
        return qcow2_signal_corruption(s, errp, "refcount of cluster %llu (%llu) %s",
                                       (unsigned long long)cluster, (unsigned long long)v,
                                       delta < 0 ? "would drop below zero" : "overflows");
    }
    v += (uint64_t)(int64_t)delta;
    entry_set(s, block, cluster % s->refblock_entries, v);
    qcow2_cache_mark_dirty(&s->rb_cache, block);
    if (v == 0) {
        if (cluster < s->free_hint) {
            s->free_hint = cluster;
        }
        qcow2_cache_discard(&s->l2_cache, cluster << s->cluster_bits);
    }
    return 0;
}

/* Puts a new refcount block for range r into cluster idx (inside r). */
static int create_block(Qcow2State *s, uint64_t r, uint64_t idx, Error **errp)
{
    uint64_t off = idx << s->cluster_bits;
    uint8_t be[8];
    uint8_t *block;
    int ret = qcow2_check_overlap(s, off, s->cluster_size, "new refcount block", errp);

    if (ret == 0) {
        ret = qcow2_cache_get_empty(s, &s->rb_cache, off, &block, errp);
    }
    if (ret < 0) {
        return ret;
    }
    entry_set(s, block, idx % s->refblock_entries, 1);
    ret = file_pwrite(s->fd, block, s->cluster_size, off);
    if (ret == 0 && img_sync(s->bs, s->fd) < 0) {
        ret = -errno;
    }
    if (ret == 0) {
        qcow2_put_be64(be, off);
        ret = file_pwrite(s->fd, be, 8, s->rt_offset + r * 8);
    }
    if (ret < 0) {
        return error_setg(errp, ret, "'%s': could not write a refcount block: %s",
                          s->filename, strerror(-ret));
    }
    s->rt[r] = off;
    if (idx + 1 > s->end_cluster) {
        s->end_cluster = idx + 1;
    }
    return 0;
}

static bool range_missing(const Qcow2State *s, uint64_t r)
{
    return r >= s->rt_size || !(s->rt[r] & QCOW2_RT_OFFSET_MASK);
}

static uint64_t count_missing(const Qcow2State *s, uint64_t first, uint64_t end)
{
    uint64_t n = 0;

    for (uint64_t r = first / s->refblock_entries; r <= (end - 1) / s->refblock_entries;
         r++) {
        n += range_missing(s, r);
    }
    return n;
}

/* Replaces the refcount table by one with at least min_entries entries. */
static int grow_table(Qcow2State *s, uint64_t min_entries, Error **errp)
{
    uint64_t cs = s->cluster_size, rbe = s->refblock_entries;
    uint64_t entries = s->rt_size * 2 > min_entries ? s->rt_size * 2 : min_entries;
    uint64_t t = s->end_cluster, clusters, nb, end;
    uint64_t *newrt = NULL;
    uint8_t *blocks = NULL, *raw = NULL;
    uint64_t old_off = s->rt_offset, old_clusters = s->rt_clusters;
    uint8_t hdr[12];
    int ret = 0;

    for (;;) {
        clusters = (entries * 8 + cs - 1) / cs;
        nb = 0;
        for (;;) {
            uint64_t m = count_missing(s, t, t + clusters + nb);
            if (m == nb) {
                break;
            }
            nb = m;
        }
        end = t + clusters + nb;
        if ((end - 1) / rbe < entries) {
            break;
        }
        entries = (end - 1) / rbe + 1;
    }
    if (clusters * cs > QCOW2_MAX_RT_BYTES) {
        return error_setg(errp, -EFBIG, "'%s': the refcount table would exceed %u bytes",
                          s->filename, QCOW2_MAX_RT_BYTES);
    }
    entries = clusters * cs / 8;
    newrt = calloc(entries, 8);
    blocks = calloc(nb ? nb : 1, cs);
    raw = calloc(clusters, cs);
    if (!newrt || !blocks || !raw) {
        ret = error_setg(errp, -ENOMEM, "'%s': out of memory", s->filename);
        goto out;
    }
    memcpy(newrt, s->rt, s->rt_size * 8);
    for (uint64_t r = t / rbe, k = 0; r <= (end - 1) / rbe; r++) {
        if (range_missing(s, r)) {
            newrt[r] = (t + clusters + k++) << s->cluster_bits;
        }
    }
    for (uint64_t c = t; c < end; c++) {
        uint64_t r = c / rbe;
        if (range_missing(s, r)) {
            uint64_t k = (newrt[r] >> s->cluster_bits) - (t + clusters);
            entry_set(s, blocks + k * cs, c % rbe, 1);
        } else {
            ret = qcow2_refcount_update(s, c, 1, errp);
            if (ret < 0) {
                goto out;
            }
        }
    }
    for (uint64_t i = 0; i < entries; i++) {
        qcow2_put_be64(raw + i * 8, newrt[i]);
    }
    ret = nb ? file_pwrite(s->fd, blocks, nb * cs, (t + clusters) * cs) : 0;
    if (ret == 0) {
        ret = file_pwrite(s->fd, raw, clusters * cs, t * cs);
    }
    if (ret < 0) {
        ret = error_setg(errp, ret, "'%s': could not write the new refcount table: %s",
                         s->filename, strerror(-ret));
        goto out;
    }
    ret = qcow2_cache_write_back(s, &s->rb_cache, errp);
    if (ret < 0) {
        goto out;
    }
    qcow2_put_be64(hdr, t * cs);
    qcow2_put_be32(hdr + 8, (uint32_t)clusters);
    if (img_sync(s->bs, s->fd) < 0 || file_pwrite(s->fd, hdr, 12, 48) < 0 ||
        img_sync(s->bs, s->fd) < 0) {
        ret = error_setg(errp, -EIO, "'%s': could not switch to the new refcount table",
                         s->filename);
        goto out;
    }
    free(s->rt);
    s->rt = newrt;
    newrt = NULL;
    s->rt_size = entries;
    s->rt_offset = t * cs;
    s->rt_clusters = (uint32_t)clusters;
    s->end_cluster = end;
    ret = qcow2_free_clusters(s, old_off, old_clusters, errp);
out:
    free(newrt);
    free(blocks);
    free(raw);
    return ret;
}

int qcow2_alloc_clusters(Qcow2State *s, uint64_t n, uint64_t *offset, Error **errp)
{
    uint64_t limit = (QCOW2_OFFSET_MASK >> s->cluster_bits) + 1;
    uint64_t idx = s->free_hint, start = idx, run = 0;
    bool from_hint = true;
    int ret;

    while (run < n) {
        uint64_t r = idx / s->refblock_entries, rc;

        if (idx >= limit) {
            return error_setg(errp, -ENOSPC, "'%s': no free cluster left in the image",
                              s->filename);
        }
        if (r >= s->rt_size) {
            ret = grow_table(s, r + 1, errp);
            if (ret < 0) {
                return ret;
            }
            idx = start;
            run = 0;
            continue;
        }
        if (range_missing(s, r)) {
            ret = create_block(s, r, idx, errp);
            if (ret < 0) {
                return ret;
            }
            rc = 1;
        } else {
            ret = qcow2_refcount_get(s, idx, &rc, errp);
            if (ret < 0) {
                return ret;
            }
        }
        if (rc == 0) {
            run++;
        } else {
            from_hint = from_hint && run == 0; /* a skipped free run stays free */
            run = 0;
            start = idx + 1;
            if (from_hint) {
                s->free_hint = start;
            }
        }
        idx++;
    }
    for (uint64_t c = start; c < start + n; c++) {
        ret = qcow2_check_overlap(s, c << s->cluster_bits, s->cluster_size,
                                  "free cluster", errp);
        if (ret == 0) {
            ret = qcow2_refcount_update(s, c, 1, errp);
        }
        if (ret < 0) {
            return ret;
        }
    }
    if (from_hint && n == 1) {
        s->free_hint = start + 1;
    }
    if (start + n > s->end_cluster) {
        s->end_cluster = start + n;
    }
    *offset = start << s->cluster_bits;
    return 0;
}

int qcow2_free_clusters(Qcow2State *s, uint64_t offset, uint64_t n, Error **errp)
{
    for (uint64_t c = offset >> s->cluster_bits; n > 0; c++, n--) {
        int ret = qcow2_refcount_update(s, c, -1, errp);
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}
