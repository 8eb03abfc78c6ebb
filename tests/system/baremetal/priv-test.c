/*
 * priv-test.c — a bare-metal program that exercises the privileged
 * architecture of the virt machine and prints what it sees on the UART:
 * traps and their causes, Sv39 paging with A/D updates, SUM, sfence.vma,
 * U-mode, FS tracking, atomics, misaligned accesses, self-modifying code
 * (plain stores, an AMO and a store inside the code itself, each followed
 * by fence.i), timer and software interrupts, then powers off through the test finisher. Its output under
 * mimic-system-riscv64 must equal its output under qemu-system-riscv64.
 * Left out because QEMU 7.2 departs from the privileged spec there (mimic
 * follows the spec): medeleg[11] is writable in QEMU, and a misaligned AMO
 * raises a load-misaligned exception (cause 4) instead of cause 6.
 */
#include <stdint.h>

#include "uart.h"

#define FINISHER (*(volatile uint32_t *)0x100000)
#define MSIP (*(volatile uint32_t *)0x2000000)
#define MTIMECMP (*(volatile uint64_t *)0x2004000)
#define MTIME (*(volatile uint64_t *)0x200bff8)

#define CSRR(csr) ({ uint64_t v_; __asm__ volatile("csrr %0, " #csr : "=r"(v_)); v_; })
#define CSRW(csr, v) __asm__ volatile("csrw " #csr ", %0" ::"r"((uint64_t)(v)) : "memory")
#define CSRS(csr, v) __asm__ volatile("csrs " #csr ", %0" ::"r"((uint64_t)(v)) : "memory")
#define CSRC(csr, v) __asm__ volatile("csrc " #csr ", %0" ::"r"((uint64_t)(v)) : "memory")

typedef struct Frame {
    uint64_t x[32];
    uint64_t mepc;
    uint64_t pad;
} Frame;

void run_in_mode(unsigned mpp, void (*fn)(void), uint64_t sp);
extern char resume_m[];

static volatile uint64_t last_cause, last_tval, traps;
static volatile int recover_to_ra; /* a fetch fault returns to the caller */

static void show(const char *what, uint64_t v)
{
    puts_(what);
    puts_(" = ");
    puthex(v);
    putch('\n');
}

void trap(Frame *f)
{
    uint64_t cause = CSRR(mcause);
    last_cause = cause;
    last_tval = CSRR(mtval);
    traps++;
    if (cause >> 63) {
        if ((cause & 63) == 7) {
            MTIMECMP = ~0ull;
        } else if ((cause & 63) == 3) {
            MSIP = 0;
        }
        return;
    }
    if ((cause == 8 || cause == 9) && f->x[17] == (uint64_t)-1) {
        CSRS(mstatus, 3ull << 11); /* back to M at resume_m */
        f->mepc = (uint64_t)resume_m;
        return;
    }
    if (cause == 12 || cause == 1 || recover_to_ra) {
        f->mepc = f->x[1];
        recover_to_ra = 0;
        return;
    }
    uint64_t pc = f->mepc >= 0xc0000000ull ? f->mepc - 0x40000000ull : f->mepc; /* U alias */
    uint16_t insn = *(volatile uint16_t *)pc;
    f->mepc += (insn & 3) == 3 ? 4 : 2;
}

static void expect_trap(const char *what)
{
    show(what, last_cause);
    last_cause = 0xdead;
}

/* ---- page tables: Sv39 ---- */

#define PTE_V 1
#define PTE_R 2
#define PTE_W 4
#define PTE_X 8
#define PTE_U 16
#define PTE_A 64
#define PTE_D 128
#define U_ALIAS 0x40000000ull /* U-mode sees RAM at PA + this */

static uint64_t root[512] __attribute__((aligned(4096)));
static uint64_t l1[512] __attribute__((aligned(4096)));
static volatile uint64_t l0[512] __attribute__((aligned(4096)));
static volatile uint64_t page_a[512] __attribute__((aligned(4096)));
static volatile uint64_t page_b[512] __attribute__((aligned(4096)));
static uint64_t ustack[512] __attribute__((aligned(4096)));
static uint64_t sstack[512] __attribute__((aligned(4096)));

static uint64_t pte(const volatile void *pa, uint64_t flags)
{
    return ((uint64_t)pa >> 12) << 10 | flags;
}

