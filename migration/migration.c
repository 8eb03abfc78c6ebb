/*
 * migration.c — the migration threads: the source sends every RAM page,
 * then in rounds the pages the guest dirtied meanwhile (exec/dirty-log.c),
 * until what remains would go within the downtime limit at the measured
 * bandwidth; then it stops the machine, sends the rest and the devices,
 * and stays stopped. The destination loads the stream and starts.
 *
 * The one thing to know: a failure at any point on the source (connection
 * broken, cancel) stops dirty tracking and leaves the machine running as
 * it was; the destination checks all of the stream (migration/vmstate.c)
 * and reports a bad one through incoming_done, the machine never started.
 * `mig.lock` guards the status and counters; the machine lock is taken
 * only around device access, the stop and the events.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mimic/softmmu.h"
#include "migration/channel.h"
#include "migration/migration.h"

#define MAX_ROUNDS 30

typedef enum MigStatus {
    MIG_NONE, MIG_SETUP, MIG_ACTIVE, MIG_COMPLETED, MIG_FAILED, MIG_CANCELLING, MIG_CANCELLED,
} MigStatus;

static const char *const status_names[] = {
    NULL, "setup", "active", "completed", "failed", "cancelling", "cancelled",
};

static struct {
    MigrationHost host;
    pthread_mutex_t lock;
    MigStatus status;
    bool incoming;
    char uri[1024];
    pthread_t thread;
    bool thread_live;
    MigChannel ch;
    bool cancel;
    uint64_t downtime_limit_ms;
    int64_t start_ns, setup_ns, end_ns;
    uint64_t downtime_ms, expected_downtime_ms;
    uint64_t transferred, remaining, total, duplicate, normal, syncs, dirty_rate;
    double mbps;
    char error[256];
} mig = { .lock = PTHREAD_MUTEX_INITIALIZER, .downtime_limit_ms = MIG_DEFAULT_DOWNTIME_MS,
          .ch = { .fd = -1, .listen_fd = -1 } };

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void migration_init(const MigrationHost *host)
{
    mig.host = *host;
}

/* Machine lock held. */
static void set_status(MigStatus s)
{
    pthread_mutex_lock(&mig.lock);
    mig.status = s;
    pthread_mutex_unlock(&mig.lock);
    mig.host.event(status_names[s]);
}

static void set_status_locking(MigStatus s)
{
    mig.host.lock(mig.host.opaque);
    set_status(s);
    mig.host.unlock(mig.host.opaque);
}

static bool cancelled(void)
{
    return __atomic_load_n(&mig.cancel, __ATOMIC_ACQUIRE);
}

static int channel_sink(void *opaque, const void *buf, size_t len)
{
    int r = mig_channel_write(opaque, buf, len);
    if (r == 0) {
        pthread_mutex_lock(&mig.lock);
        mig.transferred += len;
        pthread_mutex_unlock(&mig.lock);
    }
    return r;
}

static uint64_t count_bits(const uint64_t *bitmap, uint64_t words)
{
    uint64_t n = 0;
    for (uint64_t i = 0; i < words; i++) {
        n += (uint64_t)__builtin_popcountll(bitmap[i]);
    }
    return n;
}

/* Sends (and clears) every page set in bitmap; -1 on error or cancel. */
static int send_dirty(const MigMachine *mm, MigWriter *w, uint64_t *bitmap, uint64_t words)
{
    uint64_t left = count_bits(bitmap, words);
    for (uint64_t i = 0; i < words; i++) {
        while (bitmap[i]) {
            unsigned b = (unsigned)__builtin_ctzll(bitmap[i]);
            bitmap[i] &= bitmap[i] - 1;
            uint64_t before = w->total;
            mig_save_page(mm, w, (i * 64 + b) * MIG_PAGE_SIZE);
            bool zero = w->total - before < MIG_PAGE_SIZE;
            pthread_mutex_lock(&mig.lock);
            mig.duplicate += zero;
            mig.normal += !zero;
            mig.remaining = --left * MIG_PAGE_SIZE;
            pthread_mutex_unlock(&mig.lock);
            if (w->error || ((left & 255) == 0 && cancelled())) {
                return -1;
            }
        }
    }
    return mig_writer_flush(w) < 0 || cancelled() ? -1 : 0;
}

