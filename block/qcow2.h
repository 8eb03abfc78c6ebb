/*
 * qcow2.h — internal state and helpers of the qcow2 driver (all block/qcow2-NAME.c files).
 *
 * The one thing to know: metadata is written back in a fixed order by
 * qcow2_barrier() — refcount blocks, sync (this also covers guest data),
 * L2 tables, sync, L1, sync — and refcounts only go down after a barrier
 * has put the L2 change on disk, so a crash anywhere leaks clusters at
 * worst. L1 and the refcount table are kept in host byte order in memory;
 * cached L2 tables and refcount blocks stay big-endian as on disk.
 */
#ifndef BLOCK_QCOW2_H
#define BLOCK_QCOW2_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "block/image-util.h"
#include "mimic/block.h"

#define QCOW2_MAGIC 0x514649fbU
#define QCOW2_V2_HEADER_LEN 72
#define QCOW2_V3_HEADER_LEN 104
#define QCOW2_MIN_CLUSTER_BITS 9
#define QCOW2_MAX_CLUSTER_BITS 21
#define QCOW2_MAX_L1_BYTES (32u << 20)
#define QCOW2_MAX_RT_BYTES (8u << 20)
#define QCOW2_MAX_SNAPSHOTS 65536
#define QCOW2_MAX_BACKING_NAME 1023
#define QCOW2_DEFAULT_CLUSTER_SIZE 65536

#define QCOW2_INCOMPAT_DIRTY (1ULL << 0)
#define QCOW2_INCOMPAT_CORRUPT (1ULL << 1)
#define QCOW2_INCOMPAT_DATA_FILE (1ULL << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ULL << 3)
#define QCOW2_INCOMPAT_EXTL2 (1ULL << 4)
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ULL << 0)

#define QCOW2_EXT_END 0x00000000U
#define QCOW2_EXT_BACKING_FMT 0xe2792acaU
#define QCOW2_EXT_FEATURE_TABLE 0x6803f857U

#define QCOW2_OFLAG_COPIED (1ULL << 63)
#define QCOW2_OFLAG_COMPRESSED (1ULL << 62)
#define QCOW2_OFLAG_ZERO (1ULL << 0)
#define QCOW2_OFFSET_MASK 0x00fffffffffffe00ULL
#define QCOW2_RT_OFFSET_MASK 0xfffffffffffffe00ULL

/* A small write-back cache of cluster-sized tables (L2 tables or refcount
 * blocks), least recently used out. */
typedef struct Qcow2Cache {
    int n;
    uint64_t *offsets; /* 0: free slot */
    uint64_t *used;    /* LRU tick */
    bool *dirty;
    uint8_t *data;     /* n clusters */
    uint64_t tick;
    uint64_t cluster_size;
    bool is_l2;        /* evicting a dirty L2 table needs a barrier first */
} Qcow2Cache;

typedef struct Qcow2Ext {
    uint32_t type;
    uint32_t len;
    uint8_t *data;
} Qcow2Ext;

/* How one guest cluster is stored. */
typedef enum Qcow2ClusterType {
    QCOW2_CLUSTER_UNALLOCATED, /* read from the backing file */
    QCOW2_CLUSTER_ZERO,        /* reads as zeros (host offset may be kept) */
    QCOW2_CLUSTER_NORMAL,
    QCOW2_CLUSTER_COMPRESSED,
} Qcow2ClusterType;

typedef struct Qcow2Snapshot {
    uint64_t l1_offset;
    uint32_t l1_size;
    uint32_t vm_state_size32; /* the 32-bit header field, kept as read */
    uint64_t disk_size;       /* virtual size when taken (from extra data) */
    bool has_disk_size;
    uint32_t extra_len;
    uint8_t *extra;           /* extra data as read, unknown parts kept */
} Qcow2Snapshot;

