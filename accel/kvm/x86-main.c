/*
 * x86-main.c — mimic-system-x86_64's command line (qemu-system-x86_64's
 * options and spellings for `-M microvm -accel kvm`), then the machine.
 *
 * The one thing to know: options are parsed into a MicrovmConfig first
 * and checked as a whole, every error naming the option; x86-64 guests run
 * only on KVM (there is no x86-64 translator), so -accel kvm (or
 * -enable-kvm) is required.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/kvm/x86-main.h"
#include "accel/kvm/x86-microvm.h"
#include "mimic/chardev.h"
#include "mimic/log.h"
#include "mimic/net.h"
#include "system/options.h"

#define PROG "mimic-system-x86_64"

typedef struct DriveOpt {
    MicrovmDevice d;
    char id[64];
    bool is_virtio; /* if=virtio: attach now; if=none: needs a -device */
    bool attached;
} DriveOpt;

typedef struct Options {
    MicrovmConfig cfg;
    DriveOpt drives[MICROVM_VIRTIO_COUNT];
    unsigned nb_drives;
    struct {
        MicrovmDeviceKind kind;
        unsigned index; /* drive or NIC */
    } order[MICROVM_VIRTIO_COUNT];
    unsigned nb_order;
    bool kvm;
    bool snapshot;
    bool nographic;
    const char *serial;
    Chardev *chardevs[8];
    unsigned nb_chardevs;
} Options;


static void usage(FILE *f)
{
    fprintf(f,
        "usage: " PROG " -accel kvm -M microvm -kernel FILE [options]\n"
        "Runs x86-64 guests on KVM as a firmware-less microvm (QEMU's -M microvm layout,\n"
        "without ACPI).\n\n"
        "  -accel kvm, -enable-kvm   the accelerator (required: x86-64 runs only on KVM)\n"
        "  -M, -machine microvm[,acpi=off][,auto-kernel-cmdline=on|off][,pvm-fixups=on|off]\n"
        "                        the machine (pvm-fixups: see docs/kvm.md)\n"
        "  -m SIZE               RAM (default 128M; suffixes K, M, G)\n"
        "  -smp N                vCPUs, 1 to %d, each on its own host thread\n"
        "  -cpu host[,-FEAT...]  the host's CPU as KVM offers it (the only model); -FEAT or\n"
        "                        FEAT=off hides a feature (e.g. -cpu host,-cx16,-xsave)\n"
        "  -kernel FILE          Linux bzImage (64-bit boot protocol) or ELF with a PVH note\n"
        "  -initrd FILE          initial ramdisk\n"
        "  -append CMDLINE       kernel command line (virtio_mmio.device= entries are added)\n"
        "  -drive file=F[,format=raw|qcow2|...][,if=virtio|none][,id=ID][,snapshot=on]"
        "[,readonly=on]\n"
        "  -device virtio-blk-device,drive=ID\n"
        "  -netdev user,id=ID[,hostfwd=tcp::HOSTPORT-:GUESTPORT...]   (also tap, socket, hubport)\n"
        "  -device virtio-net-device,netdev=ID[,mac=MAC]\n"
        "  -nic user[,hostfwd=...][,mac=MAC]   a NIC and its backend in one option\n"
        "  -device virtio-rng-device\n"
        "  -object filter-dump,id=ID,netdev=ID,file=FILE.pcap\n"
        "  -snapshot             every drive gets snapshot=on\n"
        "  -nographic            no display; COM1 on stdio\n"
        "  -serial SPEC          COM1's host end: stdio, mon:stdio (Ctrl-a h for keys), pty,\n"
        "                        file:PATH, null, none, chardev:ID (default: mon:stdio with\n"
        "                        -nographic, else stdio)\n"
        "  -chardev BACKEND,id=ID[,path=P][,mux=on]   a character device for -serial\n"
        "  -no-reboot            exit instead of rebooting (a reset or triple fault exits 0)\n"
        "  -d ITEM[,ITEM...]     log, e.g. -d unimp,int (-d help lists them); -D FILE logs to FILE\n"
        "  -h, -help             this text; -version prints the version\n",
        MICROVM_MAX_CPUS);
}




