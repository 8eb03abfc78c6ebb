/*
 * test-virt-monitor.c — what the monitor sees of the virt machine: page
 * tables walked for info mem (merged) and info tlb (per leaf) with Sv39 and
 * sign-extended high addresses, x through satp against physical memory, a
 * mapping of a device that the monitor must refuse to read (no device
 * side effects), register names, and a hostile Sv57 table that points at
 * itself everywhere (the walk must stop, bounded).
 *
 * The one thing to know: a real VirtMachine (virt_create with -bios none
 * and a small kernel, argv[1]) whose harts never run; the test writes page
 * tables into its RAM and sets satp by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "system/riscv-virt-internal.h"
#include "target/riscv64/mmu.h"

static const char *kernel;
static VirtMachine *m;


#define ROOT 0x80100000ull
#define L1 0x80101000ull
#define L0 0x80102000ull

void virt_monitor_dump_tlb(void *opaque, unsigned cpu, MonBuf *out);
void virt_monitor_dump_mem(void *opaque, unsigned cpu, MonBuf *out);
int virt_monitor_read_memory(void *opaque, unsigned cpu, bool virt, uint64_t addr, void *buf,
                             size_t len, uint64_t *fault_addr);
bool virt_monitor_register_value(void *opaque, unsigned cpu, const char *name, uint64_t *v);

static void put_pte(uint64_t table, unsigned index, uint64_t pa, uint64_t flags)
{
    uint64_t pte = ((pa >> 12) << 10) | flags;
    assert_int_equal(address_space_write(&m->as, table + index * 8, &pte, 8), 0);
}

static int setup(void **state)
{
    VirtConfig cfg = { .ram_size = 64ull << 20, .nb_harts = 2, .bios = "none",
                       .kernel = kernel };
    char err[256];
    m = virt_create(&cfg, err, sizeof(err));
    if (!m) {
        fprintf(stderr, "virt_create: %s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    virt_destroy(m);
    return 0;
}

static void clear_tables(void)
{
    static const uint8_t zero[3 * 4096];
    assert_int_equal(address_space_write(&m->as, ROOT, zero, sizeof(zero)), 0);
}

static void test_sv39_walk(void **state)
{
    clear_tables();
    put_pte(ROOT, 1, 0x80000000, RISCV_PTE_V | RISCV_PTE_R | RISCV_PTE_W | RISCV_PTE_X | RISCV_PTE_A | RISCV_PTE_D); /* 1 GiB */
    put_pte(ROOT, 0, L1, RISCV_PTE_V);
    put_pte(L1, 0, L0, RISCV_PTE_V);
    put_pte(L0, 0x10, 0x80200000, RISCV_PTE_V | RISCV_PTE_R | RISCV_PTE_U | RISCV_PTE_A);
    put_pte(L0, 0x11, 0x80201000, RISCV_PTE_V | RISCV_PTE_R | RISCV_PTE_U | RISCV_PTE_A);
    put_pte(L0, 0x20, 0x10000000, RISCV_PTE_V | RISCV_PTE_R | RISCV_PTE_A);   /* the UART */
    put_pte(ROOT, 511, 0x80000000, RISCV_PTE_V | RISCV_PTE_R | RISCV_PTE_W | RISCV_PTE_A | RISCV_PTE_D | RISCV_PTE_G);
    RISCVPrivState *s = &m->harts[1]->priv;
    s->satp = (8ull << 60) | (ROOT >> 12);
    s->priv = PRV_U; /* the monitor still sees kernel pages */

    MonBuf out = { 0 };
    virt_monitor_dump_mem(m, 1, &out);
    assert_non_null(strstr(out.data, "0000000000010000 0000000080200000 0000000000002000 "
                                     "r--u-a-\n"));
    assert_non_null(strstr(out.data, "0000000000020000 0000000010000000 0000000000001000 "
                                     "r----a-\n"));
    assert_non_null(strstr(out.data, "0000000040000000 0000000080000000 0000000040000000 "
                                     "rwx--ad\n"));
    assert_non_null(strstr(out.data, "ffffffffc0000000 0000000080000000 0000000040000000 "
                                     "rw--gad\n"));
    monbuf_free(&out);
    virt_monitor_dump_tlb(m, 1, &out);
    assert_non_null(strstr(out.data, "0000000000010000 0000000080200000 0000000000001000"));
    assert_non_null(strstr(out.data, "0000000000011000 0000000080201000 0000000000001000"));
    monbuf_free(&out);

    /* x through satp equals the physical bytes, across the two pages */
    uint8_t data[64], virt[64], phys[64];
    for (unsigned i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(i * 7 + 1);
    }
    assert_int_equal(address_space_write(&m->as, 0x80200fe0, data, sizeof(data)), 0);
    uint64_t fault = 0;
    assert_int_equal(virt_monitor_read_memory(m, 1, true, 0x10fe0, virt, 64, &fault), 0);
    assert_int_equal(virt_monitor_read_memory(m, 1, false, 0x80200fe0, phys, 64, &fault), 0);
    assert_memory_equal(virt, data, 64);
    assert_memory_equal(phys, data, 64);
    assert_int_equal(virt_monitor_read_memory(m, 1, true, 0xffffffffc0000000ull + 0x200fe0,
                                              virt, 64, &fault), 0);
    assert_memory_equal(virt, data, 64);
    /* unmapped, a device through a mapping, a device physically */
    assert_int_equal(virt_monitor_read_memory(m, 1, true, 0x12000, virt, 4, &fault), -1);
    assert_int_equal(fault, 0x12000);
    assert_int_equal(virt_monitor_read_memory(m, 1, true, 0x20000, virt, 4, &fault), -1);
    assert_int_equal(virt_monitor_read_memory(m, 1, false, 0x10000000, virt, 1, &fault), -1);
    /* a read that runs off the end of a mapping fails at the first bad page */
    assert_int_equal(virt_monitor_read_memory(m, 1, true, 0x11ff0, virt, 32, &fault), -1);
    assert_int_equal(fault, 0x12000);
    /* the walk set no A/D bits */
    uint64_t pte;
    assert_int_equal(address_space_read(&m->as, L0 + 0x10 * 8, &pte, 8), 0);
    assert_int_equal(pte & RISCV_PTE_D, 0);
    s->satp = 0;
    s->priv = PRV_M;
}

