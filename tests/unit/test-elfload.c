/*
 * test-elfload.c — unit tests for the linux-user loader and guest memory:
 * ELF validation errors, segment mapping and bss, PIE placement,
 * PT_INTERP, the initial stack and auxv, guest mmap/munmap/mremap/brk, and
 * mutation fuzzing of the ELF and program headers.
 *
 * The one thing to know: ELF files are built in memory by make_elf() and
 * written to a temporary file, so the tests need no cross toolchain; the
 * exec/ hooks are replaced by counters defined here.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "linux-user/guest-mem.h"
#include "linux-user/loader.h"

static int invalidations;

void exec_tb_invalidate_range(uint64_t start, uint64_t end)
{
    invalidations++;
}

void exec_tb_flush(void)
{
}

#define CODE_VADDR 0x10000
#define DATA_VADDR 0x11800 /* shares no page with code; bss ends mid-page */

typedef struct TestElf {
    Elf64_Ehdr eh;
    Elf64_Phdr ph[3];
    uint8_t code[16];
    uint8_t data[8];
} TestElf;

/* A small valid RISC-V ET_EXEC: code (R-X), data (RW-) with bss. */
static TestElf make_elf(void)
{
    TestElf e;
    memset(&e, 0, sizeof(e));
    memcpy(e.eh.e_ident, ELFMAG, SELFMAG);
    e.eh.e_ident[EI_CLASS] = ELFCLASS64;
    e.eh.e_ident[EI_DATA] = ELFDATA2LSB;
    e.eh.e_ident[EI_VERSION] = EV_CURRENT;
    e.eh.e_type = ET_EXEC;
    e.eh.e_machine = EM_RISCV;
    e.eh.e_version = EV_CURRENT;
    e.eh.e_entry = CODE_VADDR + offsetof(TestElf, code);
    e.eh.e_phoff = offsetof(TestElf, ph);
    e.eh.e_ehsize = sizeof(Elf64_Ehdr);
    e.eh.e_phentsize = sizeof(Elf64_Phdr);
    e.eh.e_phnum = 2;
    e.ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0,
                            .p_vaddr = CODE_VADDR, .p_filesz = offsetof(TestElf, data),
                            .p_memsz = offsetof(TestElf, data), .p_align = 0x1000 };
    e.ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W,
                            .p_offset = offsetof(TestElf, data), .p_vaddr = DATA_VADDR,
                            .p_filesz = sizeof(e.data), .p_memsz = 0x2000, .p_align = 0x1000 };
    memset(e.code, 0x13, sizeof(e.code));
    memset(e.data, 0xaa, sizeof(e.data));
    return e;
}

static char tmp_path[64];

