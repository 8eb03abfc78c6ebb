/*
 * test-aio-pool.c — asynchronous requests (block/aio-pool.c) with many in
 * flight on raw and qcow2 images (plain, over a backing file, extended L2,
 * small clusters): random reads, writes with several buffers, discards and
 * flushes, checked against an in-memory model, then by bdrv_check and, when
 * Debian's qemu-img is installed, by `qemu-img compare` and `qemu-img check`.
 *
 * The one thing to know: requests in flight are unordered, so each round
 * submits writes to ranges that do not overlap each other (but do share
 * clusters, L2 tables and refcount blocks), drains, and only then updates
 * the model; reads of any range run concurrently with each round's writes
 * only where those writes do not touch them.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mimic/block.h"

#define IMG_SIZE (48ULL << 20)
#define ROUNDS 12
#define PER_ROUND 96

static char dir[64];

static int setup(void **state)
{
    /* tmpfs when there is one: barriers sync, and a disk makes that slow. */
    strcpy(dir, access("/dev/shm", W_OK) == 0 ? "/dev/shm/test-aio-pool-XXXXXX"
                                              : "/tmp/test-aio-pool-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    char cmd[160];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

typedef struct Done {
    int completed;
    int failed;
} Done;

static void on_done(void *opaque, int ret, Error *err)
{
    Done *d = opaque;

    if (ret < 0) {
        fprintf(stderr, "request failed: %s\n", err ? err->msg : "?");
        d->failed++;
    }
    error_free(err);
    d->completed++;
}

typedef struct Range {
    uint64_t off, len;
} Range;

/* A random range that overlaps none of used[0..n). */
static bool pick_range(Range *used, int n, uint64_t max_len, Range *out)
{
    for (int tries = 0; tries < 50; tries++) {
        uint64_t len = 1 + rnd() % max_len, off;
        if (rnd() % 3 == 0) {
            len = (len + 511) & ~511ULL; /* often sector-sized */
        }
        if (rnd() % 4 == 0) {
            len = ((len >> 16) + 1) << 16; /* whole clusters */
        }
        if (len > IMG_SIZE) {
            len = IMG_SIZE;
        }
        off = rnd() % (IMG_SIZE - len + 1);
        if (rnd() % 2) {
            off &= ~65535ULL;
        }
        bool clash = false;
        for (int i = 0; i < n && !clash; i++) {
            clash = off < used[i].off + used[i].len && used[i].off < off + len;
        }
        if (!clash) {
            out->off = off;
            out->len = len;
            return true;
        }
    }
    return false;
}

/* Random rounds of concurrent requests on bs, checked against model
 * (IMG_SIZE bytes, the image's current content). */
static void exercise(BlockDriverState *bs, uint8_t *model, uint64_t discard_unit, int threads)
{
    BlockAioContext *ctx;
    Error *err = NULL;
    Range used[PER_ROUND];
    uint8_t *bufs[PER_ROUND];
    struct iovec iov[PER_ROUND][3];
    int kind[PER_ROUND];
    Done d = { 0 };

    assert_int_equal(bdrv_aio_context_new(&ctx, threads, &err), 0);
    for (int round = 0; round < ROUNDS; round++) {
        int n = 0, submitted = 0;
        d = (Done){ 0 };
        for (; n < PER_ROUND; n++) {
            if (!pick_range(used, n, n % 8 == 0 ? (3 << 20) : 150000, &used[n])) {
                break;
            }
            /* 0 write, 1 read, 2 discard (only whole clusters discard:
             * the rest of a partial range keeps its data). */
            kind[n] = rnd() % 10 < 5 ? 0 : (discard_unit && rnd() % 10 == 0 ? 2 : 1);
            bufs[n] = malloc(used[n].len);
            assert_non_null(bufs[n]);
            if (kind[n] == 0) {
                for (uint64_t i = 0; i < used[n].len; i += 256) {
                    memset(bufs[n] + i, (int)(rnd() & 0xff),
                           used[n].len - i < 256 ? used[n].len - i : 256);
                }
            }
            /* Up to three buffers per request. */
            uint64_t a = used[n].len / 3, b = used[n].len / 2;
            int niov = used[n].len >= 3 && rnd() % 2 ? 3 : 1;
            if (niov == 3) {
                iov[n][0] = (struct iovec){ bufs[n], a };
                iov[n][1] = (struct iovec){ bufs[n] + a, b - a };
                iov[n][2] = (struct iovec){ bufs[n] + b, used[n].len - b };
            } else {
                iov[n][0] = (struct iovec){ bufs[n], used[n].len };
            }
            BlockAioRequest r = { .op = kind[n] == 0   ? BDRV_AIO_WRITE
                                        : kind[n] == 1 ? BDRV_AIO_READ
                                                       : BDRV_AIO_DISCARD,
                                  .bs = bs, .offset = used[n].off, .len = used[n].len,
                                  .iov = iov[n], .niov = kind[n] == 2 ? 0 : niov,
                                  .cb = on_done, .opaque = &d };
            assert_int_equal(bdrv_aio_submit(ctx, &r, &err), 0);
            submitted++;
        }
        if (round % 4 == 3) {
            BlockAioRequest f = { .op = BDRV_AIO_FLUSH, .bs = bs, .cb = on_done, .opaque = &d };
            assert_int_equal(bdrv_aio_submit(ctx, &f, &err), 0);
            submitted++;
        }
        if (round % 2) {
            /* Completion through the eventfd, as an event loop does. */
            while (d.completed < submitted) {
                struct pollfd pfd = { .fd = bdrv_aio_fd(ctx), .events = POLLIN };
                assert_true(poll(&pfd, 1, 10000) >= 0);
                bdrv_aio_poll(ctx);
            }
        } else {
            bdrv_aio_drain(ctx);
        }
        assert_int_equal(d.completed, submitted);
        assert_int_equal(d.failed, 0);
        assert_int_equal(bdrv_aio_pending(ctx), 0);
        for (int i = 0; i < n; i++) {
            if (kind[i] == 0) {
                memcpy(model + used[i].off, bufs[i], used[i].len);
            } else if (kind[i] == 1) {
                if (memcmp(model + used[i].off, bufs[i], used[i].len)) {
                    fail_msg("round %d: read at %llu (%llu bytes) differs from the model",
                             round, (unsigned long long)used[i].off,
                             (unsigned long long)used[i].len);
                }
            } else {
                /* Discarded whole clusters read as zeros (no backing data
                 * under them in these tests); partial ones keep theirs. */
                uint64_t u = discard_unit;
                uint64_t s = (used[i].off + u - 1) & ~(u - 1);
                uint64_t e = used[i].off + used[i].len == IMG_SIZE
                                 ? IMG_SIZE
                                 : (used[i].off + used[i].len) & ~(u - 1);
                if (s < e) {
                    memset(model + s, 0, e - s);
                }
            }
            free(bufs[i]);
        }
    }
    bdrv_aio_context_free(ctx);
}

static void verify_whole(BlockDriverState *bs, const uint8_t *model)
{
    uint8_t *buf = malloc(IMG_SIZE);
    Error *err = NULL;

    assert_non_null(buf);
    assert_int_equal(bdrv_pread(bs, 0, buf, IMG_SIZE, &err), 0);
    for (uint64_t i = 0; i < IMG_SIZE; i += 4096) {
        if (memcmp(buf + i, model + i, 4096)) {
            fail_msg("block at %llu differs from the model", (unsigned long long)i);
        }
    }
    free(buf);
}

static void save_model(const char *file, const uint8_t *model)
{
    FILE *f = fopen(file, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(model, 1, IMG_SIZE, f), IMG_SIZE);
    assert_int_equal(fclose(f), 0);
}

/* qemu-img agrees with the model and finds nothing wrong (if installed). */
static void qemu_agrees(const char *img, const char *fmt, const uint8_t *model)
{
    char raw[128], cmd[512];

    if (system("command -v qemu-img >/dev/null 2>&1") != 0) {
        return;
    }
    snprintf(raw, sizeof(raw), "%s/model.raw", dir);
    save_model(raw, model);
    snprintf(cmd, sizeof(cmd), "qemu-img compare -q -f raw -F %s %s %s", fmt, raw, img);
    assert_int_equal(system(cmd), 0);
    if (!strcmp(fmt, "qcow2")) {
        snprintf(cmd, sizeof(cmd), "qemu-img check -q %s", img);
        assert_int_equal(system(cmd), 0);
    }
}

static void run_qcow2(const char *name, uint64_t cluster_size, bool extended_l2,
                       bool with_backing, uint64_t seed)
{
    char img[128], base[128];
    BlockCreateOptions o = { .size = IMG_SIZE, .cluster_size = cluster_size,
                             .extended_l2 = extended_l2 };
    BlockDriverState *bs;
    BlockCheckResult res;
    Error *err = NULL;
    uint8_t *model = calloc(1, IMG_SIZE);

    assert_non_null(model);
    rng_state = seed;
    snprintf(img, sizeof(img), "%s/%s.qcow2", dir, name);
    snprintf(base, sizeof(base), "%s/%s-base.qcow2", dir, name);
    if (with_backing) {
        /* A base with data under half of the disk: writes to the overlay
         * copy the rest of their clusters from it. */
        assert_int_equal(bdrv_create("qcow2", base, &o, &err), 0);
        assert_int_equal(bdrv_open(&bs, base, "qcow2", BDRV_O_RDWR, &err), 0);
        for (uint64_t off = 0; off < IMG_SIZE / 2; off += 4096) {
            memset(model + off, (int)(off >> 12) | 1, 4096);
        }
        assert_int_equal(bdrv_pwrite(bs, 0, model, IMG_SIZE / 2, &err), 0);
        assert_int_equal(bdrv_close(bs, &err), 0);
        o.backing_file = base;
        o.backing_fmt = "qcow2";
    }
    assert_int_equal(bdrv_create("qcow2", img, &o, &err), 0);
    assert_int_equal(bdrv_open(&bs, img, "qcow2", BDRV_O_RDWR, &err), 0);
    /* Discard over a backing file leaves zeros too, so the model holds. */
    exercise(bs, model, cluster_size, 8);
    verify_whole(bs, model);
    assert_int_equal(bdrv_check(bs, &res, 0, &err), 0);
    assert_int_equal(res.corruptions, 0);
    assert_int_equal(res.leaks, 0);
    assert_int_equal(bdrv_close(bs, &err), 0);
    /* Reopened: what reached the disk is the model. */
    assert_int_equal(bdrv_open(&bs, img, "qcow2", 0, &err), 0);
    verify_whole(bs, model);
    assert_int_equal(bdrv_close(bs, &err), 0);
    qemu_agrees(img, "qcow2", model);
    free(model);
}

static void test_qcow2_plain(void **state)
{
    run_qcow2("plain", 65536, false, false, 0x1234567);
}

static void test_qcow2_small_clusters(void **state)
{
    /* 4 KiB clusters: many refcount blocks and L2 tables are created while
     * requests run; the L2 cache (16 tables) keeps evicting. */
    run_qcow2("small", 4096, false, false, 0xabcdef1);
}

static void test_qcow2_backing(void **state)
{
    run_qcow2("backing", 65536, false, true, 0x7777);
}

static void test_qcow2_extended_l2(void **state)
{
    run_qcow2("extl2", 65536, true, false, 0x99991);
}

static void test_raw(void **state)
{
    char img[128];
    BlockCreateOptions o = { .size = IMG_SIZE };
    BlockDriverState *bs;
    Error *err = NULL;
    uint8_t *model = calloc(1, IMG_SIZE);

    assert_non_null(model);
    rng_state = 0x5151;
    snprintf(img, sizeof(img), "%s/r.raw", dir);
    assert_int_equal(bdrv_create("raw", img, &o, &err), 0);
    assert_int_equal(bdrv_open(&bs, img, "raw", BDRV_O_RDWR, &err), 0);
    exercise(bs, model, 0, 4);
    verify_whole(bs, model);
    assert_int_equal(bdrv_close(bs, &err), 0);
    qemu_agrees(img, "raw", model);
    free(model);
}

static void test_errors(void **state)
{
    char img[128];
    BlockCreateOptions o = { .size = 1 << 20 };
    BlockDriverState *bs;
    BlockAioContext *ctx;
    Error *err = NULL;
    uint8_t buf[512];
    struct iovec iov = { buf, sizeof(buf) };
    Done d = { 0 };

    assert_int_not_equal(bdrv_aio_context_new(&ctx, 0, &err), 0);
    error_free(err);
    err = NULL;
    snprintf(img, sizeof(img), "%s/e.qcow2", dir);
    assert_int_equal(bdrv_create("qcow2", img, &o, &err), 0);
    assert_int_equal(bdrv_open(&bs, img, "qcow2", 0, &err), 0);
    assert_int_equal(bdrv_aio_context_new(&ctx, 2, &err), 0);
    /* Past the end, and a write to a read-only image: the callback gets
     * the error; a request without buffers is refused at submission. */
    BlockAioRequest r = { .op = BDRV_AIO_READ, .bs = bs, .offset = 1 << 20, .iov = &iov,
                          .niov = 1, .cb = on_done, .opaque = &d };
    assert_int_equal(bdrv_aio_submit(ctx, &r, &err), 0);
    r.op = BDRV_AIO_WRITE;
    r.offset = 0;
    assert_int_equal(bdrv_aio_submit(ctx, &r, &err), 0);
    r.niov = 0;
    assert_int_not_equal(bdrv_aio_submit(ctx, &r, &err), 0);
    error_free(err);
    bdrv_aio_drain(ctx);
    assert_int_equal(d.completed, 2);
    assert_int_equal(d.failed, 2);
    bdrv_aio_context_free(ctx);
    assert_int_equal(bdrv_close(bs, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qcow2_plain),
        cmocka_unit_test(test_qcow2_small_clusters),
        cmocka_unit_test(test_qcow2_backing),
        cmocka_unit_test(test_qcow2_extended_l2),
        cmocka_unit_test(test_raw),
        cmocka_unit_test(test_errors),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
