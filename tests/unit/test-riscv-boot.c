/*
 * test-riscv-boot.c — RISC-V boot loading into a guest address space:
 * ELF firmware (segments at physical addresses, bss zeroed), raw images,
 * Linux Image kernels (header magic, text_offset), initrd and device-tree
 * placement, the reset vector with fw_dynamic_info, and hostile files
 * (truncated, wrong machine, segments outside the file or outside RAM, an
 * Image without its magic), which must give an error naming the file.
 *
 * The one thing to know: test files are written to a scratch directory by
 * the helpers below; RAM is 64 MiB at 0x80000000 plus the mask ROM.
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

#include "system/riscv-boot.h"

#define RAM 0x80000000ull
#define RAM_SIZE (64ull << 20)

static AddressSpace as;
static char dir[64];
static char err[512];

static const char *write_file(const char *name, const void *data, size_t len)
{
    static char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    return path;
}

/* An ELF with one PT_LOAD: filesz bytes of 0xab at paddr, memsz total. */
static size_t make_elf(uint8_t *buf, uint16_t machine, uint64_t paddr, uint64_t filesz,
                       uint64_t memsz, uint64_t offset_override)
{
    Elf64_Ehdr eh = { 0 };
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_type = ET_EXEC;
    eh.e_machine = machine;
    eh.e_entry = paddr + 0x10;
    eh.e_phoff = sizeof(eh);
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = 1;
    Elf64_Phdr ph = { .p_type = PT_LOAD, .p_offset = 0x1000, .p_paddr = paddr,
                      .p_vaddr = 0xffffffff80000000ull, .p_filesz = filesz, .p_memsz = memsz };
    if (offset_override) {
        ph.p_offset = offset_override;
    }
    memset(buf, 0, 0x1000 + filesz);
    memcpy(buf, &eh, sizeof(eh));
    memcpy(buf + sizeof(eh), &ph, sizeof(ph));
    memset(buf + 0x1000, 0xab, filesz);
    return 0x1000 + filesz;
}

