/*
 * fault.c — turning a host SIGSEGV/SIGBUS raised while running guest code
 * into a guest exception with the exact guest pc.
 *
 * The one thing to know: a fault inside translated code is mapped back by
 * the backend (restore_state writes the pc and the registers held in host
 * registers into the CPU); a fault inside a helper or the interpreter is
 * only accepted when cpu->in_helper_access says guest memory was being
 * touched, and then env->pc is already exact.
 */
#include <signal.h>

#include "exec-internal.h"

void exec_handle_host_fault(CPUState *cpu, uintptr_t host_pc, uint64_t host_addr, int si_code,
                            void *uc)
{
    if (!cpu || !cpu->fault_jmp) {
        return;
    }
    bool guest = false;
    if (code_buffer_contains(host_pc)) {
        TranslationBlock *tb = exec_tb_find_by_host_pc(host_pc);
        guest = tb && exec_config()->backend->restore_state(cpu, tb, host_pc, uc);
    } else if (cpu->in_helper_access) {
        guest = true;
    }
    if (!guest) {
        return;
    }
    cpu->in_helper_access = 0;
    /* the window and the 64 KiB guard on each side (an address below the
     * window is a wrapped, "negative" guest address) */
    uint64_t end = (uint64_t)guest_base + guest_limit;
    cpu->fault_addr = host_addr >= guest_base - 65536 && host_addr < end + 65536
                          ? host_addr - guest_base
                          : host_addr;
    cpu->fault_code = si_code; /* linux-user tells MAPERR from ACCERR by its page flags */
    cpu->exit_code = EXCP_SEGV;
    siglongjmp(*cpu->fault_jmp, 1);
}
