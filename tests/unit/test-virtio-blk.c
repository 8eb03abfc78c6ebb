/*
 * test-virtio-blk.c — virtio-blk over the virtio-mmio transport, driven by
 * a small driver written here that talks to the registers through the
 * address space and builds its rings in guest RAM: feature negotiation,
 * writes and reads (direct and indirect chains) checked against the image
 * file, request errors (past the end, unaligned, unknown type), get-id,
 * flush, discard and write-zeroes, event-index interrupt suppression, and
 * hostile rings (bad head, buffers outside RAM, loops, nested indirect,
 * too many pending) which must put the device in DEVICE_NEEDS_RESET, plus
 * a random-ring fuzz that must never crash (run it under ASan).
 *
 * The one thing to know: the driver is the shared one of
 * virtio-test-driver.h (queue 0); every test starts from a fresh image and
 * a freshly set up queue.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hw/virtio/virtio-blk.h"
#include "virtio-test-driver.h"

/* Queue 0 of the shared driver (virtio-test-driver.h); request buffers in
 * its data area. */
#define DESC TV_DESC(0)
#define AVAIL TV_AVAIL(0)
#define USED TV_USED(0)
#define INDIRECT TV_INDIRECT(0)
#define HDR TV_DATA
#define STATUS (TV_DATA + 0x1000)
#define DATA (TV_DATA + 0x10000)
#define DISK_SECTORS 64


static VirtIOBlock blk;
static BlockDriverState *bs;
static char image[64];

/* Negotiates features and sets up queue 0. */
static void driver_init(uint64_t features)
{
    tv_init(VIRTIO_ID_BLOCK, features, 1);
}

/* Publishes head and notifies; returns the used length, or -1 if nothing came back. */
static long submit(uint16_t head)
{
    uint16_t before = tv_used_idx(0);
    tv_publish(0, head);
    tv_notify(0);
    if (tv_used_idx(0) == before) {
        return -1;
    }
    uint32_t id, len = tv_used_len(0, before, &id);
    assert_int_equal(id, head);
    return len;
}

static void put_header(uint32_t type, uint64_t sector)
{
    uint8_t *h = tv_ram(HDR);
    memset(h, 0, 16);
    memcpy(h, &type, 4);
    memcpy(h + 8, &sector, 8);
}

/* A request as a direct chain: header, one data buffer, status. */
static long request(uint32_t type, uint64_t sector, uint32_t len, bool data_in)
{
    put_header(type, sector);
    *(uint8_t *)tv_ram(STATUS) = 0xff;
    tv_set_desc(DESC, 0, HDR, 16, TV_F_NEXT, 1);
    if (len) {
        tv_set_desc(DESC, 1, DATA, len, TV_F_NEXT | (data_in ? TV_F_WRITE : 0), 2);
        tv_set_desc(DESC, 2, STATUS, 1, TV_F_WRITE, 0);
    } else {
        tv_set_desc(DESC, 1, STATUS, 1, TV_F_WRITE, 0);
    }
    return submit(0);
}

static uint8_t status_byte(void)
{
    return *(uint8_t *)tv_ram(STATUS);
}

static int setup(void **state)
{
    snprintf(image, sizeof(image), "/tmp/mimic-vblk-XXXXXX");
    int fd = mkstemp(image);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, DISK_SECTORS * 512), 0);
    close(fd);
    assert_int_equal(bdrv_open(&bs, image, "raw", BDRV_O_RDWR, NULL), 0);
    assert_int_equal(virtio_blk_init(&blk, bs, false, &tv_as), 0);
    tv_setup(&blk.vdev);
    tv_connect_irq(&blk.vdev);
    return 0;
}

static int teardown(void **state)
{
    virtio_blk_destroy(&blk);
    bdrv_close(bs, NULL);
    unlink(image);
    address_space_destroy(&tv_as);
    return 0;
}

