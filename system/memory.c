/*
 * memory.c — the guest physical address space: a sorted table of RAM and
 * MMIO regions, lookups, DMA mapping and byte copies.
 *
 * The one thing to know: every range check is written as "offset within
 * the region, then length within what is left", never as base + len, so
 * a guest-chosen address or length near 2^64 cannot wrap around a check.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "mimic/memory.h"

static int address_space_insert(AddressSpace *as, const MemoryRegion *mr)
{
    if (mr->size == 0 || mr->base + mr->size - 1 < mr->base) {
        return -EINVAL;
    }
    if (as->nb_regions == ADDRESS_SPACE_MAX_REGIONS) {
        return -ENOSPC;
    }
    int i = 0;
    while (i < as->nb_regions && as->regions[i].base < mr->base) {
        i++;
    }
    uint64_t last = mr->base + mr->size - 1;
    if ((i > 0 && as->regions[i - 1].base + as->regions[i - 1].size - 1 >= mr->base) ||
        (i < as->nb_regions && as->regions[i].base <= last)) {
        return -EINVAL;
    }
    memmove(&as->regions[i + 1], &as->regions[i],
            (size_t)(as->nb_regions - i) * sizeof(as->regions[0]));
    as->regions[i] = *mr;
    as->nb_regions++;
    as->largest_ram = 0;
    for (int j = 0; j < as->nb_regions; j++) {
        if (as->regions[j].ram && as->regions[j].size > as->regions[as->largest_ram].size) {
            as->largest_ram = j;
        }
    }
    return 0;
}

int address_space_add_ram(AddressSpace *as, const char *name, uint64_t base, uint64_t size)
{
    if (size == 0 || size > SIZE_MAX) {
        return -EINVAL;
    }
    void *p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        return -errno;
    }
    MemoryRegion mr = { .name = name, .base = base, .size = size, .ram = p };
    int r = address_space_insert(as, &mr);
    if (r < 0) {
        munmap(p, (size_t)size);
    }
    return r;
}

int address_space_add_mmio(AddressSpace *as, const char *name, uint64_t base, uint64_t size,
                           const MemoryRegionOps *ops, void *opaque)
{
    MemoryRegion mr = { .name = name, .base = base, .size = size, .ops = ops, .opaque = opaque };
    return address_space_insert(as, &mr);
}

void address_space_destroy(AddressSpace *as)
{
    for (int i = 0; i < as->nb_regions; i++) {
        if (as->regions[i].ram) {
            munmap(as->regions[i].ram, (size_t)as->regions[i].size);
        }
    }
    as->nb_regions = 0;
}

const MemoryRegion *address_space_lookup(const AddressSpace *as, uint64_t addr)
{
    const MemoryRegion *ram = as->nb_regions ? &as->regions[as->largest_ram] : NULL;
    if (ram && addr - ram->base < ram->size) {
        return ram; /* most lookups (page walks, TLB fills) are of main RAM */
    }
    int lo = 0, hi = as->nb_regions;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        const MemoryRegion *mr = &as->regions[mid];
        if (addr < mr->base) {
            hi = mid;
        } else if (addr - mr->base >= mr->size) {
            lo = mid + 1;
        } else {
            return mr;
        }
    }
    return NULL;
}

void *address_space_map(const AddressSpace *as, uint64_t addr, uint64_t len)
{
    const MemoryRegion *mr = address_space_lookup(as, addr);
    if (!mr || !mr->ram || len > mr->size - (addr - mr->base)) {
        return NULL;
    }
    return mr->ram + (addr - mr->base);
}

/* Largest naturally aligned access of at most len bytes at addr. */
static unsigned mmio_piece(uint64_t addr, uint64_t len)
{
    unsigned size = 8;
    while (size > 1 && (size > len || (addr & (size - 1)))) {
        size /= 2;
    }
    return size;
}

void address_space_set_readonly(AddressSpace *as, uint64_t base)
{
    for (int i = 0; i < as->nb_regions; i++) {
        if (as->regions[i].base == base && as->regions[i].ram) {
            as->regions[i].readonly = true;
        }
    }
}

static int address_space_rw(const AddressSpace *as, uint64_t addr, uint8_t *buf, uint64_t len,
                            bool write)
{
    if (len > 0 && len - 1 > UINT64_MAX - addr) {
        return -EFAULT; /* wraps around the address space */
    }
    while (len > 0) {
        const MemoryRegion *mr = address_space_lookup(as, addr);
        if (!mr) {
            return -EFAULT;
        }
        uint64_t off = addr - mr->base;
        uint64_t n = mr->size - off < len ? mr->size - off : len;
        if (mr->ram) {
            if (write) {
                address_space_notify_write(as, addr, n);
                memcpy(mr->ram + off, buf, (size_t)n);
            } else {
                memcpy(buf, mr->ram + off, (size_t)n);
            }
        } else {
            n = mmio_piece(addr, n);
            uint64_t v = 0;
            if (write) {
                memcpy(&v, buf, n);
                mr->ops->write(mr->opaque, off, v, (unsigned)n);
            } else {
                v = mr->ops->read(mr->opaque, off, (unsigned)n);
                memcpy(buf, &v, n);
            }
        }
        addr += n;
        buf += n;
        len -= n;
    }
    return 0;
}

int address_space_read(const AddressSpace *as, uint64_t addr, void *buf, uint64_t len)
{
    return address_space_rw(as, addr, buf, len, false);
}

int address_space_write(const AddressSpace *as, uint64_t addr, const void *buf, uint64_t len)
{
    return address_space_rw(as, addr, (uint8_t *)buf, len, true);
}
