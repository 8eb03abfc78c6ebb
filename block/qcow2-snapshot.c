/*
 * qcow2-snapshot.c — reading the internal snapshot table: names, dates,
 * VM state sizes and each snapshot's L1 table (for check and listing).
 *
 * The one thing to know: the table is variable-length (extra data, id and
 * name per entry), so every length is checked against the file size and
 * sane limits before anything is read; snapshots are read-only for now.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"

#define SNAPSHOT_HEADER_LEN 40
#define SNAPSHOT_MAX_EXTRA 1024
#define SNAPSHOT_MAX_TABLE (64u << 20)

void qcow2_snapshots_free(Qcow2State *s)
{
    for (uint32_t i = 0; i < s->n_snapshots_read; i++) {
        free(s->snap_info[i].id);
        free(s->snap_info[i].name);
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
        si->vm_state_size = qcow2_be32(h + 32);
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
        if (extra_len >= 8) {
            si->vm_state_size = qcow2_be64(extra);
        }
        if (extra_len >= 24) {
            si->icount = qcow2_be64(extra + 16);
        }
        off += extra_len;
        si->id = calloc(1, id_len + 1);
        si->name = calloc(1, name_len + 1);
        s->n_snapshots_read = i + 1;
        if (!si->id || !si->name) {
            return error_setg(errp, -ENOMEM, "'%s': out of memory", s->filename);
        }
        if (file_pread(s->fd, si->id, id_len, off) < 0 ||
            file_pread(s->fd, si->name, name_len, off + id_len) < 0) {
            return bad(s, errp, i, "could not read the id or name");
        }
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
