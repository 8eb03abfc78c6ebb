/*
 * drive.c — opening -drive images, including temporary snapshot overlays.
 *
 * The one thing to know: the overlay is created in $TMPDIR (or /tmp) with
 * the image's absolute path as its backing file and unlinked as soon as it
 * is open, so nothing is left behind whatever way mimic exits.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "system/drive.h"

static void report(char *err, size_t errlen, const char *file, Error *e)
{
    snprintf(err, errlen, "-drive file=%s: %s", file, e && e->msg ? e->msg : "cannot open");
    error_free(e);
}

int drive_open_incoming(const char *file, const char *format, bool read_only,
                        BlockDriverState **pbs, char *err, size_t errlen)
{
    Error *e = NULL;
    if (bdrv_open(pbs, file, format, (read_only ? 0 : BDRV_O_RDWR) | BDRV_O_CHECK, &e) < 0) {
        report(err, errlen, file, e);
        return -1;
    }
    return 0;
}

int drive_open(const char *file, const char *format, bool read_only, bool snapshot,
               BlockDriverState **pbs, char *err, size_t errlen)
{
    Error *e = NULL;
    if (!snapshot) {
        if (bdrv_open(pbs, file, format, read_only ? 0 : BDRV_O_RDWR, &e) < 0) {
            report(err, errlen, file, e);
            return -1;
        }
        return 0;
    }
    BlockDriverState *base;
    if (bdrv_open(&base, file, format, 0, &e) < 0) {
        report(err, errlen, file, e);
        return -1;
    }
    uint64_t size = base->total_size;
    char fmt[32];
    snprintf(fmt, sizeof(fmt), "%s", base->drv->format_name);
    bdrv_close(base, NULL);

    char abs[PATH_MAX];
    if (!realpath(file, abs)) {
        snprintf(err, errlen, "-drive file=%s: cannot resolve its path", file);
        return -1;
    }
    const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char overlay[PATH_MAX];
    snprintf(overlay, sizeof(overlay), "%s/mimic-snapshot-XXXXXX", tmpdir);
    int fd = mkstemp(overlay);
    if (fd < 0) {
        snprintf(err, errlen, "-drive file=%s,snapshot=on: cannot create a temporary file in %s",
                 file, tmpdir);
        return -1;
    }
    close(fd);
    BlockCreateOptions opts = { .size = size, .backing_file = abs, .backing_fmt = fmt };
    int r = bdrv_create("qcow2", overlay, &opts, &e);
    if (r >= 0) {
        r = bdrv_open(pbs, overlay, "qcow2", BDRV_O_RDWR, &e);
    }
    unlink(overlay);
    if (r < 0) {
        report(err, errlen, file, e);
        return -1;
    }
    return 0;
}