static void write_file(const void *data, size_t len)
{
    snprintf(tmp_path, sizeof(tmp_path), "/tmp/test-elfload-%d", getpid());
    int fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

/* Loads data as an ELF; returns the loader's result, message in err. */
static int load(const void *data, size_t len, ElfImage *img, char *err)
{
    write_file(data, len);
    int r = elf_load_file(tmp_path, 0, img, err, 256);
    unlink(tmp_path);
    return r;
}

static void unload(const ElfImage *img)
{
    guest_munmap(img->start, img->end - img->start);
}

static void expect_error(const void *data, size_t len, const char *msg)
{
    ElfImage img;
    char err[256];
    assert_int_equal(load(data, len, &img, err), -1);
    assert_string_equal(err, msg);
}

static void test_not_elf(void **state)
{
    expect_error("#!/bin/sh\n", 10, "not an ELF file");
    expect_error("", 0, "not an ELF file");
}

static void test_truncated(void **state)
{
    TestElf e = make_elf();
    expect_error(&e, 20, "truncated ELF");
    expect_error(&e, sizeof(Elf64_Ehdr) + 10, "truncated ELF");
    e.eh.e_phoff = UINT64_MAX - 8; /* offset + size overflows */
    expect_error(&e, sizeof(e), "truncated ELF");
    e = make_elf();
    e.ph[1].p_offset = 1u << 20;
    expect_error(&e, sizeof(e), "truncated ELF");
    e = make_elf();
    e.ph[1].p_filesz = UINT64_MAX;
    e.ph[1].p_memsz = UINT64_MAX;
    expect_error(&e, sizeof(e), "truncated ELF");
}

static void test_wrong_machine(void **state)
{
    TestElf e = make_elf();
    e.eh.e_machine = EM_X86_64;
    expect_error(&e, sizeof(e), "ELF for machine 62 (x86-64), not RISC-V");
    e = make_elf();
    e.eh.e_ident[EI_CLASS] = ELFCLASS32;
    expect_error(&e, sizeof(e), "not a 64-bit ELF file (RISC-V 64 needs ELFCLASS64)");
    e = make_elf();
    e.eh.e_ident[EI_DATA] = ELFDATA2MSB;
    expect_error(&e, sizeof(e), "not a little-endian ELF file");
    e = make_elf();
    e.eh.e_type = ET_REL;
    expect_error(&e, sizeof(e), "not an executable ELF file (e_type 1)");
}

static void test_bad_headers(void **state)
{
    TestElf e = make_elf();
    e.eh.e_phentsize = 32;
    expect_error(&e, sizeof(e), "bad program header size 32");
    e = make_elf();
    e.eh.e_phnum = 0;
    expect_error(&e, sizeof(e), "bad program header count 0");
    e = make_elf();
    e.ph[1].p_filesz = 0x3000;
    expect_error(&e, sizeof(e), "bad PT_LOAD segment 1 (file size > memory size)");
    e = make_elf();
    e.ph[1].p_vaddr = GUEST_WINDOW_SIZE - 0x1000;
    expect_error(&e, sizeof(e), "PT_LOAD segment 1 outside the guest address space");
    e = make_elf();
    e.ph[0].p_type = PT_NOTE;
    e.ph[1].p_type = PT_NOTE;
    expect_error(&e, sizeof(e), "no loadable segments");
    e = make_elf();
    e.eh.e_phnum = 3;
    e.ph[2] = (Elf64_Phdr){ .p_type = PT_INTERP, .p_offset = offsetof(TestElf, data),
                            .p_filesz = sizeof(e.data) };
    expect_error(&e, sizeof(e), "bad PT_INTERP segment"); /* not NUL-terminated */
}

static void test_load_exec(void **state)
{
    TestElf e = make_elf();
    ElfImage img;
    char err[256];
    assert_int_equal(load(&e, sizeof(e), &img, err), 0);
    assert_int_equal(img.load_bias, 0);
    assert_int_equal(img.entry, e.eh.e_entry);
    assert_int_equal(img.phdr, CODE_VADDR + e.eh.e_phoff);
    assert_int_equal(img.phnum, 2);
    assert_int_equal(img.end, 0x14000);
    assert_int_equal(page_get_flags(CODE_VADDR), PAGE_VALID | PAGE_READ | PAGE_EXEC);
    assert_int_equal(page_get_flags(DATA_VADDR), PAGE_VALID | PAGE_READ | PAGE_WRITE);
    assert_int_equal(page_get_flags(0x13000), PAGE_VALID | PAGE_READ | PAGE_WRITE);
    assert_int_equal(page_get_flags(0x14000), 0);
    const uint8_t *data = g2h(DATA_VADDR);
    assert_int_equal(data[0], 0xaa);
    assert_int_equal(data[sizeof(e.data)], 0); /* bss in the partial page */
    for (uint64_t a = DATA_VADDR + sizeof(e.data); a < DATA_VADDR + 0x2000; a++) {
        assert_int_equal(*(uint8_t *)g2h(a), 0);
    }
    uint8_t code[4];
    assert_true(exec_read_code(e.eh.e_entry, code, sizeof(code)));
    assert_int_equal(code[0], 0x13);
    assert_false(exec_read_code(DATA_VADDR, code, sizeof(code)));
    unload(&img);
    assert_false(exec_read_code(e.eh.e_entry, code, sizeof(code)));
}

static void test_load_pie_and_interp(void **state)
{
    TestElf e = make_elf();
    e.eh.e_type = ET_DYN;
    e.eh.e_entry -= CODE_VADDR;
    e.ph[0].p_vaddr = 0;
    e.ph[1].p_vaddr = DATA_VADDR - CODE_VADDR;
    ElfImage img;
    char err[256];
    assert_int_equal(load(&e, sizeof(e), &img, err), 0);
    assert_int_equal(img.load_bias, ELF_ET_DYN_BASE);
    assert_int_equal(img.entry, ELF_ET_DYN_BASE + e.eh.e_entry);
    assert_int_equal(img.interp[0], '\0');
    unload(&img);

    e.eh.e_phnum = 3;
    memcpy(e.data, "/ld.so", 7);
    e.ph[2] = (Elf64_Phdr){ .p_type = PT_INTERP, .p_offset = offsetof(TestElf, data),
                            .p_filesz = 7 };
    assert_int_equal(load(&e, sizeof(e), &img, err), 0);
    assert_string_equal(img.interp, "/ld.so");
    unload(&img);
}

static uint64_t read_u64(uint64_t addr)
{
    uint64_t v;
    memcpy(&v, g2h(addr), sizeof(v));
    return v;
}

static void test_stack(void **state)
{
    TestElf e = make_elf();
    ElfImage img;
    char err[256];
    assert_int_equal(load(&e, sizeof(e), &img, err), 0);
    char *argv[] = { "prog", "arg1", NULL };
    char *envp[] = { "A=1", NULL };
    StackInfo si = { 2, argv, envp, "/bin/prog", &img, NULL };
    uint64_t sp = stack_setup(&si, err, sizeof(err));
    assert_true(sp != 0);
    assert_int_equal(sp % 16, 0);
    assert_int_equal(read_u64(sp), 2);
    assert_string_equal(g2h(read_u64(sp + 8)), "prog");
    assert_string_equal(g2h(read_u64(sp + 16)), "arg1");
    assert_int_equal(read_u64(sp + 24), 0);
    assert_string_equal(g2h(read_u64(sp + 32)), "A=1");
    assert_int_equal(read_u64(sp + 40), 0);
    uint64_t seen = 0;
    for (uint64_t p = sp + 48;; p += 16) {
        uint64_t type = read_u64(p), val = read_u64(p + 8);
        if (type == AT_NULL) {
            break;
        }
        seen |= 1ULL << type;
        switch (type) {
        case AT_PHDR: assert_int_equal(val, img.phdr); break;
        case AT_PHNUM: assert_int_equal(val, 2); break;
        case AT_PHENT: assert_int_equal(val, sizeof(Elf64_Phdr)); break;
        case AT_PAGESZ: assert_int_equal(val, 4096); break;
        case AT_ENTRY: assert_int_equal(val, img.entry); break;
        case AT_BASE: assert_int_equal(val, 0); break;
        case AT_HWCAP: assert_int_equal(val, RISCV_HWCAP_IMAFDC); break;
        case AT_EXECFN: assert_string_equal(g2h(val), "/bin/prog"); break;
        case AT_RANDOM: assert_true(page_check_range(val, 16, PAGE_READ)); break;
        default: break;
        }
    }
    const unsigned needed[] = { AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE, AT_FLAGS,
                                AT_ENTRY, AT_UID, AT_EUID, AT_GID, AT_EGID, AT_SECURE,
                                AT_RANDOM, AT_HWCAP, AT_CLKTCK, AT_EXECFN };
    for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
        assert_true(seen & (1ULL << needed[i]));
    }
    guest_munmap(guest_limit - GUEST_STACK_SIZE, GUEST_STACK_SIZE);
    unload(&img);
}

