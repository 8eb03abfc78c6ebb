/*
 * riscv-virt.c — the `virt` board: memory map, devices and their interrupt
 * wiring, loading firmware / kernel / initrd / device tree, the machine
 * lock, timers and the serial console's chardev on the I/O thread.
 *
 * The one thing to know: every device callback runs under m->lock (harts
 * take it around MMIO, the event loop around its callbacks). Interrupt
 * lines end in virt_hart_irq(), which updates the hart's mip and kicks it.
 * The harts themselves run in riscv-virt-harts.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mimic/block.h"
#include "mimic/exec.h"
#include "mimic/net.h"
#include "system/drive.h"
#include "system/riscv-boot.h"
#include "system/riscv-virt-internal.h"

#define FDT_MAX_SIZE (1u << 20)

static uint64_t monotonic_ns(void)
{
    return (uint64_t)event_clock_ns();
}

static uint64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void virt_lock(void *opaque)
{
    pthread_mutex_lock(&((VirtMachine *)opaque)->lock);
}

void virt_unlock(void *opaque)
{
    pthread_mutex_unlock(&((VirtMachine *)opaque)->lock);
}

static uint64_t virt_read_time(void *opaque)
{
    return clint_mtime(&((VirtMachine *)opaque)->clint);
}

void virt_kick(VirtMachine *m, unsigned hart)
{
    __atomic_store_n(&m->harts[hart]->cs.exit_request, 1, __ATOMIC_RELEASE);
    m->hart_events[hart]++;
    pthread_cond_broadcast(&m->wake);
}

/* Sets a device-driven mip bit of hart; kicks the hart when it rises
 * (lines may repeat a level: only a change matters). */
static void virt_set_hart_irq(VirtMachine *m, unsigned hart, unsigned irq, bool level)
{
    RISCVPrivState *s = &m->harts[hart]->priv;
    bool was = (s->mip_hw >> irq) & 1;
    riscv_priv_set_irq(s, irq, level);
    if (level && !was) {
        virt_kick(m, hart);
    }
}

/* Sink of every interrupt line into a hart: n = hart * 16 + mip bit. */
static void virt_hart_irq(void *opaque, int n, int level)
{
    virt_set_hart_irq(opaque, (unsigned)n / 16, (unsigned)n % 16, level != 0);
}

static void virt_virtio_irq(void *opaque, int level)
{
    VirtSlot *slot = opaque;
    plic_set_source(&slot->m->plic, (int)(VIRT_VIRTIO_IRQ + slot->index), level);
}

/* ---- timers: CLINT mtimecmp, Sstc stimecmp, the RTC alarm ---- */

void virt_sync_timers(VirtMachine *m)
{
    clint_update(&m->clint);
    goldfish_rtc_update(&m->rtc);
    /* After the updates, a deadline that has passed is already reflected
     * in the interrupt lines and needs no timer until the guest changes
     * it (which brings the hart back here). */
    uint64_t now = monotonic_ns(), deadline = UINT64_MAX;
    uint64_t rtc = goldfish_rtc_deadline_ns(&m->rtc), real = realtime_ns();
    if (rtc != UINT64_MAX && rtc > real) {
        deadline = now + (rtc - real);
    }
    for (unsigned h = 0; h < m->cfg.nb_harts; h++) {
        uint64_t d = clint_deadline_ns(&m->clint, h); /* 0: due, already raised */
        if (d != 0 && d < deadline) {
            deadline = d;
        }
        RISCVPrivState *s = &m->harts[h]->priv;
        if (s->menvcfg & MENVCFG_STCE) {
            /* Same conversion as the CLINT's own: the deadline of an
             * unchanged stimecmp stays the same, so the timer is not
             * re-armed on every pass. */
            uint64_t ds = clint_time_deadline_ns(&m->clint, s->stimecmp);
            virt_set_hart_irq(m, h, IRQ_S_TIMER, ds == 0);
            if (ds != 0 && ds < deadline) {
                deadline = ds;
            }
        }
    }
    if (deadline != m->timer_deadline) {
        m->timer_deadline = deadline;
        if (deadline == UINT64_MAX) {
            event_timer_del(m->timer);
        } else {
            event_timer_mod(m->timer, (int64_t)(deadline > INT64_MAX ? INT64_MAX : deadline));
        }
    }
}

