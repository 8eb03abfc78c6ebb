/*
 * signal-frame-riscv64.c — the RISC-V 64 Linux signal frame: building the
 * rt_sigframe on the guest stack, rt_sigreturn, and the return trampoline.
 *
 * The one thing to know: the layout is the kernel's (arch/riscv uapi
 * ucontext.h, sigcontext.h, ptrace.h): siginfo (128 bytes), then the
 * ucontext whose uc_mcontext sits at offset 176 and holds pc, x1..x31,
 * then the FP state as the 528-byte union __riscv_fp_state (d: f[32],
 * fcsr). RISC-V has no sa_restorer: the kernel returns through its vDSO,
 * mimic through a page of its own holding "li a7, 139; ecall".
 */
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#include "linux-user/guest-mem.h"
#include "linux-user/guest-signal.h"
#include "target/riscv64/cpu.h"

typedef struct GuestSigcontext {
    uint64_t pc;               /* user_regs_struct: pc, then x1..x31 */
    uint64_t x[31];
    uint64_t f[32];            /* union __riscv_fp_state, d extension view */
    uint32_t fcsr;
    uint8_t fp_rest[528 - 32 * 8 - 4]; /* rest of the union (q view); zero */
} GuestSigcontext;

typedef struct GuestUcontext {
    uint64_t flags;
    uint64_t link;
    GuestStack stack;
    uint64_t sigmask;
    uint8_t sigmask_pad[128 - 8]; /* room for a 1024-bit sigset_t */
    GuestSigcontext mcontext __attribute__((aligned(16)));
} GuestUcontext;

typedef struct GuestRtSigframe {
    GuestSiginfo info;
    GuestUcontext uc;
} GuestRtSigframe;

_Static_assert(sizeof(GuestSiginfo) == 128, "siginfo is 128 bytes");
_Static_assert(offsetof(GuestUcontext, mcontext) == 176, "uc_mcontext offset");
_Static_assert(sizeof(GuestSigcontext) == 784, "sigcontext size");
_Static_assert(sizeof(GuestRtSigframe) == 1088, "rt_sigframe size");

#define RV_INSN_LI_A7_SIGRETURN 0x08b00893u /* addi a7, zero, 139 */
#define RV_INSN_ECALL 0x00000073u
#define RV_FCSR_FFLAGS_MASK 0x1fu
#define RV_FCSR_FRM_SHIFT 5
#define RV_FCSR_FRM_MASK 0x7u

static uint64_t trampoline;

int signal_trampoline_init(void)
{
    int64_t page = guest_mmap(0, GUEST_PAGE_SIZE, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page < 0) {
        return (int)page;
    }
    const uint32_t code[2] = { RV_INSN_LI_A7_SIGRETURN, RV_INSN_ECALL };
    memcpy(g2h((uint64_t)page), code, sizeof(code));
    int64_t r = guest_mprotect((uint64_t)page, GUEST_PAGE_SIZE, PROT_READ | PROT_EXEC);
    if (r < 0) {
        return (int)r;
    }
    trampoline = (uint64_t)page;
    return 0;
}

uint64_t signal_trampoline_addr(void)
{
    return trampoline;
}

static RISCVCPU *task_cpu(const LinuxTask *t)
{
    return (RISCVCPU *)t->cpu;
}

uint64_t signal_guest_sp(const LinuxTask *t)
{
    return task_cpu(t)->x[RV_REG_SP];
}

void signal_syscall_rollback(LinuxTask *t)
{
    RISCVCPU *cpu = task_cpu(t);
    cpu->cs.pc -= 4; /* ecall has no compressed form */
    cpu->x[RV_REG_A0] = t->restart_a0;
}

/* Where the frame goes: below sp, or at the top of the alternate stack
 * for SA_ONSTACK handlers; 0 if it would overflow the alternate stack. */
