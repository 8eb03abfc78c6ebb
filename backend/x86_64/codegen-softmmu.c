/*
 * codegen-softmmu.c — system-mode guest loads and stores in the JIT: the
 * inline soft-TLB probe, the call to the shared slow-path thunk, and the
 * unwinding of translated code when the slow path raises a guest exception.
 *
 * The one thing to know: in system mode r13 and r14 (guest_limit and
 * guest_base in user mode) are free, so the probe uses them as scratch and
 * needs nothing from the register allocator. The thunk saves every
 * allocatable register on the stack, so the slow path clobbers only r13 and
 * r14 (the load's result comes back in r14), and the saved registers are
 * what jit_unwind_softmmu reads the unwritten guest registers from.
 */
#include <stddef.h>
#include <string.h>
#include <ucontext.h>

#include "codegen.h"
#include "mimic/softmmu.h"

#define SOFTMMU_STORE_FLAG 0x100u

/* Allocatable registers in the order the thunk pushes them. */
static const int thunk_saved[NB_ALLOC_REGS] = {
    RAX, RCX, RDX, RBX, RSI, RDI, R8, R9, R10, R11, R12, R15,
};

static uintptr_t thunk_addr;
static __thread const uint64_t *thunk_regs; /* the registers saved by the current call */

static uint64_t jit_softmmu_slow(CPUState *env, uint64_t addr, uint64_t value, uint64_t memop,
                                 uintptr_t retaddr, const uint64_t *saved)
{
    const SoftMMUOps *ops = exec_config()->softmmu;
    thunk_regs = saved;
    if (memop & SOFTMMU_STORE_FLAG) {
        ops->store(env, addr, value, (unsigned)(memop & ~SOFTMMU_STORE_FLAG), retaddr);
        return 0;
    }
    return ops->load(env, addr, (unsigned)memop, retaddr);
}

static void push_reg(Emitter *e, int r)
{
    emit_opc(e, 0x50 | (r & 7), 0, 0, r);
}

static void pop_reg(Emitter *e, int r)
{
    emit_opc(e, 0x58 | (r & 7), 0, 0, r);
}

void jit_softmmu_gen_thunk(Emitter *e)
{
    thunk_addr = emit_rx(e);
    for (int i = 0; i < NB_ALLOC_REGS; i++) {
        push_reg(e, thunk_saved[i]);
    }
    /* Entry rsp was 16-aligned (the caller pushed the memop, then the
     * return address); 12 pushes keep it so. */
    const int32_t ret_off = 8 * NB_ALLOC_REGS, memop_off = ret_off + 8;
    emit_mov_rr(e, RDI, REG_ENV);
    emit_mov_rr(e, RSI, R13);
    emit_mov_rr(e, RDX, R14);
    emit_load_env(e, RCX, RSP, memop_off);
    emit_load_env(e, R8, RSP, ret_off);
    emit_mov_rr(e, R9, RSP);
    emit_call_abs(e, (const void *)jit_softmmu_slow);
    emit_mov_rr(e, R14, RAX);
    for (int i = NB_ALLOC_REGS - 1; i >= 0; i--) {
        pop_reg(e, thunk_saved[i]);
    }
    emit8(e, 0xc3); /* ret */
}

void jit_softmmu_emit(Emitter *e, int ra, int rv, uint64_t memop, bool store)
{
    const SoftMMUOps *ops = exec_config()->softmmu;
    unsigned log2 = memop & IR_MO_SIZE_MASK;
    unsigned mode = (unsigned)((memop & IR_MO_MMU_MASK) >> IR_MO_MMU_SHIFT);
    int32_t base = ops->tlb_offset + (int32_t)(mode * SOFTMMU_TLB_SIZE * sizeof(SoftTLBEntry));
    int32_t cmp = base + (int32_t)(store ? offsetof(SoftTLBEntry, addr_write)
                                         : offsetof(SoftTLBEntry, addr_read));

    /* r13 = entry index * 32; r14 = page of the last byte */
    emit_mov_rr(e, R13, ra);
    emit_shift_ri(e, SHIFT_SHR, R13, SOFTMMU_PAGE_BITS - 5);
    emit_alu_ri(e, ALU_AND, R13, (int32_t)((SOFTMMU_TLB_SIZE - 1) << 5));
    if (log2) {
        emit_lea(e, R14, ra, -1, (int32_t)((1u << log2) - 1));
    } else {
        emit_mov_rr(e, R14, ra);
    }
    emit_alu_ri(e, ALU_AND, R14, (int32_t)SOFTMMU_PAGE_MASK);
    emit_modrm_mem(e, P_REXW | 0x3b, R14, REG_ENV, R13, cmp); /* cmp r14, [env+r13+cmp] */
    uint8_t *miss = emit_jcc(e, CC_NE);
    emit_modrm_mem(e, P_REXW | 0x8b, R14, REG_ENV, R13,
                   base + (int32_t)offsetof(SoftTLBEntry, addend));
    if (store) {
        emit_store_sized(e, rv, R14, ra, 0, log2);
    } else {
        emit_load_sized(e, rv, R14, ra, 0, log2, (memop & IR_MO_SIGN) != 0);
    }
    uint8_t *done = emit_jmp(e);

    if (!e->overflow) {
        emit_patch_rel32(miss, emit_rx(e));
    }
    emit_mov_rr(e, R13, ra);
    if (store) {
        emit_mov_rr(e, R14, rv);
    }
    emit8(e, 0x68); /* push imm32 */
    emit32(e, (uint32_t)memop | (store ? SOFTMMU_STORE_FLAG : 0));
    emit8(e, 0xe8); /* call rel32 */
    uint8_t *call = e->p;
    emit32(e, 0);
    if (!e->overflow) {
        emit_patch_rel32(call, thunk_addr);
    }
    emit_alu_ri(e, ALU_ADD, RSP, 8);
    if (!store) {
        emit_mov_rr(e, rv, R14);
    }
    if (!e->overflow) {
        emit_patch_rel32(done, emit_rx(e));
    }
}

