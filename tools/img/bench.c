/*
 * bench.c — `mimic-img bench`: time COUNT read or write requests of one
 * size, stepping through the image, with DEPTH of them in flight, printing
 * qemu-img bench's lines.
 *
 * The one thing to know: the requests go through a BlockAioContext
 * (block/aio-pool.c) with DEPTH of them in flight, served by up to two
 * threads per CPU (at most MAX_WORKERS); this thread only submits and,
 * woken by the context's eventfd, runs the completions, as a device's
 * event loop would. A flush (--flush-interval) waits for the requests
 * before it.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/img/img.h"

#define MAX_WORKERS 16  /* threads of the AIO context */

typedef struct Bench {
    BlockDriverState *bs;
    uint64_t size;          /* bytes per request */
    uint64_t step;
    uint64_t flush_every;   /* 0: never */
    bool write;
    int pattern;
    uint64_t next_offset;
    uint64_t issued, done;  /* requests submitted, requests completed */
    uint64_t in_flight;
    Error *err;             /* the first failure; stops the run */
    int *free_slots;        /* indexes of the BenchReqs not in flight */
    int n_free;
} Bench;

/* One request in flight, slot number `slot`: reads each use the buffer of
 * their slot; writes all share buffer 0, which the workers only read. */
typedef struct BenchReq {
    Bench *b;
    int slot;
} BenchReq;

/* Takes the next request; false when all are issued or one failed. */
static bool bench_take(Bench *b, uint64_t count, uint64_t *offset)
{
    if (b->issued >= count || b->err) {
        return false;
    }
    *offset = b->next_offset;
    b->issued++;
    b->next_offset = b->bs->total_size ? (b->next_offset + b->step) % b->bs->total_size : 0;
    return true;
}

/* Completion of one request (runs on the bench thread, from the AIO
 * context): the first failure is kept and stops the run. */
static void bench_done(void *opaque, int ret, Error *err)
{
    BenchReq *r = opaque;
    Bench *b = r->b;

    b->free_slots[b->n_free++] = r->slot;
    b->in_flight--;
    b->done++;
    if (ret < 0 && !b->err) {
        b->err = err;
        err = NULL;
    }
    error_free(err);
}

/* Runs the requests through a BlockAioContext with up to `depth` in
 * flight; *seconds is the time from the first request to the last
 * completion (buffers are set up before, the final flush after). */
static int run(Bench *b, uint64_t count, int depth, double *seconds)
{
    if ((uint64_t)depth > count) {
        depth = count ? (int)count : 1; /* no more in flight than there are requests */
    }
    int nbuf = b->write ? 1 : depth, ret = 0;
    /* Page-cache I/O is CPU work: more threads than twice the CPUs only
     * take turns at the image lock (16 of them on 2 CPUs cost 1.5-2x the
     * CPU time of 4 for 4 KiB writes, and were no faster). */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = cpus > 0 && cpus * 2 < MAX_WORKERS ? (int)cpus * 2 : MAX_WORKERS;
    threads = depth < threads ? depth : threads;
    uint8_t **bufs = calloc((size_t)nbuf, sizeof(*bufs));
    BenchReq *reqs = calloc((size_t)depth, sizeof(*reqs));
    BlockAioContext *ctx = NULL;
    struct timespec t0, t1;
    uint64_t next_flush = b->flush_every, offset;
    Error *err = NULL;

    b->free_slots = calloc((size_t)depth, sizeof(int));
    b->n_free = depth;
    for (int i = 0; b->free_slots && reqs && i < depth; i++) {
        b->free_slots[i] = i;
        reqs[i] = (BenchReq){ .b = b, .slot = i };
    }
    if (!bufs || !reqs || !b->free_slots) {
        img_error("out of memory for %d requests", depth);
        ret = -1;
    }
    for (int i = 0; i < nbuf && ret == 0; i++) {
        bufs[i] = malloc(b->size ? b->size : 1);
        if (!bufs[i]) {
            img_error("out of memory for %d buffers of %llu bytes", nbuf,
                      (unsigned long long)b->size);
            ret = -1;
        } else {
            memset(bufs[i], b->pattern, b->size);
        }
    }
    if (ret == 0 && bdrv_aio_context_new(&ctx, threads, &err) < 0) {
        img_report(err);
        ret = -1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (ret == 0) {
        /* Keep `depth` requests in flight, except while a flush is due. */
        while (b->in_flight < (uint64_t)depth && !(next_flush && b->issued >= next_flush) &&
               bench_take(b, count, &offset)) {
            BenchReq *q = &reqs[b->free_slots[--b->n_free]];
            struct iovec iov = { bufs[b->write ? 0 : q->slot], b->size };
            BlockAioRequest r = { .op = b->write ? BDRV_AIO_WRITE : BDRV_AIO_READ,
                                  .bs = b->bs, .offset = offset, .iov = &iov, .niov = 1,
                                  .cb = bench_done, .opaque = q };
            if (bdrv_aio_submit(ctx, &r, &err) < 0) {
                b->free_slots[b->n_free++] = q->slot;
                b->err = err;
                err = NULL;
                break;
            }
            b->in_flight++;
        }
        if (b->in_flight == 0) {
            if (next_flush && b->issued >= next_flush && !b->err) {
                /* All requests before the flush are done: flush, go on. */
                if (bdrv_flush(b->bs, &err) < 0) {
                    b->err = err;
                    err = NULL;
                }
                next_flush += b->flush_every;
                continue;
            }
            break;
        }
        /* Wait for completions the way an event loop would: on the fd. */
        struct pollfd pfd = { .fd = bdrv_aio_fd(ctx), .events = POLLIN };
        if (bdrv_aio_poll(ctx) == 0 && poll(&pfd, 1, 100) >= 0) {
            bdrv_aio_poll(ctx);
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    bdrv_aio_context_free(ctx);
    *seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    for (int i = 0; bufs && i < nbuf; i++) {
        free(bufs[i]);
    }
    free(bufs);
    free(reqs);
    free(b->free_slots);
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
    Bench b = { .size = 4096 };
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
