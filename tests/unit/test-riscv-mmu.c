/*
 * test-riscv-mmu.c — the Sv39/Sv48/Sv57 page-table walk against the
 * privileged spec: 4 KiB pages and superpages at every level, misaligned
 * superpages, non-canonical addresses, invalid and reserved encodings, the
 * U/SUM/MXR rules, A/D updates (and a lost race that restarts the walk),
 * access faults on the page table itself, and bare mode.
 *
 * The one thing to know: "physical memory" is a small array at RAM_BASE;
 * page tables are built in it by map() for each test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "target/riscv64/mmu.h"

#define RAM_BASE 0x80000000ull
#define RAM_SIZE (64 * 4096)
#define V 0x01
#define R 0x02
#define W 0x04
#define X 0x08
#define U 0x10
#define A 0x40
#define D 0x80

static uint64_t ram[RAM_SIZE / 8];
static unsigned next_table; /* pages handed out so far */
static int race_once;       /* update_pte fails its compare once */

static bool read_pte(void *opaque, uint64_t pa, uint64_t *pte)
{
    if (pa < RAM_BASE || pa + 8 > RAM_BASE + RAM_SIZE || (pa & 7)) {
        return false;
    }
    *pte = ram[(pa - RAM_BASE) / 8];
    return true;
}

static bool update_pte(void *opaque, uint64_t pa, uint64_t old_pte, uint64_t new_pte,
                       bool *written)
{
    uint64_t *p = &ram[(pa - RAM_BASE) / 8];
    if (race_once) {
        race_once = 0;
        *written = false;
        return true;
    }
    *written = *p == old_pte;
    if (*written) {
        *p = new_pte;
    }
    return true;
}

static const RISCVPageTableMemory mem = { NULL, read_pte, update_pte };

static uint64_t new_table(void)
{
    uint64_t pa = RAM_BASE + (uint64_t)next_table++ * 4096;
    memset(&ram[(pa - RAM_BASE) / 8], 0, 4096);
    return pa;
}

static uint64_t *pte_slot(uint64_t table, uint64_t va, int level)
{
    uint64_t vpn = (va >> (12 + 9 * level)) & 511;
    return &ram[(table - RAM_BASE) / 8 + vpn];
}

/* Maps va to pa with a leaf at `level` (0: 4 KiB) in a table tree of
 * `levels` levels rooted at root. */
static void map(uint64_t root, int levels, uint64_t va, uint64_t pa, int level, uint64_t flags)
{
    uint64_t table = root;
    for (int l = levels - 1; l > level; l--) {
        uint64_t *slot = pte_slot(table, va, l);
        if (!(*slot & V)) {
            uint64_t t = new_table();
            *slot = ((t >> 12) << 10) | V;
        }
        table = ((*slot >> 10) & ((1ull << 44) - 1)) << 12;
    }
    *pte_slot(table, va, level) = ((pa >> 12) << 10) | flags;
}

static uint64_t leaf(uint64_t root, int levels, uint64_t va, int level)
{
    uint64_t table = root;
    for (int l = levels - 1; l > level; l--) {
        table = ((*pte_slot(table, va, l) >> 10) & ((1ull << 44) - 1)) << 12;
    }
    return *pte_slot(table, va, level);
}

static uint64_t satp(int mode, uint64_t root)
{
    return ((uint64_t)mode << 60) | (root >> 12);
}

static int xlate(uint64_t s, uint64_t va, RISCVAccess acc, bool user, bool sum, bool mxr,
                 RISCVTranslation *out)
{
    RISCVTranslateRequest req = { s, va, acc, user, sum, mxr };
    return riscv_translate(&req, &mem, out);
}

static int setup(void **state)
{
    next_table = 0;
    race_once = 0;
    return 0;
}

static void test_bare(void **state)
{
    RISCVTranslation t;
    assert_int_equal(xlate(0, 0x1234567, RISCV_ACCESS_STORE, true, false, false, &t), 0);
    assert_int_equal(t.pa, 0x1234567);
    assert_int_equal(t.prot, RISCV_PROT_READ | RISCV_PROT_WRITE | RISCV_PROT_EXEC);
}

static void test_4k_pages_every_mode(void **state)
{
    static const int modes[] = { RISCV_SATP_SV39, RISCV_SATP_SV48, RISCV_SATP_SV57 };
    for (int m = 0; m < 3; m++) {
        setup(NULL);
        int levels = 3 + m;
        uint64_t root = new_table();
        uint64_t va = 0x12345000ull | (1ull << (12 + 9 * (levels - 1) - 1)) >> 1;
        map(root, levels, va, 0x90000000ull, 0, V | R | W | A | D);
        RISCVTranslation t;
        assert_int_equal(xlate(satp(modes[m], root), va + 0x123, RISCV_ACCESS_LOAD, false, false,
                               false, &t), 0);
        assert_int_equal(t.pa, 0x90000123ull);
        assert_int_equal(t.page_mask, ~0xfffull);
        assert_int_equal(t.prot, RISCV_PROT_READ | RISCV_PROT_WRITE);
        /* The neighbouring page is not mapped. */
        assert_int_equal(xlate(satp(modes[m], root), va + 0x1000, RISCV_ACCESS_LOAD, false,
                               false, false, &t), RISCV_EXCP_LOAD_PAGE_FAULT);
    }
}

