/*
 * x86-boot.c — what both direct-boot paths share: the memory map, reading
 * image files, the boot GDT, placing the initrd, and choosing the loader.
 *
 * The one thing to know: the memory map is the only description of RAM
 * the guest gets (there is no firmware); the first MiB keeps the PC's
 * reserved holes so that kernels do not put data where the MP table is.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel/kvm/x86-boot.h"

#define MAX_IMAGE_SIZE (1ull << 30)

uint64_t x86_low_ram_size(uint64_t ram_size)
{
    return ram_size < X86_LOW_RAM_MAX ? ram_size : X86_LOW_RAM_MAX;
}

unsigned x86_memory_map(uint64_t ram_size, X86MemMapEntry map[X86_MEMMAP_MAX])
{
    uint64_t low = x86_low_ram_size(ram_size);
    unsigned n = 0;
    map[n++] = (X86MemMapEntry){ 0, X86_BOOT_EBDA, E820_RAM };
    map[n++] = (X86MemMapEntry){ X86_BOOT_EBDA, 0xa0000 - X86_BOOT_EBDA, E820_RESERVED };
    map[n++] = (X86MemMapEntry){ 0xf0000, 0x10000, E820_RESERVED };
    map[n++] = (X86MemMapEntry){ X86_BOOT_HIGH, low - X86_BOOT_HIGH, E820_RAM };
    if (ram_size > low) {
        map[n++] = (X86MemMapEntry){ X86_HIGH_RAM_BASE, ram_size - low, E820_RAM };
    }
    return n;
}

uint8_t *x86_read_file(const char *path, size_t max, size_t *size, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return NULL;
    }
    if (!S_ISREG(st.st_mode) || st.st_size <= 0 || (uint64_t)st.st_size > max) {
        snprintf(err, errlen, "%s: %s", path,
                 !S_ISREG(st.st_mode) ? "not a regular file"
                 : st.st_size <= 0    ? "empty file"
                                      : "file too large");
        close(fd);
        return NULL;
    }
    uint8_t *buf = malloc((size_t)st.st_size);
    size_t done = 0;
    while (buf && done < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);
        if (n <= 0) {
            snprintf(err, errlen, "%s: %s", path, n < 0 ? strerror(errno) : "short read");
            free(buf);
            close(fd);
            return NULL;
        }
        done += (size_t)n;
    }
    close(fd);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    *size = done;
    return buf;
}

int x86_write_gdt(AddressSpace *as, X86BootMode mode)
{
    uint64_t gdt[5];
    x86_build_gdt(gdt, mode);
    return address_space_write(as, X86_BOOT_GDT_ADDR, gdt, sizeof(gdt));
}

/* Puts "OPTION " before a message that starts with the file's name. */
static void name_option(char *err, size_t errlen, const char *option, const char *file)
{
    if (!strncmp(err, file, strlen(file))) {
        char msg[512];
        snprintf(msg, sizeof(msg), "%s %s", option, err);
        snprintf(err, errlen, "%s", msg);
    }
}

int x86_load_initrd(AddressSpace *as, const X86BootConfig *c, uint64_t low_end, uint64_t limit,
                    uint64_t *addr, uint64_t *size, char *err, size_t errlen)
{
    size_t n;
    uint8_t *buf = x86_read_file(c->initrd, MAX_IMAGE_SIZE, &n, err, errlen);
    if (!buf) {
        name_option(err, errlen, "-initrd", c->initrd);
        return -1;
    }
    uint64_t top = x86_low_ram_size(c->ram_size);
    if (limit < top) {
        top = limit;
    }
    if (n > top || ((top - n) & ~0xfffull) < low_end) {
        snprintf(err, errlen, "-initrd %s: the initrd (%zu bytes) does not fit in RAM below "
                 "0x%llx above the kernel (give more -m)", c->initrd, n, (unsigned long long)top);
        free(buf);
        return -1;
    }
    uint64_t at = (top - n) & ~0xfffull;
    int r = address_space_write(as, at, buf, n);
    free(buf);
    if (r) {
        snprintf(err, errlen, "-initrd %s: cannot write the initrd at 0x%llx", c->initrd,
                 (unsigned long long)at);
        return -1;
    }
    *addr = at;
    *size = n;
    return 0;
}

int x86_load_kernel(AddressSpace *as, const X86BootConfig *c, X86BootState *b, char *err,
                    size_t errlen)
{
    size_t size;
    uint8_t *img = x86_read_file(c->kernel, MAX_IMAGE_SIZE, &size, err, errlen);
    if (!img) {
        name_option(err, errlen, "-kernel", c->kernel);
        return -1;
    }
    int r;
    if (size >= 4 && !memcmp(img, "\177ELF", 4)) {
        r = x86_load_pvh(as, c, img, size, b, err, errlen);
    } else if (size >= 0x206 && !memcmp(img + 0x202, "HdrS", 4)) {
        r = x86_load_linux(as, c, img, size, b, err, errlen);
    } else {
        snprintf(err, errlen, "%s: neither a Linux bzImage nor an ELF kernel", c->kernel);
        r = -1;
    }
    free(img);
    if (r < 0) {
        name_option(err, errlen, "-kernel", c->kernel);
    }
    return r;
}
