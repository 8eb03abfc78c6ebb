/*
 * x86-boot-linux.c — loading a Linux bzImage by the 64-bit boot protocol
 * (Documentation/arch/x86/boot.rst): the protected-mode kernel at 1 MiB,
 * boot_params with the image's setup header, the e820 map, the command
 * line and the initrd, identity-mapped page tables for the first 4 GiB,
 * and the boot CPU in long mode at the 64-bit entry (load address + 0x200)
 * with RSI pointing at boot_params.
 *
 * The one thing to know: the real-mode setup code is never run; the
 * loader does its job, so only images that announce a 64-bit entry
 * (protocol 2.12+, XLF_KERNEL_64) are accepted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/kvm/x86-boot.h"

/* boot_params offsets (zero-page.rst) and setup header fields (boot.rst). */
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define BP_HDR 0x1f1
#define BP_E820_TABLE 0x2d0
#define BP_SIZE 0x1000
#define HDR_SETUP_SECTS 0x1f1
#define HDR_VID_MODE 0x1fa
#define HDR_BOOT_FLAG 0x1fe
#define HDR_JUMP 0x200 /* the jump's second byte gives the header's end */
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_HEAP_END_PTR 0x224
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_INIT_SIZE 0x260
#define HDR_END_MAX 0x290 /* boot_params has room for the header up to here */

#define LOADFLAG_CAN_USE_HEAP 0x80
#define XLF_KERNEL_64 0x01

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* Identity map of the first 4 GiB with 2 MiB pages: PML4, one PDPT, four
 * page directories, in consecutive pages from X86_BOOT_PML4. */
static int write_page_tables(AddressSpace *as)
{
    uint64_t *t = address_space_map(as, X86_BOOT_PML4, 6 * 4096);
    if (!t) {
        return -1;
    }
    memset(t, 0, 6 * 4096);
    uint64_t pdpt = X86_BOOT_PML4 + 0x1000;
    t[0] = pdpt | 3; /* present, writable */
    for (unsigned i = 0; i < 4; i++) {
        uint64_t pd = X86_BOOT_PML4 + 0x2000 + i * 0x1000ull;
        t[512 + i] = pd | 3;
        for (unsigned j = 0; j < 512; j++) {
            t[1024 + i * 512 + j] = ((uint64_t)i << 30) | ((uint64_t)j << 21) | 0x83; /* PS */
        }
    }
    return 0;
}

