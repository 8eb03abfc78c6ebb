/*
 * test-riscv-priv.c — the privileged state of a hart against the RISC-V
 * privileged specification: CSR privilege and read-only checks, WARL
 * legalization (mstatus.MPP, satp modes, xtvec modes, xepc alignment,
 * PMP locks), the S-level views, traps with and without delegation and
 * vectored interrupts, mret/sret, TSR/TW/TVM, Sstc gating, interrupt
 * priorities and enables, and MPRV for loads and stores.
 *
 * The one thing to know: each test starts from riscv_priv_reset() (M-mode)
 * and moves the hart with traps and xRETs like software would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "target/riscv64/priv.h"

static RISCVPrivState s;

static uint64_t rd(unsigned csr)
{
    uint64_t v = 0;
    assert_int_equal(riscv_priv_csr_read(&s, csr, &v), RISCV_CSR_OK);
    return v;
}

static void wr(unsigned csr, uint64_t v)
{
    bool flush;
    assert_int_equal(riscv_priv_csr_write(&s, csr, v, &flush), RISCV_CSR_OK);
}

static int wr_result(unsigned csr, uint64_t v)
{
    bool flush;
    return riscv_priv_csr_write(&s, csr, v, &flush);
}

static int setup(void **state)
{
    riscv_priv_reset(&s, 3);
    return 0;
}

/* Drops to privilege p with mret. */
static void enter(unsigned p)
{
    s.priv = PRV_M;
    wr(0x300, (rd(0x300) & ~MSTATUS_MPP) | ((uint64_t)p << MSTATUS_MPP_SHIFT));
    wr(0x341, 0x1000);
    assert_int_equal(riscv_priv_mret(&s), 0x1000);
    assert_int_equal(s.priv, p);
}

static void test_csr_access_rules(void **state)
{
    assert_int_equal(rd(0xf14), 3);                           /* mhartid */
    assert_int_equal(rd(0x301) >> 62, 2);                     /* misa: RV64 */
    assert_int_equal(wr_result(0xf14, 1), RISCV_CSR_ILLEGAL); /* read-only */
    assert_int_equal(wr_result(0x301, 0), RISCV_CSR_OK);      /* misa writes ignored */
    assert_int_equal(rd(0x301) & (1u << 18), 1u << 18);
    uint64_t v;
    assert_int_equal(riscv_priv_csr_read(&s, 0x001, &v), RISCV_CSR_NOT_PRIV); /* fflags */
    assert_int_equal(riscv_priv_csr_read(&s, 0xc01, &v), RISCV_CSR_NOT_PRIV); /* time */
    assert_int_equal(riscv_priv_csr_read(&s, 0x3ff, &v), RISCV_CSR_NOT_PRIV);
    enter(PRV_S);
    assert_int_equal(riscv_priv_csr_read(&s, 0x300, &v), RISCV_CSR_ILLEGAL);
    assert_int_equal(riscv_priv_csr_read(&s, 0x100, &v), RISCV_CSR_OK);
    enter(PRV_U);
    assert_int_equal(riscv_priv_csr_read(&s, 0x100, &v), RISCV_CSR_ILLEGAL);
}

