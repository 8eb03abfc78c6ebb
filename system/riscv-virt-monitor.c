/*
 * riscv-virt-monitor.c — what the human monitor and QMP see of the virt
 * machine: a hart's registers, guest memory through a hart's translation
 * or physical, the address-space map, the page tables behind satp (info
 * tlb / info mem), and the virtio-blk drives with their counters.
 *
 * The one thing to know: called from the I/O thread with the machine lock
 * held, while the harts may be running; registers are as the hart last
 * stored them (exact when the machine is stopped), and memory is only ever
 * read from RAM or ROM (never a device: a monitor read must not pop a
 * UART's FIFO), with page-table walks that change nothing (no A/D updates)
 * and are bounded against hostile, looping tables.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "system/riscv-virt-internal.h"
#include "target/riscv64/mmu.h"

static const char *const xreg_names[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3",
    "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
    "t3", "t4", "t5", "t6",
};
static const char *const freg_names[32] = {
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1",
    "fa2", "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7",
    "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
};

void virt_monitor_dump_registers(void *opaque, unsigned cpu, MonBuf *out)
{
    VirtMachine *m = opaque;
    const RISCVCPU *c = m->harts[cpu];
    const RISCVPrivState *s = &c->priv;
    static const char priv_name[4] = { 'U', 'S', '?', 'M' };
    struct { const char *name; uint64_t v; } csrs[] = {
        { "pc", c->cs.pc }, { "mhartid", s->mhartid }, { "mstatus", s->mstatus },
        { "mip", riscv_priv_mip(s) }, { "mie", s->mie }, { "mideleg", s->mideleg },
        { "medeleg", s->medeleg }, { "mtvec", s->mtvec }, { "stvec", s->stvec },
        { "mepc", s->mepc }, { "sepc", s->sepc }, { "mcause", s->mcause },
        { "scause", s->scause }, { "mtval", s->mtval }, { "stval", s->stval },
        { "mscratch", s->mscratch }, { "sscratch", s->sscratch }, { "satp", s->satp },
        { "menvcfg", s->menvcfg }, { "stimecmp", s->stimecmp },
    };
    monbuf_printf(out, " priv     %c\n", priv_name[s->priv & 3]);
    for (size_t i = 0; i < sizeof(csrs) / sizeof(csrs[0]); i++) {
        monbuf_printf(out, " %-8s %016llx\n", csrs[i].name, (unsigned long long)csrs[i].v);
    }
    for (unsigned i = 0; i < 32; i++) {
        char name[16];
        snprintf(name, sizeof(name), "x%u/%s", i, xreg_names[i]);
        monbuf_printf(out, " %-8s %016llx%s", name, (unsigned long long)(i ? c->x[i] : 0),
                      i % 4 == 3 ? "\n" : "");
    }
    for (unsigned i = 0; i < 32; i++) {
        char name[16];
        snprintf(name, sizeof(name), "f%u/%s", i, freg_names[i]);
        monbuf_printf(out, " %-8s %016llx%s", name, (unsigned long long)c->f[i],
                      i % 4 == 3 ? "\n" : "");
    }
    monbuf_printf(out, " fflags   %02x  frm %u\n", c->fflags, c->frm);
}

bool virt_monitor_register_value(void *opaque, unsigned cpu, const char *name, uint64_t *v)
{
    VirtMachine *m = opaque;
    const RISCVCPU *c = m->harts[cpu];
    if (!strcmp(name, "pc")) {
        *v = c->cs.pc;
        return true;
    }
    for (unsigned i = 0; i < 32; i++) {
        char xn[8];
        snprintf(xn, sizeof(xn), "x%u", i);
        if (!strcmp(name, xreg_names[i]) || !strcmp(name, xn) ||
            (i == 8 && !strcmp(name, "fp"))) {
            *v = i ? c->x[i] : 0;
            return true;
        }
    }
    const RISCVPrivState *s = &c->priv;
    struct { const char *n; uint64_t v; } csrs[] = {
        { "satp", s->satp }, { "mepc", s->mepc }, { "sepc", s->sepc },
        { "mtvec", s->mtvec }, { "stvec", s->stvec }, { "mstatus", s->mstatus },
    };
    for (size_t i = 0; i < sizeof(csrs) / sizeof(csrs[0]); i++) {
        if (!strcmp(name, csrs[i].n)) {
            *v = csrs[i].v;
            return true;
        }
    }
    return false;
}

/* ---- guest memory, RAM and ROM only ---- */

static bool debug_read_pte(void *opaque, uint64_t pa, uint64_t *pte)
{
    VirtMachine *m = opaque;
    const uint64_t *p = (pa & 7) ? NULL : address_space_map(&m->as, pa, 8);
    if (!p) {
        return false;
    }
    *pte = __atomic_load_n(p, __ATOMIC_RELAXED);
    return true;
}

