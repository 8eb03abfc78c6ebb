/* virtio-blk.c — a polling driver for a modern (version 2) virtio-mmio
 * virtio-blk device, and the block checks run through it: read sector 0,
 * write a known pattern to sector 1, flush, read it back, a multi-sector
 * read, and a read past the end that must fail.
 * The one thing to know: one request is in flight at a time on queue 0 with
 * a fixed three-descriptor chain (header, data, status); completion is
 * found by polling the used ring (interrupts stay disabled), and the
 * interrupt status register is only read and acknowledged. */
#include "guest.h"

/* virtio-mmio registers (virtio 1.x, section 4.2.2) */
#define VM_MAGIC            0x000
#define VM_VERSION          0x004
#define VM_DEVICE_ID        0x008
#define VM_VENDOR_ID        0x00c
#define VM_DEVICE_FEATURES  0x010
#define VM_DEVICE_FEAT_SEL  0x014
#define VM_DRIVER_FEATURES  0x020
#define VM_DRIVER_FEAT_SEL  0x024
#define VM_QUEUE_SEL        0x030
#define VM_QUEUE_NUM_MAX    0x034
#define VM_QUEUE_NUM        0x038
#define VM_QUEUE_READY      0x044
#define VM_QUEUE_NOTIFY     0x050
#define VM_INT_STATUS       0x060
#define VM_INT_ACK          0x064
#define VM_STATUS           0x070
#define VM_QUEUE_DESC_LO    0x080
#define VM_QUEUE_DESC_HI    0x084
#define VM_QUEUE_DRIVER_LO  0x090
#define VM_QUEUE_DRIVER_HI  0x094
#define VM_QUEUE_DEVICE_LO  0x0a0
#define VM_QUEUE_DEVICE_HI  0x0a4
#define VM_CONFIG_GEN       0x0fc
#define VM_CONFIG           0x100

#define VIRTIO_MAGIC 0x74726976u   /* "virt" */
#define VIRTIO_ID_BLOCK 2

#define ST_ACKNOWLEDGE 1
#define ST_DRIVER 2
#define ST_DRIVER_OK 4
#define ST_FEATURES_OK 8
#define ST_NEEDS_RESET 64
#define ST_FAILED 128

#define F_BLK_RO (1ull << 5)
#define F_BLK_FLUSH (1ull << 9)
#define F_VERSION_1 (1ull << 32)

#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2

#define BLK_T_IN 0
#define BLK_T_OUT 1
#define BLK_T_FLUSH 4
#define BLK_S_OK 0
#define BLK_S_IOERR 1
#define BLK_S_NONE 0xff            /* our marker: the device never wrote it */

#define QSZ 8
#define SECTOR 512
#define MULTI 8                    /* sectors in the multi-sector read */

struct vq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct vq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[QSZ];
    uint16_t used_event;
};

struct vq_used_elem {
    uint32_t id;
    uint32_t len;
};

struct vq_used {
    uint16_t flags;
    uint16_t idx;
    struct vq_used_elem ring[QSZ];
    uint16_t avail_event;
};

