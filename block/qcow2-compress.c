/*
 * qcow2-compress.c — compression and decompression of qcow2 compressed
 * clusters: raw deflate (zlib, the default) and zstd (compression_type 1).
 *
 * The one thing to know: the stored length is rounded up to whole sectors,
 * so the input may carry trailing bytes after the stream; decompression
 * succeeds once exactly one cluster of output has been produced.
 */
#include <errno.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "block/qcow2.h"

static int inflate_raw(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len)
{
    z_stream z;
    int ret;

    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, -12) != Z_OK) {
        return -ENOMEM;
    }
    z.next_in = (Bytef *)src;
    z.avail_in = (uInt)src_len;
    z.next_out = dst;
    z.avail_out = (uInt)dst_len;
    ret = inflate(&z, Z_FINISH);
    inflateEnd(&z);
    if ((ret == Z_STREAM_END || ret == Z_BUF_ERROR) && z.avail_out == 0) {
        return 0;
    }
    return -EIO;
}

static int zstd_decompress(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len)
{
    ZSTD_DStream *z = ZSTD_createDStream();
    ZSTD_inBuffer in = { src, src_len, 0 };
    ZSTD_outBuffer out = { dst, dst_len, 0 };
    int ret = -EIO;

    if (!z) {
        return -ENOMEM;
    }
    while (out.pos < out.size) {
        size_t r = ZSTD_decompressStream(z, &out, &in);
        if (ZSTD_isError(r)) {
            break;
        }
        if (out.pos == out.size) {
            ret = 0;
            break;
        }
        if (r == 0 || in.pos == in.size) {
            break; /* frame ended early, or input ran out */
        }
    }
    ZSTD_freeDStream(z);
    return ret;
}

int qcow2_decompress(int type, const uint8_t *src, size_t src_len, uint8_t *dst,
                     size_t dst_len)
{
    return type == 1 ? zstd_decompress(src, src_len, dst, dst_len)
                     : inflate_raw(src, src_len, dst, dst_len);
}

static ssize_t deflate_raw(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len)
{
    z_stream z;
    int ret;

    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        return -ENOMEM;
    }
    z.next_in = (Bytef *)src;
    z.avail_in = (uInt)src_len;
    z.next_out = dst;
    z.avail_out = (uInt)dst_len;
    ret = deflate(&z, Z_FINISH);
    deflateEnd(&z);
    return ret == Z_STREAM_END ? (ssize_t)(dst_len - z.avail_out) : -ENOSPC;
}

ssize_t qcow2_compress(int type, const uint8_t *src, size_t src_len, uint8_t *dst,
                       size_t dst_len)
{
    if (type == 1) {
        size_t n = ZSTD_compress(dst, dst_len, src, src_len, ZSTD_CLEVEL_DEFAULT);
        return ZSTD_isError(n) ? -ENOSPC : (ssize_t)n;
    }
    return deflate_raw(src, src_len, dst, dst_len);
}
