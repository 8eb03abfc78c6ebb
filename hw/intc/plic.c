/*
 * plic.c — PLIC gateways, claim/complete and the per-context interrupt
 * outputs.
 *
 * The one thing to know: a context's output is high while some source is
 * pending, not in service, enabled for it, and of priority above its
 * threshold; the claim register returns the highest such priority (the
 * lowest id on ties), and every register access recomputes the outputs.
 */
#include <string.h>

#include "hw/intc/plic.h"
#include "migration/vmstate.h"

#define PRIORITY_BASE 0x000000
#define PENDING_BASE 0x001000
#define ENABLE_BASE 0x002000
#define ENABLE_STRIDE 0x80
#define CONTEXT_BASE 0x200000
#define CONTEXT_STRIDE 0x1000
#define WORDS (PLIC_NUM_SOURCES / 32)

static bool bit(const uint32_t *words, unsigned n)
{
    return (words[n / 32] >> (n % 32)) & 1;
}

static void set_bit(uint32_t *words, unsigned n, bool v)
{
    if (v) {
        words[n / 32] |= 1u << (n % 32);
    } else {
        words[n / 32] &= ~(1u << (n % 32));
    }
}

/* Best source for context ctx, or 0. */
static unsigned plic_best(const PLIC *p, unsigned ctx)
{
    unsigned best = 0;
    uint32_t best_prio = p->threshold[ctx];
    for (unsigned w = 0; w < PLIC_NUM_SOURCES / 32; w++) {
        uint32_t candidates = p->pending[w] & ~p->claimed[w] & p->enable[ctx][w];
        if (w == 0) {
            candidates &= ~1u; /* source 0 does not exist */
        }
        while (candidates) {
            unsigned n = w * 32 + (unsigned)__builtin_ctz(candidates);
            candidates &= candidates - 1;
            if (p->priority[n] > best_prio) { /* ties: the lowest number wins */
                best = n;
                best_prio = p->priority[n];
            }
        }
    }
    return best;
}

void plic_update(PLIC *p)
{
    for (unsigned ctx = 0; ctx < p->nb_contexts; ctx++) {
        irq_set(&p->context_irq[ctx], plic_best(p, ctx) != 0);
    }
}

void plic_init(PLIC *p, unsigned nb_contexts)
{
    memset(p, 0, sizeof(*p));
    p->nb_contexts = nb_contexts > PLIC_MAX_CONTEXTS ? PLIC_MAX_CONTEXTS : nb_contexts;
}

void plic_set_source(void *opaque, int n, int level)
{
    PLIC *p = opaque;
    if (n <= 0 || n >= PLIC_NUM_SOURCES) {
        return;
    }
    bool was = bit(p->level, (unsigned)n);
    if (was == (level != 0) &&
        (!level || bit(p->pending, (unsigned)n) || bit(p->claimed, (unsigned)n))) {
        return; /* a repeat that changes nothing (devices re-assert freely) */
    }
    set_bit(p->level, (unsigned)n, level);
    if (level && !bit(p->claimed, (unsigned)n)) {
        set_bit(p->pending, (unsigned)n, true);
    }
    plic_update(p);
}

static uint64_t plic_read(void *opaque, uint64_t offset, unsigned size)
{
    PLIC *p = opaque;
    if (size != 4 || (offset & 3)) {
        return 0;
    }
    if (offset < PENDING_BASE) {
        uint64_t n = offset / 4;
        return n < PLIC_NUM_SOURCES ? p->priority[n] : 0;
    }
    if (offset < ENABLE_BASE) {
        uint64_t w = (offset - PENDING_BASE) / 4;
        return w < WORDS ? p->pending[w] : 0;
    }
    if (offset < CONTEXT_BASE) {
        uint64_t ctx = (offset - ENABLE_BASE) / ENABLE_STRIDE;
        uint64_t w = (offset - ENABLE_BASE) % ENABLE_STRIDE / 4;
        return ctx < p->nb_contexts && w < WORDS ? p->enable[ctx][w] : 0;
    }
    uint64_t ctx = (offset - CONTEXT_BASE) / CONTEXT_STRIDE;
    uint64_t reg = (offset - CONTEXT_BASE) % CONTEXT_STRIDE;
    if (ctx >= p->nb_contexts) {
        return 0;
    }
    if (reg == 0) {
        return p->threshold[ctx];
    }
    if (reg == 4) { /* claim */
        unsigned n = plic_best(p, (unsigned)ctx);
        if (n) {
            set_bit(p->pending, n, false);
            set_bit(p->claimed, n, true);
            plic_update(p);
        }
        return n;
    }
    return 0;
}

