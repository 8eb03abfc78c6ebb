/*
 * test-qcow2-header.c — unit tests for qcow2 header and metadata
 * validation: hostile headers (truncated, huge sizes, tables past the end
 * or in the header, absurd cluster_bits, unknown features), bad L1/L2
 * pointers found at run time, and backing chain loops.
 *
 * The one thing to know: each test creates a fresh image with
 * bdrv_create() in a temporary directory, damages bytes with poke(), and
 * expects a clean error whose message names the problem — never a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "block/qcow2.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
    strcpy(dir, "/tmp/test-qcow2-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/a.qcow2", dir);
    return 0;
}

static int teardown(void **state)
{
    char cmd[160];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void make_image(const char *file, uint64_t size, const char *backing)
{
    BlockCreateOptions o = { .size = size, .cluster_size = 65536 };
    Error *err = NULL;

    o.backing_file = backing;
    o.backing_fmt = backing ? "qcow2" : NULL;
    assert_int_equal(bdrv_create("qcow2", file, &o, &err), 0);
}

static void poke(const char *file, uint64_t off, const void *data, size_t len)
{
    int fd = open(file, O_WRONLY);

    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, data, len, (off_t)off), (ssize_t)len);
    close(fd);
}

static void poke32(const char *file, uint64_t off, uint32_t v)
{
    uint8_t b[4];

    qcow2_put_be32(b, v);
    poke(file, off, b, 4);
}

static void poke64(const char *file, uint64_t off, uint64_t v)
{
    uint8_t b[8];

    qcow2_put_be64(b, v);
    poke(file, off, b, 8);
}

/* Opens `file` and expects failure with `code` and `needle` in the message. */
static void expect_open_error(const char *file, int flags, int code, const char *needle)
{
    BlockDriverState *bs = NULL;
    Error *err = NULL;
    int ret = bdrv_open(&bs, file, "qcow2", flags, &err);

    assert_int_equal(ret, code);
    assert_null(bs);
    assert_non_null(err);
    if (!strstr(err->msg, needle)) {
        fail_msg("message '%s' lacks '%s'", err->msg, needle);
    }
    assert_non_null(strstr(err->msg, file)); /* names the file */
    error_free(err);
}

static void test_valid_image(void **state)
{
    BlockDriverState *bs;
    Error *err = NULL;
    Qcow2State *s;

    make_image(path, 1 << 30, NULL);
    assert_int_equal(bdrv_open(&bs, path, NULL, 0, &err), 0);
    assert_string_equal(bs->drv->format_name, "qcow2");
    s = bs->opaque;
    assert_int_equal(s->version, 3);
    assert_int_equal(s->cluster_bits, 16);
    assert_int_equal(bs->total_size, 1 << 30);
    assert_true(s->l1_size >= 2);
    assert_int_equal(s->refcount_bits, 16);
    assert_int_equal(bdrv_close(bs, &err), 0);
}

static void test_truncated(void **state)
{
    make_image(path, 1 << 20, NULL);
    assert_int_equal(truncate(path, 50), 0);
    expect_open_error(path, 0, -EINVAL, "too small");
    make_image(path, 1 << 20, NULL);
    assert_int_equal(truncate(path, 70000), 0); /* cuts the refcount table */
    expect_open_error(path, 0, -EINVAL, "past the end of the file");
}

static void test_bad_magic_version(void **state)
{
    make_image(path, 1 << 20, NULL);
    poke32(path, 0, 0x12345678);
    expect_open_error(path, 0, -EINVAL, "not in qcow2 format");
    make_image(path, 1 << 20, NULL);
    poke32(path, 4, 4);
    expect_open_error(path, 0, -ENOTSUP, "Unsupported qcow2 version 4");
}

static void test_cluster_bits(void **state)
{
    make_image(path, 1 << 20, NULL);
    poke32(path, 20, 31);
    expect_open_error(path, 0, -EINVAL, "Unsupported cluster size: 2^31");
    poke32(path, 20, 8);
    expect_open_error(path, 0, -EINVAL, "Unsupported cluster size: 2^8");
    poke32(path, 20, 0xffffffff);
    expect_open_error(path, 0, -EINVAL, "Unsupported cluster size");
}

