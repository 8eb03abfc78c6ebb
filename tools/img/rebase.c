/*
 * rebase.c — `mimic-img rebase`: put an overlay on a new backing file.
 *
 * The one thing to know: in the default (safe) mode every range that the
 * overlay does not allocate is compared between the old backing chain and
 * the new one, and the 512-byte sectors that differ are copied from the
 * old chain into the overlay before the header names the new file, so the
 * overlay's content does not change (`-b ""` copies everything in and
 * drops the backing file). With -u only the header is rewritten.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/img/img.h"

#define CHUNK (1u << 20)
#define SPAN (1ULL << 30) /* status is asked for this much at once */

/* Reads [off, off + n) of bs (NULL: no image) with zeros past its end. */
static int read_clipped(BlockDriverState *bs, uint64_t off, uint8_t *buf, uint64_t n)
{
    Error *err = NULL;
    uint64_t have = bs && off < bs->total_size ? bs->total_size - off : 0;

    have = have < n ? have : n;
    memset(buf + have, 0, n - have);
    if (have && bdrv_pread(bs, off, buf, have, &err) < 0) {
        img_report(err);
        return -1;
    }
    return 0;
}

/* Whether [off, off + *n) of bs reads as zeros (no image or past its end:
 * yes); shortens *n. */
static int zero_clipped(BlockDriverState *bs, uint64_t off, uint64_t *n, bool *zero)
{
    if (!bs || off >= bs->total_size) {
        *zero = true;
        return 0;
    }
    if (*n > bs->total_size - off) {
        *n = bs->total_size - off;
    }
    return img_range_is_zero(bs, off, n, zero);
}

#define SECTOR_LEN(s, n) ((n) - (s) < 512 ? (n) - (s) : 512)

static bool sector_differs(const uint8_t *a, const uint8_t *b, uint64_t s, uint64_t n)
{
    return memcmp(a + s, b + s, SECTOR_LEN(s, n)) != 0;
}

/* Copies the sectors of [off, off + n) where old (under ov) and nb differ. */
static int copy_diff(BlockDriverState *ov, BlockDriverState *nb, uint64_t off, uint64_t n,
                     uint8_t *old, uint8_t *new)
{
    Error *err = NULL;

    if (read_clipped(nb, off, new, n) < 0) {
        return -1;
    }
    if (bdrv_read_backing(ov, off, old, n, &err) < 0) {
        img_report(err);
        return -1;
    }
    for (uint64_t s = 0; s < n;) {
        uint64_t run;
        while (s < n && !sector_differs(old, new, s, n)) {
            s += SECTOR_LEN(s, n);
        }
        for (run = s; run < n && sector_differs(old, new, run, n);) {
            run += SECTOR_LEN(run, n);
        }
        if (run > s && bdrv_pwrite(ov, off + s, old + s, run - s, &err) < 0) {
            img_report(err);
            return -1;
        }
        s = run;
    }
    return 0;
}

static int copy_changed(BlockDriverState *ov, BlockDriverState *nb, bool progress)
{
    uint8_t *old = malloc(CHUNK), *new = malloc(CHUNK);
    uint64_t size = ov->total_size;
    Error *err = NULL;
    int ret = old && new ? 0 : -1;

    if (ret < 0) {
        img_error("out of memory");
    }
    if (progress && ret == 0) {
        img_progress(0.0, false);
    }
    for (uint64_t off = 0; off < size && ret == 0;) {
        uint64_t n = size - off < SPAN ? size - off : SPAN;
        bool zero_old, zero_new = true;
        int st = bdrv_block_status(ov, off, &n, &err);

        if (st < 0) {
            img_report(err);
            ret = -1;
            break;
        }
        if (!(st & BDRV_STATUS_ALLOCATED)) {
            n = n < CHUNK ? n : CHUNK;
            ret = zero_clipped(ov->backing, off, &n, &zero_old);
            if (ret == 0) {
                ret = zero_clipped(nb, off, &n, &zero_new);
            }
            if (ret == 0 && !(zero_old && zero_new)) {
                ret = copy_diff(ov, nb, off, n, old, new);
            }
        }
        off += n;
        if (progress && ret == 0) {
            img_progress(off * 100.0 / size, false);
        }
    }
    free(old);
    free(new);
    return ret;
}

/* Opens the new backing file named as it will be stored in ov's header. */
static BlockDriverState *open_new_backing(BlockDriverState *ov, const char *name,
                                          const char *fmt)
{
    BlockDriverState *nb = NULL;
    Error *err = NULL;
    char *path = bdrv_backing_path(ov->filename, name);

    if (!path) {
        img_error("out of memory");
        return NULL;
    }
    if (bdrv_open(&nb, path, fmt, 0, &err) < 0) {
        img_error("Could not open new backing file '%s': %s", name, err->msg);
        error_free(err);
    }
    free(path);
    return nb;
}

int img_rebase(int argc, char **argv)
{
    const char *fmt = NULL, *bfile = NULL, *bfmt = NULL;
    bool unsafe = false, progress = false, quiet = false;
    BlockDriverState *ov, *nb = NULL;
    Error *err = NULL;
    int c, ret = 0;

    while ((c = getopt(argc, argv, "f:b:F:t:T:upqU")) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'b':
            bfile = optarg;
            break;
        case 'F':
            bfmt = optarg;
            break;
        case 'u':
            unsafe = true;
            break;
        case 'p':
            progress = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 't': /* cache modes: all I/O here is synchronous */
        case 'T':
        case 'U':
            break;
        default:
            return 1;
        }
    }
    if (optind != argc - 1) {
        img_error("Expecting one image file name");
        return 1;
    }
    if (!unsafe && !bfile) {
        img_error("Must specify backing file (-b) or use unsafe mode (-u)");
        return 1;
    }
    if (bfile && !*bfile) {
        bfile = NULL;
    }
    if (bfile && !bfmt) {
        img_error("Could not change the backing file to '%s': backing format must be "
                  "specified",
                  bfile);
        return 1;
    }
    progress &= !quiet;
    ov = img_open(argv[optind], fmt, BDRV_O_RDWR | (unsafe ? BDRV_O_NO_BACKING : 0));
    if (!ov) {
        return 1;
    }
    if (!ov->drv->change_backing) {
        /* Before any data is copied: the result could not be used. */
        ret = bdrv_change_backing(ov, bfile, bfmt, &err);
        img_report(err);
    } else if (!unsafe) {
        if (bfile && !(nb = open_new_backing(ov, bfile, bfmt))) {
            ret = -1;
        }
        if (ret == 0) {
            ret = copy_changed(ov, nb, progress);
        }
    }
    if (ret == 0 && bdrv_change_backing(ov, bfile, bfmt, &err) < 0) {
        img_report(err);
        ret = -1;
    }
    if (progress && ret == 0) {
        img_progress(100.0, true);
    }
    bdrv_close(nb, NULL);
    if (bdrv_close(ov, &err) < 0) {
        img_report(err);
        ret = -1;
    }
    return ret < 0 ? 1 : 0;
}
