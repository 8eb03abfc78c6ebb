/*
 * info.c — `mimic-img info`: what an image is, in qemu-img's human or JSON
 * output (same keys, same order).
 *
 * The one thing to know: the image is opened read-only without its
 * backing chain unless --backing-chain asks for every image of the chain.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/img/img.h"

static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            printf("\\%c", ch);
        } else if (ch < 0x20) {
            printf("\\u%04x", ch);
        } else {
            putchar(ch);
        }
    }
    putchar('"');
}

static void print_json_snapshots(const BlockInfo *info, const char *ind)
{
    printf("%s    \"snapshots\": [\n", ind);
    for (int i = 0; i < info->n_snapshots; i++) {
        const BlockSnapshotInfo *sn = &info->snapshots[i];
        printf("%s        {\n", ind);
        if (sn->icount != UINT64_MAX) {
            printf("%s            \"icount\": %llu,\n", ind, (unsigned long long)sn->icount);
        }
        printf("%s            \"vm-clock-nsec\": %llu,\n", ind,
               (unsigned long long)(sn->vm_clock_nsec % 1000000000));
        printf("%s            \"name\": ", ind);
        json_string(sn->name);
        printf(",\n%s            \"date-sec\": %u,\n", ind, sn->date_sec);
        printf("%s            \"date-nsec\": %u,\n", ind, sn->date_nsec);
        printf("%s            \"vm-clock-sec\": %llu,\n", ind,
               (unsigned long long)(sn->vm_clock_nsec / 1000000000));
        printf("%s            \"id\": ", ind);
        json_string(sn->id);
        printf(",\n%s            \"vm-state-size\": %llu\n", ind,
               (unsigned long long)sn->vm_state_size);
        printf("%s        }%s\n", ind, i + 1 < info->n_snapshots ? "," : "");
    }
    printf("%s    ],\n", ind);
}

void img_print_snapshots(const BlockInfo *info)
{
    printf("%-10s%-17s%8s%20s%13s%11s\n", "ID", "TAG", "VM SIZE", "DATE", "VM CLOCK",
           "ICOUNT");
    for (int i = 0; i < info->n_snapshots; i++) {
        const BlockSnapshotInfo *sn = &info->snapshots[i];
        time_t t = sn->date_sec;
        struct tm tm;
        char date[32] = "", clock[48], icount[24] = "";
        uint64_t secs = sn->vm_clock_nsec / 1000000000;

        if (localtime_r(&t, &tm)) {
            strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
        }
        snprintf(clock, sizeof(clock), "%02d:%02d:%02d.%03d", (int)(secs / 3600),
                 (int)((secs / 60) % 60), (int)(secs % 60),
                 (int)((sn->vm_clock_nsec / 1000000) % 1000));
        if (sn->icount != UINT64_MAX) {
            snprintf(icount, sizeof(icount), "%llu", (unsigned long long)sn->icount);
        }
        printf("%-9s %-16s %8s%20s%13s%11s\n", sn->id, sn->name,
               img_size_to_str(sn->vm_state_size), date, clock, icount);
    }
}

static void print_json(BlockDriverState *bs, const BlockInfo *info, const char *ind)
{
    char *full = bs->backing_file ? bdrv_backing_path(bs->filename, bs->backing_file) : NULL;

    printf("%s{\n", ind);
    if (info->n_snapshots) {
        print_json_snapshots(info, ind);
    }
    if (bs->backing_format) {
        printf("%s    \"backing-filename-format\": ", ind);
        json_string(bs->backing_format);
        printf(",\n");
    }
    printf("%s    \"virtual-size\": %llu,\n", ind, (unsigned long long)bs->total_size);
    printf("%s    \"filename\": ", ind);
    json_string(bs->filename);
    printf(",\n");
    if (info->cluster_size) {
        printf("%s    \"cluster-size\": %llu,\n", ind, (unsigned long long)info->cluster_size);
    }
    printf("%s    \"format\": \"%s\",\n", ind, bs->drv->format_name);
    printf("%s    \"actual-size\": %lld,\n", ind, (long long)file_allocated(bs->fd));
    if (info->n_specific) {
        printf("%s    \"format-specific\": {\n%s        \"type\": \"%s\",\n%s        "
               "\"data\": {\n",
               ind, ind, bs->drv->format_name, ind);
        for (int i = 0; i < info->n_specific; i++) {
            const BlockInfoItem *it = &info->specific[i];
            printf("%s            \"%s\": %s%s%s%s\n", ind, it->key, it->is_string ? "\"" : "",
                   it->value, it->is_string ? "\"" : "", i + 1 < info->n_specific ? "," : "");
        }
        printf("%s        }\n%s    },\n", ind, ind);
    }
    if (bs->backing_file) {
        printf("%s    \"full-backing-filename\": ", ind);
        json_string(full ? full : bs->backing_file);
        printf(",\n%s    \"backing-filename\": ", ind);
        json_string(bs->backing_file);
        printf(",\n");
    }
    printf("%s    \"dirty-flag\": %s\n%s}", ind, info->dirty ? "true" : "false", ind);
    free(full);
}

static void print_human(BlockDriverState *bs, const BlockInfo *info)
{
    printf("image: %s\n", bs->filename);
    printf("file format: %s\n", bs->drv->format_name);
    printf("virtual size: %s (%llu bytes)\n", img_size_to_str(bs->total_size),
           (unsigned long long)bs->total_size);
    printf("disk size: %s\n", img_size_to_str((uint64_t)file_allocated(bs->fd)));
    if (info->cluster_size) {
        printf("cluster_size: %llu\n", (unsigned long long)info->cluster_size);
    }
    if (bs->backing_file) {
        char *full = bdrv_backing_path(bs->filename, bs->backing_file);
        printf("backing file: %s", bs->backing_file);
        if (full && strcmp(full, bs->backing_file)) {
            printf(" (actual path: %s)", full);
        }
        printf("\n");
        free(full);
    }
    if (bs->backing_format) {
        printf("backing file format: %s\n", bs->backing_format);
    }
    if (info->dirty) {
        printf("cleanly shut down: no\n");
    }
    if (info->n_snapshots) {
        printf("Snapshot list:\n");
        img_print_snapshots(info);
    }
    if (info->n_specific) {
        printf("Format specific information:\n");
        for (int i = 0; i < info->n_specific; i++) {
            char key[32];
            snprintf(key, sizeof(key), "%s", info->specific[i].key);
            for (char *p = key; *p; p++) {
                if (*p == '-') {
                    *p = ' ';
                }
            }
            printf("    %s: %s\n", key, info->specific[i].value);
        }
    }
}

int img_info(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'O' },
        { "backing-chain", no_argument, NULL, 'B' },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    const char *fmt = NULL, *output = "human";
    bool chain = false, json;
    BlockDriverState *bs;
    int c, ret = 0;

    while ((c = getopt_long(argc, argv, "f:U", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'O':
            output = optarg;
            break;
        case 'B':
            chain = true;
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
    if (strcmp(output, "human") && strcmp(output, "json")) {
        img_error("--output must be used with human or json as argument.");
        return 1;
    }
    json = !strcmp(output, "json");
    bs = img_open(argv[optind], fmt, chain ? 0 : BDRV_O_NO_BACKING);
    if (!bs) {
        return 1;
    }
    if (json && chain) {
        printf("[\n");
    }
    for (BlockDriverState *b = bs; b; b = chain ? b->backing : NULL) {
        BlockInfo info;
        Error *err = NULL;
        if (bdrv_get_info(b, &info, &err) < 0) {
            img_report(err);
            ret = 1;
            break;
        }
        if (json) {
            print_json(b, &info, chain ? "    " : "");
            printf("%s\n", chain && b->backing ? "," : "");
        } else {
            if (b != bs) {
                printf("\n");
            }
            print_human(b, &info);
        }
    }
    if (json && chain) {
        printf("]\n");
    }
    bdrv_close(bs, NULL);
    return ret;
}
