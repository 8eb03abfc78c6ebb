/*
 * qcow2-header.c — reading, validating and rewriting the qcow2 header and
 * its extensions (backing format, feature name table, unknown ones).
 *
 * The one thing to know: every field that locates something (L1, refcount
 * table, snapshots, backing name, extensions) is checked against the
 * cluster size and the file size here, before anything uses it; unknown
 * header bytes and extensions are kept and written back unchanged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/qcow2.h"

static const struct {
    int type, bit;
    const char *name;
} known_features[] = {
    { 0, 0, "dirty bit" },
    { 0, 1, "corrupt bit" },
    { 0, 2, "external data file" },
    { 0, 3, "compression type" },
    { 0, 4, "extended L2 entries" },
    { 1, 0, "lazy refcounts" },
    { 2, 0, "bitmaps" },
    { 2, 1, "raw external data" },
};

#define N_KNOWN_FEATURES (sizeof(known_features) / sizeof(known_features[0]))

static int bad(Qcow2State *s, Error **errp, int code, const char *what)
{
    return error_setg(errp, code, "'%s': %s", s->filename, what);
}

static int parse_extensions(Qcow2State *s, const uint8_t *cluster, uint64_t end,
                            Error **errp)
{
    uint64_t off = s->header_length;

    while (off + 8 <= end) {
        uint32_t type = qcow2_be32(cluster + off);
        uint32_t len = qcow2_be32(cluster + off + 4);
        const uint8_t *data = cluster + off + 8;

        if (type == QCOW2_EXT_END) {
            return 0;
        }
        if (len > end - off - 8) {
            return error_setg(errp, -EINVAL,
                              "'%s': header extension %#x at offset %llu (length %u) "
                              "overflows the header area",
                              s->filename, type, (unsigned long long)off, len);
        }
        if (type == QCOW2_EXT_BACKING_FMT) {
            if (len > 31) {
                return bad(s, errp, -EINVAL, "backing format name too long");
            }
            free(s->bs->backing_format);
            s->bs->backing_format = strndup((const char *)data, len);
        } else {
            Qcow2Ext *e = realloc(s->exts, sizeof(*e) * (size_t)(s->n_exts + 1));
            if (!e) {
                return bad(s, errp, -ENOMEM, "out of memory");
            }
            s->exts = e;
            e[s->n_exts].type = type;
            e[s->n_exts].len = len;
            e[s->n_exts].data = malloc(len ? len : 1);
            if (!e[s->n_exts].data) {
                return bad(s, errp, -ENOMEM, "out of memory");
            }
            memcpy(e[s->n_exts].data, data, len);
            s->n_exts++;
            if (type == QCOW2_EXT_FEATURE_TABLE) {
                for (uint32_t i = 0; i + 48 <= len; i += 48) {
                    uint8_t ftype = data[i], fbit = data[i + 1];
                    if (ftype < 3 && fbit < 64) {
                        memcpy(s->feature_names[ftype][fbit], data + i + 2, 46);
                    }
                }
            }
        }
        off += 8 + (((uint64_t)len + 7) & ~7ULL);
    }
    return 0;
}

static int check_incompat(Qcow2State *s, Error **errp)
{
    uint64_t unknown = s->incompat & ~(QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT |
                                       QCOW2_INCOMPAT_COMPRESSION | QCOW2_INCOMPAT_EXTL2);
    char names[512] = "";

    if (!unknown) {
        return 0;
    }
    for (int bit = 0; bit < 64; bit++) {
        const char *name = NULL;
        char tmp[48];
        if (!(unknown & (1ULL << bit))) {
            continue;
        }
        if (s->feature_names[0][bit][0]) {
            memcpy(tmp, s->feature_names[0][bit], 46);
            tmp[46] = 0;
            name = tmp;
        } else {
            for (size_t i = 0; i < N_KNOWN_FEATURES; i++) {
                if (known_features[i].type == 0 && known_features[i].bit == bit) {
                    name = known_features[i].name;
                }
            }
        }
        size_t n = strlen(names);
        if (name) {
            snprintf(names + n, sizeof(names) - n, "%s%s", n ? ", " : "", name);
        } else {
            snprintf(names + n, sizeof(names) - n, "%sUnknown incompatible feature: %d",
                     n ? ", " : "", bit);
        }
    }
    return error_setg(errp, -ENOTSUP, "'%s': Unsupported qcow2 feature(s): %s", s->filename,
                      names);
}

static int check_range(Qcow2State *s, uint64_t offset, uint64_t len, uint64_t fsize,
                       const char *what, Error **errp)
{
    if (offset & (s->cluster_size - 1)) {
        return error_setg(errp, -EINVAL, "'%s': %s offset %#llx is not cluster aligned",
                          s->filename, what, (unsigned long long)offset);
    }
    if (offset < s->cluster_size) {
        return error_setg(errp, -EINVAL, "'%s': %s offset %#llx points into the header",
                          s->filename, what, (unsigned long long)offset);
    }
    if (offset > fsize || len > fsize - offset) {
        return error_setg(errp, -EINVAL,
                          "'%s': %s at offset %#llx (%llu bytes) lies past the end of the "
                          "file (%llu bytes)",
                          s->filename, what, (unsigned long long)offset,
                          (unsigned long long)len, (unsigned long long)fsize);
    }
    return 0;
}

static int load_tables(Qcow2State *s, Error **errp)
{
    size_t l1_bytes = (size_t)s->l1_size * 8;
    size_t rt_bytes = (size_t)s->rt_clusters * s->cluster_size;
    uint8_t *raw;
    int ret;

    s->rt_size = rt_bytes / 8;
    s->l1 = calloc(s->l1_size ? s->l1_size : 1, 8);
    s->rt = calloc(s->rt_size, 8);
    raw = malloc(rt_bytes > l1_bytes ? rt_bytes : l1_bytes ? l1_bytes : 1);
    if (!s->l1 || !s->rt || !raw) {
        free(raw);
        return bad(s, errp, -ENOMEM, "out of memory for the L1 or refcount table");
    }
    ret = l1_bytes ? file_pread(s->fd, raw, l1_bytes, s->l1_offset) : 0;
    if (ret < 0) {
        free(raw);
        return error_setg(errp, ret, "'%s': could not read the L1 table: %s", s->filename,
                          strerror(-ret));
    }
    for (uint32_t i = 0; i < s->l1_size; i++) {
        s->l1[i] = qcow2_be64(raw + i * 8);
    }
    ret = file_pread(s->fd, raw, rt_bytes, s->rt_offset);
    if (ret < 0) {
        free(raw);
        return error_setg(errp, ret, "'%s': could not read the refcount table: %s",
                          s->filename, strerror(-ret));
    }
    for (uint64_t i = 0; i < s->rt_size; i++) {
        s->rt[i] = qcow2_be64(raw + i * 8);
    }
    free(raw);
    return 0;
}

int qcow2_header_read(Qcow2State *s, Error **errp)
{
    uint8_t h[QCOW2_V3_HEADER_LEN];
    int64_t fsize = file_size(s->fd);
    uint64_t size, l1_needed, backing_off;
    uint32_t backing_len, crypt;
    uint8_t *cluster;
    int ret;

    if (fsize < 0) {
        return error_setg(errp, (int)fsize, "'%s': could not get the file size",
                          s->filename);
    }
    if (fsize < QCOW2_V2_HEADER_LEN) {
        return bad(s, errp, -EINVAL, "file too small for a qcow2 header (truncated?)");
    }
    memset(h, 0, sizeof(h));
    ret = file_pread(s->fd, h, (size_t)(fsize < (int64_t)sizeof(h) ? fsize : (int64_t)sizeof(h)),
                     0);
    if (ret < 0) {
        return error_setg(errp, ret, "'%s': could not read the header: %s", s->filename,
                          strerror(-ret));
    }
    if (qcow2_be32(h) != QCOW2_MAGIC) {
        return bad(s, errp, -EINVAL, "Image is not in qcow2 format");
    }
    s->version = qcow2_be32(h + 4);
    if (s->version != 2 && s->version != 3) {
        return error_setg(errp, -ENOTSUP, "'%s': Unsupported qcow2 version %u", s->filename,
                          s->version);
    }
    s->cluster_bits = qcow2_be32(h + 20);
    if (s->cluster_bits < QCOW2_MIN_CLUSTER_BITS || s->cluster_bits > QCOW2_MAX_CLUSTER_BITS) {
        return error_setg(errp, -EINVAL,
                          "'%s': Unsupported cluster size: 2^%u (cluster_bits must be "
                          "%d..%d)",
                          s->filename, s->cluster_bits, QCOW2_MIN_CLUSTER_BITS,
                          QCOW2_MAX_CLUSTER_BITS);
    }
    s->cluster_size = 1ULL << s->cluster_bits;
    s->l2_bits = s->cluster_bits - 3;
    s->l2_entry_size = 8;
    s->subcluster_size = s->cluster_size;
    if (s->version == 2) {
        s->header_length = QCOW2_V2_HEADER_LEN;
        s->refcount_order = 4;
    } else {
        if (fsize < QCOW2_V3_HEADER_LEN) {
            return bad(s, errp, -EINVAL, "file too small for a qcow2 v3 header (truncated?)");
        }
        s->incompat = qcow2_be64(h + 72);
        s->compat = qcow2_be64(h + 80);
        s->autoclear = qcow2_be64(h + 88);
        s->refcount_order = qcow2_be32(h + 96);
        s->header_length = qcow2_be32(h + 100);
        if (s->header_length < QCOW2_V3_HEADER_LEN || s->header_length % 8 ||
            s->header_length > s->cluster_size) {
            return error_setg(errp, -EINVAL, "'%s': invalid header length %u", s->filename,
                              s->header_length);
        }
        if (s->refcount_order > 6) {
            return bad(s, errp, -EINVAL,
                       "Reference count entry width too large; may not exceed 64 bits");
        }
    }
    if ((int64_t)s->cluster_size > fsize) {
        return bad(s, errp, -EINVAL, "file is shorter than one cluster (truncated?)");
    }
    s->refcount_bits = 1u << s->refcount_order;
    s->refblock_entries = s->cluster_size * 8 / s->refcount_bits;

    cluster = malloc(s->cluster_size);
    if (!cluster) {
        return bad(s, errp, -ENOMEM, "out of memory");
    }
    ret = file_pread(s->fd, cluster, s->cluster_size, 0);
    if (ret < 0) {
        free(cluster);
        return error_setg(errp, ret, "'%s': could not read the header cluster: %s",
                          s->filename, strerror(-ret));
    }
    s->header_raw = malloc(s->header_length);
    if (!s->header_raw) {
        free(cluster);
        return bad(s, errp, -ENOMEM, "out of memory");
    }
    memcpy(s->header_raw, cluster, s->header_length);
    if (s->header_length > 104) {
        s->compression_type = cluster[104];
    }

    backing_off = qcow2_be64(h + 8);
    backing_len = qcow2_be32(h + 16);
    size = qcow2_be64(h + 24);
    crypt = qcow2_be32(h + 32);
    s->l1_size = qcow2_be32(h + 36);
    s->l1_offset = qcow2_be64(h + 40);
    s->rt_offset = qcow2_be64(h + 48);
    s->rt_clusters = qcow2_be32(h + 56);
    s->nb_snapshots = qcow2_be32(h + 60);
    s->snapshots_offset = qcow2_be64(h + 64);

    /* Extensions end where the backing name starts, or at the cluster end. */
    ret = parse_extensions(s, cluster,
                           backing_off && backing_off < s->cluster_size ? backing_off
                                                                        : s->cluster_size,
                           errp);
    if (ret == 0) {
        ret = check_incompat(s, errp);
    }
    if (ret == 0 && backing_off) {
        if (backing_len > QCOW2_MAX_BACKING_NAME || backing_len == 0) {
            ret = bad(s, errp, -EINVAL, "backing file name length is 0 or above 1023 bytes");
        } else if (backing_off < s->header_length ||
                   backing_off + backing_len > s->cluster_size) {
            ret = bad(s, errp, -EINVAL, "backing file name lies outside the header cluster");
        } else {
            s->bs->backing_file = strndup((const char *)cluster + backing_off, backing_len);
        }
    }
    free(cluster);
    if (ret < 0) {
        return ret;
    }

    if (s->incompat & QCOW2_INCOMPAT_COMPRESSION) {
        if (s->header_length <= 104 || s->compression_type != 1) {
            return bad(s, errp, -EINVAL, "invalid compression type in the header");
        }
    } else if (s->compression_type != 0) {
        return bad(s, errp, -EINVAL,
                   "compression type set without the compression type feature bit");
    }
    if (s->incompat & QCOW2_INCOMPAT_EXTL2) {
        if (s->cluster_bits < 14) {
            return bad(s, errp, -EINVAL,
                       "Extended L2 entries need a cluster size of at least 16 KiB");
        }
        s->extended_l2 = true;
        s->l2_entry_size = 16;
        s->l2_bits = s->cluster_bits - 4;
        s->subcluster_size = s->cluster_size / QCOW2_SUBCLUSTERS;
    }
    if (crypt != 0) {
        return bad(s, errp, -ENOTSUP, "encrypted images are not supported");
    }
    if (size > INT64_MAX) {
        return bad(s, errp, -EFBIG, "Image is too big (virtual size above 2^63)");
    }
    l1_needed = (size + (s->cluster_size << s->l2_bits) - 1) >> (s->cluster_bits + s->l2_bits);
    if (l1_needed > QCOW2_MAX_L1_BYTES / 8) {
        return error_setg(errp, -EFBIG,
                          "'%s': Image is too big: virtual size %llu needs more than %u L1 "
                          "entries",
                          s->filename, (unsigned long long)size, QCOW2_MAX_L1_BYTES / 8);
    }
    if (s->l1_size > QCOW2_MAX_L1_BYTES / 8) {
        return bad(s, errp, -EFBIG, "Active L1 table too large");
    }
    if (s->l1_size < l1_needed) {
        return error_setg(errp, -EINVAL,
                          "'%s': L1 table has %u entries, %llu are needed for the virtual size",
                          s->filename, s->l1_size, (unsigned long long)l1_needed);
    }
    if (s->l1_size && check_range(s, s->l1_offset, (uint64_t)s->l1_size * 8,
                                  (uint64_t)fsize, "L1 table", errp) < 0) {
        return -EINVAL;
    }
    if (s->rt_clusters == 0 || (uint64_t)s->rt_clusters * s->cluster_size > QCOW2_MAX_RT_BYTES) {
        return error_setg(errp, -EINVAL, "'%s': refcount table size of %u clusters is invalid",
                          s->filename, s->rt_clusters);
    }
    if (check_range(s, s->rt_offset, (uint64_t)s->rt_clusters * s->cluster_size,
                    (uint64_t)fsize, "refcount table", errp) < 0) {
        return -EINVAL;
    }
    if (s->nb_snapshots > QCOW2_MAX_SNAPSHOTS) {
        return bad(s, errp, -EINVAL, "too many snapshots");
    }
    if (s->nb_snapshots &&
        check_range(s, s->snapshots_offset, 1, (uint64_t)fsize, "snapshot table", errp) < 0) {
        return -EINVAL;
    }
    s->bs->total_size = size;
    return load_tables(s, errp);
}

