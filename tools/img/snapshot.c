/*
 * snapshot.c — `mimic-img snapshot`: list (-l, the default), create (-c),
 * apply (-a) and delete (-d) an image's internal snapshots like qemu-img.
 *
 * The one thing to know: -c/-a/-d open the image read/write without its
 * backing file (snapshots only touch this image's metadata); messages
 * and exit codes follow qemu-img.
 */
#include <getopt.h>
#include <stdio.h>

#include "tools/img/img.h"

static int list(const char *file, const char *fmt)
{
    BlockDriverState *bs = img_open(file, fmt, BDRV_O_NO_BACKING);
    BlockInfo info;
    Error *err = NULL;
    int ret = 0;

    if (!bs) {
        return 1;
    }
    if (bdrv_get_info(bs, &info, &err) < 0) {
        img_report(err);
        ret = 1;
    } else if (info.n_snapshots) {
        printf("Snapshot list:\n");
        img_print_snapshots(&info);
    }
    bdrv_close(bs, NULL);
    return ret;
}

int img_snapshot(int argc, char **argv)
{
    const char *fmt = NULL, *name = NULL, *verb = NULL;
    int (*op)(BlockDriverState *, const char *, Error **) = NULL;
    BlockDriverState *bs;
    Error *err = NULL;
    int c, ret;

    while ((c = getopt(argc, argv, "f:lc:a:d:qU")) != -1) {
        if (op && (c == 'l' || c == 'c' || c == 'a' || c == 'd')) {
            img_error("Cannot mix '-l', '-a', '-c', '-d'");
            return 1;
        }
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'l':
            break;
        case 'c':
            op = bdrv_snapshot_create;
            verb = "create";
            name = optarg;
            break;
        case 'a':
            op = bdrv_snapshot_apply;
            verb = "apply";
            name = optarg;
            break;
        case 'd':
            op = bdrv_snapshot_delete;
            verb = "delete";
            name = optarg;
            break;
        case 'q':
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
    if (!op) {
        return list(argv[optind], fmt);
    }
    bs = img_open(argv[optind], fmt, BDRV_O_RDWR | BDRV_O_NO_BACKING);
    if (!bs) {
        return 1;
    }
    ret = op(bs, name, &err);
    if (ret < 0) {
        img_error("Could not %s snapshot '%s': %s", verb, name, err->msg);
        error_free(err);
        err = NULL;
    }
    if (bdrv_close(bs, &err) < 0) {
        img_report(err);
        ret = -1;
    }
    return ret < 0 ? 1 : 0;
}
