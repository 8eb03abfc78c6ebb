/*
 * x86-boot-pvh.c — booting an ELF kernel through its PVH entry point (the
 * XEN_ELFNOTE_PHYS32_ENTRY note, type 18, owner "Xen"): PT_LOAD segments at
 * their physical addresses, hvm_start_info version 1 (memory map, command
 * line, the initrd as module 0), and the boot CPU in 32-bit flat protected
 * mode, paging off, EBX pointing at the start info.
 *
 * The one thing to know: ELF32 and ELF64 are both accepted; every offset,
 * size and address of the file is checked against the file and against
 * guest RAM, and segments may not touch the first MiB (the loader's).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <elf.h>

#include "accel/kvm/x86-boot.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC 0x336ec578u

typedef struct PvhStartInfo {
    uint32_t magic, version, flags, nr_modules;
    uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr;
    uint64_t memmap_paddr;
    uint32_t memmap_entries, reserved;
} PvhStartInfo;

typedef struct PvhModule {
    uint64_t paddr, size, cmdline_paddr, reserved;
} PvhModule;

typedef struct PvhMemMap {
    uint64_t addr, size;
    uint32_t type, reserved;
} PvhMemMap;

/* Where the start info, its memory map and the module list go. */
#define PVH_MEMMAP (X86_BOOT_PVH_INFO + 0x40)
#define PVH_MODLIST (X86_BOOT_PVH_INFO + 0x200)

/* A program header in a class-independent form. */
typedef struct Phdr {
    uint32_t type;
    uint64_t offset, paddr, filesz, memsz;
} Phdr;

static bool get_phdr(const uint8_t *img, size_t size, bool is64, uint64_t phoff,
                     unsigned phentsize, unsigned i, Phdr *p)
{
    uint64_t at = phoff + (uint64_t)i * phentsize;
    if (at > size || size - at < (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr))) {
        return false;
    }
    if (is64) {
        Elf64_Phdr h;
        memcpy(&h, img + at, sizeof(h));
        *p = (Phdr){ h.p_type, h.p_offset, h.p_paddr, h.p_filesz, h.p_memsz };
    } else {
        Elf32_Phdr h;
        memcpy(&h, img + at, sizeof(h));
        *p = (Phdr){ h.p_type, h.p_offset, h.p_paddr, h.p_filesz, h.p_memsz };
    }
    return true;
}

/* Looks for the PVH entry note in [off, off + len); 1 found, 0 not, -1 bad. */
static int find_pvh_note(const uint8_t *img, uint64_t off, uint64_t len, uint32_t *entry)
{
    uint64_t pos = 0;
    while (len - pos >= 12) {
        uint32_t hdr[3];
        memcpy(hdr, img + off + pos, 12);
        uint64_t namesz = (hdr[0] + 3ull) & ~3ull, descsz = (hdr[1] + 3ull) & ~3ull;
        pos += 12;
        if (namesz > len - pos || descsz > len - pos - namesz) {
            return -1;
        }
        const uint8_t *name = img + off + pos, *desc = name + namesz;
        if (hdr[0] == 4 && !memcmp(name, "Xen", 4) && hdr[2] == XEN_ELFNOTE_PHYS32_ENTRY) {
            if (hdr[1] < 4) {
                return -1;
            }
            memcpy(entry, desc, 4);
            return 1;
        }
        pos += namesz + descsz;
    }
    return 0;
}

static int write_start_info(AddressSpace *as, const X86BootConfig *c, uint64_t kernel_end,
                            X86BootState *b, char *err, size_t errlen)
{
    PvhStartInfo si = { .magic = HVM_START_MAGIC, .version = 1 };
    size_t cmdlen = strlen(c->cmdline);
    if (cmdlen >= X86_BOOT_CMDLINE_MAX) {
        snprintf(err, errlen, "-append: the command line is too long (%zu bytes)", cmdlen);
        return -1;
    }
    if (address_space_write(as, X86_BOOT_CMDLINE, c->cmdline, cmdlen + 1)) {
        snprintf(err, errlen, "cannot write the command line");
        return -1;
    }
    si.cmdline_paddr = X86_BOOT_CMDLINE;
    if (c->initrd) {
        uint64_t addr, size;
        if (x86_load_initrd(as, c, kernel_end, X86_LOW_RAM_MAX, &addr, &size, err, errlen) < 0) {
            return -1;
        }
        PvhModule mod = { .paddr = addr, .size = size };
        if (address_space_write(as, PVH_MODLIST, &mod, sizeof(mod))) {
            snprintf(err, errlen, "cannot write the module list");
            return -1;
        }
        si.nr_modules = 1;
        si.modlist_paddr = PVH_MODLIST;
    }
    X86MemMapEntry map[X86_MEMMAP_MAX];
    unsigned n = x86_memory_map(c->ram_size, map);
    PvhMemMap mm[X86_MEMMAP_MAX];
    for (unsigned i = 0; i < n; i++) {
        mm[i] = (PvhMemMap){ map[i].addr, map[i].size, map[i].type, 0 };
    }
    si.memmap_paddr = PVH_MEMMAP;
    si.memmap_entries = n;
    if (address_space_write(as, PVH_MEMMAP, mm, n * sizeof(mm[0])) ||
        address_space_write(as, X86_BOOT_PVH_INFO, &si, sizeof(si)) ||
        x86_write_gdt(as, X86_BOOT_PVH32)) {
        snprintf(err, errlen, "cannot write the boot structures into low memory");
        return -1;
    }
    b->mode = X86_BOOT_PVH32;
    b->rbx = X86_BOOT_PVH_INFO;
    b->gdt_base = X86_BOOT_GDT_ADDR;
    return 0;
}

