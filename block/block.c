/*
 * block.c — the generic block layer: driver table, format probing, opening
 * an image with its backing chain, and the bdrv_* request entry points.
 *
 * The one thing to know: the entry points check every request against the
 * virtual size and the open mode before the driver sees it, and hold
 * bs->lock around the driver call; drivers may assume valid ranges.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mimic/block.h"

#define BACKING_CHAIN_MAX 64

/* qcow (v1) before qcow2: both probe 100 on the shared magic, qcow only for
 * version 1. */
static const BlockDriver *const drivers[] = { &bdrv_qcow1, &bdrv_qcow2, &bdrv_vmdk, &bdrv_vdi,
                                              &bdrv_vpc, &bdrv_raw };

const BlockDriver *bdrv_find_format(const char *name)
{
    for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
        if (!strcmp(drivers[i]->format_name, name)) {
            return drivers[i];
        }
    }
    return NULL;
}

static const BlockDriver *probe_format(int fd)
{
    uint8_t buf[512];
    ssize_t n = pread(fd, buf, sizeof(buf), 0);
    const BlockDriver *best = &bdrv_raw;
    int best_score = 0;

    if (n < 0) {
        n = 0;
    }
    for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
        int score = drivers[i]->probe ? drivers[i]->probe(buf, (size_t)n) : 0;
        if (score > best_score) {
            best_score = score;
            best = drivers[i];
        }
    }
    return best;
}

char *bdrv_backing_path(const char *filename, const char *backing)
{
    const char *slash = strrchr(filename, '/');
    char *path;

    /* Like qemu: relative names are relative to the image's directory,
     * and an image named without a directory keeps the name as is. */
    if (backing[0] == '/' || !slash) {
        return strdup(backing);
    }
    if (asprintf(&path, "%.*s/%s", (int)(slash - filename), filename, backing) < 0) {
        return NULL;
    }
    return path;
}

static void bdrv_free(BlockDriverState *bs)
{
    bdrv_map_close(bs);
    if (bs->fd >= 0) {
        close(bs->fd);
    }
    pthread_mutex_destroy(&bs->lock);
    pthread_cond_destroy(&bs->tracked_cond);
    free(bs->opaque);
    free(bs->filename);
    free(bs->backing_file);
    free(bs->backing_format);
    free(bs);
}

typedef struct ChainId {
    dev_t dev;
    ino_t ino;
} ChainId;

