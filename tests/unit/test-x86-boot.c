/*
 * test-x86-boot.c — the microvm's direct-boot loaders on a guest address
 * space without KVM: a bzImage by the 64-bit boot protocol (boot_params,
 * e820, command line, initrd placement, page tables, boot registers), an
 * ELF with a PVH note (segments, hvm_start_info, memory map, module), the
 * MP table's checksums, and hostile files (truncated headers, old
 * protocols, setup_sects past the end, segments outside the file or below
 * 1 MiB, malformed notes, no PVH note, command lines too long), which must
 * give an error naming the file or option; and random corruptions of
 * valid images (fixed seed), which must load or fail cleanly.
 *
 * The one thing to know: images are built in memory by the helpers below
 * and written to a scratch directory; RAM is 64 MiB at 0.
 */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "accel/kvm/x86-boot.h"
#include "accel/kvm/x86-mptable.h"

#define RAM_SIZE (64ull << 20)

static AddressSpace as;
static char dir[64];
static char err[512];
static uint8_t img[1 << 20];

static const char *write_file(const char *name, const void *data, size_t len)
{
    static char path[2][128];
    static int which;
    which ^= 1;
    snprintf(path[which], sizeof(path[which]), "%s/%s", dir, name);
    FILE *f = fopen(path[which], "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    return path[which];
}

static int setup(void **state)
{
    memset(&as, 0, sizeof(as));
    assert_int_equal(address_space_add_ram(&as, "ram", 0, RAM_SIZE), 0);
    snprintf(dir, sizeof(dir), "/tmp/mimic-x86boot-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    address_space_destroy(&as);
    return 0;
}

static uint32_t rd32(uint64_t addr)
{
    uint32_t v;
    assert_int_equal(address_space_read(&as, addr, &v, 4), 0);
    return v;
}

static uint64_t rd64(uint64_t addr)
{
    uint64_t v;
    assert_int_equal(address_space_read(&as, addr, &v, 8), 0);
    return v;
}

/* A bzImage: 4 setup sectors (+ the boot sector), protocol 2.15, a 64-bit
 * kernel of kernel_len bytes of 0x5a. */
static size_t make_bzimage(size_t kernel_len, uint32_t init_size)
{
    size_t setup = 5 * 512;
    memset(img, 0, setup + kernel_len);
    img[0x1f1] = 4;
    img[0x1fe] = 0x55;
    img[0x1ff] = 0xaa;
    img[0x200] = 0xeb;
    img[0x201] = 0x6a; /* header ends at 0x26c */
    memcpy(img + 0x202, "HdrS", 4);
    img[0x206] = 0x0f;
    img[0x207] = 0x02;
    img[0x211] = 0x01; /* LOADED_HIGH */
    uint32_t initrd_max = 0x7fffffff, cmdline_size = 2047;
    memcpy(img + 0x22c, &initrd_max, 4);
    img[0x236] = 0x03; /* XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G */
    memcpy(img + 0x238, &cmdline_size, 4);
    memcpy(img + 0x260, &init_size, 4);
    memset(img + setup, 0x5a, kernel_len);
    return setup + kernel_len;
}

static int load(const char *kernel, const char *initrd, const char *cmdline, X86BootState *b)
{
    X86BootConfig c = { RAM_SIZE, kernel, initrd, cmdline };
    memset(err, 0, sizeof(err));
    return x86_load_kernel(&as, &c, b, err, sizeof(err));
}

static void test_bzimage(void **state)
{
    size_t n = make_bzimage(0x3000, 0x200000);
    const char *k = write_file("bz", img, n);
    static uint8_t rd[10000];
    memset(rd, 0x77, sizeof(rd));
    const char *i = write_file("initrd", rd, sizeof(rd));
    X86BootState b;
    assert_int_equal(load(k, i, "console=ttyS0", &b), 0);
    assert_int_equal(b.mode, X86_BOOT_LONG64);
    assert_int_equal(b.entry, 0x100200);
    assert_int_equal(b.rsi, X86_BOOT_PARAMS);
    assert_int_equal(b.cr3, X86_BOOT_PML4);
    /* kernel at 1 MiB */
    assert_int_equal(rd32(0x100000), 0x5a5a5a5a);
    /* setup header copied, loader fields set */
    assert_int_equal(rd32(X86_BOOT_PARAMS + 0x202), 0x53726448);
    uint8_t type;
    address_space_read(&as, X86_BOOT_PARAMS + 0x210, &type, 1);
    assert_int_equal(type, 0xff);
    assert_int_equal(rd32(X86_BOOT_PARAMS + 0x228), X86_BOOT_CMDLINE);
    char cmd[32];
    address_space_read(&as, X86_BOOT_CMDLINE, cmd, sizeof(cmd));
    assert_string_equal(cmd, "console=ttyS0");
    /* initrd: page aligned, at the top of RAM, above the kernel's init_size */
    uint32_t at = rd32(X86_BOOT_PARAMS + 0x218), size = rd32(X86_BOOT_PARAMS + 0x21c);
    assert_int_equal(size, sizeof(rd));
    assert_int_equal(at & 0xfff, 0);
    assert_true(at + size <= RAM_SIZE && at + size > RAM_SIZE - 0x2000);
    assert_int_equal(rd32(at), 0x77777777);
    /* e820: usable low memory, reserved EBDA, RAM from 1 MiB to the end */
    uint8_t nent;
    address_space_read(&as, X86_BOOT_PARAMS + 0x1e8, &nent, 1);
    assert_int_equal(nent, 4);
    assert_int_equal(rd64(X86_BOOT_PARAMS + 0x2d0 + 3 * 20), 0x100000);
    assert_int_equal(rd64(X86_BOOT_PARAMS + 0x2d0 + 3 * 20 + 8), RAM_SIZE - 0x100000);
    assert_int_equal(rd32(X86_BOOT_PARAMS + 0x2d0 + 3 * 20 + 16), E820_RAM);
    assert_int_equal(rd32(X86_BOOT_PARAMS + 0x2d0 + 1 * 20 + 16), E820_RESERVED);
    /* identity map: PML4[0] -> PDPT, PDPT[3] -> 4th PD, PD entries 2 MiB pages */
    assert_int_equal(rd64(X86_BOOT_PML4), (X86_BOOT_PML4 + 0x1000) | 3);
    assert_int_equal(rd64(X86_BOOT_PML4 + 0x1000 + 3 * 8), (X86_BOOT_PML4 + 0x5000) | 3);
    assert_int_equal(rd64(X86_BOOT_PML4 + 0x5000 + 511 * 8),
                     (3ull << 30) | (511ull << 21) | 0x83);
}

static void expect_error(const char *kernel, const char *initrd, const char *cmdline,
                         const char *needle)
{
    X86BootState b;
    assert_int_equal(load(kernel, initrd, cmdline, &b), -1);
    if (!strstr(err, needle)) {
        fail_msg("error '%s' lacks '%s'", err, needle);
    }
}

static void test_bzimage_hostile(void **state)
{
    size_t n = make_bzimage(0x1000, 0);
    expect_error(write_file("short", img, 0x240), NULL, "", "truncated");
    img[0x1fe] = 0;
    expect_error(write_file("noflag", img, n), NULL, "", "invalid bzImage");
    n = make_bzimage(0x1000, 0);
    img[0x206] = 0x0b; /* 2.11 */
    expect_error(write_file("old", img, n), NULL, "", "64-bit entry");
    n = make_bzimage(0x1000, 0);
    img[0x236] = 0;
    expect_error(write_file("no64", img, n), NULL, "", "XLF_KERNEL_64");
    n = make_bzimage(0x1000, 0);
    img[0x1f1] = 200; /* setup runs past the end */
    expect_error(write_file("setup", img, n), NULL, "", "setup_sects");
    n = make_bzimage(0x1000, 0xfffffff0u); /* init_size larger than RAM */
    expect_error(write_file("init", img, n), NULL, "", "give more -m");
    n = make_bzimage(0x1000, 0);
    static char longcmd[4000];
    memset(longcmd, 'a', sizeof(longcmd) - 1);
    expect_error(write_file("bz", img, n), NULL, longcmd, "-append");
    static uint8_t big[1];
    expect_error(write_file("bz2", img, n), write_file("empty", big, 0) , "", "empty");
    expect_error("/nonexistent/kernel", NULL, "", "/nonexistent/kernel");
    expect_error(write_file("text", "hello world, not a kernel at all", 32), NULL, "",
                 "neither a Linux bzImage nor an ELF");
}

/* A PVH ELF64: one PT_LOAD (0x1000 bytes of 0xab at paddr, memsz 0x3000),
 * one PT_NOTE with the entry note (or a broken one). */
static size_t make_pvh(uint64_t paddr, uint32_t entry, int note_kind)
{
    memset(img, 0, 0x3000);
    Elf64_Ehdr eh = { 0 };
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_X86_64;
    eh.e_phoff = sizeof(eh);
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = 2;
    Elf64_Phdr load = { .p_type = PT_LOAD, .p_offset = 0x1000, .p_paddr = paddr,
                        .p_filesz = 0x1000, .p_memsz = 0x3000 };
    uint32_t note[6] = { 4, 4, 18, 0x006e6558 /* "Xen\0" */, entry, 0 };
    if (note_kind == 1) {
        note[1] = 0x1000; /* descsz past the segment */
    } else if (note_kind == 2) {
        note[2] = 17;     /* another note, no entry */
    }
    Elf64_Phdr pn = { .p_type = PT_NOTE, .p_offset = 0x800, .p_filesz = 20 };
    memcpy(img, &eh, sizeof(eh));
    memcpy(img + sizeof(eh), &load, sizeof(load));
    memcpy(img + sizeof(eh) + sizeof(load), &pn, sizeof(pn));
    memcpy(img + 0x800, note, 20);
    memset(img + 0x1000, 0xab, 0x1000);
    return 0x2000;
}

static void test_pvh(void **state)
{
    size_t n = make_pvh(0x200000, 0x200010, 0);
    const char *k = write_file("pvh", img, n);
    static uint8_t rd[5000];
    memset(rd, 0x66, sizeof(rd));
    const char *i = write_file("initrd", rd, sizeof(rd));
    /* dirty the bss first: the loader must zero it */
    uint32_t junk = 0xdeadbeef;
    address_space_write(&as, 0x201000, &junk, 4);
    X86BootState b;
    assert_int_equal(load(k, i, "hello", &b), 0);
    assert_int_equal(b.mode, X86_BOOT_PVH32);
    assert_int_equal(b.entry, 0x200010);
    assert_int_equal(b.rbx, X86_BOOT_PVH_INFO);
    assert_int_equal(rd32(0x200000), 0xabababab);
    assert_int_equal(rd32(0x201000), 0);
    uint64_t si = X86_BOOT_PVH_INFO;
    assert_int_equal(rd32(si), 0x336ec578);
    assert_int_equal(rd32(si + 4), 1);           /* version */
    assert_int_equal(rd32(si + 12), 1);          /* nr_modules */
    uint64_t mod = rd64(si + 16);
    assert_int_equal(rd64(mod + 8), sizeof(rd));
    assert_int_equal(rd32(rd64(mod)), 0x66666666);
    char cmd[8];
    address_space_read(&as, rd64(si + 24), cmd, 6);
    assert_string_equal(cmd, "hello");
    uint64_t mm = rd64(si + 40);
    assert_int_equal(rd32(si + 48), 4);          /* memmap entries */
    assert_int_equal(rd64(mm + 3 * 24), 0x100000);
    assert_int_equal(rd32(mm + 3 * 24 + 16), E820_RAM);
}

static void test_pvh_hostile(void **state)
{
    size_t n = make_pvh(0x80000, 0x200010, 0);
    expect_error(write_file("low", img, n), NULL, "", "1 MiB");
    n = make_pvh(RAM_SIZE - 0x1000, RAM_SIZE - 0x1000, 0);
    expect_error(write_file("high", img, n), NULL, "", "not inside RAM");
    n = make_pvh(0x200000, 0x200010, 1);
    expect_error(write_file("note", img, n), NULL, "", "malformed ELF note");
    n = make_pvh(0x200000, 0x200010, 2);
    expect_error(write_file("nonote", img, n), NULL, "", "without a PVH entry note");
    n = make_pvh(0x200000, 0x10, 0);
    expect_error(write_file("entry", img, n), NULL, "", "entry point");
    n = make_pvh(0x200000, 0x200010, 0);
    expect_error(write_file("trunc", img, 0x1800), NULL, "", "outside the file");
    n = make_pvh(0x200000, 0x200010, 0);
    img[EI_CLASS] = 7;
    expect_error(write_file("class", img, n), NULL, "", "not a little-endian ELF");
    n = make_pvh(0x200000, 0x200010, 0);
    Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
    eh->e_machine = EM_AARCH64;
    expect_error(write_file("arm", img, n), NULL, "", "not x86");
    n = make_pvh(0x200000, 0x200010, 0);
    eh->e_phoff = 0xffffffffffffff00ull;
    expect_error(write_file("phoff", img, n), NULL, "", "outside the file");
    expect_error(write_file("ehdr", img, 40), NULL, "", "truncated ELF header");
}

static uint8_t sum(uint64_t addr, size_t len)
{
    uint8_t buf[1024], s = 0;
    assert_int_equal(address_space_read(&as, addr, buf, len), 0);
    for (size_t i = 0; i < len; i++) {
        s = (uint8_t)(s + buf[i]);
    }
    return s;
}

static void test_mptable(void **state)
{
    assert_int_equal(x86_write_mptable(&as, 4, 0x806f8, 0x178bfbff, err, sizeof(err)), 0);
    assert_int_equal(rd32(X86_BOOT_EBDA), 0x5f504d5f); /* "_MP_" */
    assert_int_equal(sum(X86_BOOT_EBDA, 16), 0);
    uint32_t table = rd32(X86_BOOT_EBDA + 4);
    assert_int_equal(rd32(table), 0x504d4350);         /* "PCMP" */
    uint16_t len;
    address_space_read(&as, table + 4, &len, 2);
    assert_int_equal(sum(table, len), 0);
    /* 4 CPUs, bus, IOAPIC, 16 IRQs, 2 local interrupts */
    uint16_t count;
    address_space_read(&as, table + 34, &count, 2);
    assert_int_equal(count, 4 + 2 + 16 + 2);
    assert_true(X86_BOOT_EBDA + 16 + len <= 0xa0000);
    assert_int_equal(x86_write_mptable(&as, 200, 0, 0, err, sizeof(err)), -1);
}

/* Random corruptions of valid images (a fixed seed, so a failure replays):
 * each load either succeeds or fails with a message; never a crash, and
 * never a write outside guest RAM (the sanitizer builds check that). */
static void test_mutations(void **state)
{
    static uint8_t orig[0x4000];
    unsigned seed = 12345;
    for (int kind = 0; kind < 2; kind++) {
        size_t n = kind == 0 ? make_bzimage(0x1000, 0x4000) : make_pvh(0x200000, 0x200010, 0);
        memcpy(orig, img, n);
        for (int iter = 0; iter < 1500; iter++) {
            memcpy(img, orig, n);
            int flips = 1 + (int)(rand_r(&seed) % 8);
            for (int f = 0; f < flips; f++) {
                /* mostly in the headers, where the fields are */
                size_t at = (size_t)rand_r(&seed) % (rand_r(&seed) % 4 ? 0x300 : n);
                img[at] = (uint8_t)rand_r(&seed);
            }
            size_t len = rand_r(&seed) % 16 ? n : (size_t)rand_r(&seed) % n + 1;
            const char *k = write_file("fuzz", img, len);
            X86BootState b;
            int r = load(k, NULL, "console=ttyS0", &b);
            assert_true(r == 0 || (r == -1 && err[0]));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bzimage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bzimage_hostile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pvh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pvh_hostile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mptable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mutations, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