static void test_mmap(void **state)
{
    int64_t a = guest_mmap(0, 10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(a > 0);
    assert_int_equal(a % 4096, 0);
    assert_true(page_check_range((uint64_t)a, 12288, PAGE_READ | PAGE_WRITE));
    memset(g2h((uint64_t)a), 1, 10000);
    /* Fixed mapping outside the window, or misaligned: refused. */
    assert_int_equal(guest_mmap(guest_limit, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                                -1, 0), -ENOMEM);
    assert_int_equal(guest_mmap(1, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
                     -EINVAL);
    assert_int_equal(guest_mmap((uint64_t)a, 4096, PROT_READ,
                                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0),
                     -EEXIST);
    /* Grow with move; contents follow. */
    int64_t b = guest_mremap((uint64_t)a, 12288, 1 << 20, MREMAP_MAYMOVE, 0);
    assert_true(b > 0);
    assert_int_equal(*(uint8_t *)g2h((uint64_t)b + 9999), 1);
    assert_true(page_check_range((uint64_t)b, 1 << 20, PAGE_WRITE));
    /* Code invalidation on mprotect and munmap of executable pages. */
    invalidations = 0;
    assert_int_equal(guest_mprotect((uint64_t)b, 4096, PROT_READ | PROT_EXEC), 0);
    assert_int_equal(guest_munmap((uint64_t)b, 1 << 20), 0);
    assert_true(invalidations >= 1);
    assert_false(page_check_range((uint64_t)b, 1, PAGE_VALID));
    assert_int_equal(guest_mprotect((uint64_t)b, 4096, PROT_READ), -ENOMEM);
    assert_int_equal(guest_munmap(guest_limit - 4096, 8192), -EINVAL);
}

static void test_brk(void **state)
{
    guest_brk_init(0x200000);
    assert_int_equal(guest_brk(0), 0x200000);
    assert_int_equal(guest_brk(0x200000 + 10000), 0x200000 + 10000);
    assert_true(page_check_range(0x200000, 10000, PAGE_READ | PAGE_WRITE));
    assert_int_equal(guest_brk(0x200000 + 100), 0x200000 + 100);
    assert_false(page_check_range(0x201000, 1, PAGE_VALID));
    assert_int_equal(guest_brk(GUEST_WINDOW_SIZE), 0x200000 + 100); /* refused */
    assert_int_equal(guest_brk(0x200000), 0x200000);
}

static void test_guest_access(void **state)
{
    int64_t a = guest_mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(a > 0);
    uint64_t g = (uint64_t)a;
    memset(g2h(g + 8192 - 4), 'x', 4); /* string running off the end */
    assert_int_equal(guest_mprotect(g + 4096, 4096, PROT_READ), 0);
    assert_non_null(guest_lock(g, 4096, GUEST_ACCESS_WRITE));
    assert_null(guest_lock(g, 4097, GUEST_ACCESS_WRITE));
    assert_non_null(guest_lock(g, 8192, GUEST_ACCESS_READ));
    assert_null(guest_lock(g, 8193, GUEST_ACCESS_READ));
    assert_null(guest_lock(UINT64_MAX - 10, 20, GUEST_ACCESS_READ));
    char buf[16];
    assert_int_equal(guest_copy_string(buf, sizeof(buf), g + 8192 - 4), -EFAULT);
    memcpy(g2h(g), "hello", 6);
    assert_int_equal(guest_copy_string(buf, sizeof(buf), g), 5);
    assert_string_equal(buf, "hello");
    memset(g2h(g), 'y', 100);
    assert_int_equal(guest_copy_string(buf, sizeof(buf), g), -ENAMETOOLONG);
    assert_int_equal(guest_copy_to(g + 4096, "z", 1), -EFAULT);
    guest_munmap(g, 8192);
}

/* Mutation fuzzing of the headers: random bytes of the ELF and program
 * headers are overwritten with random or boundary values, and the file is
 * sometimes truncated. Every result must be a clean error or an image that
 * lies inside the guest window and unloads again. */
static void test_fuzz_headers(void **state)
{
    static const uint64_t edges[] = { 0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0xffffffff,
                                      UINT64_MAX, UINT64_MAX - 0xfff, 1ull << 38, 1ull << 63 };
    uint64_t rng = 0x243f6a8885a308d3ull;
    const size_t hdr_len = offsetof(TestElf, code);
    unsigned loaded = 0, refused = 0;
    for (unsigned iter = 0; iter < 3000; iter++) {
        TestElf e = make_elf();
        uint8_t *bytes = (uint8_t *)&e;
        for (unsigned n = 1 + iter % 3; n > 0; n--) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            /* mostly the program headers, where most fields are free */
            size_t pos = rng % 4 ? offsetof(TestElf, ph) + (rng >> 8) % sizeof(e.ph)
                                 : (rng >> 8) % hdr_len;
            if (rng & 1) {
                bytes[pos] = (uint8_t)(rng >> 32);
            } else {
                uint64_t v = edges[(rng >> 40) % (sizeof(edges) / sizeof(edges[0]))];
                size_t width = (size_t)1 << ((rng >> 48) % 4);
                if (pos + width > hdr_len) {
                    pos = hdr_len - width;
                }
                memcpy(bytes + pos, &v, width);
            }
        }
        size_t len = sizeof(e);
        if (iter % 7 == 0) {
            len = (size_t)(rng >> 16) % (sizeof(e) + 1);
        }
        ElfImage img;
        char err[256];
        if (load(&e, len, &img, err) == 0) {
            assert_true(img.start <= img.end);
            assert_true(guest_range_valid(img.start, img.end - img.start));
            unload(&img);
            loaded++;
        } else {
            assert_true(err[0] != 0);
            refused++;
        }
    }
    print_message("fuzz: %u loaded, %u refused\n", loaded, refused);
    assert_true(loaded > 300 && refused > 300); /* both paths really exercised */
}

int main(void)
{
    if (guest_memory_init() < 0) {
        fprintf(stderr, "cannot reserve the guest window\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_elf),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_wrong_machine),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_load_exec),
        cmocka_unit_test(test_load_pie_and_interp),
        cmocka_unit_test(test_stack),
        cmocka_unit_test(test_mmap),
        cmocka_unit_test(test_brk),
        cmocka_unit_test(test_guest_access),
        cmocka_unit_test(test_fuzz_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