static void test_config_and_features(void **state)
{
    driver_init(~0ull);
    uint64_t cap = 0;
    assert_int_equal(address_space_read(&tv_as, TV_MMIO_BASE + 0x100, &cap, 8), 0);
    assert_int_equal(cap, DISK_SECTORS);
    /* Without VERSION_1, FEATURES_OK does not stick. */
    tv_write(0x070, 0);
    tv_write(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    tv_write(0x024, 1);
    tv_write(0x020, 0);
    tv_write(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                          VIRTIO_STATUS_FEATURES_OK);
    assert_false(tv_read(0x070) & VIRTIO_STATUS_FEATURES_OK);
}

static void test_write_read(void **state)
{
    driver_init((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_INDIRECT_DESC));
    uint8_t *data = tv_ram(DATA);
    for (int i = 0; i < 3 * 512; i++) {
        data[i] = (uint8_t)(i * 7 + 1);
    }
    assert_int_equal(request(1 /* OUT */, 5, 3 * 512, false), 1);
    assert_int_equal(status_byte(), 0);
    assert_true(tv_irq_raises >= 1);
    uint8_t file[3 * 512];
    int fd = open(image, O_RDONLY);
    assert_int_equal(pread(fd, file, sizeof(file), 5 * 512), (ssize_t)sizeof(file));
    close(fd);
    assert_memory_equal(file, data, sizeof(file));

    /* Read back through an indirect table, into two buffers. */
    memset(tv_ram(DATA + 0x8000), 0, 3 * 512);
    put_header(0 /* IN */, 5);
    tv_set_desc(INDIRECT, 0, HDR, 16, TV_F_NEXT, 1);
    tv_set_desc(INDIRECT, 1, DATA + 0x8000, 1024, TV_F_NEXT | TV_F_WRITE, 2);
    tv_set_desc(INDIRECT, 2, DATA + 0x8000 + 1024, 512, TV_F_NEXT | TV_F_WRITE, 3);
    tv_set_desc(INDIRECT, 3, STATUS, 1, TV_F_WRITE, 0);
    tv_set_desc(DESC, 4, INDIRECT, 4 * 16, TV_F_INDIRECT, 0);
    assert_int_equal(submit(4), 3 * 512 + 1);
    assert_int_equal(status_byte(), 0);
    assert_memory_equal(tv_ram(DATA + 0x8000), file, sizeof(file));

    /* The counters behind query-blockstats. */
    assert_int_equal(blk.stats.wr_ops, 1);
    assert_int_equal(blk.stats.wr_bytes, 3 * 512);
    assert_int_equal(blk.stats.rd_ops, 1);
    assert_int_equal(blk.stats.rd_bytes, 3 * 512);
    assert_int_equal(blk.stats.wr_highest_offset, 8 * 512);
    assert_true(blk.stats.last_ns > 0);
    assert_int_equal(blk.stats.invalid_rd + blk.stats.invalid_wr + blk.stats.failed_rd +
                     blk.stats.failed_wr, 0);
}

static void test_request_errors(void **state)
{
    driver_init((1ull << VIRTIO_F_VERSION_1));
    assert_int_equal(request(0, DISK_SECTORS - 1, 1024, true), 1); /* past the end */
    assert_int_equal(status_byte(), 1);
    assert_int_equal(request(0, UINT64_MAX, 512, true), 1); /* sector overflow */
    assert_int_equal(status_byte(), 1);
    assert_int_equal(request(1, 0, 100, false), 1); /* not a whole sector */
    assert_int_equal(status_byte(), 1);
    assert_int_equal(request(99, 0, 0, false), 1); /* unknown type */
    assert_int_equal(status_byte(), 2);
    assert_int_equal(request(4 /* FLUSH */, 0, 0, false), 1);
    assert_int_equal(status_byte(), 0);
    assert_int_equal(request(8 /* GET_ID */, 0, 20, true), 21);
    assert_int_equal(status_byte(), 0);
    assert_string_equal((char *)tv_ram(DATA), "mimic-virtio-blk");
    assert_int_equal(blk.vdev.status & VIRTIO_STATUS_NEEDS_RESET, 0);
    /* refused requests are counted as invalid, not as done */
    assert_int_equal(blk.stats.invalid_rd, 2);
    assert_int_equal(blk.stats.invalid_wr, 1);
    assert_int_equal(blk.stats.rd_ops + blk.stats.wr_ops, 0);
    assert_int_equal(blk.stats.flush_ops, 1);
}

static void test_write_zeroes_and_discard(void **state)
{
    driver_init((1ull << VIRTIO_F_VERSION_1));
    memset(tv_ram(DATA), 0xab, 4 * 512);
    assert_int_equal(request(1, 8, 4 * 512, false), 1);
    uint8_t seg[16] = { 0 };
    uint64_t sector = 9;
    uint32_t n = 2;
    memcpy(seg, &sector, 8);
    memcpy(seg + 8, &n, 4);
    memcpy(tv_ram(DATA), seg, 16);
    assert_int_equal(request(13 /* WRITE_ZEROES */, 0, 16, false), 1);
    assert_int_equal(status_byte(), 0);
    uint8_t file[4 * 512];
    int fd = open(image, O_RDONLY);
    assert_int_equal(pread(fd, file, sizeof(file), 8 * 512), (ssize_t)sizeof(file));
    close(fd);
    assert_int_equal(file[0], 0xab);
    assert_int_equal(file[512], 0);
    assert_int_equal(file[3 * 512 - 1], 0);
    assert_int_equal(file[3 * 512], 0xab);
    sector = DISK_SECTORS;
    memcpy(tv_ram(DATA), &sector, 8);
    assert_int_equal(request(11 /* DISCARD */, 0, 16, false), 1);
    assert_int_equal(status_byte(), 1); /* past the end */
}

static void test_event_idx_suppression(void **state)
{
    driver_init((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_EVENT_IDX));
    uint8_t *avail = tv_ram(AVAIL);
    uint16_t used_event = 5; /* interrupt only once used idx passes 5 */
    memcpy(avail + 4 + 2 * TV_QNUM, &used_event, 2);
    tv_irq_raises = 0;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(request(4, 0, 0, false), 1);
        tv_write(0x064, 1); /* ack */
    }
    int before = tv_irq_raises;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(request(4, 0, 0, false), 1);
        tv_write(0x064, 1);
    }
    assert_true(tv_irq_raises > before);
    /* The device asks to be notified at the next entry (avail_event). */
    uint16_t avail_event;
    memcpy(&avail_event, (uint8_t *)tv_ram(USED) + 4 + 8 * TV_QNUM, 2);
    assert_int_equal(avail_event, 7);
}

