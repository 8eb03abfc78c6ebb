/*
 * qcow2-cluster.c — guest cluster to host cluster mapping through the L1
 * and L2 tables: lookup, reading one cluster's data, writing with
 * copy-on-write, discard.
 *
 * The one thing to know: a write that needs a new host cluster writes the
 * whole cluster (old content from the backing file, zeros, or the old
 * cluster, overlaid with the new bytes) before the L2 entry changes in the
 * cache; the L2 entry only reaches the disk through a barrier, so a crash
 * never exposes an L2 entry pointing at unwritten data.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/qcow2.h"

void qcow2_compressed_range(const Qcow2State *s, uint64_t entry, uint64_t *offset,
                            uint64_t *len)
{
    uint32_t x = 62 - (s->cluster_bits - 8);
    uint64_t off = entry & ((1ULL << x) - 1);
    uint64_t sectors = ((entry >> x) & ((1ULL << (62 - x)) - 1)) + 1;

    *offset = off;
    *len = sectors * 512 - (off & 511);
}

/* Gives L1 entry l1i a private copy of its shared L2 table (COPIED clear:
 * a snapshot holds it too). The copy and the new L1 entry reach the disk
 * before the old table loses this reference. */
static int l2_copy_on_write(Qcow2State *s, uint64_t l1i, Error **errp)
{
    uint64_t old = s->l1[l1i] & QCOW2_OFFSET_MASK, off;
    uint8_t *buf = malloc(s->cluster_size), *l2;
    int ret = buf ? qcow2_cache_get(s, &s->l2_cache, old, &l2, errp)
                  : error_setg(errp, -ENOMEM, "'%s': out of memory", s->filename);

    if (ret == 0) {
        memcpy(buf, l2, s->cluster_size);
        ret = qcow2_alloc_clusters(s, 1, &off, errp);
    }
    if (ret == 0) {
        ret = qcow2_cache_get_empty(s, &s->l2_cache, off, &l2, errp);
    }
    if (ret == 0) {
        memcpy(l2, buf, s->cluster_size);
        s->l1[l1i] = off | QCOW2_OFLAG_COPIED;
        s->l1_dirty = true;
        ret = qcow2_barrier(s, errp);
    }
    if (ret == 0) {
        ret = qcow2_free_clusters(s, old, 1, errp);
    }
    free(buf);
    return ret;
}

int qcow2_l2_get(Qcow2State *s, uint64_t guest_offset, bool alloc, bool modify,
                 uint8_t **l2, Error **errp)
{
    uint64_t l1i = guest_offset >> (s->cluster_bits + s->l2_bits);
    uint64_t off;
    int ret;

    *l2 = NULL;
    if (l1i >= s->l1_size) {
        if (alloc) {
            return error_setg(errp, -EIO, "'%s': L1 table too small for offset %llu",
                              s->filename, (unsigned long long)guest_offset);
        }
        return 0;
    }
    off = s->l1[l1i] & QCOW2_OFFSET_MASK;
    if (off) {
        ret = qcow2_check_table_offset(s, off, "L2 table", errp);
        if (ret == 0 && modify && !(s->l1[l1i] & QCOW2_OFLAG_COPIED)) {
            ret = l2_copy_on_write(s, l1i, errp);
            off = s->l1[l1i] & QCOW2_OFFSET_MASK;
        }
        return ret < 0 ? ret : qcow2_cache_get(s, &s->l2_cache, off, l2, errp);
    }
    if (!alloc) {
        return 0;
    }
    ret = qcow2_alloc_clusters(s, 1, &off, errp);
    if (ret < 0) {
        return ret;
    }
    ret = qcow2_cache_get_empty(s, &s->l2_cache, off, l2, errp);
    if (ret < 0) {
        return ret;
    }
    s->l1[l1i] = off | QCOW2_OFLAG_COPIED;
    s->l1_dirty = true;
    return 0;
}

size_t qcow2_l2_index(const Qcow2State *s, uint64_t guest_offset)
{
    return (size_t)((guest_offset >> s->cluster_bits) & (qcow2_l2_entries(s) - 1));
}

