/*
 * fuzz-gdb.c — libFuzzer target over the gdb stub's input: packet framing,
 * checksums, escapes, Ctrl-C and every command's parser, on a fake target
 * (two CPUs of 33 registers, 64 KiB of memory at 0x10000) whose run
 * control stops again at once.
 *
 * The one thing to know: everything the stub sends must be an ack or a
 * well-formed packet with a correct checksum — anything else aborts — and
 * memory accesses outside the fake memory must have been refused by the
 * host side, never reached it. The first input byte chooses how the rest
 * is cut into chunks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/gdbstub.h"

#define MEM_BASE 0x10000u
#define MEM_SIZE 0x10000u

typedef struct FakeCPU {
    CPUState cs;
    uint64_t x[33];
} FakeCPU;

static FakeCPU cpus[2];
static uint8_t mem[MEM_SIZE];
static GdbStub *stub;
static bool resumed, interrupted;

/* Every sent byte: an ack, or a packet checked when complete. */
static uint8_t pkt[GDB_PACKET_SIZE + 8];
static size_t pkt_len;

static int hexval(uint8_t c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void fake_send(void *opaque, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    if (len == 1 && (p[0] == '+' || p[0] == '-')) {
        return;
    }
    if (len < 4 || len > sizeof(pkt) || p[0] != '$' || p[len - 3] != '#') {
        abort();
    }
    uint8_t sum = 0;
    for (size_t i = 1; i < len - 3; i++) {
        sum += p[i];
    }
    int hi = hexval(p[len - 2]), lo = hexval(p[len - 1]);
    if (hi < 0 || lo < 0 || (uint8_t)(hi << 4 | lo) != sum) {
        abort();
    }
    memcpy(pkt, p, len);
    pkt_len = len;
}

static const char *fake_xml(const char *annex, bool system)
{
    return strcmp(annex, "target.xml") == 0
               ? "<?xml version=\"1.0\"?><target><feature name=\"org.gnu.gdb.riscv.cpu\">"
                 "<reg name=\"x}#$*\" bitsize=\"64\"/></feature></target>"
               : NULL;
}

static unsigned fake_read_reg(CPUState *cs, unsigned regno, bool system, uint8_t *buf)
{
    if (regno >= 33) {
        return 0;
    }
    memcpy(buf, &((FakeCPU *)cs)->x[regno], 8);
    return 8;
}

static bool fake_write_reg(CPUState *cs, unsigned regno, bool system, const uint8_t *buf,
                           unsigned len)
{
    if (regno >= 33 || len != 8) {
        abort(); /* the stub asks read_reg for the size first */
    }
    memcpy(&((FakeCPU *)cs)->x[regno], buf, 8);
    return true;
}

static const GdbArch fake_arch = {
    .xml = fake_xml,
    .nb_g_regs = 33,
    .read_reg = fake_read_reg,
    .write_reg = fake_write_reg,
};

static unsigned fake_nb_cpus(void *opaque)
{
    return 2;
}

static CPUState *fake_cpu(void *opaque, unsigned index)
{
    if (index >= 2) {
        abort();
    }
    return &cpus[index].cs;
}

static bool in_mem(uint64_t addr, size_t len)
{
    return addr >= MEM_BASE && addr - MEM_BASE <= MEM_SIZE && len <= MEM_SIZE - (addr - MEM_BASE);
}

static int fake_read_mem(void *opaque, CPUState *cpu, uint64_t addr, void *buf, size_t len)
{
    if (len > GDB_PACKET_SIZE / 2) {
        abort(); /* the stub bounds lengths */
    }
    if (!in_mem(addr, len)) {
        return -1;
    }
    memcpy(buf, mem + (addr - MEM_BASE), len);
    return 0;
}

static int fake_write_mem(void *opaque, CPUState *cpu, uint64_t addr, const void *buf, size_t len)
{
    if (len > GDB_PACKET_SIZE / 2) {
        abort();
    }
    if (!in_mem(addr, len)) {
        return -1;
    }
    memcpy(mem + (addr - MEM_BASE), buf, len);
    return 0;
}

static void fake_resume(void *opaque, uint64_t run, int step_cpu)
{
    if (step_cpu >= 2 || !run || (run & ~3ull) || (step_cpu >= 0 && !(run >> step_cpu & 1))) {
        abort();
    }
    resumed = true;
}

static void fake_interrupt(void *opaque)
{
    interrupted = true;
}

static void fake_nothing(void *opaque)
{
}

static int fake_watch(void *opaque, GdbWatchKind kind, uint64_t addr, uint64_t len)
{
    return kind >= GDB_WATCH_WRITE && kind <= GDB_WATCH_ACCESS ? 0 : (abort(), -1);
}

static const GdbHostOps fake_ops = {
    .nb_cpus = fake_nb_cpus,
    .cpu = fake_cpu,
    .read_mem = fake_read_mem,
    .write_mem = fake_write_mem,
    .resume = fake_resume,
    .interrupt = fake_interrupt,
    .kill = fake_nothing,
    .detach = fake_nothing,
    .watch_insert = fake_watch,
    .watch_remove = fake_watch,
    .send = fake_send,
};

/* exec/debug.c drops translations on a breakpoint change and unwinds for
 * a watchpoint hit: neither happens here. */
void exec_tb_invalidate_range(uint64_t start, uint64_t end)
{
}

void exec_softmmu_unwind(CPUState *cpu, uintptr_t retaddr)
{
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    size_t step = 1 + data[0] % 64;
    data++, size--;
    if (!stub) {
        stub = gdb_stub_new(&fake_arch, &fake_ops, NULL, true);
    }
    gdb_stub_connected(stub);
    for (size_t off = 0; off < size; off += step) {
        size_t n = size - off < step ? size - off : step;
        gdb_stub_input(stub, data + off, n);
        if (resumed || interrupted) {
            /* The fake guest stops at once, as after a step. */
            resumed = interrupted = false;
            gdb_stub_report_stop(stub, 1, 5, GDB_WATCH_WRITE, 0x10010);
        }
    }
    exec_breakpoint_remove_all();
    return 0;
}