static void test_hostile_sv57(void **state)
{
    clear_tables();
    for (unsigned i = 0; i < 512; i++) {
        put_pte(ROOT, i, ROOT, RISCV_PTE_V); /* every entry: the table itself */
    }
    RISCVPrivState *s = &m->harts[0]->priv;
    s->satp = (10ull << 60) | (ROOT >> 12);
    s->priv = PRV_S;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    MonBuf out = { 0 };
    virt_monitor_dump_tlb(m, 0, &out);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_non_null(strstr(out.data, "(stopped: more than"));
    assert_true(t1.tv_sec - t0.tv_sec < 20);
    monbuf_free(&out);
    uint8_t b;
    uint64_t fault;
    assert_int_equal(virt_monitor_read_memory(m, 0, true, 0x1000, &b, 1, &fault), -1);
    s->satp = 0;
    s->priv = PRV_M;
}

static void test_registers(void **state)
{
    m->harts[0]->x[2] = 0x1234;
    m->harts[0]->x[10] = 0x55;
    m->harts[0]->cs.pc = 0x80000100;
    uint64_t v;
    assert_true(virt_monitor_register_value(m, 0, "sp", &v));
    assert_int_equal(v, 0x1234);
    assert_true(virt_monitor_register_value(m, 0, "x10", &v));
    assert_int_equal(v, 0x55);
    assert_true(virt_monitor_register_value(m, 0, "pc", &v));
    assert_int_equal(v, 0x80000100);
    assert_true(virt_monitor_register_value(m, 0, "zero", &v));
    assert_int_equal(v, 0);
    assert_false(virt_monitor_register_value(m, 0, "x32", &v));
    assert_false(virt_monitor_register_value(m, 0, "", &v));
    MonBuf out = { 0 };
    virt_monitor_ops.dump_registers(m, 0, &out);
    assert_non_null(strstr(out.data, " pc       0000000080000100\n"));
    assert_non_null(strstr(out.data, "x2/sp    0000000000001234"));
    monbuf_free(&out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test-virt-monitor KERNEL\n");
        return 1;
    }
    kernel = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sv39_walk),
        cmocka_unit_test(test_hostile_sv57),
        cmocka_unit_test(test_registers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