typedef struct Qcow2State {
    BlockDriverState *bs;
    int fd;
    const char *filename;
    bool writable;

    /* header */
    uint32_t version;
    uint32_t cluster_bits;
    uint64_t cluster_size;
    uint32_t l2_bits;          /* log2 of entries per L2 table */
    bool extended_l2;          /* 128-bit L2 entries: descriptor + subcluster bitmap */
    uint32_t l2_entry_size;    /* 8, or 16 with extended L2 */
    uint64_t subcluster_size;  /* cluster_size / 32 with extended L2, else cluster_size */
    uint64_t incompat, compat, autoclear;
    uint32_t refcount_order;
    uint32_t refcount_bits;
    uint64_t refblock_entries; /* refcounts per refcount block */
    uint32_t header_length;
    uint8_t compression_type;  /* 0 zlib, 1 zstd */
    uint8_t *header_raw;       /* header_length bytes, unknown fields kept */
    uint32_t nb_snapshots;
    uint64_t snapshots_offset;
    uint64_t snapshots_size;     /* bytes of the snapshot table */
    Qcow2Snapshot *snapshots;    /* nb_snapshots, with snap_info */
    BlockSnapshotInfo *snap_info;
    uint32_t n_snapshots_read;
    Qcow2Ext *exts;            /* extensions other than backing format */
    int n_exts;
    char feature_names[3][64][47]; /* from the feature table, for messages */

    uint64_t l1_offset;
    uint32_t l1_size;
    uint64_t *l1;
    bool l1_dirty;

    uint64_t rt_offset;
    uint32_t rt_clusters;
    uint64_t rt_size;          /* entries */
    uint64_t *rt;

    Qcow2Cache l2_cache;
    Qcow2Cache rb_cache;
    uint64_t free_hint;        /* no free cluster below this index */
    uint64_t end_cluster;      /* first cluster index past the file's end */
    bool dirty_marked;         /* we set the dirty bit and must clear it */

    uint64_t comp_next;        /* free bytes for compressed data (0: none) */
    uint8_t *cbuf;             /* decompressed cluster */
    uint64_t cbuf_entry;       /* its L2 entry (0: none) */
} Qcow2State;

/* qcow2-header.c */
int qcow2_header_read(Qcow2State *s, Error **errp);
int qcow2_header_write(Qcow2State *s, Error **errp);
/* Sets or clears incompatible bits in the header on disk (synced). */
int qcow2_header_set_incompat(Qcow2State *s, uint64_t set, uint64_t clear, Error **errp);

/* qcow2-cache.c */
int qcow2_cache_init(Qcow2Cache *c, int n, uint64_t cluster_size, bool is_l2);
void qcow2_cache_destroy(Qcow2Cache *c);
/* Returns the table at offset (read from the file if not cached). The
 * pointer stays valid until the next get on the same cache. */
int qcow2_cache_get(Qcow2State *s, Qcow2Cache *c, uint64_t offset, uint8_t **table,
                    Error **errp);
/* Same, for a table that is new: zeroed, not read. */
int qcow2_cache_get_empty(Qcow2State *s, Qcow2Cache *c, uint64_t offset, uint8_t **table,
                          Error **errp);
void qcow2_cache_mark_dirty(Qcow2Cache *c, const uint8_t *table);
int qcow2_cache_write_back(Qcow2State *s, Qcow2Cache *c, Error **errp);
/* Drops the entry for offset (after its cluster was freed). */
void qcow2_cache_discard(Qcow2Cache *c, uint64_t offset);

/* qcow2-refcount.c */
int qcow2_refcount_get(Qcow2State *s, uint64_t cluster, uint64_t *refcount, Error **errp);
int qcow2_refcount_update(Qcow2State *s, uint64_t cluster, int delta, Error **errp);
uint64_t qcow2_refcount_max(const Qcow2State *s);
/* Allocates n contiguous clusters (refcount 1); returns the host offset. */
int qcow2_alloc_clusters(Qcow2State *s, uint64_t n, uint64_t *offset, Error **errp);
/* Frees n clusters at offset; call only after a barrier made them unused. */
int qcow2_free_clusters(Qcow2State *s, uint64_t offset, uint64_t n, Error **errp);

/* qcow2-metadata.c */
int qcow2_barrier(Qcow2State *s, Error **errp);
/* Error (and, if writable, marks the image corrupt) when [offset, offset +
 * len) overlaps the header, the L1 table or the refcount table. */
int qcow2_check_overlap(Qcow2State *s, uint64_t offset, uint64_t len, const char *what,
                        Error **errp);