static void virt_timer_fired(void *opaque)
{
    VirtMachine *m = opaque;
    m->timer_deadline = UINT64_MAX; /* one-shot: re-armed below if needed */
    if (m->pause_req) {
        return; /* stopped: no guest interrupts; cont re-arms it */
    }
    virt_sync_timers(m);
}

/* ---- console: the UART's host end is a chardev (-serial) ---- */

static size_t virt_serial_can_receive(void *opaque)
{
    return uart16550_can_receive(&((VirtMachine *)opaque)->uart);
}

static size_t virt_serial_receive(void *opaque, const uint8_t *buf, size_t len)
{
    return uart16550_receive(&((VirtMachine *)opaque)->uart, buf, len);
}

static const ChardevFrontend virt_serial_frontend = {
    .can_receive = virt_serial_can_receive,
    .receive = virt_serial_receive,
};

/* The UART's registers; a read of RBR makes room in the FIFO, so held-back
 * input may flow again. */
static uint64_t virt_uart_read(void *opaque, uint64_t offset, unsigned size)
{
    VirtMachine *m = opaque;
    uint64_t v = uart16550_ops.read(&m->uart, offset, size);
    if (offset == 0 && m->cfg.serial) {
        chardev_accept_input(m->cfg.serial);
    }
    return v;
}

static void virt_uart_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    uart16550_ops.write(&((VirtMachine *)opaque)->uart, offset, value, size);
}

static const MemoryRegionOps virt_uart_ops = { .read = virt_uart_read, .write = virt_uart_write };

static void virt_uart_output(void *opaque, uint8_t byte)
{
    VirtMachine *m = opaque;
    if (m->cfg.serial) {
        chardev_write(m->cfg.serial, &byte, 1);
    }
}

/* Ctrl-a x (lock held). */
static void virt_serial_quit(void *opaque)
{
    virt_request_shutdown(opaque, 0, false, "host-ui");
}

/* ---- building the board ---- */

static int add_mmio(VirtMachine *m, const char *name, uint64_t base, uint64_t size,
                    const MemoryRegionOps *ops, void *opaque, char *err, size_t errlen)
{
    int r = address_space_add_mmio(&m->as, name, base, size, ops, opaque);
    if (r) {
        snprintf(err, errlen, "cannot map %s: %s", name, strerror(-r));
    }
    return r;
}

/* Creates the device of cfg.devices[i]. */
static int virt_create_device(VirtMachine *m, unsigned i, char *err, size_t errlen)
{
    const VirtDevice *d = &m->cfg.devices[i];
    if (d->kind == VIRT_DEV_BLK) {
        const VirtDrive *dr = &d->drive;
        int r = dr->incoming && !dr->snapshot
                    ? drive_open_incoming(dr->file, dr->format, dr->read_only, &m->bs[i], err,
                                          errlen)
                    : drive_open(dr->file, dr->format, dr->read_only, dr->snapshot, &m->bs[i],
                                 err, errlen);
        if (r < 0) {
            return -1;
        }
        if (virtio_blk_init(&m->blk[i], m->bs[i], dr->read_only, &m->as) < 0) {
            snprintf(err, errlen, "-drive file=%s: cannot create virtio-blk", dr->file);
            return -1;
        }
        m->vdev[i] = &m->blk[i].vdev;
        return 0;
    }
    if (d->kind == VIRT_DEV_RNG) {
        if (virtio_rng_init(&m->rng[i], &m->as) < 0) {
            snprintf(err, errlen, "-device virtio-rng-device: cannot create it");
            return -1;
        }
        m->vdev[i] = &m->rng[i].vdev;
        return 0;
    }
    if (d->kind == VIRT_DEV_CONSOLE) {
        if (virtio_console_init(&m->con[i], d->chardev, m->el, &m->as, 0, 0) < 0) {
            snprintf(err, errlen, "-device virtconsole: cannot attach its character device");
            return -1;
        }
        m->has_con[i] = true;
        m->vdev[i] = &m->con[i].vdev;
        return 0;
    }
    const NetNicConfig *c = net_nic_get((int)d->nic);
    m->net[i] = virtio_net_create(&m->as, c->netdev[0] ? net_backend_lookup(c->netdev) : NULL,
                                  c->mac, d->nic, err, errlen);
    if (!m->net[i]) {
        return -1;
    }
    m->vdev[i] = virtio_net_vdev(m->net[i]);
    return 0;
}

