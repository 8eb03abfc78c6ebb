/*
 * test-qcow2-io.c — unit tests for qcow2 data and refcount handling:
 * unaligned writes, copy-on-write from a backing file, discard, growth of
 * the refcount table and L1 table, leak detection and repair, the dirty
 * bit, write ordering after a simulated crash, internal snapshots (also
 * across a crash) and extended L2 entries (subclusters).
 *
 * The one thing to know: every test ends with bdrv_check() on the image,
 * so each operation is also checked for leaks and refcount errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "block/qcow2.h"

static char dir[64];
static char path[128];
static char base[128];

static int setup(void **state)
{
    strcpy(dir, "/tmp/test-qcow2-io-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/top.qcow2", dir);
    snprintf(base, sizeof(base), "%s/base.qcow2", dir);
    return 0;
}

static int teardown(void **state)
{
    char cmd[160];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void make_image(const char *file, uint64_t size, uint64_t cluster_size, int version,
                       const char *backing)
{
    BlockCreateOptions o = { .size = size, .cluster_size = cluster_size,
                             .qcow2_version = version };
    Error *err = NULL;

    o.backing_file = backing;
    o.backing_fmt = backing ? "qcow2" : NULL;
    assert_int_equal(bdrv_create("qcow2", file, &o, &err), 0);
}

static BlockDriverState *open_rw(const char *file)
{
    BlockDriverState *bs;
    Error *err = NULL;

    assert_int_equal(bdrv_open(&bs, file, NULL, BDRV_O_RDWR, &err), 0);
    return bs;
}

static void fill(BlockDriverState *bs, uint64_t off, size_t len, int pattern)
{
    uint8_t *buf = malloc(len);
    Error *err = NULL;

    memset(buf, pattern, len);
    assert_int_equal(bdrv_pwrite(bs, off, buf, len, &err), 0);
    free(buf);
}

static void expect(BlockDriverState *bs, uint64_t off, size_t len, int pattern)
{
    uint8_t *buf = malloc(len);
    Error *err = NULL;

    assert_int_equal(bdrv_pread(bs, off, buf, len, &err), 0);
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != pattern) {
            fail_msg("offset %llu: %#x, expected %#x", (unsigned long long)(off + i), buf[i],
                     pattern);
        }
    }
    free(buf);
}

static BlockCheckResult check(const char *file)
{
    BlockDriverState *bs;
    BlockCheckResult r;
    Error *err = NULL;

    assert_int_equal(bdrv_open(&bs, file, "qcow2", BDRV_O_NO_BACKING | BDRV_O_CHECK, &err), 0);
    assert_int_equal(bdrv_check(bs, &r, 0, &err), 0);
    bdrv_close(bs, NULL);
    return r;
}

static void assert_clean(const char *file)
{
    BlockCheckResult r = check(file);

    assert_int_equal(r.corruptions, 0);
    assert_int_equal(r.leaks, 0);
    assert_int_equal(r.check_errors, 0);
}

static void test_unaligned_rw(void **state)
{
    for (int version = 2; version <= 3; version++) {
        BlockDriverState *bs;

        make_image(path, 1 << 20, 512, version, NULL);
        bs = open_rw(path);
        expect(bs, 0, 1 << 20, 0);
        fill(bs, 100, 1000, 0x11);      /* spans three 512-byte clusters */
        fill(bs, 700, 10, 0x22);        /* inside an allocated cluster */
        fill(bs, (1 << 20) - 3, 3, 0x33); /* the very end */
        bdrv_close(bs, NULL);
        bs = open_rw(path);
        expect(bs, 0, 100, 0);
        expect(bs, 100, 600, 0x11);
        expect(bs, 700, 10, 0x22);
        expect(bs, 710, 390, 0x11);
        expect(bs, 1100, 1000, 0);
        expect(bs, (1 << 20) - 3, 3, 0x33);
        bdrv_close(bs, NULL);
        assert_clean(path);
    }
}

static void test_out_of_range(void **state)
{
    BlockDriverState *bs;
    Error *err = NULL;
    uint8_t buf[16];

    make_image(path, 4096, 0, 3, NULL);
    bs = open_rw(path);
    assert_int_equal(bdrv_pwrite(bs, 4090, buf, 16, &err), -EINVAL);
    assert_non_null(strstr(err->msg, "past the end of the image"));
    error_free(err);
    err = NULL;
    assert_int_equal(bdrv_pread(bs, UINT64_MAX - 4, buf, 16, &err), -EINVAL);
    error_free(err);
    bdrv_close(bs, NULL);
}

