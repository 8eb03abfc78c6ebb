/*
 * zb.c — every Zba, Zbb and Zbs instruction issued by inline asm on a grid of
 * edge values, printed in hex.
 *
 * The one thing to know: built with -march=rv64gc_zba_zbb_zbs; zb.expected
 * comes from the oracle (qemu-riscv64) with one hand correction: QEMU 7.2
 * returns 63 for ctzw of 0x8000000000000000, the ISA says 32 (bits 31:0 are
 * zero). Keep that correction when regenerating.
 */
#include <stdint.h>
#include <stdio.h>

static const uint64_t vals[] = {
    0, 1, 7, 0x3f, 0x40, 0x80, (uint64_t)-1, 0x8000000000000000ULL,
    0x7fffffffffffffffULL, 0x80000000ULL, 0xffffffff80000000ULL,
    0x00ff00000000ff01ULL, 0x123456789abcdef0ULL,
};
#define NVALS (sizeof(vals) / sizeof(vals[0]))

#define RTYPE(insn, name)                                                   \
    static uint64_t op_##name(uint64_t a, uint64_t b)                       \
    {                                                                       \
        uint64_t r;                                                         \
        __asm__ volatile(#insn " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));   \
        return r;                                                           \
    }
#define UTYPE(insn, name)                                                   \
    static uint64_t op_##name(uint64_t a)                                   \
    {                                                                       \
        uint64_t r;                                                         \
        __asm__ volatile(#insn " %0, %1" : "=r"(r) : "r"(a));               \
        return r;                                                           \
    }
#define ITYPE(insn, name, imm)                                              \
    static uint64_t op_##name(uint64_t a)                                   \
    {                                                                       \
        uint64_t r;                                                         \
        __asm__ volatile(#insn " %0, %1, " #imm : "=r"(r) : "r"(a));        \
        return r;                                                           \
    }

RTYPE(sh1add, sh1add) RTYPE(sh2add, sh2add) RTYPE(sh3add, sh3add)
RTYPE(add.uw, add_uw) RTYPE(sh1add.uw, sh1add_uw) RTYPE(sh2add.uw, sh2add_uw)
RTYPE(sh3add.uw, sh3add_uw)
RTYPE(andn, andn) RTYPE(orn, orn) RTYPE(xnor, xnor) RTYPE(max, max)
RTYPE(maxu, maxu) RTYPE(min, min) RTYPE(minu, minu) RTYPE(rol, rol)
RTYPE(rolw, rolw) RTYPE(ror, ror) RTYPE(rorw, rorw)
RTYPE(bclr, bclr) RTYPE(bext, bext) RTYPE(binv, binv) RTYPE(bset, bset)

UTYPE(clz, clz) UTYPE(clzw, clzw) UTYPE(ctz, ctz) UTYPE(ctzw, ctzw)
UTYPE(cpop, cpop) UTYPE(cpopw, cpopw) UTYPE(sext.b, sext_b)
UTYPE(sext.h, sext_h) UTYPE(zext.h, zext_h) UTYPE(orc.b, orc_b)
UTYPE(rev8, rev8)

ITYPE(slli.uw, slli_uw_0, 0) ITYPE(slli.uw, slli_uw_5, 5)
ITYPE(slli.uw, slli_uw_63, 63) ITYPE(rori, rori_1, 1) ITYPE(rori, rori_63, 63)
ITYPE(roriw, roriw_1, 1) ITYPE(roriw, roriw_31, 31) ITYPE(bclri, bclri_0, 0)
ITYPE(bclri, bclri_63, 63) ITYPE(bexti, bexti_31, 31) ITYPE(bexti, bexti_63, 63)
ITYPE(binvi, binvi_7, 7) ITYPE(binvi, binvi_40, 40) ITYPE(bseti, bseti_0, 0)
ITYPE(bseti, bseti_63, 63)

struct rop { const char *name; uint64_t (*fn)(uint64_t, uint64_t); };
struct uop { const char *name; uint64_t (*fn)(uint64_t); };
#define E(x) { #x, op_##x }

static const struct rop rops[] = {
    E(sh1add), E(sh2add), E(sh3add), E(add_uw), E(sh1add_uw), E(sh2add_uw),
    E(sh3add_uw), E(andn), E(orn), E(xnor), E(max), E(maxu), E(min), E(minu),
    E(rol), E(rolw), E(ror), E(rorw), E(bclr), E(bext), E(binv), E(bset),
};
static const struct uop uops[] = {
    E(clz), E(clzw), E(ctz), E(ctzw), E(cpop), E(cpopw), E(sext_b), E(sext_h),
    E(zext_h), E(orc_b), E(rev8), E(slli_uw_0), E(slli_uw_5), E(slli_uw_63),
    E(rori_1), E(rori_63), E(roriw_1), E(roriw_31), E(bclri_0), E(bclri_63),
    E(bexti_31), E(bexti_63), E(binvi_7), E(binvi_40), E(bseti_0), E(bseti_63),
};

int main(void)
{
    for (unsigned i = 0; i < sizeof(rops) / sizeof(rops[0]); i++) {
        for (unsigned a = 0; a < NVALS; a++) {
            printf("%-9s %016llx:", rops[i].name, (unsigned long long)vals[a]);
            for (unsigned b = 0; b < NVALS; b++)
                printf(" %llx", (unsigned long long)rops[i].fn(vals[a], vals[b]));
            printf("\n");
        }
    }
    for (unsigned i = 0; i < sizeof(uops) / sizeof(uops[0]); i++) {
        printf("%-10s", uops[i].name);
        for (unsigned a = 0; a < NVALS; a++)
            printf(" %llx", (unsigned long long)uops[i].fn(vals[a]));
        printf("\n");
    }
    return 0;
}
