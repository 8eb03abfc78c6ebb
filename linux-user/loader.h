/*
 * loader.h — loading a guest ELF program (and its interpreter) into the
 * guest window and building the initial stack the kernel would build.
 *
 * The one thing to know: the loader trusts nothing in the file; every
 * header field is checked against the file size and the guest window, and
 * a bad file is an error message, never a crash.
 */
#ifndef LINUX_USER_LOADER_H
#define LINUX_USER_LOADER_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

/* Where PIE (ET_DYN) main programs are placed: 2/3 of the window, like
 * Linux's ELF_ET_DYN_BASE. */
#define ELF_ET_DYN_BASE 0x2aaaaaa000ULL

typedef struct ElfImage {
    uint64_t load_bias;   /* added to every p_vaddr */
    uint64_t entry;       /* e_entry + load_bias */
    uint64_t phdr;        /* guest address of the program headers, or 0 */
    uint16_t phnum;
    uint16_t phentsize;
    uint64_t start;       /* lowest mapped address */
    uint64_t end;         /* end of the highest segment (brk starts here) */
    char interp[PATH_MAX]; /* PT_INTERP path, "" if none */
} ElfImage;

/* Loads the ELF file at path. An ET_DYN file goes at ELF_ET_DYN_BASE
 * (main program) or wherever there is room (interpreter). Returns 0, or -1
 * with a message (without the file name) in err. */
int elf_load_file(const char *path, int is_interp, ElfImage *img, char *err, size_t errlen);

typedef struct StackInfo {
    int argc;
    char *const *argv;
    char *const *envp;
    const char *execfn;        /* AT_EXECFN string: the program path */
    const ElfImage *exe;
    const ElfImage *interp;    /* NULL for static programs */
} StackInfo;

/* RISC-V AT_HWCAP: one bit per single-letter extension ('x' - 'a'). */
#define RISCV_HWCAP_IMAFDC ((1u << ('i' - 'a')) | (1u << ('m' - 'a')) | (1u << ('a' - 'a')) | \
                            (1u << ('f' - 'a')) | (1u << ('d' - 'a')) | (1u << ('c' - 'a')))

/* Maps the stack at the top of the window and fills it with argc, argv,
 * envp and auxv; returns the initial sp, or 0 with a message in err. */
uint64_t stack_setup(const StackInfo *info, char *err, size_t errlen);

#endif