/* Marks the image corrupt and returns -EIO with the message. */
int qcow2_signal_corruption(Qcow2State *s, Error **errp, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Validates a metadata table offset (L2 table or refcount block). */
int qcow2_check_table_offset(Qcow2State *s, uint64_t offset, const char *what,
                             Error **errp);
/* Sets the dirty bit before the first metadata change (v3). */
int qcow2_mark_dirty(Qcow2State *s, Error **errp);

/* qcow2-cluster.c */
/* The L2 table for guest_offset; with alloc, a missing table is created;
 * with modify, a shared table is first copied. *l2 is NULL when there is
 * none. */
int qcow2_l2_get(Qcow2State *s, uint64_t guest_offset, bool alloc, bool modify,
                 uint8_t **l2, Error **errp);
size_t qcow2_l2_index(const Qcow2State *s, uint64_t guest_offset);
/* Type of (sub)cluster sc of an entry; validates the host offset and,
 * with extended L2, the bitmap (both bits set is a corruption). */
int qcow2_classify(Qcow2State *s, uint64_t e, uint64_t bitmap, unsigned sc,
                   Qcow2ClusterType *type, Error **errp);
/* Frees what an L2 entry pointed to (call after a barrier). */
int qcow2_free_entry(Qcow2State *s, uint64_t e, Error **errp);
/* Type of the (sub)cluster at guest_offset and its L2 descriptor. */
int qcow2_get_cluster(Qcow2State *s, uint64_t guest_offset, Qcow2ClusterType *type,
                      uint64_t *entry, Error **errp);
int qcow2_read_cluster_data(Qcow2State *s, uint64_t guest_offset, Qcow2ClusterType type,
                            uint64_t entry, uint8_t *buf, size_t len, Error **errp);
int qcow2_write_cluster(Qcow2State *s, uint64_t guest_offset, const uint8_t *buf,
                        size_t len, Error **errp);
int qcow2_discard_clusters(Qcow2State *s, uint64_t offset, uint64_t len, Error **errp);
/* Stores len bytes of compressed data as one guest cluster, packed
 * behind the previous compressed cluster; the cluster must be
 * unallocated. */
int qcow2_write_compressed(Qcow2State *s, uint64_t guest_offset, const uint8_t *data,
                           size_t len, Error **errp);
/* Host byte range of a compressed cluster's data. */
void qcow2_compressed_range(const Qcow2State *s, uint64_t entry, uint64_t *offset,
                            uint64_t *len);

/* qcow2.c: a write at any guest offset the L1 table covers, split into
 * clusters (the write op and the VM state area). */
int qcow2_write_bytes(Qcow2State *s, uint64_t offset, const uint8_t *buf, size_t len,
                      Error **errp);

/* qcow2-vmstate.c */
/* Where the VM state area of the active image starts: the first L2
 * table's span past the virtual size (QEMU's place for it). */
uint64_t qcow2_vmstate_offset(const Qcow2State *s);
int qcow2_vmstate_rw(BlockDriverState *bs, uint64_t pos, void *buf, size_t len, bool write,
                     Error **errp);

/* qcow2-io.c */
/* Reads [offset, offset + len) with one pread per contiguous host range;
 * with may_unlock (only from the read op) without bs->lock around it. */
int qcow2_read_data(Qcow2State *s, uint64_t offset, uint8_t *buf, size_t len,
                    bool may_unlock, Error **errp);
/* Writes up to n whole clusters at a cluster-aligned offset, as many as
 * lie in one L2 table and are either ours alone or unallocated without a
 * host cluster; *done is the bytes written (0: the first cluster needs
 * qcow2_write_cluster). */
int qcow2_write_run(Qcow2State *s, uint64_t guest_offset, const uint8_t *buf, uint64_t n,
                    bool may_unlock, uint64_t *done, Error **errp);

/* qcow2-subcluster.c */
/* Writes inside one cluster of an image with extended L2 entries. */
int qcow2_write_subclusters(Qcow2State *s, uint64_t guest_offset, const uint8_t *buf,
                            size_t len, Error **errp);

/* qcow2-compress.c */
int qcow2_decompress(int type, const uint8_t *src, size_t src_len, uint8_t *dst,
                     size_t dst_len);
/* Compressed length, or -ENOSPC when the result would not fit in dst_len. */
ssize_t qcow2_compress(int type, const uint8_t *src, size_t src_len, uint8_t *dst,
                       size_t dst_len);

/* qcow2-resize.c */
int qcow2_grow(Qcow2State *s, uint64_t new_size, Error **errp);
/* Replaces the active L1 table by one with at least `needed` entries. */
int qcow2_grow_l1(Qcow2State *s, uint64_t needed, Error **errp);

/* qcow2-snapshot.c */
int qcow2_snapshots_read(Qcow2State *s, Error **errp);
void qcow2_snapshots_free(Qcow2State *s);
/* Writes the in-memory table to new clusters, points the header at it
 * (synced) and frees the old table. */
int qcow2_snapshots_write(Qcow2State *s, Error **errp);
/* Index of the snapshot with this id, else this name; -1 if none. */
int qcow2_snapshot_find(const Qcow2State *s, const char *id_or_name);
/* Reads a snapshot's L1 table (host order; caller frees). */
int qcow2_snapshot_read_l1(Qcow2State *s, const Qcow2Snapshot *sn, uint64_t **l1,
                           Error **errp);

/* qcow2-snapshot-refs.c */
/* Adds delta (-1, 0 or +1) to the refcount of every L2 table and data
 * cluster reachable from l1, and sets the COPIED flag in l1 and the L2
 * tables exactly where the refcount is then 1. *l1_changed tells whether
 * l1 was modified. */
int qcow2_update_tree_refcounts(Qcow2State *s, uint64_t *l1, uint32_t l1_size, int delta,
                                bool *l1_changed, Error **errp);

/* Whether every refcount in l1's tree can take one more reference
 * (checked before changing anything; -ERANGE if not). */
int qcow2_tree_check_room(Qcow2State *s, const uint64_t *l1, uint32_t l1_size, Error **errp);

/* qcow2-snapshot-ops.c */
int qcow2_snapshot_create(BlockDriverState *bs, const char *name, uint64_t vm_state_size,
                          uint64_t vm_clock_nsec, Error **errp);
int qcow2_snapshot_apply(BlockDriverState *bs, const char *name, Error **errp);
int qcow2_snapshot_delete(BlockDriverState *bs, const char *name, Error **errp);

/* qcow2-check.c */
int qcow2_check_image(Qcow2State *s, BlockCheckResult *res, int fix, Error **errp);

/* qcow2-amend.c */
int qcow2_amend(BlockDriverState *bs, int version, int lazy_refcounts, Error **errp);

/* qcow2-create.c */
int qcow2_create(const char *filename, const BlockCreateOptions *opts, Error **errp);

static inline uint64_t qcow2_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

static inline uint32_t qcow2_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void qcow2_put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static inline void qcow2_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint64_t qcow2_l2_entries(const Qcow2State *s)
{
    return 1ULL << s->l2_bits;
}

/* The cluster descriptor of entry k of L2 table t (the first half of an
 * extended entry). */
static inline uint64_t qcow2_l2_entry(const Qcow2State *s, const uint8_t *t, uint64_t k)
{
    return qcow2_be64(t + k * s->l2_entry_size);
}

/* The subcluster bitmap of an extended entry (bits 0-31 allocated,
 * 32-63 reads as zeros); 0 without extended L2. */
static inline uint64_t qcow2_l2_bitmap(const Qcow2State *s, const uint8_t *t, uint64_t k)
{
    return s->extended_l2 ? qcow2_be64(t + k * 16 + 8) : 0;
}

static inline void qcow2_l2_set_entry(const Qcow2State *s, uint8_t *t, uint64_t k, uint64_t e)
{
    qcow2_put_be64(t + k * s->l2_entry_size, e);
}

static inline void qcow2_l2_set_bitmap(const Qcow2State *s, uint8_t *t, uint64_t k,
                                       uint64_t bitmap)
{
    if (s->extended_l2) {
        qcow2_put_be64(t + k * 16 + 8, bitmap);
    }
}

#define QCOW2_SUBCLUSTERS 32
#define QCOW2_ALL_ZERO_BITS 0xffffffff00000000ULL

/* Whether the whole cluster of entry k reads as zeros. */
static inline bool qcow2_l2_is_zero(const Qcow2State *s, const uint8_t *t, uint64_t k)
{
    if (s->extended_l2) {
        return (qcow2_l2_bitmap(s, t, k) & QCOW2_ALL_ZERO_BITS) == QCOW2_ALL_ZERO_BITS;
    }
    return s->version >= 3 && (qcow2_l2_entry(s, t, k) & QCOW2_OFLAG_ZERO);
}

#endif
