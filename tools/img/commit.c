/*
 * commit.c — `mimic-img commit`: write what an overlay (and the images
 * between it and the base) holds into a backing file, then empty the
 * overlay unless -d or -b is given, as qemu-img does.
 *
 * The one thing to know: the chain is opened read-only below the overlay,
 * so the base is reopened read/write in place (the chain's pointer is
 * swapped); only ranges allocated above the base are copied, and zero
 * ranges are discarded (or written as zeros) only where the base does not
 * already read as zero.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/img/img.h"

#define CHUNK (1u << 20)
#define SPAN (1ULL << 30) /* status is asked for this much at once */

/* The image below top named name: as stored in the image above it, or a
 * path (relative to the directory of the image above, as in qemu-img)
 * to the same file. */
static BlockDriverState *find_base(BlockDriverState *top, const char *name)
{
    for (BlockDriverState *above = top; above->backing; above = above->backing) {
        BlockDriverState *b = above->backing;
        char *path = bdrv_backing_path(above->filename, name);
        char *rb = realpath(b->filename, NULL), *rn = path ? realpath(path, NULL) : NULL;
        bool same = (above->backing_file && !strcmp(above->backing_file, name)) ||
                    (rb && rn && !strcmp(rb, rn));
        free(path);
        free(rb);
        free(rn);
        if (same) {
            return b;
        }
    }
    return NULL;
}

/* Replaces above->backing (read-only) by the same image opened read/write. */
static int reopen_rw(BlockDriverState *above)
{
    BlockDriverState *old = above->backing, *rw;

    rw = img_open(old->filename, old->drv->format_name, BDRV_O_RDWR);
    if (!rw) {
        return -1;
    }
    above->backing = NULL;
    bdrv_close(old, NULL);
    above->backing = rw;
    return 0;
}

/* Status of [off, off + *n) above base: allocated there, and as zeros. */
static int above_base(BlockDriverState *top, BlockDriverState *base, uint64_t off,
                      uint64_t *n, bool *allocated, bool *zero)
{
    Error *err = NULL;

    for (BlockDriverState *bs = top; bs != base; bs = bs->backing) {
        if (off >= bs->total_size) {
            /* Past the end of an intermediate image: reads as zeros. */
            *allocated = *zero = true;
            return 0;
        }
        if (*n > bs->total_size - off) {
            *n = bs->total_size - off;
        }
        int st = bdrv_block_status(bs, off, n, &err);
        if (st < 0) {
            img_report(err);
            return st;
        }
        if (st & BDRV_STATUS_ALLOCATED) {
            *allocated = true;
            *zero = (st & BDRV_STATUS_ZERO) != 0;
            return 0;
        }
    }
    *allocated = false;
    return 0;
}

/* Makes [off, off + n) of base read as zeros, writing only where needed. */
static int zero_base(BlockDriverState *base, uint64_t off, uint64_t n, uint8_t *buf)
{
    Error *err = NULL;

    memset(buf, 0, CHUNK);
    while (n > 0) {
        uint64_t len = n;
        bool zero;
        if (img_range_is_zero(base, off, &len, &zero) < 0) {
            return -1;
        }
        if (!zero) {
            /* Discarded whole clusters read as zeros (qcow2 v3 keeps the
             * backing data hidden with zero clusters); write the rest. */
            if (bdrv_discard(base, off, len, &err) < 0) {
                img_report(err);
                return -1;
            }
            if (img_range_is_zero(base, off, &len, &zero) < 0) {
                return -1;
            }
        }
        for (uint64_t done = 0; !zero && done < len;) {
            uint64_t w = len - done < CHUNK ? len - done : CHUNK;
            if (bdrv_pwrite(base, off + done, buf, w, &err) < 0) {
                img_report(err);
                return -1;
            }
            done += w;
        }
        off += len;
        n -= len;
    }
    return 0;
}

static int copy_down(BlockDriverState *top, BlockDriverState *base, bool progress)
{
    uint8_t *buf = malloc(CHUNK);
    uint64_t size = top->total_size;
    Error *err = NULL;
    int ret = 0;

    if (!buf) {
        img_error("out of memory");
        return -1;
    }
    if (progress) {
        img_progress(0.0, false);
    }
    for (uint64_t off = 0; off < size && ret == 0;) {
        uint64_t n = size - off < SPAN ? size - off : SPAN;
        bool allocated, zero;

        ret = above_base(top, base, off, &n, &allocated, &zero);
        if (ret == 0 && allocated && zero) {
            ret = zero_base(base, off, n, buf);
        } else if (ret == 0 && allocated) {
            n = n < CHUNK ? n : CHUNK;
            if (bdrv_pread(top, off, buf, n, &err) < 0 ||
                bdrv_pwrite(base, off, buf, n, &err) < 0) {
                img_report(err);
                ret = -1;
            }
        }
        off += n;
        if (progress && ret == 0) {
            img_progress(off * 100.0 / size, false);
        }
    }
    free(buf);
    return ret;
}

int img_commit(int argc, char **argv)
{
    const char *fmt = NULL, *base_name = NULL;
    bool drop = false, progress = false, quiet = false;
    BlockDriverState *top, *base, *above;
    Error *err = NULL;
    int c, ret = 0;

    while ((c = getopt(argc, argv, "f:t:b:r:dpq")) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'b':
            base_name = optarg;
            drop = true; /* the images in between are no longer valid */
            break;
        case 'd':
            drop = true;
            break;
        case 'p':
            progress = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 't': /* cache mode: all I/O here is synchronous */
        case 'r': /* rate limit */
            break;
        default:
            return 1;
        }
    }
    if (optind != argc - 1) {
        img_error("Expecting one image file name");
        return 1;
    }
    progress &= !quiet;
    top = img_open(argv[optind], fmt, BDRV_O_RDWR);
    if (!top) {
        return 1;
    }
    if (!top->backing) {
        img_error("Image does not have a backing file");
        bdrv_close(top, NULL);
        return 1;
    }
    base = base_name ? find_base(top, base_name) : top->backing;
    if (!base) {
        img_error("Did not find '%s' in the backing chain of '%s'", base_name, argv[optind]);
        bdrv_close(top, NULL);
        return 1;
    }
    for (above = top; above->backing != base; above = above->backing) {
    }
    if (reopen_rw(above) < 0) {
        bdrv_close(top, NULL);
        return 1;
    }
    base = above->backing;
    if (base->total_size < top->total_size && bdrv_truncate(base, top->total_size, &err) < 0) {
        img_report(err);
        ret = -1;
    }
    if (ret == 0) {
        ret = copy_down(top, base, progress);
    }
    if (ret == 0 && bdrv_flush(base, &err) < 0) {
        img_report(err);
        ret = -1;
    }
    if (ret == 0 && !drop && bdrv_make_empty(top, &err) < 0) {
        img_report(err);
        ret = -1;
    }
    if (progress && ret == 0) {
        img_progress(100.0, true);
    }
    if (bdrv_close(top, &err) < 0) {
        img_report(err);
        ret = -1;
    }
    if (ret == 0 && !quiet) {
        printf("Image committed.\n");
    }
    return ret < 0 ? 1 : 0;
}
