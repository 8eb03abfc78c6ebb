/*
 * x86-microvm.c — the microvm board on KVM: guest RAM and its KVM slots,
 * the devices (COM1, i8042, CMOS RTC, virtio-mmio) on the port-I/O table
 * and the MMIO address space, interrupt lines into KVM's irqchip, the
 * kernel command line with the virtio devices, and the run/reset cycle.
 *
 * The one thing to know: a reboot builds a fresh VM (new VM and vCPU file
 * descriptors, RAM dropped to zeroes, images loaded again) around the same
 * devices, reset; so nothing of the old guest's CPU or irqchip state can
 * leak into the new one. Device callbacks all run under m->lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "accel/kvm/kvm-vcpu-loop.h"
#include "accel/kvm/kvm.h"
#include "accel/kvm/x86-boot.h"
#include "accel/kvm/x86-cpu.h"
#include "accel/kvm/x86-ioport.h"
#include "accel/kvm/x86-microvm.h"
#include "accel/kvm/x86-mptable.h"
#include "hw/char/uart16550.h"
#include "hw/misc/cmos-rtc.h"
#include "hw/misc/i8042.h"
#include "hw/virtio/virtio-blk.h"
#include "hw/virtio/virtio-net.h"
#include "hw/virtio/virtio-rng.h"
#include "mimic/block.h"
#include "mimic/event-loop.h"
#include "mimic/log.h"
#include "mimic/memory.h"
#include "mimic/net.h"
#include "system/drive.h"

#define PROG "mimic-system-x86_64"

typedef enum MicrovmRequest {
    REQ_NONE,
    REQ_RESET,    /* i8042 reset, triple fault, KVM reset event */
    REQ_POWEROFF, /* KVM poweroff event */
    REQ_HALTED,   /* every vCPU halted with interrupts off */
    REQ_QUIT,     /* Ctrl-a x */
    REQ_FAILED,   /* a vCPU could not go on (already reported) */
} MicrovmRequest;

typedef struct MicrovmSlot {
    Microvm *m;
    unsigned irq;
} MicrovmSlot;

struct Microvm {
    MicrovmConfig cfg;
    KVMState kvm;
    bool vm_open;
    AddressSpace as;
    IOPortSpace io;
    pthread_mutex_t lock;   /* the machine lock */
    pthread_cond_t changed; /* request set */
    UART16550 uart;
    I8042 kbd;
    CMOSRTC rtc;
    /* Per device (cfg.devices order). */
    BlockDriverState *bs[MICROVM_VIRTIO_COUNT];
    VirtIOBlock blk[MICROVM_VIRTIO_COUNT];
    VirtioNet *net[MICROVM_VIRTIO_COUNT];
    VirtIORNG rng[MICROVM_VIRTIO_COUNT];
    VirtIODevice *vdev[MICROVM_VIRTIO_COUNT];
    /* Per transport. */
    VirtIODevice empty[MICROVM_VIRTIO_COUNT];
    MicrovmSlot slots[MICROVM_VIRTIO_COUNT];
    char *cmdline;          /* -append and the devices' virtio_mmio.device= */
    bool pvm;               /* /dev/kvm is PVM's and the fixups are on */
    EventLoop *el;
    KVMVcpuThread cpus[MICROVM_MAX_CPUS];
    KVMVcpuHooks hooks;
    MicrovmRequest request;
    int exit_status;
};

static void microvm_lock(void *opaque)
{
    pthread_mutex_lock(&((Microvm *)opaque)->lock);
}

static void microvm_unlock(void *opaque)
{
    pthread_mutex_unlock(&((Microvm *)opaque)->lock);
}

/* Records why the run ends (the first reason wins) and wakes the main
 * thread, which stops the vCPUs (lock held). */
static void microvm_request(Microvm *m, MicrovmRequest r, int status)
{
    if (m->request == REQ_NONE) {
        m->request = r;
        m->exit_status = status;
        pthread_cond_broadcast(&m->changed);
    }
    for (unsigned i = 0; i < m->cfg.nb_cpus; i++) {
        __atomic_store_n(&m->cpus[i].stop, 1, __ATOMIC_RELEASE);
        kvm_vcpu_kick(&m->cpus[i]);
    }
}

/* ---- interrupts: every line ends in KVM_IRQ_LINE ---- */

