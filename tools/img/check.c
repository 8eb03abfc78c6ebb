/*
 * check.c — `mimic-img check`: refcount consistency of an image, with
 * qemu-img's report and exit codes (0 clean, 1 check failed, 2 corrupt,
 * 3 leaks only, 63 format without checks).
 *
 * The one thing to know: -r opens the image read/write and repairs leaks
 * (refcounts above the references), then checks again and reports that;
 * --output=json prints qemu-img's keys.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "tools/img/img.h"

static void print_result(const BlockCheckResult *r)
{
    if (!r->corruptions && !r->leaks && !r->check_errors) {
        printf("No errors were found on the image.\n");
    } else {
        if (r->corruptions) {
            printf("\n%llu errors were found on the image.\n"
                   "Data may be corrupted, or further writes to the image may corrupt it.\n",
                   (unsigned long long)r->corruptions);
        }
        if (r->leaks) {
            printf("\n%llu leaked clusters were found on the image.\n"
                   "This means waste of disk space, but no harm to data.\n",
                   (unsigned long long)r->leaks);
        }
        if (r->check_errors) {
            printf("\n%llu internal errors have occurred during the check.\n",
                   (unsigned long long)r->check_errors);
        }
    }
    if (r->total_clusters && r->allocated_clusters) {
        printf("%llu/%llu = %0.2f%% allocated, %0.2f%% fragmented, %0.2f%% compressed "
               "clusters\n",
               (unsigned long long)r->allocated_clusters,
               (unsigned long long)r->total_clusters,
               r->allocated_clusters * 100.0 / r->total_clusters,
               r->fragmented_clusters * 100.0 / r->allocated_clusters,
               r->compressed_clusters * 100.0 / r->allocated_clusters);
    }
    if (r->image_end_offset) {
        printf("Image end offset: %llu\n", (unsigned long long)r->image_end_offset);
    }
}

/* qemu-img's key order (a QAPI dictionary's); a key appears when its value
 * is not zero, except check-errors, filename and format. */
static void print_json(const BlockCheckResult *r, const char *filename, const char *format)
{
    printf("{\n");
    if (r->image_end_offset) {
        printf("    \"image-end-offset\": %llu,\n", (unsigned long long)r->image_end_offset);
    }
    if (r->compressed_clusters) {
        printf("    \"compressed-clusters\": %llu,\n",
               (unsigned long long)r->compressed_clusters);
    }
    if (r->total_clusters) {
        printf("    \"total-clusters\": %llu,\n", (unsigned long long)r->total_clusters);
    }
    if (r->corruptions) {
        printf("    \"corruptions\": %llu,\n", (unsigned long long)r->corruptions);
    }
    printf("    \"check-errors\": %llu,\n", (unsigned long long)r->check_errors);
    if (r->leaks) {
        printf("    \"leaks\": %llu,\n", (unsigned long long)r->leaks);
    }
    if (r->allocated_clusters) {
        printf("    \"allocated-clusters\": %llu,\n", (unsigned long long)r->allocated_clusters);
    }
    printf("    \"filename\": \"%s\",\n    \"format\": \"%s\"%s\n", filename, format,
           r->fragmented_clusters ? "," : "");
    if (r->fragmented_clusters) {
        printf("    \"fragmented-clusters\": %llu\n",
               (unsigned long long)r->fragmented_clusters);
    }
    printf("}\n");
}

int img_check(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'O' },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    bool json = false;
    const char *fmt = NULL;
    int fix = 0, c, ret;
    bool quiet = false;
    BlockDriverState *bs;
    BlockCheckResult r;
    Error *err = NULL;

    while ((c = getopt_long(argc, argv, "f:r:qU", longopts, NULL)) != -1) {
        switch (c) {
        case 'O':
            if (strcmp(optarg, "human") && strcmp(optarg, "json")) {
                img_error("--output must be used with human or json as argument.");
                return 1;
            }
            json = !strcmp(optarg, "json");
            break;
        case 'f':
            fmt = optarg;
            break;
        case 'r':
            if (!strcmp(optarg, "leaks")) {
                fix = BDRV_FIX_LEAKS;
            } else if (!strcmp(optarg, "all")) {
                fix = BDRV_FIX_LEAKS | BDRV_FIX_ERRORS;
            } else {
                img_error("Unknown option value for -r (expecting 'leaks' or 'all'): %s",
                          optarg);
                return 1;
            }
            break;
        case 'q':
            quiet = true;
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
    bs = img_open(argv[optind], fmt,
                  BDRV_O_NO_BACKING | BDRV_O_CHECK | (fix ? BDRV_O_RDWR : 0));
    if (!bs) {
        return 1;
    }
    ret = bdrv_check(bs, &r, fix, &err);
    if (ret == -ENOTSUP && !bs->drv->check) {
        img_report(err);
        bdrv_close(bs, NULL);
        return 63;
    }
    if (ret == 0 && r.leaks_fixed) {
        if (!quiet && !json) {
            printf("The following inconsistencies were found and repaired:\n\n"
                   "    %llu leaked clusters\n    %llu corruptions\n\n"
                   "Double checking the fixed image now...\n",
                   (unsigned long long)r.leaks_fixed, (unsigned long long)r.corruptions_fixed);
        }
        ret = bdrv_check(bs, &r, 0, &err);
    }
    if (ret < 0) {
        img_report(err);
        bdrv_close(bs, NULL);
        return 1;
    }
    if (json) {
        print_json(&r, argv[optind], bs->drv->format_name);
    } else if (!quiet) {
        print_result(&r);
    }
    if (bdrv_close(bs, &err) < 0) {
        img_report(err);
        return 1;
    }
    if (r.check_errors) {
        return 1;
    }
    return r.corruptions ? 2 : r.leaks ? 3 : 0;
}
