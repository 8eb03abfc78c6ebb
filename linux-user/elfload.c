/*
 * elfload.c — loads a static, static-PIE or dynamic RISC-V 64 ELF program
 * (or its PT_INTERP interpreter) into the guest window.
 *
 * The one thing to know: segments are loaded by reading the file into a
 * fresh anonymous mapping of the whole image span (so bss, including the
 * partial page, is zero by construction), then each segment's pages get
 * their final protection; pages shared by two segments get the union.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux-user/guest-mem.h"
#include "linux-user/loader.h"

#define ELF_MAX_PHNUM 1024 /* far more than any real program has */

typedef struct ElfFile {
    int fd;
    uint64_t size;
    Elf64_Ehdr eh;
    Elf64_Phdr *ph;
} ElfFile;

static int elf_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int elf_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Reads exactly len bytes at off; false on a short read or error. */
static bool elf_read_at(int fd, void *dst, uint64_t len, uint64_t off)
{
    uint8_t *p = dst;
    while (len > 0) {
        ssize_t n = pread(fd, p, len > (1u << 30) ? (1u << 30) : len, (off_t)off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        p += n;
        off += (uint64_t)n;
        len -= (uint64_t)n;
    }
    return true;
}

/* True if [off, off + len) lies inside the file. */
static bool elf_in_file(const ElfFile *f, uint64_t off, uint64_t len)
{
    return off <= f->size && len <= f->size - off;
}

static const char *elf_machine_name(unsigned m)
{
    switch (m) {
    case EM_386: return "i386";
    case EM_X86_64: return "x86-64";
    case EM_ARM: return "ARM";
    case EM_AARCH64: return "AArch64";
    case EM_MIPS: return "MIPS";
    case EM_PPC: return "PowerPC";
    case EM_PPC64: return "PowerPC64";
    case EM_S390: return "S/390";
    case EM_SPARCV9: return "SPARC64";
    case EM_LOONGARCH: return "LoongArch";
    default: return "unknown";
    }
}

static int elf_check_header(ElfFile *f, char *err, size_t errlen)
{
    unsigned char ident[SELFMAG];
    if (f->size < SELFMAG || !elf_read_at(f->fd, ident, SELFMAG, 0) ||
        memcmp(ident, ELFMAG, SELFMAG) != 0) {
        return elf_error(err, errlen, "not an ELF file");
    }
    if (f->size < sizeof(f->eh) || !elf_read_at(f->fd, &f->eh, sizeof(f->eh), 0)) {
        return elf_error(err, errlen, "truncated ELF");
    }
    const Elf64_Ehdr *eh = &f->eh;
    if (eh->e_ident[EI_CLASS] != ELFCLASS64) {
        return elf_error(err, errlen, "not a 64-bit ELF file (RISC-V 64 needs ELFCLASS64)");
    }
    if (eh->e_ident[EI_DATA] != ELFDATA2LSB) {
        return elf_error(err, errlen, "not a little-endian ELF file");
    }
    if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT) {
        return elf_error(err, errlen, "unsupported ELF version");
    }
    if (eh->e_machine != EM_RISCV) {
        return elf_error(err, errlen, "ELF for machine %u (%s), not RISC-V", eh->e_machine,
                         elf_machine_name(eh->e_machine));
    }
    if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) {
        return elf_error(err, errlen, "not an executable ELF file (e_type %u)", eh->e_type);
    }
    if (eh->e_phentsize != sizeof(Elf64_Phdr)) {
        return elf_error(err, errlen, "bad program header size %u", eh->e_phentsize);
    }
    if (eh->e_phnum == 0 || eh->e_phnum > ELF_MAX_PHNUM) {
        return elf_error(err, errlen, "bad program header count %u", eh->e_phnum);
    }
    if (!elf_in_file(f, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr))) {
        return elf_error(err, errlen, "truncated ELF");
    }
    f->ph = calloc(eh->e_phnum, sizeof(Elf64_Phdr));
    if (!f->ph) {
        return elf_error(err, errlen, "out of memory");
    }
    if (!elf_read_at(f->fd, f->ph, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), eh->e_phoff)) {
        return elf_error(err, errlen, "truncated ELF");
    }
    return 0;
}

