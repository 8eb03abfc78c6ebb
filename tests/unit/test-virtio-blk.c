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
 * The one thing to know: the guest layout is fixed (see the offsets
 * below); every test starts from a fresh image and a freshly set up queue.
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

#define RAM_BASE 0x80000000ull
#define RAM_SIZE (1u << 20)
#define MMIO_BASE 0x10001000ull
#define QNUM 8
#define DESC (RAM_BASE + 0x0000)
#define AVAIL (RAM_BASE + 0x1000)
#define USED (RAM_BASE + 0x2000)
#define INDIRECT (RAM_BASE + 0x3000)
#define HDR (RAM_BASE + 0x4000)
#define STATUS (RAM_BASE + 0x5000)
#define DATA (RAM_BASE + 0x10000)
#define DISK_SECTORS 64

enum { F_NEXT = 1, F_WRITE = 2, F_INDIRECT = 4 };

static AddressSpace as;
static VirtIOBlock blk;
static BlockDriverState *bs;
static char image[64];
static int irq_level, irq_raises;
static uint16_t avail_idx;

static void set_irq(void *opaque, int level)
{
    irq_raises += level && !irq_level;
    irq_level = level;
}

static uint32_t mmio_read(uint64_t off)
{
    uint32_t v = 0;
    assert_int_equal(address_space_read(&as, MMIO_BASE + off, &v, 4), 0);
    return v;
}

static void mmio_write(uint64_t off, uint32_t v)
{
    assert_int_equal(address_space_write(&as, MMIO_BASE + off, &v, 4), 0);
}

static void *ram(uint64_t addr)
{
    return address_space_map(&as, addr, 1);
}

static void set_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                     uint16_t next)
{
    uint8_t *d = ram(table + 16 * i);
    memcpy(d, &addr, 8);
    memcpy(d + 8, &len, 4);
    memcpy(d + 12, &flags, 2);
    memcpy(d + 14, &next, 2);
}

/* Negotiates features and sets up queue 0 of QNUM entries. */
static void driver_init(uint64_t features)
{
    assert_int_equal(mmio_read(0x000), 0x74726976);
    assert_int_equal(mmio_read(0x004), 2);
    assert_int_equal(mmio_read(0x008), VIRTIO_ID_BLOCK);
    mmio_write(0x070, 0);
    mmio_write(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    mmio_write(0x014, 1);
    uint64_t offered = (uint64_t)mmio_read(0x010) << 32;
    mmio_write(0x014, 0);
    offered |= mmio_read(0x010);
    assert_true(offered >> VIRTIO_F_VERSION_1 & 1);
    features &= offered;
    mmio_write(0x024, 0);
    mmio_write(0x020, (uint32_t)features);
    mmio_write(0x024, 1);
    mmio_write(0x020, (uint32_t)(features >> 32));
    mmio_write(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                          VIRTIO_STATUS_FEATURES_OK);
    assert_true(mmio_read(0x070) & VIRTIO_STATUS_FEATURES_OK);
    mmio_write(0x030, 0);
    assert_true(mmio_read(0x034) >= QNUM);
    mmio_write(0x038, QNUM);
    mmio_write(0x080, (uint32_t)DESC);
    mmio_write(0x084, (uint32_t)(DESC >> 32));
    mmio_write(0x090, (uint32_t)AVAIL);
    mmio_write(0x094, 0);
    mmio_write(0x0a0, (uint32_t)USED);
    mmio_write(0x0a4, 0);
    mmio_write(0x044, 1);
    mmio_write(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                          VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
    memset(ram(AVAIL), 0, 0x1000);
    memset(ram(USED), 0, 0x1000);
    avail_idx = 0;
}

static uint16_t used_idx(void)
{
    uint16_t v;
    memcpy(&v, (uint8_t *)ram(USED) + 2, 2);
    return v;
}

/* Publishes head and notifies; returns the used length, or -1 if nothing came back. */
static long submit(uint16_t head)
{
    uint16_t before = used_idx();
    uint8_t *avail = ram(AVAIL);
    memcpy(avail + 4 + 2 * (avail_idx % QNUM), &head, 2);
    avail_idx++;
    memcpy(avail + 2, &avail_idx, 2);
    mmio_write(0x050, 0);
    if (used_idx() == before) {
        return -1;
    }
    uint32_t id, len;
    uint8_t *e = (uint8_t *)ram(USED) + 4 + 8 * (before % QNUM);
    memcpy(&id, e, 4);
    memcpy(&len, e + 4, 4);
    assert_int_equal(id, head);
    return len;
}

static void put_header(uint32_t type, uint64_t sector)
{
    uint8_t *h = ram(HDR);
    memset(h, 0, 16);
    memcpy(h, &type, 4);
    memcpy(h + 8, &sector, 8);
}

/* A request as a direct chain: header, one data buffer, status. */
static long request(uint32_t type, uint64_t sector, uint32_t len, bool data_in)
{
    put_header(type, sector);
    *(uint8_t *)ram(STATUS) = 0xff;
    set_desc(DESC, 0, HDR, 16, F_NEXT, 1);
    if (len) {
        set_desc(DESC, 1, DATA, len, F_NEXT | (data_in ? F_WRITE : 0), 2);
        set_desc(DESC, 2, STATUS, 1, F_WRITE, 0);
    } else {
        set_desc(DESC, 1, STATUS, 1, F_WRITE, 0);
    }
    return submit(0);
}

static uint8_t status_byte(void)
{
    return *(uint8_t *)ram(STATUS);
}

static int setup(void **state)
{
    memset(&as, 0, sizeof(as));
    assert_int_equal(address_space_add_ram(&as, "ram", RAM_BASE, RAM_SIZE), 0);
    snprintf(image, sizeof(image), "/tmp/mimic-vblk-XXXXXX");
    int fd = mkstemp(image);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, DISK_SECTORS * 512), 0);
    close(fd);
    assert_int_equal(bdrv_open(&bs, image, "raw", BDRV_O_RDWR, NULL), 0);
    assert_int_equal(virtio_blk_init(&blk, bs, false, &as), 0);
    blk.vdev.set_irq = set_irq;
    assert_int_equal(address_space_add_mmio(&as, "virtio-mmio", MMIO_BASE, VIRTIO_MMIO_SIZE,
                                            &virtio_mmio_ops, &blk.vdev), 0);
    irq_level = irq_raises = 0;
    return 0;
}

