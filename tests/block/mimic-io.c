/*
 * mimic-io.c — test helper for the block tests: runs qemu-io-like commands
 * on one image through the block layer.
 *
 *   mimic-io [-f fmt] [-r] IMAGE 'write -P 0xab OFF LEN' 'read -P 0xab OFF LEN'
 *            'discard OFF LEN' 'flush' 'checkpoint' 'crash'
 *
 * The one thing to know: 'crash' ends the process at once with _exit(),
 * without flushing or closing, to test what a crash leaves on disk;
 * 'checkpoint' flushes and then prints "checkpoint N" (N counts them), so a
 * test that kills the process knows what was durable before the kill.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mimic/block.h"

static int parse_num(const char *s, uint64_t *v)
{
    char *end;
    unsigned long long n = strtoull(s, &end, 0);
    int shift = 0;

    if (end == s) {
        return -1;
    }
    if (*end == 'k' || *end == 'K') {
        shift = 10;
    } else if (*end == 'M') {
        shift = 20;
    } else if (*end == 'G') {
        shift = 30;
    } else if (*end) {
        return -1;
    }
    *v = (uint64_t)n << shift;
    return 0;
}

static int run(BlockDriverState *bs, char *cmd)
{
    char *argv[8];
    int argc = 0, pattern = 0;
    uint64_t off, len;
    Error *err = NULL;
    uint8_t *buf;
    int ret;

    for (char *save = NULL, *t = strtok_r(cmd, " ", &save); t && argc < 8;
         t = strtok_r(NULL, " ", &save)) {
        argv[argc++] = t;
    }
    if (argc == 0) {
        return 0;
    }
    if (!strcmp(argv[0], "flush")) {
        ret = bdrv_flush(bs, &err);
        goto done;
    }
    if (!strcmp(argv[0], "checkpoint")) {
        static int checkpoints;
        ret = bdrv_flush(bs, &err);
        if (ret == 0) {
            printf("checkpoint %d\n", ++checkpoints);
            fflush(stdout);
        }
        goto done;
    }
    if (!strcmp(argv[0], "crash")) {
        _exit(0);
    }
    int a = 1;
    if (argc >= 3 && !strcmp(argv[1], "-P")) {
        pattern = (int)strtol(argv[2], NULL, 0);
        a = 3;
    }
    if (argc != a + 2 || parse_num(argv[a], &off) < 0 || parse_num(argv[a + 1], &len) < 0) {
        fprintf(stderr, "mimic-io: bad command '%s'\n", argv[0]);
        return -1;
    }
    if (!strcmp(argv[0], "discard")) {
        ret = bdrv_discard(bs, off, len, &err);
        if (ret == 0) {
            printf("discard %llu/%llu bytes at offset %llu\n", (unsigned long long)len,
                   (unsigned long long)len, (unsigned long long)off);
        }
        goto done;
    }
    buf = malloc(len ? len : 1);
    if (!buf) {
        return -1;
    }
    if (!strcmp(argv[0], "write")) {
        memset(buf, pattern, len);
        ret = bdrv_pwrite(bs, off, buf, len, &err);
        if (ret == 0) {
            printf("wrote %llu/%llu bytes at offset %llu\n", (unsigned long long)len,
                   (unsigned long long)len, (unsigned long long)off);
        }
    } else if (!strcmp(argv[0], "read")) {
        ret = bdrv_pread(bs, off, buf, len, &err);
        for (uint64_t i = 0; ret == 0 && i < len; i++) {
            if (buf[i] != pattern) {
                printf("Pattern verification failed at offset %llu, %llu bytes\n",
                       (unsigned long long)(off + i), (unsigned long long)(len - i));
                break;
            }
        }
        if (ret == 0) {
            printf("read %llu/%llu bytes at offset %llu\n", (unsigned long long)len,
                   (unsigned long long)len, (unsigned long long)off);
        }
    } else {
        fprintf(stderr, "mimic-io: unknown command '%s'\n", argv[0]);
        ret = -1;
    }
    free(buf);
done:
    if (ret < 0 && err) {
        error_report_free("mimic-io", err);
    }
    return ret;
}

int main(int argc, char **argv)
{
    const char *fmt = NULL;
    int flags = BDRV_O_RDWR, c, ret = 0;
    BlockDriverState *bs;
    Error *err = NULL;

    while ((c = getopt(argc, argv, "f:r")) != -1) {
        if (c == 'f') {
            fmt = optarg;
        } else if (c == 'r') {
            flags = 0;
        } else {
            return 1;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "usage: mimic-io [-f fmt] [-r] IMAGE COMMAND...\n");
        return 1;
    }
    if (bdrv_open(&bs, argv[optind], fmt, flags, &err) < 0) {
        error_report_free("mimic-io", err);
        return 1;
    }
    for (int i = optind + 1; i < argc && ret == 0; i++) {
        char *cmd = strdup(argv[i]);
        ret = run(bs, cmd);
        free(cmd);
    }
    if (bdrv_close(bs, &err) < 0) {
        error_report_free("mimic-io", err);
        ret = -1;
    }
    return ret < 0 ? 1 : 0;
}