static void test_backing_cow(void **state)
{
    BlockDriverState *bs;

    make_image(base, 1 << 20, 4096, 3, NULL);
    bs = open_rw(base);
    fill(bs, 0, 1 << 20, 0xaa);
    bdrv_close(bs, NULL);
    make_image(path, 2 << 20, 65536, 3, "base.qcow2"); /* larger than its base */
    bs = open_rw(path);
    assert_non_null(bs->backing);
    fill(bs, 1000, 10, 0xbb);
    expect(bs, 0, 1000, 0xaa); /* rest of the cluster copied from the base */
    expect(bs, 1000, 10, 0xbb);
    expect(bs, 1010, (1 << 20) - 1010, 0xaa);
    expect(bs, 1 << 20, 1 << 20, 0); /* past the base: zeros */
    fill(bs, (1 << 20) - 5, 10, 0xcc); /* straddles the end of the base */
    expect(bs, (1 << 20) - 5, 10, 0xcc);
    expect(bs, (1 << 20) + 5, 65536 - 5, 0);
    bdrv_close(bs, NULL);
    assert_clean(path);
    assert_clean(base);
    /* The base is untouched. */
    assert_int_equal(bdrv_open(&bs, base, NULL, 0, NULL), 0);
    expect(bs, 0, 1 << 20, 0xaa);
    bdrv_close(bs, NULL);
}

static void test_discard(void **state)
{
    BlockDriverState *bs;
    Error *err = NULL;

    make_image(base, 1 << 20, 65536, 3, NULL);
    bs = open_rw(base);
    fill(bs, 0, 1 << 20, 0xaa);
    bdrv_close(bs, NULL);
    make_image(path, 1 << 20, 65536, 3, "base.qcow2");
    bs = open_rw(path);
    fill(bs, 0, 256 << 10, 0xbb);
    assert_int_equal(bdrv_discard(bs, 65536, 65536 * 2, &err), 0);
    expect(bs, 0, 65536, 0xbb);
    expect(bs, 65536, 65536 * 2, 0); /* zero clusters hide the base */
    expect(bs, 65536 * 3, 65536, 0xbb);
    assert_int_equal(bdrv_discard(bs, 65536 * 5, 65536, &err), 0); /* unallocated */
    expect(bs, 65536 * 5, 65536, 0);
    fill(bs, 65536 + 10, 10, 0xcc); /* write into a zero cluster */
    expect(bs, 65536, 10, 0);
    expect(bs, 65536 + 10, 10, 0xcc);
    expect(bs, 65536 + 20, 65536 - 20, 0);
    bdrv_close(bs, NULL);
    assert_clean(path);

    /* Without a backing file the clusters become unallocated and free. */
    make_image(path, 1 << 20, 65536, 3, NULL);
    bs = open_rw(path);
    fill(bs, 0, 1 << 20, 0xbb);
    assert_int_equal(bdrv_discard(bs, 0, 1 << 20, &err), 0);
    expect(bs, 0, 1 << 20, 0);
    fill(bs, 0, 65536, 0xdd); /* reuses a freed cluster */
    Qcow2State *s = bs->opaque;
    assert_true(s->end_cluster <= 4 + 16 + 1);
    bdrv_close(bs, NULL);
    BlockCheckResult r = check(path);
    assert_int_equal(r.corruptions + r.leaks, 0);
    assert_int_equal(r.allocated_clusters, 1);
}

static void test_refcount_table_growth(void **state)
{
    BlockDriverState *bs;
    Qcow2State *s;
    uint32_t rt_clusters;

    /* 512-byte clusters: one refcount block covers 128 KiB, the first
     * refcount table 8 MiB; writing 10 MiB must grow it. */
    make_image(path, 16 << 20, 512, 3, NULL);
    bs = open_rw(path);
    s = bs->opaque;
    rt_clusters = s->rt_clusters;
    for (int i = 0; i < 10; i++) {
        fill(bs, (uint64_t)i << 20, 1 << 20, i + 1);
    }
    assert_true(s->rt_clusters > rt_clusters);
    bdrv_close(bs, NULL);
    bs = open_rw(path);
    for (int i = 0; i < 10; i++) {
        expect(bs, (uint64_t)i << 20, 1 << 20, i + 1);
    }
    bdrv_close(bs, NULL);
    assert_clean(path);
}

