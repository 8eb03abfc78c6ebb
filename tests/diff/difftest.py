#!/usr/bin/env python3
"""difftest.py — differential tester: random RISC-V programs run under mimic
(both backends) and under the oracle (qemu-riscv64); final registers and the
scratch memory must match byte for byte.

For each (group, seed) it writes an assembly program: registers x1, x3..x31
are loaded with seed-chosen values (0, -1, INT64_MIN, INT64_MAX, 32-bit edges,
small, random), then a few hundred instructions of the group run, then the
program stores x1..x31 and writes the register dump plus the scratch buffer to
stdout with the write system call, and exits.

The one thing to know: sp (x2) is the only register the generator never
writes; it points into the 4 KiB data region (register dump + scratch), so
every memory access stays inside that region and every address is the same
under both emulators (the program is static and not position-independent).
Only instructions mimic implements are generated (RV64IMAFDC, Zba, Zbb, Zbs,
and the FP status CSRs). Programs of the FP groups (FP_GROUPS) also store
f0..f31 at the start of the scratch area before the dump and leave fcsr in
t0, so the FP registers and the accrued flags are compared too; the
arithmetic FP groups start f0..f31 from special values (FP_D, FP_S,
FP_BAD_BOX) and use every rounding mode. Replay a failure with:
    tests/diff/difftest.py --seed N --group G --mimic build/mimic-riscv64
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile

REGION = 4096           # bytes: [0, 256) register dump, [256, 4096) scratch
SP_OFF = 2048           # sp = region + SP_OFF
DUMP = 256
LO = -SP_OFF + DUMP     # lowest sp-relative scratch offset
HI = REGION - SP_OFF    # one past the highest
N_INSNS = 160
ABI = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1",
       "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
       "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"]
REGS = [r for r in range(1, 32) if r != 2]          # writable by the program
CREGS = list(range(8, 16))                            # x8..x15 for RVC forms
GROUPS = ["alu", "shift", "mul", "amo", "rvc", "zba", "zbb", "zbs", "mem", "branch",
          "fpmove", "fparith", "fpfma", "fpcvt", "fpcmp"]
FP_GROUPS = ("fpmove", "fparith", "fpfma", "fpcvt", "fpcmp")   # f0..f31 are dumped too
MARCH = "rv64imafdc_zba_zbb_zbs"
RVC_GROUPS = ("rvc", "fpmove")

EDGE = [0, 1, 2, 0xffffffffffffffff, 0x8000000000000000, 0x7fffffffffffffff,
        0x80000000, 0x7fffffff, 0xffffffff, 0xffffffff80000000, 0x100000000,
        0xfffffffffffffffe, 31, 32, 63, 64]

# FP bit patterns: doubles, NaN-boxed singles, and singles that are not
# properly boxed (they must read as the canonical NaN).
FP_D = [0x0, 0x8000000000000000, 0x7ff0000000000000, 0xfff0000000000000,
        0x7ff8000000000000, 0x7ff8000000000123, 0xfff8000000000000,
        0x7ff0000000000001, 0x7ff4000000000000, 0xfff0000000000abc,   # sNaNs
        0x1, 0x800000000000000f, 0x000fffffffffffff, 0x0010000000000000,
        0x8010000000000000, 0x0010000000000001, 0x7fefffffffffffff, 0xffefffffffffffff,
        0x3ff0000000000000, 0xbff0000000000000, 0x3ff8000000000000, 0x4004000000000000,
        0xc004000000000000, 0x3fe0000000000000, 0xbfe0000000000000, 0x3fefffffffffffff,
        0x3ff0000000000001, 0x4000000000000000, 0x4008000000000000, 0x3fb999999999999a,
        0x41dfffffffc00000, 0x41dfffffffe00000, 0x41e0000000000000, 0xc1e0000000000000,
        0xc1e0000000200000, 0x41efffffffe00000, 0x41f0000000000000, 0x43dfffffffffffff,
        0x43e0000000000000, 0xc3e0000000000000, 0xc3e0000000000001, 0x43efffffffffffff,
        0x43f0000000000000, 0x3ca0000000000000, 0x0000000000000002, 0x7fe0000000000000,
        # products of these two are just below the smallest normal and round
        # up to it: tiny before rounding, not after (RISC-V: no UF)
        0x3fefffffffe00000, 0x3feffffffe000000, 0x0010000001000000, 0x8010000002000000]
FP_S = [0x0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7fc00123, 0xffc00000,
        0x7f800001, 0x7fa00000, 0xff800abc, 0x1, 0x8000000f, 0x007fffff, 0x00800000,
        0x80800000, 0x00800001, 0x7f7fffff, 0xff7fffff, 0x3f800000, 0xbf800000,
        0x3fc00000, 0x40200000, 0xc0200000, 0x3f000000, 0xbf000000, 0x3f7fffff,
        0x3f800001, 0x40000000, 0x40400000, 0x3dcccccd, 0x4effffff, 0x4f000000,
        0xcf000000, 0xcf000001, 0x4f7fffff, 0x4f800000, 0x5effffff, 0x5f000000,
        0xdf000000, 0xdf000001, 0x5f7fffff, 0x5f800000, 0x33800000, 0x7f000000,
        0x3f7ff800, 0x3f7ffc00, 0x00800400, 0x80800200]
FP_BAD_BOX = [0x000000003f800000, 0x7fffffff3f800000, 0xfffffffe7fc00000, 0x00000000ffc00000,
              0xffff0000bf800000]


def x(r):
    return f"x{r}"


class Gen:
    """Emits one program's instruction lines from a seeded random source."""

    def __init__(self, rng):
        self.rng = rng
        self.lines = []
        self.label = 0

    def value(self):
        r = self.rng.random()
        if r < 0.45:
            return self.rng.choice(EDGE)
        if r < 0.65:
            return self.rng.randrange(-64, 64) & 0xffffffffffffffff
        if r < 0.8:
            return self.rng.getrandbits(32) | (0xffffffff00000000 if self.rng.random() < 0.5 else 0)
        return self.rng.getrandbits(64)

    def fp_value(self):
        """An FP register pattern: specials, random values of every kind of
        magnitude (normal, near the underflow and overflow thresholds)."""
        rng = self.rng
        r = rng.random()
        if r < 0.3:
            return rng.choice(FP_D)
        if r < 0.6:
            return 0xffffffff00000000 | rng.choice(FP_S)
        if r < 0.64:
            return rng.choice(FP_BAD_BOX)
        dbl = rng.random() < 0.5
        ebits, fbits = (11, 52) if dbl else (8, 23)
        bias = (1 << (ebits - 1)) - 1
        k = rng.random()
        if k < 0.4:
            e = bias + rng.randint(-8, 8)                  # ordinary numbers
        elif k < 0.6:
            e = bias + rng.choice([-1, 1]) * rng.randint(bias // 2 - 4, bias // 2 + 4)
        elif k < 0.8:
            e = rng.randint(0, 3)                           # subnormal / tiny
        else:
            e = rng.randint(2 * bias - 2, 2 * bias)         # huge
        frac = rng.getrandbits(fbits)
        if rng.random() < 0.3:                              # few significant bits
            frac &= ~((1 << rng.randint(0, fbits)) - 1) & ((1 << fbits) - 1)
        v = rng.getrandbits(1) << (ebits + fbits) | e << fbits | frac
        return v if dbl else 0xffffffff00000000 | v

    def reload_fp(self, chance):
        if self.rng.random() < chance:
            t = self.reg()
            self.emit(f"li {x(t)}, {self.fp_value():#x}")
            self.emit(f"fmv.d.x f{self.rng.randrange(32)}, {x(t)}")

    def rm(self):
        return self.rng.choice(["", ", rne", ", rtz", ", rdn", ", rup", ", rmm", ", dyn"])

    def fp_status(self):
        """Sometimes changes frm, reads or clears the flags."""
        rng = self.rng
        r = rng.random()
        if r < 0.04:
            t = self.reg()
            self.emit(f"li {x(t)}, {rng.randrange(5)}")
            self.emit(f"fsrm {x(self.reg())}, {x(t)}")
        elif r < 0.08:
            self.emit(f"frflags {x(self.reg())}")
        elif r < 0.1:
            self.emit(f"fsflags {x(self.reg())}, x0")
        elif r < 0.11:
            self.emit(f"fsrmi {rng.randrange(5)}")
        elif r < 0.12:
            # fcsr as a whole: frm a valid mode, bits above 7 ignored
            t = self.reg()
            v = rng.randrange(5) << 5 | rng.randrange(32) | rng.randrange(4) << 8
            self.emit(f"li {x(t)}, {v}")
            self.emit(f"fscsr {x(self.reg())}, {x(t)}")
        elif r < 0.135:
            # set or clear bits of fflags or fcsr (set only flag bits of fcsr,
            # so frm stays a valid mode; clearing bits of a valid mode is one)
            t = self.reg()
            op, csr = rng.choice(["csrrs", "csrrc"]), rng.choice(["fflags", "fcsr"])
            v = rng.randrange(256) if op == "csrrc" or csr == "fflags" else rng.randrange(32)
            self.emit(f"li {x(t)}, {v}")
            self.emit(f"{op} {x(self.reg())}, {csr}, {x(t)}")

    def reg(self, pool=REGS):
        return self.rng.choice(pool)

    def emit(self, s):
        self.lines.append("    " + s)

    def new_label(self):
        self.label += 1
        return f".Lf{self.label}"

    def reload(self, chance):
        """Sometimes reloads a register with an interesting value."""
        if self.rng.random() < chance:
            self.emit(f"li {x(self.reg())}, {self.value():#x}")

    def rtype(self, ops):
        self.emit(f"{self.rng.choice(ops)} {x(self.reg())}, {x(self.reg())}, {x(self.reg())}")

    def itype(self, op, lo, hi):
        self.emit(f"{op} {x(self.reg())}, {x(self.reg())}, {self.rng.randint(lo, hi)}")

    def utype(self, ops):
        self.emit(f"{self.rng.choice(ops)} {x(self.reg())}, {x(self.reg())}")

    def addr(self, reg, size):
        """Sets reg to sp + an aligned scratch offset; returns nothing."""
        off = self.rng.randrange(LO, HI - size, size)
        self.emit(f"addi {x(reg)}, sp, {off}")

    # ---- groups -----------------------------------------------------------
    def g_alu(self):
        r = self.rng.random()
        if r < 0.5:
            self.rtype(["add", "sub", "slt", "sltu", "xor", "or", "and", "addw", "subw"])
        elif r < 0.9:
            op = self.rng.choice(["addi", "slti", "sltiu", "xori", "ori", "andi", "addiw"])
            self.itype(op, -2048, 2047)
        else:
            self.emit(f"{self.rng.choice(['lui', 'auipc'])} {x(self.reg())}, "
                      f"{self.rng.randrange(0, 1 << 20):#x}")

    def g_shift(self):
        r = self.rng.random()
        if r < 0.4:
            self.rtype(["sll", "srl", "sra", "sllw", "srlw", "sraw"])
        elif r < 0.7:
            self.itype(self.rng.choice(["slli", "srli", "srai"]), 0, 63)
        else:
            self.itype(self.rng.choice(["slliw", "srliw", "sraiw"]), 0, 31)

    def g_mul(self):
        self.rtype(["mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu",
                    "mulw", "divw", "divuw", "remw", "remuw"])

    def g_amo(self):
        base = self.reg()
        r = self.rng.random()
        if r < 0.7:
            size = self.rng.choice([4, 8])
            self.addr(base, size)
            op = self.rng.choice(["amoswap", "amoadd", "amoand", "amoor", "amoxor",
                                  "amomin", "amomax", "amominu", "amomaxu"])
            order = self.rng.choice(["", ".aq", ".rl", ".aqrl"])
            suffix = ".w" if size == 4 else ".d"
            self.emit(f"{op}{suffix}{order} {x(self.reg())}, {x(self.reg())}, ({x(base)})")
        else:
            size = self.rng.choice([4, 8])
            suffix = ".w" if size == 4 else ".d"
            self.addr(base, size)
            others = [r for r in REGS if r != base]
            self.emit(f"lr{suffix} {x(self.rng.choice(others))}, ({x(base)})")
            for _ in range(self.rng.randint(0, 2)):
                self.emit(f"add {x(self.rng.choice(others))}, {x(self.reg())}, {x(self.reg())}")
            self.emit(f"sc{suffix} {x(self.rng.choice(others))}, {x(self.reg())}, ({x(base)})")
            if self.rng.random() < 0.3:   # a second sc without a reservation fails
                self.emit(f"sc{suffix} {x(self.rng.choice(others))}, {x(self.reg())}, ({x(base)})")

    def g_rvc(self):
        rng = self.rng
        nz = [r for r in REGS]
        k = rng.randrange(14)
        c1, c2 = rng.choice(CREGS), rng.choice(CREGS)
        if k == 0:
            self.emit(f"c.li {x(rng.choice(nz))}, {rng.randint(-32, 31)}")
        elif k == 1:
            imm = rng.choice([rng.randint(1, 31), rng.randint(0xfffe0, 0xfffff)])
            self.emit(f"c.lui {x(rng.choice(nz))}, {imm:#x}")
        elif k == 2:
            self.emit(f"c.addi {x(rng.choice(nz))}, {rng.choice([i for i in range(-32, 32) if i])}")
        elif k == 3:
            self.emit(f"c.addiw {x(rng.choice(nz))}, {rng.randint(-32, 31)}")
        elif k == 4:
            self.emit(f"c.slli {x(rng.choice(nz))}, {rng.randint(1, 63)}")
        elif k == 5:
            self.emit(f"{rng.choice(['c.srli', 'c.srai'])} {x(c1)}, {rng.randint(1, 63)}")
        elif k == 6:
            self.emit(f"c.andi {x(c1)}, {rng.randint(-32, 31)}")
        elif k == 7:
            self.emit(f"{rng.choice(['c.mv', 'c.add'])} {x(rng.choice(nz))}, {x(rng.choice(nz))}")
        elif k == 8:
            op = rng.choice(["c.and", "c.or", "c.xor", "c.sub", "c.addw", "c.subw"])
            self.emit(f"{op} {x(c1)}, {x(c2)}")
        elif k == 9:
            size = rng.choice([4, 8])
            self.addr(c1, 256)
            off = rng.randrange(0, 128 if size == 4 else 256, size)
            op = rng.choice(["c.lw", "c.sw"] if size == 4 else ["c.ld", "c.sd"])
            data = rng.choice([r for r in CREGS if r != c1]) if op in ("c.lw", "c.ld") else c2
            self.emit(f"{op} {x(data)}, {off}({x(c1)})")
        elif k == 10:
            size = rng.choice([4, 8])
            off = rng.randrange(0, 256 if size == 4 else 512, size)
            op = rng.choice(["c.lwsp", "c.swsp"] if size == 4 else ["c.ldsp", "c.sdsp"])
            self.emit(f"{op} {x(rng.choice(nz))}, {off}(sp)")
        elif k == 11:
            self.emit(f"c.addi4spn {x(c1)}, sp, {rng.randrange(4, 1024, 4)}")
        elif k == 12:
            lab = self.new_label()
            self.emit(f"{rng.choice(['c.beqz', 'c.bnez'])} {x(c1)}, {lab}")
            for _ in range(rng.randint(1, 3)):
                self.emit(f"c.addi {x(rng.choice(nz))}, {rng.choice([1, -1, 7, -32])}")
            self.lines.append(f"{lab}:")
        else:
            lab = self.new_label()
            self.emit(f"c.j {lab}")
            self.emit(f"c.li {x(rng.choice(nz))}, 13")
            self.lines.append(f"{lab}:")
            self.emit("c.nop")

    def g_zba(self):
        if self.rng.random() < 0.8:
            self.rtype(["sh1add", "sh2add", "sh3add", "add.uw", "sh1add.uw",
                        "sh2add.uw", "sh3add.uw"])
        else:
            self.itype("slli.uw", 0, 63)

    def g_zbb(self):
        r = self.rng.random()
        if r < 0.45:
            self.rtype(["andn", "orn", "xnor", "max", "maxu", "min", "minu", "rol",
                        "rolw", "ror", "rorw"])
        elif r < 0.8:
            self.utype(["clz", "clzw", "ctz", "cpop", "cpopw", "sext.b",
                        "sext.h", "zext.h", "orc.b", "rev8"])
        elif r < 0.85:
            # QEMU 7.2 (the oracle) gets ctzw wrong when bits 31:0 are zero
            # but higher bits are not (it counts into the upper half), so the
            # operand is first given either a set bit 31 or a zero upper half.
            rd, rs = self.reg(), self.reg()
            prep = self.rng.choice(["bseti {}, {}, 31", "bseti {}, {}, 0", "slli.uw {}, {}, 0"])
            self.emit(prep.format(x(rd), x(rs)))
            self.emit(f"ctzw {x(self.reg())}, {x(rd)}")
        elif r < 0.93:
            self.itype("rori", 0, 63)
        else:
            self.itype("roriw", 0, 31)

    def g_zbs(self):
        if self.rng.random() < 0.5:
            self.rtype(["bclr", "bext", "binv", "bset"])
        else:
            self.itype(self.rng.choice(["bclri", "bexti", "binvi", "bseti"]), 0, 63)

    def g_mem(self):
        rng = self.rng
        op, size = rng.choice([("lb", 1), ("lbu", 1), ("lh", 2), ("lhu", 2), ("lw", 4),
                               ("lwu", 4), ("ld", 8), ("sb", 1), ("sh", 2), ("sw", 4),
                               ("sd", 8)])
        if rng.random() < 0.6:
            off = rng.randrange(LO, HI - size, size)
            self.emit(f"{op} {x(self.reg())}, {off}(sp)")
        else:
            base = self.reg()
            self.addr(base, 128)
            off = rng.randrange(0, 128, size)
            self.emit(f"{op} {x(self.reg())}, {off}({x(base)})")

    def g_fpmove(self):
        rng = self.rng
        f = lambda: f"f{rng.randrange(32)}"
        k = rng.randrange(9)
        if k == 0:
            self.emit(f"{rng.choice(['fmv.d.x', 'fmv.w.x'])} {f()}, {x(self.reg())}")
        elif k == 1:
            self.emit(f"{rng.choice(['fmv.x.d', 'fmv.x.w'])} {x(self.reg())}, {f()}")
        elif k in (2, 3):
            op = rng.choice(["fsgnj", "fsgnjn", "fsgnjx"]) + rng.choice([".s", ".d"])
            self.emit(f"{op} {f()}, {f()}, {f()}")
        elif k in (4, 5):
            op, size = rng.choice([("flw", 4), ("fld", 8), ("fsw", 4), ("fsd", 8)])
            off = rng.randrange(LO + 256, HI - size, size)   # past the f0..f31 dump
            self.emit(f"{op} {f()}, {off}(sp)")
        elif k == 6:
            c1 = rng.choice(CREGS)
            self.addr(c1, 512)
            op = rng.choice(["c.fld", "c.fsd"])
            self.emit(f"{op} f{rng.randrange(8, 16)}, {rng.randrange(0, 256, 8)}({x(c1)})")
        elif k == 7:
            op = rng.choice(["c.fldsp", "c.fsdsp"])
            self.emit(f"{op} {f()}, {rng.randrange(0, 512, 8)}(sp)")
        else:
            self.g_alu()

    def fregs(self, n):
        return ", ".join(f"f{self.rng.randrange(32)}" for _ in range(n))

    def g_fparith(self):
        self.reload_fp(0.3)
        self.fp_status()
        sfx = self.rng.choice([".s", ".d"])
        r = self.rng.random()
        if r < 0.7:
            op = self.rng.choice(["fadd", "fsub", "fmul", "fdiv"])
            self.emit(f"{op}{sfx} {self.fregs(3)}{self.rm()}")
        elif r < 0.85:
            self.emit(f"fsqrt{sfx} {self.fregs(2)}{self.rm()}")
        else:
            self.emit(f"{self.rng.choice(['fmin', 'fmax'])}{sfx} {self.fregs(3)}")

    def g_fpfma(self):
        self.reload_fp(0.3)
        self.fp_status()
        op = self.rng.choice(["fmadd", "fmsub", "fnmsub", "fnmadd"]) + self.rng.choice([".s", ".d"])
        self.emit(f"{op} {self.fregs(4)}{self.rm()}")

    def g_fpcvt(self):
        rng = self.rng
        self.reload_fp(0.3)
        self.reload(0.1)
        self.fp_status()
        f = lambda: f"f{rng.randrange(32)}"
        r = rng.random()
        if r < 0.45:
            op = f"fcvt.{rng.choice(['w', 'wu', 'l', 'lu'])}.{rng.choice(['s', 'd'])}"
            self.emit(f"{op} {x(self.reg())}, {f()}{self.rm()}")
        elif r < 0.85:
            op = f"fcvt.{rng.choice(['s', 'd'])}.{rng.choice(['w', 'wu', 'l', 'lu'])}"
            if op in ("fcvt.d.w", "fcvt.d.wu"):
                self.exact_cvt(op, rng.randrange(32), self.reg())
            else:
                self.emit(f"{op} {f()}, {x(self.reg())}{self.rm()}")
        elif r < 0.92:
            self.emit(f"fcvt.s.d {f()}, {f()}{self.rm()}")
        else:
            self.exact_cvt("fcvt.d.s", rng.randrange(32), rng.randrange(32))

    def exact_cvt(self, op, rd, rs1):
        """fcvt.d.s/d.w/d.wu: the assembler refuses an rm operand for these
        exact conversions, but the field still decodes (and a reserved
        dynamic mode traps), so a random rm is encoded by hand."""
        rm = self.rng.choice([None, 0, 1, 2, 3, 4, 7])
        if rm is None:
            self.emit(f"{op} f{rd}, {'f' if op == 'fcvt.d.s' else 'x'}{rs1}")
            return
        funct7, rs2 = {"fcvt.d.s": (0x21, 0), "fcvt.d.w": (0x69, 0), "fcvt.d.wu": (0x69, 1)}[op]
        word = funct7 << 25 | rs2 << 20 | rs1 << 15 | rm << 12 | rd << 7 | 0x53
        self.emit(f".4byte {word:#010x}   # {op} f{rd}, {rs1}, rm={rm}")

    def g_fpcmp(self):
        rng = self.rng
        self.reload_fp(0.3)
        self.fp_status()
        sfx = rng.choice([".s", ".d"])
        r = rng.random()
        if r < 0.6:
            op = rng.choice(["feq", "flt", "fle"])
            a = rng.randrange(32)
            b = a if rng.random() < 0.1 else rng.randrange(32)
            self.emit(f"{op}{sfx} {x(self.reg())}, f{a}, f{b}")
        elif r < 0.85:
            self.emit(f"fclass{sfx} {x(self.reg())}, f{rng.randrange(32)}")
        else:
            self.emit(f"{rng.choice(['fmin', 'fmax'])}{sfx} {self.fregs(3)}")

    def g_branch(self):
        rng = self.rng
        r = rng.random()
        lab = self.new_label()
        if r < 0.7:
            op = rng.choice(["beq", "bne", "blt", "bge", "bltu", "bgeu"])
            a = self.reg()
            b = a if rng.random() < 0.1 else self.reg()
            self.emit(f"{op} {x(a)}, {x(b)}, {lab}")
        elif r < 0.85:
            self.emit(f"jal {x(self.reg())}, {lab}")
        else:
            t = self.reg()
            self.emit(f"lla {x(t)}, {lab}")
            self.emit(f"jalr {x(self.reg())}, 0({x(t)})")
        for _ in range(rng.randint(1, 4)):
            self.g_alu()
        self.lines.append(f"{lab}:")


def generate(group, seed, limit=None):
    """Returns the assembly text; with limit, only the first limit lines of
    the random body are kept (labels they branch to are defined at the end)."""
    rng = random.Random(f"{group}:{seed}")
    g = Gen(rng)
    if group in FP_GROUPS and group != "fpmove":
        for r in range(32):
            g.emit(f"li x5, {g.fp_value():#x}")
            g.emit(f"fmv.d.x f{r}, x5")
        g.emit(f"fsrmi {rng.randrange(5)}")
    for r in REGS:
        g.emit(f"li {x(r)}, {g.value():#x}")
    if group == "fpmove":
        for r in range(32):
            g.emit(f"fmv.d.x f{r}, {x(g.reg())}")
    n_init = len(g.lines)
    step = getattr(g, "g_" + group)
    chance = 0.3 if group == "mul" else 0.12   # products collapse to 0 otherwise
    for _ in range(N_INSNS):
        g.reload(chance)
        step()
    scratch = bytes(rng.getrandbits(8) for _ in range(REGION - DUMP))
    body = g.lines
    if limit is not None:
        body = g.lines[:n_init + limit]
        defined = {line[:-1] for line in body if line.endswith(":")}
        body += [f"{line}" for line in g.lines[n_init + limit:]
                 if line.endswith(":") and line[:-1] not in defined]
    rvc = ".option rvc" if group in RVC_GROUPS else ".option norvc"
    out = [f"/* difftest group={group} seed={seed} (generated; do not edit) */",
           "    .globl _start", "    .text", f"    {rvc}", "_start:",
           f"    lla sp, region + {SP_OFF}"]
    out += body
    out.append("    .option norvc")
    if group in FP_GROUPS:
        for r in range(32):
            out.append(f"    fsd f{r}, {LO + 8 * r}(sp)")
        out.append("    frcsr x5")    # the accrued flags and frm end up in t0
    for r in range(1, 32):
        out.append(f"    sd x{r}, {-SP_OFF + 8 * r}(sp)")
    out += [f"    addi a1, sp, {-SP_OFF}", f"    li a2, {REGION}", "    li a0, 1",
            "    li a7, 64", "    ecall", "    li a0, 0", "    li a7, 93", "    ecall",
            "    .data", "    .balign 4096", "region:", f"    .zero {DUMP}"]
    for i in range(0, len(scratch), 16):
        out.append("    .byte " + ", ".join(str(b) for b in scratch[i:i + 16]))
    return "\n".join(out) + "\n"


def build(src_path, exe_path):
    cmd = ["riscv64-linux-gnu-gcc", "-nostdlib", "-static", f"-march={MARCH}",
           "-mabi=lp64", "-Wl,--no-relax", src_path, "-o", exe_path]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        raise RuntimeError(f"assembling {src_path} failed:\n{p.stdout.decode()}")


def run(cmd):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    except subprocess.TimeoutExpired:
        return None, -1, "timeout"
    return p.stdout, p.returncode, p.stderr.decode(errors="replace")


def compare(want, got):
    """Describes the first difference between two dumps, or returns None."""
    if got == want:
        return None
    if len(got) != REGION:
        return f"output is {len(got)} bytes, expected {REGION}"
    for r in range(1, 32):
        a = int.from_bytes(want[8 * r:8 * r + 8], "little")
        b = int.from_bytes(got[8 * r:8 * r + 8], "little")
        if a != b:
            return f"first differing register x{r} ({ABI[r]}): oracle={a:#018x} mimic={b:#018x}"
    for i in range(DUMP, REGION):
        if want[i] != got[i]:
            return (f"scratch differs at offset {i - DUMP} (sp{i - SP_OFF:+d}): "
                    f"oracle={want[i]:#04x} mimic={got[i]:#04x}")
    return "outputs differ"


def mimic_command(args, backend):
    return [args.mimic] + (["-accel", "tcg,backend=interp"] if backend == "interp" else [])


def differs(args, backend, base, text):
    """Builds text at base and returns the mismatch description, or None."""
    with open(base + ".S", "w") as f:
        f.write(text)
    build(base + ".S", base)
    want, rc, err = run([args.oracle, base])
    if rc != 0 or want is None:
        return f"oracle failed with status {rc}: {err.strip()[-300:]}"
    got, rc, err = run(mimic_command(args, backend) + [base])
    if got is None:
        return "timed out"
    if rc != 0:
        return f"exit status {rc}; stderr: {err.strip()[-500:]}"
    return compare(want, got)


def bisect(args, group, seed, backend, workdir):
    """Finds the shortest prefix of the random body that already mismatches
    and returns its last line: the first instruction that diverges."""
    base = os.path.join(workdir, f"{group}-{seed}-bisect")
    lo, hi = 0, len(generate(group, seed).splitlines())
    while lo < hi:
        mid = (lo + hi) // 2
        if differs(args, backend, base, generate(group, seed, mid)):
            hi = mid
        else:
            lo = mid + 1
    lines = generate(group, seed, lo).splitlines()
    for ext in (".S", ""):
        os.unlink(base + ext)
    body_end = [i for i, line in enumerate(lines) if line.startswith("    .option norvc")][-1]
    culprit = [line.strip() for line in lines[:body_end] if line.startswith("    ")]
    return culprit[-1] if culprit else "?"


def check_one(args, group, seed, workdir):
    base = os.path.join(workdir, f"{group}-{seed}")
    src = base + ".S"
    text = generate(group, seed)
    ok = True
    for backend in args.backends:
        problem = differs(args, backend, base, text)
        if problem:
            ok = False
            print(f"MISMATCH seed={seed} group={group} backend={backend}: {problem}")
            if args.bisect:
                print(f"  first diverging instruction: {bisect(args, group, seed, backend, workdir)}")
            print(f"  program: {src}")
            print(f"  replay:  tests/diff/difftest.py --seed {seed} --group {group} "
                  f"--mimic {args.mimic} --keep")
    return ok


def parse_seeds(spec):
    seeds = []
    for part in spec.split(","):
        if "-" in part:
            lo, hi = part.split("-", 1)
            seeds += range(int(lo), int(hi) + 1)
        else:
            seeds.append(int(part))
    return seeds


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mimic", default="build/mimic-riscv64")
    ap.add_argument("--oracle", default="qemu-riscv64")
    ap.add_argument("--group", action="append", choices=GROUPS,
                    help="instruction group (repeatable; default all)")
    ap.add_argument("--seed", type=int, help="one seed")
    ap.add_argument("--seeds", default="1-6", help="seed list, e.g. 1-20,99")
    ap.add_argument("--backends", default="jit,interp")
    ap.add_argument("--workdir", help="where programs are written (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep programs that matched too")
    ap.add_argument("--print", action="store_true", help="print the program and exit")
    ap.add_argument("--bisect", action="store_true",
                    help="on a mismatch, find the first diverging instruction")
    args = ap.parse_args()
    args.backends = [b for b in args.backends.split(",") if b]
    groups = args.group or GROUPS
    seeds = [args.seed] if args.seed is not None else parse_seeds(args.seeds)

    if args.print:
        for grp in groups:
            for s in seeds:
                sys.stdout.write(generate(grp, s))
        return 0
    for tool in ("riscv64-linux-gnu-gcc", args.oracle):
        if not shutil.which(tool):
            print(f"SKIP: {tool} not found (run scripts/setup.sh)")
            return 77
    if not (os.path.exists(args.mimic) or shutil.which(args.mimic)):
        print(f"error: mimic not found at {args.mimic}")
        return 1

    if args.workdir:
        os.makedirs(args.workdir, exist_ok=True)
        workdir = args.workdir
    else:
        workdir = tempfile.mkdtemp(prefix="mimic-diff-")
    failures = 0
    total = 0
    for grp in groups:
        for s in seeds:
            total += 1
            if check_one(args, grp, s, workdir):
                if not args.keep:
                    for ext in (".S", ""):
                        os.unlink(os.path.join(workdir, f"{grp}-{s}{ext}"))
            else:
                failures += 1
    if not args.workdir and failures == 0 and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"difftest: {total - failures}/{total} programs matched "
          f"(groups {','.join(groups)}; seeds {seeds[0]}..{seeds[-1]}; "
          f"backends {','.join(args.backends)})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
