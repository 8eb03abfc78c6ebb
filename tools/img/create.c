/*
 * create.c — `mimic-img create`: a new image (raw, qcow2, qcow, vmdk, vdi,
 * vpc), optionally on a backing file.
 *
 * The one thing to know: like qemu-img, a backing file is opened to check
 * it (and to take its size when none is given) unless -u is passed, and a
 * backing file needs its format (-F or backing_fmt=).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/img/img.h"

/* Applies "-o key=value,key=value" to the options; 0 or -1 (reported). */
static int parse_o(const char *filename, char *spec, BlockCreateOptions *o,
                   const char **compat)
{
    for (char *save = NULL, *kv = strtok_r(spec, ",", &save); kv;
         kv = strtok_r(NULL, ",", &save)) {
        char *v = strchr(kv, '=');
        if (!v) {
            img_error("%s: Invalid parameter '%s' (expected key=value)", filename, kv);
            return -1;
        }
        *v++ = 0;
        if (!strcmp(kv, "cluster_size")) {
            if (img_parse_size(v, &o->cluster_size) < 0) {
                img_error("%s: Invalid value '%s' for option cluster_size", filename, v);
                return -1;
            }
        } else if (!strcmp(kv, "size")) {
            if (img_parse_size(v, &o->size) < 0) {
                img_error("%s: Invalid value '%s' for option size", filename, v);
                return -1;
            }
        } else if (!strcmp(kv, "backing_file")) {
            o->backing_file = v;
        } else if (!strcmp(kv, "backing_fmt")) {
            o->backing_fmt = v;
        } else if (!strcmp(kv, "compat")) {
            if (!strcmp(v, "0.10") || !strcmp(v, "v2")) {
                o->qcow2_version = 2;
            } else if (!strcmp(v, "1.1") || !strcmp(v, "v3")) {
                o->qcow2_version = 3;
            } else {
                img_error("%s: Invalid value '%s' for option compat (0.10 or 1.1)", filename,
                          v);
                return -1;
            }
            *compat = v;
        } else if (!strcmp(kv, "subformat")) {
            o->subformat = v;
        } else if (!strcmp(kv, "static")) {
            o->subformat = !strcmp(v, "on") ? "static" : NULL;
        } else if (!strcmp(kv, "extended_l2")) {
            o->extended_l2 = !strcmp(v, "on");
        } else if (!strcmp(kv, "lazy_refcounts")) {
            o->lazy_refcounts = !strcmp(v, "on");
        } else if (!strcmp(kv, "compression_type")) {
            if (strcmp(v, "zlib") && strcmp(v, "zstd")) {
                img_error("%s: Invalid value '%s' for option compression_type", filename, v);
                return -1;
            }
            o->compression_type = !strcmp(v, "zstd");
        } else {
            img_error("%s: Invalid parameter '%s'", filename, kv);
            return -1;
        }
    }
    return 0;
}

static int check_backing(const char *filename, BlockCreateOptions *o, bool have_size)
{
    BlockDriverState *b;
    char *path = bdrv_backing_path(filename, o->backing_file);

    if (!path) {
        return -1;
    }
    if (!o->backing_fmt) {
        b = img_open(path, NULL, BDRV_O_NO_BACKING);
        img_error("%s: Backing file specified without backing format", filename);
        if (b) {
            fprintf(stderr, "Detected format of %s.\n", b->drv->format_name);
        }
        bdrv_close(b, NULL);
        free(path);
        return -1;
    }
    b = img_open(path, o->backing_fmt, 0);
    free(path);
    if (!b) {
        return -1;
    }
    if (!have_size) {
        o->size = b->total_size;
    }
    bdrv_close(b, NULL);
    return 0;
}

int img_create(int argc, char **argv)
{
    BlockCreateOptions o = { 0 };
    const char *fmt = "raw", *compat = NULL, *filename;
    char *ospec = NULL;
    bool unsafe = false, have_size = false;
    Error *err = NULL;
    int c;

    while ((c = getopt(argc, argv, "f:o:b:F:uq")) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'o':
            ospec = optarg;
            break;
        case 'b':
            o.backing_file = optarg;
            break;
        case 'F':
            o.backing_fmt = optarg;
            break;
        case 'u':
            unsafe = true;
            break;
        case 'q':
            break;
        default:
            return 1;
        }
    }
    if (optind >= argc) {
        img_error("Expecting image file name");
        return 1;
    }
    filename = argv[optind++];
    if (!bdrv_find_format(fmt)) {
        img_error("Unknown file format '%s' (option -f)", fmt);
        return 1;
    }
    if (ospec && parse_o(filename, ospec, &o, &compat) < 0) {
        return 1;
    }
    if (img_check_subformat(fmt, &o, filename) < 0) {
        return 1;
    }
    have_size = o.size != 0;
    if (optind < argc) {
        if (img_parse_size(argv[optind], &o.size) < 0) {
            img_error("Invalid image size specified: '%s'. You may use k, M, G, T, P or E "
                      "suffixes for kilobytes, megabytes, gigabytes, terabytes, petabytes "
                      "and exabytes.",
                      argv[optind]);
            return 1;
        }
        have_size = true;
        optind++;
    }
    if (optind < argc) {
        img_error("Unexpected argument: %s", argv[optind]);
        return 1;
    }
    if (o.backing_file && !unsafe && check_backing(filename, &o, have_size) < 0) {
        return 1;
    }
    if (!have_size && !o.backing_file) {
        img_error("%s: Image creation needs a size parameter", filename);
        return 1;
    }

    printf("Formatting '%s', fmt=%s", filename, fmt);
    if (!strcmp(fmt, "qcow2")) {
        printf(" cluster_size=%llu extended_l2=%s compression_type=%s",
               (unsigned long long)(o.cluster_size ? o.cluster_size : 65536),
               o.extended_l2 ? "on" : "off",
               o.compression_type ? "zstd" : "zlib");
    }
    printf(" size=%llu", (unsigned long long)o.size);
    if (o.backing_file) {
        printf(" backing_file=%s", o.backing_file);
    }
    if (o.backing_fmt) {
        printf(" backing_fmt=%s", o.backing_fmt);
    }
    if (compat) {
        printf(" compat=%s", compat);
    }
    if (!strcmp(fmt, "qcow2")) {
        printf(" lazy_refcounts=%s refcount_bits=16", o.lazy_refcounts ? "on" : "off");
    } else if (!strcmp(fmt, "vmdk")) {
        printf(" compat6=off hwversion=undefined");
    } else if (!strcmp(fmt, "vdi")) {
        printf(" static=%s", o.subformat ? "on" : "off");
    }
    if (o.subformat && strcmp(fmt, "vdi")) {
        printf(" subformat=%s", o.subformat);
    }
    printf("\n");
    fflush(stdout);
    if (bdrv_create(fmt, filename, &o, &err) < 0) {
        img_report(err);
        return 1;
    }
    return 0;
}
