/*
 * fuzz-migration.c — libFuzzer target over the machine-state loader
 * (migration/vmstate.c) and the real device sections behind it: a hart,
 * CLINT, PLIC, UART, RTC, test finisher, a virtio-rng and an empty
 * virtio-mmio slot, over 64 KiB of "RAM" allocated to its exact size (so
 * ASan sees any write outside it).
 *
 * The one thing to know: half the inputs are raw streams; the other half
 * are edits (offset, byte) and a cut applied to a valid stream saved from
 * the same devices, so the fuzzer reaches deep into every section. The
 * devices are put back as they were before each input; a load that
 * succeeds is followed by each device's post-load update.
 */
#include <stdlib.h>
#include <string.h>

#include "hw/char/uart16550.h"
#include "hw/intc/clint.h"
#include "hw/intc/plic.h"
#include "hw/misc/goldfish-rtc.h"
#include "hw/misc/sifive-test.h"
#include "hw/virtio/virtio-rng.h"
#include "migration/vmstate.h"
#include "system/riscv-cpu-state.h"

#define RAM_SIZE (64u << 10)

static struct {
    RISCVCPU cpu;
    CLINT clint;
    PLIC plic;
    UART16550 uart;
    GoldfishRTC rtc;
    SiFiveTest test;
    VirtIORNG rng;
    VirtIODevice empty;
} dev, pristine;
static AddressSpace as;
static uint8_t *ram;
static MigMachine mm;
static uint8_t *valid;
static size_t valid_len;

static uint64_t fixed_clock(void)
{
    return 1000000000ull;
}

static void sink_irq(void *opaque, int n, int level)
{
}

static void uart_out(void *opaque, uint8_t byte)
{
}

static void add(const char *name, uint32_t instance, uint32_t version, void *obj, size_t size,
                void (*save)(void *, MigWriter *),
                int (*load)(void *, MigReader *, uint32_t, char *, size_t))
{
    mm.sections[mm.nb_sections++] = (MigSection){ name, instance, version, obj, size, save,
                                                  load };
}

static void setup(void)
{
    ram = malloc(RAM_SIZE);
    memset(ram, 0, RAM_SIZE);
    for (unsigned i = 0; i < RAM_SIZE; i += 4096 * 3) {
        ram[i] = (uint8_t)i; /* some data pages, some zero pages */
    }
    dev.cpu.priv.mhartid = 0;
    dev.cpu.priv.priv = PRV_M;
    dev.cpu.cs.pc = 0x80000000;
    clint_init(&dev.clint, 1, fixed_clock);
    dev.clint.timer_irq[0] = (IRQLine){ sink_irq, NULL, 0 };
    plic_init(&dev.plic, 2);
    uart16550_init(&dev.uart, (IRQLine){ sink_irq, NULL, 0 }, uart_out, NULL);
    goldfish_rtc_init(&dev.rtc, (IRQLine){ sink_irq, NULL, 0 }, fixed_clock);
    virtio_rng_init(&dev.rng, &as);
    dev.empty.name = "virtio-mmio (empty)";
    mm.type = "riscv64-virt";
    mm.ram_size = RAM_SIZE;
    mm.nb_cpus = 1;
    mm.ram = ram;
    add("cpu", 0, RISCV_CPU_STATE_VERSION, &dev.cpu, sizeof(dev.cpu), riscv_cpu_state_save,
        riscv_cpu_state_load);
    add("clint", 0, CLINT_STATE_VERSION, &dev.clint, sizeof(dev.clint), clint_state_save,
        clint_state_load);
    add("plic", 0, PLIC_STATE_VERSION, &dev.plic, sizeof(dev.plic), plic_state_save,
        plic_state_load);
    add("uart", 0, UART16550_STATE_VERSION, &dev.uart, sizeof(dev.uart),
        uart16550_state_save, uart16550_state_load);
    add("goldfish-rtc", 0, GOLDFISH_RTC_STATE_VERSION, &dev.rtc, sizeof(dev.rtc),
        goldfish_rtc_state_save, goldfish_rtc_state_load);
    add("sifive-test", 0, SIFIVE_TEST_STATE_VERSION, &dev.test, sizeof(dev.test),
        sifive_test_state_save, sifive_test_state_load);
    add("virtio-mmio", 7, VIRTIO_MMIO_STATE_VERSION, &dev.rng, sizeof(dev.rng),
        virtio_mmio_state_save, virtio_mmio_state_load);
    add("virtio-mmio", 6, VIRTIO_MMIO_STATE_VERSION, &dev.empty, sizeof(dev.empty),
        virtio_mmio_state_save, virtio_mmio_state_load);
    MigWriter w;
    mig_writer_init(&w, NULL, NULL);
    mig_save_header(&mm, &w);
    for (uint64_t off = 0; off < RAM_SIZE; off += MIG_PAGE_SIZE) {
        mig_save_page(&mm, &w, off);
    }
    mig_save_devices(&mm, &w);
    valid = w.buf; /* kept for the whole run */
    valid_len = w.len;
    pristine = dev;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ram) {
        setup();
    }
    if (size == 0) {
        return 0;
    }
    uint8_t *stream;
    size_t len;
    if (data[0] & 1) {
        len = size - 1;
        stream = malloc(len ? len : 1);
        memcpy(stream, data + 1, len);
    } else {
        /* byte 1-2: where to cut; then (offset: 3 bytes, value) edits */
        len = valid_len;
        if (size >= 3) {
            size_t cut = ((size_t)data[1] << 8 | data[2]) * 8;
            len = cut && cut < valid_len ? cut : valid_len;
        }
        stream = malloc(len);
        memcpy(stream, valid, len);
        for (size_t i = 3; i + 4 <= size; i += 4) {
            size_t off = ((size_t)data[i] << 16 | (size_t)data[i + 1] << 8 | data[i + 2]);
            stream[off % len] = data[i + 3];
        }
    }
    dev = pristine;
    MigReader r;
    char err[512];
    mig_reader_init_mem(&r, stream, len);
    int ret = mig_load(&mm, &r, true, err, sizeof(err));
    if (!(data[0] & 1) && size < 7 && len == valid_len && ret != 0) {
        abort(); /* the unedited stream must load: the fuzzer's base is sound */
    }
    if (ret == 0) {
        clint_update(&dev.clint);
        plic_update(&dev.plic);
        uart16550_update_irq(&dev.uart);
        goldfish_rtc_update(&dev.rtc);
        virtio_mmio_state_post_load(&dev.rng.vdev);
        virtio_mmio_state_post_load(&dev.empty);
    }
    free(stream);
    return 0;
}