void jit_softmmu_emit_goto_ptr(Emitter *e, uint32_t tb_flags)
{
    const SoftMMUOps *ops = exec_config()->softmmu;
    unsigned mode = ops->fetch_mode(tb_flags);
    int32_t code_cmp = ops->tlb_offset +
                       (int32_t)(mode * SOFTMMU_TLB_SIZE * sizeof(SoftTLBEntry) +
                                 offsetof(SoftTLBEntry, addr_code));
    int32_t phys = ops->tlb_offset + (int32_t)(offsetof(SoftTLB, phys) +
                                               mode * SOFTMMU_TLB_SIZE * sizeof(uint64_t));
    uint8_t *miss[5];

    /* rax = pc; rcx = TLB index * 32; rdx = pc's page */
    emit_load_env(e, RAX, REG_ENV, offsetof(CPUState, pc));
    emit_mov_rr(e, RCX, RAX);
    emit_shift_ri(e, SHIFT_SHR, RCX, SOFTMMU_PAGE_BITS - 5);
    emit_alu_ri(e, ALU_AND, RCX, (int32_t)((SOFTMMU_TLB_SIZE - 1) << 5));
    emit_mov_rr(e, RDX, RAX);
    emit_alu_ri(e, ALU_AND, RDX, (int32_t)SOFTMMU_PAGE_MASK);
    emit_modrm_mem(e, P_REXW | 0x3b, RDX, REG_ENV, RCX, code_cmp); /* cmp rdx, addr_code */
    miss[0] = emit_jcc(e, CC_NE);
    /* rdx = physical pc = phys[mode][index] | page offset */
    emit_shift_ri(e, SHIFT_SHR, RCX, 2);
    emit_modrm_mem(e, P_REXW | 0x8b, RDX, REG_ENV, RCX, phys);
    emit_mov_rr(e, RSI, RAX);
    emit_alu_ri(e, ALU_AND, RSI, (int32_t)(SOFTMMU_PAGE_SIZE - 1));
    emit_alu_rr(e, ALU_OR, RDX, RSI);
    /* rcx = &env->tb_jc[exec_jmp_cache_index(pc)] (32-byte entries) */
    _Static_assert(sizeof(TBJumpEntry) == 32, "entries are indexed by << 5");
    emit_mov_rr(e, RCX, RAX);
    emit_shift_ri(e, SHIFT_SHL, RCX, 4);
    emit_mov_rr(e, RSI, RAX);
    emit_shift_ri(e, SHIFT_SHR, RSI, EXEC_JMP_CACHE_BITS - 4);
    emit_alu_rr(e, ALU_XOR, RCX, RSI);
    emit_alu_ri(e, ALU_AND, RCX, (int32_t)((EXEC_JMP_CACHE_SIZE - 1) << 5));
    emit_modrm_mem(e, P_REXW | 0x03, RCX, REG_ENV, -1, offsetof(CPUState, tb_jc)); /* add */
    emit_modrm_mem(e, P_REXW | 0x3b, RAX, RCX, -1, offsetof(TBJumpEntry, pc));
    miss[1] = emit_jcc(e, CC_NE);
    emit_modrm_mem(e, P_REXW | 0x3b, RDX, RCX, -1, offsetof(TBJumpEntry, phys));
    miss[2] = emit_jcc(e, CC_NE);
    emit_modrm_mem(e, 0x8b, RSI, RCX, -1, offsetof(TBJumpEntry, flags)); /* 32-bit load */
    emit_mov_ri(e, RDX, tb_flags);
    emit_alu_rr(e, ALU_CMP, RSI, RDX);
    miss[3] = emit_jcc(e, CC_NE);
    emit_modrm_mem(e, P_REXW | 0x8b, RCX, RCX, -1, offsetof(TBJumpEntry, tb));
    emit_test_rr(e, RCX, RCX);
    miss[4] = emit_jcc(e, CC_E);
    emit_modrm_mem(e, 0xff, 4, RCX, -1, offsetof(TranslationBlock, code)); /* jmp [rcx+code] */
    if (!e->overflow) {
        for (unsigned i = 0; i < 5; i++) {
            emit_patch_rel32(miss[i], emit_rx(e));
        }
    }
}

void jit_unwind_softmmu(CPUState *cpu, uintptr_t retaddr)
{
    TranslationBlock *tb = exec_tb_find_by_host_pc(retaddr);
    if (!tb || !thunk_regs) {
        return;
    }
    ucontext_t uc;
    memset(&uc, 0, sizeof(uc));
    /* The last register pushed is at the lowest address. */
    for (int i = 0; i < NB_ALLOC_REGS; i++) {
        uc.uc_mcontext.gregs[jit_ucontext_index[thunk_saved[i]]] =
            (greg_t)thunk_regs[NB_ALLOC_REGS - 1 - i];
    }
    exec_config()->backend->restore_state(cpu, tb, retaddr, &uc);
}
