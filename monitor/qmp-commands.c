/*
 * qmp-commands.c — the QMP commands: one table entry per command with the
 * schema of its arguments, checked before the handler runs (missing,
 * unexpected and wrongly typed arguments get QEMU's messages).
 *
 * The one thing to know: handlers run under the machine lock and call the
 * machine only through MonitorMachineOps; a handler fills *ret (NULL means
 * {}) or returns -1 with the error's class and description.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor-internal.h"

#define OPS (mon_global.ops)
#define OPQ (mon_global.opaque)

static const char *type_name(QmpArgType t)
{
    switch (t) {
    case QMP_ARG_STR: return "string";
    case QMP_ARG_INT: return "integer";
    case QMP_ARG_BOOL: return "boolean";
    case QMP_ARG_STR_LIST: return "array";
    }
    return "?";
}

static bool type_ok(QmpArgType t, json_t *v)
{
    switch (t) {
    case QMP_ARG_STR: return json_is_string(v);
    case QMP_ARG_INT: return json_is_integer(v);
    case QMP_ARG_BOOL: return json_is_boolean(v);
    case QMP_ARG_STR_LIST: return json_is_array(v);
    }
    return false;
}

int qmp_check_args(const QmpArg *schema, json_t *args, char *err, size_t errlen)
{
    if (args && !json_is_object(args)) {
        snprintf(err, errlen, "QMP input member 'arguments' must be an object");
        return -1;
    }
    for (const QmpArg *a = schema; a->name; a++) {
        json_t *v = args ? json_object_get(args, a->name) : NULL;
        if (!v) {
            if (!a->optional) {
                snprintf(err, errlen, "Parameter '%s' is missing", a->name);
                return -1;
            }
            continue;
        }
        if (!type_ok(a->type, v)) {
            snprintf(err, errlen, "Invalid parameter type for '%s', expected: %s", a->name,
                     type_name(a->type));
            return -1;
        }
        if (a->type == QMP_ARG_STR_LIST) {
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e) {
                if (!json_is_string(e)) {
                    snprintf(err, errlen, "Invalid parameter type for '%s', expected: string",
                             a->name);
                    return -1;
                }
            }
        }
    }
    const char *key;
    json_t *v;
    if (args) {
        json_object_foreach(args, key, v) {
            const QmpArg *a = schema;
            while (a->name && strcmp(a->name, key)) {
                a++;
            }
            if (!a->name) {
                snprintf(err, errlen, "Parameter '%.200s' is unexpected", key);
                return -1;
            }
        }
    }
    return 0;
}

/* ---- handlers ---- */

static int qmp_capabilities(QmpSessionState *q, json_t *args, json_t **ret, QmpError *err)
{
    bool oob = false;
    json_t *en = args ? json_object_get(args, "enable") : NULL;
    size_t i;
    json_t *e;
    json_array_foreach(en, i, e) {
        const char *cap = json_string_value(e);
        if (strcmp(cap, "oob")) {
            snprintf(err->desc, sizeof(err->desc),
                     "Parameter 'enable' does not accept value '%.200s'", cap);
            return -1;
        }
        oob = true;
    }
    qmp_session_negotiated(q, oob);
    return 0;
}

static int qmp_query_status(QmpSessionState *q, json_t *args, json_t **ret, QmpError *err)
{
    MonRunState rs = OPS->run_state(OPQ);
    *ret = json_pack("{s:s, s:b, s:b}", "status", monitor_runstate_name(rs), "singlestep", 0,
                     "running", rs == MON_RUNSTATE_RUNNING);
    return 0;
}

static int qmp_query_version(QmpSessionState *q, json_t *args, json_t **ret, QmpError *err)
{
    *ret = json_pack("{s:{s:i, s:i, s:i}, s:s}", "qemu", "micro", MON_QEMU_MICRO, "minor",
                     MON_QEMU_MINOR, "major", MON_QEMU_MAJOR, "package", MON_PACKAGE);
    return 0;
}

