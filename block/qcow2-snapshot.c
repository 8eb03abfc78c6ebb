/*
 * qcow2-snapshot.c — the internal snapshot table: reading and validating
 * it at open, writing it back after a change, finding a snapshot, reading
 * a snapshot's L1 table.
 *
 * The one thing to know: the table is variable-length (extra data, id and
 * name per entry), so every length is checked against the file size and
 * sane limits before anything is read; a changed table always goes to new
 * clusters, and the header switches to it in one synced 12-byte write.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/qcow2.h"

#define SNAPSHOT_HEADER_LEN 40
#define SNAPSHOT_MAX_EXTRA 1024
#define SNAPSHOT_MAX_TABLE (64u << 20)

void qcow2_snapshots_free(Qcow2State *s)
{
    for (uint32_t i = 0; i < s->n_snapshots_read; i++) {
        free(s->snap_info[i].id);
        free(s->snap_info[i].name);
        free(s->snapshots[i].extra);
    }
    free(s->snapshots);
    free(s->snap_info);
    s->snapshots = NULL;
    s->snap_info = NULL;
    s->n_snapshots_read = 0;
}

static int bad(Qcow2State *s, Error **errp, uint32_t i, const char *what)
{
    return error_setg(errp, -EINVAL, "'%s': snapshot table entry %u: %s", s->filename, i,
                      what);
}

int qcow2_snapshots_read(Qcow2State *s, Error **errp)
{
    int64_t fsize = file_size(s->fd);
    uint64_t off = s->snapshots_offset;
    uint8_t h[SNAPSHOT_HEADER_LEN], extra[SNAPSHOT_MAX_EXTRA];

    if (!s->nb_snapshots) {
        return 0;
    }
    s->snapshots = calloc(s->nb_snapshots, sizeof(*s->snapshots));
    s->snap_info = calloc(s->nb_snapshots, sizeof(*s->snap_info));
    if (!s->snapshots || !s->snap_info || fsize < 0) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory", s->filename);
    }
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        Qcow2Snapshot *sn = &s->snapshots[i];
        BlockSnapshotInfo *si = &s->snap_info[i];
        uint32_t extra_len, id_len, name_len;

        if (off - s->snapshots_offset > SNAPSHOT_MAX_TABLE ||
            off + SNAPSHOT_HEADER_LEN > (uint64_t)fsize ||
            file_pread(s->fd, h, sizeof(h), off) < 0) {
            return bad(s, errp, i, "lies past the end of the file");
        }
        sn->l1_offset = qcow2_be64(h);
        sn->l1_size = qcow2_be32(h + 8);
        id_len = (uint32_t)h[12] << 8 | h[13];
        name_len = (uint32_t)h[14] << 8 | h[15];
        si->date_sec = qcow2_be32(h + 16);
        si->date_nsec = qcow2_be32(h + 20);
        si->vm_clock_nsec = qcow2_be64(h + 24);
        si->vm_state_size = sn->vm_state_size32 = qcow2_be32(h + 32);
        extra_len = qcow2_be32(h + 36);
        si->icount = UINT64_MAX;
        if (extra_len > SNAPSHOT_MAX_EXTRA) {
            return bad(s, errp, i, "extra data too large");
        }
        off += SNAPSHOT_HEADER_LEN;
        if (off + extra_len + id_len + name_len > (uint64_t)fsize) {
            return bad(s, errp, i, "lies past the end of the file");
        }
        if (file_pread(s->fd, extra, extra_len, off) < 0) {
            return bad(s, errp, i, "could not read extra data");
        }
        if (s->version >= 3 && extra_len < 16) {
            return bad(s, errp, i, "extra data too short for a version 3 image");
        }
        if (extra_len >= 8) {
            si->vm_state_size = qcow2_be64(extra);
        }
        if (extra_len >= 16) {
            sn->disk_size = qcow2_be64(extra + 8);
            sn->has_disk_size = true;
        }
        if (extra_len >= 24) {
            si->icount = qcow2_be64(extra + 16);
        }
        off += extra_len;
        if (id_len == 0) {
            return bad(s, errp, i, "empty snapshot id");
        }
        si->id = calloc(1, id_len + 1);
        si->name = calloc(1, name_len + 1);
        sn->extra = malloc(extra_len ? extra_len : 1);
        sn->extra_len = extra_len;
        s->n_snapshots_read = i + 1;
        if (!si->id || !si->name || !sn->extra) {
            return error_setg(errp, -ENOMEM, "'%s': out of memory", s->filename);
        }
        if (file_pread(s->fd, si->id, id_len, off) < 0 ||
            file_pread(s->fd, si->name, name_len, off + id_len) < 0) {
            return bad(s, errp, i, "could not read the id or name");
        }
        memcpy(sn->extra, extra, extra_len);
        off += id_len + name_len;
        off = (off + 7) & ~7ULL;
        if (sn->l1_size > QCOW2_MAX_L1_BYTES / 8) {
            return bad(s, errp, i, "L1 table too large");
        }
        if (sn->l1_size && ((sn->l1_offset & (s->cluster_size - 1)) ||
                            sn->l1_offset < s->cluster_size ||
                            sn->l1_offset + (uint64_t)sn->l1_size * 8 > (uint64_t)fsize)) {
            return bad(s, errp, i, "L1 table offset invalid or past the end of the file");
        }
    }
    s->snapshots_size = off - s->snapshots_offset;
    return 0;
}

int qcow2_snapshot_find(const Qcow2State *s, const char *id_or_name)
{
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        if (!strcmp(s->snap_info[i].id, id_or_name)) {
            return (int)i;
        }
    }
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        if (!strcmp(s->snap_info[i].name, id_or_name)) {
            return (int)i;
        }
    }
    return -1;
}

int qcow2_snapshot_read_l1(Qcow2State *s, const Qcow2Snapshot *sn, uint64_t **l1,
                           Error **errp)
{
    size_t bytes = (size_t)sn->l1_size * 8;
    uint8_t *raw = malloc(bytes ? bytes : 1);
    int ret;

    *l1 = calloc(sn->l1_size ? sn->l1_size : 1, 8);
    if (!raw || !*l1) {
        free(raw);
        free(*l1);
        *l1 = NULL;
        return error_setg(errp, -ENOMEM, "'%s': out of memory", s->filename);
    }
    ret = bytes ? file_pread(s->fd, raw, bytes, sn->l1_offset) : 0;
    for (uint32_t i = 0; ret == 0 && i < sn->l1_size; i++) {
        (*l1)[i] = qcow2_be64(raw + 8 * i);
    }
    free(raw);
    if (ret < 0) {
        free(*l1);
        *l1 = NULL;
        return error_setg(errp, ret, "'%s': could not read a snapshot L1 table: %s",
                          s->filename, strerror(-ret));
    }
    return 0;
}

/* Serialises the table; returns its length in bytes. */
static size_t encode_table(const Qcow2State *s, uint8_t *buf)
{
    size_t off = 0;

    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        const Qcow2Snapshot *sn = &s->snapshots[i];
        const BlockSnapshotInfo *si = &s->snap_info[i];
        size_t id_len = strlen(si->id), name_len = strlen(si->name);

        if (buf) {
            uint8_t *h = buf + off;
            qcow2_put_be64(h, sn->l1_offset);
            qcow2_put_be32(h + 8, sn->l1_size);
            h[12] = (uint8_t)(id_len >> 8);
            h[13] = (uint8_t)id_len;
            h[14] = (uint8_t)(name_len >> 8);
            h[15] = (uint8_t)name_len;
            qcow2_put_be32(h + 16, si->date_sec);
            qcow2_put_be32(h + 20, si->date_nsec);
            qcow2_put_be64(h + 24, si->vm_clock_nsec);
            qcow2_put_be32(h + 32, sn->vm_state_size32);
            qcow2_put_be32(h + 36, sn->extra_len);
            memcpy(h + SNAPSHOT_HEADER_LEN, sn->extra, sn->extra_len);
            memcpy(h + SNAPSHOT_HEADER_LEN + sn->extra_len, si->id, id_len);
            memcpy(h + SNAPSHOT_HEADER_LEN + sn->extra_len + id_len, si->name, name_len);
        }
        off += SNAPSHOT_HEADER_LEN + sn->extra_len + id_len + name_len;
        off = (off + 7) & ~(size_t)7;
    }
    return off;
}