int x86_load_linux(AddressSpace *as, const X86BootConfig *c, const uint8_t *img, size_t size,
                   X86BootState *b, char *err, size_t errlen)
{
    const char *f = c->kernel;
    if (size < 0x270 || rd16(img + HDR_BOOT_FLAG) != 0xaa55) {
        snprintf(err, errlen, "%s: truncated or invalid bzImage header", f);
        return -1;
    }
    uint16_t version = rd16(img + HDR_VERSION);
    if (version < 0x20c || !(img[HDR_XLOADFLAGS] & XLF_KERNEL_64)) {
        snprintf(err, errlen, "%s: boot protocol %u.%02u without a 64-bit entry point "
                 "(need 2.12+ with XLF_KERNEL_64)", f, version >> 8, version & 0xff);
        return -1;
    }
    unsigned setup_sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
    size_t setup_size = (size_t)(setup_sects + 1) * 512;
    if (setup_size >= size) {
        snprintf(err, errlen, "%s: setup_sects (%u) runs past the end of the file", f,
                 setup_sects);
        return -1;
    }
    size_t kernel_size = size - setup_size;
    uint64_t init_size = rd32(img + HDR_INIT_SIZE);
    uint64_t need = init_size > kernel_size ? init_size : kernel_size;
    uint64_t low = x86_low_ram_size(c->ram_size);
    if (need > low - X86_BOOT_HIGH) {
        snprintf(err, errlen, "%s: the kernel needs %llu MiB above 1 MiB; give more -m", f,
                 (unsigned long long)(need >> 20) + 1);
        return -1;
    }
    if (address_space_write(as, X86_BOOT_HIGH, img + setup_size, kernel_size)) {
        snprintf(err, errlen, "%s: cannot write the kernel into guest RAM", f);
        return -1;
    }

    /* boot_params: zero, then the setup header as the image has it. */
    uint8_t *bp = calloc(1, BP_SIZE);
    if (!bp) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t hdr_end = 0x202 + img[HDR_JUMP + 1];
    if (hdr_end > HDR_END_MAX) {
        hdr_end = HDR_END_MAX;
    }
    memcpy(bp + BP_HDR, img + BP_HDR, hdr_end - BP_HDR);
    bp[HDR_TYPE_OF_LOADER] = 0xff; /* undefined loader */
    bp[HDR_LOADFLAGS] |= LOADFLAG_CAN_USE_HEAP;
    bp[HDR_VID_MODE] = 0xff;       /* "normal" */
    bp[HDR_VID_MODE + 1] = 0xff;
    bp[HDR_HEAP_END_PTR] = 0x00;
    bp[HDR_HEAP_END_PTR + 1] = 0xfe;

    size_t cmdlen = strlen(c->cmdline);
    uint32_t cmdline_max = rd32(img + HDR_CMDLINE_SIZE);
    if (cmdlen > cmdline_max || cmdlen >= X86_BOOT_CMDLINE_MAX) {
        snprintf(err, errlen, "-append: the command line (%zu bytes with the devices') is "
                 "longer than the kernel accepts (%u)", cmdlen, cmdline_max);
        free(bp);
        return -1;
    }
    if (address_space_write(as, X86_BOOT_CMDLINE, c->cmdline, cmdlen + 1)) {
        snprintf(err, errlen, "cannot write the command line");
        free(bp);
        return -1;
    }
    wr32(bp + HDR_CMD_LINE_PTR, (uint32_t)X86_BOOT_CMDLINE);
    wr32(bp + BP_EXT_CMD_LINE_PTR, 0);

    if (c->initrd) {
        uint64_t addr, isize;
        uint64_t limit = (uint64_t)rd32(img + HDR_INITRD_ADDR_MAX) + 1;
        if (x86_load_initrd(as, c, X86_BOOT_HIGH + need, limit, &addr, &isize, err,
                            errlen) < 0) {
            free(bp);
            return -1;
        }
        wr32(bp + HDR_RAMDISK_IMAGE, (uint32_t)addr);
        wr32(bp + HDR_RAMDISK_SIZE, (uint32_t)isize);
        wr32(bp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(addr >> 32));
        wr32(bp + BP_EXT_RAMDISK_SIZE, (uint32_t)(isize >> 32));
    }

    X86MemMapEntry map[X86_MEMMAP_MAX];
    unsigned n = x86_memory_map(c->ram_size, map);
    bp[BP_E820_ENTRIES] = (uint8_t)n;
    for (unsigned i = 0; i < n; i++) {
        uint8_t *e = bp + BP_E820_TABLE + i * 20;
        memcpy(e, &map[i].addr, 8);
        memcpy(e + 8, &map[i].size, 8);
        memcpy(e + 16, &map[i].type, 4);
    }
    int r = address_space_write(as, X86_BOOT_PARAMS, bp, BP_SIZE);
    free(bp);
    if (r || write_page_tables(as) || x86_write_gdt(as, X86_BOOT_LONG64)) {
        snprintf(err, errlen, "cannot write the boot structures into low memory");
        return -1;
    }
    *b = (X86BootState){
        .mode = X86_BOOT_LONG64,
        .entry = X86_BOOT_HIGH + 0x200,
        .rsi = X86_BOOT_PARAMS,
        .cr3 = X86_BOOT_PML4,
        .gdt_base = X86_BOOT_GDT_ADDR,
    };
    return 0;
}
