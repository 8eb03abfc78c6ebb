/*
 * compare.c — `mimic-img compare`: whether two images have the same
 * content, with qemu-img's messages and exit codes (0 identical, 1
 * different, 2 error).
 *
 * The one thing to know: images of different sizes are equal when the
 * larger one holds only zeros past the end of the smaller (unless -s);
 * a mismatch is reported at the start of the first differing 512-byte
 * sector.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/img/img.h"

#define CHUNK (1u << 20)
#define ZERO_SPAN (1ULL << 30) /* zero ranges are skipped this much at once */

/* Offset of the first differing sector in [0, n), or n if none. */
static uint64_t first_diff(const uint8_t *a, const uint8_t *b, uint64_t n)
{
    for (uint64_t s = 0; s < n; s += 512) {
        uint64_t len = n - s < 512 ? n - s : 512;
        if (memcmp(a + s, b + s, len)) {
            return s;
        }
    }
    return n;
}

/* 0 same, 1 different (reported), -1 error. */
static int compare_range(BlockDriverState *a, BlockDriverState *b, uint64_t end,
                         bool progress, uint8_t *ba, uint8_t *bb)
{
    Error *err = NULL;

    for (uint64_t off = 0; off < end;) {
        uint64_t n = end - off < ZERO_SPAN ? end - off : ZERO_SPAN, na = n, nb;
        bool za, zb;

        if (img_range_is_zero(a, off, &na, &za) < 0) {
            return -1;
        }
        nb = na;
        if (img_range_is_zero(b, off, &nb, &zb) < 0) {
            return -1;
        }
        n = nb;
        if (!(za && zb)) {
            n = n < CHUNK ? n : CHUNK;
            if (bdrv_pread(a, off, ba, n, &err) < 0 || bdrv_pread(b, off, bb, n, &err) < 0) {
                img_report(err);
                return -1;
            }
            uint64_t d = first_diff(ba, bb, n);
            if (d < n) {
                printf("Content mismatch at offset %llu!\n", (unsigned long long)(off + d));
                return 1;
            }
        }
        off += n;
        if (progress) {
            img_progress(off * 100.0 / end, false);
        }
    }
    return 0;
}

/* Whether bs holds only zeros in [from, bs size); 1 reports the offset. */
static int check_tail(BlockDriverState *bs, uint64_t from, uint8_t *buf)
{
    Error *err = NULL;

    for (uint64_t off = from; off < bs->total_size;) {
        uint64_t n = bs->total_size - off < ZERO_SPAN ? bs->total_size - off : ZERO_SPAN;
        bool zero;

        if (img_range_is_zero(bs, off, &n, &zero) < 0) {
            return -1;
        }
        if (!zero) {
            n = n < CHUNK ? n : CHUNK;
            if (bdrv_pread(bs, off, buf, n, &err) < 0) {
                img_report(err);
                return -1;
            }
            for (uint64_t s = 0; s < n; s += 512) {
                uint64_t len = n - s < 512 ? n - s : 512;
                if (!img_buffer_is_zero(buf + s, len)) {
                    printf("Content mismatch at offset %llu!\n", (unsigned long long)(off + s));
                    return 1;
                }
            }
        }
        off += n;
    }
    return 0;
}

int img_compare(int argc, char **argv)
{
    const char *fmt1 = NULL, *fmt2 = NULL;
    bool progress = false, quiet = false, strict = false;
    BlockDriverState *a = NULL, *b = NULL;
    uint8_t *ba = malloc(CHUNK), *bb = malloc(CHUNK);
    int c, ret = 2;

    while ((c = getopt(argc, argv, "f:F:pqsU")) != -1) {
        switch (c) {
        case 'f':
            fmt1 = optarg;
            break;
        case 'F':
            fmt2 = optarg;
            break;
        case 'p':
            progress = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 's':
            strict = true;
            break;
        case 'U':
            break;
        default:
            goto out;
        }
    }
    if (optind != argc - 2) {
        img_error("Expecting two image file names");
        goto out;
    }
    if (!ba || !bb || !(a = img_open(argv[optind], fmt1, 0)) ||
        !(b = img_open(argv[optind + 1], fmt2, 0))) {
        goto out;
    }
    if (quiet) {
        if (!freopen("/dev/null", "w", stdout)) {
            goto out;
        }
    }
    uint64_t common = a->total_size < b->total_size ? a->total_size : b->total_size;
    int r = compare_range(a, b, common, progress, ba, bb);
    if (r == 0 && a->total_size != b->total_size) {
        if (strict) {
            printf("Strict mode: Image size mismatch!\n");
            r = 1;
        } else {
            printf("Warning: Image size mismatch!\n");
            r = check_tail(a->total_size > b->total_size ? a : b, common, ba);
        }
    }
    if (progress && r == 0) {
        img_progress(100.0, true);
    }
    if (r == 0) {
        printf("Images are identical.\n");
    }
    ret = r < 0 ? 2 : r;
out:
    bdrv_close(a, NULL);
    bdrv_close(b, NULL);
    free(ba);
    free(bb);
    return ret;
}