static int qmp_query_target(QmpSessionState *q, json_t *args, json_t **ret, QmpError *err)
{
    *ret = json_pack("{s:s}", "arch", OPS->target);
    return 0;
}

static int qmp_query_kvm(QmpSessionState *q, json_t *args, json_t **ret, QmpError *err)
{
    *ret = json_pack("{s:b, s:b}", "enabled", 0, "present", 0); /* TCG only here */
    return 0;
}

static int qmp_query_name(QmpSessionState *q, json_t *args, json_t **ret, QmpError *err)
{
    *ret = json_object(); /* no -name */
    return 0;
}

static int qmp_query_commands(QmpSessionState *q, json_t *args, json_t **ret, QmpError *err)
{
    json_t *list = json_array();
    const QmpCommand *c;
    for (size_t i = 0; (c = qmp_command_at(i)); i++) {
        json_array_append_new(list, json_pack("{s:s}", "name", c->name));
    }
    *ret = list;
    return 0;
}

static int qmp_query_cpus_fast(QmpSessionState *q, json_t *args, json_t **ret, QmpError *err)
{
    json_t *list = json_array();
    unsigned n = OPS->cpu_count(OPQ);
    for (unsigned i = 0; i < n; i++) {
        MonCpuInfo ci;
        memset(&ci, 0, sizeof(ci));
        OPS->cpu_info(OPQ, i, &ci);
        json_array_append_new(list, json_pack("{s:I, s:{s:i}, s:s, s:i, s:s}", "thread-id",
                                              (json_int_t)ci.thread_id, "props", "core-id",
                                              (int)ci.core_id, "qom-path", ci.qom_path,
                                              "cpu-index", (int)i, "target", OPS->target));
    }
    *ret = list;
    return 0;
}

static int qmp_query_block(QmpSessionState *q, json_t *args, json_t **ret, QmpError *err)
{
    json_t *list = json_array();
    unsigned n = OPS->block_count(OPQ);
    for (unsigned i = 0; i < n; i++) {
        MonBlockInfo b;
        OPS->block_info(OPQ, i, &b);
        json_t *image = json_pack("{s:I, s:s, s:s, s:b}", "virtual-size",
                                  (json_int_t)b.virtual_size, "filename", b.file, "format",
                                  b.format, "dirty-flag", 0);
        if (b.actual_size >= 0) {
            json_object_set_new(image, "actual-size", json_integer(b.actual_size));
        }
        if (b.backing_file) {
            json_object_set_new(image, "backing-filename", json_string(b.backing_file));
        }
        json_t *ins = json_pack(
            "{s:s, s:s, s:s, s:b, s:i, s:b, s:s, s:o, s:{s:b, s:b, s:b},"
            " s:i, s:i, s:i, s:i, s:i, s:i, s:i}",
            "file", b.file, "node-name", b.node_name, "drv", b.format, "ro", b.read_only,
            "backing_file_depth", b.backing_file ? 1 : 0, "encrypted", 0, "detect_zeroes",
            "off", "image", image, "cache", "writeback", 1, "direct", 0, "no-flush", 0, "bps",
            0, "bps_rd", 0, "bps_wr", 0, "iops", 0, "iops_rd", 0, "iops_wr", 0,
            "write_threshold", 0);
        json_array_append_new(list, json_pack("{s:s, s:s, s:b, s:b, s:s, s:s, s:o}", "device",
                                              b.device, "qdev", b.qdev, "locked", 0,
                                              "removable", 0, "type", "unknown", "io-status",
                                              "ok", "inserted", ins));
    }
    *ret = list;
    return 0;
}

