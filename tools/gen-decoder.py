#!/usr/bin/env python3
"""gen-decoder.py — turns an instruction table (target/*/insns.decode) into C.

The one thing to know: the table is the only description of the encodings.
This script emits a decoder (a switch on the major opcode bits and funct3, then
mask/match tests ordered from the most to the least specific pattern), the
operand extractors, the instruction descriptors used by the disassembler,
and a separate file with the translate-function table, so the decoder can be
linked without the translator.

Usage: gen-decoder.py TABLE OUT_DECODE_INC OUT_TRANS_INC

Table syntax ('#' starts a comment):
  field  NAME [s] SEG... [+N]   SEG is HI:LO, a single bit N, or zK (K zero
                                bits); concatenated MSB first; 's' sign-extends
                                the result; '+N' adds a constant.
  format NAME ARG=VALUE...      ARG is rd, rs1, rs2 or imm; VALUE is a field
                                name or an integer. Unnamed args are 0.
  NAME PATTERN... FORMAT HANDLER [ARG!=0...] ["ASM"]
                                PATTERN is 16 or 32 characters of 0, 1 and -
                                (MSB first, may be split in groups). HANDLER is
                                the translate function trans_HANDLER. ASM is the
                                operand text; the words rd, rs1, rs2, frd, frs1,
                                frs2, imm, zimm, target, hi20, csr are replaced
                                by operands.
"""

import re
import sys

ARGS = ("rd", "rs1", "rs2", "imm")


class TableError(Exception):
    pass


class Field:
    def __init__(self, name, signed, segs, offset):
        self.name, self.signed, self.segs, self.offset = name, signed, segs, offset

    def width(self):
        return sum((hi - lo + 1) if kind == "bits" else hi for kind, hi, lo in self.segs)

    def c_expr(self):
        """C expression (int64_t) extracting the field from `insn`."""
        parts = []
        shift = self.width()
        for kind, hi, lo in self.segs:
            n = (hi - lo + 1) if kind == "bits" else hi
            shift -= n
            if kind == "zeros":
                continue
            mask = (1 << n) - 1
            parts.append("((uint64_t)((insn >> %d) & 0x%x) << %d)" % (lo, mask, shift))
        value = " | ".join(parts) if parts else "0"
        width = self.width()
        if self.signed:
            value = "((int64_t)((%s) << %d) >> %d)" % (value, 64 - width, 64 - width)
        else:
            value = "(int64_t)(%s)" % value
        if self.offset:
            value = "(%s + %d)" % (value, self.offset)
        return value


class Insn:
    def __init__(self, name, pattern, fmt, handler, conds, asm, lineno):
        self.name, self.fmt, self.handler = name, fmt, handler
        self.conds, self.asm, self.lineno = conds, asm, lineno
        self.width = len(pattern)
        self.mask = int("".join("0" if c == "-" else "1" for c in pattern), 2)
        self.match = int("".join("1" if c == "1" else "0" for c in pattern), 2)

    def fixed_bits(self):
        return bin(self.mask).count("1")


def parse_int(text):
    return int(text, 0)


def parse_field(words, lineno):
    if len(words) < 2:
        raise TableError("line %d: field needs a name and segments" % lineno)
    name, rest = words[0], words[1:]
    signed = False
    offset = 0
    if rest and rest[0] == "s":
        signed, rest = True, rest[1:]
    if rest and rest[-1].startswith("+"):
        offset, rest = parse_int(rest[-1][1:]), rest[:-1]
    segs = []
    for seg in rest:
        m = re.fullmatch(r"(\d+):(\d+)|(\d+)|z(\d+)", seg)
        if not m:
            raise TableError("line %d: bad segment '%s'" % (lineno, seg))
        if m.group(1):
            hi, lo = int(m.group(1)), int(m.group(2))
            if hi < lo or hi > 31:
                raise TableError("line %d: bad bit range '%s'" % (lineno, seg))
            segs.append(("bits", hi, lo))
        elif m.group(3):
            bit = int(m.group(3))
            if bit > 31:
                raise TableError("line %d: bad bit '%s'" % (lineno, seg))
            segs.append(("bits", bit, bit))
        else:
            segs.append(("zeros", int(m.group(4)), 0))
    if not segs:
        raise TableError("line %d: field %s has no segments" % (lineno, name))
    return Field(name, signed, segs, offset)


