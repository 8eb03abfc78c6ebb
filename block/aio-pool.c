/*
 * aio-pool.c — asynchronous block requests: a pool of worker threads runs
 * bdrv_* requests (read/write with an iovec, flush, discard) and hands the
 * completions back to the thread that owns the context.
 *
 * The one thing to know: callbacks never run on a worker. A finished
 * request is queued and the context's eventfd becomes readable; the owner
 * (a device's event loop, mimic-img bench) runs the callbacks with
 * bdrv_aio_poll(), or waits for everything with bdrv_aio_drain(). Requests
 * in flight overlap in the drivers as far as each driver allows (raw and
 * qcow2 do their data I/O without the image lock; the generic layer keeps
 * overlapping requests in order of arrival at the driver, not of
 * submission).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "mimic/block.h"

#define AIO_MAX_THREADS 64

typedef struct AioReq {
    BlockAioRequest r;
    struct iovec *iov; /* a copy of the caller's array (not of the data) */
    int ret;
    Error *err;
    struct AioReq *next;
} AioReq;

struct BlockAioContext {
    pthread_mutex_t lock;
    pthread_cond_t work;     /* a request was queued, or stop */
    pthread_cond_t done_cv;  /* a request finished */
    AioReq *queue, **queue_tail;
    AioReq *done, **done_tail;
    uint64_t pending;        /* submitted, callback not run yet */
    bool stop;
    int efd;
    int n_threads;
    pthread_t threads[AIO_MAX_THREADS];
};

static uint64_t iov_len(const struct iovec *iov, int niov)
{
    uint64_t n = 0;

    for (int i = 0; i < niov; i++) {
        n += iov[i].iov_len;
    }
    return n;
}

/* Runs one request synchronously on the calling worker. A vector of
 * several buffers goes through one bounce buffer, so that the driver sees
 * one request (one run of clusters) rather than one per piece. */
static int aio_execute(AioReq *q, Error **errp)
{
    BlockAioRequest *r = &q->r;
    uint64_t len = iov_len(q->iov, r->niov), done = 0;
    uint8_t *bounce;
    int ret;

    switch (r->op) {
    case BDRV_AIO_FLUSH:
        return bdrv_flush(r->bs, errp);
    case BDRV_AIO_DISCARD:
        return bdrv_discard(r->bs, r->offset, r->len, errp);
    case BDRV_AIO_READ:
    case BDRV_AIO_WRITE:
        break;
    default:
        return error_setg(errp, -EINVAL, "'%s': unknown asynchronous request %d",
                          r->bs->filename, r->op);
    }
    if (r->niov == 1) {
        return r->op == BDRV_AIO_READ
                   ? bdrv_pread(r->bs, r->offset, q->iov[0].iov_base, len, errp)
                   : bdrv_pwrite(r->bs, r->offset, q->iov[0].iov_base, len, errp);
    }
    bounce = malloc(len ? len : 1);
    if (!bounce) {
        return error_setg(errp, -ENOMEM, "'%s': out of memory for a request of %llu bytes",
                          r->bs->filename, (unsigned long long)len);
    }
    if (r->op == BDRV_AIO_WRITE) {
        for (int i = 0; i < r->niov; done += q->iov[i].iov_len, i++) {
            memcpy(bounce + done, q->iov[i].iov_base, q->iov[i].iov_len);
        }
        ret = bdrv_pwrite(r->bs, r->offset, bounce, len, errp);
    } else {
        ret = bdrv_pread(r->bs, r->offset, bounce, len, errp);
        for (int i = 0; ret == 0 && i < r->niov; done += q->iov[i].iov_len, i++) {
            memcpy(q->iov[i].iov_base, bounce + done, q->iov[i].iov_len);
        }
    }
    free(bounce);
    return ret;
}

static void *aio_worker(void *opaque)
{
    BlockAioContext *ctx = opaque;
    const uint64_t one = 1;

    pthread_mutex_lock(&ctx->lock);
    for (;;) {
        while (!ctx->queue && !ctx->stop) {
            pthread_cond_wait(&ctx->work, &ctx->lock);
        }
        if (!ctx->queue) {
            break; /* stop, and nothing left to do */
        }
        AioReq *q = ctx->queue;
        ctx->queue = q->next;
        if (!ctx->queue) {
            ctx->queue_tail = &ctx->queue;
        }
        pthread_mutex_unlock(&ctx->lock);

        q->err = NULL;
        q->ret = aio_execute(q, &q->err);

        pthread_mutex_lock(&ctx->lock);
        q->next = NULL;
        /* The eventfd is readable exactly while the done list is not
         * empty (take_done empties both): only the first one signals. */
        if (!ctx->done && write(ctx->efd, &one, sizeof(one)) < 0) {
            /* cannot fail short of overflow; the waiter also wakes on done_cv */
        }
        *ctx->done_tail = q;
        ctx->done_tail = &q->next;
        pthread_cond_broadcast(&ctx->done_cv);
    }
    pthread_mutex_unlock(&ctx->lock);
    return NULL;
}

