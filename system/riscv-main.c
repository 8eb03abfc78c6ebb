/*
 * riscv-main.c — mimic-system-riscv64's command line (qemu-system-riscv64's
 * options and spellings, so existing tutorials work), then the machine.
 *
 * The one thing to know: options are parsed into a VirtConfig first and
 * checked as a whole (every error names the option), then the exec core is
 * set up for system mode (the soft MMU, the system frontend) and the
 * machine runs until the guest powers off.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mimic/exec.h"
#include "mimic/chardev.h"
#include "mimic/log.h"
#include "mimic/net.h"
#include "migration/migration.h"
#include "monitor/monitor.h"
#include "system/options.h"
#include "system/riscv-main.h"
#include "system/riscv-virt-gdb.h"
#include "system/riscv-virt.h"

#define PROG "mimic-system-riscv64"

/* The user-mode guest window (mimic/exec.h) is empty in system mode: every
 * guest access goes through the soft MMU. */
uintptr_t guest_base;
uint64_t guest_limit;

typedef struct DriveOpt {
    VirtDrive d;
    char id[64];
    bool is_virtio; /* if=virtio: attach now; if=none: needs a -device */
    bool attached;
} DriveOpt;

typedef struct Options {
    VirtConfig cfg;
    DriveOpt drives[VIRT_VIRTIO_COUNT];
    unsigned nb_drives;
    /* Devices in command-line order: a drive index, or a NIC. */
    struct {
        VirtDeviceKind kind;
        unsigned index;    /* drive or NIC */
        Chardev *chardev;  /* virtconsole */
    } order[VIRT_VIRTIO_COUNT];
    unsigned nb_order;
    bool interp;
    unsigned tb_size_mib;
    bool snapshot;
    bool nographic;
    const char *serial;
    Chardev *chardevs[8];    /* -chardev, found by their id (label) */
    unsigned nb_chardevs;
    int pending_console;     /* a virtio-serial-device waiting for its virtconsole, or -1 */
    const char *mons[8];     /* -mon specs, resolved once every -chardev is known */
    const char *gdb;         /* -gdb / -s: where the gdb stub listens */
    unsigned nb_mons;
    const char *loadvm;  /* -loadvm NAME */
    const char *incoming; /* -incoming URI */
} Options;


