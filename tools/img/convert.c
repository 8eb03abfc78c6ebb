/*
 * convert.c — `mimic-img convert`: copy an image (through its backing
 * chain) into a new image of any format mimic-img can create.
 *
 * The one thing to know: the copy is sparse. Ranges the source reports as
 * zero are skipped without being read, and blocks of zeros that were read
 * are not written, so the new image allocates only real data; with -n the
 * target already exists and every block is written. With -c each cluster
 * that shrinks is stored compressed (qcow2). Reader threads fetch up to
 * 2 * -m (default 8) ranges ahead while this thread writes them in order;
 * data that the source stores as it is is not copied into a buffer but
 * written straight from a mapping of the source file (bdrv_map_read).
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/img/img.h"

#define CHUNK (1u << 20)
#define COMPRESS_ITEM 2        /* clusters per item with -c */
#define ZERO_SPAN (1ULL << 30) /* zero ranges are skipped this much at once */
#define MAX_READERS 16         /* qemu-img's limit for -m */
#define READER_THREADS 2       /* reads of one image are serialised by its lock */
#define WRITEBACK_STEP (16ULL << 20) /* bytes written between writeback hints */

/* One range of the source, in order: read by a reader, written by the
 * writer (the thread that called copy()). */
typedef struct Item {
    uint64_t seq, off, len;
    bool zero;  /* reads as zeros: nothing was read */
    bool ready; /* filled, waiting for the writer */
    uint8_t *buf;
    const uint8_t *data; /* the data read: buf, or the source's mapping */
    uint8_t *cbuf;  /* with -c: block k compressed at cbuf + k * block */
    int32_t *clen;  /* with -c: its length; 0 stored plainly, -1 zeros */
} Item;

typedef struct Pipe {
    BlockDriverState *src;
    BlockDriverState *dst; /* compressing: its format compresses */
    bool existing;
    bool compress;  /* ranges must then end on a cluster boundary */
    uint64_t block; /* the destination's cluster size */
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t cond;  /* an item became ready, a slot became free, or the end */
    Item *slots;
    uint64_t n_slots;
    uint64_t next_off, next_seq; /* the next range to hand to a reader */
    uint64_t status_end;         /* the source's status is known up to here */
    bool status_zero;            /* and is this */
    uint64_t consumed;           /* items the writer has finished */
    bool end;                    /* all ranges handed out; next_seq is their count */
    bool failed;
} Pipe;

/* Hands out the next range (under p->lock); false at the end or on error. */
static bool pipe_claim(Pipe *p, uint64_t *seq, uint64_t *off, uint64_t *len, bool *zero)
{
    uint64_t size = p->src->total_size, n;

    if (p->end || p->failed) {
        return false;
    }
    *off = p->next_off;
    if (*off >= p->status_end) {
        /* One status query covers many chunks (SEEK_HOLE is not free). */
        n = size - *off < ZERO_SPAN ? size - *off : ZERO_SPAN;
        if (img_range_is_zero(p->src, *off, &n, &p->status_zero) < 0) {
            p->failed = true;
            pthread_cond_broadcast(&p->cond);
            return false;
        }
        p->status_end = *off + n;
    }
    n = p->status_end - *off;
    *zero = p->status_zero;
    if (p->compress && *off + n < size && ((*off + n) & (p->block - 1))) {
        /* Compressed writes are whole clusters: keep ranges cluster-aligned
         * (a raw source's holes need not be); a cluster that is part hole,
         * part data is read and written as data. */
        uint64_t end = (*off + n) & ~(p->block - 1);
        *zero = *zero && end > *off;
        n = end > *off ? end - *off : size - *off < p->block ? size - *off : p->block;
    }
    if (!*zero || p->existing) {
        /* Compressing: small items, so that a reader that is slow to
         * finish one holds up the in-order writer for less. */
        uint64_t max = p->compress ? COMPRESS_ITEM * p->block
                                   : CHUNK > p->block ? CHUNK : p->block;
        n = n < max ? n : max;
    }
    *len = n;
    *seq = p->next_seq++;
    p->next_off += n;
    p->end = p->next_off >= size;
    if (p->end) {
        pthread_cond_broadcast(&p->cond);
    }
    return true;
}

/* With -c, compresses each non-zero block of a read item, without any
 * lock (bdrv_compress_cluster), so that the reader threads compress in
 * parallel; the writer then only stores the results in order. */