static int teardown(void **state)
{
    virtio_blk_destroy(&blk);
    bdrv_close(bs, NULL);
    unlink(image);
    address_space_destroy(&as);
    return 0;
}

static void test_config_and_features(void **state)
{
    driver_init(~0ull);
    uint64_t cap = 0;
    assert_int_equal(address_space_read(&as, MMIO_BASE + 0x100, &cap, 8), 0);
    assert_int_equal(cap, DISK_SECTORS);
    /* Without VERSION_1, FEATURES_OK does not stick. */
    mmio_write(0x070, 0);
    mmio_write(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    mmio_write(0x024, 1);
    mmio_write(0x020, 0);
    mmio_write(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                          VIRTIO_STATUS_FEATURES_OK);
    assert_false(mmio_read(0x070) & VIRTIO_STATUS_FEATURES_OK);
}

static void test_write_read(void **state)
{
    driver_init((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_INDIRECT_DESC));
    uint8_t *data = ram(DATA);
    for (int i = 0; i < 3 * 512; i++) {
        data[i] = (uint8_t)(i * 7 + 1);
    }
    assert_int_equal(request(1 /* OUT */, 5, 3 * 512, false), 1);
    assert_int_equal(status_byte(), 0);
    assert_true(irq_raises >= 1);
    uint8_t file[3 * 512];
    int fd = open(image, O_RDONLY);
    assert_int_equal(pread(fd, file, sizeof(file), 5 * 512), (ssize_t)sizeof(file));
    close(fd);
    assert_memory_equal(file, data, sizeof(file));

    /* Read back through an indirect table, into two buffers. */
    memset(ram(DATA + 0x8000), 0, 3 * 512);
    put_header(0 /* IN */, 5);
    set_desc(INDIRECT, 0, HDR, 16, F_NEXT, 1);
    set_desc(INDIRECT, 1, DATA + 0x8000, 1024, F_NEXT | F_WRITE, 2);
    set_desc(INDIRECT, 2, DATA + 0x8000 + 1024, 512, F_NEXT | F_WRITE, 3);
    set_desc(INDIRECT, 3, STATUS, 1, F_WRITE, 0);
    set_desc(DESC, 4, INDIRECT, 4 * 16, F_INDIRECT, 0);
    assert_int_equal(submit(4), 3 * 512 + 1);
    assert_int_equal(status_byte(), 0);
    assert_memory_equal(ram(DATA + 0x8000), file, sizeof(file));
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
    assert_string_equal((char *)ram(DATA), "mimic-virtio-blk");
    assert_int_equal(blk.vdev.status & VIRTIO_STATUS_NEEDS_RESET, 0);
}

static void test_write_zeroes_and_discard(void **state)
{
    driver_init((1ull << VIRTIO_F_VERSION_1));
    memset(ram(DATA), 0xab, 4 * 512);
    assert_int_equal(request(1, 8, 4 * 512, false), 1);
    uint8_t seg[16] = { 0 };
    uint64_t sector = 9;
    uint32_t n = 2;
    memcpy(seg, &sector, 8);
    memcpy(seg + 8, &n, 4);
    memcpy(ram(DATA), seg, 16);
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
    memcpy(ram(DATA), &sector, 8);
    assert_int_equal(request(11 /* DISCARD */, 0, 16, false), 1);
    assert_int_equal(status_byte(), 1); /* past the end */
}

static void test_event_idx_suppression(void **state)
{
    driver_init((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_EVENT_IDX));
    uint8_t *avail = ram(AVAIL);
    uint16_t used_event = 5; /* interrupt only once used idx passes 5 */
    memcpy(avail + 4 + 2 * QNUM, &used_event, 2);
    irq_raises = 0;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(request(4, 0, 0, false), 1);
        mmio_write(0x064, 1); /* ack */
    }
    int before = irq_raises;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(request(4, 0, 0, false), 1);
        mmio_write(0x064, 1);
    }
    assert_true(irq_raises > before);
    /* The device asks to be notified at the next entry (avail_event). */
    uint16_t avail_event;
    memcpy(&avail_event, (uint8_t *)ram(USED) + 4 + 8 * QNUM, 2);
    assert_int_equal(avail_event, 7);
}

