/*
 * stream.h — the byte stream of machine state: a writer that buffers and
 * hands full chunks to a sink (a disk image's VM state area, a socket, a
 * file), and a reader with bounded, checked reads from a source or from
 * memory. Integers are little-endian, strings a length byte and the bytes.
 *
 * The one thing to know: the reader's failure is sticky. A short read, a
 * string longer than its buffer or a source error sets r->failed with a
 * message and every later read returns zeros, so a loader reads a record's
 * fields and checks mig_reader_failed() once; it never reads past what
 * the source gave.
 */
#ifndef MIMIC_MIGRATION_STREAM_H
#define MIMIC_MIGRATION_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MIG_CHUNK (64u << 10)

typedef struct MigWriter {
    /* NULL: everything stays in buf (a section's payload); else called
     * with each full chunk: 0, or a negative errno. */
    int (*sink)(void *opaque, const void *buf, size_t len);
    void *opaque;
    uint8_t *buf;
    size_t len, cap;
    uint64_t total;      /* bytes written so far, flushed or not */
    int error;           /* the first sink or allocation error */
} MigWriter;

void mig_writer_init(MigWriter *w, int (*sink)(void *, const void *, size_t), void *opaque);
void mig_put_bytes(MigWriter *w, const void *p, size_t len);
void mig_put_u8(MigWriter *w, uint8_t v);
void mig_put_u16(MigWriter *w, uint16_t v);
void mig_put_u32(MigWriter *w, uint32_t v);
void mig_put_u64(MigWriter *w, uint64_t v);
void mig_put_str(MigWriter *w, const char *s); /* at most 255 bytes */
/* Hands what is buffered to the sink; 0 or the first error. */
int mig_writer_flush(MigWriter *w);
void mig_writer_free(MigWriter *w);

typedef struct MigReader {
    /* Bytes read (0: end), or a negative errno; NULL: memory only. */
    ssize_t (*source)(void *opaque, void *buf, size_t len);
    void *opaque;
    const uint8_t *data; /* what is buffered: data[pos..len) */
    size_t pos, len;
    uint8_t *chunk;      /* the source's buffer */
    uint64_t offset;     /* bytes consumed so far */
    bool failed;
    char err[256];
} MigReader;

/* A reader over len bytes at data (not copied). */
void mig_reader_init_mem(MigReader *r, const void *data, size_t len);
/* A reader over a source; -1 when out of memory. */
int mig_reader_init(MigReader *r, ssize_t (*source)(void *, void *, size_t), void *opaque);
void mig_reader_free(MigReader *r);
void mig_get_bytes(MigReader *r, void *p, size_t len);
uint8_t mig_get_u8(MigReader *r);
uint16_t mig_get_u16(MigReader *r);
uint32_t mig_get_u32(MigReader *r);
uint64_t mig_get_u64(MigReader *r);
/* A string into buf (NUL-terminated; longer than size - 1 fails). */
void mig_get_str(MigReader *r, char *buf, size_t size);
/* Fails the reader with a message (the first one stays). */
void mig_reader_fail(MigReader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline bool mig_reader_failed(const MigReader *r)
{
    return r->failed;
}
/* Whether a memory reader has consumed all of its bytes. */
static inline bool mig_reader_at_end(const MigReader *r)
{
    return !r->source && r->pos == r->len;
}

#endif