static void microvm_isa_irq(void *opaque, int n, int level)
{
    Microvm *m = opaque;
    if (m->vm_open) {
        kvm_set_irq(&m->kvm, (unsigned)n, level);
    }
}

static void microvm_virtio_irq(void *opaque, int level)
{
    MicrovmSlot *slot = opaque;
    microvm_isa_irq(slot->m, (int)slot->irq, level);
}

/* ---- COM1 and its chardev ---- */

static size_t serial_can_receive(void *opaque)
{
    return uart16550_can_receive(&((Microvm *)opaque)->uart);
}

static size_t serial_receive(void *opaque, const uint8_t *buf, size_t len)
{
    return uart16550_receive(&((Microvm *)opaque)->uart, buf, len);
}

static const ChardevFrontend serial_frontend = {
    .can_receive = serial_can_receive,
    .receive = serial_receive,
};

static uint64_t com1_read(void *opaque, uint64_t offset, unsigned size)
{
    Microvm *m = opaque;
    uint64_t v = uart16550_ops.read(&m->uart, offset, size);
    if (offset == 0 && m->cfg.serial) {
        chardev_accept_input(m->cfg.serial);
    }
    return v;
}

static void com1_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    uart16550_ops.write(&((Microvm *)opaque)->uart, offset, value, size);
}

static const MemoryRegionOps com1_ops = { .read = com1_read, .write = com1_write };

static void com1_output(void *opaque, uint8_t byte)
{
    Microvm *m = opaque;
    if (m->cfg.serial) {
        chardev_write(m->cfg.serial, &byte, 1);
    }
}

static void serial_quit(void *opaque)
{
    microvm_request(opaque, REQ_QUIT, 0);
}

static void kbd_reset(void *opaque)
{
    microvm_request(opaque, REQ_RESET, 0);
}

static int64_t realtime_s(void)
{
    return (int64_t)time(NULL);
}

/* ---- vCPU exits ---- */

static void microvm_pio(void *opaque, uint16_t port, bool is_write, uint8_t *data,
                        unsigned size)
{
    Microvm *m = opaque;
    pthread_mutex_lock(&m->lock);
    if (is_write) {
        uint32_t v = 0;
        memcpy(&v, data, size);
        ioport_write(&m->io, port, v, size);
    } else {
        uint32_t v = ioport_read(&m->io, port, size);
        memcpy(data, &v, size);
    }
    pthread_mutex_unlock(&m->lock);
}

static void microvm_mmio(void *opaque, uint64_t addr, bool is_write, uint8_t *data,
                         unsigned len)
{
    Microvm *m = opaque;
    pthread_mutex_lock(&m->lock);
    const MemoryRegion *mr = address_space_lookup(&m->as, addr);
    bool ok = mr && !mr->ram && (len == 1 || len == 2 || len == 4 || len == 8) &&
              len <= mr->size - (addr - mr->base);
    if (ok && is_write) {
        uint64_t v = 0;
        memcpy(&v, data, len);
        mr->ops->write(mr->opaque, addr - mr->base, v, len);
    } else if (ok) {
        uint64_t v = mr->ops->read(mr->opaque, addr - mr->base, len);
        memcpy(data, &v, len);
    } else {
        if (log_enabled(LOG_UNIMP)) {
            log_printf("microvm: %s of %u bytes at 0x%llx: nothing there\n",
                       is_write ? "write" : "read", len, (unsigned long long)addr);
        }
        if (!is_write) {
            memset(data, 0xff, len);
        }
    }
    pthread_mutex_unlock(&m->lock);
}

static void microvm_event(void *opaque, unsigned cpu, KVMVcpuEvent ev)
{
    Microvm *m = opaque;
    pthread_mutex_lock(&m->lock);
    switch (ev) {
    case KVM_VCPU_TRIPLE_FAULT:
        if (log_enabled(LOG_INT)) {
            log_printf("microvm: vCPU %u: triple fault\n", cpu);
        }
        microvm_request(m, REQ_RESET, 0);
        break;
    case KVM_VCPU_RESET:
        microvm_request(m, REQ_RESET, 0);
        break;
    case KVM_VCPU_POWEROFF:
        microvm_request(m, REQ_POWEROFF, 0);
        break;
    case KVM_VCPU_FAILED:
        microvm_request(m, REQ_FAILED, 1);
        break;
    }
    pthread_mutex_unlock(&m->lock);
}

/* ---- building the board ---- */

