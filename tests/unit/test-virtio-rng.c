/*
 * test-virtio-rng.c — virtio-rng over virtio-mmio, driven by the small
 * driver in virtio-test-driver.h: requests are filled (direct, chained and
 * indirect buffers), a request is capped at VIRTIO_RNG_MAX_REQUEST bytes,
 * and hostile chains (zero length, lengths past RAM or wrapping 2^64,
 * readable buffers, readable after writable) put the device in
 * DEVICE_NEEDS_RESET instead of crashing; a random-ring fuzz runs last.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hw/virtio/virtio-rng.h"
#include "virtio-test-driver.h"

static VirtIORNG rng;
static const uint64_t features = TV_FEATURES;

static int setup(void **state)
{
    assert_int_equal(virtio_rng_init(&rng, &tv_as), 0);
    tv_setup(&rng.vdev);
    tv_connect_irq(&rng.vdev);
    return 0;
}

static int teardown(void **state)
{
    virtio_rng_destroy(&rng);
    address_space_destroy(&tv_as);
    return 0;
}

/* Submits head on queue 0; the used length, or -1 if nothing came back. */
static long submit(uint16_t head)
{
    uint16_t before = tv_used_idx(0);
    tv_publish(0, head);
    tv_notify(0);
    if (tv_used_idx(0) == before) {
        return -1;
    }
    uint32_t id;
    uint32_t len = tv_used_len(0, before, &id);
    assert_int_equal(id, head);
    return len;
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != v) {
            return false;
        }
    }
    return true;
}

static void test_fills_buffers(void **state)
{
    assert_int_equal(tv_init(VIRTIO_ID_RNG, features, 1), features);
    uint8_t *data = tv_ram(TV_DATA);
    memset(data, 0, 4096);
    tv_set_desc(TV_DESC(0), 0, TV_DATA, 64, TV_F_WRITE, 0);
    assert_int_equal(submit(0), 64);
    assert_false(all_bytes(data, 64, 0));
    assert_true(all_bytes(data + 64, 64, 0)); /* nothing past the buffer */
    assert_true(tv_irq_raises >= 1);

    /* Two buffers in a chain, then the same through an indirect table. */
    memset(data, 0, 4096);
    tv_set_desc(TV_DESC(0), 1, TV_DATA, 16, TV_F_WRITE | TV_F_NEXT, 2);
    tv_set_desc(TV_DESC(0), 2, TV_DATA + 1024, 48, TV_F_WRITE, 0);
    assert_int_equal(submit(1), 64);
    assert_false(all_bytes(data, 16, 0));
    assert_false(all_bytes(data + 1024, 48, 0));
    assert_true(all_bytes(data + 16, 1024 - 16, 0));

    memset(data, 0, 4096);
    tv_set_desc(TV_INDIRECT(0), 0, TV_DATA + 2048, 32, TV_F_WRITE | TV_F_NEXT, 1);
    tv_set_desc(TV_INDIRECT(0), 1, TV_DATA + 3072, 32, TV_F_WRITE, 0);
    tv_set_desc(TV_DESC(0), 3, TV_INDIRECT(0), 32, TV_F_INDIRECT, 0);
    assert_int_equal(submit(3), 64);
    assert_false(all_bytes(data + 2048, 32, 0));
    assert_false(all_bytes(data + 3072, 32, 0));
    assert_false(tv_needs_reset());
    assert_true(rng.bytes_served >= 192);
}

static void test_request_capped(void **state)
{
    tv_init(VIRTIO_ID_RNG, features, 1);
    uint32_t big = TV_RAM_SIZE - (uint32_t)(TV_DATA - TV_RAM_BASE); /* to the end of RAM */
    uint8_t *data = tv_ram(TV_DATA);
    memset(data, 0xaa, big);
    tv_set_desc(TV_DESC(0), 0, TV_DATA, big, TV_F_WRITE, 0);
    assert_int_equal(submit(0), VIRTIO_RNG_MAX_REQUEST);
    assert_true(all_bytes(data + VIRTIO_RNG_MAX_REQUEST, big - VIRTIO_RNG_MAX_REQUEST, 0xaa));
    /* The cap counts across the buffers of one chain. */
    memset(data, 0xaa, big);
    tv_set_desc(TV_DESC(0), 1, TV_DATA, VIRTIO_RNG_MAX_REQUEST - 10, TV_F_WRITE | TV_F_NEXT, 2);
    tv_set_desc(TV_DESC(0), 2, TV_DATA + VIRTIO_RNG_MAX_REQUEST, 100, TV_F_WRITE, 0);
    assert_int_equal(submit(1), VIRTIO_RNG_MAX_REQUEST);
    assert_true(all_bytes(data + VIRTIO_RNG_MAX_REQUEST + 10, 90, 0xaa));
    assert_false(tv_needs_reset());
}

