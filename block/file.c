/*
 * file.c — whole-buffer pread/pwrite on image files, and file sizes.
 *
 * The one thing to know: a read that hits end of file returns -EIO, never a
 * partial buffer; callers that accept a short file check file_size() first.
 */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mimic/block.h"

int file_pread(int fd, void *buf, size_t len, uint64_t offset)
{
    uint8_t *p = buf;

    if (offset > INT64_MAX || len > INT64_MAX - offset) {
        return -EINVAL;
    }
    while (len > 0) {
        ssize_t n = pread(fd, p, len, (off_t)offset);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        if (n == 0) {
            return -EIO;
        }
        p += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return 0;
}

int file_pwrite(int fd, const void *buf, size_t len, uint64_t offset)
{
    const uint8_t *p = buf;

    if (offset > INT64_MAX || len > INT64_MAX - offset) {
        return -EFBIG;
    }
    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, (off_t)offset);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        p += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return 0;
}

int64_t file_size(int fd)
{
    struct stat st;

    if (fstat(fd, &st) < 0) {
        return -errno;
    }
    return st.st_size;
}

int64_t file_allocated(int fd)
{
    struct stat st;

    if (fstat(fd, &st) < 0) {
        return -errno;
    }
    return (int64_t)st.st_blocks * 512;
}
