/*
 * riscv-virt-blockdev.c — blockdev-snapshot-sync: an external snapshot of
 * a drive. The image the drive wrote until now becomes the read-only
 * backing file of a new qcow2 overlay, which takes every write from then on.
 *
 * The one thing to know: the machine is stopped while the images change
 * hands (virtio-blk requests run in the hart threads, so none is in flight
 * then), and the overlay is opened before the old image is closed, so a
 * failure at any step leaves the drive on its old image.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migration/migration.h"
#include "system/riscv-virt-internal.h"

/* The slot of the drive QMP calls `name`: its -drive id (or virtioN), or
 * its node name (#blockNNN); -1 if none. */
static int find_drive(VirtMachine *m, const char *name)
{
    unsigned index = 0;
    for (unsigned i = 0; i < m->cfg.nb_devices; i++) {
        if (m->cfg.devices[i].kind != VIRT_DEV_BLK) {
            continue;
        }
        MonBlockInfo info;
        virt_monitor_block_info(m, index++, &info);
        if (!strcmp(info.device, name) || !strcmp(info.node_name, name)) {
            return (int)i;
        }
    }
    return -1;
}

static int fail(Error *e, const char *what, const char *file, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s '%s': %s", what, file, e && e->msg ? e->msg : "failed");
    error_free(e);
    return -1;
}

/* Switches drive i to a new overlay `file` (created unless `existing`)
 * over its current image. Machine stopped, lock held. */
static int switch_to_overlay(VirtMachine *m, unsigned i, const char *file, bool existing,
                             char *err, size_t errlen)
{
    BlockDriverState *old = m->bs[i];
    char base[PATH_MAX];
    if (!realpath(old->filename, base)) {
        /* a -snapshot overlay is unlinked once open: nothing can name it */
        snprintf(err, errlen, "Cannot snapshot '%s': the image has no path on the host",
                 old->filename);
        return -1;
    }
    Error *e = NULL;
    if (bdrv_flush(old, &e) < 0) {
        return fail(e, "Cannot flush", base, err, errlen);
    }
    if (!existing) {
        BlockCreateOptions opts = { .size = old->total_size, .backing_file = base,
                                    .backing_fmt = old->drv->format_name };
        if (bdrv_create("qcow2", file, &opts, &e) < 0) {
            return fail(e, "Cannot create", file, err, errlen);
        }
    }
    BlockDriverState *overlay;
    if (bdrv_open(&overlay, file, "qcow2", BDRV_O_RDWR, &e) < 0) {
        return fail(e, "Cannot open", file, err, errlen);
    }
    if (overlay->total_size != old->total_size) {
        snprintf(err, errlen, "'%s' is %llu bytes, the drive %llu", file,
                 (unsigned long long)overlay->total_size, (unsigned long long)old->total_size);
        bdrv_close(overlay, NULL);
        return -1;
    }
    m->bs[i] = overlay;
    m->blk[i].bs = overlay;
    bdrv_close(old, NULL);
    return 0;
}

int virt_blockdev_snapshot_sync(void *opaque, const char *device, const char *file,
                                bool existing, char *err, size_t errlen)
{
    VirtMachine *m = opaque;
    int i = find_drive(m, device);
    if (i < 0) {
        snprintf(err, errlen, "Cannot find device='%s' nor node-name='%s'", device, device);
        return -1;
    }
    if (m->blk[i].read_only) {
        snprintf(err, errlen, "Device '%s' is read-only", device);
        return -1;
    }
    if (migration_check_idle(err, errlen) < 0) {
        return -1;
    }
    bool running = m->runstate == MON_RUNSTATE_RUNNING;
    if (running) {
        virt_monitor_ops.stop(m);
    }
    int r = switch_to_overlay(m, (unsigned)i, file, existing, err, errlen);
    char cont_err[256];
    if (running && virt_monitor_ops.cont(m, cont_err, sizeof(cont_err)) < 0) {
        fprintf(stderr, "mimic-system-riscv64: cannot resume: %s\n", cont_err);
    }
    return r;
}
