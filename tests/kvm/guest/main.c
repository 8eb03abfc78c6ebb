/* main.c — the PVH test guest: checks what the VMM handed over (start_info,
 * command line, memory map, long mode, RAM), drives the virtio-mmio devices
 * named by virtio_mmio.device= on the command line, prints a summary and
 * resets the machine (i8042 command 0xFE, else a triple fault).
 * The one thing to know: the contract with the VMM is in docs/kvm-guests.md;
 * `mimic.test=blk` on the command line makes a missing virtio-blk device a
 * failure, `mimic.test=serial` expects none, `mimic.test=smp` starts the
 * other CPUs (`mimic.cpus=N`, smp.c), `mimic.test=int3` checks that an
 * int3 reaches its handler. */
#include "guest.h"

#define HVM_START_MAGIC 0x336ec578u
#define E820_RAM 1
#define CMDLINE_MAX 4096
#define MIB (1024ull * 1024)
#define IDENTITY_LIMIT (4096ull * MIB)   /* start.S maps the first 4 GiB */

struct hvm_start_info {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr;      /* version >= 1 */
    uint32_t memmap_entries;
    uint32_t reserved;
};

struct hvm_memmap_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
    uint32_t reserved;
};

#define MEMMAP_MAX 32

extern char __image_start[], __image_end[];
void guest_main(uint32_t start_info_pa);

static int passes, fails;
static char cmdline[CMDLINE_MAX];
static struct hvm_memmap_entry memmap[MEMMAP_MAX];
static uint32_t memmap_n;

bool check(bool ok, const char *name, const char *why)
{
    if (ok) {
        passes++;
        puts_serial("PASS: ");
        puts_serial(name);
        puts_serial("\n");
    } else {
        fails++;
        puts_serial("FAIL: ");
        puts_serial(name);
        puts_serial(" (");
        puts_serial(why);
        puts_serial(")\n");
    }
    return ok;
}

static uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static void cpuid(uint32_t leaf, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(0));
}

static bool below_identity(uint64_t addr, uint64_t len)
{
    return addr < IDENTITY_LIMIT && len <= IDENTITY_LIMIT - addr;
}

static void print_cpu(void)
{
    uint32_t r[4];
    char vendor[13];
    cpuid(0, r);
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    vendor[12] = 0;
    puts_serial("cpu: vendor ");
    puts_serial(vendor);
    cpuid(1, r);
    bool hv = r[2] & (1u << 31);
    puts_serial(hv ? ", hypervisor bit set" : ", hypervisor bit clear");
    if (hv) {
        char sig[13];
        cpuid(0x40000000, r);
        memcpy(sig, &r[1], 4);
        memcpy(sig + 4, &r[2], 4);
        memcpy(sig + 8, &r[3], 4);
        sig[12] = 0;
        for (int i = 0; i < 12; i++) {
            if (sig[i] && (sig[i] < 0x20 || sig[i] > 0x7e)) {
                sig[i] = '?';
            }
        }
        puts_serial(", hypervisor \"");
        puts_serial(sig);
        puts_serial("\"");
    }
    puts_serial("\n");
}

static void read_cmdline(const struct hvm_start_info *si)
{
    cmdline[0] = 0;
    if (!check(si->cmdline_paddr != 0 && below_identity(si->cmdline_paddr, 1),
               "command line present", "cmdline_paddr is 0 or above 4 GiB")) {
        return;
    }
    const char *p = (const char *)(uintptr_t)si->cmdline_paddr;
    size_t n = 0;
    while (n < CMDLINE_MAX - 1 && below_identity(si->cmdline_paddr + n, 1) && p[n]) {
        char c = p[n];
        cmdline[n++] = (c >= 0x20 && c <= 0x7e) ? c : ' ';
    }
    cmdline[n] = 0;
    puts_serial("cmdline: ");
    puts_serial(cmdline);
    puts_serial("\n");
}

