/*
 * pmp.c — physical memory protection checks (RISC-V privileged spec,
 * "Physical Memory Protection"): 16 entries in priority order, address
 * matching OFF / TOR / NA4 / NAPOT, the lock bit, and the default for
 * accesses no entry matches.
 *
 * The one thing to know: an entry matches only if it covers every byte of
 * the access; covering some bytes but not all is a failure whatever the
 * permissions (the spec's "partially matches" rule). M-mode is checked only
 * against locked entries; S and U fail when no entry matches.
 */
#include "target/riscv64/priv.h"

enum { PMP_R = RISCV_PMP_R, PMP_W = RISCV_PMP_W, PMP_X = RISCV_PMP_X, PMP_A_SHIFT = 3, PMP_L = 0x80 };
enum { PMP_OFF = 0, PMP_TOR = 1, PMP_NA4 = 2, PMP_NAPOT = 3 };

/* [*lo, *hi] (inclusive) covered by entry i; false if it covers nothing. */
static bool pmp_range(const RISCVPrivState *s, unsigned i, uint64_t *lo, uint64_t *hi)
{
    uint64_t addr = s->pmpaddr[i];
    switch ((s->pmpcfg[i] >> PMP_A_SHIFT) & 3) {
    case PMP_TOR: {
        uint64_t start = i ? s->pmpaddr[i - 1] << 2 : 0;
        uint64_t end = addr << 2;
        if (start >= end) {
            return false;
        }
        *lo = start;
        *hi = end - 1;
        return true;
    }
    case PMP_NA4:
        *lo = addr << 2;
        *hi = *lo + 3;
        return true;
    case PMP_NAPOT: {
        /* Trailing ones of pmpaddr give the size: 2^(ones + 3) bytes. */
        unsigned ones = (unsigned)__builtin_ctzll(~addr);
        if (ones >= 54) {
            *lo = 0;
            *hi = UINT64_MAX;
            return true;
        }
        uint64_t size = 1ull << (ones + 3);
        *lo = (addr << 2) & ~(size - 1);
        *hi = *lo + size - 1;
        return true;
    }
    default:
        return false;
    }
}

unsigned riscv_pmp_perms(const RISCVPrivState *s, uint64_t addr, uint64_t size, unsigned priv)
{
    uint64_t last = addr + (size ? size - 1 : 0);
    if (last < addr) {
        return 0; /* wraps */
    }
    for (unsigned i = 0; i < RISCV_PMP_ENTRIES; i++) {
        uint64_t lo, hi;
        if (!pmp_range(s, i, &lo, &hi) || last < lo || addr > hi) {
            continue; /* no byte of the access in this entry */
        }
        if (addr < lo || last > hi) {
            return 0; /* some bytes only */
        }
        uint8_t cfg = s->pmpcfg[i];
        if (priv == PRV_M && !(cfg & PMP_L)) {
            return PMP_R | PMP_W | PMP_X;
        }
        return cfg & (PMP_R | PMP_W | PMP_X);
    }
    return priv == PRV_M ? PMP_R | PMP_W | PMP_X : 0;
}

bool riscv_pmp_check(const RISCVPrivState *s, uint64_t addr, uint64_t size, RISCVAccess access,
                     unsigned priv)
{
    unsigned need = access == RISCV_ACCESS_FETCH ? PMP_X
                    : access == RISCV_ACCESS_LOAD ? PMP_R
                                                  : PMP_W;
    return (riscv_pmp_perms(s, addr, size, priv) & need) != 0;
}