/* Checks every program header; fills the page-aligned span [lo, hi) of the
 * PT_LOAD segments (before relocation) and the interpreter path. */
static int elf_check_segments(ElfFile *f, ElfImage *img, uint64_t *lo, uint64_t *hi, char *err,
                              size_t errlen)
{
    uint64_t min = UINT64_MAX, max = 0;
    for (unsigned i = 0; i < f->eh.e_phnum; i++) {
        const Elf64_Phdr *ph = &f->ph[i];
        if (ph->p_type == PT_INTERP) {
            if (ph->p_filesz < 2 || ph->p_filesz > sizeof(img->interp) ||
                !elf_in_file(f, ph->p_offset, ph->p_filesz)) {
                return elf_error(err, errlen, "bad PT_INTERP segment");
            }
            if (!elf_read_at(f->fd, img->interp, ph->p_filesz, ph->p_offset) ||
                img->interp[ph->p_filesz - 1] != '\0' || strlen(img->interp) != ph->p_filesz - 1) {
                return elf_error(err, errlen, "bad PT_INTERP segment");
            }
            continue;
        }
        if (ph->p_type != PT_LOAD) {
            continue;
        }
        if (ph->p_filesz > ph->p_memsz) {
            return elf_error(err, errlen, "bad PT_LOAD segment %u (file size > memory size)", i);
        }
        if (!elf_in_file(f, ph->p_offset, ph->p_filesz)) {
            return elf_error(err, errlen, "truncated ELF");
        }
        if (ph->p_memsz == 0) {
            continue;
        }
        if (!guest_range_valid(ph->p_vaddr, ph->p_memsz)) {
            return elf_error(err, errlen, "PT_LOAD segment %u outside the guest address space", i);
        }
        uint64_t s = ph->p_vaddr & GUEST_PAGE_MASK;
        uint64_t e = guest_page_align(ph->p_vaddr + ph->p_memsz);
        min = s < min ? s : min;
        max = e > max ? e : max;
    }
    if (max == 0) {
        return elf_error(err, errlen, "no loadable segments");
    }
    *lo = min;
    *hi = max;
    return 0;
}

static int elf_prot_of(uint32_t p_flags)
{
    return ((p_flags & PF_R) ? PROT_READ : 0) | ((p_flags & PF_W) ? PROT_WRITE : 0) |
           ((p_flags & PF_X) ? PROT_EXEC : 0);
}

/* Union of the protections of every PT_LOAD segment touching page pg. */
static int elf_prot_of_page(const ElfFile *f, uint64_t pg)
{
    int prot = 0;
    for (unsigned i = 0; i < f->eh.e_phnum; i++) {
        const Elf64_Phdr *ph = &f->ph[i];
        if (ph->p_type == PT_LOAD && ph->p_memsz && (ph->p_vaddr & GUEST_PAGE_MASK) <= pg &&
            pg < ph->p_vaddr + ph->p_memsz) {
            prot |= elf_prot_of(ph->p_flags);
        }
    }
    return prot;
}

/* Copies the file part of each segment into the span [lo, hi) + bias and
 * sets protections; gaps between segments end up PROT_NONE. */
static int elf_map_segments(ElfFile *f, uint64_t bias, uint64_t lo, uint64_t hi, char *err,
                            size_t errlen)
{
    for (unsigned i = 0; i < f->eh.e_phnum; i++) {
        const Elf64_Phdr *ph = &f->ph[i];
        if (ph->p_type != PT_LOAD || ph->p_memsz == 0) {
            continue;
        }
        if (ph->p_filesz && !elf_read_at(f->fd, g2h(ph->p_vaddr + bias), ph->p_filesz, ph->p_offset)) {
            return elf_error(err, errlen, "read error: %s", strerror(errno ? errno : EIO));
        }
    }
    guest_mprotect(lo + bias, hi - lo, PROT_NONE);
    for (unsigned i = 0; i < f->eh.e_phnum; i++) {
        const Elf64_Phdr *ph = &f->ph[i];
        if (ph->p_type != PT_LOAD || ph->p_memsz == 0) {
            continue;
        }
        uint64_t s = ph->p_vaddr & GUEST_PAGE_MASK;
        uint64_t e = guest_page_align(ph->p_vaddr + ph->p_memsz);
        guest_mprotect(s + bias, e - s, elf_prot_of(ph->p_flags));
        guest_mprotect(s + bias, GUEST_PAGE_SIZE, elf_prot_of_page(f, s));
        guest_mprotect(e - GUEST_PAGE_SIZE + bias, GUEST_PAGE_SIZE,
                       elf_prot_of_page(f, e - GUEST_PAGE_SIZE));
    }
    return 0;
}

