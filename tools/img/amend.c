/*
 * amend.c — `mimic-img amend -o compat=0.10|1.1,lazy_refcounts=on|off`:
 * change the options of an existing image in place, like qemu-img.
 *
 * The one thing to know: only the options that the format can change
 * are accepted (qcow2: compat and lazy_refcounts); the check of what is
 * possible (a downgrade needs refcount_bits=16 and no incompatible
 * features) is the driver's, with qemu-img's messages.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/img/img.h"

/* Parses "compat=...,lazy_refcounts=..." (several -o are joined). */
static int parse_options(char *opts, int *version, int *lazy)
{
    for (char *save = NULL, *kv = strtok_r(opts, ",", &save); kv;
         kv = strtok_r(NULL, ",", &save)) {
        char *v = strchr(kv, '=');
        if (v) {
            *v++ = 0;
        }
        if (!strcmp(kv, "compat") && v) {
            if (!strcmp(v, "0.10") || !strcmp(v, "v2")) {
                *version = 2;
            } else if (!strcmp(v, "1.1") || !strcmp(v, "v3")) {
                *version = 3;
            } else {
                img_error("Unknown compatibility level %s", v);
                return -1;
            }
        } else if (!strcmp(kv, "lazy_refcounts") && v) {
            if (strcmp(v, "on") && strcmp(v, "off")) {
                img_error("Parameter 'lazy_refcounts' expects 'on' or 'off'");
                return -1;
            }
            *lazy = !strcmp(v, "on");
        } else {
            img_error("Invalid parameter '%s'", kv);
            return -1;
        }
    }
    return 0;
}

int img_amend(int argc, char **argv)
{
    const char *fmt = NULL;
    char *opts = NULL;
    int version = 0, lazy = -1, c, ret = 1;
    BlockDriverState *bs;
    Error *err = NULL;

    while ((c = getopt(argc, argv, "f:o:qp")) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'o': {
            char *n = NULL;
            if (asprintf(&n, "%s%s%s", opts ? opts : "", opts ? "," : "", optarg) < 0) {
                free(opts);
                return 1;
            }
            free(opts);
            opts = n;
            break;
        }
        case 'q':
        case 'p':
            break;
        default:
            free(opts);
            return 1;
        }
    }
    if (!opts) {
        img_error("Must specify options (-o)");
        return 1;
    }
    if (optind != argc - 1) {
        img_error("Expecting one image file name");
        free(opts);
        return 1;
    }
    if (parse_options(opts, &version, &lazy) < 0) {
        free(opts);
        return 1;
    }
    free(opts);
    bs = img_open(argv[optind], fmt, BDRV_O_RDWR | BDRV_O_NO_BACKING);
    if (!bs) {
        return 1;
    }
    if (!bs->drv->amend) {
        img_error("Format driver '%s' does not support option amendment",
                  bs->drv->format_name);
    } else if (bdrv_amend(bs, version, lazy, &err) < 0) {
        img_error("%s", err->msg);
        error_free(err);
        err = NULL;
    } else {
        ret = 0;
    }
    if (bdrv_close(bs, &err) < 0) {
        img_report(err);
        ret = 1;
    }
    return ret;
}
