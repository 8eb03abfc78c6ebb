/*
 * mmu.c — the Sv39/Sv48/Sv57 page-table walk (RISC-V privileged spec,
 * "Virtual-Address Translation Process").
 *
 * The one thing to know: permissions are decided on the leaf for the
 * access being made, and the A/D bits are set (with a compare-and-swap, so
 * a concurrent update by another hart or by the guest restarts the walk)
 * only when the access is allowed. The permissions returned for the TLB
 * leave out writing while D is clear, so the first store to a clean page
 * comes back here to set D.
 */
#include "target/riscv64/mmu.h"

#define PTE_PPN_SHIFT 10
#define PTE_PPN_BITS 44
/* Bits 54..63: reserved, PBMT and N (Svpbmt and Svnapot are not
 * implemented, so all must be zero). */
#define PTE_HIGH_MASK (~0ull << 54)
#define SATP_PPN_MASK ((1ull << 44) - 1)
#define PAGE_SHIFT 12
#define VPN_BITS 9
#define MAX_RESTARTS 64

static int page_fault(RISCVAccess access)
{
    switch (access) {
    case RISCV_ACCESS_FETCH:
        return RISCV_EXCP_INST_PAGE_FAULT;
    case RISCV_ACCESS_LOAD:
        return RISCV_EXCP_LOAD_PAGE_FAULT;
    default:
        return RISCV_EXCP_STORE_PAGE_FAULT;
    }
}

static int access_fault(RISCVAccess access)
{
    switch (access) {
    case RISCV_ACCESS_FETCH:
        return RISCV_EXCP_INST_ACCESS_FAULT;
    case RISCV_ACCESS_LOAD:
        return RISCV_EXCP_LOAD_ACCESS_FAULT;
    default:
        return RISCV_EXCP_STORE_ACCESS_FAULT;
    }
}

/* What the effective privilege may do with a leaf (D not considered). */
static int leaf_prot(uint64_t pte, const RISCVTranslateRequest *req)
{
    int prot = 0;
    if ((pte & RISCV_PTE_R) || ((pte & RISCV_PTE_X) && req->mxr)) {
        prot |= RISCV_PROT_READ;
    }
    if (pte & RISCV_PTE_W) {
        prot |= RISCV_PROT_WRITE;
    }
    if (pte & RISCV_PTE_X) {
        prot |= RISCV_PROT_EXEC;
    }
    if (req->user) {
        return (pte & RISCV_PTE_U) ? prot : 0;
    }
    if (pte & RISCV_PTE_U) {
        /* S never executes U pages; it reads and writes them only with SUM. */
        return req->sum ? prot & ~RISCV_PROT_EXEC : 0;
    }
    return prot;
}

static int access_prot(RISCVAccess access)
{
    switch (access) {
    case RISCV_ACCESS_FETCH:
        return RISCV_PROT_EXEC;
    case RISCV_ACCESS_LOAD:
        return RISCV_PROT_READ;
    default:
        return RISCV_PROT_WRITE;
    }
}

int riscv_translate(const RISCVTranslateRequest *req, const RISCVPageTableMemory *mem,
                    RISCVTranslation *out)
{
    unsigned mode = (unsigned)(req->satp >> 60);
    int levels;
    switch (mode) {
    case RISCV_SATP_BARE:
        out->pa = req->va;
        out->page_mask = ~((1ull << PAGE_SHIFT) - 1);
        out->prot = RISCV_PROT_READ | RISCV_PROT_WRITE | RISCV_PROT_EXEC;
        return 0;
    case RISCV_SATP_SV39:
        levels = 3;
        break;
    case RISCV_SATP_SV48:
        levels = 4;
        break;
    case RISCV_SATP_SV57:
        levels = 5;
        break;
    default:
        return page_fault(req->access);
    }
    /* The address must be the sign extension of its low va_bits. */
    unsigned va_bits = PAGE_SHIFT + VPN_BITS * (unsigned)levels;
    int64_t high = (int64_t)req->va >> (va_bits - 1);
    if (high != 0 && high != -1) {
        return page_fault(req->access);
    }

    for (int restart = 0; restart < MAX_RESTARTS; restart++) {
        uint64_t table = (req->satp & SATP_PPN_MASK) << PAGE_SHIFT;
        uint64_t pte = 0, pte_addr = 0;
        int level;
        for (level = levels - 1;; level--) {
            unsigned shift = PAGE_SHIFT + VPN_BITS * (unsigned)level;
            uint64_t vpn = (req->va >> shift) & ((1u << VPN_BITS) - 1);
            pte_addr = table + vpn * 8;
            if (!mem->read_pte(mem->opaque, pte_addr, &pte)) {
                return access_fault(req->access);
            }
            if (!(pte & RISCV_PTE_V) || ((pte & RISCV_PTE_W) && !(pte & RISCV_PTE_R)) || (pte & PTE_HIGH_MASK)) {
                return page_fault(req->access);
            }
            if (pte & (RISCV_PTE_R | RISCV_PTE_X)) {
                break; /* a leaf */
            }
            if (level == 0) {
                return page_fault(req->access);
            }
            table = ((pte >> PTE_PPN_SHIFT) & ((1ull << PTE_PPN_BITS) - 1)) << PAGE_SHIFT;
        }

        uint64_t ppn = (pte >> PTE_PPN_SHIFT) & ((1ull << PTE_PPN_BITS) - 1);
        uint64_t low_pages = (1ull << (VPN_BITS * (unsigned)level)) - 1;
        if (ppn & low_pages) {
            return page_fault(req->access); /* misaligned superpage */
        }
        int prot = leaf_prot(pte, req);
        int need = access_prot(req->access);
        if (!(prot & need)) {
            return page_fault(req->access);
        }
        bool store = req->access == RISCV_ACCESS_STORE;
        uint64_t want = pte | RISCV_PTE_A | (store ? RISCV_PTE_D : 0);
        if (want != pte) {
            bool written;
            if (!mem->update_pte(mem->opaque, pte_addr, pte, want, &written)) {
                return access_fault(req->access);
            }
            if (!written) {
                continue; /* the entry changed under us: walk again */
            }
            pte = want;
        }
        if (!(pte & RISCV_PTE_D)) {
            prot &= ~RISCV_PROT_WRITE;
        }
        uint64_t page_size = 1ull << (PAGE_SHIFT + VPN_BITS * (unsigned)level);
        out->page_mask = ~(page_size - 1);
        out->pa = (ppn << PAGE_SHIFT) | (req->va & (page_size - 1));
        out->prot = prot;
        return 0;
    }
    return page_fault(req->access);
}