static int microvm_create_device(Microvm *m, unsigned i, char *err, size_t errlen)
{
    const MicrovmDevice *d = &m->cfg.devices[i];
    if (d->kind == MICROVM_DEV_BLK) {
        if (drive_open(d->file, d->format, d->read_only, d->snapshot, &m->bs[i], err,
                       errlen) < 0) {
            return -1;
        }
        if (virtio_blk_init(&m->blk[i], m->bs[i], d->read_only, &m->as) < 0) {
            snprintf(err, errlen, "-drive file=%s: cannot create virtio-blk", d->file);
            return -1;
        }
        m->vdev[i] = &m->blk[i].vdev;
    } else if (d->kind == MICROVM_DEV_RNG) {
        if (virtio_rng_init(&m->rng[i], &m->as) < 0) {
            snprintf(err, errlen, "-device virtio-rng-device: cannot create it");
            return -1;
        }
        m->vdev[i] = &m->rng[i].vdev;
    } else {
        const NetNicConfig *c = net_nic_get((int)d->nic);
        m->net[i] = virtio_net_create(&m->as,
                                      c->netdev[0] ? net_backend_lookup(c->netdev) : NULL,
                                      c->mac, d->nic, err, errlen);
        if (!m->net[i]) {
            return -1;
        }
        m->vdev[i] = virtio_net_vdev(m->net[i]);
    }
    return 0;
}

/* Whether the -kernel file is a Linux bzImage ("HdrS" at 0x202). */
static bool microvm_kernel_is_linux(const char *path)
{
    uint8_t hdr[0x206];
    FILE *f = fopen(path, "rb");
    bool is_linux = f && fread(hdr, 1, sizeof(hdr), f) == sizeof(hdr) &&
                 !memcmp(hdr + 0x202, "HdrS", 4);
    if (f) {
        fclose(f);
    }
    return is_linux;
}

/* The kernel command line: -append, then one virtio_mmio.device= per
 * device (before a " -- " that starts init's arguments, if any). */