/* The last round with the machine stopped (lock held). */
static int stop_and_copy(MigMachine *mm, MigWriter *w, uint64_t *bitmap, uint64_t words)
{
    int64_t t0 = now_ns();
    bool was_running = mig.host.stop(mig.host.opaque);
    exec_dirty_log_sync(bitmap);
    pthread_mutex_lock(&mig.lock);
    mig.syncs++;
    pthread_mutex_unlock(&mig.lock);
    int r = send_dirty(mm, w, bitmap, words);
    if (r == 0) {
        mig_save_devices(mm, w);
        r = mig_writer_flush(w) < 0 ? -1 : 0;
    }
    exec_dirty_log_stop();
    if (r < 0) {
        if (was_running) {
            mig.host.resume(mig.host.opaque);
        }
        return -1;
    }
    pthread_mutex_lock(&mig.lock);
    mig.downtime_ms = (uint64_t)(now_ns() - t0) / 1000000;
    pthread_mutex_unlock(&mig.lock);
    mig.host.source_done(mig.host.opaque);
    return 0;
}

static int run_outgoing(MigWriter *w, char *err, size_t errlen)
{
    MigMachine mm;
    mig.host.lock(mig.host.opaque);
    mig.host.describe(mig.host.opaque, &mm);
    int r = mig_check_savable(&mm, err, errlen);
    mig.host.unlock(mig.host.opaque);
    pthread_mutex_lock(&mig.lock);
    mig.total = mm.ram_size;
    pthread_mutex_unlock(&mig.lock);
    uint64_t npages = mm.ram_size / MIG_PAGE_SIZE, words = (npages + 63) / 64;
    uint64_t *bitmap = r < 0 ? NULL : malloc(words * sizeof(uint64_t));
    if (r < 0 || !bitmap || exec_dirty_log_start(mig.host.ram_base, mm.ram_size) < 0) {
        if (r == 0) {
            snprintf(err, errlen, "out of memory for the dirty bitmap");
        }
        free(bitmap);
        return -1;
    }
    memset(bitmap, 0xff, words * sizeof(uint64_t));
    if (npages % 64) {
        bitmap[words - 1] = (1ull << (npages % 64)) - 1;
    }
    pthread_mutex_lock(&mig.lock);
    mig.setup_ns = now_ns() - mig.start_ns;
    pthread_mutex_unlock(&mig.lock);
    set_status_locking(MIG_ACTIVE);
    mig_save_header(&mm, w);
    for (unsigned round = 0; r == 0; round++) {
        int64_t t0 = now_ns();
        uint64_t sent = w->total;
        r = send_dirty(&mm, w, bitmap, words);
        if (r < 0) {
            break;
        }
        double ms = (double)(now_ns() - t0) / 1e6 + 0.001;
        double bytes_per_ms = (double)(w->total - sent) / ms;
        uint64_t dirty = exec_dirty_log_sync(bitmap);
        uint64_t remaining = count_bits(bitmap, words) * MIG_PAGE_SIZE;
        uint64_t expected = (uint64_t)((double)remaining / (bytes_per_ms + 1));
        pthread_mutex_lock(&mig.lock);
        mig.syncs++;
        mig.remaining = remaining;
        mig.mbps = bytes_per_ms * 8 * 1000 / 1e6;
        mig.dirty_rate = (uint64_t)((double)dirty * 1000 / ms);
        mig.expected_downtime_ms = expected;
        uint64_t limit = mig.downtime_limit_ms;
        pthread_mutex_unlock(&mig.lock);
        if (expected <= limit || round + 1 >= MAX_ROUNDS) {
            mig.host.lock(mig.host.opaque);
            r = stop_and_copy(&mm, w, bitmap, words);
            mig.host.unlock(mig.host.opaque);
            break;
        }
    }
    exec_dirty_log_stop();
    free(bitmap);
    if (r < 0 && !err[0]) {
        snprintf(err, errlen, "%s", w->error ? strerror(-w->error) : "cancelled");
    }
    return r;
}