static void usage(FILE *f)
{
    fprintf(f,
        "usage: " PROG " [options]\n"
        "Emulates QEMU's RISC-V 'virt' machine.\n\n"
        "  -M, -machine virt[,dumpdtb=FILE]\n"
        "                        the machine (the only one); dumpdtb writes its device tree\n"
        "                        to FILE and exits\n"
        "  -m SIZE               RAM (default 128M; suffixes K, M, G)\n"
        "  -smp N                harts, 1 to %d, each on its own host thread\n"
        "  -cpu rv64             the CPU (RV64GC with Zba/Zbb/Zbs, Sv39/48/57)\n"
        "  -bios FILE|none       firmware (default: Debian's OpenSBI fw_dynamic)\n"
        "  -kernel FILE          Linux Image, ELF, or U-Boot\n"
        "  -initrd FILE          initial ramdisk\n"
        "  -append CMDLINE       kernel command line\n"
        "  -dtb FILE             device tree to use instead of the generated one\n"
        "  -drive file=F[,format=raw|qcow2|...][,if=virtio|none][,id=ID][,snapshot=on]"
        "[,readonly=on]\n"
        "  -device virtio-blk-device,drive=ID\n"
        "  -netdev user,id=ID[,hostfwd=tcp::HOSTPORT-:GUESTPORT...]   (also tap, socket, hubport)\n"
        "  -device virtio-net-device,netdev=ID[,mac=MAC]\n"
        "  -nic user[,hostfwd=...][,mac=MAC]   a NIC and its backend in one option\n"
        "  -object filter-dump,id=ID,netdev=ID,file=FILE.pcap\n"
        "  -snapshot             every drive gets snapshot=on\n"
        "  -nographic            no display; the serial port on stdio\n"
        "  -serial SPEC          the UART's host end: stdio, mon:stdio (Ctrl-a h for keys), pty,\n"
        "                        file:PATH, null, none, chardev:ID (default: mon:stdio with\n"
        "                        -nographic, else stdio)\n"
        "  -chardev BACKEND,id=ID[,path=P][,mux=on]   a character device for -serial/virtconsole\n"
        "  -device virtio-rng-device | virtio-serial-device -device virtconsole,chardev=ID\n"
        "  -no-reboot            exit instead of rebooting\n"
        "  -qmp SPEC             QMP (JSON) monitor: unix:PATH,server=on,wait=off,\n"
        "                        tcp:HOST:PORT,server=on,wait=off, stdio, pty\n"
        "  -monitor SPEC         human monitor, (qemu) prompt: stdio, pty, none, or a socket\n"
        "                        as for -qmp (with -nographic: behind Ctrl-a c on the serial)\n"
        "  -mon chardev=ID[,mode=control|readline][,pretty=on]   a monitor on a -chardev\n"
        "  -S                    start stopped; the monitor's cont (or gdb's continue) starts it\n"
        "  -gdb SPEC             gdb stub on tcp::PORT, tcp:HOST:PORT or unix:PATH,server=on\n"
        "  -s                    the same as -gdb tcp::1234\n"
        "  -loadvm NAME          start from the snapshot NAME (savevm) of the qcow2 drives\n"
        "  -incoming URI         wait for a migration: tcp:HOST:PORT, unix:PATH, file:PATH,\n"
        "                        exec:CMD, or defer (then QMP migrate-incoming)\n"
        "  -accel tcg[,backend=jit|interp][,tb-size=MiB]\n"
        "  -d ITEM[,ITEM...]     log, e.g. -d int,mmu (-d help lists them); -D FILE logs to FILE\n"
        "  -h, -help             this text; -version prints the version\n",
        VIRT_MAX_HARTS);
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

static void add_slot(Options *o, VirtDeviceKind kind, unsigned index, const char *what)
{
    if (o->nb_order == VIRT_VIRTIO_COUNT) {
        options_die("%s: no free virtio-mmio slot (the virt machine has %d)", what, VIRT_VIRTIO_COUNT);
    }
    o->order[o->nb_order].kind = kind;
    o->order[o->nb_order].index = index;
    o->order[o->nb_order].chardev = NULL;
    o->nb_order++;
}

static void add_drive(Options *o, const char *arg)
{
    if (o->nb_drives == VIRT_VIRTIO_COUNT) {
        options_die("-drive: at most %d drives (the virt machine's virtio-mmio slots)",
            VIRT_VIRTIO_COUNT);
    }
    DriveOpt *d = &o->drives[o->nb_drives++];
    memset(d, 0, sizeof(*d));
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
        add_slot(o, VIRT_DEV_BLK, o->nb_drives - 1, "-drive");
    }
}

typedef struct DeviceOpt {
    Options *o;
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
        options_die("-device %s: unknown property '%s'", d->driver ? d->driver : "?",
            key ? key : val);
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
    add_slot(o, VIRT_DEV_NET, (unsigned)net_nic_count() - 1, opt);
}

static void add_device(Options *o, const char *arg)
{
    if (!strcmp(arg, "help")) {
        printf("Devices:\n  virtio-blk-device (drive=ID)\n"
               "  virtio-net-device (netdev=ID, mac=52:54:00:xx:xx:xx)\n"
               "  virtio-rng-device\n"
               "  virtio-serial-device, then virtconsole (chardev=ID)\n");
        exit(0);
    }
    if (!strncmp(arg, "virtio-net-device", 17) && (arg[17] == ',' || !arg[17])) {
        add_nic(o, net_parse_device, "-device", arg);
        return;
    }
    if (!strcmp(arg, "virtio-rng-device")) {
        add_slot(o, VIRT_DEV_RNG, 0, "-device");
        return;
    }
    if (!strcmp(arg, "virtio-serial-device")) {
        add_slot(o, VIRT_DEV_CONSOLE, 0, "-device");
        o->pending_console = (int)o->nb_order - 1;
        return;
    }
    if (!strncmp(arg, "virtconsole,chardev=", 20)) {
        if (o->pending_console < 0) {
            options_die("-device virtconsole: needs a -device virtio-serial-device before it");
        }
        o->order[o->pending_console].chardev = find_chardev(o, "-device virtconsole", arg + 20);
        o->pending_console = -1;
        return;
    }
    DeviceOpt d = { o, NULL, NULL };
    options_parse_props("-device", arg, device_prop, &d);
    if (!d.driver || strcmp(d.driver, "virtio-blk-device")) {
        options_die("-device '%s': unknown device (-device help lists them)",
                    d.driver ? d.driver : arg);
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
            add_slot(o, VIRT_DEV_BLK, i, "-device");
            return;
        }
    }
    options_die("-device virtio-blk-device: no -drive with id '%s'", d.drive);
}

/* One item of "-M virt,...": the machine name, dumpdtb=FILE, or accel=tcg
 * as QEMU accepts it; anything else is an error that names it. */
