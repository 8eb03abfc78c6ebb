/*
 * bench.c — `mimic-img bench`: time COUNT read or write requests of one
 * size, stepping through the image, with DEPTH of them in flight, printing
 * qemu-img bench's lines.
 *
 * The one thing to know: requests in flight are requests being served by
 * a small pool of worker threads (at most MAX_WORKERS, at most DEPTH), each
 * taking the next offset from a shared cursor. The block layer holds one
 * lock per image around each driver call, so today they overlap only
 * outside the driver; the pool is the first step towards many requests at
 * once in the block layer.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/img/img.h"

#define MAX_WORKERS 8

typedef struct Bench {
    BlockDriverState *bs;
    uint64_t size;          /* bytes per request */
    uint64_t step;
    uint64_t flush_every;   /* 0: never */
    bool write;
    int pattern;
    pthread_mutex_t lock;   /* guards the fields below */
    uint64_t next_offset;
    uint64_t issued, done;  /* requests taken, requests finished */
    Error *err;             /* the first failure; stops the run */
} Bench;

/* Takes the next request; false when all are issued or one failed. */
static bool bench_take(Bench *b, uint64_t count, uint64_t *offset)
{
    bool ok;

    pthread_mutex_lock(&b->lock);
    ok = b->issued < count && !b->err;
    if (ok) {
        *offset = b->next_offset;
        b->issued++;
        b->next_offset = b->bs->total_size ? (b->next_offset + b->step) % b->bs->total_size
                                           : 0;
    }
    pthread_mutex_unlock(&b->lock);
    return ok;
}

/* Records a failure (the first one is reported); the run stops. */
static void bench_fail(Bench *b, Error *err)
{
    pthread_mutex_lock(&b->lock);
    if (!b->err) {
        b->err = err;
        err = NULL;
    }
    pthread_mutex_unlock(&b->lock);
    error_free(err);
}

/* Counts a finished request; returns whether a flush is due. */
static bool bench_finish(Bench *b)
{
    bool flush;

    pthread_mutex_lock(&b->lock);
    b->done++;
    flush = b->flush_every && b->done % b->flush_every == 0;
    pthread_mutex_unlock(&b->lock);
    return flush;
}

typedef struct Worker {
    Bench *b;
    uint64_t count;
    uint8_t *buf; /* b->size bytes of the pattern */
    pthread_t thread;
} Worker;

static void *bench_worker(void *opaque)
{
    Worker *w = opaque;
    Bench *b = w->b;
    uint64_t offset;

    while (bench_take(b, w->count, &offset)) {
        Error *err = NULL;
        int r = b->write ? bdrv_pwrite(b->bs, offset, w->buf, b->size, &err)
                         : bdrv_pread(b->bs, offset, w->buf, b->size, &err);
        if (r == 0 && bench_finish(b)) {
            r = bdrv_flush(b->bs, &err);
        }
        if (r < 0) {
            bench_fail(b, err);
        }
    }
    return NULL;
}

/* Runs the requests; *seconds is the time from the first request to the
 * last completion (buffers are set up before, the final flush after). */