static void read_memmap(const struct hvm_start_info *si)
{
    memmap_n = 0;
    if (!check(si->version >= 1 && si->memmap_paddr != 0 && si->memmap_entries != 0 &&
               below_identity(si->memmap_paddr,
                              (uint64_t)si->memmap_entries * sizeof(struct hvm_memmap_entry)),
               "memory map in start_info", "version 0, or no memmap, or above 4 GiB")) {
        return;
    }
    const struct hvm_memmap_entry *m = (const void *)(uintptr_t)si->memmap_paddr;
    uint64_t ram = 0;
    bool covers_image = false;
    for (uint32_t i = 0; i < si->memmap_entries && i < MEMMAP_MAX; i++) {
        memmap[memmap_n++] = m[i];
        puts_serial("memmap: addr=0x");
        put_hex(m[i].addr, 9);
        puts_serial(" size=0x");
        put_hex(m[i].size, 9);
        puts_serial(" type=");
        put_dec(m[i].type);
        puts_serial("\n");
        if (m[i].type == E820_RAM) {
            ram += m[i].size;
            if (m[i].addr <= (uintptr_t)__image_start &&
                m[i].addr + m[i].size >= (uintptr_t)__image_end) {
                covers_image = true;
            }
        }
    }
    puts_serial("memmap: ram total ");
    put_dec(ram >> 10);
    puts_serial(" KiB\n");
    check(covers_image, "memory map has RAM under the image", "no type-1 entry covers 1 MiB");
}

static bool ram_covers(uint64_t addr, uint64_t len)
{
    for (uint32_t i = 0; i < memmap_n; i++) {
        if (memmap[i].type == E820_RAM && memmap[i].addr <= addr &&
            memmap[i].addr + memmap[i].size >= addr + len) {
            return true;
        }
    }
    return false;
}

/* One 64-bit word per MiB of RAM from 2 MiB up to 4 GiB: written with an
 * address-dependent value, then read back. */
static void test_ram(void)
{
    uint64_t words = 0, bad = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < memmap_n; i++) {
            if (memmap[i].type != E820_RAM) {
                continue;
            }
            uint64_t start = (memmap[i].addr + MIB - 1) & ~(MIB - 1);
            uint64_t end = memmap[i].addr + memmap[i].size;
            if (start < 2 * MIB) {
                start = 2 * MIB;
            }
            if (end > IDENTITY_LIMIT) {
                end = IDENTITY_LIMIT;
            }
            for (uint64_t a = start; a + 8 <= end; a += MIB) {
                volatile uint64_t *w = (volatile uint64_t *)(uintptr_t)a;
                uint64_t v = a * 0x9e3779b97f4a7c15ull ^ 0x5a5a5a5a5a5a5a5aull;
                if (pass == 0) {
                    *w = v;
                    words++;
                } else if (*w != v) {
                    bad++;
                }
            }
        }
    }
    puts_serial("ram: ");
    put_dec(words);
    puts_serial(" MiB steps written and read back, ");
    put_dec(bad);
    puts_serial(" wrong\n");
    check(words > 0 && bad == 0, "ram write/read above 2 MiB", "no RAM above 2 MiB or mismatches");
}

/* An int3 must reach the #BP handler through the IDT and come back to the
 * next instruction. (This host's nested KVM cannot emulate INT3 — QEMU
 * stops with an emulation failure here; a VMM can inject vector 3 itself.) */
extern char bp_handler[];
extern volatile uint32_t bp_count;

static void check_int3(void)
{
    static uint64_t idt[2 * 4] __attribute__((aligned(16)));
    uint64_t h = (uint64_t)(uintptr_t)bp_handler;
    /* 64-bit interrupt gate, present, DPL 0, selector 0x18 (64-bit code) */
    idt[2 * 3] = (h & 0xffff) | (0x18ull << 16) | (0x8eull << 40) | ((h >> 16) & 0xffff) << 48;
    idt[2 * 3 + 1] = h >> 32;
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } desc = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
    __asm__ volatile("lidt %0" : : "m"(desc));
    uint32_t before = bp_count;
    uint64_t marker = 0;
    __asm__ volatile("int3\n\tmovq $0x1234, %0" : "=r"(marker) : : "memory");
    check(bp_count == before + 1 && marker == 0x1234, "int3 delivered to the IDT and returned",
          "handler not run, or execution did not resume after int3");
}

/* Every virtio_mmio.device= word, each base probed once: the VMM may append
 * its devices to a command line that already names them. */