/* Extended L2: the type of subcluster sc from the entry's bitmap. */
static int classify_subcluster(Qcow2State *s, uint64_t e, uint64_t bitmap, unsigned sc,
                               Qcow2ClusterType *type, Error **errp)
{
    uint32_t alloc = (uint32_t)bitmap, zero = (uint32_t)(bitmap >> 32);

    if (alloc & zero) {
        return qcow2_signal_corruption(s, errp,
                                       "subcluster bitmap %#llx marks subclusters both "
                                       "allocated and zero",
                                       (unsigned long long)bitmap);
    }
    if (alloc && !(e & QCOW2_OFFSET_MASK)) {
        return qcow2_signal_corruption(s, errp,
                                       "subcluster bitmap %#llx marks subclusters allocated "
                                       "in an unallocated cluster",
                                       (unsigned long long)bitmap);
    }
    if (zero & (1u << sc)) {
        *type = QCOW2_CLUSTER_ZERO;
    } else if (alloc & (1u << sc)) {
        *type = QCOW2_CLUSTER_NORMAL;
        return qcow2_check_table_offset(s, e & QCOW2_OFFSET_MASK, "data cluster", errp);
    } else {
        *type = QCOW2_CLUSTER_UNALLOCATED;
    }
    return 0;
}

int qcow2_classify(Qcow2State *s, uint64_t e, uint64_t bitmap, unsigned sc,
                   Qcow2ClusterType *type, Error **errp)
{
    if (e & QCOW2_OFLAG_COMPRESSED) {
        *type = QCOW2_CLUSTER_COMPRESSED;
        return 0;
    }
    if (s->extended_l2) {
        return classify_subcluster(s, e, bitmap, sc, type, errp);
    }
    if (s->version >= 3 && (e & QCOW2_OFLAG_ZERO)) {
        *type = QCOW2_CLUSTER_ZERO;
        return 0;
    }
    if (!(e & QCOW2_OFFSET_MASK)) {
        *type = QCOW2_CLUSTER_UNALLOCATED;
        return 0;
    }
    *type = QCOW2_CLUSTER_NORMAL;
    return qcow2_check_table_offset(s, e & QCOW2_OFFSET_MASK, "data cluster", errp);
}

int qcow2_get_cluster(Qcow2State *s, uint64_t guest_offset, Qcow2ClusterType *type,
                      uint64_t *entry, Error **errp)
{
    uint8_t *l2;
    size_t idx = qcow2_l2_index(s, guest_offset);
    unsigned sc = (unsigned)((guest_offset & (s->cluster_size - 1)) / s->subcluster_size);
    int ret = qcow2_l2_get(s, guest_offset, false, false, &l2, errp);

    *type = QCOW2_CLUSTER_UNALLOCATED;
    *entry = 0;
    if (ret < 0 || !l2) {
        return ret;
    }
    *entry = qcow2_l2_entry(s, l2, idx);
    return qcow2_classify(s, *entry, qcow2_l2_bitmap(s, l2, idx), sc, type, errp);
}

static int read_compressed(Qcow2State *s, uint64_t entry, Error **errp)
{
    uint64_t off, len;
    int64_t fsize = file_size(s->fd);
    uint8_t *src;
    int ret;

    if (s->cbuf_entry == entry) {
        return 0;
    }
    qcow2_compressed_range(s, entry, &off, &len);
    if (fsize < 0 || off >= (uint64_t)fsize || off < s->cluster_size) {
        return qcow2_signal_corruption(s, errp,
                                       "compressed cluster at offset %#llx is outside the "
                                       "file's data area",
                                       (unsigned long long)off);
    }
    src = calloc(1, len);
    if (!src) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory", s->filename);
    }
    /* The last compressed cluster may end before its last sector. */
    ret = file_pread(s->fd, src, len < (uint64_t)fsize - off ? len : (uint64_t)fsize - off,
                     off);
    if (ret == 0) {
        ret = qcow2_decompress(s->compression_type, src, len, s->cbuf, s->cluster_size);
        if (ret < 0) {
            ret = error_setg(errp, -EIO,
                             "'%s': could not decompress the cluster at offset %#llx",
                             s->filename, (unsigned long long)off);
        }
    } else {
        ret = error_setg(errp, ret, "'%s': could not read a compressed cluster: %s",
                         s->filename, strerror(-ret));
    }
    free(src);
    s->cbuf_entry = ret < 0 ? 0 : entry;
    return ret;
}

