/*
 * map-read.c — reading a read-only image's data without copying it: a
 * pointer into a read-only mapping of the image file, for the plain data
 * that the format stores contiguously (raw, qcow2's normal clusters).
 *
 * The one thing to know: the mapping covers the file as it was at the first
 * call, and its pages are faulted in with MADV_POPULATE_READ before a
 * pointer is handed out, so that a range past the end of the file is an
 * error to fall back from (bdrv_pread), not a SIGBUS. A file that shrinks
 * while a pointer is in use still raises SIGBUS: only read-only images are
 * mapped, and nothing in mimic writes those.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mimic/block.h"

/* Maps the whole file once (under bs->lock); false if it cannot be. */
static bool map_file(BlockDriverState *bs)
{
    if (!bs->map && !bs->map_failed) {
        int64_t size = file_size(bs->fd);
        void *p = size > 0 ? mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, bs->fd, 0)
                           : MAP_FAILED;
        if (p == MAP_FAILED) {
            bs->map_failed = true;
        } else {
            bs->map = p;
            bs->map_size = (uint64_t)size;
        }
    }
    return bs->map != NULL;
}

/* The page-aligned span of the mapping around [host, host + len). */
static void page_span(BlockDriverState *bs, uint64_t host, uint64_t len, uint8_t **start,
                      size_t *span)
{
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), first = host & ~(page - 1);

    *start = bs->map + first;
    *span = (size_t)(host + len - first);
}

int bdrv_map_read(BlockDriverState *bs, uint64_t offset, uint64_t *pnum, const uint8_t **ptr,
                  Error **errp)
{
    uint64_t n = *pnum, host = 0;
    bool has = false, mapped;
    uint8_t *start;
    size_t span;
    int ret;

    *ptr = NULL;
    if (bs->flags & BDRV_O_RDWR) {
        return 0;
    }
    ret = bdrv_data_offset(bs, offset, &n, &host, &has, errp);
    if (ret < 0 || !has) {
        return ret;
    }
    pthread_mutex_lock(&bs->lock);
    mapped = map_file(bs);
    pthread_mutex_unlock(&bs->lock);
    if (!mapped || host >= bs->map_size) {
        return 0;
    }
    if (n > bs->map_size - host) {
        n = bs->map_size - host;
    }
    page_span(bs, host, n, &start, &span);
    if (madvise(start, span, MADV_POPULATE_READ) < 0) {
        return 0; /* past the end of the file, or an old kernel */
    }
    *pnum = n;
    *ptr = bs->map + host;
    return 1;
}

void bdrv_map_release(BlockDriverState *bs, const uint8_t *ptr, uint64_t len)
{
    uint8_t *start;
    size_t span;

    if (ptr && len) {
        page_span(bs, (uint64_t)(ptr - bs->map), len, &start, &span);
        madvise(start, span, MADV_DONTNEED); /* only a hint: the pages stay cached */
    }
}

void bdrv_map_close(BlockDriverState *bs)
{
    if (bs->map) {
        munmap(bs->map, (size_t)bs->map_size);
        bs->map = NULL;
    }
}