static void test_grow(void **state)
{
    BlockDriverState *bs;
    Error *err = NULL;

    make_image(path, 1 << 20, 512, 3, NULL);
    bs = open_rw(path);
    fill(bs, 0, 4096, 0x44);
    assert_int_equal(bdrv_truncate(bs, 64 << 20, &err), 0); /* L1 grows */
    assert_int_equal(bdrv_truncate(bs, 1 << 20, &err), -ENOTSUP);
    error_free(err);
    fill(bs, (64 << 20) - 4096, 4096, 0x55);
    bdrv_close(bs, NULL);
    bs = open_rw(path);
    assert_int_equal(bs->total_size, 64 << 20);
    expect(bs, 0, 4096, 0x44);
    expect(bs, 4096, (1 << 20) - 4096, 0);
    expect(bs, (64 << 20) - 4096, 4096, 0x55);
    bdrv_close(bs, NULL);
    assert_clean(path);
}

static void test_leak_repair(void **state)
{
    BlockDriverState *bs;
    BlockCheckResult r;
    Error *err = NULL;
    uint64_t off;

    make_image(path, 1 << 20, 65536, 3, NULL);
    bs = open_rw(path);
    fill(bs, 0, 65536, 1);
    assert_int_equal(qcow2_alloc_clusters(bs->opaque, 2, &off, &err), 0); /* leak 2 */
    bdrv_close(bs, NULL);
    r = check(path);
    assert_int_equal(r.leaks, 2);
    assert_int_equal(r.corruptions, 0);

    assert_int_equal(bdrv_open(&bs, path, NULL, BDRV_O_RDWR | BDRV_O_CHECK, &err), 0);
    assert_int_equal(bdrv_check(bs, &r, BDRV_FIX_LEAKS, &err), 0);
    assert_int_equal(r.leaks_fixed, 2);
    bdrv_close(bs, NULL);
    assert_clean(path);
}

static uint64_t read_incompat(const char *file)
{
    uint8_t b[8];
    int fd = open(file, O_RDONLY);

    assert_int_equal(pread(fd, b, 8, 72), 8);
    close(fd);
    return qcow2_be64(b);
}

static void test_dirty_bit(void **state)
{
    BlockDriverState *bs;
    Error *err = NULL;

    make_image(path, 1 << 20, 65536, 3, NULL);
    bs = open_rw(path);
    assert_int_equal(read_incompat(path) & QCOW2_INCOMPAT_DIRTY, 0);
    fill(bs, 0, 512, 1);
    assert_int_equal(read_incompat(path) & QCOW2_INCOMPAT_DIRTY, QCOW2_INCOMPAT_DIRTY);
    assert_int_equal(bdrv_flush(bs, &err), 0);
    assert_int_equal(read_incompat(path) & QCOW2_INCOMPAT_DIRTY, 0);
    bdrv_close(bs, NULL);
}

/* A child writes through many L2 tables (forcing barriers on eviction) and
 * dies without flushing; the image may leak but must not be corrupt, and
 * opening it read/write repairs the leaks and clears the dirty bit. */
