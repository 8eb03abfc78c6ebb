/*
 * qcow2-compress.c — compression and decompression of qcow2 compressed
 * clusters: raw deflate (zlib, the default) and zstd (compression_type 1).
 *
 * The one thing to know: compression runs on many threads at once
 * (without the image lock), each with its own contexts; the stored length is rounded up to whole sectors,
 * so the input may carry trailing bytes after the stream; decompression
 * succeeds once exactly one cluster of output has been produced.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
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

/* Compression contexts are costly to set up (zlib's window, zstd's
 * tables), so each thread keeps one of each; they go at thread exit. */
typedef struct CompressCtx {
    z_stream z;
    bool z_ready;
    ZSTD_CCtx *zstd;
} CompressCtx;

static pthread_key_t ctx_key;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

static void ctx_free(void *opaque)
{
    CompressCtx *c = opaque;

    if (c->z_ready) {
        deflateEnd(&c->z);
    }
    ZSTD_freeCCtx(c->zstd);
    free(c);
}

static void ctx_key_init(void)
{
    if (pthread_key_create(&ctx_key, ctx_free) != 0) {
        abort(); /* only when the process is out of keys: an internal limit */
    }
}

static CompressCtx *ctx_get(void)
{
    CompressCtx *c;

    pthread_once(&ctx_once, ctx_key_init);
    c = pthread_getspecific(ctx_key);
    if (!c) {
        c = calloc(1, sizeof(*c));
        if (c && pthread_setspecific(ctx_key, c) != 0) {
            free(c);
            c = NULL;
        }
    }
    return c;
}

static ssize_t deflate_raw(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len)
{
    CompressCtx *c = ctx_get();
    int ret;

    if (!c) {
        return -ENOMEM;
    }
    if (!c->z_ready) {
        memset(&c->z, 0, sizeof(c->z));
        if (deflateInit2(&c->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9,
                         Z_DEFAULT_STRATEGY) != Z_OK) {
            return -ENOMEM;
        }
        c->z_ready = true;
    } else if (deflateReset(&c->z) != Z_OK) {
        return -EIO;
    }
    c->z.next_in = (Bytef *)src;
    c->z.avail_in = (uInt)src_len;
    c->z.next_out = dst;
    c->z.avail_out = (uInt)dst_len;
    ret = deflate(&c->z, Z_FINISH);
    return ret == Z_STREAM_END ? (ssize_t)(dst_len - c->z.avail_out) : -ENOSPC;
}

ssize_t qcow2_compress(int type, const uint8_t *src, size_t src_len, uint8_t *dst,
                       size_t dst_len)
{
    if (type == 1) {
        CompressCtx *c = ctx_get();
        if (c && !c->zstd) {
            c->zstd = ZSTD_createCCtx();
        }
        if (!c || !c->zstd) {
            return -ENOMEM;
        }
        size_t n = ZSTD_compressCCtx(c->zstd, dst, dst_len, src, src_len, ZSTD_CLEVEL_DEFAULT);
        return ZSTD_isError(n) ? -ENOSPC : (ssize_t)n;
    }
    return deflate_raw(src, src_len, dst, dst_len);
}