int bdrv_aio_context_new(BlockAioContext **pctx, int threads, Error **errp)
{
    BlockAioContext *ctx;

    *pctx = NULL;
    if (threads < 1 || threads > AIO_MAX_THREADS) {
        return error_setg(errp, -EINVAL, "asynchronous I/O: %d threads (1..%d)", threads,
                          AIO_MAX_THREADS);
    }
    ctx = calloc(1, sizeof(*ctx));
    if (!ctx) {
        return error_setg(errp, -ENOMEM, "asynchronous I/O: out of memory");
    }
    ctx->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (ctx->efd < 0) {
        int ret = -errno;
        free(ctx);
        return error_setg(errp, ret, "asynchronous I/O: eventfd: %s", strerror(-ret));
    }
    pthread_mutex_init(&ctx->lock, NULL);
    pthread_cond_init(&ctx->work, NULL);
    pthread_cond_init(&ctx->done_cv, NULL);
    ctx->queue_tail = &ctx->queue;
    ctx->done_tail = &ctx->done;
    for (; ctx->n_threads < threads; ctx->n_threads++) {
        if (pthread_create(&ctx->threads[ctx->n_threads], NULL, aio_worker, ctx)) {
            break;
        }
    }
    if (ctx->n_threads == 0) {
        bdrv_aio_context_free(ctx);
        return error_setg(errp, -EAGAIN, "asynchronous I/O: could not start a thread");
    }
    *pctx = ctx;
    return 0;
}

void bdrv_aio_context_free(BlockAioContext *ctx)
{
    if (!ctx) {
        return;
    }
    bdrv_aio_drain(ctx);
    pthread_mutex_lock(&ctx->lock);
    ctx->stop = true;
    pthread_cond_broadcast(&ctx->work);
    pthread_mutex_unlock(&ctx->lock);
    for (int i = 0; i < ctx->n_threads; i++) {
        pthread_join(ctx->threads[i], NULL);
    }
    close(ctx->efd);
    pthread_cond_destroy(&ctx->done_cv);
    pthread_cond_destroy(&ctx->work);
    pthread_mutex_destroy(&ctx->lock);
    free(ctx);
}

int bdrv_aio_fd(const BlockAioContext *ctx)
{
    return ctx->efd;
}

uint64_t bdrv_aio_pending(BlockAioContext *ctx)
{
    uint64_t n;

    pthread_mutex_lock(&ctx->lock);
    n = ctx->pending;
    pthread_mutex_unlock(&ctx->lock);
    return n;
}

int bdrv_aio_submit(BlockAioContext *ctx, const BlockAioRequest *r, Error **errp)
{
    AioReq *q;

    if (!r->bs || !r->cb || r->niov < 0 || (r->niov && !r->iov) ||
        ((r->op == BDRV_AIO_READ || r->op == BDRV_AIO_WRITE) && r->niov < 1)) {
        return error_setg(errp, -EINVAL, "asynchronous I/O: malformed request");
    }
    q = calloc(1, sizeof(*q));
    if (q && r->niov) {
        q->iov = malloc(sizeof(*q->iov) * (size_t)r->niov);
    }
    if (!q || (r->niov && !q->iov)) {
        free(q);
        return error_setg(errp, -ENOMEM, "asynchronous I/O: out of memory");
    }
    q->r = *r;
    if (r->niov) {
        memcpy(q->iov, r->iov, sizeof(*q->iov) * (size_t)r->niov);
    }
    pthread_mutex_lock(&ctx->lock);
    ctx->pending++;
    *ctx->queue_tail = q;
    ctx->queue_tail = &q->next;
    pthread_cond_signal(&ctx->work);
    pthread_mutex_unlock(&ctx->lock);
    return 0;
}

/* Takes the finished requests (under ctx->lock). */
static AioReq *take_done(BlockAioContext *ctx)
{
    AioReq *list = ctx->done;
    uint64_t v;

    ctx->done = NULL;
    ctx->done_tail = &ctx->done;
    if (read(ctx->efd, &v, sizeof(v)) < 0) {
        /* EAGAIN: nothing signalled since the last read */
    }
    return list;
}

/* Runs the callbacks of list in completion order; returns how many. */
static int run_callbacks(BlockAioContext *ctx, AioReq *list)
{
    int n = 0;

    while (list) {
        AioReq *q = list;
        list = q->next;
        q->r.cb(q->r.opaque, q->ret, q->err); /* the callback owns q->err */
        free(q->iov);
        free(q);
        n++;
    }
    if (n) {
        pthread_mutex_lock(&ctx->lock);
        ctx->pending -= (uint64_t)n;
        pthread_mutex_unlock(&ctx->lock);
    }
    return n;
}

int bdrv_aio_poll(BlockAioContext *ctx)
{
    AioReq *list;

    pthread_mutex_lock(&ctx->lock);
    list = take_done(ctx);
    pthread_mutex_unlock(&ctx->lock);
    return run_callbacks(ctx, list);
}

int bdrv_aio_wait(BlockAioContext *ctx)
{
    AioReq *list;

    pthread_mutex_lock(&ctx->lock);
    while (!ctx->done && ctx->pending) {
        pthread_cond_wait(&ctx->done_cv, &ctx->lock);
    }
    list = take_done(ctx);
    pthread_mutex_unlock(&ctx->lock);
    return run_callbacks(ctx, list);
}

void bdrv_aio_drain(BlockAioContext *ctx)
{
    while (bdrv_aio_pending(ctx)) {
        bdrv_aio_wait(ctx);
    }
}
