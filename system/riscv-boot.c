/*
 * riscv-boot.c — RISC-V boot loading: ELF and raw images into guest RAM, the
 * Linux "Image" header, initrd and device-tree placement, and the mask-ROM
 * reset vector with OpenSBI's fw_dynamic_info.
 *
 * The one thing to know: every file is hostile input. ELF headers and
 * program headers are checked against the file size, segment sizes
 * against each other and against guest RAM (address_space_map of the
 * whole segment), and nothing is written until the whole range is known
 * to be RAM.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "system/riscv-boot.h"

#define MIB (1ull << 20)
#define KERNEL_ALIGN (2 * MIB)
#define IMAGE_MAGIC2 0x05435352u /* "RSC\x05" */
#define MAX_PHDRS 64

static int boot_error(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "'%s': %s", path, msg);
    return -1;
}

/* Reads the whole file (at most max bytes). */
static uint8_t *read_file(const char *path, uint64_t max, uint64_t *size, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        boot_error(err, errlen, path, "%s", strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return NULL;
    }
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
        boot_error(err, errlen, path, "not a regular file of at most %llu MiB",
                   (unsigned long long)(max / MIB));
        close(fd);
        return NULL;
    }
    uint8_t *buf = malloc(st.st_size ? (size_t)st.st_size : 1);
    ssize_t n = buf ? pread(fd, buf, (size_t)st.st_size, 0) : -1;
    close(fd);
    if (n != st.st_size) {
        free(buf);
        boot_error(err, errlen, path, "cannot read it");
        return NULL;
    }
    *size = (uint64_t)st.st_size;
    return buf;
}

/* Copies len bytes to guest physical addr (all of it must be RAM). */
static int copy_to_ram(const AddressSpace *as, uint64_t addr, const void *src, uint64_t len,
                       uint64_t zero_len)
{
    uint8_t *p = address_space_map(as, addr, len + zero_len);
    if (!p || len + zero_len < len) {
        return -1;
    }
    address_space_notify_write(as, addr, len + zero_len); /* a reboot reloads over old code */
    memcpy(p, src, (size_t)len);
    memset(p + len, 0, (size_t)zero_len);
    return 0;
}

static int load_elf(const AddressSpace *as, const char *path, const uint8_t *buf, uint64_t size,
                    uint64_t *entry, uint64_t *end, char *err, size_t errlen)
{
    Elf64_Ehdr eh;
    if (size < sizeof(eh)) {
        return boot_error(err, errlen, path, "truncated ELF header");
    }
    memcpy(&eh, buf, sizeof(eh));
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
        eh.e_machine != EM_RISCV || (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)) {
        return boot_error(err, errlen, path, "not a 64-bit little-endian RISC-V ELF executable");
    }
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > MAX_PHDRS ||
        eh.e_phoff > size || (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > size - eh.e_phoff) {
        return boot_error(err, errlen, path, "bad program header table");
    }
    uint64_t top = 0;
    bool loaded = false;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, buf + eh.e_phoff + i * sizeof(ph), sizeof(ph));
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0) {
            continue;
        }
        if (ph.p_filesz > ph.p_memsz || ph.p_offset > size || ph.p_filesz > size - ph.p_offset ||
            ph.p_paddr + ph.p_memsz < ph.p_paddr) {
            return boot_error(err, errlen, path, "segment %u lies outside the file", i);
        }
        if (copy_to_ram(as, ph.p_paddr, buf + ph.p_offset, ph.p_filesz,
                        ph.p_memsz - ph.p_filesz) < 0) {
            return boot_error(err, errlen, path,
                              "segment %u at 0x%llx (0x%llx bytes) is not inside guest RAM", i,
                              (unsigned long long)ph.p_paddr, (unsigned long long)ph.p_memsz);
        }
        top = ph.p_paddr + ph.p_memsz > top ? ph.p_paddr + ph.p_memsz : top;
        loaded = true;
    }
    if (!loaded) {
        return boot_error(err, errlen, path, "no loadable segment");
    }
    *entry = eh.e_entry;
    *end = top;
    return 0;
}

static bool is_elf(const uint8_t *buf, uint64_t size)
{
    return size >= SELFMAG && memcmp(buf, ELFMAG, SELFMAG) == 0;
}

#define MAX_FILE_SIZE (1ull << 31) /* 2 GiB: more than any firmware, kernel or initrd */