def parse_format(words, fields, lineno):
    name, args = words[0], {}
    for word in words[1:]:
        arg, sep, value = word.partition("=")
        if not sep or arg not in ARGS:
            raise TableError("line %d: bad format argument '%s'" % (lineno, word))
        if re.fullmatch(r"-?\d+|0x[0-9a-fA-F]+", value):
            args[arg] = ("const", parse_int(value))
        elif value in fields:
            args[arg] = ("field", value)
        else:
            raise TableError("line %d: unknown field '%s'" % (lineno, value))
    return name, args


def parse_insn(line, formats, lineno):
    asm = ""
    m = re.search(r'"([^"]*)"\s*$', line)
    if m:
        asm, line = m.group(1), line[: m.start()]
    words = line.split()
    name, rest = words[0], words[1:]
    pattern = ""
    while rest and re.fullmatch(r"[01-]+", rest[0]):
        pattern += rest.pop(0)
    if len(pattern) not in (16, 32):
        raise TableError("line %d: %s: pattern has %d bits" % (lineno, name, len(pattern)))
    if (len(pattern) == 32) != pattern.endswith("11"):
        raise TableError("line %d: %s: length does not match the low bits" % (lineno, name))
    if len(rest) < 2:
        raise TableError("line %d: %s: needs a format and a handler" % (lineno, name))
    fmt, handler, conds = rest[0], rest[1], rest[2:]
    if fmt not in formats:
        raise TableError("line %d: unknown format '%s'" % (lineno, fmt))
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", handler):
        raise TableError("line %d: bad handler name '%s'" % (lineno, handler))
    for cond in conds:
        m = re.fullmatch(r"(\w+)!=0", cond)
        if not m or m.group(1) not in ARGS:
            raise TableError("line %d: bad condition '%s'" % (lineno, cond))
    return Insn(name, pattern, fmt, handler, [c[:-3] for c in conds], asm, lineno)


def parse_table(path):
    fields, formats, insns = {}, {}, []
    with open(path) as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            words = line.split()
            if words[0] == "field":
                field = parse_field(words[1:], lineno)
                fields[field.name] = field
            elif words[0] == "format":
                name, args = parse_format(words[1:], fields, lineno)
                formats[name] = args
            else:
                insns.append(parse_insn(line, formats, lineno))
    return fields, formats, insns


def group_key(insn):
    """Major opcode bits the first-level switch dispatches on."""
    if insn.width == 32:
        key_mask = 0x7F
    else:
        key_mask = 0xE003
    if insn.mask & key_mask != key_mask:
        raise TableError("line %d: %s: major opcode bits must be fixed" % (insn.lineno, insn.name))
    return insn.match & key_mask


def overlaps(a, b):
    common = a.mask & b.mask
    return (a.match ^ b.match) & common == 0


def check_ambiguity(group):
    for i, a in enumerate(group):
        for b in group[i + 1:]:
            if a.mask == b.mask and a.match == b.match and not (a.conds or b.conds):
                raise TableError("lines %d and %d: identical patterns" % (a.lineno, b.lineno))
            if (overlaps(a, b) and a.fixed_bits() == b.fixed_bits()
                    and not (a.conds or b.conds)):
                raise TableError("lines %d and %d: ambiguous patterns of equal specificity"
                                 % (a.lineno, b.lineno))


def c_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


FUNCT3 = 0x7000


def gen_tests(group, ind):
    """Mask/match tests for one switch case, most specific first."""
    out = []
    for i, insn in group:
        out.append("%sif ((insn & 0x%x) == 0x%x) {\n" % (ind, insn.mask, insn.match))
        out.append("%s    riscv_format_%s(insn, a);\n" % (ind, insn.fmt))
        if insn.conds:
            cond = " && ".join("a->%s != 0" % c for c in insn.conds)
            out.append("%s    if (%s) {\n%s        return &riscv_insn_table[%d];\n%s    }\n"
                       % (ind, cond, ind, i, ind))
        else:
            out.append("%s    return &riscv_insn_table[%d];\n" % (ind, i))
        out.append("%s}\n" % ind)
    return "".join(out)