static void finish_thread(int r, const char *err)
{
    mig.host.lock(mig.host.opaque);
    pthread_mutex_lock(&mig.lock);
    MigStatus s = r == 0 ? MIG_COMPLETED : mig.cancel ? MIG_CANCELLED : MIG_FAILED;
    snprintf(mig.error, sizeof(mig.error), "%s", r == 0 ? "" : err);
    mig.end_ns = now_ns();
    mig_channel_close(&mig.ch);
    pthread_mutex_unlock(&mig.lock);
    set_status(s);
    if (mig.incoming && s != MIG_CANCELLED) { /* cancelled: mimic is exiting */
        mig.incoming = false;
        mig.host.incoming_done(mig.host.opaque, r == 0, err);
    }
    mig.host.unlock(mig.host.opaque);
}

static void block_sigpipe(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void *outgoing_thread(void *arg)
{
    char err[256] = "";
    MigChannel ch;
    block_sigpipe();
    int r = mig_channel_connect(mig.uri, &ch, err, sizeof(err));
    if (r == 0) {
        pthread_mutex_lock(&mig.lock);
        mig.ch = ch;
        if (mig.cancel) {
            mig_channel_shutdown(&mig.ch);
        }
        pthread_mutex_unlock(&mig.lock);
        MigWriter w;
        mig_writer_init(&w, channel_sink, &mig.ch);
        r = run_outgoing(&w, err, sizeof(err));
        mig_writer_free(&w);
    }
    finish_thread(r, err);
    return NULL;
}

static ssize_t channel_source(void *opaque, void *buf, size_t len)
{
    ssize_t n = mig_channel_read(opaque, buf, len);
    if (n > 0) {
        pthread_mutex_lock(&mig.lock);
        mig.transferred += (uint64_t)n;
        pthread_mutex_unlock(&mig.lock);
    }
    return n;
}

static void *incoming_thread(void *arg)
{
    char err[512] = "";
    block_sigpipe();
    int r = mig_channel_accept(&mig.ch, err, sizeof(err));
    if (r == 0) {
        MigMachine mm;
        MigReader rd;
        set_status_locking(MIG_ACTIVE);
        mig.host.lock(mig.host.opaque);
        mig.host.describe(mig.host.opaque, &mm);
        mig.host.unlock(mig.host.opaque);
        pthread_mutex_lock(&mig.lock);
        mig.total = mm.ram_size;
        pthread_mutex_unlock(&mig.lock);
        mm.lock = mig.host.lock;
        mm.unlock = mig.host.unlock;
        mm.lock_opaque = mig.host.opaque;
        r = mig_reader_init(&rd, channel_source, &mig.ch);
        r = r < 0 ? r : mig_load(&mm, &rd, true, err, sizeof(err));
        mig_reader_free(&rd);
    }
    finish_thread(r, err);
    return NULL;
}

static int start_thread(void *(*fn)(void *), char *err, size_t errlen)
{
    if (mig.thread_live) {
        pthread_join(mig.thread, NULL); /* the last one has finished */
        mig.thread_live = false;
    }
    mig.cancel = false;
    mig.start_ns = now_ns();
    mig.setup_ns = mig.end_ns = 0;
    mig.downtime_ms = mig.expected_downtime_ms = 0;
    mig.transferred = mig.remaining = mig.total = mig.duplicate = mig.normal = mig.syncs = 0;
    mig.dirty_rate = 0;
    mig.mbps = 0;
    mig.error[0] = '\0';
    if (pthread_create(&mig.thread, NULL, fn, NULL)) {
        snprintf(err, errlen, "cannot start the migration thread");
        return -1;
    }
    mig.thread_live = true;
    return 0;
}

static bool busy(char *err, size_t errlen)
{
    pthread_mutex_lock(&mig.lock);
    bool b = mig.status == MIG_SETUP || mig.status == MIG_ACTIVE ||
             mig.status == MIG_CANCELLING;
    pthread_mutex_unlock(&mig.lock);
    if (b) {
        snprintf(err, errlen, "There's a migration process in progress");
    }
    return b;
}

int migration_check_idle(char *err, size_t errlen)
{
    return busy(err, errlen) ? -1 : 0;
}

int migration_start(const char *uri, char *err, size_t errlen)
{
    if (busy(err, errlen)) {
        return -1;
    }
    if (mig.incoming) {
        snprintf(err, errlen, "Guest is waiting for an incoming migration");
        return -1;
    }
    snprintf(mig.uri, sizeof(mig.uri), "%s", uri);
    set_status(MIG_SETUP);
    if (start_thread(outgoing_thread, err, errlen) < 0) {
        set_status(MIG_FAILED);
        return -1;
    }
    return 0;
}

int migration_incoming(const char *uri, char *err, size_t errlen)
{
    if (busy(err, errlen)) {
        return -1;
    }
    if (mig_channel_listen(uri, &mig.ch, err, errlen) < 0) {
        return -1;
    }
    mig.incoming = true;
    set_status(MIG_SETUP);
    if (start_thread(incoming_thread, err, errlen) < 0) {
        mig_channel_close(&mig.ch);
        set_status(MIG_FAILED);
        return -1;
    }
    return 0;
}

void migration_cancel(void)
{
    pthread_mutex_lock(&mig.lock);
    bool running = mig.status == MIG_SETUP || mig.status == MIG_ACTIVE;
    if (running) {
        __atomic_store_n(&mig.cancel, true, __ATOMIC_RELEASE);
        mig_channel_shutdown(&mig.ch);
        mig.status = MIG_CANCELLING;
    }
    pthread_mutex_unlock(&mig.lock);
    if (running) {
        mig.host.event(status_names[MIG_CANCELLING]);
    }
}

void migration_query(MonMigrateInfo *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&mig.lock);
    out->status = status_names[mig.status];
    int64_t end = mig.end_ns ? mig.end_ns : now_ns();
    out->total_time_ms = (end - mig.start_ns) / 1000000;
    out->setup_time_ms = mig.setup_ns / 1000000;
    out->downtime_ms = (int64_t)mig.downtime_ms;
    out->expected_downtime_ms = (int64_t)mig.expected_downtime_ms;
    out->transferred = mig.transferred;
    out->remaining = mig.status == MIG_COMPLETED ? 0 : mig.remaining;
    out->total = mig.total;
    out->duplicate = mig.duplicate;
    out->normal = mig.normal;
    out->normal_bytes = mig.normal * MIG_PAGE_SIZE;
    out->dirty_sync_count = mig.syncs;
    out->dirty_pages_rate = mig.dirty_rate;
    out->mbps = mig.mbps;
    snprintf(out->error, sizeof(out->error), "%s", mig.error);
    pthread_mutex_unlock(&mig.lock);
}

int migration_set_downtime(uint64_t ms, char *err, size_t errlen)
{
    if (ms > 2000000) {
        snprintf(err, errlen, "Parameter 'downtime_limit' expects an integer in the range "
                 "of 0 to 2000 seconds");
        return -1;
    }
    pthread_mutex_lock(&mig.lock);
    mig.downtime_limit_ms = ms;
    pthread_mutex_unlock(&mig.lock);
    return 0;
}

void migration_finish(void)
{
    pthread_mutex_lock(&mig.lock);
    if (mig.status == MIG_SETUP || mig.status == MIG_ACTIVE) {
        __atomic_store_n(&mig.cancel, true, __ATOMIC_RELEASE);
        mig_channel_shutdown(&mig.ch);
    }
    pthread_mutex_unlock(&mig.lock);
    if (mig.thread_live) {
        pthread_join(mig.thread, NULL);
        mig.thread_live = false;
    }
}
