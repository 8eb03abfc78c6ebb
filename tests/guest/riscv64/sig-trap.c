/*
 * sig-trap.c — SIGILL (an illegal instruction) and SIGTRAP (ebreak)
 * handlers that skip the faulting instruction by advancing the pc in
 * uc_mcontext and return normally; si_addr is the faulting pc.
 *
 * The one thing to know: __gregs[0] of the RISC-V mcontext is the pc
 * (REG_PC); the illegal instruction is a 2-byte parcel, ebreak 4 bytes
 * (assembled with .option norvc so it is not c.ebreak).
 */
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>

static volatile int ill_count, trap_count;
static volatile uintptr_t ill_addr, ill_pc;
static volatile int ill_code, trap_code;

static void on_ill(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    (void)sig;
    ill_count++;
    ill_code = si->si_code;
    ill_addr = (uintptr_t)si->si_addr;
    ill_pc = uc->uc_mcontext.__gregs[REG_PC];
    uc->uc_mcontext.__gregs[REG_PC] += 2;
}

static void on_trap(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    (void)sig;
    trap_count++;
    trap_code = si->si_code;
    uc->uc_mcontext.__gregs[REG_PC] += 4;
}

extern char ill_insn[], trap_insn[];

static __attribute__((noinline)) void run_illegal(void)
{
    __asm__ volatile("ill_insn: .2byte 0x0000" ::: "memory");
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_ill;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGILL, &sa, NULL);
    sa.sa_sigaction = on_trap;
    sigaction(SIGTRAP, &sa, NULL);

    for (int i = 0; i < 3; i++) {
        run_illegal();
    }
    printf("SIGILL handled %d times, si_code=%s, si_addr==pc: %d, at ill_insn: %d\n", ill_count,
           ill_code == ILL_ILLOPC ? "ILL_ILLOPC" : "?", ill_addr == ill_pc,
           ill_addr == (uintptr_t)ill_insn);

    __asm__ volatile(".option push\n.option norvc\ntrap_insn: ebreak\n.option pop" ::: "memory");
    printf("SIGTRAP handled %d times, si_code=%s\n", trap_count,
           trap_code == TRAP_BRKPT ? "TRAP_BRKPT" : "?");
    return 0;
}