static int open_one(BlockDriverState **pbs, const char *filename, const char *format,
                    int flags, const char *parent, ChainId *chain, int depth, Error **errp)
{
    BlockDriverState *bs;
    struct stat st;
    int ret;

    *pbs = NULL;
    bs = calloc(1, sizeof(*bs));
    if (!bs) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory", filename);
    }
    pthread_mutex_init(&bs->lock, NULL);
    pthread_cond_init(&bs->tracked_cond, NULL);
    bs->flags = flags;
    bs->filename = strdup(filename);
    bs->fd = open(filename, ((flags & BDRV_O_RDWR) ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (bs->fd < 0) {
        ret = -errno;
        error_setg(errp, ret, "Could not open '%s': %s", filename, strerror(-ret));
        goto fail;
    }
    if (fstat(bs->fd, &st) < 0 || S_ISDIR(st.st_mode)) {
        ret = error_setg(errp, -EISDIR, "Could not open '%s': not a regular file or device",
                         filename);
        goto fail;
    }
    for (int i = 0; i < depth; i++) {
        if (chain[i].dev == st.st_dev && chain[i].ino == st.st_ino) {
            ret = error_setg(errp, -ELOOP,
                             "Backing file '%s' of '%s' makes the backing chain a loop",
                             filename, parent ? parent : filename);
            goto fail;
        }
    }
    chain[depth].dev = st.st_dev;
    chain[depth].ino = st.st_ino;

    if (format) {
        bs->drv = bdrv_find_format(format);
        if (!bs->drv) {
            ret = error_setg(errp, -EINVAL, "Unknown file format '%s' for '%s'", format,
                             filename);
            goto fail;
        }
    } else {
        bs->drv = probe_format(bs->fd);
    }
    if (bs->drv->state_size) {
        bs->opaque = calloc(1, bs->drv->state_size);
        if (!bs->opaque) {
            ret = error_setg(errp, -ENOMEM, "'%s': out of memory", filename);
            goto fail;
        }
    }
    ret = bs->drv->open(bs, flags, errp);
    if (ret < 0) {
        goto fail_open; /* close() copes with a half-opened state */
    }
    if (bs->backing_file && !(flags & BDRV_O_NO_BACKING)) {
        char *path = bdrv_backing_path(filename, bs->backing_file);
        if (!path) {
            ret = error_setg(errp, -ENOMEM, "'%s': out of memory", filename);
            goto fail_open;
        }
        if (depth + 1 >= BACKING_CHAIN_MAX) {
            ret = error_setg(errp, -ELOOP, "Backing chain of '%s' is deeper than %d images",
                             filename, BACKING_CHAIN_MAX);
            free(path);
            goto fail_open;
        }
        ret = open_one(&bs->backing, path, bs->backing_format, flags & ~BDRV_O_RDWR,
                       filename, chain, depth + 1, errp);
        if (ret < 0) {
            /* A loop is reported once, by the image that closes it. */
            if (errp && *errp && ret != -ELOOP) {
                char *msg;
                if (asprintf(&msg, "Could not open backing file of '%s': %s", filename,
                             (*errp)->msg) >= 0) {
                    free((*errp)->msg);
                    (*errp)->msg = msg;
                }
            }
            free(path);
            goto fail_open;
        }
        free(path);
    }
    *pbs = bs;
    return 0;

fail_open:
    bs->drv->close(bs);
fail:
    bdrv_free(bs);
    return ret;
}

int bdrv_open(BlockDriverState **pbs, const char *filename, const char *format, int flags,
              Error **errp)
{
    ChainId chain[BACKING_CHAIN_MAX];

    return open_one(pbs, filename, format, flags, NULL, chain, 0, errp);
}

int bdrv_close(BlockDriverState *bs, Error **errp)
{
    int ret = 0;

    while (bs) {
        BlockDriverState *backing = bs->backing;
        if (bs->flags & BDRV_O_RDWR) {
            int r = bdrv_flush(bs, errp);
            if (r < 0 && ret == 0) {
                ret = r;
            }
        }
        bs->drv->close(bs);
        bdrv_free(bs);
        bs = backing;
    }
    return ret;
}

/* ---- overlapping requests ----------------------------------------------
 * A driver that sets bs->serial_align may drop bs->lock around its data
 * I/O (bdrv_io_unlock). The entry points then keep conflicting requests
 * apart: a request waits while another one in flight overlaps it (rounded
 * out to serial_align) and either of them writes. Whole-image operations
 * (flush, truncate, snapshots, check, amend, info) conflict with all. */

typedef struct BdrvTrackedReq {
    uint64_t start, end; /* [start, end), rounded out */
    bool write;
    struct BdrvTrackedReq *next;
} BdrvTrackedReq;

static bool tracked_conflict(const BlockDriverState *bs, const BdrvTrackedReq *r)
{
    for (const BdrvTrackedReq *t = bs->tracked; t; t = t->next) {
        if (t->start < r->end && r->start < t->end && (t->write || r->write)) {
            return true;
        }
    }
    return false;
}

/* Takes bs->lock and registers [offset, offset + len) (len UINT64_MAX:
 * the whole image, as a writer). */
static void req_begin(BlockDriverState *bs, BdrvTrackedReq *r, uint64_t offset,
                      uint64_t len, bool write)
{
    uint64_t a = bs->serial_align;

    pthread_mutex_lock(&bs->lock);
    if (!a) {
        return; /* the driver never drops the lock: nothing can overlap */
    }
    if (len == UINT64_MAX) {
        r->start = 0;
        r->end = UINT64_MAX;
        r->write = true;
    } else {
        r->start = offset & ~(a - 1);
        r->end = offset + len > UINT64_MAX - a ? UINT64_MAX
                                                : (offset + len + a - 1) & ~(a - 1);
        r->write = write;
    }
    while (tracked_conflict(bs, r)) {
        pthread_cond_wait(&bs->tracked_cond, &bs->lock);
    }
    r->next = bs->tracked;
    bs->tracked = r;
}

static void req_end(BlockDriverState *bs, BdrvTrackedReq *r)
{
    if (bs->serial_align) {
        for (BdrvTrackedReq **pp = &bs->tracked; *pp; pp = &(*pp)->next) {
            if (*pp == r) {
                *pp = r->next;
                break;
            }
        }
        pthread_cond_broadcast(&bs->tracked_cond);
    }
    pthread_mutex_unlock(&bs->lock);
}

void bdrv_io_unlock(BlockDriverState *bs)
{
    pthread_mutex_unlock(&bs->lock);
}

void bdrv_io_relock(BlockDriverState *bs)
{
    pthread_mutex_lock(&bs->lock);
}

static int check_request(BlockDriverState *bs, uint64_t offset, uint64_t len, bool write,
                         Error **errp)
{
    if (offset > bs->total_size || len > bs->total_size - offset) {
        return error_setg(errp, -EINVAL,
                          "'%s': request at offset %llu length %llu is past the end of the "
                          "image (%llu bytes)",
                          bs->filename, (unsigned long long)offset, (unsigned long long)len,
                          (unsigned long long)bs->total_size);
    }
    if (write && !(bs->flags & BDRV_O_RDWR)) {
        return error_setg(errp, -EACCES, "'%s': image is opened read-only", bs->filename);
    }
    return 0;
}

int bdrv_pread(BlockDriverState *bs, uint64_t offset, void *buf, size_t len, Error **errp)
{
    int ret = check_request(bs, offset, len, false, errp);

    if (ret < 0 || len == 0) {
        return ret;
    }
    BdrvTrackedReq req;

    req_begin(bs, &req, offset, len, false);
    ret = bs->drv->read(bs, offset, buf, len, errp);
    req_end(bs, &req);
    return ret;
}

int bdrv_pwrite(BlockDriverState *bs, uint64_t offset, const void *buf, size_t len,
                Error **errp)
{
    int ret = check_request(bs, offset, len, true, errp);

    if (ret < 0 || len == 0) {
        return ret;
    }
    BdrvTrackedReq req;

    req_begin(bs, &req, offset, len, true);
    ret = bs->drv->write(bs, offset, buf, len, errp);
    req_end(bs, &req);
    return ret;
}

static int check_compressed(BlockDriverState *bs, uint64_t offset, uint64_t cluster_size,
                            Error **errp)
{
    uint64_t len;
    int ret;

    if (!cluster_size || offset % cluster_size || offset >= bs->total_size) {
        return error_setg(errp, -EINVAL, "'%s': compressed write at unaligned offset %llu",
                          bs->filename, (unsigned long long)offset);
    }
    len = bs->total_size - offset < cluster_size ? bs->total_size - offset : cluster_size;
    ret = check_request(bs, offset, len, true, errp);
    if (ret == 0 && (!bs->drv->write_compressed || !bs->drv->compress)) {
        ret = error_setg(errp, -ENOTSUP, "'%s': the %s format does not support compression",
                         bs->filename, bs->drv->format_name);
    }
    return ret;
}

ssize_t bdrv_compress_cluster(BlockDriverState *bs, const void *buf, uint64_t cluster_size,
                              void *out, Error **errp)
{
    ssize_t n;

    if (!bs->drv->compress) {
        return error_setg(errp, -ENOTSUP, "'%s': the %s format does not support compression",
                          bs->filename, bs->drv->format_name);
    }
    /* Keep at least one sector of gain, else the cluster is stored plainly. */
    n = cluster_size > 512 ? bs->drv->compress(bs, buf, out, cluster_size - 512) : -ENOSPC;
    if (n == -ENOSPC) {
        return 0;
    }
    if (n <= 0) {
        return error_setg(errp, n < 0 ? (int)n : -EIO, "'%s': could not compress a cluster",
                          bs->filename);
    }
    return n;
}

int bdrv_pwrite_compressed_data(BlockDriverState *bs, uint64_t offset, const void *data,
                                size_t len, uint64_t cluster_size, Error **errp)
{
    int ret = check_compressed(bs, offset, cluster_size, errp);

    if (ret < 0) {
        return ret;
    }
    if (!len || len >= cluster_size) {
        return error_setg(errp, -EINVAL, "'%s': compressed data of %zu bytes for a cluster "
                          "of %llu", bs->filename, len, (unsigned long long)cluster_size);
    }
    BdrvTrackedReq req;

    req_begin(bs, &req, offset, cluster_size, true);
    ret = bs->drv->write_compressed(bs, offset, data, len, errp);
    req_end(bs, &req);
    return ret;
}

int bdrv_pwrite_compressed(BlockDriverState *bs, uint64_t offset, const void *buf,
                           uint64_t cluster_size, Error **errp)
{
    int ret = check_compressed(bs, offset, cluster_size, errp);
    uint8_t *out;
    ssize_t n;

    if (ret < 0) {
        return ret;
    }
    out = malloc(cluster_size);
    if (!out) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory", bs->filename);
    }
    n = bdrv_compress_cluster(bs, buf, cluster_size, out, errp);
    if (n > 0) {
        ret = bdrv_pwrite_compressed_data(bs, offset, out, (size_t)n, cluster_size, errp);
    } else if (n == 0) {
        uint64_t len = bs->total_size - offset;
        ret = bdrv_pwrite(bs, offset, buf, len < cluster_size ? len : cluster_size, errp);
    } else {
        ret = (int)n;
    }
    free(out);
    return ret;
}

