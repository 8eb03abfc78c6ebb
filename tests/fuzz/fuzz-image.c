/*
 * fuzz-image.c — libFuzzer target over the image format parsers: qcow2,
 * qcow (v1), vmdk, vdi and vpc headers, tables and compressed data.
 *
 * The one thing to know: each input is written to a memfd and opened
 * through bdrv_open by name (/proc/self/fd/N) — once probed and once with
 * each format forced — without backing files (an input must not make us
 * open host files). The virtual disk is read in chunks, capped at a few
 * MiB spread over the disk; the non-qcow2 formats are also opened
 * read/write and written to, so allocation paths are covered too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mimic/block.h"

#define CHUNK (64 * 1024)
#define SEQ_CAP (1024 * 1024) /* read sequentially up to here, then sample */

static int memfd = -1;
static char path[64];
static uint8_t chunk[CHUNK];

static void load(const uint8_t *data, size_t size)
{
    if (ftruncate(memfd, 0) < 0 || (size && pwrite(memfd, data, size, 0) != (ssize_t)size)) {
        abort(); /* the harness itself failed */
    }
}

static void read_at(BlockDriverState *bs, uint64_t off)
{
    Error *err = NULL;
    uint64_t n = bs->total_size - off < CHUNK ? bs->total_size - off : CHUNK;
    uint64_t pnum = n;

    if (off >= bs->total_size) {
        return;
    }
    bdrv_block_status(bs, off, &pnum, &err);
    error_free(err);
    err = NULL;
    bdrv_pread(bs, off, chunk, (size_t)n, &err);
    error_free(err);
}

static void read_disk(BlockDriverState *bs)
{
    BlockInfo info;
    Error *err = NULL;

    bdrv_get_info(bs, &info, &err);
    error_free(err);
    for (uint64_t off = 0; off < bs->total_size && off < SEQ_CAP; off += CHUNK) {
        read_at(bs, off);
    }
    if (bs->total_size > SEQ_CAP) {
        read_at(bs, bs->total_size / 2 / CHUNK * CHUNK);
        read_at(bs, (bs->total_size - 1) / CHUNK * CHUNK);
    }
}

static void write_disk(BlockDriverState *bs)
{
    static const uint64_t offs[] = { 0, 4096 + 17, 3 * 65536 };
    Error *err = NULL;

    memset(chunk, 0xa5, sizeof(chunk));
    for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
        uint64_t off = offs[i] % (bs->total_size ? bs->total_size : 1);
        size_t n = bs->total_size - off < 5000 ? (size_t)(bs->total_size - off) : 5000;
        if (bdrv_pwrite(bs, off, chunk, n, &err) < 0) {
            break;
        }
    }
    error_free(err);
    read_disk(bs);
}

static void try_open(const uint8_t *data, size_t size, const char *fmt, int flags)
{
    BlockDriverState *bs = NULL;
    Error *err = NULL;

    load(data, size);
    if (bdrv_open(&bs, path, fmt, flags | BDRV_O_NO_BACKING, &err) < 0) {
        error_free(err);
        return;
    }
    if (flags & BDRV_O_RDWR) {
        write_disk(bs);
    } else {
        read_disk(bs);
    }
    bdrv_close(bs, &err);
    error_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const formats[] = { "qcow2", "qcow", "vmdk", "vdi", "vpc" };

    if (memfd < 0) {
        memfd = memfd_create("fuzz-image", MFD_CLOEXEC);
        if (memfd < 0) {
            abort();
        }
        snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
    }
    try_open(data, size, NULL, 0);
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        try_open(data, size, formats[i], 0);
        if (i > 0) {
            try_open(data, size, formats[i], BDRV_O_RDWR);
        }
    }
    return 0;
}