/* Writes the header cluster: fixed fields over the kept raw header, then
 * extensions and the backing file name. */
int qcow2_header_write(Qcow2State *s, Error **errp)
{
    uint8_t *buf = calloc(1, s->cluster_size);
    const char *bfmt = s->bs->backing_format, *bname = s->bs->backing_file;
    bool has_table = false;
    uint64_t off;
    int ret;

    if (!buf) {
        return bad(s, errp, -ENOMEM, "out of memory");
    }
    memcpy(buf, s->header_raw, s->header_length);
    qcow2_put_be32(buf, QCOW2_MAGIC);
    qcow2_put_be32(buf + 4, s->version);
    qcow2_put_be32(buf + 20, s->cluster_bits);
    qcow2_put_be64(buf + 24, s->bs->total_size);
    qcow2_put_be32(buf + 36, s->l1_size);
    qcow2_put_be64(buf + 40, s->l1_offset);
    qcow2_put_be64(buf + 48, s->rt_offset);
    qcow2_put_be32(buf + 56, s->rt_clusters);
    qcow2_put_be32(buf + 60, s->nb_snapshots);
    qcow2_put_be64(buf + 64, s->snapshots_offset);
    if (s->version == 3) {
        qcow2_put_be64(buf + 72, s->incompat);
        qcow2_put_be64(buf + 80, s->compat);
        qcow2_put_be64(buf + 88, s->autoclear);
        qcow2_put_be32(buf + 96, s->refcount_order);
        qcow2_put_be32(buf + 100, s->header_length);
        if (s->header_length > 104) {
            buf[104] = s->compression_type;
        }
    }
    off = s->header_length;
    if (bfmt) {
        size_t len = strlen(bfmt);
        qcow2_put_be32(buf + off, QCOW2_EXT_BACKING_FMT);
        qcow2_put_be32(buf + off + 4, (uint32_t)len);
        memcpy(buf + off + 8, bfmt, len);
        off += 8 + ((len + 7) & ~7ULL);
    }
    for (int i = 0; i < s->n_exts; i++) {
        uint64_t need = 8 + (((uint64_t)s->exts[i].len + 7) & ~7ULL);
        if (off + need + 8 > s->cluster_size) {
            free(buf);
            return bad(s, errp, -ENOSPC, "header extensions do not fit in the first cluster");
        }
        has_table |= s->exts[i].type == QCOW2_EXT_FEATURE_TABLE;
        qcow2_put_be32(buf + off, s->exts[i].type);
        qcow2_put_be32(buf + off + 4, s->exts[i].len);
        memcpy(buf + off + 8, s->exts[i].data, s->exts[i].len);
        off += need;
    }
    if (!has_table && s->version == 3 &&
        off + 8 + 48 * N_KNOWN_FEATURES + 8 <= s->cluster_size) {
        qcow2_put_be32(buf + off, QCOW2_EXT_FEATURE_TABLE);
        qcow2_put_be32(buf + off + 4, (uint32_t)(48 * N_KNOWN_FEATURES));
        for (size_t i = 0; i < N_KNOWN_FEATURES; i++) {
            uint8_t *e = buf + off + 8 + 48 * i;
            e[0] = (uint8_t)known_features[i].type;
            e[1] = (uint8_t)known_features[i].bit;
            strncpy((char *)e + 2, known_features[i].name, 46);
        }
        off += 8 + 48 * N_KNOWN_FEATURES;
    }
    off += 8; /* end of extensions: type 0, length 0 (already zero) */
    if (bname) {
        size_t len = strlen(bname);
        if (len > QCOW2_MAX_BACKING_NAME || off + len > s->cluster_size) {
            free(buf);
            return bad(s, errp, -ENOSPC, "backing file name does not fit in the header");
        }
        memcpy(buf + off, bname, len);
        qcow2_put_be64(buf + 8, off);
        qcow2_put_be32(buf + 16, (uint32_t)len);
        off += len;
    } else {
        qcow2_put_be64(buf + 8, 0);
        qcow2_put_be32(buf + 16, 0);
    }
    ret = file_pwrite(s->fd, buf, off, 0);
    free(buf);
    if (ret < 0) {
        return error_setg(errp, ret, "'%s': could not write the header: %s", s->filename,
                          strerror(-ret));
    }
    return 0;
}

int qcow2_header_set_incompat(Qcow2State *s, uint64_t set, uint64_t clear, Error **errp)
{
    uint8_t b[8];
    int ret;

    if (s->version < 3) {
        return 0;
    }
    s->incompat = (s->incompat | set) & ~clear;
    qcow2_put_be64(b, s->incompat);
    ret = file_pwrite(s->fd, b, 8, 72);
    if (ret == 0 && img_sync(s->bs, s->fd) < 0) {
        ret = -errno;
    }
    if (ret < 0) {
        return error_setg(errp, ret, "'%s': could not update the header: %s", s->filename,
                          strerror(-ret));
    }
    return 0;
}
