/*
 * riscv-virt-snapshot.c — savevm, loadvm, delvm and info snapshots on the
 * virt machine: the machine state goes into the VM state area of the first
 * writable drive that can hold it, and every writable drive gets an
 * internal snapshot of the same name (QEMU's rules and messages).
 *
 * The one thing to know: the machine is stopped (harts parked, guest clock
 * frozen) for the whole operation and resumed only if it was running. A
 * loadvm applies the disk snapshots, then reads the state twice: once to
 * check all of it, once to load it; a state that fails the check leaves
 * the machine stopped with its old state.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "migration/migration.h"
#include "system/riscv-virt-internal.h"

typedef struct SnapDrives {
    BlockDriverState *bs[VIRT_VIRTIO_COUNT];
    unsigned n;
    BlockDriverState *vm;    /* holds the VM state */
} SnapDrives;

static void drive_name(VirtMachine *m, unsigned i, char *buf, size_t len)
{
    unsigned index = 0;
    for (unsigned j = 0; j < i; j++) {
        index += m->cfg.devices[j].kind == VIRT_DEV_BLK;
    }
    const char *id = m->cfg.devices[i].drive.id;
    if (id && id[0]) {
        snprintf(buf, len, "%s", id);
    } else {
        snprintf(buf, len, "virtio%u", index);
    }
}

/* The writable drives (all must support snapshots) and the first that can
 * hold the VM state. */
static int list_drives(VirtMachine *m, SnapDrives *d, char *err, size_t errlen)
{
    memset(d, 0, sizeof(*d));
    for (unsigned i = 0; i < m->cfg.nb_devices; i++) {
        BlockDriverState *bs = m->bs[i];
        if (m->cfg.devices[i].kind != VIRT_DEV_BLK || m->cfg.devices[i].drive.read_only) {
            continue;
        }
        if (!bs->drv->snapshot_create) {
            char name[64];
            drive_name(m, i, name, sizeof(name));
            snprintf(err, errlen, "Device '%s' is writable but does not support snapshots",
                     name);
            return -1;
        }
        if (!d->vm && bs->drv->vmstate_rw) {
            d->vm = bs;
        }
        d->bs[d->n++] = bs;
    }
    if (!d->vm) {
        snprintf(err, errlen, "No block device can accept snapshots");
        return -1;
    }
    return 0;
}

/* The drives that take part, for a savevm, loadvm or delvm: never while a
 * migration runs (RAM changed behind the dirty log, or a machine that is
 * being loaded). */
static int snap_drives(VirtMachine *m, SnapDrives *d, char *err, size_t errlen)
{
    if (migration_check_idle(err, errlen) < 0) {
        return -1;
    }
    if (m->runstate == MON_RUNSTATE_INMIGRATE) {
        snprintf(err, errlen, "Guest is waiting for an incoming migration");
        return -1;
    }
    return list_drives(m, d, err, errlen);
}

static const BlockSnapshotInfo *find_snapshot(BlockDriverState *bs, const char *name)
{
    BlockInfo info;
    memset(&info, 0, sizeof(info));
    if (bdrv_get_info(bs, &info, NULL) < 0) {
        return NULL;
    }
    for (int i = 0; i < info.n_snapshots; i++) {
        if (!strcmp(info.snapshots[i].id, name) || !strcmp(info.snapshots[i].name, name)) {
            return &info.snapshots[i];
        }
    }
    return NULL;
}

static int block_error(Error *e, int r, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: %s", what, e && e->msg ? e->msg : strerror(-r));
    error_free(e);
    return -1;
}

typedef struct VmIO {
    BlockDriverState *bs;
    uint64_t pos, size;
    char err[256];
} VmIO;

static int vm_sink(void *opaque, const void *buf, size_t len)
{
    VmIO *io = opaque;
    Error *e = NULL;
    int r = bdrv_vmstate_write(io->bs, io->pos, buf, len, &e);
    if (r < 0) {
        snprintf(io->err, sizeof(io->err), "%s", e && e->msg ? e->msg : strerror(-r));
        error_free(e);
        return r;
    }
    io->pos += len;
    return 0;
}