/* A monitor walk changes nothing: A/D updates are pretended. */
static bool debug_update_pte(void *opaque, uint64_t pa, uint64_t old_pte, uint64_t new_pte,
                             bool *written)
{
    *written = true;
    return true;
}

/* The physical address of va under hart cpu's current satp, for the
 * monitor: as an S-mode load with SUM and MXR set, so user, kernel and
 * execute-only pages all read (the hart may be in U mode); physical in M
 * mode or with satp Bare. */
bool virt_debug_translate(VirtMachine *m, unsigned cpu, uint64_t va, uint64_t *pa)
{
    const RISCVPrivState *s = &m->harts[cpu]->priv;
    unsigned mode = (unsigned)(s->satp >> 60);
    if (s->priv == PRV_M || mode == RISCV_SATP_BARE) {
        *pa = va;
        return true;
    }
    RISCVTranslateRequest req = {
        .satp = s->satp, .va = va, .access = RISCV_ACCESS_LOAD,
        .user = false, .sum = true, .mxr = true,
    };
    RISCVPageTableMemory mem = { m, debug_read_pte, debug_update_pte };
    RISCVTranslation t;
    if (riscv_translate(&req, &mem, &t)) {
        return false;
    }
    *pa = t.pa;
    return true;
}

int virt_monitor_read_memory(void *opaque, unsigned cpu, bool virt, uint64_t addr, void *buf,
                             size_t len, uint64_t *fault_addr)
{
    VirtMachine *m = opaque;
    uint8_t *dst = buf;
    while (len > 0) {
        size_t chunk = 4096 - (size_t)(addr & 4095);
        if (chunk > len) {
            chunk = len;
        }
        uint64_t pa = addr;
        const uint8_t *src = NULL;
        if (!virt || virt_debug_translate(m, cpu, addr, &pa)) {
            src = address_space_map(&m->as, pa, chunk);
        }
        if (!src) {
            *fault_addr = addr;
            return -1;
        }
        memcpy(dst, src, chunk);
        dst += chunk;
        addr += chunk;
        len -= chunk;
    }
    return 0;
}

void virt_monitor_dump_mtree(void *opaque, MonBuf *out)
{
    VirtMachine *m = opaque;
    monbuf_printf(out, "address-space: memory\n"
                       "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n");
    for (int i = 0; i < m->as.nb_regions; i++) {
        const MemoryRegion *r = &m->as.regions[i];
        monbuf_printf(out, "    %016llx-%016llx (prio 0, %s): %s\n",
                      (unsigned long long)r->base, (unsigned long long)(r->base + r->size - 1),
                      !r->ram ? "i/o" : r->readonly ? "rom" : "ram", r->name);
    }
}

/* ---- page tables: info tlb (every leaf) and info mem (merged ranges) ---- */

#define WALK_MAX_READS (4u << 20)  /* hostile tables that point at themselves */
#define WALK_MAX_LINES 65536

typedef struct Walk {
    VirtMachine *m;
    MonBuf *out;
    bool merge;
    unsigned va_bits;
    uint64_t reads, lines;
    bool cut;
    /* info mem: the range being merged */
    bool have;
    uint64_t va, pa, size;
    unsigned attr;
} Walk;

static void walk_print(Walk *w, uint64_t va, uint64_t pa, uint64_t size, unsigned attr)
{
    if (w->lines++ >= WALK_MAX_LINES) {
        w->cut = true;
        return;
    }
    monbuf_printf(w->out, "%016llx %016llx %016llx %c%c%c%c%c%c%c\n", (unsigned long long)va,
                  (unsigned long long)pa, (unsigned long long)size,
                  attr & RISCV_PTE_R ? 'r' : '-', attr & RISCV_PTE_W ? 'w' : '-', attr & RISCV_PTE_X ? 'x' : '-',
                  attr & RISCV_PTE_U ? 'u' : '-', attr & RISCV_PTE_G ? 'g' : '-', attr & RISCV_PTE_A ? 'a' : '-',
                  attr & RISCV_PTE_D ? 'd' : '-');
}

static void walk_leaf(Walk *w, uint64_t va, uint64_t pa, uint64_t size, unsigned attr)
{
    if (!w->merge) {
        walk_print(w, va, pa, size, attr);
        return;
    }
    if (w->have && w->va + w->size == va && w->pa + w->size == pa && w->attr == attr) {
        w->size += size;
        return;
    }
    if (w->have) {
        walk_print(w, w->va, w->pa, w->size, w->attr);
    }
    w->have = true;
    w->va = va, w->pa = pa, w->size = size, w->attr = attr;
}