static void expect_needs_reset(uint16_t head)
{
    assert_int_equal(submit(head), -1);
    assert_true(blk.vdev.status & VIRTIO_STATUS_NEEDS_RESET);
    /* Further notifications are ignored until a reset. */
    mmio_write(0x050, 0);
    driver_init((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_INDIRECT_DESC));
    assert_false(blk.vdev.status & VIRTIO_STATUS_NEEDS_RESET);
}

static void test_hostile_rings(void **state)
{
    uint64_t f = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_INDIRECT_DESC);
    driver_init(f);
    expect_needs_reset(QNUM); /* head out of range */
    set_desc(DESC, 0, RAM_BASE + RAM_SIZE - 8, 16, 0, 0); /* crosses the end of RAM */
    expect_needs_reset(0);
    set_desc(DESC, 0, 0x1000, 16, 0, 0); /* not RAM at all */
    expect_needs_reset(0);
    set_desc(DESC, 0, HDR, 16, F_NEXT, 0); /* a loop */
    expect_needs_reset(0);
    set_desc(DESC, 0, HDR, 16, F_NEXT, QNUM); /* next out of range */
    expect_needs_reset(0);
    set_desc(DESC, 0, INDIRECT, 32, F_INDIRECT | F_NEXT, 1); /* indirect with next */
    expect_needs_reset(0);
    set_desc(INDIRECT, 0, INDIRECT, 32, F_INDIRECT, 0); /* nested indirect */
    set_desc(DESC, 0, INDIRECT, 32, F_INDIRECT, 0);
    expect_needs_reset(0);
    set_desc(DESC, 0, INDIRECT, 24, F_INDIRECT, 0); /* not whole descriptors */
    expect_needs_reset(0);
    set_desc(DESC, 0, STATUS, 1, F_WRITE | F_NEXT, 1); /* readable after writable */
    set_desc(DESC, 1, HDR, 16, 0, 0);
    expect_needs_reset(0);
    /* More pending than the ring holds. */
    uint16_t idx = QNUM + 1;
    memcpy((uint8_t *)ram(AVAIL) + 2, &idx, 2);
    mmio_write(0x050, 0);
    assert_true(blk.vdev.status & VIRTIO_STATUS_NEEDS_RESET);
    /* A live queue cannot be moved, and a bad QueueNum is ignored. */
    driver_init(f);
    mmio_write(0x080, 0x1000);
    assert_int_equal(blk.vdev.vq[0].desc, DESC);
    mmio_write(0x044, 0);
    mmio_write(0x038, 3);
    assert_int_equal(blk.vdev.vq[0].num, QNUM);
}

static void test_random_rings(void **state)
{
    srand(1234);
    uint64_t f = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
                 (1ull << VIRTIO_RING_F_EVENT_IDX);
    for (int round = 0; round < 3000; round++) {
        driver_init(f);
        uint8_t *desc = ram(DESC), *ind = ram(INDIRECT), *avail = ram(AVAIL);
        for (int i = 0; i < 16 * QNUM + 64; i++) {
            uint8_t *p = i < 16 * QNUM ? &desc[i] : &ind[i - 16 * QNUM];
            *p = (uint8_t)rand();
        }
        /* Often-plausible fields: addresses inside RAM, small lengths and indexes. */
        for (int i = 0; i < QNUM + 4; i++) {
            uint8_t *d = i < QNUM ? desc + 16 * i : ind + 16 * (i - QNUM);
            if (rand() % 2) {
                uint64_t addr = RAM_BASE + (uint64_t)(rand() % RAM_SIZE);
                memcpy(d, &addr, 8);
            }
            if (rand() % 2) {
                uint32_t len = (uint32_t)(rand() % 2048);
                memcpy(d + 8, &len, 4);
            }
            uint16_t flags = (uint16_t)(rand() % 8), next = (uint16_t)(rand() % (QNUM + 2));
            memcpy(d + 12, &flags, 2);
            memcpy(d + 14, &next, 2);
        }
        for (int i = 0; i < 6 + 2 * QNUM; i++) {
            avail[i] = (uint8_t)(rand() % 3 == 0 ? rand() : rand() % QNUM);
        }
        mmio_write(0x050, 0);
        mmio_write(0x050, 0);
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