int bdrv_flush(BlockDriverState *bs, Error **errp)
{
    int ret;

    if (!(bs->flags & BDRV_O_RDWR)) {
        return 0;
    }
    BdrvTrackedReq req;

    req_begin(bs, &req, 0, UINT64_MAX, true);
    ret = bs->drv->flush(bs, errp);
    req_end(bs, &req);
    return ret;
}

void bdrv_start_writeback(BlockDriverState *bs)
{
    /* Only a hint: the kernel may write any dirty page at any time, so
     * this changes no ordering; errors show at the next flush. With no
     * flush to come (cache=unsafe) there is nothing to prepare. */
    if ((bs->flags & BDRV_O_RDWR) && !(bs->flags & BDRV_O_NO_FLUSH)) {
        sync_file_range(bs->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    }
}

int bdrv_discard(BlockDriverState *bs, uint64_t offset, uint64_t len, Error **errp)
{
    int ret = check_request(bs, offset, len, true, errp);

    if (ret < 0 || len == 0) {
        return ret;
    }
    BdrvTrackedReq req;

    req_begin(bs, &req, offset, len, true);
    ret = bs->drv->discard(bs, offset, len, errp);
    req_end(bs, &req);
    return ret;
}

int bdrv_truncate(BlockDriverState *bs, uint64_t size, Error **errp)
{
    int ret;

    if (!(bs->flags & BDRV_O_RDWR)) {
        return error_setg(errp, -EACCES, "'%s': image is opened read-only", bs->filename);
    }
    BdrvTrackedReq req;

    req_begin(bs, &req, 0, UINT64_MAX, true);
    ret = bs->drv->truncate(bs, size, errp);
    req_end(bs, &req);
    return ret;
}

int bdrv_get_info(BlockDriverState *bs, BlockInfo *info, Error **errp)
{
    int ret;

    memset(info, 0, sizeof(*info));
    BdrvTrackedReq req;

    req_begin(bs, &req, 0, UINT64_MAX, true);
    ret = bs->drv->get_info(bs, info, errp);
    req_end(bs, &req);
    return ret;
}

int bdrv_check(BlockDriverState *bs, BlockCheckResult *res, int fix, Error **errp)
{
    int ret;

    memset(res, 0, sizeof(*res));
    if (!bs->drv->check) {
        return error_setg(errp, -ENOTSUP, "This image format does not support checks");
    }
    BdrvTrackedReq req;

    req_begin(bs, &req, 0, UINT64_MAX, true);
    ret = bs->drv->check(bs, res, fix, errp);
    req_end(bs, &req);
    return ret;
}

int bdrv_block_status(BlockDriverState *bs, uint64_t offset, uint64_t *pnum, Error **errp)
{
    int ret = check_request(bs, offset, *pnum, false, errp);

    if (ret < 0) {
        return ret;
    }
    if (!bs->drv->block_status) {
        return BDRV_STATUS_DATA | BDRV_STATUS_ALLOCATED;
    }
    BdrvTrackedReq req;

    req_begin(bs, &req, offset, *pnum, false);
    ret = bs->drv->block_status(bs, offset, pnum, errp);
    req_end(bs, &req);
    return ret;
}

/* Snapshot calls need a writable image and the driver's op. */
static int snapshot_check(BlockDriverState *bs, bool has_op, Error **errp)
{
    if (!has_op) {
        return error_setg(errp, -ENOTSUP, "'%s': format %s does not support internal "
                          "snapshots", bs->filename, bs->drv->format_name);
    }
    if (!(bs->flags & BDRV_O_RDWR)) {
        return error_setg(errp, -EACCES, "'%s': image is read-only", bs->filename);
    }
    return 0;
}

static int snapshot_call(BlockDriverState *bs,
                         int (*op)(BlockDriverState *, const char *, Error **),
                         const char *name, Error **errp)
{
    BdrvTrackedReq req;
    int ret = snapshot_check(bs, op != NULL, errp);

    if (ret < 0) {
        return ret;
    }
    req_begin(bs, &req, 0, UINT64_MAX, true);
    ret = op(bs, name, errp);
    req_end(bs, &req);
    return ret;
}

int bdrv_snapshot_create_vm(BlockDriverState *bs, const char *name, uint64_t vm_state_size,
                            uint64_t vm_clock_nsec, Error **errp)
{
    int ret = snapshot_check(bs, bs->drv->snapshot_create != NULL, errp);
    BdrvTrackedReq req;

    if (ret < 0) {
        return ret;
    }
    req_begin(bs, &req, 0, UINT64_MAX, true);
    ret = bs->drv->snapshot_create(bs, name, vm_state_size, vm_clock_nsec, errp);
    req_end(bs, &req);
    return ret;
}

int bdrv_snapshot_create(BlockDriverState *bs, const char *name, Error **errp)
{
    return bdrv_snapshot_create_vm(bs, name, 0, 0, errp);
}

static int vmstate_call(BlockDriverState *bs, uint64_t pos, void *buf, size_t len, bool write,
                        Error **errp)
{
    int ret;

    if (!bs->drv->vmstate_rw) {
        return error_setg(errp, -ENOTSUP, "'%s': format %s cannot store VM state",
                          bs->filename, bs->drv->format_name);
    }
    if (write && !(bs->flags & BDRV_O_RDWR)) {
        return error_setg(errp, -EACCES, "'%s': image is read-only", bs->filename);
    }
    BdrvTrackedReq req;

    req_begin(bs, &req, 0, UINT64_MAX, true);
    ret = bs->drv->vmstate_rw(bs, pos, buf, len, write, errp);
    req_end(bs, &req);
    return ret;
}

int bdrv_vmstate_write(BlockDriverState *bs, uint64_t pos, const void *buf, size_t len,
                       Error **errp)
{
    return vmstate_call(bs, pos, (void *)buf, len, true, errp);
}

int bdrv_vmstate_read(BlockDriverState *bs, uint64_t pos, void *buf, size_t len, Error **errp)
{
    return vmstate_call(bs, pos, buf, len, false, errp);
}

int bdrv_snapshot_apply(BlockDriverState *bs, const char *name, Error **errp)
{
    return snapshot_call(bs, bs->drv->snapshot_apply, name, errp);
}

int bdrv_snapshot_delete(BlockDriverState *bs, const char *name, Error **errp)
{
    return snapshot_call(bs, bs->drv->snapshot_delete, name, errp);
}

int bdrv_amend(BlockDriverState *bs, int version, int lazy_refcounts, Error **errp)
{
    int ret;

    if (!bs->drv->amend) {
        return error_setg(errp, -ENOTSUP, "'%s': format %s does not support amend",
                          bs->filename, bs->drv->format_name);
    }
    if (!(bs->flags & BDRV_O_RDWR)) {
        return error_setg(errp, -EACCES, "'%s': image is read-only", bs->filename);
    }
    BdrvTrackedReq req;

    req_begin(bs, &req, 0, UINT64_MAX, true);
    ret = bs->drv->amend(bs, version, lazy_refcounts, errp);
    req_end(bs, &req);
    return ret;
}

typedef int HostOffsetOp(BlockDriverState *bs, uint64_t offset, uint64_t *pnum,
                         uint64_t *host, bool *has, Error **errp);

static int host_offset_call(BlockDriverState *bs, HostOffsetOp *op, uint64_t offset,
                            uint64_t *pnum, uint64_t *host, bool *has, Error **errp)
{
    int ret = check_request(bs, offset, *pnum, false, errp);

    *has = false;
    *host = 0;
    if (ret < 0 || !op) {
        return ret;
    }
    BdrvTrackedReq req;

    req_begin(bs, &req, offset, *pnum, false);
    ret = op(bs, offset, pnum, host, has, errp);
    req_end(bs, &req);
    return ret;
}

int bdrv_host_offset(BlockDriverState *bs, uint64_t offset, uint64_t *pnum, uint64_t *host,
                     bool *has, Error **errp)
{
    return host_offset_call(bs, bs->drv->host_offset, offset, pnum, host, has, errp);
}

int bdrv_data_offset(BlockDriverState *bs, uint64_t offset, uint64_t *pnum, uint64_t *host,
                     bool *has, Error **errp)
{
    return host_offset_call(bs, bs->drv->data_offset, offset, pnum, host, has, errp);
}

int bdrv_change_backing(BlockDriverState *bs, const char *name, const char *fmt,
                        Error **errp)
{
    int ret;

    if (!bs->drv->change_backing) {
        return error_setg(errp, -ENOTSUP,
                          "Could not change the backing file to '%s': Operation not supported "
                          "(the %s format has no backing file)",
                          name ? name : "", bs->drv->format_name);
    }
    if (!(bs->flags & BDRV_O_RDWR)) {
        return error_setg(errp, -EACCES, "'%s': image is read-only", bs->filename);
    }
    BdrvTrackedReq req;

    req_begin(bs, &req, 0, UINT64_MAX, true);
    ret = bs->drv->change_backing(bs, name, fmt, errp);
    req_end(bs, &req);
    return ret;
}

int bdrv_make_empty(BlockDriverState *bs, Error **errp)
{
    int ret;

    if (!bs->drv->make_empty) {
        return error_setg(errp, -ENOTSUP, "'%s': the %s format cannot be emptied",
                          bs->filename, bs->drv->format_name);
    }
    if (!(bs->flags & BDRV_O_RDWR)) {
        return error_setg(errp, -EACCES, "'%s': image is read-only", bs->filename);
    }
    BdrvTrackedReq req;

    req_begin(bs, &req, 0, UINT64_MAX, true);
    ret = bs->drv->make_empty(bs, errp);
    req_end(bs, &req);
    return ret;
}

int bdrv_create(const char *format, const char *filename, const BlockCreateOptions *opts,
                Error **errp)
{
    const BlockDriver *drv = bdrv_find_format(format);

    if (!drv) {
        return error_setg(errp, -EINVAL, "Unknown file format '%s'", format);
    }
    return drv->create(filename, opts, errp);
}

int bdrv_read_backing(BlockDriverState *bs, uint64_t offset, void *buf, size_t len,
                      Error **errp)
{
    BlockDriverState *b = bs->backing;
    size_t n = 0;

    if (b && offset < b->total_size) {
        n = len;
        if (n > b->total_size - offset) {
            n = (size_t)(b->total_size - offset);
        }
        int ret = bdrv_pread(b, offset, buf, n, errp);
        if (ret < 0) {
            return ret;
        }
    }
    memset((uint8_t *)buf + n, 0, len - n);
    return 0;
}