static int qmp_query_blockstats(QmpSessionState *q, json_t *args, json_t **ret, QmpError *err)
{
    json_t *list = json_array();
    unsigned n = OPS->block_count(OPQ);
    for (unsigned i = 0; i < n; i++) {
        MonBlockInfo b;
        OPS->block_info(OPQ, i, &b);
        const MonBlockStats *s = &b.stats;
        json_t *st = json_object();
        struct { const char *k; uint64_t v; } f[] = {
            { "rd_bytes", s->rd_bytes }, { "wr_bytes", s->wr_bytes },
            { "unmap_bytes", s->unmap_bytes }, { "rd_operations", s->rd_ops },
            { "wr_operations", s->wr_ops }, { "flush_operations", s->flush_ops },
            { "unmap_operations", s->unmap_ops }, { "rd_total_time_ns", s->rd_total_ns },
            { "wr_total_time_ns", s->wr_total_ns },
            { "flush_total_time_ns", s->flush_total_ns },
            { "unmap_total_time_ns", s->unmap_total_ns },
            { "wr_highest_offset", s->wr_highest_offset }, { "rd_merged", 0 },
            { "wr_merged", 0 }, { "unmap_merged", 0 },
            { "failed_rd_operations", s->failed_rd_ops },
            { "failed_wr_operations", s->failed_wr_ops },
            { "failed_flush_operations", s->failed_flush_ops },
            { "failed_unmap_operations", s->failed_unmap_ops },
            { "invalid_rd_operations", s->invalid_rd_ops },
            { "invalid_wr_operations", s->invalid_wr_ops },
            { "invalid_flush_operations", s->invalid_flush_ops },
            { "invalid_unmap_operations", s->invalid_unmap_ops },
        };
        for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
            json_object_set_new(st, f[k].k, json_integer((json_int_t)f[k].v));
        }
        if (s->last_access_ns >= 0) {
            int64_t idle = event_clock_ns() - s->last_access_ns;
            json_object_set_new(st, "idle_time_ns", json_integer(idle > 0 ? idle : 0));
        }
        json_object_set_new(st, "account_invalid", json_true());
        json_object_set_new(st, "account_failed", json_true());
        json_object_set_new(st, "timed_stats", json_array());
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:o}", "device", b.device,
                                              "node-name", b.node_name, "qdev", b.qdev,
                                              "stats", st));
    }
    *ret = list;
    return 0;
}

static int qmp_stop(QmpSessionState *q, json_t *args, json_t **ret, QmpError *err)
{
    OPS->stop(OPQ);
    return 0;
}

static int qmp_cont(QmpSessionState *q, json_t *args, json_t **ret, QmpError *err)
{
    return OPS->cont(OPQ, err->desc, sizeof(err->desc));
}

static int qmp_system_reset(QmpSessionState *q, json_t *args, json_t **ret, QmpError *err)
{
    OPS->system_reset(OPQ);
    return 0;
}

static int qmp_system_powerdown(QmpSessionState *q, json_t *args, json_t **ret, QmpError *err)
{
    OPS->system_powerdown(OPQ);
    return 0;
}

static int qmp_quit(QmpSessionState *q, json_t *args, json_t **ret, QmpError *err)
{
    OPS->quit(OPQ, "host-qmp-quit");
    return 0;
}

static int qmp_hmp(QmpSessionState *q, json_t *args, json_t **ret, QmpError *err)
{
    unsigned cpu = 0;
    json_t *ci = json_object_get(args, "cpu-index");
    if (ci) {
        json_int_t v = json_integer_value(ci);
        if (v < 0 || v >= (json_int_t)OPS->cpu_count(OPQ)) {
            snprintf(err->desc, sizeof(err->desc), "CPU %lld is not available",
                     (long long)v);
            return -1;
        }
        cpu = (unsigned)v;
    }
    MonBuf out = { 0 };
    hmp_run_line(json_string_value(json_object_get(args, "command-line")), &cpu, &out);
    /* As QEMU: lines end in \r\n. */
    MonBuf crlf = { 0 };
    for (size_t i = 0; i < out.len; i++) {
        if (out.data[i] == '\n' && (i == 0 || out.data[i - 1] != '\r')) {
            monbuf_append(&crlf, "\r", 1);
        }
        monbuf_append(&crlf, &out.data[i], 1);
    }
    *ret = json_stringn(crlf.data ? crlf.data : "", crlf.len);
    if (!*ret) {
        *ret = json_string(""); /* not UTF-8 (guest bytes through x/c): never happens */
    }
    monbuf_free(&out);
    monbuf_free(&crlf);
    return 0;
}