static void machine_prop(const char *opt, const char *key, const char *val, void *ctx)
{
    Options *o = ctx;
    if (!key) {
        if (!strcmp(val, "help")) {
            printf("Supported machines are:\nmicrovm              microvm (i386), on KVM\n");
            exit(0);
        }
        if (strcmp(val, "microvm")) {
            options_die("%s %s: unsupported machine (only 'microvm'; -M help)", opt, val);
        }
    } else if (!strcmp(key, "acpi")) {
        if (strcmp(val, "auto") && options_parse_bool(opt, key, val)) {
            options_die("%s: acpi=on is not supported: this microvm has no ACPI tables (acpi=off)", opt);
        }
    } else if (!strcmp(key, "auto-kernel-cmdline")) {
        o->cfg.auto_cmdline = options_parse_bool(opt, key, val);
    } else if (!strcmp(key, "pvm-fixups")) {
        o->cfg.pvm_fixups = options_parse_bool(opt, key, val);
    } else if (!strcmp(key, "pic") || !strcmp(key, "pit") || !strcmp(key, "rtc") ||
               !strcmp(key, "isa-serial")) {
        if (strcmp(val, "auto") && !options_parse_bool(opt, key, val)) {
            options_die("%s: %s=off is not supported (the device is always there)", opt, key);
        }
    } else if (!strcmp(key, "ioapic2")) {
        if (strcmp(val, "auto") && options_parse_bool(opt, key, val)) {
            options_die("%s: ioapic2=on is not supported", opt);
        }
    } else if (!strcmp(key, "x-option-roms") || !strcmp(key, "graphics")) {
        (void)options_parse_bool(opt, key, val); /* no firmware, no display: no effect */
    } else if (!strcmp(key, "accel")) {
        if (strcmp(val, "kvm")) {
            options_die("%s: accel=%s: x86-64 TCG is not implemented; use accel=kvm", opt, val);
        }
        o->kvm = true;
    } else {
        options_die("%s: unknown machine property '%s'", opt, key);
    }
}

static void drive_prop(const char *opt, const char *key, const char *val, void *ctx)
{
    DriveOpt *d = ctx;
    if (!key) {
        options_die("%s: expected key=value, got '%s'", opt, val);
    } else if (!strcmp(key, "file")) {
        d->d.file = strdup(val);
    } else if (!strcmp(key, "format")) {
        d->d.format = strdup(val);
    } else if (!strcmp(key, "if")) {
        if (strcmp(val, "virtio") && strcmp(val, "none")) {
            options_die("%s: if=%s is not supported (virtio or none)", opt, val);
        }
        d->is_virtio = !strcmp(val, "virtio");
    } else if (!strcmp(key, "id")) {
        snprintf(d->id, sizeof(d->id), "%s", val);
    } else if (!strcmp(key, "snapshot")) {
        d->d.snapshot = options_parse_bool(opt, key, val);
    } else if (!strcmp(key, "readonly")) {
        d->d.read_only = options_parse_bool(opt, key, val);
    } else if (!strcmp(key, "media") || !strcmp(key, "cache") || !strcmp(key, "aio") ||
               !strcmp(key, "discard")) {
        /* accepted for compatibility; no effect here */
    } else {
        options_die("%s: unknown option '%s'", opt, key);
    }
}

static void add_slot(Options *o, MicrovmDeviceKind kind, unsigned index, const char *what)
{
    if (o->nb_order == MICROVM_VIRTIO_COUNT) {
        options_die("%s: no free virtio-mmio transport (microvm has %d)", what, MICROVM_VIRTIO_COUNT);
    }
    o->order[o->nb_order].kind = kind;
    o->order[o->nb_order].index = index;
    o->nb_order++;
}

static void add_drive(Options *o, const char *arg)
{
    if (o->nb_drives == MICROVM_VIRTIO_COUNT) {
        options_die("-drive: at most %d drives (microvm's virtio-mmio transports)",
            MICROVM_VIRTIO_COUNT);
    }
    DriveOpt *d = &o->drives[o->nb_drives++];
    memset(d, 0, sizeof(*d));
    d->d.kind = MICROVM_DEV_BLK;
    d->is_virtio = true;
    options_parse_props("-drive", arg, drive_prop, d);
    if (!d->d.file) {
        options_die("-drive %s: file= is required", arg);
    }
    for (unsigned i = 0; i + 1 < o->nb_drives; i++) {
        if (d->id[0] && !strcmp(o->drives[i].id, d->id)) {
            options_die("-drive: duplicate id '%s'", d->id);
        }
    }
    if (d->is_virtio) {
        add_slot(o, MICROVM_DEV_BLK, o->nb_drives - 1, "-drive");
    }
}

