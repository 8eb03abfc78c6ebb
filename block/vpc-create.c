/*
 * vpc-create.c — creating VHD images (dynamic by default, fixed with
 * subformat=fixed), laid out as qemu-img lays them out.
 *
 * The one thing to know: the size is rounded up to what the CHS geometry
 * of the footer can express (the geometry algorithm of the VHD
 * specification), because Virtual PC and qemu size a disk by its geometry;
 * only a disk at the maximum geometry keeps its exact size.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "block/vpc.h"

#define VHD_EPOCH 946684800 /* 2000-01-01 00:00:00 UTC */
#define VHD_BLOCK_SIZE (2u << 20)

/* The VHD specification's CHS algorithm for a number of sectors. */
static void vpc_geometry(uint64_t sectors, unsigned *cyls, unsigned *heads, unsigned *spt)
{
    uint64_t cth;

    if (sectors > VHD_MAX_GEOMETRY) {
        sectors = VHD_MAX_GEOMETRY;
    }
    if (sectors >= 65535ULL * 16 * 63) {
        *spt = 255;
        *heads = 16;
        cth = sectors / *spt;
    } else {
        *spt = 17;
        cth = sectors / *spt;
        *heads = (unsigned)((cth + 1023) / 1024);
        if (*heads < 4) {
            *heads = 4;
        }
        if (cth >= *heads * 1024ULL || *heads > 16) {
            *spt = 31;
            *heads = 16;
            cth = sectors / *spt;
        }
        if (cth >= *heads * 1024ULL) {
            *spt = 63;
            *heads = 16;
            cth = sectors / *spt;
        }
    }
    *cyls = (unsigned)(cth / *heads);
}

static void vpc_make_footer(uint8_t *f, uint64_t size, unsigned cyls, unsigned heads,
                            unsigned spt, bool fixed)
{
    memset(f, 0, 512);
    memcpy(f + VHD_F_COOKIE, "conectix", 8);
    img_st_be32(f + VHD_F_FEATURES, 2);
    img_st_be32(f + VHD_F_VERSION, 0x00010000);
    img_st_be64(f + VHD_F_DATA_OFFSET, fixed ? UINT64_MAX : 512);
    img_st_be32(f + VHD_F_TIMESTAMP, (uint32_t)(time(NULL) - VHD_EPOCH));
    memcpy(f + VHD_F_CREATOR_APP, "mimc", 4);
    img_st_be32(f + VHD_F_CREATOR_VERSION, 0x00010000);
    memcpy(f + VHD_F_CREATOR_OS, "Wi2k", 4);
    img_st_be64(f + VHD_F_ORIGINAL_SIZE, size);
    img_st_be64(f + VHD_F_CURRENT_SIZE, size);
    img_st_be16(f + VHD_F_GEOMETRY, (uint16_t)cyls);
    f[VHD_F_GEOMETRY + 2] = (uint8_t)heads;
    f[VHD_F_GEOMETRY + 3] = (uint8_t)spt;
    img_st_be32(f + VHD_F_DISK_TYPE, fixed ? VHD_TYPE_FIXED : VHD_TYPE_DYNAMIC);
    if (getrandom(f + VHD_F_UUID, 16, 0) != 16) {
        memset(f + VHD_F_UUID, 0x5a, 16);
    }
    img_st_be32(f + VHD_F_CHECKSUM, vpc_checksum(f, 512, VHD_F_CHECKSUM));
}

static int vpc_write_dynamic(int fd, const uint8_t *footer, uint64_t size)
{
    uint32_t entries = (uint32_t)((size + VHD_BLOCK_SIZE - 1) / VHD_BLOCK_SIZE);
    size_t bat_len = ((size_t)entries * 4 + 511) & ~(size_t)511;
    uint8_t h[1024] = { 0 };
    uint8_t *bat = malloc(bat_len);
    int ret;

    if (!bat) {
        return -ENOMEM;
    }
    memset(bat, 0xff, bat_len);
    memcpy(h + VHD_D_COOKIE, "cxsparse", 8);
    img_st_be64(h + VHD_D_DATA_OFFSET, UINT64_MAX);
    img_st_be64(h + VHD_D_TABLE_OFFSET, 512 + sizeof(h));
    img_st_be32(h + VHD_D_VERSION, 0x00010000);
    img_st_be32(h + VHD_D_MAX_ENTRIES, entries);
    img_st_be32(h + VHD_D_BLOCK_SIZE, VHD_BLOCK_SIZE);
    img_st_be32(h + VHD_D_CHECKSUM, vpc_checksum(h, sizeof(h), VHD_D_CHECKSUM));
    ret = file_pwrite(fd, footer, 512, 0);
    if (ret == 0) {
        ret = file_pwrite(fd, h, sizeof(h), 512);
    }
    if (ret == 0) {
        ret = file_pwrite(fd, bat, bat_len, 512 + sizeof(h));
    }
    if (ret == 0) {
        ret = file_pwrite(fd, footer, 512, 512 + sizeof(h) + bat_len);
    }
    free(bat);
    return ret;
}

int vpc_create(const char *filename, const BlockCreateOptions *opts, Error **errp)
{
    bool fixed = opts->subformat && !strcmp(opts->subformat, "fixed");
    uint64_t sectors = opts->size / 512;
    unsigned cyls = 0, heads = 0, spt = 0;
    uint8_t footer[512];
    int fd, ret;

    if (opts->subformat && !fixed && strcmp(opts->subformat, "dynamic")) {
        return error_setg(errp, -EINVAL, "'%s': Invalid subformat '%s' (dynamic or fixed)",
                          filename, opts->subformat);
    }
    if (opts->backing_file) {
        return error_setg(errp, -ENOTSUP, "'%s': the vpc format does not support backing files",
                          filename);
    }
    if (sectors > VHD_MAX_SECTORS) {
        return error_setg(errp, -EFBIG, "'%s': Disk size is too large, max size is 2040 GiB",
                          filename);
    }
    /* The smallest geometry that holds the whole size. */
    for (uint64_t i = 0; sectors > (uint64_t)cyls * heads * spt; i++) {
        vpc_geometry(sectors + i, &cyls, &heads, &spt);
        if ((uint64_t)cyls * heads * spt == VHD_MAX_GEOMETRY) {
            break;
        }
    }
    if ((uint64_t)cyls * heads * spt != VHD_MAX_GEOMETRY) {
        sectors = (uint64_t)cyls * heads * spt;
    }
    vpc_make_footer(footer, sectors * 512, cyls, heads, spt, fixed);
    fd = img_create_file(filename, errp);
    if (fd < 0) {
        return fd;
    }
    if (fixed) {
        ret = ftruncate(fd, (off_t)(sectors * 512)) < 0 ? -errno : 0;
        if (ret == 0) {
            ret = file_pwrite(fd, footer, 512, sectors * 512);
        }
    } else {
        ret = vpc_write_dynamic(fd, footer, sectors * 512);
    }
    close(fd);
    if (ret < 0) {
        return error_setg(errp, ret, "Could not write '%s': %s", filename, strerror(-ret));
    }
    return 0;
}