static void build_tables(void)
{
    root[0] = PTE_V | PTE_R | PTE_W | PTE_A | PTE_D; /* devices, for S-mode's UART */
    root[2] = (0x80000000ull >> 12) << 10 | PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D;
    root[3] = (0x80000000ull >> 12) << 10 | PTE_V | PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D;
    root[1] = pte(l1, PTE_V);
    l1[0] = pte(l0, PTE_V);
    l0[0] = pte(page_a, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    l0[1] = pte(page_a, PTE_V | PTE_R | PTE_A);         /* read-only alias */
    l0[2] = 0;                                          /* not mapped */
    l0[3] = pte(page_b, PTE_V | PTE_R | PTE_W);         /* A and D clear */
    l0[4] = pte(page_b, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D);
}

#define VA(n) ((volatile uint64_t *)(0x40000000ull + 0x1000 * (n)))

static void s_mode_test(void)
{
    VA(0)[0] = 0x1234;
    show("s: write through mapping, read at pa", page_a[0]);
    show("s: read-only alias", VA(1)[0]);
    VA(1)[0] = 1;
    expect_trap("s: store to read-only page");
    show("s: tval", last_tval);
    (void)VA(2)[0];
    expect_trap("s: load from unmapped page");
    show("s: tval", last_tval);
    (void)VA(3)[0];
    show("s: pte after load (A set, D clear)", l0[3] & 0xff);
    VA(3)[1] = 5;
    show("s: pte after store (A and D set)", l0[3] & 0xff);
    (void)VA(4)[0];
    expect_trap("s: load from U page without SUM");
    CSRS(sstatus, 1ull << 18);
    show("s: load from U page with SUM", VA(4)[1]);
    CSRC(sstatus, 1ull << 18);
    l0[0] = pte(page_b, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    __asm__ volatile("sfence.vma" ::: "memory");
    show("s: after remap and sfence.vma", VA(0)[1]);
    l0[0] = pte(page_a, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    __asm__ volatile("sfence.vma %0" ::"r"(VA(0)) : "memory");
    show("s: after remap and sfence.vma of that page", VA(0)[1]);
    /* A gigapage at 4 GiB; after its PTE is cleared, flushing another
     * address inside it must drop the whole mapping. */
    volatile uint64_t *giga = (volatile uint64_t *)(0x100000000ull +
                                                    ((uint64_t)page_a - 0x80000000ull));
    root[4] = (0x80000000ull >> 12) << 10 | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D;
    __asm__ volatile("sfence.vma" ::: "memory");
    show("s: read through a gigapage", giga[1]);
    root[4] = 0;
    __asm__ volatile("sfence.vma %0" ::"r"(0x100000000ull + 0x5000) : "memory");
    (void)giga[1];
    expect_trap("s: gigapage gone after sfence.vma of another page in it");
    recover_to_ra = 1;
    ((void (*)(void))((uint64_t)s_mode_test + U_ALIAS))();
    expect_trap("s: fetch from a U page");
    __asm__ volatile("csrr t0, mstatus" ::: "t0");
    expect_trap("s: read mstatus");
    show("s: sstatus.SPP after no trap", (CSRR(sstatus) >> 8) & 1);
    register uint64_t a7 __asm__("a7") = (uint64_t)-1;
    __asm__ volatile("ecall" ::"r"(a7));
}

/* U-mode cannot reach the UART: it records, M prints afterwards. */
static volatile uint64_t u_results[3];

static void u_mode_test(void)
{
    register uint64_t a7 __asm__("a7") = 42;
    __asm__ volatile("ecall" ::"r"(a7));
    u_results[0] = last_cause;
    __asm__ volatile("csrr t0, sstatus" ::: "t0");
    u_results[1] = last_cause;
    u_results[2] = ustack[0];
    a7 = (uint64_t)-1;
    __asm__ volatile("ecall" ::"r"(a7));
}

static void test_basics(void)
{
    uint64_t misa = CSRR(misa);
    show("misa: rv64", misa >> 62);
    show("misa: IMAFDCSU", misa & ((1 << 8) | (1 << 12) | (1 << 0) | (1 << 5) | (1 << 3) |
                                   (1 << 2) | (1 << 18) | (1 << 20)));
    show("mhartid", CSRR(mhartid));
    __asm__ volatile("csrr t0, 0x7c5" ::: "t0");
    expect_trap("unknown csr");
    __asm__ volatile("ecall");
    expect_trap("ecall from m");
    __asm__ volatile("ebreak");
    expect_trap("ebreak");
    __asm__ volatile(".word 0xffffffff");
    expect_trap("illegal encoding");
    uint64_t trap_stack = CSRR(mscratch);
    CSRW(mscratch, 0x55aa);
    show("mscratch", CSRR(mscratch));
    CSRW(mscratch, trap_stack);
}

static void test_memory(void)
{
    static volatile uint64_t buf[4];
    buf[0] = 0x0102030405060708ull;
    buf[1] = 0x1112131415161718ull;
    show("misaligned ld", *(volatile uint64_t *)((uintptr_t)buf + 3));
    *(volatile uint32_t *)((uintptr_t)buf + 6) = 0xaabbccdd;
    show("misaligned sw", buf[0]);
    uint64_t old;
    __asm__ volatile("amoadd.d %0, %2, (%1)" : "=r"(old) : "r"(&buf[2]), "r"(7ull) : "memory");
    __asm__ volatile("amoadd.d %0, %2, (%1)" : "=r"(old) : "r"(&buf[2]), "r"(5ull) : "memory");
    show("amoadd", old + buf[2]);
    uint64_t rc;
    __asm__ volatile("1: lr.d %0, (%2)\n addi %0, %0, 1\n sc.d %1, %0, (%2)\n bnez %1, 1b"
                     : "=&r"(old), "=&r"(rc) : "r"(&buf[3]) : "memory");
    show("lr/sc", buf[3]);
}

static void test_fp(void)
{
    CSRC(mstatus, 3ull << 13);
    __asm__ volatile("fadd.d f0, f0, f0");
    expect_trap("fp with FS off");
    CSRS(mstatus, 1ull << 13);
    show("FS initial", (CSRR(mstatus) >> 13) & 3);
    double a = 1.5, b = 2.25, c;
    __asm__ volatile("fadd.d %0, %1, %2" : "=f"(c) : "f"(a), "f"(b));
    show("fadd", (uint64_t)(c * 4));
    show("FS after fp op", (CSRR(mstatus) >> 13) & 3);
    show("mstatus.SD", CSRR(mstatus) >> 63);
}

static void test_paging(void)
{
    /* PMP: S and U may access everything (without a rule they may not). */
    CSRW(pmpaddr0, ~0ull >> 10);
    CSRW(pmpcfg0, 0x1f);
    build_tables();
    page_b[1] = 0xb1;
    page_a[1] = 0xa1;
    ustack[0] = 0x5eed;
    CSRW(satp, (8ull << 60) | ((uint64_t)root >> 12));
    show("satp mode", CSRR(satp) >> 60);
    run_in_mode(1, s_mode_test, (uint64_t)(sstack + 512));
    show("back in m", 1);
    run_in_mode(0, (void (*)(void))((uint64_t)u_mode_test + U_ALIAS),
                (uint64_t)(ustack + 512) + U_ALIAS);
    show("u: ecall", u_results[0]);
    show("u: read sstatus", u_results[1]);
    show("u: read own stack", u_results[2]);
    CSRW(satp, 0);
}

/* Self-modifying code: what fence.i must make visible. */
static uint32_t smc_code[64] __attribute__((aligned(4096)));

#define INSN_LI_A0(imm) ((uint32_t)(imm) << 20 | 0x513) /* addi a0, zero, imm */
#define INSN_RET 0x00008067u                               /* jalr zero, 0(ra) */
#define INSN_SW_A1_8_A0 0x00b52423u                        /* sw a1, 8(a0) */
#define INSN_FENCE_I 0x0000100fu

static uint64_t smc_call(uint64_t a0, uint64_t a1)
{
    register uint64_t r0 __asm__("a0") = a0;
    register uint64_t r1 __asm__("a1") = a1;
    __asm__ volatile("jalr ra, 0(%2)" : "+r"(r0), "+r"(r1) : "r"(smc_code)
                     : "ra", "memory");
    return r0;
}

static void test_smc(void)
{
    uint64_t sum = 0;
    for (uint32_t i = 1; i <= 100; i++) {
        smc_code[0] = INSN_LI_A0(i);
        smc_code[1] = INSN_RET;
        __asm__ volatile("fence.i" ::: "memory");
        sum += smc_call(0, 0);
    }
    show("smc: stores + fence.i, sum of 100 rewrites", sum);
    __atomic_exchange_n(&smc_code[0], INSN_LI_A0(77), __ATOMIC_SEQ_CST);
    __asm__ volatile("fence.i" ::: "memory");
    show("smc: amoswap + fence.i", smc_call(0, 0));
    /* The code rewrites its own third instruction, then fence.i. */
    smc_code[0] = INSN_SW_A1_8_A0;
    smc_code[1] = INSN_FENCE_I;
    smc_code[2] = INSN_LI_A0(1);
    smc_code[3] = INSN_RET;
    __asm__ volatile("fence.i" ::: "memory");
    show("smc: rewrites itself", smc_call((uint64_t)smc_code, INSN_LI_A0(2)));
    show("smc: rewrites itself again", smc_call((uint64_t)smc_code, INSN_LI_A0(3)));
}

static void test_interrupts(void)
{
    /* Race-free wait: wfi with MIE clear (it still wakes on a pending,
     * enabled interrupt), then open MIE for a moment to take it. */
    CSRC(mstatus, 1 << 3); /* the mret of run_in_mode may have left MIE set */
    uint64_t before = traps;
    CSRS(mie, 1 << 7);
    MTIMECMP = MTIME + 1000;
    while (traps == before) {
        __asm__ volatile("wfi");
        CSRS(mstatus, 1 << 3);
        CSRC(mstatus, 1 << 3);
    }
    CSRC(mie, 1 << 7); /* QEMU may still raise a late MTIP after mtimecmp is rewritten */
    show("timer interrupt", last_cause);
    before = traps;
    CSRS(mie, 1 << 3);
    MSIP = 1;
    CSRS(mstatus, 1 << 3);
    while (traps == before) {
    }
    CSRC(mstatus, 1 << 3);
    show("software interrupt", last_cause);
    CSRW(mie, 0);
    MSIP = 1;
    CSRS(mstatus, 1 << 3);
    for (volatile int i = 0; i < 1000; i++) {
    }
    show("masked: no trap", traps - before);
    MSIP = 0;
    CSRC(mstatus, 1 << 3);
}

int main(void)
{
    puts_("priv-test: start\n");
    test_basics();
    test_memory();
    test_fp();
    test_paging();
    test_smc();
    test_interrupts();
    puts_("priv-test: done\n");
    FINISHER = 0x5555;
    for (;;) {
    }
}