static int compress_item(Pipe *p, Item *it, Error **errp)
{
    for (uint64_t b = 0, k = 0; b < it->len; b += p->block, k++) {
        uint64_t len = it->len - b < p->block ? it->len - b : p->block;
        ssize_t n;

        if (!p->existing && img_buffer_is_zero(it->buf + b, len)) {
            it->clen[k] = -1;
            continue;
        }
        memset(it->buf + b + len, 0, p->block - len);
        n = bdrv_compress_cluster(p->dst, it->buf + b, p->block, it->cbuf + k * p->block,
                                  errp);
        if (n < 0) {
            return (int)n;
        }
        it->clen[k] = (int32_t)n;
    }
    return 0;
}

/* Reads a data item: without a copy when the source stores it as it is
 * (bdrv_map_read), else into the item's buffer. Compressing pads the last
 * cluster in the buffer, so it always reads into the buffer. */
static int read_item(Pipe *p, Item *it, Error **errp)
{
    uint64_t n = it->len;
    const uint8_t *map;
    int ret = p->compress ? 0 : bdrv_map_read(p->src, it->off, &n, &map, errp);

    if (ret > 0 && n == it->len) {
        it->data = map;
        return 0;
    }
    if (ret > 0) {
        bdrv_map_release(p->src, map, n);
    }
    it->data = it->buf;
    return ret < 0 ? ret : bdrv_pread(p->src, it->off, it->buf, it->len, errp);
}