/* Guest address of the program headers: PT_PHDR, or the PT_LOAD segment
 * whose file bytes contain them; 0 if neither. */
static uint64_t elf_find_phdr(const ElfFile *f, uint64_t bias)
{
    uint64_t len = (uint64_t)f->eh.e_phnum * sizeof(Elf64_Phdr);
    for (unsigned i = 0; i < f->eh.e_phnum; i++) {
        if (f->ph[i].p_type == PT_PHDR) {
            return f->ph[i].p_vaddr + bias;
        }
    }
    for (unsigned i = 0; i < f->eh.e_phnum; i++) {
        const Elf64_Phdr *ph = &f->ph[i];
        if (ph->p_type == PT_LOAD && ph->p_offset <= f->eh.e_phoff &&
            f->eh.e_phoff - ph->p_offset <= ph->p_filesz &&
            len <= ph->p_filesz - (f->eh.e_phoff - ph->p_offset)) {
            return ph->p_vaddr + (f->eh.e_phoff - ph->p_offset) + bias;
        }
    }
    return 0;
}

static int elf_load_open(ElfFile *f, int is_interp, ElfImage *img, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(f->fd, &st) < 0) {
        return elf_error(err, errlen, "%s", strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        return elf_error(err, errlen, "not a regular file");
    }
    f->size = (uint64_t)st.st_size;
    if (elf_check_header(f, err, errlen) < 0) {
        return -1;
    }
    uint64_t lo = 0, hi = 0;
    if (elf_check_segments(f, img, &lo, &hi, err, errlen) < 0) {
        return -1;
    }
    if (is_interp && img->interp[0]) {
        return elf_error(err, errlen, "the interpreter has a PT_INTERP of its own");
    }
    int64_t start;
    if (f->eh.e_type == ET_EXEC) {
        start = guest_mmap(lo, hi - lo, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    } else {
        uint64_t hint = is_interp || lo != 0 ? 0 : ELF_ET_DYN_BASE;
        start = guest_mmap(hint, hi - lo, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    }
    if (start < 0) {
        return elf_error(err, errlen, "cannot map the program at 0x%llx-0x%llx: %s",
                         (unsigned long long)lo, (unsigned long long)hi, strerror((int)-start));
    }
    uint64_t bias = (uint64_t)start - lo;
    /* From here on a failure unmaps what was mapped. */
    if (elf_map_segments(f, bias, lo, hi, err, errlen) < 0) {
        guest_munmap((uint64_t)start, hi - lo);
        return -1;
    }
    img->load_bias = bias;
    img->entry = f->eh.e_entry + bias;
    if (!guest_range_valid(img->entry, 1)) {
        guest_munmap((uint64_t)start, hi - lo);
        return elf_error(err, errlen, "entry point 0x%llx outside the guest address space",
                         (unsigned long long)f->eh.e_entry);
    }
    img->phdr = elf_find_phdr(f, bias);
    img->phnum = f->eh.e_phnum;
    img->phentsize = f->eh.e_phentsize;
    img->start = (uint64_t)start;
    img->end = hi + bias;
    return 0;
}

int elf_load_file(const char *path, int is_interp, ElfImage *img, char *err, size_t errlen)
{
    memset(img, 0, sizeof(*img));
    ElfFile f = { .fd = open(path, O_RDONLY | O_CLOEXEC) };
    if (f.fd < 0) {
        return elf_error(err, errlen, "%s", strerror(errno));
    }
    int r = elf_load_open(&f, is_interp, img, err, errlen);
    free(f.ph);
    close(f.fd);
    return r;
}