static int run(Bench *b, uint64_t count, int depth, double *seconds)
{
    Worker workers[MAX_WORKERS] = { 0 };
    int n = depth < MAX_WORKERS ? depth : MAX_WORKERS, started = 0, ret = 0;
    struct timespec t0, t1;

    for (int i = 0; i < n && ret == 0; i++) {
        workers[i] = (Worker){ .b = b, .count = count, .buf = malloc(b->size ? b->size : 1) };
        if (!workers[i].buf) {
            img_error("out of memory for %d buffers of %llu bytes", n,
                      (unsigned long long)b->size);
            ret = -1;
        } else {
            memset(workers[i].buf, b->pattern, b->size);
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (; ret == 0 && started < n; started++) {
        if (pthread_create(&workers[started].thread, NULL, bench_worker, &workers[started])) {
            break;
        }
    }
    if (ret == 0 && started == 0) {
        img_error("could not start worker threads");
        ret = -1;
    }
    for (int i = 0; i < started; i++) {
        pthread_join(workers[i].thread, NULL);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    *seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    for (int i = 0; i < n; i++) {
        free(workers[i].buf);
    }
    return ret;
}

/* Parses a non-negative integer option; -1 (reported) on error. */
static int parse_count(const char *arg, const char *what, char opt, uint64_t *out)
{
    char *end;

    errno = 0;
    *out = strtoull(arg, &end, 10);
    if (errno || !*arg || *end || arg[0] == '-' || *out > INT32_MAX) {
        img_error("Invalid %s specified: '%s' (option -%c)", what, arg, opt);
        return -1;
    }
    return 0;
}

int img_bench(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "pattern", required_argument, NULL, 'P' },
        { "flush-interval", required_argument, NULL, 'F' },
        { "no-drain", no_argument, NULL, 'D' },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    Bench b = { .size = 4096, .lock = PTHREAD_MUTEX_INITIALIZER };
    const char *fmt = NULL;
    uint64_t count = 75000, depth = 64, start = 0, step = 0, v;
    double seconds = 0;
    Error *err = NULL;
    int c, ret;

    while ((c = getopt_long(argc, argv, "c:d:f:i:no:qs:S:t:wU", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (parse_count(optarg, "request count", 'c', &count) < 0) {
                return 1;
            }
            break;
        case 'd':
            if (parse_count(optarg, "queue depth", 'd', &depth) < 0) {
                return 1;
            }
            if (depth == 0) {
                img_error("Invalid queue depth specified: '%s' (option -d)", optarg);
                return 1;
            }
            break;
        case 'f':
            fmt = optarg;
            break;
        case 'o':
            if (img_parse_size(optarg, &start) < 0) {
                img_error("Invalid offset specified: '%s' (option -o)", optarg);
                return 1;
            }
            break;
        case 's':
            if (img_parse_size(optarg, &b.size) < 0 || b.size > INT32_MAX) {
                img_error("Invalid buffer size specified: '%s' (option -s)", optarg);
                return 1;
            }
            break;
        case 'S':
            if (img_parse_size(optarg, &step) < 0 || step > INT32_MAX) {
                img_error("Invalid step size specified: '%s' (option -S)", optarg);
                return 1;
            }
            break;
        case 'w':
            b.write = true;
            break;
        case 'P':
            if (parse_count(optarg, "pattern", 'P', &v) < 0 || v > 0xff) {
                img_error("Invalid pattern byte specified: '%s' (option --pattern)", optarg);
                return 1;
            }
            b.pattern = (int)v;
            break;
        case 'F':
            if (parse_count(optarg, "flush interval", 'F', &b.flush_every) < 0) {
                return 1;
            }
            break;
        case 'i': /* AIO engine, native AIO, cache mode: I/O here is synchronous */
        case 'n':
        case 't':
        case 'q': /* qemu-img bench prints its lines even with -q */
        case 'D':
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
    if (b.flush_every && !b.write) {
        img_error("--flush-interval is only available in write tests");
        return 1;
    }
    if (b.flush_every && b.flush_every < depth) {
        img_error("Flush interval can't be smaller than depth");
        return 1;
    }
    b.step = step ? step : b.size;
    b.next_offset = start;
    b.bs = img_open(argv[optind], fmt, b.write ? BDRV_O_RDWR : 0);
    if (!b.bs) {
        return 1;
    }
    printf("Sending %llu %s requests, %llu bytes each, %llu in parallel (starting at offset "
           "%llu, step size %llu)\n",
           (unsigned long long)count, b.write ? "write" : "read", (unsigned long long)b.size,
           (unsigned long long)depth, (unsigned long long)start, (unsigned long long)b.step);
    if (b.flush_every) {
        printf("Sending flush every %llu requests\n", (unsigned long long)b.flush_every);
    }
    fflush(stdout);
    if (b.size > b.bs->total_size) {
        /* Every request would fail; do not allocate the buffers. */
        error_setg(&b.err, -EINVAL, "'%s': requests of %llu bytes are larger than the image "
                   "(%llu bytes)", b.bs->filename, (unsigned long long)b.size,
                   (unsigned long long)b.bs->total_size);
        ret = 0;
    } else {
        /* As in qemu-img, the flush at close is not timed. */
        ret = run(&b, count, (int)depth, &seconds);
    }
    if (b.err) {
        img_error("Failed request: %s", b.err->msg);
        error_free(b.err);
        ret = -1;
    } else if (ret == 0) {
        printf("Run completed in %3.3f seconds.\n", seconds);
    }
    if (bdrv_close(b.bs, &err) < 0) {
        img_report(err);
        ret = -1;
    }
    return ret < 0 ? 1 : 0;
}