static int microvm_build_cmdline(Microvm *m, char *err, size_t errlen)
{
    const char *user = m->cfg.append ? m->cfg.append : "";
    size_t cap = strlen(user) + 64 * MICROVM_VIRTIO_COUNT + sizeof(PVM_LINUX_ARGS) + 2;
    char *devs = calloc(1, cap), *out = calloc(1, cap);
    if (!devs || !out) {
        free(devs);
        free(out);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t n = 0;
    for (unsigned i = 0; m->cfg.auto_cmdline && i < m->cfg.nb_devices; i++) {
        unsigned slot = MICROVM_VIRTIO_COUNT - 1 - i;
        n += (size_t)snprintf(devs + n, cap - n, " virtio_mmio.device=%u@0x%llx:%u",
                              (unsigned)MICROVM_VIRTIO_STRIDE,
                              (unsigned long long)(MICROVM_VIRTIO_BASE +
                                                   slot * MICROVM_VIRTIO_STRIDE),
                              MICROVM_VIRTIO_IRQ + slot);
    }
    if (m->pvm && microvm_kernel_is_linux(m->cfg.kernel)) {
        n += (size_t)snprintf(devs + n, cap - n, " " PVM_LINUX_ARGS);
        fprintf(stderr, PROG ": KVM here is PVM (no hardware virtualization): adding '"
                PVM_LINUX_ARGS "' to the kernel command line and hiding cx16 "
                "(-M microvm,pvm-fixups=off leaves them alone)\n");
    }
    const char *dashes = strstr(user, " -- ");
    if (dashes) {
        snprintf(out, cap, "%.*s%s%s", (int)(dashes - user), user, devs, dashes);
    } else {
        snprintf(out, cap, "%s%s", user, devs);
    }
    free(devs);
    /* No leading blank when there is no -append. */
    if (out[0] == ' ') {
        memmove(out, out + 1, strlen(out));
    }
    m->cmdline = out;
    return 0;
}

static int microvm_build_devices(Microvm *m, char *err, size_t errlen)
{
    uart16550_init(&m->uart, (IRQLine){ microvm_isa_irq, m, MICROVM_COM1_IRQ }, com1_output,
                   m);
    i8042_init(&m->kbd, (IRQLine){ microvm_isa_irq, m, MICROVM_I8042_IRQ }, kbd_reset, m);
    cmos_rtc_init(&m->rtc, realtime_s);
    if (ioport_add(&m->io, "com1", MICROVM_COM1_PORT, 8, &com1_ops, m) ||
        ioport_add(&m->io, "i8042", I8042_PORT_BASE, I8042_PORT_COUNT, &i8042_ops, &m->kbd) ||
        ioport_add(&m->io, "rtc", CMOS_RTC_PORT_BASE, CMOS_RTC_PORT_COUNT, &cmos_rtc_ops,
                   &m->rtc)) {
        snprintf(err, errlen, "cannot lay out the I/O ports");
        return -1;
    }
    if (m->cfg.networking && net_init_from_options(m->el, err, errlen) < 0) {
        return -1;
    }
    for (unsigned i = 0; i < m->cfg.nb_devices; i++) {
        if (microvm_create_device(m, i, err, errlen) < 0) {
            return -1;
        }
    }
    uint64_t low = x86_low_ram_size(m->cfg.ram_size);
    int r = address_space_add_ram(&m->as, "ram-low", 0, low);
    if (!r && m->cfg.ram_size > low) {
        r = address_space_add_ram(&m->as, "ram-high", X86_HIGH_RAM_BASE, m->cfg.ram_size - low);
    }
    if (r) {
        snprintf(err, errlen, "-m: cannot reserve %llu MiB of guest RAM: %s",
                 (unsigned long long)(m->cfg.ram_size >> 20), strerror(-r));
        return -1;
    }
    /* The first device gets the highest transport, as in QEMU's microvm. */
    for (unsigned i = 0; i < MICROVM_VIRTIO_COUNT; i++) {
        unsigned slot = MICROVM_VIRTIO_COUNT - 1 - i;
        VirtIODevice *vdev = i < m->cfg.nb_devices ? m->vdev[i] : &m->empty[slot];
        if (i >= m->cfg.nb_devices) {
            vdev->name = "virtio-mmio (empty)";
        }
        m->slots[slot] = (MicrovmSlot){ m, MICROVM_VIRTIO_IRQ + slot };
        vdev->set_irq = microvm_virtio_irq;
        vdev->irq_opaque = &m->slots[slot];
        if (address_space_add_mmio(&m->as, "virtio-mmio",
                                   MICROVM_VIRTIO_BASE + slot * MICROVM_VIRTIO_STRIDE,
                                   VIRTIO_MMIO_SIZE, &virtio_mmio_ops, vdev)) {
            snprintf(err, errlen, "cannot map the virtio-mmio transports");
            return -1;
        }
    }
    return microvm_build_cmdline(m, err, errlen);
}

/* A new VM: memory slots, vCPUs, images; the boot CPU's state. Called for
 * the first boot and for every reboot (lock not held; vCPUs not running). */
static int microvm_start_vm(Microvm *m, char *err, size_t errlen)
{
    for (unsigned i = 0; i < m->cfg.nb_cpus; i++) {
        m->cpus[i].vcpu.fd = -1;
        m->cpus[i].vcpu.run = NULL;
    }
    if (kvm_vm_create(&m->kvm, err, errlen) < 0) {
        kvm_vm_destroy(&m->kvm);
        return -1;
    }
    m->vm_open = true;
    for (int i = 0; i < m->as.nb_regions; i++) {
        const MemoryRegion *mr = &m->as.regions[i];
        if (mr->ram && kvm_vm_add_ram(&m->kvm, mr->base, mr->size, mr->ram, err, errlen) < 0) {
            return -1;
        }
    }
    X86BootConfig bc = {
        .ram_size = m->cfg.ram_size,
        .kernel = m->cfg.kernel,
        .initrd = m->cfg.initrd,
        .cmdline = m->cmdline,
    };
    X86BootState boot;
    if (x86_load_kernel(&m->as, &bc, &boot, err, errlen) < 0) {
        return -1;
    }
    if (m->cfg.nb_cpus > 1) {
        uint32_t sig = 0, features = 0;
        for (unsigned i = 0; i < m->kvm.cpuid->nent; i++) {
            if (m->kvm.cpuid->entries[i].function == 1) {
                sig = m->kvm.cpuid->entries[i].eax;
                features = m->kvm.cpuid->entries[i].edx;
            }
        }
        if (x86_write_mptable(&m->as, m->cfg.nb_cpus, sig, features, err, errlen) < 0) {
            return -1;
        }
    }
    for (unsigned i = 0; i < m->cfg.nb_cpus; i++) {
        KVMVcpuThread *t = &m->cpus[i];
        memset(t, 0, sizeof(*t));
        t->vcpu.fd = -1;
        t->s = &m->kvm;
        t->hooks = &m->hooks;
        t->as = &m->as;
        if (kvm_vcpu_create(&m->kvm, &t->vcpu, i, err, errlen) < 0 ||
            x86_cpu_setup(&m->kvm, &t->vcpu, m->cfg.nb_cpus, m->cfg.cpu_clear,
                          m->cfg.nb_cpu_clear, err, errlen) < 0) {
            return -1;
        }
    }
    return x86_cpu_set_boot_state(&m->cpus[0].vcpu, &boot, err, errlen);
}

/* Stops the vCPU threads and closes the VM. */
static void microvm_stop_vm(Microvm *m)
{
    for (unsigned i = 0; i < m->cfg.nb_cpus; i++) {
        kvm_vcpu_thread_stop(&m->cpus[i]);
    }
    pthread_mutex_lock(&m->lock);
    for (unsigned i = 0; i < m->cfg.nb_cpus; i++) {
        kvm_vcpu_destroy(&m->kvm, &m->cpus[i].vcpu);
    }
    m->vm_open = false;
    kvm_vm_destroy(&m->kvm);
    pthread_mutex_unlock(&m->lock);
}

/* Devices back to their power-on state, RAM back to zeroes (lock held). */
static void microvm_reset_devices(Microvm *m)
{
    uart16550_reset(&m->uart);
    i8042_reset(&m->kbd);
    for (unsigned i = 0; i < m->cfg.nb_devices; i++) {
        virtio_reset(m->vdev[i]);
    }
    for (int i = 0; i < m->as.nb_regions; i++) {
        const MemoryRegion *mr = &m->as.regions[i];
        if (mr->ram) {
            madvise(mr->ram, mr->size, MADV_DONTNEED); /* private anonymous: zeroes */
        }
    }
}

Microvm *microvm_create(const MicrovmConfig *cfg, char *err, size_t errlen)
{
    if (cfg->nb_cpus < 1 || cfg->nb_cpus > MICROVM_MAX_CPUS) {
        snprintf(err, errlen, "-smp: %u CPUs requested; microvm supports 1 to %d", cfg->nb_cpus,
                 MICROVM_MAX_CPUS);
        return NULL;
    }
    if (!cfg->kernel) {
        snprintf(err, errlen, "-kernel is required (microvm has no firmware)");
        return NULL;
    }
    Microvm *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    m->cfg = *cfg;
    m->kvm.kvm_fd = -1;
    m->kvm.vm_fd = -1;
    for (unsigned i = 0; i < MICROVM_MAX_CPUS; i++) {
        m->cpus[i].vcpu.fd = -1;
    }
    pthread_mutex_init(&m->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->changed, &ca);
    pthread_condattr_destroy(&ca);
    m->hooks = (KVMVcpuHooks){ microvm_pio, microvm_mmio, microvm_event, m };
    char kerr[256];
    if (kvm_open(&m->kvm, kerr, sizeof(kerr)) < 0) {
        snprintf(err, errlen, "KVM is not available: %s", kerr);
        microvm_destroy(m);
        return NULL;
    }
    for (unsigned i = 0; i < cfg->nb_cpu_need; i++) {
        if (!x86_cpu_host_has(&m->kvm, &cfg->cpu_need[i])) {
            snprintf(err, errlen, "-cpu: the host (through KVM) does not offer a requested "
                     "feature (CPUID 0x%x.%u bit mask 0x%x)", cfg->cpu_need[i].function,
                     cfg->cpu_need[i].index, cfg->cpu_need[i].mask);
            microvm_destroy(m);
            return NULL;
        }
    }
    m->pvm = cfg->pvm_fixups && kvm_host_is_pvm();
    if (m->pvm && m->cfg.nb_cpu_clear < X86_MAX_CPUID_EDITS) {
        X86CpuidEdit e;
        bool want;
        char ferr[64];
        if (x86_cpu_parse_feature("-cx16", &e, &want, ferr, sizeof(ferr)) == 1) {
            m->cfg.cpu_clear[m->cfg.nb_cpu_clear++] = e;
        }
    }
    kvm_vcpu_loop_init();
    m->el = event_loop_new();
    event_loop_set_lock(m->el, microvm_lock, microvm_unlock, m);
    if (microvm_build_devices(m, err, errlen) < 0) {
        microvm_destroy(m);
        return NULL;
    }
    /* A first VM now, so that a bad image or a KVM that cannot create
     * VMs is reported before anything runs. */
    if (microvm_start_vm(m, err, errlen) < 0) {
        microvm_destroy(m);
        return NULL;
    }
    if (cfg->serial) {
        chardev_set_quit_handler(cfg->serial, serial_quit, m);
        if (chardev_attach(cfg->serial, m->el, &serial_frontend, m) < 0) {
            snprintf(err, errlen, "-serial: the character device is already in use");
            microvm_destroy(m);
            return NULL;
        }
    }
    return m;
}

/* Every vCPU halted with interrupts disabled (or never started)? */
static bool microvm_all_halted(Microvm *m)
{
    for (unsigned i = 0; i < m->cfg.nb_cpus; i++) {
        if (!__atomic_load_n(&m->cpus[i].halted, __ATOMIC_ACQUIRE)) {
            return false;
        }
    }
    return true;
}

/* Waits for a request; once a second, samples whether the guest halted
 * for good (two samples in a row). */
static void microvm_wait(Microvm *m)
{
    unsigned halted_rounds = 0;
    pthread_mutex_lock(&m->lock);
    while (m->request == REQ_NONE) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += 1;
        if (pthread_cond_timedwait(&m->changed, &m->lock, &ts) != ETIMEDOUT) {
            continue;
        }
        halted_rounds = microvm_all_halted(m) ? halted_rounds + 1 : 0;
        if (halted_rounds >= 2) {
            microvm_request(m, REQ_HALTED, 0);
            break;
        }
        for (unsigned i = 0; i < m->cfg.nb_cpus; i++) {
            kvm_vcpu_kick(&m->cpus[i]);
        }
    }
    pthread_mutex_unlock(&m->lock);
}

