/*
 * qcow2-create.c — creating a qcow2 image: header, refcount table and one
 * refcount block, then growing the empty image to its size.
 *
 * The one thing to know: the L1 table is not laid out here; the new image
 * starts with size 0 and is grown through the normal resize path, so
 * creation exercises the same allocation code as every later write.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/qcow2.h"

static int check_opts(const char *filename, const BlockCreateOptions *o, int version,
                      Error **errp)
{
    uint64_t cs = o->cluster_size;

    if (cs < 512 || cs > (1u << QCOW2_MAX_CLUSTER_BITS) || (cs & (cs - 1))) {
        return error_setg(errp, -EINVAL,
                          "'%s': Cluster size must be a power of two between 512 and %uk "
                          "(option cluster_size)",
                          filename, (1u << QCOW2_MAX_CLUSTER_BITS) / 1024);
    }
    if (version != 2 && version != 3) {
        return error_setg(errp, -EINVAL, "'%s': compat must be 0.10 or 1.1 (option compat)",
                          filename);
    }
    if (version == 2 && (o->lazy_refcounts || o->compression_type)) {
        return error_setg(errp, -EINVAL,
                          "'%s': lazy_refcounts and compression_type=zstd need compat=1.1",
                          filename);
    }
    if (o->extended_l2 && cs < 16384) {
        return error_setg(errp, -EINVAL,
                          "'%s': Extended L2 entries are only supported with cluster sizes of "
                          "at least 16384 bytes",
                          filename);
    }
    if (o->extended_l2 && version == 2) {
        return error_setg(errp, -EINVAL,
                          "'%s': Extended L2 entries are only supported with compatibility "
                          "level 1.1 and above (use version=v3 or greater)",
                          filename);
    }
    if (o->backing_fmt && !o->backing_file) {
        return error_setg(errp, -EINVAL,
                          "'%s': a backing format (option backing_fmt) needs a backing file",
                          filename);
    }
    if (o->backing_file && strlen(o->backing_file) > QCOW2_MAX_BACKING_NAME) {
        return error_setg(errp, -EINVAL, "'%s': backing file name too long (option "
                          "backing_file)", filename);
    }
    if (o->size > INT64_MAX) {
        return error_setg(errp, -EFBIG, "'%s': size too large", filename);
    }
    return 0;
}

/* Writes the three-cluster empty image: header, refcount table, block. */
static int write_empty(const char *filename, const BlockCreateOptions *o, int version,
                       Error **errp)
{
    BlockDriverState bs;
    Qcow2State s;
    uint64_t cs = o->cluster_size;
    uint8_t *buf;
    int ret;

    memset(&bs, 0, sizeof(bs));
    memset(&s, 0, sizeof(s));
    bs.backing_file = (char *)o->backing_file;
    bs.backing_format = (char *)o->backing_fmt;
    s.bs = &bs;
    s.filename = filename;
    s.version = (uint32_t)version;
    s.cluster_size = cs;
    s.cluster_bits = (uint32_t)__builtin_ctzll(cs);
    s.refcount_order = 4;
    s.header_length = version == 3 ? 112 : QCOW2_V2_HEADER_LEN;
    s.compat = o->lazy_refcounts ? QCOW2_COMPAT_LAZY_REFCOUNTS : 0;
    s.compression_type = (uint8_t)o->compression_type;
    s.incompat = (o->compression_type ? QCOW2_INCOMPAT_COMPRESSION : 0) |
                 (o->extended_l2 ? QCOW2_INCOMPAT_EXTL2 : 0);
    s.rt_offset = cs;
    s.rt_clusters = 1;
    s.header_raw = calloc(1, s.header_length);
    buf = calloc(2, cs);
    if (!s.header_raw || !buf) {
        free(s.header_raw);
        free(buf);
        return error_setg(errp, -ENOMEM, "'%s': out of memory", filename);
    }
    s.fd = open(filename, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (s.fd < 0) {
        ret = error_setg(errp, -errno, "Could not create '%s': %s", filename, strerror(errno));
        goto out;
    }
    qcow2_put_be64(buf, 2 * cs); /* refcount table entry 0 → block at cluster 2 */
    for (int i = 0; i < 3; i++) {
        buf[cs + 2 * i + 1] = 1; /* 16-bit refcounts of clusters 0, 1, 2 */
    }
    ret = qcow2_header_write(&s, errp);
    if (ret == 0) {
        ret = file_pwrite(s.fd, buf, 2 * cs, cs);
        if (ret < 0) {
            ret = error_setg(errp, ret, "Could not write '%s': %s", filename, strerror(-ret));
        }
    }
    if (ret == 0 && fsync(s.fd) < 0) {
        ret = error_setg(errp, -errno, "Could not write '%s': %s", filename, strerror(errno));
    }
    close(s.fd);
out:
    free(s.header_raw);
    free(buf);
    return ret;
}

int qcow2_create(const char *filename, const BlockCreateOptions *opts, Error **errp)
{
    BlockCreateOptions o = *opts;
    BlockDriverState *bs = NULL;
    int version = o.qcow2_version ? o.qcow2_version : 3;
    int ret;

    if (!o.cluster_size) {
        o.cluster_size = QCOW2_DEFAULT_CLUSTER_SIZE;
    }
    ret = check_opts(filename, &o, version, errp);
    if (ret < 0) {
        return ret;
    }
    ret = write_empty(filename, &o, version, errp);
    if (ret < 0) {
        return ret;
    }
    ret = bdrv_open(&bs, filename, "qcow2", BDRV_O_RDWR | BDRV_O_NO_BACKING, errp);
    if (ret == 0 && o.size) {
        ret = bdrv_truncate(bs, o.size, errp);
    }
    int r = bdrv_close(bs, errp);
    return ret < 0 ? ret : r;
}