static void test_superpages(void **state)
{
    uint64_t root = new_table();
    RISCVTranslation t;
    /* 2 MiB and 1 GiB pages in Sv39; 512 GiB in Sv48. */
    map(root, 3, 0x40200000ull, 0xc0400000ull, 1, V | R | X | A);
    assert_int_equal(xlate(satp(RISCV_SATP_SV39, root), 0x40212345ull, RISCV_ACCESS_FETCH,
                           false, false, false, &t), 0);
    assert_int_equal(t.pa, 0xc0412345ull);
    assert_int_equal(t.page_mask, ~0x1fffffull);
    map(root, 3, 0x80000000ull, 0x100000000ull, 2, V | R | A);
    assert_int_equal(xlate(satp(RISCV_SATP_SV39, root), 0xbfffffffull, RISCV_ACCESS_LOAD, false,
                           false, false, &t), 0);
    assert_int_equal(t.pa, 0x13fffffffull);
    assert_int_equal(t.page_mask, ~0x3fffffffull);

    uint64_t root48 = new_table();
    map(root48, 4, 0x8000000000ull, 0x10000000000ull, 3, V | R | A);
    assert_int_equal(xlate(satp(RISCV_SATP_SV48, root48), 0x8000000042ull, RISCV_ACCESS_LOAD,
                           false, false, false, &t), 0);
    assert_int_equal(t.pa, 0x10000000042ull);
}

static void test_misaligned_superpage(void **state)
{
    uint64_t root = new_table();
    map(root, 3, 0x40200000ull, 0xc0401000ull, 1, V | R | A);
    RISCVTranslation t;
    assert_int_equal(xlate(satp(RISCV_SATP_SV39, root), 0x40200000ull, RISCV_ACCESS_LOAD, false,
                           false, false, &t), RISCV_EXCP_LOAD_PAGE_FAULT);
}

static void test_non_canonical(void **state)
{
    uint64_t root = new_table();
    map(root, 3, 0x1000, 0x90000000ull, 0, V | R | A);
    RISCVTranslation t;
    /* Bit 39 set without bits 63..40: not a sign extension of bit 38. */
    assert_int_equal(xlate(satp(RISCV_SATP_SV39, root), 0x8000001000ull, RISCV_ACCESS_STORE,
                           false, false, false, &t), RISCV_EXCP_STORE_PAGE_FAULT);
    assert_int_equal(xlate(satp(RISCV_SATP_SV39, root), 0xffffffc000001000ull,
                           RISCV_ACCESS_FETCH, false, false, false, &t),
                     RISCV_EXCP_INST_PAGE_FAULT); /* canonical but unmapped */
}

static void test_bad_encodings(void **state)
{
    uint64_t root = new_table();
    RISCVTranslation t;
    uint64_t s = satp(RISCV_SATP_SV39, root);
    map(root, 3, 0x1000, 0x90000000ull, 0, W | V | A | D); /* W without R */
    assert_int_equal(xlate(s, 0x1000, RISCV_ACCESS_LOAD, false, false, false, &t),
                     RISCV_EXCP_LOAD_PAGE_FAULT);
    map(root, 3, 0x2000, 0x90000000ull, 0, R | A); /* not valid */
    assert_int_equal(xlate(s, 0x2000, RISCV_ACCESS_LOAD, false, false, false, &t),
                     RISCV_EXCP_LOAD_PAGE_FAULT);
    map(root, 3, 0x3000, 0x90000000ull, 0, V | R | A | (1ull << 61)); /* PBMT set */
    assert_int_equal(xlate(s, 0x3000, RISCV_ACCESS_LOAD, false, false, false, &t),
                     RISCV_EXCP_LOAD_PAGE_FAULT);
    /* A pointer at level 0 (no leaf anywhere). */
    map(root, 3, 0x4000, 0x90000000ull, 0, V);
    assert_int_equal(xlate(s, 0x4000, RISCV_ACCESS_LOAD, false, false, false, &t),
                     RISCV_EXCP_LOAD_PAGE_FAULT);
    /* Unsupported satp mode. */
    assert_int_equal(xlate(((uint64_t)5 << 60) | (root >> 12), 0x1000, RISCV_ACCESS_LOAD, false,
                           false, false, &t), RISCV_EXCP_LOAD_PAGE_FAULT);
}