struct blk_req_hdr {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

static struct vq_desc desc[QSZ] __attribute__((aligned(4096)));
static struct vq_avail avail __attribute__((aligned(4096)));
static struct vq_used used __attribute__((aligned(4096)));
static struct blk_req_hdr req_hdr __attribute__((aligned(16)));
static uint8_t req_status __attribute__((aligned(16)));
static uint8_t buf_a[MULTI * SECTOR] __attribute__((aligned(4096)));
static uint8_t buf_b[SECTOR] __attribute__((aligned(4096)));

static uintptr_t vbase;
static uint16_t qnum;
static uint16_t avail_idx;       /* next free avail slot (free-running) */
static uint16_t used_seen;       /* used entries consumed (free-running) */
static bool irq_checked;

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static uint32_t reg_read(uint32_t off)
{
    return mmio_read32(vbase + off);
}

static void reg_write(uint32_t off, uint32_t v)
{
    mmio_write32(vbase + off, v);
}

/* The pattern written to sector 1 (the runner checks it on the host):
 * the text "MIMIC-KVM-BLK-SECTOR1\n", then byte i = (i * 13 + 7) & 0xff. */
static void sector1_pattern(uint8_t *p)
{
    static const char head[] = "MIMIC-KVM-BLK-SECTOR1\n";
    for (size_t i = 0; i < SECTOR; i++) {
        p[i] = (uint8_t)((i * 13 + 7) & 0xff);
    }
    memcpy(p, head, sizeof(head) - 1);
}

/* One request: TYPE at SECTOR with LEN bytes of BUF (device-writable for
 * reads). Returns the status byte the device wrote, BLK_S_NONE if it wrote
 * none, or -1 on a timeout or a malformed used entry. */
static int blk_request(uint32_t type, uint64_t sector, void *buf, uint32_t len)
{
    req_hdr.type = type;
    req_hdr.reserved = 0;
    req_hdr.sector = sector;
    req_status = BLK_S_NONE;

    desc[0].addr = (uintptr_t)&req_hdr;
    desc[0].len = sizeof(req_hdr);
    desc[0].flags = VRING_DESC_F_NEXT;
    desc[0].next = len ? 1 : 2;
    desc[1].addr = (uintptr_t)buf;
    desc[1].len = len;
    desc[1].flags = VRING_DESC_F_NEXT | (type == BLK_T_IN ? VRING_DESC_F_WRITE : 0);
    desc[1].next = 2;
    desc[2].addr = (uintptr_t)&req_status;
    desc[2].len = 1;
    desc[2].flags = VRING_DESC_F_WRITE;
    desc[2].next = 0;

    avail.ring[avail_idx % qnum] = 0;
    mb();
    avail_idx++;
    *(volatile uint16_t *)&avail.idx = avail_idx;
    mb();
    reg_write(VM_QUEUE_NOTIFY, 0);

    uint64_t t0 = rdtsc();
    while (*(volatile uint16_t *)&used.idx == used_seen) {
        if (rdtsc() - t0 > 30000000000ull) {
            puts_serial("virtio-blk: no completion (used.idx stays ");
            put_dec(used_seen);
            puts_serial(")\n");
            return -1;
        }
        __asm__ volatile("pause");
    }
    mb();
    struct vq_used_elem e = used.ring[used_seen % qnum];
    used_seen++;

    uint32_t isr = reg_read(VM_INT_STATUS);
    if (!irq_checked) {
        irq_checked = true;
        check(isr & 1, "virtio-blk interrupt status has the used-buffer bit",
              "InterruptStatus bit 0 clear after a completion");
    }
    reg_write(VM_INT_ACK, isr);

    if (e.id != 0) {
        puts_serial("virtio-blk: used entry names descriptor ");
        put_dec(e.id);
        puts_serial(", expected 0\n");
        return -1;
    }
    return *(volatile uint8_t *)&req_status;
}

static void print_bytes(const char *what, const uint8_t *p, size_t n)
{
    puts_serial(what);
    for (size_t i = 0; i < n; i++) {
        puts_serial(" ");
        put_hex(p[i], 2);
    }
    puts_serial("\n");
}

static bool blk_setup(uint64_t *features_out)
{
    reg_write(VM_STATUS, 0);
    if (!check(reg_read(VM_STATUS) == 0, "virtio-blk reset", "status not 0 after writing 0")) {
        return false;
    }
    reg_write(VM_STATUS, ST_ACKNOWLEDGE);
    reg_write(VM_STATUS, ST_ACKNOWLEDGE | ST_DRIVER);

    reg_write(VM_DEVICE_FEAT_SEL, 1);
    uint64_t features = (uint64_t)reg_read(VM_DEVICE_FEATURES) << 32;
    reg_write(VM_DEVICE_FEAT_SEL, 0);
    features |= reg_read(VM_DEVICE_FEATURES);
    put_kv_hex("virtio-blk: device features", features);
    puts_serial("\n");
    if (!check(features & F_VERSION_1, "virtio-blk offers VIRTIO_F_VERSION_1",
               "feature bit 32 clear")) {
        reg_write(VM_STATUS, ST_FAILED);
        return false;
    }
    check(!(features & F_BLK_RO), "virtio-blk is writable", "VIRTIO_BLK_F_RO offered");
    uint64_t accept = F_VERSION_1 | (features & F_BLK_FLUSH);
    reg_write(VM_DRIVER_FEAT_SEL, 1);
    reg_write(VM_DRIVER_FEATURES, (uint32_t)(accept >> 32));
    reg_write(VM_DRIVER_FEAT_SEL, 0);
    reg_write(VM_DRIVER_FEATURES, (uint32_t)accept);
    reg_write(VM_STATUS, ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK);
    if (!check(reg_read(VM_STATUS) & ST_FEATURES_OK, "virtio-blk accepts the features",
               "FEATURES_OK not kept")) {
        reg_write(VM_STATUS, ST_FAILED);
        return false;
    }
    *features_out = accept;

    reg_write(VM_QUEUE_SEL, 0);
    uint32_t max = reg_read(VM_QUEUE_NUM_MAX);
    puts_serial("virtio-blk: queue 0 max size ");
    put_dec(max);
    puts_serial("\n");
    if (!check(reg_read(VM_QUEUE_READY) == 0 && max >= 3, "virtio-blk queue 0 available",
               "QueueReady set before setup, or QueueNumMax < 3")) {
        reg_write(VM_STATUS, ST_FAILED);
        return false;
    }
    qnum = (uint16_t)(max < QSZ ? max : QSZ);
    reg_write(VM_QUEUE_NUM, qnum);
    reg_write(VM_QUEUE_DESC_LO, (uint32_t)(uintptr_t)desc);
    reg_write(VM_QUEUE_DESC_HI, (uint32_t)((uint64_t)(uintptr_t)desc >> 32));
    reg_write(VM_QUEUE_DRIVER_LO, (uint32_t)(uintptr_t)&avail);
    reg_write(VM_QUEUE_DRIVER_HI, (uint32_t)((uint64_t)(uintptr_t)&avail >> 32));
    reg_write(VM_QUEUE_DEVICE_LO, (uint32_t)(uintptr_t)&used);
    reg_write(VM_QUEUE_DEVICE_HI, (uint32_t)((uint64_t)(uintptr_t)&used >> 32));
    reg_write(VM_QUEUE_READY, 1);
    if (!check(reg_read(VM_QUEUE_READY) == 1, "virtio-blk queue 0 ready", "QueueReady reads 0")) {
        reg_write(VM_STATUS, ST_FAILED);
        return false;
    }
    reg_write(VM_STATUS, ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
    uint32_t st = reg_read(VM_STATUS);
    return check(!(st & (ST_NEEDS_RESET | ST_FAILED)) && (st & ST_DRIVER_OK),
                 "virtio-blk driver ok", "status shows NEEDS_RESET/FAILED or lost DRIVER_OK");
}

static uint64_t blk_capacity(void)
{
    uint32_t gen, lo, hi;
    int tries = 0;
    do {
        gen = reg_read(VM_CONFIG_GEN);
        lo = reg_read(VM_CONFIG + 0);
        hi = reg_read(VM_CONFIG + 4);
    } while (gen != reg_read(VM_CONFIG_GEN) && ++tries < 100);
    return ((uint64_t)hi << 32) | lo;
}

static void blk_checks(void)
{
    uint64_t features = 0;
    if (!blk_setup(&features)) {
        return;
    }
    uint64_t cap = blk_capacity();
    puts_serial("virtio-blk: capacity ");
    put_dec(cap);
    puts_serial(" sectors\n");
    if (!check(cap >= MULTI + 1, "virtio-blk capacity", "fewer than 9 sectors")) {
        return;
    }

    /* sector 0: whatever the host put there; the runner checks the sum */
    memset(buf_a, 0xcc, SECTOR);
    int st = blk_request(BLK_T_IN, 0, buf_a, SECTOR);
    if (check(st == BLK_S_OK, "virtio-blk read sector 0", "request failed")) {
        print_bytes("virtio-blk: sector 0 first 16 bytes:", buf_a, 16);
        puts_serial("virtio-blk: sector 0 fnv1a32=0x");
        put_hex(fnv1a32(buf_a, SECTOR), 8);
        puts_serial("\n");
    }
    memcpy(buf_b, buf_a, SECTOR);   /* kept for the multi-sector read */

    /* sector 1: the pattern, written, flushed, read back */
    static uint8_t pattern[SECTOR];
    sector1_pattern(pattern);
    memcpy(buf_a, pattern, SECTOR);
    st = blk_request(BLK_T_OUT, 1, buf_a, SECTOR);
    check(st == BLK_S_OK, "virtio-blk write sector 1", "request failed");
    if (features & F_BLK_FLUSH) {
        st = blk_request(BLK_T_FLUSH, 0, 0, 0);
        check(st == BLK_S_OK, "virtio-blk flush", "request failed");
    } else {
        puts_serial("virtio-blk: no VIRTIO_BLK_F_FLUSH, flush skipped\n");
    }
    memset(buf_a, 0, SECTOR);
    st = blk_request(BLK_T_IN, 1, buf_a, SECTOR);
    check(st == BLK_S_OK && memcmp(buf_a, pattern, SECTOR) == 0,
          "virtio-blk read back sector 1", "request failed or data differs");

    /* eight sectors in one request: 0 and 1 must match what we know */
    memset(buf_a, 0xcc, sizeof(buf_a));
    st = blk_request(BLK_T_IN, 0, buf_a, MULTI * SECTOR);
    check(st == BLK_S_OK && memcmp(buf_a, buf_b, SECTOR) == 0 &&
          memcmp(buf_a + SECTOR, pattern, SECTOR) == 0,
          "virtio-blk read 8 sectors in one request", "request failed or data differs");

    /* past the end: must fail with an error status, not succeed */
    st = blk_request(BLK_T_IN, cap, buf_b, SECTOR);
    puts_serial("virtio-blk: read at sector ");
    put_dec(cap);
    puts_serial(" (past the end) status ");
    put_dec((uint64_t)(st < 0 ? 999 : st));
    puts_serial("\n");
    check(st >= 0 && st != BLK_S_OK && st != BLK_S_NONE, "virtio-blk read past the end fails",
          "status OK, never written, or no completion");

    reg_write(VM_STATUS, 0);
    check(reg_read(VM_STATUS) == 0, "virtio-blk reset at the end", "status not 0");
}

bool virtio_mmio_probe(uintptr_t base, uint64_t size, unsigned irq)
{
    vbase = base;
    uint32_t magic = reg_read(VM_MAGIC);
    uint32_t version = reg_read(VM_VERSION);
    uint32_t id = reg_read(VM_DEVICE_ID);
    puts_serial("virtio-mmio @0x");
    put_hex(base, 8);
    puts_serial(": magic=0x");
    put_hex(magic, 8);
    puts_serial(" version=");
    put_dec(version);
    puts_serial(" device=");
    put_dec(id);
    puts_serial(" vendor=0x");
    put_hex(reg_read(VM_VENDOR_ID), 8);
    puts_serial(" irq=");
    put_dec(irq);
    puts_serial("\n");
    if (!check(magic == VIRTIO_MAGIC, "virtio-mmio magic", "not 0x74726976")) {
        return false;
    }
    if (!check(version == 2, "virtio-mmio version 2 (modern)", "legacy or unknown transport")) {
        return false;
    }
    if (id != VIRTIO_ID_BLOCK) {
        puts_serial(id ? "virtio-mmio: not a block device, skipped\n"
                       : "virtio-mmio: no device behind this transport\n");
        return false;
    }
    (void)size;
    avail_idx = 0;
    used_seen = 0;
    irq_checked = false;
    memset(desc, 0, sizeof(desc));
    memset(&avail, 0, sizeof(avail));
    memset(&used, 0, sizeof(used));
    blk_checks();
    return true;
}