/* ---- migration ---- */

static int no_migration(QmpError *err)
{
    snprintf(err->desc, sizeof(err->desc), "this machine does not support migration");
    return -1;
}

static int qmp_migrate(QmpSessionState *q, json_t *args, json_t **ret, QmpError *err)
{
    if (!OPS->migrate) {
        return no_migration(err);
    }
    const char *uri = json_string_value(json_object_get(args, "uri"));
    return OPS->migrate(OPQ, uri, err->desc, sizeof(err->desc));
}

static int qmp_migrate_incoming(QmpSessionState *q, json_t *args, json_t **ret, QmpError *err)
{
    if (!OPS->migrate_incoming) {
        return no_migration(err);
    }
    const char *uri = json_string_value(json_object_get(args, "uri"));
    return OPS->migrate_incoming(OPQ, uri, err->desc, sizeof(err->desc));
}

static int qmp_migrate_cancel(QmpSessionState *q, json_t *args, json_t **ret, QmpError *err)
{
    if (!OPS->migrate_cancel) {
        return no_migration(err);
    }
    OPS->migrate_cancel(OPQ);
    return 0;
}

static int qmp_migrate_set_parameters(QmpSessionState *q, json_t *args, json_t **ret,
                                      QmpError *err)
{
    json_t *v = json_object_get(args, "downtime-limit");
    if (!OPS->migrate_set_downtime) {
        return no_migration(err);
    }
    if (v && json_integer_value(v) < 0) {
        snprintf(err->desc, sizeof(err->desc), "Parameter 'downtime_limit' expects an "
                 "integer in the range of 0 to 2000 seconds");
        return -1;
    }
    return v ? OPS->migrate_set_downtime(OPQ, (uint64_t)json_integer_value(v), err->desc,
                                         sizeof(err->desc))
             : 0;
}

static int qmp_query_migrate(QmpSessionState *q, json_t *args, json_t **ret, QmpError *err)
{
    MonMigrateInfo mi;
    if (!OPS->query_migrate) {
        return no_migration(err);
    }
    OPS->query_migrate(OPQ, &mi);
    *ret = json_object();
    if (!mi.status) {
        return 0;
    }
    json_object_set_new(*ret, "status", json_string(mi.status));
    json_object_set_new(*ret, "total-time", json_integer(mi.total_time_ms));
    json_object_set_new(*ret, "setup-time", json_integer(mi.setup_time_ms));
    if (!strcmp(mi.status, "completed")) {
        json_object_set_new(*ret, "downtime", json_integer(mi.downtime_ms));
    } else if (!strcmp(mi.status, "active")) {
        json_object_set_new(*ret, "expected-downtime", json_integer(mi.expected_downtime_ms));
    } else if (!strcmp(mi.status, "failed") && mi.error[0]) {
        json_object_set_new(*ret, "error-desc", json_string(mi.error));
    }
    json_t *ram = json_object();
    struct { const char *k; uint64_t v; } f[] = {
        { "transferred", mi.transferred }, { "remaining", mi.remaining },
        { "total", mi.total }, { "duplicate", mi.duplicate }, { "skipped", 0 },
        { "normal", mi.normal }, { "normal-bytes", mi.normal_bytes },
        { "dirty-sync-count", mi.dirty_sync_count }, { "page-size", 4096 },
        { "dirty-pages-rate", mi.dirty_pages_rate }, { "postcopy-requests", 0 },
        { "multifd-bytes", 0 },
    };
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        json_object_set_new(ram, f[i].k, json_integer((json_int_t)f[i].v));
    }
    json_object_set_new(ram, "mbps", json_real(mi.mbps));
    json_object_set_new(*ret, "ram", ram);
    return 0;
}

/* An external snapshot: QEMU's arguments, with qcow2 as the only overlay
 * format. */