int qcow2_read_cluster_data(Qcow2State *s, uint64_t guest_offset, Qcow2ClusterType type,
                            uint64_t entry, uint8_t *buf, size_t len, Error **errp)
{
    uint64_t in = guest_offset & (s->cluster_size - 1);
    int ret;

    switch (type) {
    case QCOW2_CLUSTER_UNALLOCATED:
        return bdrv_read_backing(s->bs, guest_offset, buf, len, errp);
    case QCOW2_CLUSTER_ZERO:
        memset(buf, 0, len);
        return 0;
    case QCOW2_CLUSTER_COMPRESSED:
        ret = read_compressed(s, entry, errp);
        if (ret == 0) {
            memcpy(buf, s->cbuf + in, len);
        }
        return ret;
    case QCOW2_CLUSTER_NORMAL:
        ret = file_pread(s->fd, buf, len, (entry & QCOW2_OFFSET_MASK) + in);
        if (ret < 0) {
            return error_setg(errp, ret, "'%s': could not read data at offset %#llx: %s",
                              s->filename, (unsigned long long)(entry & QCOW2_OFFSET_MASK),
                              strerror(-ret));
        }
        return 0;
    }
    return -EINVAL;
}

int qcow2_free_entry(Qcow2State *s, uint64_t e, Error **errp)
{
    if (e & QCOW2_OFLAG_COMPRESSED) {
        uint64_t off, len;
        qcow2_compressed_range(s, e, &off, &len);
        uint64_t first = off >> s->cluster_bits, last = (off + len - 1) >> s->cluster_bits;
        if (s->cbuf_entry == e) {
            s->cbuf_entry = 0;
        }
        return qcow2_free_clusters(s, first << s->cluster_bits, last - first + 1, errp);
    }
    if (e & QCOW2_OFFSET_MASK) {
        return qcow2_free_clusters(s, e & QCOW2_OFFSET_MASK, 1, errp);
    }
    return 0;
}

static int write_error(Qcow2State *s, int ret, uint64_t host, Error **errp)
{
    return error_setg(errp, ret, "'%s': could not write data at offset %#llx: %s",
                      s->filename, (unsigned long long)host, strerror(-ret));
}

/* Whether the backing file has content for the cluster at guest offset
 * start (else an unallocated cluster reads as zeros). */
static bool backing_covers(const Qcow2State *s, uint64_t start)
{
    return s->bs->backing && start < s->bs->backing->total_size;
}

/* New host cluster past the old end of the file, old content zeros: the
 * new bytes go in place and the rest stays a hole; the file is extended
 * over the whole cluster, so that it can be read. The file never extends
 * past end_cluster, so this only ever grows it. */
static int write_fresh(Qcow2State *s, uint64_t host, uint64_t in, const uint8_t *buf,
                       size_t len, Error **errp)
{
    int ret = file_pwrite(s->fd, buf, len, host + in);

    if (ret == 0 && in + len < s->cluster_size &&
        ftruncate(s->fd, (off_t)(host + s->cluster_size)) < 0) {
        ret = -errno;
    }
    return ret < 0 ? write_error(s, ret, host, errp) : 0;
}

/* Writes the whole new host cluster: the old content of the guest cluster
 * at start (type, entry e) overlaid with the new bytes. */
static int write_whole(Qcow2State *s, uint64_t host, uint64_t start, Qcow2ClusterType type,
                       uint64_t e, uint64_t in, const uint8_t *buf, size_t len,
                       Error **errp)
{
    uint8_t *cluster = malloc(s->cluster_size);
    int ret = 0;

    if (!cluster) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory", s->filename);
    }
    if (len < s->cluster_size) {
        uint64_t avail = s->bs->total_size - start;
        size_t n = avail < s->cluster_size ? (size_t)avail : (size_t)s->cluster_size;
        memset(cluster, 0, s->cluster_size);
        if (type != QCOW2_CLUSTER_ZERO) {
            ret = qcow2_read_cluster_data(s, start, type, e, cluster, n, errp);
        }
    }
    if (ret == 0) {
        memcpy(cluster + in, buf, len);
        ret = file_pwrite(s->fd, cluster, s->cluster_size, host);
        if (ret < 0) {
            ret = write_error(s, ret, host, errp);
        }
    }
    free(cluster);
    return ret;
}