int riscv_load_image(const AddressSpace *as, const char *path, uint64_t load_addr,
                     uint64_t *entry, uint64_t *end, char *err, size_t errlen)
{
    uint64_t size;
    uint8_t *buf = read_file(path, MAX_FILE_SIZE, &size, err, errlen);
    if (!buf) {
        return -1;
    }
    int r = 0;
    if (is_elf(buf, size)) {
        r = load_elf(as, path, buf, size, entry, end, err, errlen);
    } else if (copy_to_ram(as, load_addr, buf, size, 0) < 0) {
        r = boot_error(err, errlen, path, "%llu bytes at 0x%llx do not fit in guest RAM",
                       (unsigned long long)size, (unsigned long long)load_addr);
    } else {
        *entry = load_addr;
        *end = load_addr + size;
    }
    free(buf);
    return r;
}

uint64_t riscv_kernel_start(uint64_t fw_end)
{
    return (fw_end + KERNEL_ALIGN - 1) & ~(KERNEL_ALIGN - 1);
}

int riscv_load_kernel(const AddressSpace *as, const char *path, uint64_t load_addr,
                      uint64_t *entry, uint64_t *end, char *err, size_t errlen)
{
    uint64_t size;
    uint8_t *buf = read_file(path, MAX_FILE_SIZE, &size, err, errlen);
    if (!buf) {
        return -1;
    }
    int r;
    if (is_elf(buf, size)) {
        r = load_elf(as, path, buf, size, entry, end, err, errlen);
    } else {
        /* Image header: code0, code1, text_offset, image_size, flags,
         * version, res1, res2, magic "RISCV\0\0\0" (deprecated), magic2. */
        uint32_t magic2 = 0;
        uint64_t text_offset = 0;
        if (size >= 64) {
            memcpy(&text_offset, buf + 8, 8);
            memcpy(&magic2, buf + 56, 4);
        }
        if (magic2 != IMAGE_MAGIC2) {
            text_offset = 0; /* a raw binary (U-Boot's u-boot.bin), as QEMU loads it */
        }
        uint64_t at = load_addr + text_offset;
        if (text_offset > KERNEL_ALIGN * 512 || copy_to_ram(as, at, buf, size, 0) < 0) {
            r = boot_error(err, errlen, path, "the kernel does not fit in guest RAM at 0x%llx",
                           (unsigned long long)at);
        } else {
            *entry = at;
            *end = at + size;
            r = 0;
        }
    }
    free(buf);
    return r;
}

int riscv_load_initrd(const AddressSpace *as, const char *path, uint64_t ram_base,
                      uint64_t ram_size, uint64_t kernel_end, uint64_t *start, uint64_t *end,
                      char *err, size_t errlen)
{
    uint64_t size;
    uint8_t *buf = read_file(path, MAX_FILE_SIZE, &size, err, errlen);
    if (!buf) {
        return -1;
    }
    uint64_t at = ram_base + (ram_size / 2 < 128 * MIB ? ram_size / 2 : 128 * MIB);
    if (at < kernel_end) {
        at = (kernel_end + 4095) & ~4095ull;
    }
    int r = 0;
    if (copy_to_ram(as, at, buf, size, 0) < 0) {
        r = boot_error(err, errlen, path, "the initrd (%llu bytes) does not fit in guest RAM",
                       (unsigned long long)size);
    } else {
        *start = at;
        *end = at + size;
    }
    free(buf);
    return r;
}

uint64_t riscv_fdt_addr(uint64_t ram_base, uint64_t ram_size, uint64_t fdt_size)
{
    uint64_t usable = ram_size < 3072 * MIB ? ram_size : 3072 * MIB;
    return (ram_base + usable - fdt_size) & ~(KERNEL_ALIGN - 1);
}

int riscv_setup_rom(const AddressSpace *as, uint64_t fw_entry, uint64_t fdt_addr,
                    uint64_t next_addr)
{
    uint32_t code[6] = {
        0x00000297, /* auipc t0, 0            */
        0x02828613, /* addi  a2, t0, 40       (fw_dynamic_info) */
        0xf1402573, /* csrr  a0, mhartid      */
        0x0202b583, /* ld    a1, 32(t0)       (device tree) */
        0x0182b283, /* ld    t0, 24(t0)       (firmware entry) */
        0x00028067, /* jr    t0               */
    };
    uint64_t data[2 + 6] = {
        fw_entry, fdt_addr,
        FW_DYNAMIC_INFO_MAGIC, FW_DYNAMIC_INFO_VERSION, next_addr, FW_DYNAMIC_NEXT_MODE_S,
        0 /* options */, 0 /* boot hart: hart 0 */,
    };
    uint8_t rom[sizeof(code) + sizeof(data)];
    memcpy(rom, code, sizeof(code));
    memcpy(rom + sizeof(code), data, sizeof(data));
    return copy_to_ram(as, RISCV_MROM_BASE, rom, sizeof(rom), 0) < 0 ? -EFAULT : 0;
}
