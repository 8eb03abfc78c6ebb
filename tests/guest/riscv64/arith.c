/*
 * arith.c — every RV64IM register/immediate arithmetic instruction on a grid
 * of edge values (0, ±1, INT64_MIN, INT32 limits...), printed in hex.
 *
 * The one thing to know: each instruction is issued with inline asm so the
 * compiler cannot fold or reorder it; division by zero and INT_MIN/-1 are
 * defined by the ISA (no trap) and are part of the expected output.
 */
#include <stdint.h>
#include <stdio.h>

static const uint64_t vals[] = {
    0, 1, 2, 7, (uint64_t)-1, (uint64_t)-2, 0x7fffffffffffffffULL,
    0x8000000000000000ULL, 0x7fffffffULL, 0x80000000ULL, 0xffffffff80000000ULL,
    0xffffffffULL, 0x123456789abcdef0ULL, 0x3fULL, 0x40ULL, 0x1fULL,
};
#define NVALS (sizeof(vals) / sizeof(vals[0]))

#define RTYPE(insn)                                                         \
    static uint64_t op_##insn(uint64_t a, uint64_t b)                       \
    {                                                                       \
        uint64_t r;                                                         \
        __asm__ volatile(#insn " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));   \
        return r;                                                           \
    }
#define ITYPE(name, insn, imm)                                              \
    static uint64_t op_##name(uint64_t a)                                   \
    {                                                                       \
        uint64_t r;                                                         \
        __asm__ volatile(#insn " %0, %1, " #imm : "=r"(r) : "r"(a));        \
        return r;                                                           \
    }

RTYPE(add) RTYPE(sub) RTYPE(sll) RTYPE(slt) RTYPE(sltu) RTYPE(xor)
RTYPE(srl) RTYPE(sra) RTYPE(or) RTYPE(and)
RTYPE(addw) RTYPE(subw) RTYPE(sllw) RTYPE(srlw) RTYPE(sraw)
RTYPE(mul) RTYPE(mulh) RTYPE(mulhsu) RTYPE(mulhu) RTYPE(div) RTYPE(divu)
RTYPE(rem) RTYPE(remu) RTYPE(mulw) RTYPE(divw) RTYPE(divuw) RTYPE(remw)
RTYPE(remuw)

ITYPE(addi_m1, addi, -1) ITYPE(addi_max, addi, 2047) ITYPE(addi_min, addi, -2048)
ITYPE(slti_0, slti, 0) ITYPE(slti_m1, slti, -1) ITYPE(sltiu_m1, sltiu, -1)
ITYPE(sltiu_1, sltiu, 1) ITYPE(xori_m1, xori, -1) ITYPE(ori_55, ori, 0x555)
ITYPE(andi_m16, andi, -16) ITYPE(slli_63, slli, 63) ITYPE(srli_1, srli, 1)
ITYPE(srai_63, srai, 63) ITYPE(srai_7, srai, 7) ITYPE(addiw_1, addiw, 1)
ITYPE(addiw_m1, addiw, -1) ITYPE(slliw_31, slliw, 31) ITYPE(srliw_0, srliw, 0)
ITYPE(srliw_5, srliw, 5) ITYPE(sraiw_31, sraiw, 31) ITYPE(sraiw_0, sraiw, 0)

struct rop { const char *name; uint64_t (*fn)(uint64_t, uint64_t); };
struct iop { const char *name; uint64_t (*fn)(uint64_t); };

#define R(x) { #x, op_##x }
static const struct rop rops[] = {
    R(add), R(sub), R(sll), R(slt), R(sltu), R(xor), R(srl), R(sra), R(or),
    R(and), R(addw), R(subw), R(sllw), R(srlw), R(sraw), R(mul), R(mulh),
    R(mulhsu), R(mulhu), R(div), R(divu), R(rem), R(remu), R(mulw), R(divw),
    R(divuw), R(remw), R(remuw),
};
static const struct iop iops[] = {
    R(addi_m1), R(addi_max), R(addi_min), R(slti_0), R(slti_m1), R(sltiu_m1),
    R(sltiu_1), R(xori_m1), R(ori_55), R(andi_m16), R(slli_63), R(srli_1),
    R(srai_63), R(srai_7), R(addiw_1), R(addiw_m1), R(slliw_31), R(srliw_0),
    R(srliw_5), R(sraiw_31), R(sraiw_0),
};

static uint64_t lui_auipc(void)
{
    uint64_t a, b, c;
    __asm__ volatile("lui %0, 0x80000\n\tlui %1, 0x7ffff\n\t"
                     "1: auipc %2, 0\n\tla t0, 1b\n\tsub %2, %2, t0"
                     : "=r"(a), "=r"(b), "=r"(c) : : "t0");
    return a ^ (b << 1) ^ c;
}

int main(void)
{
    for (unsigned i = 0; i < sizeof(rops) / sizeof(rops[0]); i++) {
        for (unsigned a = 0; a < NVALS; a++) {
            printf("%-7s %016llx:", rops[i].name, (unsigned long long)vals[a]);
            for (unsigned b = 0; b < NVALS; b++)
                printf(" %llx", (unsigned long long)rops[i].fn(vals[a], vals[b]));
            printf("\n");
        }
    }
    for (unsigned i = 0; i < sizeof(iops) / sizeof(iops[0]); i++) {
        printf("%-9s", iops[i].name);
        for (unsigned a = 0; a < NVALS; a++)
            printf(" %llx", (unsigned long long)iops[i].fn(vals[a]));
        printf("\n");
    }
    printf("lui/auipc %llx\n", (unsigned long long)lui_auipc());
    return 0;
}