static int virt_build_devices(VirtMachine *m, char *err, size_t errlen)
{
    unsigned n = m->cfg.nb_harts;
    clint_init(&m->clint, n, monotonic_ns);
    plic_init(&m->plic, 2 * n);
    for (unsigned h = 0; h < n; h++) {
        m->clint.software_irq[h] = (IRQLine){ virt_hart_irq, m, (int)(h * 16 + IRQ_M_SOFT) };
        m->clint.timer_irq[h] = (IRQLine){ virt_hart_irq, m, (int)(h * 16 + IRQ_M_TIMER) };
        m->plic.context_irq[2 * h] = (IRQLine){ virt_hart_irq, m, (int)(h * 16 + IRQ_M_EXT) };
        m->plic.context_irq[2 * h + 1] = (IRQLine){ virt_hart_irq, m, (int)(h * 16 + IRQ_S_EXT) };
    }
    uart16550_init(&m->uart, (IRQLine){ plic_set_source, &m->plic, VIRT_UART0_IRQ },
                   virt_uart_output, m);
    goldfish_rtc_init(&m->rtc, (IRQLine){ plic_set_source, &m->plic, VIRT_RTC_IRQ }, realtime_ns);
    if (m->cfg.networking && net_init_from_options(m->el, err, errlen) < 0) {
        return -1;
    }
    for (unsigned i = 0; i < m->cfg.nb_devices; i++) {
        if (virt_create_device(m, i, err, errlen) < 0) {
            return -1;
        }
    }
    int r = address_space_add_ram(&m->as, "mrom", RISCV_MROM_BASE, RISCV_MROM_SIZE);
    r = r ? r : address_space_add_ram(&m->as, "ram", VIRT_DRAM_BASE, m->cfg.ram_size);
    address_space_set_readonly(&m->as, RISCV_MROM_BASE);
    if (r) {
        snprintf(err, errlen, "-m: cannot allocate %llu MiB of guest RAM: %s",
                 (unsigned long long)(m->cfg.ram_size >> 20), strerror(-r));
        return -1;
    }
    /* Code is tracked per RAM page: writes other than the harts' own go
     * through this hook so the translations of the page are dropped. */
    if (exec_code_pages_init(VIRT_DRAM_BASE + m->cfg.ram_size) < 0) {
        snprintf(err, errlen, "-m: cannot allocate the code page map");
        return -1;
    }
    m->as.write_hook = exec_code_write;
    if (add_mmio(m, "test", VIRT_TEST_BASE, SIFIVE_TEST_MMIO_SIZE, &sifive_test_ops, &m->test,
                 err, errlen) ||
        add_mmio(m, "rtc", VIRT_RTC_BASE, GOLDFISH_RTC_MMIO_SIZE, &goldfish_rtc_ops, &m->rtc,
                 err, errlen) ||
        add_mmio(m, "clint", VIRT_CLINT_BASE, CLINT_MMIO_SIZE, &clint_ops, &m->clint, err,
                 errlen) ||
        add_mmio(m, "plic", VIRT_PLIC_BASE, PLIC_MMIO_SIZE, &plic_ops, &m->plic, err, errlen) ||
        add_mmio(m, "uart0", VIRT_UART0_BASE, UART16550_MMIO_SIZE, &virt_uart_ops, m, err,
                 errlen)) {
        return -1;
    }
    /* Devices fill the slots from the top, as QEMU's virt does: the first
     * one gets the highest address (the first disk is Linux's vda). */
    for (unsigned i = 0; i < VIRT_VIRTIO_COUNT; i++) {
        unsigned slot = VIRT_VIRTIO_COUNT - 1 - i;
        VirtIODevice *vdev = i < m->cfg.nb_devices ? m->vdev[i] : &m->empty[slot];
        if (i >= m->cfg.nb_devices) {
            vdev->name = "virtio-mmio (empty)";
        }
        m->slots[slot] = (VirtSlot){ m, slot };
        vdev->set_irq = virt_virtio_irq;
        vdev->irq_opaque = &m->slots[slot];
        if (add_mmio(m, "virtio-mmio", VIRT_VIRTIO_BASE + slot * VIRT_VIRTIO_STRIDE,
                     VIRTIO_MMIO_SIZE, &virtio_mmio_ops, vdev, err, errlen)) {
            return -1;
        }
    }
    return 0;
}