int qcow2_write_cluster(Qcow2State *s, uint64_t guest_offset, const uint8_t *buf,
                        size_t len, Error **errp)
{
    uint64_t in = guest_offset & (s->cluster_size - 1);
    uint64_t start = guest_offset - in;
    uint64_t e, host;
    Qcow2ClusterType type;
    uint8_t *l2;
    size_t idx = qcow2_l2_index(s, guest_offset);
    bool fresh = false, reuse;
    int ret;

    if (s->extended_l2) {
        return qcow2_write_subclusters(s, guest_offset, buf, len, errp);
    }
    ret = qcow2_mark_dirty(s, errp);
    if (ret == 0) {
        ret = qcow2_l2_get(s, guest_offset, true, true, &l2, errp);
    }
    if (ret < 0) {
        return ret;
    }
    e = qcow2_l2_entry(s, l2, idx);
    ret = qcow2_classify(s, e, 0, 0, &type, errp);
    if (ret < 0) {
        return ret;
    }
    if (type == QCOW2_CLUSTER_NORMAL && (e & QCOW2_OFLAG_COPIED)) {
        host = e & QCOW2_OFFSET_MASK;
        ret = qcow2_check_overlap(s, host, s->cluster_size, "data cluster", errp);
        if (ret == 0) {
            ret = file_pwrite(s->fd, buf, len, host + in);
            if (ret < 0) {
                ret = write_error(s, ret, host, errp);
            }
        }
        return ret;
    }

    reuse = type == QCOW2_CLUSTER_ZERO && (e & QCOW2_OFFSET_MASK) && (e & QCOW2_OFLAG_COPIED);
    if (reuse) {
        host = e & QCOW2_OFFSET_MASK; /* preallocated zero cluster: reuse it */
    } else {
        uint64_t old_end = s->end_cluster;
        ret = qcow2_alloc_clusters(s, 1, &host, errp);
        /* Past everything the file ever held, a cluster reads as zeros:
         * if the old content is zeros too, only the new bytes are written. */
        fresh = ret == 0 && (host >> s->cluster_bits) >= old_end &&
                (type == QCOW2_CLUSTER_ZERO ||
                 (type == QCOW2_CLUSTER_UNALLOCATED && !backing_covers(s, start)));
    }
    if (ret == 0) {
        ret = qcow2_check_overlap(s, host, s->cluster_size, "data cluster", errp);
    }
    if (ret == 0 && fresh) {
        ret = write_fresh(s, host, in, buf, len, errp);
    } else if (ret == 0) {
        ret = write_whole(s, host, start, type, e, in, buf, len, errp);
    }
    if (ret == 0) {
        ret = qcow2_l2_get(s, guest_offset, true, true, &l2, errp); /* the cache may have moved */
    }
    if (ret < 0) {
        return ret;
    }
    qcow2_l2_set_entry(s, l2, idx, host | QCOW2_OFLAG_COPIED);
    qcow2_cache_mark_dirty(&s->l2_cache, l2);
    if (!reuse && (type == QCOW2_CLUSTER_COMPRESSED || type == QCOW2_CLUSTER_NORMAL ||
                   (type == QCOW2_CLUSTER_ZERO && (e & QCOW2_OFFSET_MASK)))) {
        ret = qcow2_barrier(s, errp);
        if (ret == 0) {
            ret = qcow2_free_entry(s, e, errp);
        }
    }
    return ret;
}

typedef struct FreeList {
    size_t n, cap;
    uint64_t *entries;
} FreeList;

static int free_list_add(FreeList *f, uint64_t e)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;
        uint64_t *ne = realloc(f->entries, cap * sizeof(*ne));
        if (!ne) {
            return -ENOMEM;
        }
        f->entries = ne;
        f->cap = cap;
    }
    f->entries[f->n++] = e;
    return 0;
}