static void test_warl(void **state)
{
    wr(0x300, 2ull << MSTATUS_MPP_SHIFT); /* reserved MPP keeps the old value */
    assert_int_equal((rd(0x300) & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT, 0);
    wr(0x300, ~0ull);
    uint64_t st = rd(0x300);
    assert_true(st & MSTATUS_SD);                /* FS dirty */
    assert_int_equal((st >> 32) & 0xf, 0xa);     /* UXL = SXL = 64 */
    assert_int_equal(st & (3ull << 9), 0);       /* no VS */
    assert_int_equal(st & (1ull << 6), 0);       /* no UBE */
    wr(0x305, 0x80000002);                       /* mtvec mode 2: reserved */
    assert_int_equal(rd(0x305), 0x80000000);
    wr(0x341, 0x1001);
    assert_int_equal(rd(0x341), 0x1000);
    wr(0x180, (8ull << 60) | 0x1234);            /* Sv39 */
    wr(0x180, (5ull << 60) | 0x9999);            /* unsupported: ignored */
    assert_int_equal(rd(0x180), (8ull << 60) | 0x1234);
    wr(0x302, ~0ull);                            /* medeleg: no ecall from M */
    assert_int_equal(rd(0x302) & (1u << RISCV_EXCP_ECALL_M), 0);
    wr(0x303, ~0ull);                            /* mideleg: S interrupts only */
    assert_int_equal(rd(0x303), 0x222);
    wr(0x3a0, 0x8f02);                           /* pmp0: W without R → no W; pmp1 locked */
    assert_int_equal(rd(0x3a0), 0x8f00);
    wr(0x3b1, 0x1234);                           /* locked entry */
    assert_int_equal(rd(0x3b1), 0);
    wr(0x3b0, ~0ull);
    assert_int_equal(rd(0x3b0), (1ull << 54) - 1);
}

static void test_supervisor_views(void **state)
{
    wr(0x303, 0x222);
    wr(0x304, 0xaaa);                 /* all interrupts enabled in mie */
    assert_int_equal(rd(0x104), 0x222);
    wr(0x104, 0);                     /* sie clears only delegated bits */
    assert_int_equal(rd(0x304), 0x888);
    wr(0x144, 0x222);                 /* sip: only SSIP is writable */
    assert_int_equal(rd(0x344), 0x2);
    wr(0x344, 0x222);                 /* mip: SSIP, STIP, SEIP writable by M */
    assert_int_equal(rd(0x344), 0x222);
    riscv_priv_set_irq(&s, IRQ_M_TIMER, true);
    assert_int_equal(rd(0x344), 0x2a2);
    wr(0x344, 0);                     /* MTIP is not software's */
    assert_int_equal(rd(0x344), 0x80);
    wr(0x100, ~0ull);
    assert_int_equal(rd(0x300) & (MSTATUS_MIE | MSTATUS_MPRV), 0);
    assert_true(rd(0x100) & MSTATUS_SUM);
}

static void test_traps_and_returns(void **state)
{
    wr(0x305, 0x80000000);
    wr(0x105, 0xc0000001);           /* stvec vectored */
    wr(0x302, 1u << RISCV_EXCP_ECALL_U);
    wr(0x303, 1u << IRQ_S_TIMER);
    wr(0x300, MSTATUS_MPIE); /* so that the mret into U leaves MIE set */
    enter(PRV_U);
    assert_true(s.mstatus & MSTATUS_MIE);
    /* ecall from U is delegated to S. */
    assert_int_equal(riscv_priv_trap(&s, 0x2000, RISCV_EXCP_ECALL_U, 0), 0xc0000000);
    assert_int_equal(s.priv, PRV_S);
    assert_int_equal(rd(0x141), 0x2000);
    assert_int_equal(rd(0x142), RISCV_EXCP_ECALL_U);
    assert_int_equal(rd(0x100) & MSTATUS_SPP, 0);
    /* An illegal instruction in S goes to M, which records MPP = S. */
    assert_int_equal(riscv_priv_trap(&s, 0xc0000010, RISCV_EXCP_ILLEGAL_INST, 0xdead),
                     0x80000000);
    assert_int_equal(s.priv, PRV_M);
    assert_int_equal((rd(0x300) & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT, PRV_S);
    assert_int_equal(rd(0x343), 0xdead);
    assert_int_equal(rd(0x300) & MSTATUS_MIE, 0);
    assert_true(rd(0x300) & MSTATUS_MPIE);
    assert_int_equal(riscv_priv_mret(&s), 0xc0000010);
    assert_int_equal(s.priv, PRV_S);
    assert_true(s.mstatus & MSTATUS_MIE);
    /* A delegated timer interrupt in U uses the vector. */
    assert_int_equal(riscv_priv_sret(&s), 0x2000);
    assert_int_equal(s.priv, PRV_U);
    assert_int_equal(riscv_priv_trap(&s, 0x2004, RISCV_CAUSE_INTERRUPT | IRQ_S_TIMER, 0),
                     0xc0000000 + 4 * IRQ_S_TIMER);
    assert_int_equal(rd(0x142), RISCV_CAUSE_INTERRUPT | IRQ_S_TIMER);
    /* sret is illegal in U, and in S with TSR; mret is illegal outside M. */
    s.priv = PRV_U;
    assert_int_equal(riscv_priv_sret(&s), UINT64_MAX);
    assert_int_equal(riscv_priv_mret(&s), UINT64_MAX);
    s.priv = PRV_M;
    wr(0x300, rd(0x300) | MSTATUS_TSR | MSTATUS_TW | MSTATUS_TVM);
    s.priv = PRV_S;
    assert_int_equal(riscv_priv_sret(&s), UINT64_MAX);
    assert_false(riscv_priv_wfi_allowed(&s));
    assert_false(riscv_priv_sfence_allowed(&s));
    uint64_t v;
    assert_int_equal(riscv_priv_csr_read(&s, 0x180, &v), RISCV_CSR_ILLEGAL);
}

static void test_mret_clears_mprv(void **state)
{
    wr(0x300, MSTATUS_MPRV | (1ull << MSTATUS_MPP_SHIFT));
    wr(0x341, 0x4000);
    riscv_priv_mret(&s);
    assert_int_equal(s.priv, PRV_S);
    s.priv = PRV_M;
    assert_int_equal(rd(0x300) & MSTATUS_MPRV, 0);
    assert_int_equal((rd(0x300) & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT, PRV_U);
}

static void test_interrupt_selection(void **state)
{
    wr(0x304, 0xaaa);
    assert_int_equal(riscv_priv_pending_interrupt(&s), -1);
    riscv_priv_set_irq(&s, IRQ_M_TIMER, true);
    riscv_priv_set_irq(&s, IRQ_M_SOFT, true);
    assert_int_equal(riscv_priv_pending_interrupt(&s), -1); /* M with MIE = 0 */
    wr(0x300, MSTATUS_MIE);
    assert_int_equal(riscv_priv_pending_interrupt(&s), IRQ_M_SOFT); /* MSI before MTI */
    riscv_priv_set_irq(&s, IRQ_M_EXT, true);
    assert_int_equal(riscv_priv_pending_interrupt(&s), IRQ_M_EXT);
    riscv_priv_set_irq(&s, IRQ_M_EXT, false);
    riscv_priv_set_irq(&s, IRQ_M_SOFT, false);
    riscv_priv_set_irq(&s, IRQ_M_TIMER, false);
    /* Delegated S interrupts: never in M; in S only with SIE; always in U. */
    wr(0x303, 0x222);
    wr(0x344, 1u << IRQ_S_SOFT);
    assert_int_equal(riscv_priv_pending_interrupt(&s), -1);
    enter(PRV_S);
    assert_int_equal(riscv_priv_pending_interrupt(&s), -1);
    s.mstatus |= MSTATUS_SIE;
    assert_int_equal(riscv_priv_pending_interrupt(&s), IRQ_S_SOFT);
    enter(PRV_U);
    assert_int_equal(riscv_priv_pending_interrupt(&s), IRQ_S_SOFT);
    /* An M interrupt in S is taken even with MIE = 0, and before S ones. */
    s.priv = PRV_S;
    s.mstatus &= ~MSTATUS_MIE;
    riscv_priv_set_irq(&s, IRQ_M_TIMER, true);
    assert_int_equal(riscv_priv_pending_interrupt(&s), IRQ_M_TIMER);
}

static void test_sstc(void **state)
{
    enter(PRV_S);
    uint64_t v;
    assert_int_equal(riscv_priv_csr_read(&s, 0x14d, &v), RISCV_CSR_ILLEGAL);
    s.priv = PRV_M;
    wr(0x30a, MENVCFG_STCE);
    wr(0x306, 2); /* mcounteren.TM */
    wr(0x344, 1u << IRQ_S_TIMER); /* STIP is the timer's now, not software's */
    assert_int_equal(rd(0x344) & (1u << IRQ_S_TIMER), 0);
    enter(PRV_S);
    wr(0x14d, 12345);
    assert_int_equal(rd(0x14d), 12345);
}

static void test_translation_privilege(void **state)
{
    RISCVTranslateRequest req;
    wr(0x180, (8ull << 60) | 0x80000);
    assert_false(riscv_priv_translate_request(&s, RISCV_ACCESS_LOAD, 0x1000, &req)); /* M */
    wr(0x300, MSTATUS_MPRV | (0ull << MSTATUS_MPP_SHIFT) | MSTATUS_SUM);
    assert_true(riscv_priv_translate_request(&s, RISCV_ACCESS_LOAD, 0x1000, &req));
    assert_true(req.user);
    assert_false(riscv_priv_translate_request(&s, RISCV_ACCESS_FETCH, 0x1000, &req));
    enter(PRV_S);
    assert_true(riscv_priv_translate_request(&s, RISCV_ACCESS_STORE, 0x1000, &req));
    assert_false(req.user);
    assert_true(req.sum);
}

static void test_pmp(void **state)
{
    /* Nothing configured: M may do anything, S and U nothing. */
    assert_true(riscv_pmp_check(&s, 0x80000000, 8, RISCV_ACCESS_STORE, PRV_M));
    assert_false(riscv_pmp_check(&s, 0x80000000, 8, RISCV_ACCESS_LOAD, PRV_S));
    /* Entry 0: NAPOT 64 KiB at 0x80000000, read-only, locked.
     * Entry 1: TOR [pmpaddr0 << 2, 0x90000000) RWX (TOR starts at the previous
     * pmpaddr as written, whatever its mode).
     * Entry 2: NAPOT all of memory, RW (OpenSBI's catch-all). */
    wr(0x3b0, (0x80000000ull >> 2) | ((0x10000 >> 3) - 1));
    wr(0x3b1, 0x90000000ull >> 2);
    wr(0x3b2, ~0ull);
    wr(0x3a0, (0x80 | (3 << 3) | 1) | ((uint64_t)((1 << 3) | 7) << 8) |
                  ((uint64_t)((3 << 3) | 3) << 16));
    assert_true(riscv_pmp_check(&s, 0x80000000, 8, RISCV_ACCESS_LOAD, PRV_S));
    assert_false(riscv_pmp_check(&s, 0x80000000, 8, RISCV_ACCESS_STORE, PRV_S));
    assert_false(riscv_pmp_check(&s, 0x80000000, 8, RISCV_ACCESS_STORE, PRV_M)); /* locked */
    /* The first matching entry decides, even if a later one would allow it. */
    assert_false(riscv_pmp_check(&s, 0x8000fff8, 8, RISCV_ACCESS_FETCH, PRV_S));
    /* Straddling the end of entry 0: fails. */
    assert_false(riscv_pmp_check(&s, 0x8000fffc, 8, RISCV_ACCESS_LOAD, PRV_S));
    /* Entry 1 (TOR) allows execution; entry 2 allows RW elsewhere. */
    assert_true(riscv_pmp_check(&s, 0x80010000, 4, RISCV_ACCESS_FETCH, PRV_U));
    assert_true(riscv_pmp_check(&s, 0x10000000, 1, RISCV_ACCESS_STORE, PRV_S));
    assert_false(riscv_pmp_check(&s, 0x10000000, 4, RISCV_ACCESS_FETCH, PRV_S));
    assert_false(riscv_pmp_check(&s, UINT64_MAX, 8, RISCV_ACCESS_LOAD, PRV_M)); /* wraps */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_csr_access_rules, setup),
        cmocka_unit_test_setup(test_warl, setup),
        cmocka_unit_test_setup(test_supervisor_views, setup),
        cmocka_unit_test_setup(test_traps_and_returns, setup),
        cmocka_unit_test_setup(test_mret_clears_mprv, setup),
        cmocka_unit_test_setup(test_interrupt_selection, setup),
        cmocka_unit_test_setup(test_sstc, setup),
        cmocka_unit_test_setup(test_translation_privilege, setup),
        cmocka_unit_test_setup(test_pmp, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