/* Puts "OPTION " before a loader's message (which names the file). */
static int option_error(const char *option, char *err, size_t errlen)
{
    char msg[512];
    snprintf(msg, sizeof(msg), "%s %s", option, err);
    snprintf(err, errlen, "%s", msg);
    return -1;
}

/* -M virt,dumpdtb=FILE: the device tree the guest would get, as QEMU writes it. */
static int virt_dump_dtb(const char *path, const uint8_t *fdt, size_t size, char *err,
                         size_t errlen)
{
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(fdt, 1, size, f) == size;
    if (f && fclose(f) != 0) {
        ok = false;
    }
    if (!ok) {
        snprintf(err, errlen, "-M virt,dumpdtb=%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Loads firmware, kernel, initrd and device tree, and writes the ROM. */
static int virt_load(VirtMachine *m, char *err, size_t errlen)
{
    const VirtConfig *c = &m->cfg;
    uint64_t fw_entry = VIRT_DRAM_BASE, fw_end = VIRT_DRAM_BASE;
    const char *bios = c->bios ? c->bios : VIRT_DEFAULT_BIOS;
    bool have_bios = strcmp(bios, "none") != 0;
    if (have_bios) {
        if (!c->bios && access(bios, R_OK) != 0) {
            snprintf(err, errlen, "no -bios given and the default firmware %s is missing "
                     "(install Debian's opensbi package, or use -bios none)", bios);
            return -1;
        }
        if (riscv_load_image(&m->as, bios, VIRT_DRAM_BASE, &fw_entry, &fw_end, err, errlen)) {
            return option_error("-bios", err, errlen);
        }
    }
    uint64_t kernel_entry = 0, kernel_end = fw_end;
    if (c->kernel) {
        uint64_t at = have_bios ? riscv_kernel_start(fw_end) : VIRT_DRAM_BASE;
        if (riscv_load_kernel(&m->as, c->kernel, at, &kernel_entry, &kernel_end, err, errlen)) {
            return option_error("-kernel", err, errlen);
        }
        if (!have_bios) {
            fw_entry = kernel_entry;
        }
    } else if (!have_bios) {
        snprintf(err, errlen, "-bios none needs -kernel");
        return -1;
    }
    VirtFdtConfig fc = {
        .nb_harts = c->nb_harts,
        .ram_size = c->ram_size,
        .isa = "rv64imafdc_zicsr_zifencei_zihintpause_zba_zbb_zbs_sstc",
        .mmu_type = "riscv,sv57",
        .bootargs = c->append,
    };
    if (c->initrd) {
        if (!c->kernel) {
            snprintf(err, errlen, "-initrd needs -kernel");
            return -1;
        }
        if (riscv_load_initrd(&m->as, c->initrd, VIRT_DRAM_BASE, c->ram_size, kernel_end,
                              &fc.initrd_start, &fc.initrd_end, err, errlen)) {
            return option_error("-initrd", err, errlen);
        }
    }
    uint8_t *fdt = calloc(1, FDT_MAX_SIZE);
    size_t fdt_size;
    if (!fdt) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (c->dtb) {
        int fd = open(c->dtb, O_RDONLY);
        ssize_t n = fd < 0 ? -1 : read(fd, fdt, FDT_MAX_SIZE);
        if (fd >= 0) {
            close(fd);
        }
        if (n <= 0) {
            snprintf(err, errlen, "-dtb %s: %s", c->dtb, n < 0 ? strerror(errno) : "empty file");
            free(fdt);
            return -1;
        }
        fdt_size = (size_t)n;
    } else {
        int r = virt_fdt_build(&fc, fdt, FDT_MAX_SIZE);
        if (r) {
            snprintf(err, errlen, "cannot build the device tree: %s", strerror(-r));
            free(fdt);
            return -1;
        }
        fdt_size = (size_t)__builtin_bswap32(*(uint32_t *)(fdt + 4)); /* totalsize */
    }
    if (c->dumpdtb && virt_dump_dtb(c->dumpdtb, fdt, fdt_size, err, errlen)) {
        free(fdt);
        return -1;
    }
    uint64_t fdt_addr = riscv_fdt_addr(VIRT_DRAM_BASE, c->ram_size, fdt_size);
    int r = address_space_write(&m->as, fdt_addr, fdt, fdt_size);
    free(fdt);
    if (r) {
        snprintf(err, errlen, "the device tree does not fit in guest RAM");
        return -1;
    }
    uint64_t next = c->kernel ? kernel_entry : riscv_kernel_start(fw_end);
    if (riscv_setup_rom(&m->as, fw_entry, fdt_addr, next)) {
        snprintf(err, errlen, "cannot write the reset ROM");
        return -1;
    }
    return 0;
}

static void virt_reset_harts(VirtMachine *m)
{
    for (unsigned h = 0; h < m->cfg.nb_harts; h++) {
        riscv_sys_cpu_init(m->harts[h], &m->sysctx, h, RISCV_MROM_BASE);
    }
}

int virt_reset(VirtMachine *m, char *err, size_t errlen)
{
    uart16550_reset(&m->uart);
    for (unsigned i = 0; i < m->cfg.nb_devices; i++) {
        virtio_reset(m->vdev[i]);
    }
    m->test.request = SIFIVE_TEST_NONE;
    for (unsigned h = 0; h < m->cfg.nb_harts; h++) {
        riscv_sys_cpu_reset(m->harts[h], h, RISCV_MROM_BASE);
    }
    /* The interrupt controllers start afresh too (keeping their wiring): an
     * interrupt the old kernel had claimed but not completed would
     * otherwise stay blocked in the PLIC for the new one (its UART would
     * never interrupt again), and old mtimecmp/msip values would fire. */
    PLIC old_plic = m->plic;
    plic_init(&m->plic, old_plic.nb_contexts);
    memcpy(m->plic.context_irq, old_plic.context_irq, sizeof(old_plic.context_irq));
    for (int n = 1; n < PLIC_NUM_SOURCES; n++) {
        if ((old_plic.level[n / 32] >> (n % 32)) & 1) {
            plic_set_source(&m->plic, n, 1); /* a line still high is pending again */
        }
    }
    CLINT old_clint = m->clint;
    clint_init(&m->clint, old_clint.nb_harts, old_clint.clock_ns);
    memcpy(m->clint.software_irq, old_clint.software_irq, sizeof(old_clint.software_irq));
    memcpy(m->clint.timer_irq, old_clint.timer_irq, sizeof(old_clint.timer_irq));
    m->clint.mtime_offset = old_clint.mtime_offset; /* guest time goes on across a reset */
    clint_update(&m->clint);
    m->timer_deadline = UINT64_MAX;
    event_timer_del(m->timer);
    int r = virt_load(m, err, errlen);
    /* The images were written again over code the guest may have patched
     * since (Linux rewrites its text: alternatives, static keys), and the
     * new boot must not run translations of the old bytes. A reset is rare:
     * every translation goes, whatever the per-page tracking caught. Every
     * hart is parked. */
    exec_tb_flush();
    return r;
}

VirtMachine *virt_create(const VirtConfig *cfg, char *err, size_t errlen)
{
    if (cfg->nb_harts < 1 || cfg->nb_harts > VIRT_MAX_HARTS) {
        snprintf(err, errlen, "-smp: %u CPUs requested; the virt machine supports 1 to %d",
                 cfg->nb_harts, VIRT_MAX_HARTS);
        return NULL;
    }
    VirtMachine *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    m->cfg = *cfg;
    pthread_mutex_init(&m->lock, NULL);
    pthread_condattr_t ca; /* wfi waits against the timers' clock */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->wake, &ca);
    pthread_condattr_destroy(&ca);
    m->sysctx = (RISCVSysContext){ &m->as, virt_read_time, m, virt_lock, virt_unlock, m };
    for (unsigned h = 0; h < cfg->nb_harts; h++) {
        m->harts[h] = aligned_alloc(64, (sizeof(RISCVCPU) + 63) & ~(size_t)63);
        if (!m->harts[h]) {
            snprintf(err, errlen, "out of memory");
            virt_destroy(m);
            return NULL;
        }
    }
    virt_reset_harts(m);
    m->el = event_loop_new();
    m->timer = event_timer_new(m->el, virt_timer_fired, m);
    m->timer_deadline = UINT64_MAX;
    event_loop_set_lock(m->el, virt_lock, virt_unlock, m);
    if (virt_build_devices(m, err, errlen) < 0 || virt_load(m, err, errlen) < 0) {
        virt_destroy(m);
        return NULL;
    }
    if (cfg->serial) {
        chardev_set_quit_handler(cfg->serial, virt_serial_quit, m);
        if (chardev_attach(cfg->serial, m->el, &virt_serial_frontend, m) < 0) {
            snprintf(err, errlen, "-serial: the character device is already in use");
            virt_destroy(m);
            return NULL;
        }
    }
    return m;
}

void virt_destroy(VirtMachine *m)
{
    if (!m) {
        return;
    }
    /* Order: nothing may run callbacks while devices go (stop the I/O
     * thread first); backends free their event-loop timers and watches
     * (net, chardevs) before the loop itself goes. */
    if (m->el) {
        event_loop_stop_thread(m->el);
    }
    for (unsigned i = 0; i < m->cfg.nb_devices; i++) {
        if (m->cfg.devices[i].kind == VIRT_DEV_BLK && m->vdev[i]) {
            virtio_blk_destroy(&m->blk[i]);
        }
        bdrv_close(m->bs[i], NULL); /* NULL is fine */
        if (m->net[i]) {
            virtio_net_destroy(m->net[i]);
        }
        if (m->has_con[i]) {
            virtio_console_destroy(&m->con[i]);
        }
        if (m->cfg.devices[i].kind == VIRT_DEV_RNG && m->vdev[i]) {
            virtio_rng_destroy(&m->rng[i]);
        }
    }
    if (m->cfg.networking) {
        net_cleanup_all();
    }
    if (m->cfg.serial) {
        chardev_free(m->cfg.serial);
    }
    if (m->el) {
        event_timer_free(m->timer);
        event_loop_free(m->el);
    }
    for (unsigned h = 0; h < VIRT_MAX_HARTS; h++) {
        free(m->harts[h]);
    }
    address_space_destroy(&m->as);
    free(m);
}
