/*
 * stream.c — the machine-state byte stream: buffered writer, checked
 * reader (see stream.h).
 *
 * The one thing to know: nothing here trusts a length from the stream;
 * the only lengths are the caller's, and a read that the source cannot
 * satisfy fails the reader instead of returning partial data.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migration/stream.h"

void mig_writer_init(MigWriter *w, int (*sink)(void *, const void *, size_t), void *opaque)
{
    memset(w, 0, sizeof(*w));
    w->sink = sink;
    w->opaque = opaque;
}

int mig_writer_flush(MigWriter *w)
{
    if (w->sink && w->len && !w->error) {
        w->error = w->sink(w->opaque, w->buf, w->len);
    }
    if (w->sink) {
        w->len = 0;
    }
    return w->error;
}

void mig_put_bytes(MigWriter *w, const void *p, size_t len)
{
    const uint8_t *b = p;
    w->total += len;
    while (len > 0 && !w->error) {
        if (w->len == w->cap) {
            if (w->sink && w->cap) {
                mig_writer_flush(w);
                continue;
            }
            size_t cap = w->cap ? w->cap * 2 : MIG_CHUNK;
            uint8_t *nb = realloc(w->buf, cap);
            if (!nb) {
                w->error = -ENOMEM;
                return;
            }
            w->buf = nb;
            w->cap = cap;
        }
        size_t n = w->cap - w->len < len ? w->cap - w->len : len;
        memcpy(w->buf + w->len, b, n);
        w->len += n;
        b += n;
        len -= n;
    }
}

void mig_put_u8(MigWriter *w, uint8_t v)
{
    mig_put_bytes(w, &v, 1);
}

void mig_put_u16(MigWriter *w, uint16_t v)
{
    uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    mig_put_bytes(w, b, 2);
}

void mig_put_u32(MigWriter *w, uint32_t v)
{
    mig_put_u16(w, (uint16_t)v);
    mig_put_u16(w, (uint16_t)(v >> 16));
}

void mig_put_u64(MigWriter *w, uint64_t v)
{
    mig_put_u32(w, (uint32_t)v);
    mig_put_u32(w, (uint32_t)(v >> 32));
}

void mig_put_str(MigWriter *w, const char *s)
{
    size_t n = strlen(s);
    n = n > 255 ? 255 : n;
    mig_put_u8(w, (uint8_t)n);
    mig_put_bytes(w, s, n);
}

void mig_writer_free(MigWriter *w)
{
    free(w->buf);
    w->buf = NULL;
    w->len = w->cap = 0;
}

void mig_reader_init_mem(MigReader *r, const void *data, size_t len)
{
    memset(r, 0, sizeof(*r));
    r->data = data;
    r->len = len;
}

int mig_reader_init(MigReader *r, ssize_t (*source)(void *, void *, size_t), void *opaque)
{
    memset(r, 0, sizeof(*r));
    r->source = source;
    r->opaque = opaque;
    r->chunk = malloc(MIG_CHUNK);
    r->data = r->chunk;
    return r->chunk ? 0 : -1;
}

void mig_reader_free(MigReader *r)
{
    free(r->chunk);
    r->chunk = NULL;
}

void mig_reader_fail(MigReader *r, const char *fmt, ...)
{
    if (r->failed) {
        return;
    }
    r->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof(r->err), fmt, ap);
    va_end(ap);
}

void mig_get_bytes(MigReader *r, void *p, size_t len)
{
    uint8_t *d = p;
    while (len > 0 && !r->failed) {
        if (r->pos == r->len) {
            ssize_t n = r->source ? r->source(r->opaque, r->chunk, MIG_CHUNK) : 0;
            if (n <= 0) {
                if (n < 0) {
                    mig_reader_fail(r, "read error at byte %llu: %s",
                                    (unsigned long long)r->offset, strerror((int)-n));
                } else {
                    mig_reader_fail(r, "the stream ends early (at byte %llu)",
                                    (unsigned long long)r->offset);
                }
                break;
            }
            r->pos = 0;
            r->len = (size_t)n;
        }
        size_t n = r->len - r->pos < len ? r->len - r->pos : len;
        memcpy(d, r->data + r->pos, n);
        r->pos += n;
        r->offset += n;
        d += n;
        len -= n;
    }
    if (r->failed) {
        memset(d, 0, len);
    }
}

uint8_t mig_get_u8(MigReader *r)
{
    uint8_t v;
    mig_get_bytes(r, &v, 1);
    return v;
}

uint16_t mig_get_u16(MigReader *r)
{
    uint8_t b[2];
    mig_get_bytes(r, b, 2);
    return (uint16_t)(b[0] | b[1] << 8);
}

uint32_t mig_get_u32(MigReader *r)
{
    uint32_t lo = mig_get_u16(r);
    return lo | (uint32_t)mig_get_u16(r) << 16;
}

uint64_t mig_get_u64(MigReader *r)
{
    uint64_t lo = mig_get_u32(r);
    return lo | (uint64_t)mig_get_u32(r) << 32;
}

void mig_get_str(MigReader *r, char *buf, size_t size)
{
    size_t n = mig_get_u8(r);
    buf[0] = '\0';
    if (n >= size) {
        mig_reader_fail(r, "a name of %zu bytes where at most %zu fit", n, size - 1);
        return;
    }
    mig_get_bytes(r, buf, n);
    buf[r->failed ? 0 : n] = '\0';
}