typedef struct DeviceOpt {
    const char *driver;
    const char *drive;
} DeviceOpt;

static void device_prop(const char *opt, const char *key, const char *val, void *ctx)
{
    DeviceOpt *d = ctx;
    if (!key && !d->driver) {
        d->driver = val;
    } else if (key && !strcmp(key, "drive")) {
        d->drive = val;
    } else if (key && !strcmp(key, "id")) {
        /* accepted */
    } else {
        options_die("%s %s: unknown property '%s'", opt, d->driver ? d->driver : "?", key ? key : val);
    }
}

static Chardev *find_chardev(Options *o, const char *opt, const char *id)
{
    for (unsigned i = 0; i < o->nb_chardevs; i++) {
        if (!strcmp(chardev_label(o->chardevs[i]), id)) {
            return o->chardevs[i];
        }
    }
    options_die("%s: no -chardev with id '%s'", opt, id);
}

static void add_chardev(Options *o, const char *arg)
{
    char err[256];
    if (o->nb_chardevs == sizeof(o->chardevs) / sizeof(o->chardevs[0])) {
        options_die("-chardev %s: too many character devices", arg);
    }
    Chardev *c = chardev_parse(arg, err, sizeof(err));
    if (!c) {
        options_die("-chardev %s: %s", arg, err);
    }
    o->chardevs[o->nb_chardevs++] = c;
}

static void add_nic(Options *o, int (*parse)(const char *, char *, size_t), const char *opt,
                    const char *arg)
{
    char err[512];
    if (parse(arg, err, sizeof(err)) < 0) {
        options_die("%s", err);
    }
    o->cfg.networking = true;
    add_slot(o, MICROVM_DEV_NET, (unsigned)net_nic_count() - 1, opt);
}

static void add_device(Options *o, const char *arg)
{
    if (!strcmp(arg, "help")) {
        printf("Devices:\n  virtio-blk-device (drive=ID)\n"
               "  virtio-net-device (netdev=ID, mac=52:54:00:xx:xx:xx)\n"
               "  virtio-rng-device\n");
        exit(0);
    }
    if (!strncmp(arg, "virtio-net-device", 17) && (arg[17] == ',' || !arg[17])) {
        add_nic(o, net_parse_device, "-device", arg);
        return;
    }
    if (!strcmp(arg, "virtio-rng-device") || !strncmp(arg, "virtio-rng-device,id=", 21)) {
        add_slot(o, MICROVM_DEV_RNG, 0, "-device");
        return;
    }
    DeviceOpt d = { NULL, NULL };
    options_parse_props("-device", arg, device_prop, &d);
    if (!d.driver || strcmp(d.driver, "virtio-blk-device")) {
        options_die("-device '%s': unknown device (-device help lists them)", d.driver ? d.driver : arg);
    }
    if (!d.drive) {
        options_die("-device virtio-blk-device: drive= is required");
    }
    for (unsigned i = 0; i < o->nb_drives; i++) {
        if (!strcmp(o->drives[i].id, d.drive)) {
            if (o->drives[i].attached || o->drives[i].is_virtio) {
                options_die("-device virtio-blk-device: drive '%s' is already in use", d.drive);
            }
            o->drives[i].attached = true;
            add_slot(o, MICROVM_DEV_BLK, i, "-device");
            return;
        }
    }
    options_die("-device virtio-blk-device: no -drive with id '%s'", d.drive);
}

