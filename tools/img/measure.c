/*
 * measure.c — `mimic-img measure`: how large a new raw or qcow2 image
 * would be, for a given virtual size or for converting an existing image.
 *
 * The one thing to know: "fully allocated" is every data cluster plus the
 * qcow2 metadata needed to map the whole virtual size (header, L1, L2,
 * refcount table and blocks, the refcounts counting themselves); "required"
 * keeps that metadata and only the data clusters that the input actually
 * holds (none for --size), exactly as qemu-img computes it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/img/img.h"

#define SPAN (1ULL << 30) /* status is asked for this much at once */

typedef struct MeasureOpts {
    uint64_t cluster_size;
    uint64_t refcount_bits;
    bool full_prealloc; /* preallocation=falloc or full */
} MeasureOpts;

static uint64_t div_up(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

static uint64_t align_up(uint64_t a, uint64_t b)
{
    return div_up(a, b) * b;
}

/* Clusters of refcount blocks and table that cover `clusters` clusters
 * and themselves. */
static uint64_t refcount_clusters(uint64_t clusters, const MeasureOpts *o)
{
    uint64_t per_block = o->cluster_size * 8 / o->refcount_bits;
    uint64_t blocks = 0, table = 0;

    for (;;) {
        uint64_t nb = div_up(clusters + blocks + table, per_block);
        uint64_t nt = div_up(nb * 8, o->cluster_size);
        if (nb == blocks && nt == table) {
            return blocks + table;
        }
        blocks = nb;
        table = nt;
    }
}

/* Bytes of a qcow2 image of `size` with every cluster allocated. */
static uint64_t qcow2_full_size(uint64_t size, const MeasureOpts *o)
{
    uint64_t cs = o->cluster_size, per_table = cs / 8;
    uint64_t data = align_up(size, cs);
    uint64_t l2_entries = align_up(data / cs, per_table);
    uint64_t l1_entries = align_up(l2_entries / per_table, per_table);
    uint64_t meta = cs + l2_entries * 8 + l1_entries * 8;

    meta += refcount_clusters(meta / cs + data / cs, o) * cs;
    return meta + data;
}

/* Bytes of whole clusters of the input that hold data (not zeros). */
static int data_clusters(BlockDriverState *bs, uint64_t cs, uint64_t *bytes)
{
    Error *err = NULL;

    *bytes = 0;
    for (uint64_t off = 0, size = bs->total_size; off < size;) {
        uint64_t n = size - off < SPAN ? size - off : SPAN;
        int depth_st = 0;
        BlockDriverState *b = bs;

        /* The first image that decides the range, as `map` walks it. */
        for (;;) {
            depth_st = bdrv_block_status(b, off, &n, &err);
            if (depth_st < 0) {
                img_report(err);
                return -1;
            }
            if ((depth_st & BDRV_STATUS_ALLOCATED) || !b->backing ||
                off >= b->backing->total_size) {
                break;
            }
            n = n < b->backing->total_size - off ? n : b->backing->total_size - off;
            b = b->backing;
        }
        if ((depth_st & BDRV_STATUS_DATA) && !(depth_st & BDRV_STATUS_ZERO)) {
            n = align_up(off + n, cs) - off;
            n = n < size - off ? n : size - off;
            *bytes += align_up(off % cs + n, cs);
        }
        off += n;
    }
    return 0;
}

/* Whether the input can hold persistent bitmaps (qcow2 v3): qemu-img then
 * reports their size, which is 0 here (mimic does not copy bitmaps). */
static bool has_bitmaps(BlockDriverState *bs)
{
    BlockInfo info;

    if (bs->drv != &bdrv_qcow2 || bdrv_get_info(bs, &info, NULL) < 0) {
        return false;
    }
    for (int i = 0; i < info.n_specific; i++) {
        if (!strcmp(info.specific[i].key, "compat")) {
            return !strcmp(info.specific[i].value, "1.1");
        }
    }
    return false;
}

/* Applies -o; 0 or -1 (reported). */
static int parse_o(char *spec, const char *fmt, MeasureOpts *o)
{
    bool qcow2 = !strcmp(fmt, "qcow2");

    for (char *save = NULL, *kv = strtok_r(spec, ",", &save); kv;
         kv = strtok_r(NULL, ",", &save)) {
        char *v = strchr(kv, '=');
        if (v) {
            *v++ = 0;
        }
        if (!v) {
            img_error("Invalid parameter '%s' (option -o, expected key=value)", kv);
            return -1;
        } else if (!strcmp(kv, "preallocation")) {
            if (strcmp(v, "off") && strcmp(v, "metadata") && strcmp(v, "falloc") &&
                strcmp(v, "full")) {
                img_error("Invalid value '%s' for option preallocation", v);
                return -1;
            }
            o->full_prealloc = !strcmp(v, "falloc") || !strcmp(v, "full");
        } else if (qcow2 && !strcmp(kv, "cluster_size")) {
            if (img_parse_size(v, &o->cluster_size) < 0 || o->cluster_size < 512 ||
                o->cluster_size > (2u << 20) || (o->cluster_size & (o->cluster_size - 1))) {
                img_error("Cluster size must be a power of two between 512 and 2048k");
                return -1;
            }
        } else if (qcow2 && !strcmp(kv, "refcount_bits")) {
            char *end;
            o->refcount_bits = strtoull(v, &end, 10);
            if (*end || !o->refcount_bits || o->refcount_bits > 64 ||
                (o->refcount_bits & (o->refcount_bits - 1))) {
                img_error("Refcount width must be a power of two and may not exceed 64 bits");
                return -1;
            }
        } else if (!qcow2 || (strcmp(kv, "compat") && strcmp(kv, "lazy_refcounts") &&
                              strcmp(kv, "compression_type"))) {
            img_error("Invalid parameter '%s'", kv);
            return -1;
        }
    }
    return 0;
}

static void print_result(bool json, bool bitmaps, uint64_t required, uint64_t full)
{
    if (json) {
        printf("{\n");
        if (bitmaps) {
            printf("    \"bitmaps\": 0,\n");
        }
        printf("    \"required\": %llu,\n    \"fully-allocated\": %llu\n}\n",
               (unsigned long long)required, (unsigned long long)full);
        return;
    }
    printf("required size: %llu\nfully allocated size: %llu\n", (unsigned long long)required,
           (unsigned long long)full);
    if (bitmaps) {
        printf("bitmaps size: 0\n");
    }
}

int img_measure(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'J' },
        { "size", required_argument, NULL, 'S' },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    const char *fmt = NULL, *out_fmt = "raw", *output = "human", *size_arg = NULL;
    MeasureOpts o = { .cluster_size = 65536, .refcount_bits = 16 };
    char *ospec = NULL;
    uint64_t size = 0, data = 0, full, required;
    bool bitmaps = false;
    int c, json;

    while ((c = getopt_long(argc, argv, "f:O:o:U", longopts, NULL)) != -1) {
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
        case 'J':
            output = optarg;
            break;
        case 'S':
            size_arg = optarg;
            break;
        case 'U':
            break;
        default:
            return 1;
        }
    }
    json = img_output_format(output);
    if (json < 0) {
        return 1;
    }
    if (size_arg && optind < argc) {
        img_error("--size N cannot be used together with a filename.");
        return 1;
    }
    if (!size_arg && optind != argc - 1) {
        img_error("Either --size N or one filename must be specified.");
        return 1;
    }
    if (size_arg && img_parse_size(size_arg, &size) < 0) {
        img_error("Invalid image size specified: '%s'. You may use k, M, G, T, P or E "
                  "suffixes for kilobytes, megabytes, gigabytes, terabytes, petabytes and "
                  "exabytes.",
                  size_arg);
        return 1;
    }
    if (strcmp(out_fmt, "raw") && strcmp(out_fmt, "qcow2")) {
        img_error("Block driver '%s' does not support size measurement (option -O)",
                  out_fmt);
        return 1;
    }
    if (ospec) {
        char *spec = strdup(ospec);
        int r = spec ? parse_o(spec, out_fmt, &o) : -1;
        free(spec);
        if (r < 0) {
            return 1;
        }
    }
    if (!size_arg) {
        BlockDriverState *bs = img_open(argv[optind], fmt, 0);
        if (!bs) {
            return 1;
        }
        size = bs->total_size;
        bitmaps = !strcmp(out_fmt, "qcow2") && has_bitmaps(bs);
        int r = data_clusters(bs, o.cluster_size, &data);
        bdrv_close(bs, NULL);
        if (r < 0) {
            return 1;
        }
    }
    if (!strcmp(out_fmt, "qcow2") &&
        div_up(size, o.cluster_size * (o.cluster_size / 8)) > (32u << 20) / 8) {
        img_error("The image size is too large (try using a larger cluster size)");
        return 1;
    }
    if (!strcmp(out_fmt, "raw")) {
        full = required = align_up(size, 512);
    } else {
        full = qcow2_full_size(size, &o);
        required = o.full_prealloc ? full : full - align_up(size, o.cluster_size) + data;
    }
    print_result(json, bitmaps, required, full);
    return 0;
}