static void plic_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    PLIC *p = opaque;
    if (size != 4 || (offset & 3)) {
        return;
    }
    uint32_t v = (uint32_t)value;
    if (offset < PENDING_BASE) {
        uint64_t n = offset / 4;
        if (n > 0 && n < PLIC_NUM_SOURCES) {
            p->priority[n] = v & PLIC_PRIORITY_MAX;
        }
    } else if (offset < ENABLE_BASE) {
        /* pending bits are read-only */
    } else if (offset < CONTEXT_BASE) {
        uint64_t ctx = (offset - ENABLE_BASE) / ENABLE_STRIDE;
        uint64_t w = (offset - ENABLE_BASE) % ENABLE_STRIDE / 4;
        if (ctx < p->nb_contexts && w < WORDS) {
            p->enable[ctx][w] = w == 0 ? v & ~1u : v; /* source 0 does not exist */
        }
    } else {
        uint64_t ctx = (offset - CONTEXT_BASE) / CONTEXT_STRIDE;
        uint64_t reg = (offset - CONTEXT_BASE) % CONTEXT_STRIDE;
        if (ctx >= p->nb_contexts) {
            return;
        }
        if (reg == 0) {
            p->threshold[ctx] = v & PLIC_PRIORITY_MAX;
        } else if (reg == 4 && v > 0 && v < PLIC_NUM_SOURCES && bit(p->enable[ctx], v)) {
            /* complete: a line still high makes the source pending again */
            set_bit(p->claimed, v, false);
            if (bit(p->level, v)) {
                set_bit(p->pending, v, true);
            }
        }
    }
    plic_update(p);
}

const MemoryRegionOps plic_ops = {
    .read = plic_read,
    .write = plic_write,
};

void plic_state_save(void *obj, MigWriter *w)
{
    const PLIC *p = obj;
    mig_put_u32(w, p->nb_contexts);
    for (unsigned n = 0; n < PLIC_NUM_SOURCES; n++) {
        mig_put_u32(w, p->priority[n]);
    }
    for (unsigned i = 0; i < WORDS; i++) {
        mig_put_u32(w, p->pending[i]);
        mig_put_u32(w, p->claimed[i]);
        mig_put_u32(w, p->level[i]);
    }
    for (unsigned ctx = 0; ctx < p->nb_contexts; ctx++) {
        for (unsigned i = 0; i < WORDS; i++) {
            mig_put_u32(w, p->enable[ctx][i]);
        }
        mig_put_u32(w, p->threshold[ctx]);
    }
}

int plic_state_load(void *obj, MigReader *r, uint32_t version, char *err, size_t errlen)
{
    PLIC *p = obj;
    if (mig_get_u32(r) != p->nb_contexts) {
        return mig_bad(err, errlen, "plic", "context count");
    }
    for (unsigned n = 0; n < PLIC_NUM_SOURCES; n++) {
        p->priority[n] = mig_get_u32(r);
        if (p->priority[n] > PLIC_PRIORITY_MAX) {
            return mig_bad(err, errlen, "plic", "priority");
        }
    }
    for (unsigned i = 0; i < WORDS; i++) {
        p->pending[i] = mig_get_u32(r);
        p->claimed[i] = mig_get_u32(r);
        p->level[i] = mig_get_u32(r);
    }
    for (unsigned ctx = 0; ctx < p->nb_contexts; ctx++) {
        for (unsigned i = 0; i < WORDS; i++) {
            p->enable[ctx][i] = mig_get_u32(r);
        }
        p->threshold[ctx] = mig_get_u32(r);
        if (p->threshold[ctx] > PLIC_PRIORITY_MAX) {
            return mig_bad(err, errlen, "plic", "threshold");
        }
    }
    return 0;
}