int qcow2_snapshots_write(Qcow2State *s, Error **errp)
{
    uint64_t cs = s->cluster_size;
    size_t len = encode_table(s, NULL);
    uint64_t clusters = (len + cs - 1) / cs, off = 0;
    uint64_t old_off = s->snapshots_offset, old_len = s->snapshots_size;
    uint8_t *buf = calloc(clusters ? clusters : 1, cs);
    uint8_t hdr[12];
    int ret = 0;

    if (!buf) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory", s->filename);
    }
    if (len > SNAPSHOT_MAX_TABLE) {
        free(buf);
        return error_setg(errp, -EFBIG, "'%s': the snapshot table would be too large",
                          s->filename);
    }
    encode_table(s, buf);
    if (clusters) {
        ret = qcow2_alloc_clusters(s, clusters, &off, errp);
        if (ret == 0) {
            ret = qcow2_check_overlap(s, off, clusters * cs, "snapshot table", errp);
        }
        if (ret == 0) {
            ret = file_pwrite(s->fd, buf, clusters * cs, off);
            if (ret < 0) {
                ret = error_setg(errp, ret, "'%s': could not write the snapshot table: %s",
                                 s->filename, strerror(-ret));
            }
        }
    }
    free(buf);
    /* Table and its refcounts on disk before the header points at it. */
    if (ret == 0) {
        ret = qcow2_barrier(s, errp);
    }
    if (ret < 0) {
        return ret;
    }
    qcow2_put_be32(hdr, s->nb_snapshots);
    qcow2_put_be64(hdr + 4, off);
    ret = file_pwrite(s->fd, hdr, sizeof(hdr), 60);
    if (ret == 0 && img_sync(s->bs, s->fd) < 0) {
        ret = -errno;
    }
    if (ret < 0) {
        return error_setg(errp, ret, "'%s': could not update the header: %s", s->filename,
                          strerror(-ret));
    }
    s->snapshots_offset = off;
    s->snapshots_size = len;
    if (old_off && old_len) {
        ret = qcow2_free_clusters(s, old_off, (old_len + cs - 1) / cs, errp);
    }
    return ret;
}