static void walk_table(Walk *w, uint64_t table, int level, uint64_t va_prefix)
{
    unsigned shift = 12 + 9 * (unsigned)level;
    for (uint64_t i = 0; i < 512 && !w->cut; i++) {
        if (w->reads++ >= WALK_MAX_READS) {
            w->cut = true;
            return;
        }
        uint64_t pte;
        if (!debug_read_pte(w->m, table + i * 8, &pte) || !(pte & RISCV_PTE_V)) {
            continue;
        }
        uint64_t va = va_prefix | (i << shift);
        uint64_t ppn = (pte >> 10) & ((1ull << 44) - 1);
        if (pte & (RISCV_PTE_R | RISCV_PTE_X)) {
            /* sign-extend from the top virtual-address bit */
            unsigned top = w->va_bits - 1;
            if ((va >> top) & 1) {
                va |= ~((1ull << w->va_bits) - 1);
            }
            walk_leaf(w, va, ppn << 12, 1ull << shift, (unsigned)pte & 0xfe);
        } else if (level > 0) {
            walk_table(w, ppn << 12, level - 1, va_prefix | (i << shift));
        }
    }
}

static void dump_page_tables(VirtMachine *m, unsigned cpu, MonBuf *out, bool merge)
{
    uint64_t satp = m->harts[cpu]->priv.satp;
    unsigned mode = (unsigned)(satp >> 60), levels;
    switch (mode) {
    case RISCV_SATP_SV39: levels = 3; break;
    case RISCV_SATP_SV48: levels = 4; break;
    case RISCV_SATP_SV57: levels = 5; break;
    default:
        monbuf_printf(out, "No translation or protection\n");
        return;
    }
    Walk w = { .m = m, .out = out, .merge = merge, .va_bits = 12 + 9 * levels };
    monbuf_printf(out, "vaddr            paddr            size             attr\n"
                       "---------------- ---------------- ---------------- -------\n");
    walk_table(&w, (satp & ((1ull << 44) - 1)) << 12, (int)levels - 1, 0);
    if (w.have && !w.cut) {
        walk_print(&w, w.va, w.pa, w.size, w.attr);
    }
    if (w.cut) {
        monbuf_printf(out, "(stopped: more than %u page-table entries or %u lines)\n",
                      WALK_MAX_READS, WALK_MAX_LINES);
    }
}

void virt_monitor_dump_tlb(void *opaque, unsigned cpu, MonBuf *out)
{
    dump_page_tables(opaque, cpu, out, false);
}

void virt_monitor_dump_mem(void *opaque, unsigned cpu, MonBuf *out)
{
    dump_page_tables(opaque, cpu, out, true);
}

/* ---- drives ---- */

unsigned virt_monitor_block_count(void *opaque)
{
    VirtMachine *m = opaque;
    unsigned n = 0;
    for (unsigned i = 0; i < m->cfg.nb_devices; i++) {
        n += m->cfg.devices[i].kind == VIRT_DEV_BLK;
    }
    return n;
}

void virt_monitor_block_info(void *opaque, unsigned index, MonBlockInfo *out)
{
    VirtMachine *m = opaque;
    unsigned n = 0, i;
    for (i = 0; i < m->cfg.nb_devices; i++) {
        if (m->cfg.devices[i].kind == VIRT_DEV_BLK && n++ == index) {
            break;
        }
    }
    memset(out, 0, sizeof(*out));
    if (i == m->cfg.nb_devices) {
        return;
    }
    const VirtDrive *d = &m->cfg.devices[i].drive;
    BlockDriverState *bs = m->bs[i];
    if (d->id && d->id[0]) {
        snprintf(out->device, sizeof(out->device), "%s", d->id);
    } else {
        snprintf(out->device, sizeof(out->device), "virtio%u", index);
    }
    snprintf(out->node_name, sizeof(out->node_name), "#block%03u", index);
    snprintf(out->qdev, sizeof(out->qdev), "/machine/peripheral-anon/device[%u]", i);
    out->file = bs->filename;
    out->format = bs->drv->format_name;
    out->read_only = m->blk[i].read_only;
    out->virtual_size = bs->total_size;
    out->backing_file = bs->backing_file;
    struct stat st;
    out->actual_size = fstat(bs->fd, &st) == 0 ? (int64_t)st.st_blocks * 512 : -1;
    const VirtIOBlockStats *s = &m->blk[i].stats;
    out->stats = (MonBlockStats){
        .rd_bytes = s->rd_bytes, .wr_bytes = s->wr_bytes, .unmap_bytes = s->unmap_bytes,
        .rd_ops = s->rd_ops, .wr_ops = s->wr_ops, .flush_ops = s->flush_ops,
        .unmap_ops = s->unmap_ops, .failed_rd_ops = s->failed_rd,
        .failed_wr_ops = s->failed_wr, .failed_flush_ops = s->failed_flush,
        .failed_unmap_ops = s->failed_unmap, .invalid_rd_ops = s->invalid_rd,
        .invalid_wr_ops = s->invalid_wr, .invalid_flush_ops = s->invalid_flush,
        .invalid_unmap_ops = s->invalid_unmap, .rd_total_ns = s->rd_ns,
        .wr_total_ns = s->wr_ns, .flush_total_ns = s->flush_ns, .unmap_total_ns = s->unmap_ns,
        .wr_highest_offset = s->wr_highest_offset, .last_access_ns = s->last_ns,
    };
}