static void parse_accel(Options *o, const char *arg)
{
    if (!strcmp(arg, "help")) {
        printf("Accelerators supported in QEMU binary:\nkvm\n");
        exit(0);
    }
    char *s = strdup(arg), *save = NULL;
    for (char *item = strtok_r(s, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        if (!strcmp(item, "kvm")) {
            o->kvm = true;
        } else if (!strcmp(item, "tcg") || !strncmp(item, "tcg:", 4)) {
            options_die("-accel %s: x86-64 TCG is not implemented; mimic runs x86-64 guests only on "
                "KVM (-accel kvm)", arg);
        } else if (!strncmp(item, "kernel-irqchip=", 15)) {
            if (strcmp(item + 15, "on")) {
                options_die("-accel %s: only kernel-irqchip=on is supported", arg);
            }
        } else {
            options_die("-accel: unknown accelerator or property '%s'", item);
        }
    }
    free(s);
}

/* -cpu host[,-FEATURE|+FEATURE|FEATURE=on|off...] */
static void parse_cpu(Options *o, const char *arg)
{
    char *s = strdup(arg), *save = NULL;
    const char *model = strtok_r(s, ",", &save);
    if (!model || (strcmp(model, "host") && strcmp(model, "max"))) {
        options_die("-cpu %s: unsupported CPU model (only 'host': the CPU as KVM offers it)", arg);
    }
    for (char *f = strtok_r(NULL, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
        X86CpuidEdit e;
        bool want;
        char err[128];
        if (x86_cpu_parse_feature(f, &e, &want, err, sizeof(err)) < 0) {
            options_die("-cpu %s: %s", arg, err);
        }
        MicrovmConfig *c = &o->cfg;
        if (c->nb_cpu_clear == X86_MAX_CPUID_EDITS || c->nb_cpu_need == X86_MAX_CPUID_EDITS) {
            options_die("-cpu %s: too many feature changes", arg);
        }
        if (want) {
            c->cpu_need[c->nb_cpu_need++] = e;
        } else {
            c->cpu_clear[c->nb_cpu_clear++] = e;
        }
    }
    free(s);
}

static const char *need_arg(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        options_die("option '%s' requires an argument", argv[*i]);
    }
    return argv[++*i];
}

static void parse_args(Options *o, int argc, char **argv)
{
    o->cfg.ram_size = 128ull << 20;
    o->cfg.nb_cpus = 1;
    o->cfg.auto_cmdline = true;
    o->cfg.pvm_fixups = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] == '-') {
            a++; /* --opt is -opt, as in QEMU */
        }
        if (!strcmp(a, "-h") || !strcmp(a, "-help")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "-version")) {
            printf(PROG " version 0.1.0 (QEMU-compatible command line)\n");
            exit(0);
        } else if (!strcmp(a, "-M") || !strcmp(a, "-machine")) {
            options_parse_props(a, need_arg(argc, argv, &i), machine_prop, o);
        } else if (!strcmp(a, "-accel")) {
            parse_accel(o, need_arg(argc, argv, &i));
        } else if (!strcmp(a, "-enable-kvm")) {
            o->kvm = true;
        } else if (!strcmp(a, "-m")) {
            const char *v = need_arg(argc, argv, &i);
            o->cfg.ram_size = options_parse_size("-m", !strncmp(v, "size=", 5) ? v + 5 : v);
            if (o->cfg.ram_size < (16ull << 20)) {
                options_die("-m %s: at least 16M of RAM is needed", v);
            }
        } else if (!strcmp(a, "-smp")) {
            const char *v = need_arg(argc, argv, &i);
            char *end;
            unsigned long n = strtoul(!strncmp(v, "cpus=", 5) ? v + 5 : v, &end, 10);
            if ((*end && *end != ',') || n < 1 || n > MICROVM_MAX_CPUS) {
                options_die("-smp %s: expected 1 to %d CPUs", v, MICROVM_MAX_CPUS);
            }
            o->cfg.nb_cpus = (unsigned)n;
        } else if (!strcmp(a, "-cpu")) {
            parse_cpu(o, need_arg(argc, argv, &i));
        } else if (!strcmp(a, "-kernel")) {
            o->cfg.kernel = need_arg(argc, argv, &i);
        } else if (!strcmp(a, "-initrd")) {
            o->cfg.initrd = need_arg(argc, argv, &i);
        } else if (!strcmp(a, "-append")) {
            o->cfg.append = need_arg(argc, argv, &i);
        } else if (!strcmp(a, "-drive")) {
            add_drive(o, need_arg(argc, argv, &i));
        } else if (!strcmp(a, "-device")) {
            add_device(o, need_arg(argc, argv, &i));
        } else if (!strcmp(a, "-chardev")) {
            add_chardev(o, need_arg(argc, argv, &i));
        } else if (!strcmp(a, "-netdev")) {
            char err[512];
            if (net_parse_netdev(need_arg(argc, argv, &i), err, sizeof(err)) < 0) {
                options_die("%s", err);
            }
            o->cfg.networking = true;
        } else if (!strcmp(a, "-nic")) {
            add_nic(o, net_parse_nic, "-nic", need_arg(argc, argv, &i));
        } else if (!strcmp(a, "-object")) {
            char err[512];
            if (net_parse_object(need_arg(argc, argv, &i), err, sizeof(err)) < 0) {
                options_die("%s", err);
            }
            o->cfg.networking = true;
        } else if (!strcmp(a, "-snapshot")) {
            o->snapshot = true;
        } else if (!strcmp(a, "-nographic")) {
            o->nographic = true;
        } else if (!strcmp(a, "-display")) {
            const char *v = need_arg(argc, argv, &i);
            if (strcmp(v, "none")) {
                options_die("-display %s: no display support (use -display none or -nographic)", v);
            }
        } else if (!strcmp(a, "-serial")) {
            o->serial = need_arg(argc, argv, &i);
        } else if (!strcmp(a, "-no-reboot")) {
            o->cfg.no_reboot = true;
        } else if (!strcmp(a, "-no-acpi")) {
            /* there is no ACPI anyway */
        } else if (!strcmp(a, "-d")) {
            const char *v = need_arg(argc, argv, &i);
            char err[256];
            if (!strcmp(v, "help")) {
                log_print_categories(stdout);
                exit(0);
            }
            if (log_parse_mask(v, &log_mask, err, sizeof(err)) < 0) {
                options_die("-d: %s", err);
            }
        } else if (!strcmp(a, "-D")) {
            const char *v = need_arg(argc, argv, &i);
            if (log_open_file(v) < 0) {
                options_die("-D %s: %s", v, strerror(errno));
            }
        } else {
            options_die("unknown option '%s' (-help lists the options)", argv[i]);
        }
    }
}