static void machine_prop(const char *opt, const char *key, const char *val, void *ctx)
{
    Options *o = ctx;
    if (!key && !strcmp(val, "virt")) {
        return;
    }
    if (key && !strcmp(key, "dumpdtb") && *val) {
        o->cfg.dumpdtb = val;
    } else if (key && !strcmp(key, "accel") && !strcmp(val, "tcg")) {
        /* the default */
    } else {
        options_die("%s: unknown machine property '%s%s%s' (virt has dumpdtb=FILE)", opt,
                    key ? key : "", key ? "=" : "", val);
    }
}

static void parse_accel(Options *o, const char *arg)
{
    char *s = strdup(arg);
    for (char *item = strtok(s, ","); item; item = strtok(NULL, ",")) {
        if (!strcmp(item, "tcg")) {
            continue;
        } else if (!strcmp(item, "backend=jit")) {
            o->interp = false;
        } else if (!strcmp(item, "backend=interp")) {
            o->interp = true;
        } else if (!strncmp(item, "tb-size=", 8)) {
            char *end;
            unsigned long v = strtoul(item + 8, &end, 10);
            if (*end || v < 1 || v > 2048) {
                options_die("-accel: bad tb-size '%s' (1 to 2048 MiB)", item + 8);
            }
            o->tb_size_mib = (unsigned)v;
        } else if (!strcmp(item, "kvm")) {
            options_die("-accel kvm: KVM runs only guests of the host's architecture (x86-64)");
        } else {
            options_die("-accel: unknown accelerator or property '%s'", item);
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
    o->cfg.nb_harts = 1;
    o->pending_console = -1;
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
            const char *v = need_arg(argc, argv, &i);
            if (!strcmp(v, "help")) {
                printf("Supported machines are:\nvirt                 RISC-V VirtIO board\n");
                exit(0);
            }
            if (strncmp(v, "virt", 4) || (v[4] && v[4] != ',')) {
                options_die("-M %s: unsupported machine (only 'virt'; -M help)", v);
            }
            options_parse_props("-M", v, machine_prop, o);
        } else if (!strcmp(a, "-m")) {
            const char *v = need_arg(argc, argv, &i);
            if (!strncmp(v, "size=", 5)) {
                v += 5;
            }
            o->cfg.ram_size = options_parse_size("-m", v);
            if (o->cfg.ram_size < (16ull << 20)) {
                options_die("-m %s: at least 16M of RAM is needed", v);
            }
        } else if (!strcmp(a, "-smp")) {
            const char *v = need_arg(argc, argv, &i);
            char *end;
            unsigned long n = strtoul(!strncmp(v, "cpus=", 5) ? v + 5 : v, &end, 10);
            if ((*end && *end != ',') || n < 1 || n > VIRT_MAX_HARTS) {
                options_die("-smp %s: expected 1 to %d CPUs", v, VIRT_MAX_HARTS);
            }
            o->cfg.nb_harts = (unsigned)n;
        } else if (!strcmp(a, "-cpu")) {
            const char *v = need_arg(argc, argv, &i);
            if (strcmp(v, "rv64") && strcmp(v, "max") && strncmp(v, "rv64,", 5)) {
                options_die("-cpu %s: unsupported CPU (rv64 or max)", v);
            }
        } else if (!strcmp(a, "-bios")) {
            const char *v = need_arg(argc, argv, &i);
            o->cfg.bios = !strcmp(v, "default") ? NULL : v;
        } else if (!strcmp(a, "-kernel")) {
            o->cfg.kernel = need_arg(argc, argv, &i);
        } else if (!strcmp(a, "-initrd")) {
            o->cfg.initrd = need_arg(argc, argv, &i);
        } else if (!strcmp(a, "-append")) {
            o->cfg.append = need_arg(argc, argv, &i);
        } else if (!strcmp(a, "-dtb")) {
            o->cfg.dtb = need_arg(argc, argv, &i);
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
        } else if (!strcmp(a, "-qmp") || !strcmp(a, "-monitor")) {
            const char *v = need_arg(argc, argv, &i);
            char err[256];
            int r = !strcmp(a, "-qmp") ? monitor_add_qmp(v, err, sizeof(err))
                                       : monitor_add_hmp(v, err, sizeof(err));
            if (r < 0) {
                options_die("%s %s: %s", a, v, err);
            }
        } else if (!strcmp(a, "-mon")) {
            const char *v = need_arg(argc, argv, &i);
            if (o->nb_mons == sizeof(o->mons) / sizeof(o->mons[0])) {
                options_die("-mon %s: too many monitors", v);
            }
            o->mons[o->nb_mons++] = v;
        } else if (!strcmp(a, "-gdb")) {
            o->gdb = need_arg(argc, argv, &i);
        } else if (!strcmp(a, "-s")) {
            o->gdb = "tcp::1234";
        } else if (!strcmp(a, "-incoming")) {
            o->incoming = need_arg(argc, argv, &i);
        } else if (!strcmp(a, "-loadvm")) {
            o->loadvm = need_arg(argc, argv, &i);
        } else if (!strcmp(a, "-S")) {
            o->cfg.start_paused = true;
        } else if (!strcmp(a, "-no-reboot")) {
            o->cfg.no_reboot = true;
        } else if (!strcmp(a, "-accel")) {
            parse_accel(o, need_arg(argc, argv, &i));
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
    /* As QEMU: without -nographic the default serial goes to a display,
     * which mimic does not have; stdio, unless a monitor took it. */
    const char *s = o->serial ? o->serial
                    : o->nographic ? "mon:stdio"
                    : monitor_uses_stdio() ? "none" : "stdio";
    if (!strcmp(s, "none")) {
        return;
    }
    if (monitor_uses_stdio() && (!strcmp(s, "stdio") || !strcmp(s, "mon:stdio"))) {
        options_die("-serial %s: cannot use stdio by multiple character devices (a monitor uses it)",
            s);
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

int riscv_system_main(int argc, char **argv)
{
    options_prog = PROG;
    static Options o;
    parse_args(&o, argc, argv);
    setup_serial(&o);
    for (unsigned i = 0; i < o.nb_mons; i++) {
        char id[64], err[256];
        bool control, pretty;
        if (monitor_parse_mon(o.mons[i], id, sizeof(id), &control, &pretty, err,
                              sizeof(err)) < 0) {
            options_die("-mon %s: %s", o.mons[i], err);
        }
        Chardev *chr = find_chardev(&o, "-mon", id);
        if (monitor_add_on_chardev(chr, control, pretty, err, sizeof(err)) < 0) {
            options_die("-mon %s: %s", o.mons[i], err);
        }
    }
    /* if=none drives without a -device are opened by nobody, as in QEMU. */
    if (o.pending_console >= 0) {
        options_die("-device virtio-serial-device: needs a -device virtconsole,chardev=ID port");
    }
    for (unsigned i = 0; i < o.nb_order; i++) {
        VirtDevice *d = &o.cfg.devices[o.cfg.nb_devices++];
        d->kind = o.order[i].kind;
        d->nic = o.order[i].index;
        d->chardev = o.order[i].chardev;
        if (d->kind == VIRT_DEV_BLK) {
            d->drive = o.drives[o.order[i].index].d;
            d->drive.id = o.drives[o.order[i].index].id;
            d->drive.snapshot |= o.snapshot;
            d->drive.incoming = o.incoming != NULL;
        }
    }

    static ExecConfig ec;
    ec.backend = o.interp ? &backend_interp : &backend_x86_64;
    ec.target = riscv_sys_target();
    ec.softmmu = &riscv_softmmu_ops;
    if (o.tb_size_mib && !o.interp && code_buffer_init((size_t)o.tb_size_mib << 20) < 0) {
        options_die("-accel tb-size=%u: cannot allocate the code buffer", o.tb_size_mib);
    }
    exec_init(&ec);

    char err[512];
    VirtMachine *m = virt_create(&o.cfg, err, sizeof(err));
    if (!m) {
        options_die("%s", err);
    }
    if (o.cfg.dumpdtb) {
        fprintf(stderr, PROG ": dtb dumped to %s. Exiting.\n", o.cfg.dumpdtb);
        virt_destroy(m);
        return 0;
    }
    if (virt_start_monitor(m, err, sizeof(err)) < 0) {
        options_die("%s", err);
    }
    if (o.loadvm && virt_start_loadvm(m, o.loadvm, err, sizeof(err)) < 0) {
        options_die("-loadvm %s: %s", o.loadvm, err);
    }
    virt_migration_init(m);
    if (o.incoming && virt_start_incoming(m, o.incoming, err, sizeof(err)) < 0) {
        options_die("-incoming %s: %s", o.incoming, err);
    }
    if (o.gdb && virt_gdb_start(m, o.gdb, err, sizeof(err)) < 0) {
        options_die("-gdb %s: %s", o.gdb, err);
    }
    int status = virt_run(m);
    virt_gdb_stop(m);
    migration_finish();
    monitor_finish();
    virt_destroy(m);
    return status;
}
