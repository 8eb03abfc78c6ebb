/*
 * qcow2-cache.c — a small write-back cache of cluster-sized metadata
 * tables: one instance for L2 tables, one for refcount blocks.
 *
 * The one thing to know: evicting a dirty L2 table first runs a full
 * qcow2_barrier() (refcounts and data reach the disk before the L2 table
 * that points at them); a dirty refcount block may be written at any time,
 * because refcounts only ever run ahead of the L2 tables.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"

int qcow2_cache_init(Qcow2Cache *c, int n, uint64_t cluster_size, bool is_l2)
{
    memset(c, 0, sizeof(*c));
    c->n = n;
    c->is_l2 = is_l2;
    c->cluster_size = cluster_size;
    c->offsets = calloc((size_t)n, sizeof(*c->offsets));
    c->used = calloc((size_t)n, sizeof(*c->used));
    c->dirty = calloc((size_t)n, sizeof(*c->dirty));
    c->data = malloc((size_t)n * cluster_size);
    if (!c->offsets || !c->used || !c->dirty || !c->data) {
        qcow2_cache_destroy(c);
        return -ENOMEM;
    }
    return 0;
}

void qcow2_cache_destroy(Qcow2Cache *c)
{
    free(c->offsets);
    free(c->used);
    free(c->dirty);
    free(c->data);
    memset(c, 0, sizeof(*c));
}

static uint8_t *slot_data(Qcow2State *s, Qcow2Cache *c, int i)
{
    return c->data + (size_t)i * s->cluster_size;
}

static int write_slot(Qcow2State *s, Qcow2Cache *c, int i, Error **errp)
{
    int ret;

    if (!c->dirty[i]) {
        return 0;
    }
    ret = qcow2_check_overlap(s, c->offsets[i], s->cluster_size,
                              c->is_l2 ? "L2 table" : "refcount block", errp);
    if (ret < 0) {
        return ret;
    }
    ret = file_pwrite(s->fd, slot_data(s, c, i), s->cluster_size, c->offsets[i]);
    if (ret < 0) {
        return error_setg(errp, ret, "'%s': could not write %s at offset %#llx: %s",
                          s->filename, c->is_l2 ? "an L2 table" : "a refcount block",
                          (unsigned long long)c->offsets[i], strerror(-ret));
    }
    c->dirty[i] = false;
    return 0;
}

/* Finds the slot for offset, or frees one (LRU) and returns it with
 * *hit false. */
static int find_slot(Qcow2State *s, Qcow2Cache *c, uint64_t offset, bool *hit, Error **errp)
{
    int victim = 0;

    for (int i = 0; i < c->n; i++) {
        if (c->offsets[i] == offset) {
            *hit = true;
            c->used[i] = ++c->tick;
            return i;
        }
        if (c->used[i] < c->used[victim]) {
            victim = i;
        }
    }
    *hit = false;
    if (c->offsets[victim] && c->dirty[victim]) {
        int ret = c->is_l2 ? qcow2_barrier(s, errp) : write_slot(s, c, victim, errp);
        if (ret < 0) {
            return ret;
        }
    }
    c->offsets[victim] = 0;
    c->used[victim] = ++c->tick;
    return victim;
}

int qcow2_cache_get(Qcow2State *s, Qcow2Cache *c, uint64_t offset, uint8_t **table,
                    Error **errp)
{
    bool hit;
    int i = find_slot(s, c, offset, &hit, errp);
    int ret;

    if (i < 0) {
        return i;
    }
    if (!hit) {
        ret = file_pread(s->fd, slot_data(s, c, i), s->cluster_size, offset);
        if (ret < 0) {
            return error_setg(errp, ret, "'%s': could not read %s at offset %#llx: %s",
                              s->filename, c->is_l2 ? "an L2 table" : "a refcount block",
                              (unsigned long long)offset, strerror(-ret));
        }
        c->offsets[i] = offset;
        c->dirty[i] = false;
    }
    *table = slot_data(s, c, i);
    return 0;
}

int qcow2_cache_get_empty(Qcow2State *s, Qcow2Cache *c, uint64_t offset, uint8_t **table,
                          Error **errp)
{
    bool hit;
    int i = find_slot(s, c, offset, &hit, errp);

    if (i < 0) {
        return i;
    }
    memset(slot_data(s, c, i), 0, s->cluster_size);
    c->offsets[i] = offset;
    c->dirty[i] = true;
    *table = slot_data(s, c, i);
    return 0;
}

void qcow2_cache_mark_dirty(Qcow2Cache *c, const uint8_t *table)
{
    c->dirty[(size_t)(table - c->data) / c->cluster_size] = true;
}

int qcow2_cache_write_back(Qcow2State *s, Qcow2Cache *c, Error **errp)
{
    for (int i = 0; i < c->n; i++) {
        if (c->offsets[i]) {
            int ret = write_slot(s, c, i, errp);
            if (ret < 0) {
                return ret;
            }
        }
    }
    return 0;
}

void qcow2_cache_discard(Qcow2Cache *c, uint64_t offset)
{
    for (int i = 0; i < c->n; i++) {
        if (c->offsets[i] == offset) {
            c->offsets[i] = 0;
            c->dirty[i] = false;
            c->used[i] = 0;
        }
    }
}
