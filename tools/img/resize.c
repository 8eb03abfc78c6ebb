/*
 * resize.c — `mimic-img resize`: change an image's virtual size (grow;
 * shrink only for raw with --shrink).
 *
 * The one thing to know: "+N" and "-N" are relative to the current size,
 * as in qemu-img.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "tools/img/img.h"

int img_resize(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "shrink", no_argument, NULL, 'S' },
        { NULL, 0, NULL, 0 },
    };
    const char *fmt = NULL, *arg;
    bool shrink = false, quiet = false;
    uint64_t n, size;
    BlockDriverState *bs;
    Error *err = NULL;
    int c, rel = 0;

    /* "-1G" would look like an option: take the size before getopt. */
    if (argc >= 3 && argv[argc - 1][0] == '-' && argv[argc - 1][1] >= '0' &&
        argv[argc - 1][1] <= '9') {
        rel = -1;
        arg = argv[--argc] + 1;
    } else {
        arg = NULL;
    }
    while ((c = getopt_long(argc, argv, "f:q", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'S':
            shrink = true;
            break;
        default:
            return 1;
        }
    }
    if (!arg) {
        if (optind != argc - 2) {
            img_error("Expecting image file name and size");
            return 1;
        }
        arg = argv[argc - 1];
        if (arg[0] == '+') {
            rel = 1;
            arg++;
        }
    } else if (optind != argc - 1) {
        img_error("Expecting image file name and size");
        return 1;
    }
    if (img_parse_size(arg, &n) < 0) {
        img_error("Invalid image size specified: '%s'", arg);
        return 1;
    }
    bs = img_open(argv[optind], fmt, BDRV_O_RDWR | BDRV_O_NO_BACKING);
    if (!bs) {
        return 1;
    }
    size = rel > 0 ? bs->total_size + n : rel < 0 ? bs->total_size - n : n;
    if (rel < 0 && n > bs->total_size) {
        img_error("New image size must be positive");
        bdrv_close(bs, NULL);
        return 1;
    }
    if (size < bs->total_size && !shrink) {
        img_error("Use the --shrink option to perform a shrink operation.");
        bdrv_close(bs, NULL);
        return 1;
    }
    if (bdrv_truncate(bs, size, &err) < 0) {
        img_report(err);
        bdrv_close(bs, NULL);
        return 1;
    }
    if (bdrv_close(bs, &err) < 0) {
        img_report(err);
        return 1;
    }
    if (!quiet) {
        printf("Image resized.\n");
    }
    return 0;
}