static int setup(void **state)
{
    memset(&as, 0, sizeof(as));
    assert_int_equal(address_space_add_ram(&as, "mrom", RISCV_MROM_BASE, RISCV_MROM_SIZE), 0);
    assert_int_equal(address_space_add_ram(&as, "ram", RAM, RAM_SIZE), 0);
    snprintf(dir, sizeof(dir), "/tmp/mimic-boot-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    address_space_destroy(&as);
    return 0;
}

static void test_elf_firmware(void **state)
{
    static uint8_t buf[0x3000];
    uint8_t *ram = address_space_map(&as, RAM, 0x3000);
    memset(ram, 0x55, 0x3000);
    size_t n = make_elf(buf, EM_RISCV, RAM, 0x100, 0x2000, 0);
    uint64_t entry, end;
    assert_int_equal(riscv_load_image(&as, write_file("fw.elf", buf, n), RAM, &entry, &end, err,
                                      sizeof(err)), 0);
    assert_int_equal(entry, RAM + 0x10);
    assert_int_equal(end, RAM + 0x2000);
    assert_int_equal(ram[0], 0xab);
    assert_int_equal(ram[0xff], 0xab);
    assert_int_equal(ram[0x100], 0);    /* bss */
    assert_int_equal(ram[0x1fff], 0);
    assert_int_equal(ram[0x2000], 0x55); /* untouched */
}

static void test_raw_and_image(void **state)
{
    uint64_t entry, end;
    uint8_t raw[100];
    memset(raw, 0x11, sizeof(raw));
    assert_int_equal(riscv_load_image(&as, write_file("fw.bin", raw, sizeof(raw)), RAM, &entry,
                                      &end, err, sizeof(err)), 0);
    assert_int_equal(entry, RAM);
    assert_int_equal(end, RAM + 100);
    uint64_t kstart = riscv_kernel_start(end);
    assert_int_equal(kstart, RAM + 0x200000);

    static uint8_t image[4096];
    uint64_t text_offset = 0x200000;
    uint32_t magic2 = 0x05435352;
    memcpy(image + 8, &text_offset, 8);
    memcpy(image + 48, "RISCV\0\0\0", 8);
    memcpy(image + 56, &magic2, 4);
    image[100] = 0x77;
    assert_int_equal(riscv_load_kernel(&as, write_file("Image", image, sizeof(image)), kstart,
                                       &entry, &end, err, sizeof(err)), 0);
    assert_int_equal(entry, kstart + text_offset);
    assert_int_equal(end, kstart + text_offset + sizeof(image));
    assert_int_equal(*(uint8_t *)address_space_map(&as, entry + 100, 1), 0x77);

    uint8_t initrd[300] = { 1, 2, 3 };
    uint64_t is, ie;
    assert_int_equal(riscv_load_initrd(&as, write_file("initrd", initrd, sizeof(initrd)), RAM,
                                       RAM_SIZE, end, &is, &ie, err, sizeof(err)), 0);
    assert_int_equal(is, RAM + RAM_SIZE / 2);
    assert_int_equal(ie, is + sizeof(initrd));
    assert_int_equal(riscv_fdt_addr(RAM, RAM_SIZE, 0x2000), RAM + RAM_SIZE - 0x200000);
    assert_int_equal(riscv_fdt_addr(RAM, 8ull << 30, 0x2000), RAM + (3ull << 30) - 0x200000);
}

static void test_rom(void **state)
{
    assert_int_equal(riscv_setup_rom(&as, RAM, RAM + 0x3e00000, RAM + 0x200000), 0);
    uint32_t *code = address_space_map(&as, RISCV_MROM_BASE, 24);
    assert_int_equal(code[0], 0x00000297); /* auipc t0, 0 */
    assert_int_equal(code[5], 0x00028067); /* jr t0 */
    uint64_t *data = address_space_map(&as, RISCV_MROM_BASE + 24, 64);
    assert_int_equal(data[0], RAM);
    assert_int_equal(data[1], RAM + 0x3e00000);
    assert_int_equal(data[2], FW_DYNAMIC_INFO_MAGIC);
    assert_int_equal(data[3], 2);
    assert_int_equal(data[4], RAM + 0x200000);
    assert_int_equal(data[5], FW_DYNAMIC_NEXT_MODE_S);
}

static void expect_error(int r, const char *what)
{
    assert_int_equal(r, -1);
    assert_non_null(strstr(err, dir)); /* names the file */
    assert_non_null(strstr(err, what));
}

static void test_hostile_files(void **state)
{
    static uint8_t buf[0x3000];
    uint64_t entry, end;
    size_t n = make_elf(buf, EM_X86_64, RAM, 0x100, 0x100, 0);
    expect_error(riscv_load_image(&as, write_file("x86.elf", buf, n), RAM, &entry, &end, err,
                                  sizeof(err)), "RISC-V");
    expect_error(riscv_load_image(&as, write_file("trunc.elf", buf, 40), RAM, &entry, &end, err,
                                  sizeof(err)), "truncated");
    n = make_elf(buf, EM_RISCV, RAM, 0x100, 0x100, 0x7fffffffffffull);
    expect_error(riscv_load_image(&as, write_file("off.elf", buf, n), RAM, &entry, &end, err,
                                  sizeof(err)), "outside the file");
    n = make_elf(buf, EM_RISCV, RAM + RAM_SIZE - 0x80, 0x100, 0x100, 0);
    expect_error(riscv_load_image(&as, write_file("past.elf", buf, n), RAM, &entry, &end, err,
                                  sizeof(err)), "not inside guest RAM");
    n = make_elf(buf, EM_RISCV, UINT64_MAX - 0x10, 0x100, 0x100, 0);
    expect_error(riscv_load_image(&as, write_file("wrap.elf", buf, n), RAM, &entry, &end, err,
                                  sizeof(err)), "outside the file");
    n = make_elf(buf, EM_RISCV, RAM, 0x200, 0x100, 0); /* filesz > memsz */
    expect_error(riscv_load_image(&as, write_file("sizes.elf", buf, n), RAM, &entry, &end, err,
                                  sizeof(err)), "outside the file");
    uint8_t junk[200] = { 0 };
    /* Neither ELF nor Image: a raw binary at the load address. */
    assert_int_equal(riscv_load_kernel(&as, write_file("raw", junk, sizeof(junk)), RAM, &entry,
                                       &end, err, sizeof(err)), 0);
    assert_int_equal(entry, RAM);
    assert_int_equal(end, RAM + sizeof(junk));
    expect_error(riscv_load_image(&as, write_file("huge.bin", junk, sizeof(junk)),
                                  RAM + RAM_SIZE - 100, &entry, &end, err, sizeof(err)),
                 "do not fit");
    assert_int_equal(riscv_load_image(&as, "/nonexistent/fw.bin", RAM, &entry, &end, err,
                                      sizeof(err)), -1);
    assert_non_null(strstr(err, "'/nonexistent/fw.bin': No such file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_elf_firmware, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raw_and_image, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rom, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_files, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
