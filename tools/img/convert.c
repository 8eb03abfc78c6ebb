/*
 * convert.c — `mimic-img convert`: copy an image (through its backing
 * chain) into a new image of any format mimic-img can create.
 *
 * The one thing to know: the copy is sparse. Ranges the source reports as
 * zero are skipped without being read, and blocks of zeros that were read
 * are not written, so the new image allocates only real data; with -n the
 * target already exists and every block is written. With -c each cluster
 * that shrinks is stored compressed (qcow2).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/img/img.h"

#define CHUNK (1u << 20)
#define ZERO_SPAN (1ULL << 30) /* zero ranges are skipped this much at once */

static int copy(BlockDriverState *src, BlockDriverState *dst, bool existing, bool progress,
                bool compress, uint64_t block)
{
    /* Room for a zero-padded last cluster when compressing. */
    uint8_t *buf = calloc(1, CHUNK + block);
    uint64_t size = src->total_size, off = 0;
    Error *err = NULL;
    int ret = 0;

    if (!buf) {
        img_error("out of memory");
        return -1;
    }
    while (off < size && ret == 0) {
        uint64_t n = size - off < ZERO_SPAN ? size - off : ZERO_SPAN;
        bool zero;

        ret = img_range_is_zero(src, off, &n, &zero);
        if (ret < 0) {
            break;
        }
        /* Compressed writes are whole clusters: keep off cluster-aligned
         * (a raw source's holes need not be). */
        if (compress && off + n < size && ((off + n) & (block - 1))) {
            uint64_t end = (off + n) & ~(block - 1);
            zero = zero && end > off;
            n = end > off ? end - off : size - off < block ? size - off : block;
        }
        if (!zero || existing) {
            uint64_t max = CHUNK > block ? CHUNK : block;
            n = n < max ? n : max;
        }
        if (!zero || existing) {
            if (zero) {
                memset(buf, 0, n);
            } else {
                ret = bdrv_pread(src, off, buf, n, &err);
            }
            /* Runs of blocks to write go out as one request. */
            uint64_t run = 0;
            for (uint64_t b = 0; b < n && ret == 0; b += block) {
                uint64_t len = n - b < block ? n - b : block;
                bool write = existing || !img_buffer_is_zero(buf + b, len);
                if (compress && write) {
                    memset(buf + b + len, 0, block - len);
                    ret = bdrv_pwrite_compressed(dst, off + b, buf + b, block, &err);
                    run = b + block;
                } else if (!write) {
                    if (run < b) {
                        ret = bdrv_pwrite(dst, off + run, buf + run, b - run, &err);
                    }
                    run = b + block;
                }
            }
            if (ret == 0 && run < n) {
                ret = bdrv_pwrite(dst, off + run, buf + run, n - run, &err);
            }
            if (ret < 0) {
                img_report(err);
                break;
            }
        }
        off += n;
        if (progress) {
            img_progress(off * 100.0 / size, false);
        }
    }
    if (progress && ret == 0) {
        img_progress(100.0, true);
    }
    free(buf);
    return ret;
}

int img_convert(int argc, char **argv)
{
    const char *fmt = NULL, *out_fmt = "raw", *ospec = NULL;
    char *spec = NULL; /* the -o values point into it */
    bool existing = false, progress = false, compress = false;
    BlockDriverState *src, *dst;
    BlockCreateOptions o = { 0 };
    BlockInfo info;
    Error *err = NULL;
    int c, ret;

    while ((c = getopt(argc, argv, "f:O:o:cnpqU")) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'O':
            out_fmt = optarg;
            break;
        case 'o':
            ospec = optarg;
            break;
        case 'n':
            existing = true;
            break;
        case 'c':
            compress = true;
            break;
        case 'p':
            progress = true;
            break;
        case 'q':
        case 'U':
            break;
        default:
            return 1;
        }
    }
    if (optind != argc - 2) {
        img_error("Expecting a source and a target file name");
        return 1;
    }
    if (!bdrv_find_format(out_fmt)) {
        img_error("Unknown file format '%s' (option -O)", out_fmt);
        return 1;
    }
    if (ospec) {
        spec = strdup(ospec);
        if (!spec) {
            img_error("out of memory");
            return 1;
        }
        for (char *save = NULL, *kv = strtok_r(spec, ",", &save); kv;
             kv = strtok_r(NULL, ",", &save)) {
            if (!strncmp(kv, "cluster_size=", 13) &&
                img_parse_size(kv + 13, &o.cluster_size) == 0) {
                continue;
            }
            if (!strcmp(kv, "compat=0.10") || !strcmp(kv, "compat=1.1")) {
                o.qcow2_version = kv[7] == '0' ? 2 : 3;
                continue;
            }
            if (!strcmp(kv, "extended_l2=on") || !strcmp(kv, "extended_l2=off")) {
                o.extended_l2 = !strcmp(kv + 12, "on");
                continue;
            }
            if (!strcmp(kv, "compression_type=zlib") || !strcmp(kv, "compression_type=zstd")) {
                o.compression_type = !strcmp(kv + 17, "zstd");
                continue;
            }
            if (!strncmp(kv, "subformat=", 10) && kv[10]) {
                o.subformat = kv + 10;
                continue;
            }
            if (!strcmp(kv, "static=on") || !strcmp(kv, "static=off")) {
                o.subformat = kv[8] == 'n' ? "static" : NULL;
                continue;
            }
            img_error("%s: Invalid parameter '%s' (option -o)", argv[optind + 1], kv);
            free(spec);
            return 1;
        }
    }
    if (img_check_subformat(out_fmt, &o, argv[optind + 1]) < 0) {
        free(spec);
        return 1;
    }
    src = img_open(argv[optind], fmt, 0);
    if (!src) {
        free(spec);
        return 1;
    }
    o.size = src->total_size;
    if (!existing && bdrv_create(out_fmt, argv[optind + 1], &o, &err) < 0) {
        img_report(err);
        bdrv_close(src, NULL);
        free(spec);
        return 1;
    }
    free(spec);
    dst = img_open(argv[optind + 1], out_fmt, BDRV_O_RDWR | BDRV_O_NO_BACKING);
    if (!dst) {
        bdrv_close(src, NULL);
        return 1;
    }
    if (existing && dst->total_size < src->total_size) {
        img_error("%s: target image is smaller than the source", argv[optind + 1]);
        ret = -1;
    } else if (bdrv_get_info(dst, &info, &err) < 0) {
        img_report(err);
        ret = -1;
    } else {
        ret = copy(src, dst, existing, progress, compress,
                   info.cluster_size ? info.cluster_size : 65536);
    }
    if (bdrv_close(dst, &err) < 0) {
        img_report(err);
        ret = -1;
    }
    bdrv_close(src, NULL);
    return ret < 0 ? 1 : 0;
}