static void *pipe_reader(void *opaque)
{
    Pipe *p = opaque;
    uint64_t seq, off, len;
    bool zero;

    pthread_mutex_lock(&p->lock);
    while (pipe_claim(p, &seq, &off, &len, &zero)) {
        while (seq >= p->consumed + p->n_slots && !p->failed) {
            pthread_cond_wait(&p->cond, &p->lock);
        }
        if (p->failed) {
            break;
        }
        Item *it = &p->slots[seq % p->n_slots];
        it->seq = seq;
        it->off = off;
        it->len = len;
        it->zero = zero;
        pthread_mutex_unlock(&p->lock);

        Error *err = NULL;
        int ret = zero ? 0 : read_item(p, it, &err);

        if (ret == 0 && p->compress && !zero) {
            ret = compress_item(p, it, &err);
        }

        pthread_mutex_lock(&p->lock);
        if (ret < 0 && !p->failed) {
            img_report(err); /* the first failure only: the others follow from it */
            err = NULL;
        }
        error_free(err);
        p->failed |= ret < 0;
        it->ready = true;
        pthread_cond_broadcast(&p->cond);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* Writes one item to dst: skips zero blocks (unless existing), writes runs
 * of blocks as one request, or each block compressed (compressed by the
 * reader already). */
static int write_item(BlockDriverState *dst, Item *it, bool existing, bool compress,
                      uint64_t block)
{
    const uint8_t *buf = it->zero ? it->buf : it->data;
    uint64_t n = it->len, run = 0;
    Error *err = NULL;
    int ret = 0;

    if (it->zero && !existing) {
        return 0;
    }
    if (it->zero) {
        memset(it->buf, 0, n);
    }
    for (uint64_t b = 0, k = 0; b < n && ret == 0; b += block, k++) {
        uint64_t len = n - b < block ? n - b : block;
        bool write = compress ? it->clen[k] >= 0 : existing || !img_buffer_is_zero(buf + b, len);
        if (compress && write && it->clen[k] > 0) {
            if (run < b) {
                ret = bdrv_pwrite(dst, it->off + run, buf + run, b - run, &err);
            }
            if (ret == 0) {
                ret = bdrv_pwrite_compressed_data(dst, it->off + b, it->cbuf + k * block,
                                                  (size_t)it->clen[k], block, &err);
            }
            run = b + block;
        } else if (!write) {
            if (run < b) {
                ret = bdrv_pwrite(dst, it->off + run, buf + run, b - run, &err);
            }
            run = b + block;
        }
    }
    if (ret == 0 && run < n) {
        ret = bdrv_pwrite(dst, it->off + run, buf + run, n - run, &err);
    }
    if (ret < 0) {
        img_report(err);
    }
    return ret;
}

/* The writer: takes the items in order until the end or an error. */
static int pipe_write(Pipe *p, BlockDriverState *dst, bool progress, bool compress,
                      uint64_t block)
{
    uint64_t size = p->src->total_size, unsynced = 0;
    int ret = 0;

    for (uint64_t seq = 0;; seq++) {
        Item *it = &p->slots[seq % p->n_slots];

        pthread_mutex_lock(&p->lock);
        while (!(it->ready && it->seq == seq) && !p->failed && !(p->end && seq >= p->next_seq)) {
            pthread_cond_wait(&p->cond, &p->lock);
        }
        bool stop = p->failed || !(it->ready && it->seq == seq);
        ret = p->failed ? -1 : 0;
        pthread_mutex_unlock(&p->lock);
        if (stop) {
            break;
        }
        ret = write_item(dst, it, p->existing, compress, block);
        if (!it->zero && it->data != it->buf) {
            bdrv_map_release(p->src, it->data, it->len);
        }
        pthread_mutex_lock(&p->lock);
        it->ready = false;
        p->consumed = seq + 1;
        p->failed |= ret < 0;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
        if (ret < 0) {
            break;
        }
        /* On a disk, the final flush would otherwise wait for all of it. */
        unsynced += it->zero && !p->existing ? 0 : it->len;
        if (unsynced >= WRITEBACK_STEP) {
            bdrv_start_writeback(dst);
            unsynced = 0;
        }
        if (progress) {
            img_progress((it->off + it->len) * 100.0 / size, false);
        }
    }
    return ret;
}

/* Copies src to dst while this thread writes in order: reader threads
 * fill up to 2 * `readers` buffers ahead. */
static int copy(BlockDriverState *src, BlockDriverState *dst, bool existing, bool progress,
                bool compress, uint64_t block, int readers)
{
    Pipe p = { .src = src, .dst = dst, .existing = existing, .compress = compress,
               .block = block, .end = src->total_size == 0 };
    pthread_t threads[MAX_READERS];
    /* Readers also compress: then -m of them, as qemu-img compresses on
     * -m coroutines through its thread pool. */
    int want = compress ? MAX_READERS : READER_THREADS;
    int started = 0, ret = -1, n_threads = readers < want ? readers : want;

    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.cond, NULL);
    p.n_slots = (compress ? 8 : 2) * (uint64_t)readers;
    p.slots = calloc(p.n_slots, sizeof(*p.slots));
    bool ok = p.slots != NULL;
    for (uint64_t i = 0; ok && i < p.n_slots; i++) {
        /* Room for a zero-padded last cluster when compressing. */
        p.slots[i].buf = malloc(CHUNK + block);
        ok = p.slots[i].buf != NULL;
        if (ok && compress) {
            p.slots[i].cbuf = malloc(CHUNK + block);
            p.slots[i].clen = calloc(CHUNK / block + 2, sizeof(int32_t));
            ok = p.slots[i].cbuf && p.slots[i].clen;
        }
    }
    if (!ok) {
        img_error("out of memory");
        goto out;
    }
    if (progress) {
        img_progress(0.0, false);
    }
    for (; started < n_threads; started++) {
        if (pthread_create(&threads[started], NULL, pipe_reader, &p)) {
            break;
        }
    }
    if (started == 0) {
        img_error("could not start reader threads");
        goto out;
    }
    ret = pipe_write(&p, dst, progress, compress, block);
    pthread_mutex_lock(&p.lock);
    p.failed |= ret < 0;
    pthread_cond_broadcast(&p.cond);
    pthread_mutex_unlock(&p.lock);
    for (int i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
    }
    if (progress && ret == 0) {
        img_progress(100.0, true);
    }
out:
    for (uint64_t i = 0; p.slots && i < p.n_slots; i++) {
        free(p.slots[i].buf);
        free(p.slots[i].cbuf);
        free(p.slots[i].clen);
    }
    free(p.slots);
    pthread_cond_destroy(&p.cond);
    pthread_mutex_destroy(&p.lock);
    return ret;
}

/* Whether mode is one of qemu's cache modes (-t, -T). */
static bool cache_mode_valid(const char *mode)
{
    static const char *const modes[] = { "none", "writeback", "writethrough", "directsync",
                                         "unsafe" };
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        if (!strcmp(mode, modes[i])) {
            return true;
        }
    }
    return false;
}