static void test_crash(void **state)
{
    BlockDriverState *bs;
    BlockCheckResult r;
    int status;
    pid_t pid;

    make_image(path, 64 << 20, 512, 3, NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        bs = open_rw(path);
        for (int i = 0; i < 400; i++) {
            fill(bs, (uint64_t)i * 97 * 1024 + (uint64_t)i, 3000, i % 250 + 1);
            if (i == 200) {
                bdrv_flush(bs, NULL);
            }
        }
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    r = check(path);
    assert_int_equal(r.corruptions, 0);
    assert_int_equal(read_incompat(path) & QCOW2_INCOMPAT_DIRTY, QCOW2_INCOMPAT_DIRTY);
    bs = open_rw(path); /* repairs */
    for (int i = 0; i <= 200; i++) { /* flushed data survived */
        expect(bs, (uint64_t)i * 97 * 1024 + (uint64_t)i, 3000, i % 250 + 1);
    }
    bdrv_close(bs, NULL);
    assert_int_equal(read_incompat(path) & QCOW2_INCOMPAT_DIRTY, 0);
    assert_clean(path);
}

/* Snapshot create/apply/delete with dirty cached tables, and the active
 * image copying shared clusters on write. */
static void test_snapshots(void **state)
{
    BlockDriverState *bs;
    Error *err = NULL;

    make_image(path, 4 << 20, 4096, 3, NULL);
    bs = open_rw(path);
    fill(bs, 0, 1 << 20, 1);
    assert_int_equal(bdrv_snapshot_create(bs, "a", &err), 0); /* L2 tables still dirty */
    fill(bs, 1000, 5000, 2);
    fill(bs, 3 << 20, 4096, 3);
    assert_int_equal(bdrv_snapshot_create(bs, "b", &err), 0);
    assert_int_equal(bdrv_discard(bs, 0, 64 << 10, &err), 0);
    expect(bs, 0, 64 << 10, 0);
    assert_int_equal(bdrv_snapshot_apply(bs, "a", &err), 0);
    expect(bs, 0, 1 << 20, 1);
    expect(bs, 3 << 20, 4096, 0);
    assert_int_equal(bdrv_snapshot_apply(bs, "2", &err), 0); /* by id */
    expect(bs, 0, 1000, 1);
    expect(bs, 1000, 5000, 2);
    expect(bs, 3 << 20, 4096, 3);
    assert_int_equal(bdrv_snapshot_apply(bs, "none", &err), -ENOENT);
    error_free(err);
    err = NULL;
    assert_int_equal(bdrv_snapshot_delete(bs, "a", &err), 0);
    fill(bs, 0, 4096, 4);
    bdrv_close(bs, NULL);
    assert_clean(path);
    bs = open_rw(path);
    assert_int_equal(bdrv_snapshot_delete(bs, "b", &err), 0);
    expect(bs, 0, 4096, 4);
    expect(bs, 1000 + 4096 - 1000, 6000 - 4096, 2);
    bdrv_close(bs, NULL);
    assert_clean(path);
}

/* A child takes a snapshot, writes over it and dies without flushing:
 * leaks at worst, and the snapshot's data is intact. */
static void test_snapshot_crash(void **state)
{
    BlockDriverState *bs;
    BlockCheckResult r;
    Error *err = NULL;
    int status;
    pid_t pid;

    make_image(path, 16 << 20, 512, 3, NULL);
    bs = open_rw(path);
    fill(bs, 0, 2 << 20, 5);
    bdrv_close(bs, NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        bs = open_rw(path);
        if (bdrv_snapshot_create(bs, "s", NULL) < 0) {
            _exit(1);
        }
        for (int i = 0; i < 300; i++) {
            fill(bs, (uint64_t)i * 7001, 3000, i % 250 + 1);
        }
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(WEXITSTATUS(status), 0);
    r = check(path);
    assert_int_equal(r.corruptions, 0);
    bs = open_rw(path); /* repairs leaks */
    assert_int_equal(bdrv_snapshot_apply(bs, "s", &err), 0);
    expect(bs, 0, 2 << 20, 5);
    bdrv_close(bs, NULL);
    assert_clean(path);
}

/* Extended L2: a write allocates only the subclusters it touches; the
 * rest still reads from the backing file. */
static void test_subclusters(void **state)
{
    BlockCreateOptions o = { .size = 1 << 20, .cluster_size = 65536, .extended_l2 = true,
                             .backing_file = "base.qcow2", .backing_fmt = "qcow2" };
    BlockDriverState *bs;
    Error *err = NULL;
    uint64_t n = 65536;

    make_image(base, 1 << 20, 65536, 3, NULL);
    bs = open_rw(base);
    fill(bs, 0, 1 << 20, 7);
    bdrv_close(bs, NULL);
    assert_int_equal(bdrv_create("qcow2", path, &o, &err), 0);
    bs = open_rw(path);
    fill(bs, 5000, 1000, 8); /* inside subcluster 2 (4096..6143) */
    assert_int_equal(bdrv_block_status(bs, 0, &n, &err), 0);
    assert_int_equal(n, 4096);
    n = 65536;
    assert_int_equal(bdrv_block_status(bs, 4096, &n, &err),
                     BDRV_STATUS_DATA | BDRV_STATUS_ALLOCATED);
    assert_int_equal(n, 2048);
    expect(bs, 0, 5000, 7);
    expect(bs, 5000, 1000, 8);
    expect(bs, 6000, 65536 - 6000, 7);
    assert_int_equal(bdrv_discard(bs, 0, 65536, &err), 0);
    n = 65536;
    assert_int_equal(bdrv_block_status(bs, 0, &n, &err),
                     BDRV_STATUS_ZERO | BDRV_STATUS_ALLOCATED);
    assert_int_equal(n, 65536);
    fill(bs, 100, 10, 9);
    expect(bs, 0, 100, 0);
    expect(bs, 100, 10, 9);
    expect(bs, 110, 65536 - 110, 0);
    bdrv_close(bs, NULL);
    assert_clean(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_unaligned_rw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backing_cow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_discard, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refcount_table_growth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leak_repair, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dirty_bit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subclusters, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
