/*
 * qcow2-vmstate.c — the VM state area of a qcow2 image: where savevm puts
 * the machine's state before it takes the snapshot that keeps it, and
 * where loadvm finds it after applying that snapshot.
 *
 * The one thing to know: the area lies in the guest address space of the
 * image, past the virtual disk, starting at the next L2 table boundary (as
 * QEMU lays it out, so either program reads the other's snapshots). The
 * guest never sees it; the L1 table grows to cover it when written.
 */
#include <errno.h>

#include "block/qcow2.h"

#define VMSTATE_MAX (1ull << 40) /* 1 TiB: far more RAM than a guest has */

uint64_t qcow2_vmstate_offset(const Qcow2State *s)
{
    uint64_t span = s->cluster_size << s->l2_bits;
    return (s->bs->total_size + span - 1) / span * span;
}

int qcow2_vmstate_rw(BlockDriverState *bs, uint64_t pos, void *buf, size_t len, bool write,
                     Error **errp)
{
    Qcow2State *s = bs->opaque;
    uint64_t off = qcow2_vmstate_offset(s) + pos;

    if (pos > VMSTATE_MAX || len > VMSTATE_MAX - pos) {
        return error_setg(errp, -EFBIG, "'%s': VM state too large", s->filename);
    }
    if (len == 0) {
        return 0;
    }
    if (!write) {
        return qcow2_read_data(s, off, buf, len, false, errp);
    }
    if (!s->writable) {
        return error_setg(errp, -EACCES, "'%s': image is not writable", s->filename);
    }
    uint64_t needed = ((off + len - 1) >> (s->cluster_bits + s->l2_bits)) + 1;
    int ret = needed > s->l1_size ? qcow2_grow_l1(s, needed, errp) : 0;
    return ret < 0 ? ret : qcow2_write_bytes(s, off, buf, len, errp);
}
