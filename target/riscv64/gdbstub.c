/*
 * gdbstub.c — RISC-V 64 registers for the gdb stub: the target description
 * (gdb's org.gnu.gdb.riscv.cpu, .fpu and, in system mode, .csr and
 * .virtual features) and reading and writing registers by gdb number.
 *
 * The one thing to know: register numbers are gdb's own for RISC-V
 * (x0-x31 0-31, pc 32, f0-f31 33-64, CSR n at 65 + n, priv 4161), written
 * into the description with regnum= so both sides agree.
 */
#include <stdio.h>
#include <string.h>

#include "mimic/gdbstub.h"
#include "target/riscv64/cpu.h"

enum {
    REG_PC = 32,
    REG_F0 = 33,
    REG_CSR0 = 65,
    REG_FFLAGS = REG_CSR0 + 1,
    REG_FRM = REG_CSR0 + 2,
    REG_FCSR = REG_CSR0 + 3,
    REG_PRIV = REG_CSR0 + 4096,
};

static const char *const xnames[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1", "a0",
    "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5",
    "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

static const char *const fnames[32] = {
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0",
    "fa1", "fa2", "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5",
    "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
};

/* The CSRs system mode shows (the privileged ones the debugger needs to
 * follow a kernel: traps, translation, interrupts). */
static const struct {
    const char *name;
    unsigned csr;
} csrs[] = {
    { "sstatus", 0x100 }, { "sie", 0x104 },      { "stvec", 0x105 },   { "sscratch", 0x140 },
    { "sepc", 0x141 },    { "scause", 0x142 },   { "stval", 0x143 },   { "sip", 0x144 },
    { "satp", 0x180 },    { "mstatus", 0x300 },  { "misa", 0x301 },    { "medeleg", 0x302 },
    { "mideleg", 0x303 }, { "mie", 0x304 },      { "mtvec", 0x305 },   { "mscratch", 0x340 },
    { "mepc", 0x341 },    { "mcause", 0x342 },   { "mtval", 0x343 },   { "mip", 0x344 },
    { "mhartid", 0xf14 },
};
#define NB_CSRS (sizeof(csrs) / sizeof(csrs[0]))

static char xml_doc[2][8192];
static size_t xml_len[2];

static void add(bool system, const char *fmt, const char *name, unsigned regnum, unsigned bits,
                const char *type)
{
    char *buf = xml_doc[system];
    size_t *len = &xml_len[system];
    int n = snprintf(buf + *len, sizeof(xml_doc[0]) - *len, fmt, name, regnum, bits, type);
    if (n > 0 && (size_t)n < sizeof(xml_doc[0]) - *len) {
        *len += (size_t)n;
    }
}

static void add_text(bool system, const char *text)
{
    add(system, "%s", text, 0, 0, "");
}

#define REG_FMT "<reg name=\"%s\" regnum=\"%u\" bitsize=\"%u\" type=\"%s\"/>\n"

static void build_xml(bool system)
{
    xml_len[system] = 0;
    add_text(system, "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
                     "<target version=\"1.0\">\n<architecture>riscv:rv64</architecture>\n"
                     "<feature name=\"org.gnu.gdb.riscv.cpu\">\n");
    for (unsigned i = 0; i < 32; i++) {
        const char *type = i == 1 ? "code_ptr" : i == 2 || i == 8 ? "data_ptr" : "int";
        add(system, REG_FMT, xnames[i], i, 64, type);
    }
    add(system, REG_FMT, "pc", REG_PC, 64, "code_ptr");
    add_text(system, "</feature>\n<feature name=\"org.gnu.gdb.riscv.fpu\">\n");
    for (unsigned i = 0; i < 32; i++) {
        add(system, REG_FMT, fnames[i], REG_F0 + i, 64, "ieee_double");
    }
    add(system, REG_FMT, "fflags", REG_FFLAGS, 32, "int");
    add(system, REG_FMT, "frm", REG_FRM, 32, "int");
    add(system, REG_FMT, "fcsr", REG_FCSR, 32, "int");
    add_text(system, "</feature>\n");
    if (system) {
        add_text(system, "<feature name=\"org.gnu.gdb.riscv.csr\">\n");
        for (unsigned i = 0; i < NB_CSRS; i++) {
            add(system, REG_FMT, csrs[i].name, REG_CSR0 + csrs[i].csr, 64, "int");
        }
        add_text(system, "</feature>\n<feature name=\"org.gnu.gdb.riscv.virtual\">\n");
        add(system, REG_FMT, "priv", REG_PRIV, 64, "int");
        add_text(system, "</feature>\n");
    }
    add_text(system, "</target>\n");
}

static const char *riscv_gdb_xml(const char *annex, bool system)
{
    if (strcmp(annex, "target.xml") != 0) {
        return NULL;
    }
    if (!xml_len[system]) {
        build_xml(system);
    }
    return xml_doc[system];
}

static bool csr_shown(unsigned csr)
{
    for (unsigned i = 0; i < NB_CSRS; i++) {
        if (csrs[i].csr == csr) {
            return true;
        }
    }
    return false;
}

static unsigned put(uint8_t *buf, uint64_t v, unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        buf[i] = (uint8_t)(v >> (8 * i));
    }
    return size;
}

