/*
 * host-disas.c — disassembly of generated host code for `-d out_asm`,
 * through capstone.
 *
 * The one thing to know: this is logging only; it reads the executable view
 * of the code buffer and never runs on the hot path. Capstone is loaded
 * with dlopen() the first time it is needed: linked normally, its large
 * relocated tables cost every run several milliseconds at start-up, which
 * is a visible part of a short guest program's run time.
 */
#include <capstone/capstone.h>
#include <dlfcn.h>

#include "exec-internal.h"
#include "mimic/log.h"

/* Debian's libcapstone4 (the -dev package's soname). */
#define CAPSTONE_LIBRARY "libcapstone.so.4"

typedef struct Capstone {
    bool tried, ok;
    cs_err (*open)(cs_arch, cs_mode, csh *);
    size_t (*disasm)(csh, const uint8_t *, size_t, uint64_t, size_t, cs_insn **);
    void (*free)(cs_insn *, size_t);
    cs_err (*close)(csh *);
} Capstone;

static bool capstone_load(Capstone *c)
{
    if (c->tried) {
        return c->ok;
    }
    c->tried = true;
    void *lib = dlopen(CAPSTONE_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        return false;
    }
    *(void **)&c->open = dlsym(lib, "cs_open");
    *(void **)&c->disasm = dlsym(lib, "cs_disasm");
    *(void **)&c->free = dlsym(lib, "cs_free");
    *(void **)&c->close = dlsym(lib, "cs_close");
    c->ok = c->open && c->disasm && c->free && c->close;
    return c->ok;
}

void host_disas_log(const TranslationBlock *tb)
{
    static Capstone cs;
    csh handle;
    cs_insn *insn;
    log_printf("OUT: host code for guest 0x%llx at %p, %u bytes\n", (unsigned long long)tb->pc,
               tb->code, tb->code_size);
    if (!capstone_load(&cs) || cs.open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) {
        log_printf("  (capstone unavailable: %s)\n\n", CAPSTONE_LIBRARY);
        return;
    }
    size_t n = cs.disasm(handle, tb->code, tb->code_size, (uint64_t)(uintptr_t)tb->code, 0, &insn);
    for (size_t i = 0; i < n; i++) {
        log_printf("  0x%llx:  %-8s %s\n", (unsigned long long)insn[i].address, insn[i].mnemonic,
                   insn[i].op_str);
    }
    if (n) {
        cs.free(insn, n);
    }
    cs.close(&handle);
    log_printf("\n");
}