static void test_huge_size(void **state)
{
    make_image(path, 1 << 20, NULL);
    poke64(path, 24, 1ULL << 62);
    expect_open_error(path, 0, -EFBIG, "too big");
    poke64(path, 24, UINT64_MAX);
    expect_open_error(path, 0, -EFBIG, "too big");
    poke64(path, 24, 1ULL << 44); /* valid size, but the L1 table is too small */
    expect_open_error(path, 0, -EINVAL, "L1 table has");
}

static void test_l1_bad(void **state)
{
    make_image(path, 1 << 20, NULL);
    poke64(path, 40, 0);
    expect_open_error(path, 0, -EINVAL, "L1 table offset 0 points into the header");
    poke64(path, 40, 1ULL << 40);
    expect_open_error(path, 0, -EINVAL, "past the end of the file");
    poke64(path, 40, 65536 + 8);
    expect_open_error(path, 0, -EINVAL, "not cluster aligned");
    make_image(path, 1 << 20, NULL);
    poke32(path, 36, 0xffffffff);
    expect_open_error(path, 0, -EFBIG, "Active L1 table too large");
}

static void test_refcount_table_bad(void **state)
{
    make_image(path, 1 << 20, NULL);
    poke64(path, 48, 0);
    expect_open_error(path, 0, -EINVAL, "refcount table offset 0 points into the header");
    poke64(path, 48, 123);
    expect_open_error(path, 0, -EINVAL, "not cluster aligned");
    poke64(path, 48, 1ULL << 50);
    expect_open_error(path, 0, -EINVAL, "past the end");
    make_image(path, 1 << 20, NULL);
    poke32(path, 56, 0x7fffffff);
    expect_open_error(path, 0, -EINVAL, "refcount table size");
    make_image(path, 1 << 20, NULL);
    poke32(path, 96, 7);
    expect_open_error(path, 0, -EINVAL, "may not exceed 64 bits");
}

static void test_features(void **state)
{
    make_image(path, 1 << 20, NULL);
    poke64(path, 72, 1ULL << 20);
    expect_open_error(path, 0, -ENOTSUP, "Unsupported qcow2 feature(s): Unknown incompatible "
                                         "feature: 20");
    poke64(path, 72, QCOW2_INCOMPAT_EXTL2); /* supported, but not with 4 KiB clusters */
    poke32(path, 20, 12);
    expect_open_error(path, 0, -EINVAL, "Extended L2 entries need a cluster size");
    poke32(path, 20, 16);
    poke64(path, 72, QCOW2_INCOMPAT_CORRUPT);
    expect_open_error(path, BDRV_O_RDWR, -EACCES, "Image is corrupt");
    poke32(path, 32, 1);
    expect_open_error(path, 0, -ENOTSUP, "encrypted");
}

static void test_backing_name_and_extensions(void **state)
{
    char base[160];

    snprintf(base, sizeof(base), "%s/base.qcow2", dir);
    make_image(base, 1 << 20, NULL);
    make_image(path, 1 << 20, "base.qcow2");
    poke32(path, 16, 2000);
    expect_open_error(path, 0, -EINVAL, "backing file name length");
    poke32(path, 16, 10);
    poke64(path, 8, 65530);
    expect_open_error(path, 0, -EINVAL, "outside the header cluster");
    make_image(path, 1 << 20, NULL);
    poke32(path, 112, 0x12345678);
    poke32(path, 116, 0x7ffffff0);
    expect_open_error(path, 0, -EINVAL, "overflows the header area");
}

static void test_backing_loop(void **state)
{
    char b[160];
    BlockDriverState *bs = NULL;
    Error *err = NULL;

    snprintf(b, sizeof(b), "%s/b.qcow2", dir);
    make_image(b, 1 << 20, "a.qcow2");  /* b → a (not there yet: -u style) */
    make_image(path, 1 << 20, "b.qcow2"); /* a → b → a */
    assert_int_equal(bdrv_open(&bs, path, NULL, 0, &err), -ELOOP);
    assert_non_null(strstr(err->msg, "makes the backing chain a loop"));
    error_free(err);
    err = NULL;
    make_image(path, 1 << 20, "a.qcow2"); /* a → a */
    assert_int_equal(bdrv_open(&bs, path, NULL, 0, &err), -ELOOP);
    error_free(err);
    err = NULL;
    /* Without the chain the image itself opens fine. */
    assert_int_equal(bdrv_open(&bs, path, NULL, BDRV_O_NO_BACKING, &err), 0);
    assert_string_equal(bs->backing_file, "a.qcow2");
    bdrv_close(bs, NULL);
}