/* The chain at descriptor 0 must be refused with DEVICE_NEEDS_RESET; the
 * device works again after a reset. */
static void expect_needs_reset(const char *what)
{
    if (submit(0) != -1 || !tv_needs_reset()) {
        fail_msg("%s: accepted", what);
    }
    tv_notify(0); /* ignored until the reset */
    tv_init(VIRTIO_ID_RNG, features, 1);
    assert_false(tv_needs_reset());
    tv_set_desc(TV_DESC(0), 5, TV_DATA, 8, TV_F_WRITE, 0);
    assert_int_equal(submit(5), 8);
}

static void test_hostile_descriptors(void **state)
{
    tv_init(VIRTIO_ID_RNG, features, 1);
    tv_set_desc(TV_DESC(0), 0, TV_DATA, 0, TV_F_WRITE, 0);
    expect_needs_reset("zero length");
    tv_set_desc(TV_DESC(0), 0, TV_DATA, 0xffffffffu, TV_F_WRITE, 0);
    expect_needs_reset("length past the end of RAM");
    tv_set_desc(TV_DESC(0), 0, UINT64_MAX - 8, 64, TV_F_WRITE, 0);
    expect_needs_reset("address wrapping 2^64");
    tv_set_desc(TV_DESC(0), 0, 0x1000, 64, TV_F_WRITE, 0);
    expect_needs_reset("address outside RAM");
    tv_set_desc(TV_DESC(0), 0, TV_DATA, 64, 0, 0);
    expect_needs_reset("device-readable buffer");
    tv_set_desc(TV_DESC(0), 0, TV_DATA, 64, TV_F_NEXT, 1);
    tv_set_desc(TV_DESC(0), 1, TV_DATA + 64, 64, TV_F_WRITE, 0);
    expect_needs_reset("readable then writable");
    tv_set_desc(TV_DESC(0), 0, TV_DATA, 64, TV_F_WRITE | TV_F_NEXT, 1);
    tv_set_desc(TV_DESC(0), 1, TV_DATA + 64, 64, 0, 0);
    expect_needs_reset("writable then readable");
    tv_set_desc(TV_DESC(0), 0, TV_DATA, 64, TV_F_WRITE | TV_F_NEXT, 0);
    expect_needs_reset("a loop");
    tv_set_desc(TV_DESC(0), 0, TV_INDIRECT(0), 0, TV_F_INDIRECT, 0);
    expect_needs_reset("empty indirect table");
    tv_set_desc(TV_INDIRECT(0), 0, TV_DATA, 0, TV_F_WRITE, 0);
    tv_set_desc(TV_DESC(0), 0, TV_INDIRECT(0), 16, TV_F_INDIRECT, 0);
    expect_needs_reset("zero length inside an indirect table");
    /* A used ring that the guest moved outside RAM while live cannot be
     * written: the transport refuses to move a live queue, so the device
     * keeps using the old one. */
    tv_write(0x030, 0);
    tv_write(0x0a0, 0x1000);
    tv_set_desc(TV_DESC(0), 0, TV_DATA, 8, TV_F_WRITE, 0);
    assert_int_equal(submit(0), 8);
}

static void test_random_rings(void **state)
{
    srand(4321);
    uint64_t f = features | (1ull << VIRTIO_RING_F_EVENT_IDX);
    for (int round = 0; round < 3000; round++) {
        tv_init(VIRTIO_ID_RNG, f, 1);
        tv_randomize_queue(0, 4096);
        tv_notify(0);
        tv_notify(0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fills_buffers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_capped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_descriptors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_rings, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