int microvm_run(Microvm *m)
{
    if (event_loop_start_thread(m->el) < 0) {
        fprintf(stderr, PROG ": cannot start the I/O thread\n");
        return 1;
    }
    char err[512];
    for (;;) {
        for (unsigned i = 0; i < m->cfg.nb_cpus; i++) {
            if (kvm_vcpu_thread_start(&m->cpus[i]) < 0) {
                fprintf(stderr, PROG ": cannot start the thread of vCPU %u\n", i);
                pthread_mutex_lock(&m->lock);
                microvm_request(m, REQ_FAILED, 1);
                pthread_mutex_unlock(&m->lock);
                break;
            }
        }
        microvm_wait(m);
        microvm_stop_vm(m);
        pthread_mutex_lock(&m->lock);
        MicrovmRequest r = m->request;
        if (r == REQ_HALTED) {
            fprintf(stderr, PROG ": the guest halted with interrupts disabled on every CPU; "
                            "exiting\n");
        }
        if (r != REQ_RESET || m->cfg.no_reboot) {
            pthread_mutex_unlock(&m->lock);
            break;
        }
        m->request = REQ_NONE;
        microvm_reset_devices(m);
        pthread_mutex_unlock(&m->lock);
        if (microvm_start_vm(m, err, sizeof(err)) < 0) {
            fprintf(stderr, PROG ": reboot: %s\n", err);
            microvm_stop_vm(m);
            m->exit_status = 1;
            break;
        }
    }
    event_loop_stop_thread(m->el);
    return m->exit_status;
}

void microvm_destroy(Microvm *m)
{
    if (!m) {
        return;
    }
    if (m->el) {
        event_loop_stop_thread(m->el);
    }
    if (m->vm_open || m->kvm.vm_fd >= 0) {
        microvm_stop_vm(m);
    }
    for (unsigned i = 0; i < m->cfg.nb_devices; i++) {
        if (m->bs[i]) {
            virtio_blk_destroy(&m->blk[i]);
            bdrv_close(m->bs[i], NULL);
        }
        if (m->net[i]) {
            virtio_net_destroy(m->net[i]);
        }
        if (m->cfg.devices[i].kind == MICROVM_DEV_RNG && m->vdev[i]) {
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
        event_loop_free(m->el);
    }
    kvm_close(&m->kvm);
    address_space_destroy(&m->as);
    free(m->cmdline);
    pthread_mutex_destroy(&m->lock);
    pthread_cond_destroy(&m->changed);
    free(m);
}