static void test_permissions(void **state)
{
    uint64_t root = new_table();
    RISCVTranslation t;
    uint64_t s = satp(RISCV_SATP_SV39, root);
    map(root, 3, 0x1000, 0x90000000ull, 0, V | R | W | U | A | D); /* user data */
    map(root, 3, 0x2000, 0x90001000ull, 0, V | X | A);             /* kernel, execute-only */
    map(root, 3, 0x3000, 0x90002000ull, 0, V | R | X | U | A);     /* user code */
    map(root, 3, 0x4000, 0x90003000ull, 0, V | R | A | D);         /* kernel read-only */

    /* U pages: user yes; S only with SUM, and never executes them. */
    assert_int_equal(xlate(s, 0x1000, RISCV_ACCESS_STORE, true, false, false, &t), 0);
    assert_int_equal(xlate(s, 0x1000, RISCV_ACCESS_LOAD, false, false, false, &t),
                     RISCV_EXCP_LOAD_PAGE_FAULT);
    assert_int_equal(xlate(s, 0x1000, RISCV_ACCESS_STORE, false, true, false, &t), 0);
    assert_int_equal(t.prot, RISCV_PROT_READ | RISCV_PROT_WRITE);
    assert_int_equal(xlate(s, 0x3000, RISCV_ACCESS_FETCH, false, true, false, &t),
                     RISCV_EXCP_INST_PAGE_FAULT);
    assert_int_equal(xlate(s, 0x3000, RISCV_ACCESS_FETCH, true, false, false, &t), 0);
    /* Non-U pages are out of reach of U. */
    assert_int_equal(xlate(s, 0x4000, RISCV_ACCESS_LOAD, true, false, false, &t),
                     RISCV_EXCP_LOAD_PAGE_FAULT);
    /* Execute-only: loads only with MXR. */
    assert_int_equal(xlate(s, 0x2000, RISCV_ACCESS_LOAD, false, false, false, &t),
                     RISCV_EXCP_LOAD_PAGE_FAULT);
    assert_int_equal(xlate(s, 0x2000, RISCV_ACCESS_LOAD, false, false, true, &t), 0);
    assert_int_equal(t.prot, RISCV_PROT_READ | RISCV_PROT_EXEC);
    /* Read-only: stores fault with a store page fault. */
    assert_int_equal(xlate(s, 0x4000, RISCV_ACCESS_STORE, false, false, false, &t),
                     RISCV_EXCP_STORE_PAGE_FAULT);
}

static void test_accessed_dirty(void **state)
{
    uint64_t root = new_table();
    RISCVTranslation t;
    uint64_t s = satp(RISCV_SATP_SV39, root);
    map(root, 3, 0x5000, 0x90000000ull, 0, V | R | W);
    /* A load sets A only, and the TLB may not write until D is set. */
    assert_int_equal(xlate(s, 0x5000, RISCV_ACCESS_LOAD, false, false, false, &t), 0);
    assert_int_equal(leaf(root, 3, 0x5000, 0) & (A | D), A);
    assert_int_equal(t.prot, RISCV_PROT_READ);
    /* A store sets D, after one lost race with another writer. */
    race_once = 1;
    assert_int_equal(xlate(s, 0x5000, RISCV_ACCESS_STORE, false, false, false, &t), 0);
    assert_int_equal(leaf(root, 3, 0x5000, 0) & (A | D), A | D);
    assert_int_equal(t.prot, RISCV_PROT_READ | RISCV_PROT_WRITE);
    /* A denied access changes nothing. */
    map(root, 3, 0x6000, 0x90000000ull, 0, V | R);
    assert_int_equal(xlate(s, 0x6000, RISCV_ACCESS_STORE, false, false, false, &t),
                     RISCV_EXCP_STORE_PAGE_FAULT);
    assert_int_equal(leaf(root, 3, 0x6000, 0) & (A | D), 0);
}

static void test_table_access_fault(void **state)
{
    RISCVTranslation t;
    /* A root outside RAM: reading the first entry is an access fault. */
    assert_int_equal(xlate(satp(RISCV_SATP_SV39, 0x1000), 0x1000, RISCV_ACCESS_FETCH, false, false,
                           false, &t), RISCV_EXCP_INST_ACCESS_FAULT);
    uint64_t root = new_table();
    uint64_t *slot = pte_slot(root, 0x7000, 2);
    *slot = ((0x10000000ull >> 12) << 10) | V; /* next level outside RAM */
    assert_int_equal(xlate(satp(RISCV_SATP_SV39, root), 0x7000, RISCV_ACCESS_STORE, false, false,
                           false, &t), RISCV_EXCP_STORE_ACCESS_FAULT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_bare, setup),
        cmocka_unit_test_setup(test_4k_pages_every_mode, setup),
        cmocka_unit_test_setup(test_superpages, setup),
        cmocka_unit_test_setup(test_misaligned_superpage, setup),
        cmocka_unit_test_setup(test_non_canonical, setup),
        cmocka_unit_test_setup(test_bad_encodings, setup),
        cmocka_unit_test_setup(test_permissions, setup),
        cmocka_unit_test_setup(test_accessed_dirty, setup),
        cmocka_unit_test_setup(test_table_access_fault, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
