/*
 * cpu-loop-riscv64.c — the linux-user CPU loop for RISC-V 64: runs
 * translated code and turns each exit into a system call or a guest signal.
 *
 * The one thing to know: a host fault in guest code comes back here by
 * siglongjmp to the sigsetjmp below, with the Excp in cs.exit_code; it is
 * then handled exactly as if exec_cpu_loop() had returned it. Every exit
 * is a signal delivery point.
 */
#include <setjmp.h>
#include <signal.h>

#include "linux-user/cpu-loop.h"
#include "linux-user/gdb.h"
#include "linux-user/guest-mem.h"
#include "linux-user/guest-signal.h"
#include "linux-user/host-signal.h"
#include "linux-user/syscall.h"
#include "mimic/log.h"

/* System call ABI: number in a7, arguments in a0..a5, result in a0. A
 * signal that is already deliverable runs first (the ecall is executed
 * again when its handler returns); a syscall that a host signal
 * interrupted (-EINTR) is noted so that delivery can restart it. */
static void riscv_do_syscall(LinuxTask *t, RISCVCPU *cpu)
{
    /* Counter first, then clear exit_request, then look: a host signal
     * from here on is either seen now or makes a safe_syscall() fail with
     * EINTR, which is then restarted or reported as the handler says. */
    uint64_t caught = signal_host_caught();
    cpu->cs.exit_request = 0;
    if (signal_deliverable(t)) {
        return;
    }
    const uint64_t *args = &cpu->x[RV_REG_A0];
    uint64_t nr = cpu->x[RV_REG_A7], a0 = args[0];
    int64_t ret = syscall_do(t, nr, args);
    if (ret == SYSCALL_NO_RESULT) {
        return;
    }
    cpu->x[RV_REG_A0] = (uint64_t)ret;
    cpu->cs.pc += 4;
    if (ret == -EINTR && signal_host_caught() != caught) {
        t->restart_nr = (unsigned)nr;
        t->restart_a0 = a0;
    }
}

/* SIGSEGV for an instruction that could not be fetched: the address is the
 * pc, or the next page when only the second half of the instruction is
 * missing. */
static void riscv_fetch_fault(LinuxTask *t, uint64_t pc)
{
    uint64_t addr = pc;
    if (page_check_range(pc, 1, PAGE_EXEC)) {
        addr = (pc & GUEST_PAGE_MASK) + GUEST_PAGE_SIZE;
    }
    int code = page_get_flags(addr) & PAGE_VALID ? SEGV_ACCERR : SEGV_MAPERR;
    signal_force(t, SIGSEGV, code, addr);
}

static void riscv_handle_excp(LinuxTask *t, RISCVCPU *cpu, Excp e)
{
    CPUState *cs = &cpu->cs;
    switch (e) {
    case EXCP_SYSCALL:
        riscv_do_syscall(t, cpu);
        break;
    case EXCP_ILLEGAL:
        signal_force(t, SIGILL, ILL_ILLOPC, cs->pc);
        break;
    case EXCP_BREAKPOINT:
        signal_force(t, SIGTRAP, TRAP_BRKPT, cs->pc);
        break;
    case EXCP_SEGV:
        if (host_signal_take_fault() == SIGBUS) {
            /* A file mapping touched past the end of its file. */
            signal_force(t, SIGBUS, cs->fault_code, cs->fault_addr);
            break;
        }
        /* The guest page table, not the host's si_code, knows whether the
         * page exists: unmapped guest pages are PROT_NONE on the host. */
        signal_force(t, SIGSEGV, page_get_flags(cs->fault_addr) & PAGE_VALID ? SEGV_ACCERR : SEGV_MAPERR,
                     cs->fault_addr);
        break;
    case EXCP_BUS:
        signal_force(t, SIGBUS, BUS_ADRALN, cs->fault_addr);
        break;
    case EXCP_FETCH_FAULT:
        riscv_fetch_fault(t, cs->pc);
        break;
    case EXCP_DEBUG:
        gdb_user_debug_stop(cs);
        break;
    case EXCP_NONE:
    case EXCP_FLUSH:
    case EXCP_INTERRUPT:
    case EXCP_HALT: /* system mode only */
        /* Only a delivery point: signal_deliver() follows. */
        break;
    }
}

void riscv_cpu_loop(LinuxTask *t)
{
    RISCVCPU *cpu = (RISCVCPU *)t->cpu;
    sigjmp_buf fault_jmp;
    cpu->cs.fault_jmp = &fault_jmp;
    for (;;) {
        Excp e;
        if (sigsetjmp(fault_jmp, 0) == 0) {
            e = exec_cpu_loop(&cpu->cs);
        } else {
            exec_cpu_end(&cpu->cs);
            e = (Excp)cpu->cs.exit_code;
            cpu->cs.exit_code = EXCP_NONE;
        }
        if (log_enabled(LOG_INT) && e != EXCP_SYSCALL) {
            log_printf("exception %d at pc 0x%llx\n", (int)e, (unsigned long long)cpu->cs.pc);
        }
        riscv_handle_excp(t, cpu, e);
        gdb_user_poll(&cpu->cs);
        signal_deliver(t);
        signal_host_apply_mask(t);
    }
}
