/*
 * host-disas.c — disassembly of generated host code for `-d out_asm`,
 * through capstone.
 *
 * The one thing to know: this is logging only; it reads the executable view
 * of the code buffer and never runs on the hot path.
 */
#include <capstone/capstone.h>

#include "exec-internal.h"
#include "mimic/log.h"

void host_disas_log(const TranslationBlock *tb)
{
    csh handle;
    cs_insn *insn;
    log_printf("OUT: host code for guest 0x%llx at %p, %u bytes\n", (unsigned long long)tb->pc,
               tb->code, tb->code_size);
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) {
        log_printf("  (capstone unavailable)\n\n");
        return;
    }
    size_t n = cs_disasm(handle, tb->code, tb->code_size, (uint64_t)(uintptr_t)tb->code, 0, &insn);
    for (size_t i = 0; i < n; i++) {
        log_printf("  0x%llx:  %-8s %s\n", (unsigned long long)insn[i].address, insn[i].mnemonic,
                   insn[i].op_str);
    }
    if (n) {
        cs_free(insn, n);
    }
    cs_close(&handle);
    log_printf("\n");
}
