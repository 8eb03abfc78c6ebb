/*
 * vmdk-check.c — `check` for vmdk images: every grain table and every
 * allocated grain must lie inside the file.
 *
 * The one thing to know: like qemu-img's vmdk check this finds dangling
 * pointers only; there is no refcount to leak, so nothing is repaired.
 */
#include <stdio.h>

#include "block/vmdk.h"

int vmdk_check(BlockDriverState *bs, BlockCheckResult *res, int fix, Error **errp)
{
    VmdkState *s = bs->opaque;
    uint64_t grains = (bs->total_size + s->grain_size - 1) / s->grain_size;

    for (uint64_t g = 0; g < grains; g++) {
        Error *err = NULL;
        uint32_t gte;

        if (vmdk_lookup(bs, g * s->grain_size, &gte, &err) < 0) {
            fprintf(stderr, "ERROR: %s\n", err->msg ? err->msg : "bad grain table");
            error_free(err);
            res->corruptions++;
            g = (g / s->gtes + 1) * s->gtes - 1; /* skip the rest of this table */
            continue;
        }
        if (gte == 0 || (gte == VMDK_GTE_ZEROED && (s->flags & VMDK_FLAG_ZERO_GRAIN))) {
            continue;
        }
        uint64_t end = (uint64_t)gte * 512 + (s->compressed ? 1 : s->grain_size);
        if (end > s->file_size) {
            fprintf(stderr, "ERROR: grain of sector %llu at offset %llu points after EOF\n",
                    (unsigned long long)(g * s->grain_size / 512),
                    (unsigned long long)gte * 512);
            res->corruptions++;
        }
    }
    return 0;
}
