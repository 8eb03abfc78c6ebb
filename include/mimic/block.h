/*
 * block.h — the block layer: disk image formats behind one BlockDriver ops
 * struct, opened as BlockDriverStates that may have a backing chain.
 *
 * The one thing to know: every function that can fail returns a negative
 * errno and, when errp is not NULL, fills *errp with a message that names
 * the file; nothing here aborts on bad input. There is no global state
 * except the constant driver table: each BlockDriverState carries its own
 * lock (bs->lock), taken by the bdrv_* entry points around each driver
 * call, so several threads may issue requests to the same image (today
 * they are serialised per image; drivers run synchronously).
 */
#ifndef MIMIC_BLOCK_H
#define MIMIC_BLOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* ---- errors ------------------------------------------------------------ */

typedef struct Error {
    int code;  /* negative errno */
    char *msg; /* full message, e.g. "'a.qcow2': L1 table offset ... " */
} Error;

/* Sets *errp (if errp and *errp is NULL) and returns code (negative). */
int error_setg(Error **errp, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void error_free(Error *err);
/* Prints "prog: message" to stderr and frees the error. */
void error_report_free(const char *prog, Error *err);

/* ---- driver interface -------------------------------------------------- */

typedef struct BlockDriverState BlockDriverState;

enum {
    BDRV_O_RDWR = 1 << 0,       /* open read/write (default read-only) */
    BDRV_O_NO_BACKING = 1 << 1, /* do not open the backing file */
    BDRV_O_CHECK = 1 << 2,      /* opened by check: skip dirty repair */
    BDRV_O_NO_FLUSH = 1 << 3,   /* cache=unsafe: no fdatasync at all, so a crash may
                                 * leave the image inconsistent (qemu-img convert's default) */
};

/* Key/value pairs of "format-specific" information (qemu-img info). */
typedef struct BlockInfoItem {
    char key[32];   /* JSON key, e.g. "lazy-refcounts" ('-' → ' ' for humans) */
    char value[48]; /* printed as is */
    bool is_string; /* quoted in JSON */
} BlockInfoItem;

typedef struct BlockSnapshotInfo {
    char *id;
    char *name;
    uint64_t vm_state_size;
    uint32_t date_sec, date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t icount; /* UINT64_MAX: not recorded */
} BlockSnapshotInfo;

typedef struct BlockInfo {
    uint64_t cluster_size; /* 0: the format has none */
    bool dirty;
    bool has_dirty;        /* the format has a dirty flag */
    int n_specific;
    BlockInfoItem specific[12];
    int n_snapshots;
    const BlockSnapshotInfo *snapshots; /* owned by the driver while open */
} BlockInfo;

typedef struct BlockCreateOptions {
    uint64_t size;
    uint64_t cluster_size;     /* 0: the format's default */
    const char *backing_file;  /* as stored in the image */
    const char *backing_fmt;
    int qcow2_version;         /* 2 or 3; 0: 3 */
    bool lazy_refcounts;
    int compression_type;      /* 0 zlib, 1 zstd */
    const char *subformat;     /* vmdk/vpc subformat, "static" vdi; NULL: default */
    bool extended_l2;          /* qcow2 subclusters */
} BlockCreateOptions;

typedef struct BlockCheckResult {
    uint64_t corruptions;     /* refcount lower than references, bad entries */
    uint64_t leaks;           /* refcount higher than references */
    uint64_t corruptions_fixed;
    uint64_t leaks_fixed;
    uint64_t check_errors;    /* could not read metadata */
    uint64_t allocated_clusters, total_clusters;
    uint64_t fragmented_clusters, compressed_clusters;
    uint64_t image_end_offset;
} BlockCheckResult;

enum { BDRV_FIX_LEAKS = 1, BDRV_FIX_ERRORS = 2 };

/* Result of block_status: what a range is. */
enum {
    BDRV_STATUS_DATA = 1,      /* allocated in this image with data */
    BDRV_STATUS_ZERO = 2,      /* reads as zeros */
    BDRV_STATUS_ALLOCATED = 4, /* this image decides (not the backing file) */
};

typedef struct BlockDriver {
    const char *format_name;
    size_t state_size; /* bytes of bs->opaque, zeroed before open */
    /* Score 0..100 for the first bytes of a file (len may be short). */
    int (*probe)(const uint8_t *buf, size_t len);
    /* bs->fd and bs->filename are set; sets bs->total_size and, if any,
     * bs->backing_file / bs->backing_format. */
    int (*open)(BlockDriverState *bs, int flags, Error **errp);
    void (*close)(BlockDriverState *bs);
    /* Any byte offset and length inside the virtual size. */
    int (*read)(BlockDriverState *bs, uint64_t offset, void *buf, size_t len, Error **errp);
    int (*write)(BlockDriverState *bs, uint64_t offset, const void *buf, size_t len,
                 Error **errp);
    int (*flush)(BlockDriverState *bs, Error **errp);
    int (*discard)(BlockDriverState *bs, uint64_t offset, uint64_t len, Error **errp);
    int (*truncate)(BlockDriverState *bs, uint64_t size, Error **errp);
    int (*get_info)(BlockDriverState *bs, BlockInfo *info, Error **errp);
    int (*create)(const char *filename, const BlockCreateOptions *opts, Error **errp);
    /* Optional, both or neither. compress: one whole cluster (the last
     * one padded with zeros past the virtual size) into dst; returns the
     * compressed length, or -ENOSPC when it does not fit in dst_len. Called
     * WITHOUT bs->lock, from any thread: it may only read what open set.
     * write_compressed: stores such data as the cluster at the
     * cluster-aligned offset. */
    ssize_t (*compress)(BlockDriverState *bs, const void *src, void *dst, size_t dst_len);
    int (*write_compressed)(BlockDriverState *bs, uint64_t offset, const void *data,
                            size_t len, Error **errp);
    /* Optional. */
    int (*check)(BlockDriverState *bs, BlockCheckResult *res, int fix, Error **errp);
    /* Returns BDRV_STATUS_* for [offset, offset + *pnum); shortens *pnum
     * to the extent with the same status. */
    int (*block_status)(BlockDriverState *bs, uint64_t offset, uint64_t *pnum,
                        Error **errp);
    /* Optional: internal snapshots, found by id or else by name (image
     * open read/write); and amend (version 0 / lazy_refcounts -1: keep).
     * snapshot_create records vm_state_size bytes of VM state, written
     * before with vmstate_rw, and the guest clock (both 0: a disk-only
     * snapshot). */
    int (*snapshot_create)(BlockDriverState *bs, const char *name, uint64_t vm_state_size,
                           uint64_t vm_clock_nsec, Error **errp);
    int (*snapshot_apply)(BlockDriverState *bs, const char *name, Error **errp);
    int (*snapshot_delete)(BlockDriverState *bs, const char *name, Error **errp);
    int (*amend)(BlockDriverState *bs, int version, int lazy_refcounts, Error **errp);
    /* Optional: reads or writes the VM state area of the active image at
     * pos (qcow2: past the virtual disk, so a snapshot taken next keeps
     * it; applying a snapshot brings its VM state back there). */
    int (*vmstate_rw)(BlockDriverState *bs, uint64_t pos, void *buf, size_t len, bool write,
                      Error **errp);
    /* Optional. Host offset of offset in the image's own file (*has false
     * if none: compressed, zero without a host cluster, unallocated);
     * shortens *pnum to the part that is contiguous in the file. */
    int (*host_offset)(BlockDriverState *bs, uint64_t offset, uint64_t *pnum, uint64_t *host,
                       bool *has, Error **errp);
    /* Optional. The same for bytes stored as they are (raw; qcow2 normal
     * clusters, not zero clusters with a host cluster): bdrv_map_read. */
    int (*data_offset)(BlockDriverState *bs, uint64_t offset, uint64_t *pnum, uint64_t *host,
                       bool *has, Error **errp);
    /* Optional: the format names a backing file in its header. Rewrites
     * name and format (name NULL: none) and sets bs->backing_file and
     * bs->backing_format; does not open or close backing images. */
    int (*change_backing)(BlockDriverState *bs, const char *name, const char *fmt,
                          Error **errp);
    /* Optional. Drops every cluster so that the backing file shows through
     * again, then flushes. */
    int (*make_empty)(BlockDriverState *bs, Error **errp);
} BlockDriver;

struct BlockDriverState {
    const BlockDriver *drv;
    void *opaque;         /* driver state */
    char *filename;
    int fd;               /* the image file */
    int flags;            /* BDRV_O_* */
    uint64_t total_size;  /* virtual size in bytes */
    char *backing_file;   /* name stored in the image, or NULL */
    char *backing_format; /* format stored in the image, or NULL */
    BlockDriverState *backing;
    pthread_mutex_t lock; /* held by the entry points around driver calls */
    /* Set by a driver's open when it may drop bs->lock around data I/O
     * (bdrv_io_unlock); the entry points then keep overlapping requests
     * apart at this granularity (a power of two, e.g. the cluster size). */
    uint64_t serial_align;
    struct BdrvTrackedReq *tracked; /* requests in flight (under lock) */
    pthread_cond_t tracked_cond;    /* one of them ended */
    uint8_t *map;         /* read-only mapping of the file (block/map-read.c) */
    uint64_t map_size;
    bool map_failed;
};

/* For drivers that set bs->serial_align, inside a read/write op: drop and
 * retake bs->lock around I/O that touches only the request's own range
 * (other requests may then change the driver's state; re-read it). */
void bdrv_io_unlock(BlockDriverState *bs);
void bdrv_io_relock(BlockDriverState *bs);

/* ---- using images ------------------------------------------------------ */

const BlockDriver *bdrv_find_format(const char *name);
/* Opens filename with the given format (NULL: probe) and its backing
 * chain (read-only), unless BDRV_O_NO_BACKING. */
int bdrv_open(BlockDriverState **pbs, const char *filename, const char *format, int flags,
              Error **errp);
/* Flushes (if writable) and closes bs and its backing chain; NULL is ok. */
int bdrv_close(BlockDriverState *bs, Error **errp);
int bdrv_pread(BlockDriverState *bs, uint64_t offset, void *buf, size_t len, Error **errp);
int bdrv_pwrite(BlockDriverState *bs, uint64_t offset, const void *buf, size_t len,
                Error **errp);
/* Writes one cluster compressed (cluster_size bytes from bdrv_get_info;
 * offset cluster-aligned); -ENOTSUP if the format cannot. */
int bdrv_pwrite_compressed(BlockDriverState *bs, uint64_t offset, const void *buf,
                           uint64_t cluster_size, Error **errp);
/* The two halves of bdrv_pwrite_compressed, so that callers can compress
 * on many threads and write in order. bdrv_compress_cluster takes no lock:
 * it compresses one cluster (cluster_size bytes, zero-padded) into out
 * (cluster_size bytes) and returns the length, or 0 when compression would
 * not save a 512-byte sector (write the cluster plainly then); -ENOTSUP if
 * the format cannot. */
ssize_t bdrv_compress_cluster(BlockDriverState *bs, const void *buf, uint64_t cluster_size,
                              void *out, Error **errp);
int bdrv_pwrite_compressed_data(BlockDriverState *bs, uint64_t offset, const void *data,
                                size_t len, uint64_t cluster_size, Error **errp);
int bdrv_flush(BlockDriverState *bs, Error **errp);
/* Starts writing the image file's dirty pages to the disk without waiting
 * (sync_file_range), so that a later flush has less left to wait for: for
 * writers that write a lot once (convert). A hint; never an error. */
void bdrv_start_writeback(BlockDriverState *bs);
int bdrv_discard(BlockDriverState *bs, uint64_t offset, uint64_t len, Error **errp);
int bdrv_truncate(BlockDriverState *bs, uint64_t size, Error **errp);
int bdrv_get_info(BlockDriverState *bs, BlockInfo *info, Error **errp);
int bdrv_check(BlockDriverState *bs, BlockCheckResult *res, int fix, Error **errp);
/* Status of [offset, offset + *pnum) in bs alone (see BDRV_STATUS_*). */
int bdrv_block_status(BlockDriverState *bs, uint64_t offset, uint64_t *pnum, Error **errp);
/* Internal snapshots and amend; -ENOTSUP when the format has none. */
int bdrv_snapshot_create(BlockDriverState *bs, const char *name, Error **errp);
/* A snapshot with VM state (savevm): vm_state_size bytes written before by
 * bdrv_vmstate_write at positions 0.., vm_clock_nsec the guest's clock. */
int bdrv_snapshot_create_vm(BlockDriverState *bs, const char *name, uint64_t vm_state_size,
                            uint64_t vm_clock_nsec, Error **errp);
/* The active image's VM state area; -ENOTSUP when the format has none. */
int bdrv_vmstate_write(BlockDriverState *bs, uint64_t pos, const void *buf, size_t len,
                       Error **errp);
int bdrv_vmstate_read(BlockDriverState *bs, uint64_t pos, void *buf, size_t len, Error **errp);
int bdrv_snapshot_apply(BlockDriverState *bs, const char *name, Error **errp);
int bdrv_snapshot_delete(BlockDriverState *bs, const char *name, Error **errp);
int bdrv_amend(BlockDriverState *bs, int version, int lazy_refcounts, Error **errp);
/* See the host_offset, data_offset, change_backing and make_empty ops.
 * Without the op: host_offset and data_offset report no host offset; the
 * others fail with -ENOTSUP. */
int bdrv_host_offset(BlockDriverState *bs, uint64_t offset, uint64_t *pnum, uint64_t *host,
                     bool *has, Error **errp);
int bdrv_data_offset(BlockDriverState *bs, uint64_t offset, uint64_t *pnum, uint64_t *host,
                     bool *has, Error **errp);
int bdrv_change_backing(BlockDriverState *bs, const char *name, const char *fmt,
                        Error **errp);
int bdrv_make_empty(BlockDriverState *bs, Error **errp);
/* Reading without a copy (block/map-read.c): for a read-only image, 1 and
 * *ptr into a mapping of the file when [offset, offset + *pnum) starts
 * with bytes stored as they are (data_offset op); *pnum is then shortened
 * to those. 0 when not (read with bdrv_pread instead). The pointer stays
 * valid until bdrv_close; bdrv_map_release says it is no longer needed. */
int bdrv_map_read(BlockDriverState *bs, uint64_t offset, uint64_t *pnum, const uint8_t **ptr,
                  Error **errp);
void bdrv_map_release(BlockDriverState *bs, const uint8_t *ptr, uint64_t len);
/* Drops the mapping (bdrv_close). */
void bdrv_map_close(BlockDriverState *bs);
int bdrv_create(const char *format, const char *filename, const BlockCreateOptions *opts,
                Error **errp);

/* ---- asynchronous requests (block/aio-pool.c) ----------------------------
 * A BlockAioContext is a pool of worker threads that run requests on any
 * images, many at once, and queue their completions for the thread that
 * owns the context: it polls bdrv_aio_fd() (an eventfd, readable when a
 * completion is queued) in its event loop and calls bdrv_aio_poll(), or
 * blocks in bdrv_aio_wait()/bdrv_aio_drain(). Callbacks run only inside
 * those three calls, on the calling thread; they may submit more requests.
 * The buffers belong to the caller until the callback runs. Requests in
 * flight are unordered: a caller that needs write-after-write order on the
 * same range waits for the first callback (as with a real disk). */

typedef struct BlockAioContext BlockAioContext;

enum { BDRV_AIO_READ, BDRV_AIO_WRITE, BDRV_AIO_FLUSH, BDRV_AIO_DISCARD };

/* ret is 0 or a negative errno; err (NULL on success) is the callback's
 * to free. */
typedef void BlockAioCallback(void *opaque, int ret, Error *err);

typedef struct BlockAioRequest {
    int op;                   /* BDRV_AIO_* */
    BlockDriverState *bs;
    uint64_t offset;          /* read, write, discard */
    uint64_t len;             /* discard only (read/write: the iovec's length) */
    const struct iovec *iov;  /* read, write: at least one buffer; the array is copied */
    int niov;
    BlockAioCallback *cb;
    void *opaque;
} BlockAioRequest;

int bdrv_aio_context_new(BlockAioContext **pctx, int threads, Error **errp);
/* Drains (running the remaining callbacks), stops the threads, frees. */
void bdrv_aio_context_free(BlockAioContext *ctx);
int bdrv_aio_submit(BlockAioContext *ctx, const BlockAioRequest *req, Error **errp);
int bdrv_aio_fd(const BlockAioContext *ctx);
/* Runs the callbacks of the requests finished so far; returns how many. */
int bdrv_aio_poll(BlockAioContext *ctx);
/* Waits until at least one request has finished (unless none is pending)
 * and runs the callbacks; returns how many ran. */
int bdrv_aio_wait(BlockAioContext *ctx);
/* Waits for every request (also those submitted by callbacks meanwhile). */
void bdrv_aio_drain(BlockAioContext *ctx);
/* Requests whose callback has not run yet. */
uint64_t bdrv_aio_pending(BlockAioContext *ctx);

/* For drivers: reads what lies under bs (the backing chain, zeros past
 * its end or without one). */
int bdrv_read_backing(BlockDriverState *bs, uint64_t offset, void *buf, size_t len,
                      Error **errp);
/* Path of a backing file named in image `filename` (relative to its dir). */
char *bdrv_backing_path(const char *filename, const char *backing);

/* File helpers: whole-buffer pread/pwrite; -EIO (short read) past EOF. */
int file_pread(int fd, void *buf, size_t len, uint64_t offset);
int file_pwrite(int fd, const void *buf, size_t len, uint64_t offset);
int64_t file_size(int fd);
/* Bytes the file occupies on disk (qemu-img's "disk size"). */
int64_t file_allocated(int fd);

extern const BlockDriver bdrv_raw;
extern const BlockDriver bdrv_qcow2;
extern const BlockDriver bdrv_vmdk;
extern const BlockDriver bdrv_vdi;
extern const BlockDriver bdrv_vpc;
extern const BlockDriver bdrv_qcow1;

#endif
