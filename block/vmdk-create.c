/*
 * vmdk-create.c — creating monolithicSparse and streamOptimized vmdk
 * images, laid out as qemu-img lays them out.
 *
 * The one thing to know: the layout is header, embedded descriptor (20
 * sectors), redundant GD and its GTs, GD and its GTs, all preallocated, and
 * grains from the first grain boundary after them (the "overhead").
 * streamOptimized images use the same layout with the compressed and
 * marker flags; grains are appended deflated and an end-of-stream marker
 * closes the file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

#include "block/vmdk.h"

#define GRAIN_SECTORS 128
#define GTES 512
#define DESC_SECTORS 20

static int vmdk_descriptor(char *out, size_t len, const char *filename, uint64_t capacity,
                           bool stream)
{
    const char *base = strrchr(filename, '/');
    uint32_t cid;
    int n;

    if (getrandom(&cid, sizeof(cid), 0) != sizeof(cid)) {
        cid = 0x5a5a5a5a;
    }
    n = snprintf(out, len,
                 "# Disk DescriptorFile\n"
                 "version=1\n"
                 "CID=%08x\n"
                 "parentCID=ffffffff\n"
                 "createType=\"%s\"\n"
                 "\n"
                 "# Extent description\n"
                 "RW %llu SPARSE \"%s\"\n"
                 "\n"
                 "# The Disk Data Base\n"
                 "#DDB\n"
                 "\n"
                 "ddb.virtualHWVersion = \"4\"\n"
                 "ddb.geometry.cylinders = \"%llu\"\n"
                 "ddb.geometry.heads = \"16\"\n"
                 "ddb.geometry.sectors = \"63\"\n"
                 "ddb.adapterType = \"ide\"\n",
                 cid, stream ? "streamOptimized" : "monolithicSparse",
                 (unsigned long long)capacity, base ? base + 1 : filename,
                 (unsigned long long)(capacity / (16 * 63)));
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Writes a GD at `gd` whose GTs follow it, one per entry. */
static int write_gd(int fd, uint64_t gd, uint64_t gd_sectors, uint64_t gt_count)
{
    uint8_t *buf = calloc(1, gd_sectors * 512);
    int ret;

    if (!buf) {
        return -ENOMEM;
    }
    for (uint64_t i = 0; i < gt_count; i++) {
        img_st_le32(buf + 4 * i, (uint32_t)(gd + gd_sectors + i * (GTES * 4 / 512)));
    }
    ret = file_pwrite(fd, buf, gd_sectors * 512, gd * 512);
    free(buf);
    return ret;
}

int vmdk_create(const char *filename, const BlockCreateOptions *opts, Error **errp)
{
    bool stream = opts->subformat && !strcmp(opts->subformat, "streamOptimized");
    uint64_t capacity = (opts->size + 511) / 512;
    uint64_t gt_count = (capacity + (uint64_t)GTES * GRAIN_SECTORS - 1) / (GTES * GRAIN_SECTORS);
    uint64_t gd_sectors = (gt_count * 4 + 511) / 512, gt_sectors = gt_count * (GTES * 4 / 512);
    uint64_t rgd = 1 + DESC_SECTORS, gd = rgd + gd_sectors + gt_sectors;
    uint64_t overhead = (gd + gd_sectors + gt_sectors + GRAIN_SECTORS - 1) & ~(uint64_t)(GRAIN_SECTORS - 1);
    char desc[DESC_SECTORS * 512] = { 0 };
    uint8_t h[512] = { 0 };
    int fd, ret;

    if (opts->subformat && !stream && strcmp(opts->subformat, "monolithicSparse")) {
        return error_setg(errp, -ENOTSUP,
                          "'%s': Unsupported vmdk subformat '%s' (monolithicSparse or "
                          "streamOptimized)",
                          filename, opts->subformat);
    }
    if (opts->backing_file) {
        return error_setg(errp, -ENOTSUP, "'%s': creating vmdk images with a backing file is "
                          "not supported", filename);
    }
    if (gt_count > VMDK_GD_MAX) { /* what our reader accepts: 128 TiB */
        return error_setg(errp, -EFBIG, "'%s': size %llu is too large for vmdk", filename,
                          (unsigned long long)opts->size);
    }
    if (vmdk_descriptor(desc, sizeof(desc), filename, capacity, stream) < 0) {
        return error_setg(errp, -ENAMETOOLONG, "'%s': file name too long for a vmdk descriptor",
                          filename);
    }
    img_st_le32(h + VMDK_H_MAGIC, VMDK_MAGIC);
    img_st_le32(h + VMDK_H_VERSION, stream ? 3 : 1);
    img_st_le32(h + VMDK_H_FLAGS, VMDK_FLAG_NL_DETECT | VMDK_FLAG_RGD |
                                      (stream ? VMDK_FLAG_COMPRESSED | VMDK_FLAG_MARKERS : 0));
    img_st_le64(h + VMDK_H_CAPACITY, capacity);
    img_st_le64(h + VMDK_H_GRAIN, GRAIN_SECTORS);
    img_st_le64(h + VMDK_H_DESC_OFFSET, 1);
    img_st_le64(h + VMDK_H_DESC_SIZE, DESC_SECTORS);
    img_st_le32(h + VMDK_H_GTES, GTES);
    img_st_le64(h + VMDK_H_RGD, rgd);
    img_st_le64(h + VMDK_H_GD, gd);
    img_st_le64(h + VMDK_H_OVERHEAD, overhead);
    memcpy(h + VMDK_H_NL_CHARS, "\n \r\n", 4);
    img_st_le16(h + VMDK_H_COMPRESS, stream ? 1 : 0);
    fd = img_create_file(filename, errp);
    if (fd < 0) {
        return fd;
    }
    ret = file_pwrite(fd, h, sizeof(h), 0);
    if (ret == 0) {
        ret = file_pwrite(fd, desc, sizeof(desc), 512);
    }
    if (ret == 0) {
        ret = write_gd(fd, rgd, gd_sectors, gt_count);
    }
    if (ret == 0) {
        ret = write_gd(fd, gd, gd_sectors, gt_count);
    }
    if (ret == 0 && ftruncate(fd, (off_t)(overhead * 512)) < 0) {
        ret = -errno;
    }
    if (ret == 0 && stream) { /* an empty stream still ends with its marker */
        uint8_t eos[512] = { 0 };
        ret = file_pwrite(fd, eos, sizeof(eos), overhead * 512);
    }
    close(fd);
    if (ret < 0) {
        return error_setg(errp, ret, "Could not write '%s': %s", filename, strerror(-ret));
    }
    return 0;
}