int qcow2_discard_clusters(Qcow2State *s, uint64_t offset, uint64_t len, Error **errp)
{
    uint64_t cs = s->cluster_size;
    uint64_t start = (offset + cs - 1) & ~(cs - 1);
    uint64_t end = offset + len == s->bs->total_size ? offset + len : (offset + len) & ~(cs - 1);
    bool backing = s->bs->backing_file != NULL;
    /* What a discarded cluster becomes: zeros over a backing file, else
     * unallocated (extended L2 says "zero" in the subcluster bitmap). */
    uint64_t zero = backing && !s->extended_l2 ? QCOW2_OFLAG_ZERO : 0;
    uint64_t zero_bitmap = backing && s->extended_l2 ? QCOW2_ALL_ZERO_BITS : 0;
    FreeList f = { 0 };
    int ret = 0;

    if (backing && s->version < 3) {
        return 0; /* v2 cannot hide backing data; discard is only a hint */
    }
    if (start < end) {
        ret = qcow2_mark_dirty(s, errp);
    }
    for (uint64_t g = start; g < end && ret == 0; g += cs) {
        size_t idx = qcow2_l2_index(s, g);
        Qcow2ClusterType type;
        uint64_t e, bitmap;
        uint8_t *l2;

        ret = qcow2_l2_get(s, g, backing, true, &l2, errp);
        if (ret < 0 || !l2) {
            continue;
        }
        e = qcow2_l2_entry(s, l2, idx);
        bitmap = qcow2_l2_bitmap(s, l2, idx);
        ret = qcow2_classify(s, e, bitmap, 0, &type, errp);
        if (ret < 0 || (e == zero && bitmap == zero_bitmap)) {
            continue;
        }
        qcow2_l2_set_entry(s, l2, idx, zero);
        qcow2_l2_set_bitmap(s, l2, idx, zero_bitmap);
        qcow2_cache_mark_dirty(&s->l2_cache, l2);
        if (type == QCOW2_CLUSTER_COMPRESSED || (e & QCOW2_OFFSET_MASK)) {
            if (free_list_add(&f, e) < 0) {
                ret = error_setg(errp, -ENOMEM, "'%s': out of memory", s->filename);
            }
        }
    }
    if (ret == 0 && f.n) {
        ret = qcow2_barrier(s, errp);
        for (size_t i = 0; i < f.n && ret == 0; i++) {
            ret = qcow2_free_entry(s, f.entries[i], errp);
        }
    }
    free(f.entries);
    return ret;
}

/* Finds len bytes for compressed data: the rest of the host cluster used
 * by the previous compressed write, or a new cluster. Each compressed
 * cluster holds one reference to every host cluster it touches. */
static int alloc_compressed(Qcow2State *s, uint64_t len, uint64_t *offset, Error **errp)
{
    uint64_t in = s->comp_next & (s->cluster_size - 1);
    int ret;

    if (s->comp_next && in + len <= s->cluster_size) {
        ret = qcow2_refcount_update(s, s->comp_next >> s->cluster_bits, 1, errp);
        if (ret < 0) {
            return ret;
        }
        *offset = s->comp_next;
    } else {
        ret = qcow2_alloc_clusters(s, 1, offset, errp);
        if (ret < 0) {
            return ret;
        }
    }
    s->comp_next = *offset + len;
    if (!(s->comp_next & (s->cluster_size - 1))) {
        s->comp_next = 0;
    }
    return 0;
}

int qcow2_write_compressed(Qcow2State *s, uint64_t guest_offset, const uint8_t *data,
                           size_t len, Error **errp)
{
    uint32_t x = 62 - (s->cluster_bits - 8);
    size_t idx = qcow2_l2_index(s, guest_offset);
    Qcow2ClusterType type;
    uint64_t e, host, sectors;
    uint8_t *l2;
    int ret;

    if (!len || len >= s->cluster_size) {
        return error_setg(errp, -EINVAL, "'%s': bad compressed length %zu", s->filename, len);
    }
    ret = qcow2_get_cluster(s, guest_offset, &type, &e, errp);
    if (ret == 0 && (type != QCOW2_CLUSTER_UNALLOCATED || (e & QCOW2_OFFSET_MASK))) {
        ret = error_setg(errp, -ENOTSUP,
                         "'%s': compressed writes go only to unallocated clusters",
                         s->filename);
    }
    if (ret == 0) {
        ret = qcow2_mark_dirty(s, errp);
    }
    if (ret == 0) {
        ret = alloc_compressed(s, (uint64_t)len, &host, errp);
    }
    if (ret == 0) {
        ret = qcow2_check_overlap(s, host, (uint64_t)len, "compressed cluster", errp);
    }
    if (ret == 0) {
        ret = file_pwrite(s->fd, data, len, host);
        if (ret < 0) {
            ret = error_setg(errp, ret, "'%s': could not write compressed data: %s",
                             s->filename, strerror(-ret));
        }
    }
    if (ret == 0) {
        ret = qcow2_l2_get(s, guest_offset, true, true, &l2, errp);
    }
    if (ret < 0) {
        return ret;
    }
    sectors = ((host + (uint64_t)len - 1) >> 9) - (host >> 9);
    qcow2_l2_set_entry(s, l2, idx, QCOW2_OFLAG_COMPRESSED | (sectors << x) | host);
    qcow2_l2_set_bitmap(s, l2, idx, 0);
    qcow2_cache_mark_dirty(&s->l2_cache, l2);
    return 0;
}