def gen_decoder(src, fields, formats, insns, handlers):
    out = []
    out.append("/* Generated by tools/gen-decoder.py from %s. Do not edit. */\n" % src)
    used_fields = sorted({v for args in formats.values() for k, v in args.values() if k == "field"})
    for name in used_fields:
        out.append("static inline int64_t riscv_field_%s(uint32_t insn)\n{\n"
                   "    return %s;\n}\n" % (name, fields[name].c_expr()))
    for name, args in formats.items():
        out.append("static inline void riscv_format_%s(uint32_t insn, RVArgs *a)\n{\n" % name)
        if not args:
            out.append("    (void)insn;\n")
        for arg in ARGS:
            kind, value = args.get(arg, ("const", 0))
            expr = "riscv_field_%s(insn)" % value if kind == "field" else str(value)
            cast = "(int64_t)" if arg == "imm" else "(int)"
            out.append("    a->%s = %s%s;\n" % (arg, cast, expr))
        out.append("}\n")
    out.append("\nstatic const RVInsnDesc riscv_insn_table[] = {\n")
    for i, insn in enumerate(insns):
        out.append("    [%d] = { %s, %s, %d, %d },\n"
                   % (i, c_string(insn.name), c_string(insn.asm), handlers.index(insn.handler),
                      insn.width // 8))
    out.append("};\n")
    for width in (32, 16):
        members = [(i, insn) for i, insn in enumerate(insns) if insn.width == width]
        groups = {}
        for i, insn in members:
            groups.setdefault(group_key(insn), []).append((i, insn))
        key_expr = "insn & 0x7f" if width == 32 else "insn & 0xe003"
        out.append("\nstatic const RVInsnDesc *riscv_decode%d(uint32_t insn, RVArgs *a)\n{\n"
                   "    switch (%s) {\n" % (width, key_expr))
        for key in sorted(groups):
            group = sorted(groups[key], key=lambda p: -p[1].fixed_bits())
            check_ambiguity([insn for _, insn in group])
            out.append("    case 0x%x:\n" % key)
            if width == 32 and all(insn.mask & FUNCT3 == FUNCT3 for _, insn in group):
                out.append("        switch ((insn >> 12) & 7) {\n")
                for f3 in range(8):
                    sub = [p for p in group if (p[1].match & FUNCT3) >> 12 == f3]
                    if sub:
                        out.append("        case %d:\n" % f3)
                        out.append(gen_tests(sub, "            "))
                        out.append("            break;\n")
                out.append("        default:\n            break;\n        }\n")
            else:
                out.append(gen_tests(group, "        "))
            out.append("        break;\n")
        out.append("    default:\n        break;\n    }\n    return NULL;\n}\n")
    return "".join(out)


def gen_trans(src, handlers):
    out = ["/* Generated by tools/gen-decoder.py from %s. Do not edit. */\n" % src]
    for h in handlers:
        out.append("bool trans_%s(DisasContext *ctx, const RVArgs *a);\n" % h)
    out.append("\nstatic const RVTransFn riscv_trans_table[] = {\n")
    for i, h in enumerate(handlers):
        out.append("    [%d] = trans_%s,\n" % (i, h))
    out.append("};\n")
    return "".join(out)


def main(argv):
    if len(argv) != 4:
        sys.stderr.write("usage: gen-decoder.py TABLE OUT_DECODE_INC OUT_TRANS_INC\n")
        return 2
    src = argv[1]
    try:
        fields, formats, insns = parse_table(src)
        handlers = []
        for insn in insns:
            if insn.handler not in handlers:
                handlers.append(insn.handler)
        decoder = gen_decoder(src.split("/")[-1], fields, formats, insns, handlers)
    except (TableError, OSError) as e:
        sys.stderr.write("gen-decoder: %s: %s\n" % (src, e))
        return 1
    with open(argv[2], "w") as f:
        f.write(decoder)
    with open(argv[3], "w") as f:
        f.write(gen_trans(src.split("/")[-1], handlers))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
