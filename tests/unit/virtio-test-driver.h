/*
 * virtio-test-driver.h — a minimal virtio driver for device unit tests:
 * feature negotiation and queue setup through the virtio-mmio registers,
 * split rings built in guest RAM, publishing and reading back buffers.
 *
 * The one thing to know: the guest layout is fixed: queue q's descriptor
 * table, available ring, used ring and a scratch indirect table sit in the
 * 64 KiB at TV_QUEUE(q); data buffers go from TV_DATA on. Include it once
 * per test program (everything here is static).
 */
#ifndef MIMIC_TESTS_VIRTIO_TEST_DRIVER_H
#define MIMIC_TESTS_VIRTIO_TEST_DRIVER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/virtio.h"

#define TV_RAM_BASE 0x80000000ull
#define TV_RAM_SIZE (1u << 20)
#define TV_MMIO_BASE 0x10001000ull
#define TV_QNUM 8
#define TV_QUEUE(q) (TV_RAM_BASE + 0x10000ull * (q))
#define TV_DESC(q) (TV_QUEUE(q) + 0x0000)
#define TV_AVAIL(q) (TV_QUEUE(q) + 0x1000)
#define TV_USED(q) (TV_QUEUE(q) + 0x2000)
#define TV_INDIRECT(q) (TV_QUEUE(q) + 0x3000)
#define TV_DATA (TV_RAM_BASE + 0x80000)

enum { TV_F_NEXT = 1, TV_F_WRITE = 2, TV_F_INDIRECT = 4 };

/* What most tests negotiate. */
#define TV_FEATURES ((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_INDIRECT_DESC))

static AddressSpace tv_as;
static uint16_t tv_avail_idx[VIRTIO_MAX_QUEUES];
static int tv_irq_raises, tv_irq_level; /* rising edges of the device's line, its level */

static void tv_set_irq(void *opaque, int level)
{
    tv_irq_raises += level && !tv_irq_level;
    tv_irq_level = level;
}

static void tv_connect_irq(VirtIODevice *vdev)
{
    vdev->set_irq = tv_set_irq;
    tv_irq_raises = tv_irq_level = 0;
}

static uint32_t tv_read(uint64_t off)
{
    uint32_t v = 0;
    assert_int_equal(address_space_read(&tv_as, TV_MMIO_BASE + off, &v, 4), 0);
    return v;
}

static void tv_write(uint64_t off, uint32_t v)
{
    assert_int_equal(address_space_write(&tv_as, TV_MMIO_BASE + off, &v, 4), 0);
}

static void *tv_ram(uint64_t addr)
{
    return address_space_map(&tv_as, addr, 1);
}

/* Guest RAM plus the device's register window. */
static void tv_setup(VirtIODevice *vdev)
{
    memset(&tv_as, 0, sizeof(tv_as));
    assert_int_equal(address_space_add_ram(&tv_as, "ram", TV_RAM_BASE, TV_RAM_SIZE), 0);
    assert_int_equal(address_space_add_mmio(&tv_as, "virtio-mmio", TV_MMIO_BASE,
                                            VIRTIO_MMIO_SIZE, &virtio_mmio_ops, vdev), 0);
}

static void tv_set_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                        uint16_t next)
{
    uint8_t *d = tv_ram(table + 16 * i);
    memcpy(d, &addr, 8);
    memcpy(d + 8, &len, 4);
    memcpy(d + 12, &flags, 2);
    memcpy(d + 14, &next, 2);
}

/* Resets the device, negotiates features (returns what was accepted) and
 * sets up queues 0..nq-1 of TV_QNUM entries. */