/* An L1 entry pointing at garbage: reads fail cleanly, a writable image is
 * marked corrupt and then refuses to open read/write. */
static void test_bad_l2_pointer(void **state)
{
    static const uint64_t bad[] = { 1ULL << 40, 65536 + 512, 0x200, 65536 };
    const char *what[] = { "past the end of the file", "not cluster aligned",
                           "not cluster aligned", "overlaps the refcount table" };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        BlockDriverState *bs;
        Error *err = NULL;
        uint8_t buf[512];
        uint64_t l1_off;

        make_image(path, 1 << 20, NULL);
        assert_int_equal(bdrv_open(&bs, path, NULL, 0, &err), 0);
        l1_off = ((Qcow2State *)bs->opaque)->l1_offset;
        bdrv_close(bs, NULL);
        poke64(path, l1_off, bad[i] | QCOW2_OFLAG_COPIED);

        assert_int_equal(bdrv_open(&bs, path, NULL, 0, &err), 0);
        assert_int_equal(bdrv_pread(bs, 0, buf, sizeof(buf), &err), -EIO);
        if (!strstr(err->msg, what[i])) {
            fail_msg("case %zu: '%s' lacks '%s'", i, err->msg, what[i]);
        }
        error_free(err);
        err = NULL;
        bdrv_close(bs, NULL);

        assert_int_equal(bdrv_open(&bs, path, NULL, BDRV_O_RDWR, &err), 0);
        assert_int_equal(bdrv_pwrite(bs, 0, buf, sizeof(buf), &err), -EIO);
        assert_non_null(strstr(err->msg, "Marking image as corrupt"));
        error_free(err);
        err = NULL;
        bdrv_close(bs, NULL);
        expect_open_error(path, BDRV_O_RDWR, -EACCES, "Image is corrupt");
    }
}

/* An L2 entry pointing into the header or past the end of the file. */
static void test_bad_data_pointer(void **state)
{
    BlockDriverState *bs;
    Error *err = NULL;
    uint8_t buf[4096];
    uint64_t l2_off;

    make_image(path, 1 << 20, NULL);
    assert_int_equal(bdrv_open(&bs, path, NULL, BDRV_O_RDWR, &err), 0);
    memset(buf, 0x5a, sizeof(buf));
    assert_int_equal(bdrv_pwrite(bs, 0, buf, sizeof(buf), &err), 0);
    l2_off = ((Qcow2State *)bs->opaque)->l1[0] & QCOW2_OFFSET_MASK;
    bdrv_close(bs, NULL);

    poke64(path, l2_off, 0 | QCOW2_OFLAG_COPIED); /* zero offset: unallocated */
    poke64(path, l2_off, 512 | QCOW2_OFLAG_COPIED);
    assert_int_equal(bdrv_open(&bs, path, NULL, 0, &err), 0);
    assert_int_equal(bdrv_pread(bs, 0, buf, 512, &err), -EIO);
    assert_non_null(strstr(err->msg, "data cluster"));
    error_free(err);
    err = NULL;
    bdrv_close(bs, NULL);

    poke64(path, l2_off, (1ULL << 45) | QCOW2_OFLAG_COPIED);
    assert_int_equal(bdrv_open(&bs, path, NULL, 0, &err), 0);
    assert_int_equal(bdrv_pread(bs, 0, buf, 512, &err), -EIO);
    assert_non_null(strstr(err->msg, "past the end"));
    error_free(err);
    err = NULL;
    bdrv_close(bs, NULL);

    /* A compressed entry pointing past the end. */
    poke64(path, l2_off, QCOW2_OFLAG_COMPRESSED | (1ULL << 40));
    assert_int_equal(bdrv_open(&bs, path, NULL, 0, &err), 0);
    assert_int_equal(bdrv_pread(bs, 0, buf, 512, &err), -EIO);
    assert_non_null(strstr(err->msg, "compressed cluster"));
    error_free(err);
    bdrv_close(bs, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_valid_image, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_magic_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cluster_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_huge_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_l1_bad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refcount_table_bad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_features, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backing_name_and_extensions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backing_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_l2_pointer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_data_pointer, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