static uint64_t get(const uint8_t *buf, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)buf[i] << (8 * i);
    }
    return v;
}

/* A privileged CSR read or written as M-mode would (the debugger sees
 * everything); false if the CSR does not exist. */
static bool csr_access(RISCVCPU *cpu, unsigned csr, uint64_t *v, bool write)
{
    RISCVPrivState *ps = &cpu->priv;
    uint8_t priv = ps->priv;
    ps->priv = PRV_M;
    bool flush = false;
    int r = write ? riscv_priv_csr_write(ps, csr, *v, &flush) : riscv_priv_csr_read(ps, csr, v);
    ps->priv = priv;
    if (flush) {
        riscv_sys_tlb_flush(cpu);
    }
    return r == RISCV_CSR_OK;
}

static unsigned riscv_gdb_read_reg(CPUState *cs, unsigned regno, bool system, uint8_t *buf)
{
    RISCVCPU *cpu = (RISCVCPU *)cs;
    if (regno < 32) {
        return put(buf, cpu->x[regno], 8);
    }
    if (regno == REG_PC) {
        return put(buf, cs->pc, 8);
    }
    if (regno >= REG_F0 && regno < REG_F0 + 32) {
        return put(buf, cpu->f[regno - REG_F0], 8);
    }
    switch (regno) {
    case REG_FFLAGS:
        return put(buf, cpu->fflags, 4);
    case REG_FRM:
        return put(buf, cpu->frm, 4);
    case REG_FCSR:
        return put(buf, cpu->frm << 5 | cpu->fflags, 4);
    default:
        break;
    }
    if (!system) {
        return 0;
    }
    if (regno == REG_PRIV) {
        return put(buf, cpu->priv.priv, 8);
    }
    uint64_t v;
    if (regno >= REG_CSR0 && regno < REG_PRIV && csr_shown(regno - REG_CSR0) &&
        csr_access(cpu, regno - REG_CSR0, &v, false)) {
        return put(buf, v, 8);
    }
    return 0;
}

static bool riscv_gdb_write_reg(CPUState *cs, unsigned regno, bool system, const uint8_t *buf,
                                unsigned len)
{
    RISCVCPU *cpu = (RISCVCPU *)cs;
    uint64_t v = get(buf, len);
    if (regno < 32) {
        if (regno) {
            cpu->x[regno] = v;
        }
        return true;
    }
    if (regno == REG_PC) {
        cs->pc = v;
        return true;
    }
    if (regno >= REG_F0 && regno < REG_F0 + 32) {
        cpu->f[regno - REG_F0] = v;
        return true;
    }
    switch (regno) {
    case REG_FFLAGS:
        cpu->fflags = (uint32_t)v & 0x1f;
        return true;
    case REG_FRM:
        cpu->frm = (uint32_t)v & 7;
        return true;
    case REG_FCSR:
        cpu->fflags = (uint32_t)v & 0x1f;
        cpu->frm = (uint32_t)(v >> 5) & 7;
        return true;
    default:
        break;
    }
    if (!system) {
        return false;
    }
    if (regno == REG_PRIV) {
        if (v != PRV_U && v != PRV_S && v != PRV_M) {
            return false;
        }
        cpu->priv.priv = (uint8_t)v;
        riscv_sys_tlb_flush(cpu);
        return true;
    }
    return regno >= REG_CSR0 && regno < REG_PRIV && csr_shown(regno - REG_CSR0) &&
           csr_access(cpu, regno - REG_CSR0, &v, true);
}

const GdbArch gdb_arch_riscv64 = {
    .xml = riscv_gdb_xml,
    .nb_g_regs = 33,
    .read_reg = riscv_gdb_read_reg,
    .write_reg = riscv_gdb_write_reg,
};