static ssize_t vm_source(void *opaque, void *buf, size_t len)
{
    VmIO *io = opaque;
    if (len > io->size - io->pos) {
        len = (size_t)(io->size - io->pos);
    }
    Error *e = NULL;
    int r = len ? bdrv_vmstate_read(io->bs, io->pos, buf, len, &e) : 0;
    error_free(e);
    if (r < 0) {
        return r;
    }
    io->pos += len;
    return (ssize_t)len;
}

/* Stops a running machine; true if it was running. */
static bool stop_machine(VirtMachine *m)
{
    bool running = m->runstate == MON_RUNSTATE_RUNNING;
    if (running) {
        virt_monitor_ops.stop(m);
    }
    return running;
}

static void restart_machine(VirtMachine *m, bool was_running)
{
    char err[256];
    if (was_running && virt_monitor_ops.cont(m, err, sizeof(err)) < 0) {
        fprintf(stderr, "mimic-system-riscv64: cannot resume: %s\n", err);
    }
}

static int save_state(VirtMachine *m, MigMachine *mm, SnapDrives *d, const char *name,
                      char *err, size_t errlen)
{
    for (unsigned i = 0; i < d->n; i++) {
        Error *e = NULL;
        int r = find_snapshot(d->bs[i], name) ? bdrv_snapshot_delete(d->bs[i], name, &e) : 0;
        if (r < 0) {
            return block_error(e, r, "Error while deleting the old snapshot", err, errlen);
        }
    }
    VmIO io = { .bs = d->vm };
    MigWriter w;
    mig_writer_init(&w, vm_sink, &io);
    mig_save_header(mm, &w);
    for (uint64_t off = 0; off < mm->ram_size && !w.error; off += MIG_PAGE_SIZE) {
        mig_save_page(mm, &w, off);
    }
    mig_save_devices(mm, &w);
    int r = mig_writer_flush(&w);
    uint64_t size = w.total;
    mig_writer_free(&w);
    if (r < 0) {
        snprintf(err, errlen, "Error while writing VM state: %s", io.err[0] ? io.err
                                                                             : strerror(-r));
        return -1;
    }
    for (unsigned i = 0; i < d->n; i++) {
        Error *e = NULL;
        r = d->bs[i] == d->vm ? bdrv_snapshot_create_vm(d->bs[i], name, size,
                                                        virt_guest_clock_ns(m), &e)
                              : bdrv_snapshot_create(d->bs[i], name, &e);
        if (r < 0) {
            return block_error(e, r, "Error while creating snapshot", err, errlen);
        }
    }
    return 0;
}

int virt_savevm(void *opaque, const char *name, char *err, size_t errlen)
{
    VirtMachine *m = opaque;
    SnapDrives d;
    MigMachine mm;
    if (snap_drives(m, &d, err, errlen) < 0) {
        return -1;
    }
    virt_mig_machine(m, &mm);
    if (mig_check_savable(&mm, err, errlen) < 0) {
        return -1;
    }
    bool was_running = stop_machine(m);
    virt_freeze_clock(m);
    int r = save_state(m, &mm, &d, name, err, errlen);
    restart_machine(m, was_running);
    return r;
}

