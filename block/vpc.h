/*
 * vpc.h — VHD on-disk layout shared by the vpc driver (vpc.c) and its
 * image creation (vpc-create.c).
 *
 * The one thing to know: all fields are big-endian; offsets below are
 * from the start of the footer (VHD_F_*) or the dynamic header (VHD_D_*).
 */
#ifndef BLOCK_VPC_H
#define BLOCK_VPC_H

#include "block/image-util.h"

enum {
    VHD_F_COOKIE = 0,
    VHD_F_FEATURES = 8,
    VHD_F_VERSION = 12,
    VHD_F_DATA_OFFSET = 16,
    VHD_F_TIMESTAMP = 24,
    VHD_F_CREATOR_APP = 28,
    VHD_F_CREATOR_VERSION = 32,
    VHD_F_CREATOR_OS = 36,
    VHD_F_ORIGINAL_SIZE = 40,
    VHD_F_CURRENT_SIZE = 48,
    VHD_F_GEOMETRY = 56, /* cylinders (16 bits), heads, sectors per track */
    VHD_F_DISK_TYPE = 60,
    VHD_F_CHECKSUM = 64,
    VHD_F_UUID = 68,

    VHD_D_COOKIE = 0,
    VHD_D_DATA_OFFSET = 8,
    VHD_D_TABLE_OFFSET = 16,
    VHD_D_VERSION = 24,
    VHD_D_MAX_ENTRIES = 28,
    VHD_D_BLOCK_SIZE = 32,
    VHD_D_CHECKSUM = 36,
};

enum { VHD_TYPE_FIXED = 2, VHD_TYPE_DYNAMIC = 3, VHD_TYPE_DIFF = 4 };

#define VHD_MAX_GEOMETRY (65535ULL * 16 * 255)
#define VHD_MAX_SECTORS 0xff000000ULL /* 2040 GiB */

/* One's complement of the byte sum of buf, skipping the 4-byte checksum
 * field at `skip`. */
uint32_t vpc_checksum(const uint8_t *buf, size_t len, size_t skip);

int vpc_create(const char *filename, const BlockCreateOptions *opts, Error **errp);

#endif