static uint64_t tv_init(uint32_t device_id, uint64_t features, unsigned nq)
{
    assert_int_equal(tv_read(0x000), 0x74726976);
    assert_int_equal(tv_read(0x008), device_id);
    tv_write(0x070, 0);
    tv_write(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    tv_write(0x014, 1);
    uint64_t offered = (uint64_t)tv_read(0x010) << 32;
    tv_write(0x014, 0);
    offered |= tv_read(0x010);
    features &= offered;
    tv_write(0x024, 0);
    tv_write(0x020, (uint32_t)features);
    tv_write(0x024, 1);
    tv_write(0x020, (uint32_t)(features >> 32));
    tv_write(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                        VIRTIO_STATUS_FEATURES_OK);
    assert_true(tv_read(0x070) & VIRTIO_STATUS_FEATURES_OK);
    for (unsigned q = 0; q < nq; q++) {
        memset(tv_ram(TV_AVAIL(q)), 0, 0x1000);
        memset(tv_ram(TV_USED(q)), 0, 0x1000);
        tv_avail_idx[q] = 0;
        tv_write(0x030, q);
        assert_true(tv_read(0x034) >= TV_QNUM);
        tv_write(0x038, TV_QNUM);
        tv_write(0x080, (uint32_t)TV_DESC(q));
        tv_write(0x084, (uint32_t)(TV_DESC(q) >> 32));
        tv_write(0x090, (uint32_t)TV_AVAIL(q));
        tv_write(0x094, 0);
        tv_write(0x0a0, (uint32_t)TV_USED(q));
        tv_write(0x0a4, 0);
        tv_write(0x044, 1);
    }
    tv_write(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                        VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
    return features;
}

static uint16_t tv_used_idx(unsigned q)
{
    uint16_t v;
    memcpy(&v, (uint8_t *)tv_ram(TV_USED(q)) + 2, 2);
    return v;
}

/* Used ring entry number i (mod the ring) of queue q: the head, and the length. */
static uint32_t tv_used_len(unsigned q, uint16_t i, uint32_t *head)
{
    uint32_t id, len;
    uint8_t *e = (uint8_t *)tv_ram(TV_USED(q)) + 4 + 8 * (i % TV_QNUM);
    memcpy(&id, e, 4);
    memcpy(&len, e + 4, 4);
    if (head) {
        *head = id;
    }
    return len;
}

/* Makes the chain at head available on queue q (no notification). */
static void tv_publish(unsigned q, uint16_t head)
{
    uint8_t *avail = tv_ram(TV_AVAIL(q));
    memcpy(avail + 4 + 2 * (tv_avail_idx[q] % TV_QNUM), &head, 2);
    tv_avail_idx[q]++;
    memcpy(avail + 2, &tv_avail_idx[q], 2);
}

static void tv_notify(unsigned q)
{
    tv_write(0x050, q);
}

static bool tv_needs_reset(void)
{
    return tv_read(0x070) & VIRTIO_STATUS_NEEDS_RESET;
}

/* Fills queue q's descriptor table, a few indirect entries and the
 * available ring with random, often plausible values (addresses inside
 * RAM, lengths below max_len, small indexes): fuzz input. */
static void tv_randomize_queue(unsigned q, uint32_t max_len)
{
    uint8_t *desc = tv_ram(TV_DESC(q)), *ind = tv_ram(TV_INDIRECT(q));
    uint8_t *avail = tv_ram(TV_AVAIL(q));
    for (int i = 0; i < TV_QNUM + 4; i++) {
        uint8_t *d = i < TV_QNUM ? desc + 16 * i : ind + 16 * (i - TV_QNUM);
        for (int b = 0; b < 16; b++) {
            d[b] = (uint8_t)rand();
        }
        if (rand() % 3) {
            uint64_t addr = TV_RAM_BASE + (uint64_t)(rand() % TV_RAM_SIZE);
            memcpy(d, &addr, 8);
        }
        if (rand() % 2) {
            uint32_t len = (uint32_t)(rand() % max_len);
            memcpy(d + 8, &len, 4);
        }
        uint16_t flags = (uint16_t)(rand() % 8), next = (uint16_t)(rand() % (TV_QNUM + 2));
        memcpy(d + 12, &flags, 2);
        memcpy(d + 14, &next, 2);
    }
    for (int i = 0; i < 6 + 2 * TV_QNUM; i++) {
        avail[i] = (uint8_t)(rand() % 3 == 0 ? rand() : rand() % TV_QNUM);
    }
}

#endif
