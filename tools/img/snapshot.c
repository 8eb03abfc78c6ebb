/*
 * snapshot.c — `mimic-img snapshot -l`: list an image's internal
 * snapshots like qemu-img.
 *
 * The one thing to know: only listing exists yet; -c/-a/-d (create, apply,
 * delete) are refused with a message, since snapshot images are read-only.
 */
#include <getopt.h>
#include <stdio.h>

#include "tools/img/img.h"

int img_snapshot(int argc, char **argv)
{
    const char *fmt = NULL;
    bool list = false;
    BlockDriverState *bs;
    BlockInfo info;
    Error *err = NULL;
    int c, ret = 0;

    while ((c = getopt(argc, argv, "f:lc:a:d:qU")) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'l':
            list = true;
            break;
        case 'c':
        case 'a':
        case 'd':
            img_error("snapshot -%c is not supported yet (only -l)", c);
            return 1;
        case 'q':
        case 'U':
            break;
        default:
            return 1;
        }
    }
    if (!list || optind != argc - 1) {
        img_error("Expecting -l and one image file name");
        return 1;
    }
    bs = img_open(argv[optind], fmt, BDRV_O_NO_BACKING);
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