static uint64_t frame_address(const LinuxTask *t, const GuestSigaction *sa, uint64_t sp)
{
    uint64_t size = sizeof(GuestRtSigframe);
    int state = signal_altstack_state(t, sp);
    if (state == GUEST_SS_ONSTACK && signal_altstack_state(t, sp - size) != GUEST_SS_ONSTACK) {
        return 0;
    }
    if ((sa->flags & GUEST_SA_ONSTACK) && state == 0) {
        sp = t->altstack_sp + t->altstack_size;
    }
    return (sp - size) & ~15ULL;
}

static void save_sigcontext(const RISCVCPU *cpu, GuestSigcontext *sc)
{
    memset(sc, 0, sizeof(*sc));
    sc->pc = cpu->cs.pc;
    memcpy(sc->x, &cpu->x[1], sizeof(sc->x));
    memcpy(sc->f, cpu->f, sizeof(sc->f));
    sc->fcsr = (cpu->fflags & RV_FCSR_FFLAGS_MASK) |
               ((cpu->frm & RV_FCSR_FRM_MASK) << RV_FCSR_FRM_SHIFT);
}

static void restore_sigcontext(RISCVCPU *cpu, const GuestSigcontext *sc)
{
    cpu->cs.pc = sc->pc;
    memcpy(&cpu->x[1], sc->x, sizeof(sc->x));
    memcpy(cpu->f, sc->f, sizeof(cpu->f));
    cpu->fflags = sc->fcsr & RV_FCSR_FFLAGS_MASK;
    cpu->frm = (sc->fcsr >> RV_FCSR_FRM_SHIFT) & RV_FCSR_FRM_MASK;
}

bool signal_frame_setup(LinuxTask *t, int sig, const GuestSigaction *sa, const GuestSiginfo *info,
                        uint64_t saved_mask)
{
    RISCVCPU *cpu = task_cpu(t);
    uint64_t sp = cpu->x[RV_REG_SP];
    uint64_t addr = frame_address(t, sa, sp);
    GuestRtSigframe *frame = addr ? guest_lock(addr, sizeof(*frame), GUEST_ACCESS_WRITE) : NULL;
    if (!frame) {
        return false;
    }
    memset(frame, 0, sizeof(*frame));
    frame->info = *info;
    frame->info.signo = sig;
    frame->uc.stack.sp = t->altstack_sp;
    frame->uc.stack.size = t->altstack_size;
    frame->uc.stack.flags = signal_altstack_state(t, sp);
    if (frame->uc.stack.flags != GUEST_SS_DISABLE) {
        frame->uc.stack.flags |= t->altstack_flags & GUEST_SS_AUTODISARM;
    }
    frame->uc.sigmask = saved_mask;
    save_sigcontext(cpu, &frame->uc.mcontext);
    if ((sa->flags & GUEST_SA_ONSTACK) && (t->altstack_flags & GUEST_SS_AUTODISARM)) {
        t->altstack_sp = t->altstack_size = 0;
        t->altstack_flags = GUEST_SS_DISABLE;
    }
    cpu->x[RV_REG_SP] = addr;
    cpu->x[RV_REG_RA] = trampoline;
    cpu->x[RV_REG_A0] = (uint64_t)sig;
    cpu->x[RV_REG_A0 + 1] = addr + offsetof(GuestRtSigframe, info);
    cpu->x[RV_REG_A0 + 2] = addr + offsetof(GuestRtSigframe, uc);
    cpu->cs.pc = sa->handler;
    return true;
}

int64_t signal_frame_return(LinuxTask *t)
{
    RISCVCPU *cpu = task_cpu(t);
    GuestRtSigframe frame;
    if (guest_copy_from(&frame, cpu->x[RV_REG_SP], sizeof(frame)) < 0) {
        signal_force(t, SIGSEGV, SI_KERNEL, 0);
        return SYSCALL_NO_RESULT;
    }
    restore_sigcontext(cpu, &frame.uc.mcontext);
    t->sigmask = frame.uc.sigmask & ~SIGS_UNBLOCKABLE;
    /* Like the kernel's restore_altstack(): errors are ignored. */
    signal_altstack_set(t, &frame.uc.stack, cpu->x[RV_REG_SP]);
    return SYSCALL_NO_RESULT;
}