int x86_load_pvh(AddressSpace *as, const X86BootConfig *c, const uint8_t *img, size_t size,
                 X86BootState *b, char *err, size_t errlen)
{
    const char *f = c->kernel;
    if (size < EI_NIDENT || (img[EI_CLASS] != ELFCLASS32 && img[EI_CLASS] != ELFCLASS64) ||
        img[EI_DATA] != ELFDATA2LSB) {
        snprintf(err, errlen, "%s: not a little-endian ELF32 or ELF64 file", f);
        return -1;
    }
    bool is64 = img[EI_CLASS] == ELFCLASS64;
    uint64_t phoff;
    unsigned phnum, phentsize, machine;
    if (is64 && size >= sizeof(Elf64_Ehdr)) {
        Elf64_Ehdr eh;
        memcpy(&eh, img, sizeof(eh));
        phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
        machine = eh.e_machine;
    } else if (!is64 && size >= sizeof(Elf32_Ehdr)) {
        Elf32_Ehdr eh;
        memcpy(&eh, img, sizeof(eh));
        phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
        machine = eh.e_machine;
    } else {
        snprintf(err, errlen, "%s: truncated ELF header", f);
        return -1;
    }
    if (machine != EM_X86_64 && machine != EM_386) {
        snprintf(err, errlen, "%s: an ELF for machine %u, not x86", f, machine);
        return -1;
    }
    if (phentsize < (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) || phnum == 0) {
        snprintf(err, errlen, "%s: no usable program headers", f);
        return -1;
    }
    uint32_t entry = 0;
    bool have_entry = false;
    uint64_t kernel_end = X86_BOOT_HIGH;
    uint64_t low = x86_low_ram_size(c->ram_size);
    for (unsigned i = 0; i < phnum; i++) {
        Phdr p;
        if (!get_phdr(img, size, is64, phoff, phentsize, i, &p)) {
            snprintf(err, errlen, "%s: program header %u lies outside the file", f, i);
            return -1;
        }
        if (p.offset > size || p.filesz > size - p.offset) {
            snprintf(err, errlen, "%s: segment %u lies outside the file", f, i);
            return -1;
        }
        if (p.type == PT_NOTE && !have_entry) {
            int r = find_pvh_note(img, p.offset, p.filesz, &entry);
            if (r < 0) {
                snprintf(err, errlen, "%s: malformed ELF note in segment %u", f, i);
                return -1;
            }
            have_entry = r > 0;
        }
        if (p.type != PT_LOAD || p.memsz == 0) {
            continue;
        }
        if (p.filesz > p.memsz || p.paddr < X86_BOOT_HIGH || p.paddr >= low ||
            p.memsz > low - p.paddr) {
            snprintf(err, errlen, "%s: segment %u (0x%llx, %llu bytes) is not inside RAM "
                     "between 1 MiB and 0x%llx", f, i, (unsigned long long)p.paddr,
                     (unsigned long long)p.memsz, (unsigned long long)low);
            return -1;
        }
        uint8_t *dst = address_space_map(as, p.paddr, p.memsz);
        if (!dst) {
            snprintf(err, errlen, "%s: segment %u does not fit in guest RAM", f, i);
            return -1;
        }
        memcpy(dst, img + p.offset, p.filesz);
        memset(dst + p.filesz, 0, p.memsz - p.filesz);
        if (p.paddr + p.memsz > kernel_end) {
            kernel_end = p.paddr + p.memsz;
        }
    }
    if (!have_entry) {
        snprintf(err, errlen, "%s: an ELF without a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY); "
                 "ELF kernels boot only through PVH", f);
        return -1;
    }
    const MemoryRegion *mr = address_space_lookup(as, entry);
    if (entry < X86_BOOT_HIGH || !mr || !mr->ram) {
        snprintf(err, errlen, "%s: the PVH entry point 0x%x is not in RAM above 1 MiB", f,
                 entry);
        return -1;
    }
    b->entry = entry;
    return write_start_info(as, c, (kernel_end + 0xfff) & ~0xfffull, b, err, errlen);
}