static int probe_virtio(void)
{
    char spec[96];
    uint64_t seen[32];
    int nseen = 0;
    int blk = 0;
    int i;
    for (i = 0; cmdline_get(cmdline, "virtio_mmio.device", i, spec, sizeof(spec)); i++) {
        const char *p = spec;
        uint64_t size = parse_size(p, &p);
        uint64_t base = 0, irq = 0;
        bool ok = *p == '@';
        if (ok) {
            base = parse_size(p + 1, &p);
            ok = *p == ':';
        }
        if (ok) {
            irq = parse_size(p + 1, &p);
            ok = *p == 0 || *p == ':';
        }
        puts_serial("virtio_mmio.device=");
        puts_serial(spec);
        puts_serial(" -> base=0x");
        put_hex(base, 8);
        puts_serial(" size=0x");
        put_hex(size, 0);
        puts_serial(" irq=");
        put_dec(irq);
        puts_serial("\n");
        if (!check(ok && size >= 0x100 && base != 0 && below_identity(base, size),
                   "virtio_mmio.device= parses", "not SIZE@ADDR:IRQ, or outside 4 GiB")) {
            continue;
        }
        bool dup = false;
        for (int j = 0; j < nseen; j++) {
            dup |= seen[j] == base;
        }
        if (dup) {
            puts_serial("virtio-mmio: named twice, probed once\n");
            continue;
        }
        if (nseen < 32) {
            seen[nseen++] = base;
        }
        if (virtio_mmio_probe((uintptr_t)base, size, (unsigned)irq)) {
            blk++;
        }
    }
    puts_serial("virtio-mmio: ");
    put_dec((uint64_t)i);
    puts_serial(" device(s) on the command line, ");
    put_dec((uint64_t)blk);
    puts_serial(" virtio-blk\n");
    return blk;
}

static void __attribute__((noreturn)) machine_reset(void)
{
    puts_serial("MIMIC-KVM-GUEST: reset via i8042\n");
    for (int i = 0; i < 1000 && (inb(0x64) & 0x02); i++) {
        /* wait for the controller's input buffer to drain */
    }
    outb(0x64, 0xfe);
    /* A VMM acts on the port write before the vCPU runs on; these reads
     * (each one an exit) only give an asynchronous one a moment. */
    for (int i = 0; i < 16; i++) {
        (void)inb(0x64);
    }
    puts_serial("MIMIC-KVM-GUEST: i8042 reset had no effect, triple fault\n");
    guest_triple_fault();
}

void guest_main(uint32_t start_info_pa)
{
    serial_init();
    puts_serial("\nMIMIC-KVM-GUEST: start\n");
    puts_serial("start_info at 0x");
    put_hex(start_info_pa, 8);
    puts_serial("\n");
    const struct hvm_start_info *si = (const void *)(uintptr_t)start_info_pa;

    check((rdmsr(0xc0000080) & (1u << 10)) != 0, "long mode active", "EFER.LMA clear");
    print_cpu();
    if (check(start_info_pa != 0 && si->magic == HVM_START_MAGIC, "start_info magic",
              "EBX does not point at 0x336ec578")) {
        puts_serial("start_info: version=");
        put_dec(si->version);
        puts_serial(" flags=0x");
        put_hex(si->flags, 8);
        puts_serial(" nr_modules=");
        put_dec(si->nr_modules);
        puts_serial("\n");
        read_cmdline(si);
        read_memmap(si);
        if (memmap_n) {
            test_ram();
        }
    }

    char mode[32];
    if (!cmdline_get(cmdline, "mimic.test", 0, mode, sizeof(mode))) {
        mode[0] = 0;
    }
    int blk = probe_virtio();
    if (memcmp(mode, "int3", 5) == 0) {
        check_int3();
    }
    if (memcmp(mode, "smp", 4) == 0) {
        char n[8];
        const char *end;
        unsigned cpus = cmdline_get(cmdline, "mimic.cpus", 0, n, sizeof(n))
                        ? (unsigned)parse_size(n, &end) : 0;
        smp_check(cpus, ram_covers(0x8000, 0x1000));
    }
    if (memcmp(mode, "blk", 4) == 0) {
        check(blk == 1, "virtio-blk device found", "mimic.test=blk needs exactly one");
    } else if (memcmp(mode, "serial", 7) == 0) {
        check(blk == 0, "no virtio-blk device", "mimic.test=serial expects none");
    }

    puts_serial("MIMIC-KVM-GUEST: ");
    put_dec((uint64_t)passes);
    puts_serial(" passed, ");
    put_dec((uint64_t)fails);
    puts_serial(" failed\n");
    puts_serial(fails == 0 && passes > 0 ? "RESULT: PASS\n" : "RESULT: FAIL\n");
    machine_reset();
}