/* -serial: a chardev spec, "none", or chardev:ID (a -chardev). Default:
 * mon:stdio with -nographic (Ctrl-a x quits), else stdio. */
static void setup_serial(Options *o)
{
    const char *s = o->serial ? o->serial : (o->nographic ? "mon:stdio" : "stdio");
    if (!strcmp(s, "none")) {
        return;
    }
    if (!strncmp(s, "chardev:", 8)) {
        o->cfg.serial = find_chardev(o, "-serial", s + 8);
        return;
    }
    char err[256];
    o->cfg.serial = chardev_parse(s, err, sizeof(err));
    if (!o->cfg.serial) {
        options_die("-serial %s: %s", s, err);
    }
}

int x86_system_main(int argc, char **argv)
{
    options_prog = PROG;
    static Options o;
    parse_args(&o, argc, argv);
    if (!o.kvm) {
        options_die("no accelerator given: x86-64 TCG is not implemented; use -accel kvm "
            "(or -enable-kvm)");
    }
    if (!o.cfg.kernel) {
        options_die("-kernel is required: microvm boots a kernel directly (there is no firmware)");
    }
    if (o.cfg.initrd && !o.cfg.kernel) {
        options_die("-initrd needs -kernel");
    }
    for (unsigned i = 0; i < o.nb_order; i++) {
        MicrovmDevice *d = &o.cfg.devices[o.cfg.nb_devices++];
        if (o.order[i].kind == MICROVM_DEV_BLK) {
            *d = o.drives[o.order[i].index].d;
            d->snapshot |= o.snapshot;
        } else {
            memset(d, 0, sizeof(*d));
            d->kind = o.order[i].kind;
            d->nic = o.order[i].index;
        }
    }
    setup_serial(&o);
    char err[512];
    Microvm *m = microvm_create(&o.cfg, err, sizeof(err));
    if (!m) {
        options_die("%s", err);
    }
    int status = microvm_run(m);
    microvm_destroy(m);
    return status;
}