int img_convert(int argc, char **argv)
{
    const char *fmt = NULL, *out_fmt = "raw", *ospec = NULL;
    char *spec = NULL; /* the -o values point into it */
    bool existing = false, progress = false, compress = false;
    BlockDriverState *src, *dst;
    BlockCreateOptions o = { 0 };
    BlockInfo info;
    Error *err = NULL;
    int c, ret, readers = 8;
    /* -t: qemu-img convert's default is unsafe, no flush at all (a crash
     * leaves a half-written output either way); any other mode keeps the
     * write-ordering flushes and flushes at the end. The source is only
     * read, so -T is checked and needs nothing. */
    const char *cache = "unsafe";

    while ((c = getopt(argc, argv, "f:O:o:cnpqUm:Wt:T:")) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 'O':
            out_fmt = optarg;
            break;
        case 'o':
            ospec = optarg;
            break;
        case 'n':
            existing = true;
            break;
        case 'c':
            compress = true;
            break;
        case 'p':
            progress = true;
            break;
        case 'm': {
            char *end;
            long m = strtol(optarg, &end, 10);
            if (*end || !*optarg || m < 1 || m > MAX_READERS) {
                img_error("Invalid number of coroutines. Allowed number of coroutines is "
                          "between 1 and %d (option -m)",
                          MAX_READERS);
                return 1;
            }
            readers = (int)m;
            break;
        }
        case 't':
            cache = optarg;
            if (!cache_mode_valid(cache)) {
                img_error("Invalid cache option: %s", cache);
                return 1;
            }
            break;
        case 'T':
            if (!cache_mode_valid(optarg)) {
                img_error("Invalid source cache option: %s", optarg);
                return 1;
            }
            break;
        case 'q':
        case 'U':
        case 'W': /* out-of-order writes allowed: ours are in order anyway */
            break;
        default:
            return 1;
        }
    }
    if (optind != argc - 2) {
        img_error("Expecting a source and a target file name");
        return 1;
    }
    if (!bdrv_find_format(out_fmt)) {
        img_error("Unknown file format '%s' (option -O)", out_fmt);
        return 1;
    }
    if (ospec) {
        spec = strdup(ospec);
        if (!spec) {
            img_error("out of memory");
            return 1;
        }
        for (char *save = NULL, *kv = strtok_r(spec, ",", &save); kv;
             kv = strtok_r(NULL, ",", &save)) {
            if (!strncmp(kv, "cluster_size=", 13) &&
                img_parse_size(kv + 13, &o.cluster_size) == 0) {
                continue;
            }
            if (!strcmp(kv, "compat=0.10") || !strcmp(kv, "compat=1.1")) {
                o.qcow2_version = kv[7] == '0' ? 2 : 3;
                continue;
            }
            if (!strcmp(kv, "extended_l2=on") || !strcmp(kv, "extended_l2=off")) {
                o.extended_l2 = !strcmp(kv + 12, "on");
                continue;
            }
            if (!strcmp(kv, "compression_type=zlib") || !strcmp(kv, "compression_type=zstd")) {
                o.compression_type = !strcmp(kv + 17, "zstd");
                continue;
            }
            if (!strncmp(kv, "subformat=", 10) && kv[10]) {
                o.subformat = kv + 10;
                continue;
            }
            if (!strcmp(kv, "static=on") || !strcmp(kv, "static=off")) {
                o.subformat = kv[8] == 'n' ? "static" : NULL;
                continue;
            }
            img_error("%s: Invalid parameter '%s' (option -o)", argv[optind + 1], kv);
            free(spec);
            return 1;
        }
    }
    if (img_check_subformat(out_fmt, &o, argv[optind + 1]) < 0) {
        free(spec);
        return 1;
    }
    src = img_open(argv[optind], fmt, 0);
    if (!src) {
        free(spec);
        return 1;
    }
    o.size = src->total_size;
    if (!existing && bdrv_create(out_fmt, argv[optind + 1], &o, &err) < 0) {
        img_report(err);
        bdrv_close(src, NULL);
        free(spec);
        return 1;
    }
    free(spec);
    dst = img_open(argv[optind + 1], out_fmt,
                   BDRV_O_RDWR | BDRV_O_NO_BACKING |
                       (strcmp(cache, "unsafe") ? 0 : BDRV_O_NO_FLUSH));
    if (!dst) {
        bdrv_close(src, NULL);
        return 1;
    }
    if (existing && dst->total_size < src->total_size) {
        img_error("%s: target image is smaller than the source", argv[optind + 1]);
        ret = -1;
    } else if (bdrv_get_info(dst, &info, &err) < 0) {
        img_report(err);
        ret = -1;
    } else {
        ret = copy(src, dst, existing, progress, compress,
                   info.cluster_size ? info.cluster_size : 65536, readers);
    }
    if (bdrv_close(dst, &err) < 0) {
        img_report(err);
        ret = -1;
    }
    bdrv_close(src, NULL);
    return ret < 0 ? 1 : 0;
}
