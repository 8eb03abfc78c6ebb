/*
 * decode.h — the RISC-V instruction decoder and operand formatter.
 *
 * The one thing to know: the decoder is generated from insns.decode; every
 * instruction, 16- or 32-bit, decodes to a descriptor plus the same four
 * operands (rd, rs1, rs2, imm), so compressed instructions share the 32-bit
 * translate functions.
 */
#ifndef MIMIC_TARGET_RISCV64_DECODE_H
#define MIMIC_TARGET_RISCV64_DECODE_H

#include <stddef.h>
#include <stdint.h>

/* Decoded operands. Register numbers are 0..31; unused operands are 0. */
typedef struct RVArgs {
    int rd, rs1, rs2;
    int64_t imm;
} RVArgs;

/* One row of the instruction table. */
typedef struct RVInsnDesc {
    const char *name;    /* mnemonic, e.g. "c.addi" */
    const char *fmt;     /* operand text with rd, rs1, rs2, imm, ... words */
    uint16_t handler;    /* index into the translator's trans table */
    uint8_t len;         /* 2 or 4 bytes */
} RVInsnDesc;

/* Length in bytes of the instruction whose first halfword is half: 2 or 4,
 * or 0 for the longer encodings mimic does not support. */
unsigned riscv_insn_length(uint16_t half);

/* Decodes insn (len 2: low 16 bits only, or 4). Returns NULL for illegal or
 * unsupported encodings. */
const RVInsnDesc *riscv_decode(uint32_t insn, unsigned len, RVArgs *a);

/* Writes "addi a0, a0, 1" style text for a decoded instruction at pc. */
void riscv_format_insn(const RVInsnDesc *d, const RVArgs *a, uint64_t pc, char *buf,
                       size_t buflen);

/* ABI name of register r (0..31). */
const char *riscv_reg_name(unsigned r);

#endif