/* Reads the VM state of the applied snapshot: check, then load. */
static int load_state(VirtMachine *m, BlockDriverState *bs, uint64_t size, char *err,
                      size_t errlen)
{
    MigMachine mm;
    virt_mig_machine(m, &mm);
    for (int apply = 0; apply < 2; apply++) {
        VmIO io = { .bs = bs, .size = size };
        MigReader r;
        if (mig_reader_init(&r, vm_source, &io) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        int ret = mig_load(&mm, &r, apply, err, errlen);
        mig_reader_free(&r);
        if (ret < 0) {
            return -1;
        }
    }
    virt_state_post_load(m);
    return 0;
}

int virt_loadvm(void *opaque, const char *name, char *err, size_t errlen)
{
    VirtMachine *m = opaque;
    SnapDrives d;
    if (snap_drives(m, &d, err, errlen) < 0) {
        return -1;
    }
    for (unsigned i = 0; i < d.n; i++) {
        if (!find_snapshot(d.bs[i], name)) {
            snprintf(err, errlen, "Snapshot '%s' does not exist in one or more devices", name);
            return -1;
        }
    }
    uint64_t size = find_snapshot(d.vm, name)->vm_state_size;
    if (size == 0) {
        snprintf(err, errlen, "Snapshot '%s' is a disk-only snapshot. Revert to it offline "
                 "using qemu-img", name);
        return -1;
    }
    bool was_running = stop_machine(m);
    for (unsigned i = 0; i < d.n; i++) {
        Error *e = NULL;
        int r = bdrv_snapshot_apply(d.bs[i], name, &e);
        if (r < 0) {
            return block_error(e, r, "Error while applying the snapshot", err, errlen);
        }
    }
    if (load_state(m, d.vm, size, err, errlen) < 0) {
        char why[512];
        snprintf(why, sizeof(why), "%s", err);
        snprintf(err, errlen, "Error while loading VM state: %s", why);
        return -1; /* the machine stays stopped */
    }
    restart_machine(m, was_running);
    return 0;
}

int virt_delvm(void *opaque, const char *name, char *err, size_t errlen)
{
    VirtMachine *m = opaque;
    SnapDrives d;
    bool found = false;
    if (snap_drives(m, &d, err, errlen) < 0) {
        return -1;
    }
    for (unsigned i = 0; i < d.n; i++) {
        Error *e = NULL;
        if (!find_snapshot(d.bs[i], name)) {
            continue;
        }
        found = true;
        int r = bdrv_snapshot_delete(d.bs[i], name, &e);
        if (r < 0) {
            return block_error(e, r, "Error while deleting snapshot", err, errlen);
        }
    }
    if (!found) {
        snprintf(err, errlen, "Snapshot '%s' not found", name);
        return -1;
    }
    return 0;
}

static void size_str(uint64_t v, char *buf, size_t len)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    unsigned u = 0;
    double d = (double)v;
    while (d >= 1024 && u < 4) {
        d /= 1024;
        u++;
    }
    if (u == 0) {
        snprintf(buf, len, "%llu B", (unsigned long long)v);
    } else {
        snprintf(buf, len, "%.3g %s", d, units[u]);
    }
}

void virt_info_snapshots(void *opaque, MonBuf *out)
{
    VirtMachine *m = opaque;
    char err[256];
    SnapDrives d;
    if (list_drives(m, &d, err, sizeof(err)) < 0) {
        monbuf_printf(out, "%s\n", err);
        return;
    }
    BlockInfo info;
    memset(&info, 0, sizeof(info));
    if (bdrv_get_info(d.vm, &info, NULL) < 0 || info.n_snapshots == 0) {
        monbuf_printf(out, "There is no snapshot available.\n");
        return;
    }
    monbuf_printf(out, "List of snapshots present on all disks:\n");
    monbuf_printf(out, "%-10s%-17s%8s%20s%13s%11s\n", "ID", "TAG", "VM SIZE", "DATE",
                  "VM CLOCK", "ICOUNT");
    for (int i = 0; i < info.n_snapshots; i++) {
        const BlockSnapshotInfo *sn = &info.snapshots[i];
        time_t t = sn->date_sec;
        struct tm tm;
        char date[32] = "", size[32];
        uint64_t secs = sn->vm_clock_nsec / 1000000000;
        if (localtime_r(&t, &tm)) {
            strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
        }
        size_str(sn->vm_state_size, size, sizeof(size));
        monbuf_printf(out, "%-9s %-16s %8s%20s %02u:%02u:%02u.%03u\n", "--", sn->name, size,
                      date, (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60),
                      (unsigned)(secs % 60), (unsigned)(sn->vm_clock_nsec / 1000000 % 1000));
    }
}

int virt_start_loadvm(VirtMachine *m, const char *name, char *err, size_t errlen)
{
    pthread_mutex_lock(&m->lock);
    int r = virt_loadvm(m, name, err, errlen);
    pthread_mutex_unlock(&m->lock);
    return r;
}
