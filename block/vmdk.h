/*
 * vmdk.h — VMware sparse extent layout and driver state shared by the vmdk
 * driver files: vmdk.c (open, read), vmdk-write.c (write, flush),
 * vmdk-create.c and vmdk-check.c.
 *
 * The one thing to know: the image is one hosted sparse extent (the
 * descriptor is embedded), little-endian. Offsets in the grain directory
 * (GD) and grain tables (GT) are in 512-byte sectors; a GT entry (GTE) is
 * 0 for an unallocated grain, 1 for a zeroed grain (with the zeroed-grain
 * flag), else the grain's sector. streamOptimized images store grains
 * deflated behind a 12-byte marker (LBA, size).
 */
#ifndef BLOCK_VMDK_H
#define BLOCK_VMDK_H

#include "block/image-util.h"

#define VMDK_MAGIC 0x564d444bu /* "KDMV" */
#define VMDK_GD_AT_END 0xffffffffffffffffULL
#define VMDK_GRAIN_SECTORS_MAX 2048 /* 1 MiB grains */
#define VMDK_GTES_MAX 512
#define VMDK_GD_MAX (1u << 22) /* a 16 MiB grain directory */

enum {
    VMDK_FLAG_NL_DETECT = 1 << 0,
    VMDK_FLAG_RGD = 1 << 1,
    VMDK_FLAG_ZERO_GRAIN = 1 << 2,
    VMDK_FLAG_COMPRESSED = 1 << 16,
    VMDK_FLAG_MARKERS = 1 << 17,
};

/* Header field offsets. */
enum {
    VMDK_H_MAGIC = 0,
    VMDK_H_VERSION = 4,
    VMDK_H_FLAGS = 8,
    VMDK_H_CAPACITY = 12,
    VMDK_H_GRAIN = 20,
    VMDK_H_DESC_OFFSET = 28,
    VMDK_H_DESC_SIZE = 36,
    VMDK_H_GTES = 44,
    VMDK_H_RGD = 48,
    VMDK_H_GD = 56,
    VMDK_H_OVERHEAD = 64,
    VMDK_H_UNCLEAN = 72,
    VMDK_H_NL_CHARS = 73, /* '\n', ' ', '\r', '\n' */
    VMDK_H_COMPRESS = 77,
};

#define VMDK_MARKER_SIZE 12 /* u64 LBA or sector count, u32 size */
#define VMDK_GTE_ZEROED 1

typedef struct VmdkState {
    uint64_t file_size;
    uint32_t flags;
    bool compressed;
    bool footer;            /* the header lives in a footer (GD_AT_END) */
    uint64_t grain_size;    /* bytes */
    uint32_t gtes;          /* entries per GT */
    uint32_t gd_entries;
    uint32_t *gd, *rgd;     /* sector offsets of the GTs (rgd may be NULL) */
    uint64_t gd_sector;     /* where the GD itself lies */
    uint32_t *gt;           /* cached GT, host order */
    uint32_t gt_index;      /* its GD index; UINT32_MAX: none */
    uint8_t *grain;         /* a grain: decompressed or being written */
    uint64_t grain_gte;     /* GTE whose decompressed data is in grain; 0: none */
    uint8_t *cbuf;          /* compressed grain with marker */
    size_t cbuf_size;
    uint32_t cid, parent_cid;
    char create_type[32];
    uint64_t append_at;     /* where the next grain or GT goes */
    bool need_eos;          /* streamOptimized: write the end-of-stream marker */
} VmdkState;

/* Finds the GTE of the grain holding guest byte `offset`: *gte is 0 when
 * the GD has no GT for it; the GT is left in the cache (s->gt). */
int vmdk_lookup(BlockDriverState *bs, uint64_t offset, uint32_t *gte, Error **errp);

int vmdk_write(BlockDriverState *bs, uint64_t offset, const void *buf, size_t len,
               Error **errp);
int vmdk_flush(BlockDriverState *bs, Error **errp);
int vmdk_create(const char *filename, const BlockCreateOptions *opts, Error **errp);
int vmdk_check(BlockDriverState *bs, BlockCheckResult *res, int fix, Error **errp);

#endif
