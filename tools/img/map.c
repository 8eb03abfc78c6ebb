/*
 * map.c — `mimic-img map`: which image of the backing chain holds each
 * range of the virtual disk, and where in its file, in qemu-img map's
 * human and JSON formats.
 *
 * The one thing to know: a range is followed down the chain until an
 * image decides it (data or zero); a range that no image allocates reads
 * as zero from the bottom image, and a range past the end of a backing
 * file as zero from the image above it. Adjacent ranges with the same
 * answer (and contiguous host offsets) are printed as one, as qemu-img does.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "tools/img/img.h"

typedef struct MapEntry {
    uint64_t start, length, offset;
    int depth;
    bool present, zero, data, has_offset;
    const char *file; /* set with has_offset */
} MapEntry;

/* Describes [offset, offset + len) from its start into *e (e->length may
 * be shorter than len). */
static int map_status(BlockDriverState *bs, uint64_t offset, uint64_t len, MapEntry *e)
{
    Error *err = NULL;
    int depth = 0, st;

    for (;;) {
        st = bdrv_block_status(bs, offset, &len, &err);
        if (st < 0) {
            img_report(err);
            return st;
        }
        if (st & (BDRV_STATUS_DATA | BDRV_STATUS_ZERO)) {
            break;
        }
        if (!bs->backing || offset >= bs->backing->total_size) {
            st = BDRV_STATUS_ZERO; /* zeros, but not allocated here */
            break;
        }
        if (len > bs->backing->total_size - offset) {
            len = bs->backing->total_size - offset;
        }
        bs = bs->backing;
        depth++;
    }
    *e = (MapEntry){
        .start = offset,
        .depth = depth,
        .present = (st & BDRV_STATUS_ALLOCATED) != 0,
        .zero = (st & BDRV_STATUS_ZERO) != 0,
        .data = (st & BDRV_STATUS_DATA) != 0,
    };
    if (e->present && bdrv_host_offset(bs, offset, &len, &e->offset, &e->has_offset, &err) < 0) {
        img_report(err);
        return -1;
    }
    e->file = e->has_offset ? bs->filename : NULL;
    e->length = len;
    return 0;
}

static bool mergeable(const MapEntry *a, const MapEntry *b)
{
    if (a->length == 0 || a->zero != b->zero || a->data != b->data || a->depth != b->depth ||
        a->present != b->present || a->has_offset != b->has_offset) {
        return false;
    }
    if (a->has_offset && (strcmp(a->file, b->file) || a->offset + a->length != b->offset)) {
        return false;
    }
    return true;
}

/* Prints one entry (JSON: a separator follows unless it is the last);
 * -1 when human output cannot say where data is. */
static int print_entry(bool json, const MapEntry *e, bool last)
{
    if (json) {
        printf("{ \"start\": %llu, \"length\": %llu, \"depth\": %d, \"present\": %s, "
               "\"zero\": %s, \"data\": %s",
               (unsigned long long)e->start, (unsigned long long)e->length, e->depth,
               e->present ? "true" : "false", e->zero ? "true" : "false",
               e->data ? "true" : "false");
        if (e->has_offset) {
            printf(", \"offset\": %llu", (unsigned long long)e->offset);
        }
        printf(last ? "}" : "},\n");
        return 0;
    }
    if (e->data && !e->has_offset) {
        img_error("File contains external, encrypted or compressed clusters.");
        return -1;
    }
    if (e->data && !e->zero) {
        printf("%#-16llx%#-16llx%#-16llx%s\n", (unsigned long long)e->start,
               (unsigned long long)e->length, (unsigned long long)e->offset, e->file);
    }
    return 0;
}

int img_map(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'O' },
        { "start-offset", required_argument, NULL, 's' },
        { "max-length", required_argument, NULL, 'l' },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    const char *fmt = NULL, *output = "human";
    uint64_t start = 0, max_len = UINT64_MAX, end;
    BlockDriverState *bs;
    MapEntry cur, next;
    int c, json, ret = 0;

    while ((c = getopt_long(argc, argv, "f:U", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'O':
            output = optarg;
            break;
        case 's':
            if (img_parse_size(optarg, &start) < 0) {
                img_error("Invalid start offset specified: '%s' (option --start-offset)",
                          optarg);
                return 1;
            }
            break;
        case 'l':
            if (img_parse_size(optarg, &max_len) < 0) {
                img_error("Invalid length specified: '%s' (option --max-length)", optarg);
                return 1;
            }
            break;
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
    json = img_output_format(output);
    if (json < 0) {
        return 1;
    }
    bs = img_open(argv[optind], fmt, 0);
    if (!bs) {
        return 1;
    }
    end = bs->total_size;
    if (start < end && max_len < end - start) {
        end = start + max_len;
    }
    if (json) {
        printf("[");
    } else {
        printf("%-16s%-16s%-16s%s\n", "Offset", "Length", "Mapped to", "File");
    }
    cur = (MapEntry){ .start = start };
    while (cur.start + cur.length < end && ret == 0) {
        uint64_t off = cur.start + cur.length;
        ret = map_status(bs, off, end - off, &next);
        if (ret < 0) {
            break;
        }
        if (mergeable(&cur, &next)) {
            cur.length += next.length;
            continue;
        }
        if (cur.length > 0) {
            ret = print_entry(json, &cur, false);
        }
        cur = next;
    }
    if (ret == 0) {
        ret = print_entry(json, &cur, true);
    }
    if (json) {
        printf("]\n");
    }
    bdrv_close(bs, NULL);
    return ret < 0 ? 1 : 0;
}