static int qmp_blockdev_snapshot_sync(QmpSessionState *q, json_t *args, json_t **ret,
                                      QmpError *err)
{
    const char *device = json_string_value(json_object_get(args, "device"));
    const char *node = json_string_value(json_object_get(args, "node-name"));
    const char *file = json_string_value(json_object_get(args, "snapshot-file"));
    const char *format = json_string_value(json_object_get(args, "format"));
    const char *mode = json_string_value(json_object_get(args, "mode"));
    if (!OPS->blockdev_snapshot_sync) {
        snprintf(err->desc, sizeof(err->desc), "This machine has no block devices");
        return -1;
    }
    if (!device && !node) {
        snprintf(err->desc, sizeof(err->desc), "Cannot find device= nor node-name=");
        return -1;
    }
    if (format && strcmp(format, "qcow2")) {
        snprintf(err->desc, sizeof(err->desc),
                 "Format '%s' cannot be an overlay here (qcow2 only)", format);
        return -1;
    }
    if (mode && strcmp(mode, "absolute-paths") && strcmp(mode, "existing")) {
        snprintf(err->desc, sizeof(err->desc), "Parameter 'mode' does not accept value '%s'",
                 mode);
        return -1;
    }
    return OPS->blockdev_snapshot_sync(OPQ, device ? device : node, file,
                                       mode && !strcmp(mode, "existing"), err->desc,
                                       sizeof(err->desc));
}

static const QmpCommand commands[] = {
    { "qmp_capabilities", qmp_capabilities, { { "enable", QMP_ARG_STR_LIST, true } } },
    { "query-status", qmp_query_status, { { 0 } } },
    { "query-version", qmp_query_version, { { 0 } } },
    { "query-commands", qmp_query_commands, { { 0 } } },
    { "query-target", qmp_query_target, { { 0 } } },
    { "query-kvm", qmp_query_kvm, { { 0 } } },
    { "query-name", qmp_query_name, { { 0 } } },
    { "query-cpus-fast", qmp_query_cpus_fast, { { 0 } } },
    { "query-block", qmp_query_block, { { 0 } } },
    { "query-blockstats", qmp_query_blockstats,
      { { "query-nodes", QMP_ARG_BOOL, true } } },
    { "stop", qmp_stop, { { 0 } } },
    { "cont", qmp_cont, { { 0 } } },
    { "system_reset", qmp_system_reset, { { 0 } } },
    { "system_powerdown", qmp_system_powerdown, { { 0 } } },
    { "quit", qmp_quit, { { 0 } } },
    { "migrate", qmp_migrate,
      { { "uri", QMP_ARG_STR, false }, { "detach", QMP_ARG_BOOL, true },
        { "blk", QMP_ARG_BOOL, true } } },
    { "migrate-incoming", qmp_migrate_incoming, { { "uri", QMP_ARG_STR, false } } },
    { "migrate_cancel", qmp_migrate_cancel, { { 0 } } },
    { "migrate-set-parameters", qmp_migrate_set_parameters,
      { { "downtime-limit", QMP_ARG_INT, true } } },
    { "query-migrate", qmp_query_migrate, { { 0 } } },
    { "blockdev-snapshot-sync", qmp_blockdev_snapshot_sync,
      { { "device", QMP_ARG_STR, true }, { "node-name", QMP_ARG_STR, true },
        { "snapshot-file", QMP_ARG_STR, false }, { "snapshot-node-name", QMP_ARG_STR, true },
        { "format", QMP_ARG_STR, true }, { "mode", QMP_ARG_STR, true } } },
    { "human-monitor-command", qmp_hmp,
      { { "command-line", QMP_ARG_STR, false }, { "cpu-index", QMP_ARG_INT, true } } },
};

const QmpCommand *qmp_command_at(size_t i)
{
    return i < sizeof(commands) / sizeof(commands[0]) ? &commands[i] : NULL;
}

const QmpCommand *qmp_find_command(const char *name)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (!strcmp(commands[i].name, name)) {
            return &commands[i];
        }
    }
    return NULL;
}
