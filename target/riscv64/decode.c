/*
 * decode.c — decoder entry points and operand formatting around the
 * generated table (decode-insns.c.inc, built from insns.decode).
 *
 * The one thing to know: nothing here knows individual instructions; the
 * mnemonic, encoding and operand layout of each come from the table.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "target/riscv64/decode.h"

#include "target/riscv64/decode-insns.c.inc"

static const char *const riscv_abi_names[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0",
    "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5",
    "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

static const char *const riscv_fp_abi_names[32] = {
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0",
    "fa1", "fa2", "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5",
    "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
};

static const char *riscv_freg_name(unsigned r)
{
    return r < 32 ? riscv_fp_abi_names[r] : "?";
}

const char *riscv_reg_name(unsigned r)
{
    return r < 32 ? riscv_abi_names[r] : "?";
}

unsigned riscv_insn_length(uint16_t half)
{
    if ((half & 3) != 3) {
        return 2;
    }
    if ((half & 0x1c) != 0x1c) {
        return 4;
    }
    return 0;
}

const RVInsnDesc *riscv_decode(uint32_t insn, unsigned len, RVArgs *a)
{
    memset(a, 0, sizeof(*a));
    if (len == 2) {
        return riscv_decode16(insn & 0xffff, a);
    }
    if (len == 4) {
        return riscv_decode32(insn, a);
    }
    return NULL;
}

static const char *riscv_csr_name(int64_t csr)
{
    switch (csr) {
    case 0x001: return "fflags";
    case 0x002: return "frm";
    case 0x003: return "fcsr";
    case 0xc00: return "cycle";
    case 0xc01: return "time";
    case 0xc02: return "instret";
    default: return NULL;
    }
}

static bool riscv_word_is(const char *w, size_t n, const char *s)
{
    return strlen(s) == n && memcmp(w, s, n) == 0;
}

/* Writes the text of operand word w (length n) to out; words that are not
 * operand names are copied as they are. Returns snprintf's result. */
static int riscv_format_operand(const char *w, size_t n, const RVArgs *a, uint64_t pc,
                                char *out, size_t outlen)
{
    if (riscv_word_is(w, n, "rd")) {
        return snprintf(out, outlen, "%s", riscv_reg_name((unsigned)a->rd));
    }
    if (riscv_word_is(w, n, "rs1")) {
        return snprintf(out, outlen, "%s", riscv_reg_name((unsigned)a->rs1));
    }
    if (riscv_word_is(w, n, "rs2")) {
        return snprintf(out, outlen, "%s", riscv_reg_name((unsigned)a->rs2));
    }
    if (riscv_word_is(w, n, "frd")) {
        return snprintf(out, outlen, "%s", riscv_freg_name((unsigned)a->rd));
    }
    if (riscv_word_is(w, n, "frs1")) {
        return snprintf(out, outlen, "%s", riscv_freg_name((unsigned)a->rs1));
    }
    if (riscv_word_is(w, n, "frs2")) {
        return snprintf(out, outlen, "%s", riscv_freg_name((unsigned)a->rs2));
    }
    if (riscv_word_is(w, n, "frs3")) {
        return snprintf(out, outlen, "%s", riscv_freg_name((unsigned)(a->imm >> 3) & 31));
    }
    if (riscv_word_is(w, n, "rm")) {
        static const char *const rm_names[8] = { "rne", "rtz", "rdn", "rup", "rmm", "5", "6", "" };
        return snprintf(out, outlen, "%s", rm_names[a->imm & 7]);
    }
    if (riscv_word_is(w, n, "imm")) {
        return snprintf(out, outlen, "%lld", (long long)a->imm);
    }
    if (riscv_word_is(w, n, "zimm")) {
        return snprintf(out, outlen, "%d", a->rs1);
    }
    if (riscv_word_is(w, n, "hi20")) {
        return snprintf(out, outlen, "0x%llx", (unsigned long long)((uint64_t)a->imm >> 12) & 0xfffff);
    }
    if (riscv_word_is(w, n, "target")) {
        return snprintf(out, outlen, "0x%llx", (unsigned long long)(pc + (uint64_t)a->imm));
    }
    if (riscv_word_is(w, n, "csr")) {
        const char *name = riscv_csr_name(a->imm);
        if (name) {
            return snprintf(out, outlen, "%s", name);
        }
        return snprintf(out, outlen, "0x%llx", (unsigned long long)a->imm);
    }
    return snprintf(out, outlen, "%.*s", (int)n, w);
}

void riscv_format_insn(const RVInsnDesc *d, const RVArgs *a, uint64_t pc, char *buf,
                       size_t buflen)
{
    if (buflen == 0) {
        return;
    }
    size_t pos = 0;
    int k = snprintf(buf, buflen, "%s%s", d->name, d->fmt[0] ? " " : "");
    pos = k > 0 ? (size_t)k : 0;
    for (const char *p = d->fmt; *p && pos < buflen;) {
        size_t n = 0;
        while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9')) {
            n++;
        }
        if (n > 0) {
            k = riscv_format_operand(p, n, a, pc, buf + pos, buflen - pos);
            if (k == 0 && pos >= 2 && buf[pos - 2] == ',' && buf[pos - 1] == ' ') {
                pos -= 2;   /* an operand that prints nothing drops its separator */
                buf[pos] = '\0';
            }
            p += n;
        } else {
            k = snprintf(buf + pos, buflen - pos, "%c", *p);
            p++;
        }
        pos += k > 0 ? (size_t)k : 0;
    }
}