static void expect_needs_reset(uint16_t head)
{
    assert_int_equal(submit(head), -1);
    assert_true(tv_needs_reset()); /* as the driver sees it, in the status register */
    /* Further notifications are ignored until a reset. */
    tv_notify(0);
    driver_init((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_INDIRECT_DESC));
    assert_false(tv_needs_reset());
}

static void test_hostile_rings(void **state)
{
    uint64_t f = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_INDIRECT_DESC);
    driver_init(f);
    expect_needs_reset(TV_QNUM); /* head out of range */
    tv_set_desc(DESC, 0, TV_RAM_BASE + TV_RAM_SIZE - 8, 16, 0, 0); /* crosses the end of RAM */
    expect_needs_reset(0);
    tv_set_desc(DESC, 0, 0x1000, 16, 0, 0); /* not RAM at all */
    expect_needs_reset(0);
    tv_set_desc(DESC, 0, HDR, 16, TV_F_NEXT, 0); /* a loop */
    expect_needs_reset(0);
    tv_set_desc(DESC, 0, HDR, 16, TV_F_NEXT, TV_QNUM); /* next out of range */
    expect_needs_reset(0);
    tv_set_desc(DESC, 0, INDIRECT, 32, TV_F_INDIRECT | TV_F_NEXT, 1); /* indirect with next */
    expect_needs_reset(0);
    tv_set_desc(INDIRECT, 0, INDIRECT, 32, TV_F_INDIRECT, 0); /* nested indirect */
    tv_set_desc(DESC, 0, INDIRECT, 32, TV_F_INDIRECT, 0);
    expect_needs_reset(0);
    tv_set_desc(DESC, 0, INDIRECT, 24, TV_F_INDIRECT, 0); /* not whole descriptors */
    expect_needs_reset(0);
    tv_set_desc(DESC, 0, STATUS, 1, TV_F_WRITE | TV_F_NEXT, 1); /* readable after writable */
    tv_set_desc(DESC, 1, HDR, 16, 0, 0);
    expect_needs_reset(0);
    /* More pending than the ring holds. */
    uint16_t idx = TV_QNUM + 1;
    memcpy((uint8_t *)tv_ram(AVAIL) + 2, &idx, 2);
    tv_notify(0);
    assert_true(tv_needs_reset()); /* as the driver sees it, in the status register */
    /* A live queue cannot be moved, and a bad QueueNum is ignored. */
    driver_init(f);
    tv_write(0x080, 0x1000);
    assert_int_equal(blk.vdev.vq[0].desc, DESC);
    tv_write(0x044, 0);
    tv_write(0x038, 3);
    assert_int_equal(blk.vdev.vq[0].num, TV_QNUM);
}

static void test_random_rings(void **state)
{
    srand(1234);
    uint64_t f = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
                 (1ull << VIRTIO_RING_F_EVENT_IDX);
    for (int round = 0; round < 3000; round++) {
        driver_init(f);
        tv_randomize_queue(0, 2048);
        tv_notify(0);
        tv_notify(0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_config_and_features, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_zeroes_and_discard, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_idx_suppression, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_rings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_rings, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
