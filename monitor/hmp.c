/*
 * hmp.c — the human monitor: QEMU's `(qemu) ` prompt on a chardev (stdio,
 * the serial mux's Ctrl-a c side) or a socket, a small line editor, and
 * the command table (help, info ..., stop, cont, x, xp, system_reset,
 * system_powerdown, quit, cpu).
 *
 * The one thing to know: a command is one table entry (name, alias,
 * argument help, help text, handler); a handler gets the rest of the line
 * and writes its output, with "\n", to a MonBuf — the same path serves a
 * terminal and QMP's human-monitor-command. Lines are bounded
 * (HMP_LINE_MAX); every number and format is checked.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor-internal.h"

#define HMP_LINE_MAX 1024
#define HMP_DUMP_MAX (1u << 20) /* x/xp: at most this many bytes per command */
#define OPS (mon_global.ops)
#define OPQ (mon_global.opaque)

typedef struct HmpContext {
    MonBuf *out;
    unsigned *cpu;
} HmpContext;

typedef struct HmpCommand {
    const char *name;
    const char *alias;   /* or NULL */
    const char *params;  /* for help */
    const char *help;
    void (*fn)(HmpContext *h, const char *args);
} HmpCommand;

static const HmpCommand hmp_commands[];
static const HmpCommand hmp_info_commands[];

/* x/xp remember the last format and size, as QEMU's monitor does. */
static char last_format = 'x';
static unsigned last_size = 4;

static void out(HmpContext *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(HmpContext *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    monbuf_vprintf(h->out, fmt, ap);
    va_end(ap);
}

static const char *skip_space(const char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    return s;
}

/* ---- info ---- */

static void info_status(HmpContext *h, const char *args)
{
    MonRunState rs = OPS->run_state(OPQ);
    if (rs == MON_RUNSTATE_RUNNING) {
        out(h, "VM status: running\n");
    } else if (rs == MON_RUNSTATE_PAUSED) {
        out(h, "VM status: paused\n");
    } else {
        out(h, "VM status: paused (%s)\n", monitor_runstate_name(rs));
    }
}

static void info_registers(HmpContext *h, const char *args)
{
    unsigned n = OPS->cpu_count(OPQ);
    if (!strcmp(args, "-a")) {
        for (unsigned i = 0; i < n; i++) {
            out(h, "\nCPU#%u\n", i);
            OPS->dump_registers(OPQ, i, h->out);
        }
    } else if (!*args) {
        out(h, "\nCPU#%u\n", *h->cpu);
        OPS->dump_registers(OPQ, *h->cpu, h->out);
    } else {
        out(h, "info registers: unknown argument '%s' (-a: every CPU)\n", args);
    }
}

static void info_cpus(HmpContext *h, const char *args)
{
    unsigned n = OPS->cpu_count(OPQ);
    for (unsigned i = 0; i < n; i++) {
        MonCpuInfo ci;
        OPS->cpu_info(OPQ, i, &ci);
        out(h, "%c CPU #%u: thread_id=%ld\n", i == *h->cpu ? '*' : ' ', i,
            (long)ci.thread_id);
    }
}

static void info_block(HmpContext *h, const char *args)
{
    unsigned n = OPS->block_count(OPQ);
    for (unsigned i = 0; i < n; i++) {
        MonBlockInfo b;
        OPS->block_info(OPQ, i, &b);
        out(h, "%s%s (%s): %s (%s%s)\n", i ? "\n" : "", b.device, b.node_name, b.file,
            b.format, b.read_only ? ", read-only" : "");
        out(h, "    Attached to:      %s\n    Cache mode:       writeback\n", b.qdev);
        if (b.backing_file) {
            out(h, "    Backing file:     %s\n", b.backing_file);
        }
    }
}

static void info_mtree(HmpContext *h, const char *args)
{
    OPS->dump_mtree(OPQ, h->out);
}

static void info_tlb(HmpContext *h, const char *args)
{
    OPS->dump_tlb(OPQ, *h->cpu, h->out);
}

static void info_mem(HmpContext *h, const char *args)
{
    OPS->dump_mem(OPQ, *h->cpu, h->out);
}

static void info_version(HmpContext *h, const char *args)
{
    out(h, "%d.%d.%d (%s)\n", MON_QEMU_MAJOR, MON_QEMU_MINOR, MON_QEMU_MICRO, MON_PACKAGE);
}

static void info_usage(HmpContext *h)
{
    for (const HmpCommand *c = hmp_info_commands; c->name; c++) {
        out(h, "info %s%s%s -- %s\n", c->name, c->params[0] ? " " : "", c->params, c->help);
    }
}

static void cmd_info(HmpContext *h, const char *args)
{
    char word[32];
    size_t n = strcspn(args, " \t");
    if (n == 0) {
        info_usage(h);
        return;
    }
    if (n >= sizeof(word)) {
        n = sizeof(word) - 1;
    }
    memcpy(word, args, n);
    word[n] = '\0';
    for (const HmpCommand *c = hmp_info_commands; c->name; c++) {
        if (!strcmp(c->name, word)) {
            c->fn(h, skip_space(args + strcspn(args, " \t")));
            return;
        }
    }
    out(h, "unknown command: 'info %s'\n", word);
}

/* ---- run control ---- */

static void cmd_stop(HmpContext *h, const char *args)
{
    OPS->stop(OPQ);
}

static void cmd_cont(HmpContext *h, const char *args)
{
    char err[256];
    if (OPS->cont(OPQ, err, sizeof(err)) < 0) {
        out(h, "%s\n", err);
    }
}

/* savevm, loadvm, delvm: one NAME argument (savevm without one: QEMU
 * names the snapshot after the time; mimic asks for a name). */
static void snapshot_cmd(HmpContext *h, const char *args,
                         int (*op)(void *, const char *, char *, size_t))
{
    char err[512];
    if (!op) {
        out(h, "this machine does not support snapshots\n");
    } else if (!*args) {
        out(h, "Parameter 'name' is missing\n");
    } else if (op(OPQ, args, err, sizeof(err)) < 0) {
        out(h, "Error: %s\n", err);
    }
}

static void cmd_savevm(HmpContext *h, const char *args)
{
    snapshot_cmd(h, args, OPS->savevm);
}

static void cmd_loadvm(HmpContext *h, const char *args)
{
    snapshot_cmd(h, args, OPS->loadvm);
}

static void cmd_delvm(HmpContext *h, const char *args)
{
    snapshot_cmd(h, args, OPS->delvm);
}

static void info_snapshots(HmpContext *h, const char *args)
{
    if (OPS->info_snapshots) {
        OPS->info_snapshots(OPQ, h->out);
    } else {
        out(h, "this machine does not support snapshots\n");
    }
}

/* migrate [-d] URI (always in the background, as with -d), info migrate. */
static void cmd_migrate(HmpContext *h, const char *args)
{
    char err[512];
    if (!strncmp(args, "-d", 2) && (args[2] == ' ' || args[2] == '\t')) {
        args = skip_space(args + 2);
    }
    if (!OPS->migrate) {
        out(h, "this machine does not support migration\n");
    } else if (!*args) {
        out(h, "Parameter 'uri' is missing\n");
    } else if (OPS->migrate(OPQ, args, err, sizeof(err)) < 0) {
        out(h, "Error: %s\n", err);
    }
}

static void cmd_migrate_cancel(HmpContext *h, const char *args)
{
    if (OPS->migrate_cancel) {
        OPS->migrate_cancel(OPQ);
    }
}

static void info_migrate(HmpContext *h, const char *args)
{
    MonMigrateInfo mi;
    if (!OPS->query_migrate) {
        out(h, "this machine does not support migration\n");
        return;
    }
    OPS->query_migrate(OPQ, &mi);
    if (!mi.status) {
        return;
    }
    out(h, "Migration status: %s\n", mi.status);
    if (mi.error[0]) {
        out(h, "Error: %s\n", mi.error);
    }
    out(h, "total time: %lld ms\n", (long long)mi.total_time_ms);
    if (!strcmp(mi.status, "completed")) {
        out(h, "downtime: %lld ms\n", (long long)mi.downtime_ms);
    } else if (!strcmp(mi.status, "active")) {
        out(h, "expected downtime: %lld ms\n", (long long)mi.expected_downtime_ms);
    }
    out(h, "setup: %lld ms\n", (long long)mi.setup_time_ms);
    out(h, "transferred ram: %llu kbytes\nthroughput: %0.2f mbps\n"
        "remaining ram: %llu kbytes\ntotal ram: %llu kbytes\nduplicate: %llu pages\n"
        "normal: %llu pages\nnormal bytes: %llu kbytes\ndirty sync count: %llu\n"
        "page size: 4 kbytes\n",
        (unsigned long long)(mi.transferred >> 10), mi.mbps,
        (unsigned long long)(mi.remaining >> 10), (unsigned long long)(mi.total >> 10),
        (unsigned long long)mi.duplicate, (unsigned long long)mi.normal,
        (unsigned long long)(mi.normal_bytes >> 10),
        (unsigned long long)mi.dirty_sync_count);
}

static void cmd_system_reset(HmpContext *h, const char *args)
{
    OPS->system_reset(OPQ);
}

static void cmd_system_powerdown(HmpContext *h, const char *args)
{
    OPS->system_powerdown(OPQ);
}

static void cmd_quit(HmpContext *h, const char *args)
{
    OPS->quit(OPQ, "host-qmp-quit");
}

static void cmd_cpu(HmpContext *h, const char *args)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(args, &end, 0);
    if (!*args || *skip_space(end) || errno || v >= OPS->cpu_count(OPQ)) {
        out(h, "invalid CPU index '%s' (0 to %u)\n", args, OPS->cpu_count(OPQ) - 1);
        return;
    }
    *h->cpu = (unsigned)v;
}

/* ---- x / xp ---- */

/* Parses "TERM [(+|-) TERM]..." where TERM is a number (0x hex, 0 octal,
 * decimal) or $register; -1 with QEMU's message. */
static int parse_expr(HmpContext *h, const char *s, uint64_t *value, const char **err)
{
    uint64_t acc = 0;
    int sign = 1;
    bool need_term = true;
    s = skip_space(s);
    if (!*s) {
        *err = "unexpected end of expression";
        return -1;
    }
    while (*s) {
        s = skip_space(s);
        if (need_term) {
            uint64_t v;
            if (*s == '$') {
                char name[32];
                size_t n = 0;
                s++;
                while (isalnum((unsigned char)*s) && n + 1 < sizeof(name)) {
                    name[n++] = *s++;
                }
                name[n] = '\0';
                if (!n || !OPS->register_value(OPQ, *h->cpu, name, &v)) {
                    *err = "unknown register";
                    return -1;
                }
            } else if (isdigit((unsigned char)*s)) {
                char *end;
                errno = 0;
                v = strtoull(s, &end, 0);
                if (errno) {
                    *err = "number too large";
                    return -1;
                }
                s = end;
            } else if (!*s) {
                *err = "unexpected end of expression";
                return -1;
            } else {
                static char msg[64];
                snprintf(msg, sizeof(msg), "invalid char '%c' in expression",
                         isprint((unsigned char)*s) ? *s : '?');
                *err = msg;
                return -1;
            }
            acc += sign > 0 ? v : -v;
            need_term = false;
        } else if (*s == '+' || *s == '-') {
            sign = *s == '+' ? 1 : -1;
            s++;
            need_term = true;
        } else if (*s) {
            static char msg[64];
            snprintf(msg, sizeof(msg), "invalid char '%c' in expression",
                     isprint((unsigned char)*s) ? *s : '?');
            *err = msg;
            return -1;
        }
    }
    if (need_term) {
        *err = "unexpected end of expression";
        return -1;
    }
    *value = acc;
    return 0;
}

static void print_char(HmpContext *h, unsigned c)
{
    switch (c) {
    case '\'': out(h, "'\\''"); break;
    case '\\': out(h, "'\\\\'"); break;
    case '\n': out(h, "'\\n'"); break;
    case '\r': out(h, "'\\r'"); break;
    default:
        if (c >= 32 && c <= 126) {
            out(h, "'%c'", c);
        } else {
            out(h, "'\\x%02x'", c);
        }
    }
}

static void memory_dump(HmpContext *h, const char *args, bool virt)
{
    unsigned count = 1, size = last_size;
    char format = last_format;
    args = skip_space(args);
    if (*args == '/') {
        args++;
        if (isdigit((unsigned char)*args)) {
            char *end;
            errno = 0;
            unsigned long v = strtoul(args, &end, 10);
            if (errno || v > HMP_DUMP_MAX) {
                out(h, "count too large (at most %u)\n", HMP_DUMP_MAX);
                return;
            }
            count = (unsigned)v;
            args = end;
        }
        while (*args && *args != ' ' && *args != '\t') {
            char c = *args++;
            if (strchr("xduoci", c)) {
                format = c;
            } else if (strchr("bhwg", c)) {
                size = c == 'b' ? 1 : c == 'h' ? 2 : c == 'w' ? 4 : 8;
            } else {
                out(h, "invalid char in format: '%c'\nTry \"help %s\" for more information\n",
                    isprint((unsigned char)c) ? c : '?', virt ? "x" : "xp");
                return;
            }
        }
    }
    if (format == 'i') {
        out(h, "format 'i' (disassembly) is not supported by mimic's monitor\n");
        return;
    }
    if (format == 'c') {
        size = 1;
    }
    uint64_t addr;
    const char *perr;
    if (parse_expr(h, args, &addr, &perr) < 0) {
        out(h, "%s\nTry \"help %s\" for more information\n", perr, virt ? "x" : "xp");
        return;
    }
    last_format = format;
    last_size = size;
    uint64_t len = (uint64_t)count * size;
    if (len > HMP_DUMP_MAX) {
        out(h, "too much to dump (at most %u bytes)\n", HMP_DUMP_MAX);
        return;
    }
    unsigned line = size == 1 ? 8 : 16, digits;
    switch (format) {
    case 'o': digits = (size * 8 + 2) / 3; break;
    case 'u':
    case 'd': digits = (size * 8 * 10 + 32) / 33; break;
    default: digits = size * 2; break;
    }
    while (len > 0) {
        unsigned l = len < line ? (unsigned)len : line;
        uint8_t buf[16];
        uint64_t fault;
        out(h, "%016" PRIx64 ":", addr);
        if (OPS->read_memory(OPQ, *h->cpu, virt, addr, buf, l, &fault) < 0) {
            out(h, " Cannot access memory\n");
            return;
        }
        for (unsigned i = 0; i < l; i += size) {
            uint64_t v = 0;
            memcpy(&v, buf + i, size); /* little-endian host and guest */
            out(h, " ");
            switch (format) {
            case 'o': out(h, "%#*" PRIo64, (int)digits, v); break;
            case 'u': out(h, "%*" PRIu64, (int)digits, v); break;
            case 'd':
                if (size == 8) {
                    out(h, "%*" PRId64, (int)digits, (int64_t)v);
                } else {
                    out(h, "%*" PRIu64, (int)digits, v);
                }
                break;
            case 'c': print_char(h, (unsigned)v); break;
            default: out(h, "0x%0*" PRIx64, (int)digits, v); break;
            }
        }
        out(h, "\n");
        addr += l;
        len -= l;
    }
}

static void cmd_x(HmpContext *h, const char *args)
{
    memory_dump(h, args, true);
}

static void cmd_xp(HmpContext *h, const char *args)
{
    memory_dump(h, args, false);
}

/* ---- help ---- */

static void cmd_help(HmpContext *h, const char *args)
{
    for (const HmpCommand *c = hmp_commands; c->name; c++) {
        if (*args && strcmp(args, c->name) && (!c->alias || strcmp(args, c->alias))) {
            continue;
        }
        out(h, "%s%s%s%s%s -- %s\n", c->name, c->alias ? "|" : "", c->alias ? c->alias : "",
            c->params[0] ? " " : "", c->params, c->help);
        if (c->fn == cmd_info && *args) {
            info_usage(h);
        }
    }
}

/* Adding a command (savevm, loadvm, delvm...) is one entry here. */
static const HmpCommand hmp_commands[] = {
    { "help", "?", "[cmd]", "show the help", cmd_help },
    { "info", NULL, "[subcommand]", "show various information about the system state",
      cmd_info },
    { "stop", NULL, "", "stop emulation", cmd_stop },
    { "cont", "c", "", "resume emulation", cmd_cont },
    { "system_reset", NULL, "", "reset the system", cmd_system_reset },
    { "system_powerdown", NULL, "", "send system power down event", cmd_system_powerdown },
    { "quit", "q", "", "quit the emulator", cmd_quit },
    { "cpu", NULL, "index", "set the default CPU", cmd_cpu },
    { "x", NULL, "/fmt addr", "virtual memory dump starting at 'addr' (fmt: count, format "
      "x d u o c, size b h w g)", cmd_x },
    { "xp", NULL, "/fmt addr", "physical memory dump starting at 'addr'", cmd_xp },
    { "savevm", NULL, "tag", "save a VM snapshot", cmd_savevm },
    { "loadvm", NULL, "tag", "restore a VM snapshot from its tag", cmd_loadvm },
    { "delvm", NULL, "tag", "delete a VM snapshot from its tag", cmd_delvm },
    { "migrate", NULL, "[-d] uri", "migrate to URI (tcp:, unix:, file:, exec:)", cmd_migrate },
    { "migrate_cancel", NULL, "", "cancel the current VM migration", cmd_migrate_cancel },
    { NULL, NULL, NULL, NULL, NULL },
};

static const HmpCommand hmp_info_commands[] = {
    { "status", NULL, "", "show the current VM status (running|paused)", info_status },
    { "registers", NULL, "[-a]", "show the cpu registers (-a: all CPUs)", info_registers },
    { "cpus", NULL, "", "show infos for each CPU", info_cpus },
    { "block", NULL, "", "show the block devices", info_block },
    { "mtree", NULL, "", "show memory tree", info_mtree },
    { "tlb", NULL, "", "show the current CPU's page-table mappings, one per page",
      info_tlb },
    { "mem", NULL, "", "show the active virtual memory mappings", info_mem },
    { "version", NULL, "", "show the version of QEMU", info_version },
    { "snapshots", NULL, "", "show the currently saved VM snapshots", info_snapshots },
    { "migrate", NULL, "", "show migration status", info_migrate },
    { NULL, NULL, NULL, NULL, NULL },
};

void hmp_run_line(const char *line, unsigned *cpu, MonBuf *outbuf)
{
    HmpContext h = { outbuf, cpu };
    line = skip_space(line);
    size_t n = strcspn(line, " \t/");
    if (n == 0) {
        return;
    }
    for (const HmpCommand *c = hmp_commands; c->name; c++) {
        if ((strlen(c->name) == n && !strncmp(c->name, line, n)) ||
            (c->alias && strlen(c->alias) == n && !strncmp(c->alias, line, n))) {
            /* the arguments, without trailing blanks */
            char args[HMP_LINE_MAX + 1];
            snprintf(args, sizeof(args), "%s", line[n] == '/' ? line + n : skip_space(line + n));
            size_t l = strlen(args);
            while (l > 0 && (args[l - 1] == ' ' || args[l - 1] == '\t' || args[l - 1] == '\r' ||
                             args[l - 1] == '\n')) {
                args[--l] = '\0';
            }
            c->fn(&h, args);
            return;
        }
    }
    out(&h, "unknown command: '%.*s'\n", (int)(n > 64 ? 64 : n), line);
}

/* ---- the interactive session ---- */

#define HMP_HISTORY 16

typedef struct HmpSession {
    char line[HMP_LINE_MAX];
    size_t len;
    bool too_long;
    bool bannered;
    bool last_cr;
    unsigned esc;     /* 0, or how far into an escape sequence */
    unsigned cpu;
    char history[HMP_HISTORY][HMP_LINE_MAX]; /* ring of earlier lines */
    unsigned hist_count, hist_next;          /* how many; where the next goes */
    unsigned hist_pos;                       /* 0: the line being typed; n: n back */
} HmpSession;

static void hmp_history_add(HmpSession *hs)
{
    if (hs->len == 0 || hs->too_long) {
        return;
    }
    hs->line[hs->len] = '\0';
    unsigned last = (hs->hist_next + HMP_HISTORY - 1) % HMP_HISTORY;
    if (hs->hist_count && !strcmp(hs->history[last], hs->line)) {
        return; /* the same line again is kept once */
    }
    memcpy(hs->history[hs->hist_next], hs->line, hs->len + 1);
    hs->hist_next = (hs->hist_next + 1) % HMP_HISTORY;
    if (hs->hist_count < HMP_HISTORY) {
        hs->hist_count++;
    }
}

/* Up (back 1) or down (forward 1): replaces the line being edited. */
static void hmp_history_move(MonSession *s, HmpSession *hs, int dir)
{
    unsigned pos = hs->hist_pos;
    if (dir < 0 && pos < hs->hist_count) {
        pos++;
    } else if (dir > 0 && pos > 0) {
        pos--;
    } else {
        return;
    }
    while (hs->len > 0) {
        hs->len--;
        mon_session_write(s, "\b \b", 3);
    }
    hs->too_long = false;
    hs->hist_pos = pos;
    if (pos > 0) {
        const char *h = hs->history[(hs->hist_next + HMP_HISTORY - pos) % HMP_HISTORY];
        hs->len = strlen(h);
        memcpy(hs->line, h, hs->len);
        mon_session_write(s, h, hs->len);
    }
}

static void hmp_prompt(MonSession *s)
{
    mon_session_write(s, "(qemu) ", 7);
}

static void hmp_open(MonSession *s)
{
    HmpSession *hs = s->state;
    if (!hs) {
        hs = calloc(1, sizeof(*hs));
        if (!hs) {
            mon_session_close(s);
            return;
        }
        s->state = hs;
    }
    if (!hs->bannered) {
        hs->bannered = true;
        char banner[128];
        int n = snprintf(banner, sizeof(banner),
                         "QEMU %d.%d.%d monitor (%s) - type 'help' for more information\r\n",
                         MON_QEMU_MAJOR, MON_QEMU_MINOR, MON_QEMU_MICRO, MON_PACKAGE);
        mon_session_write(s, banner, (size_t)n);
    }
    hmp_prompt(s);
}

static void hmp_execute(MonSession *s, HmpSession *hs)
{
    mon_session_write(s, "\r\n", 2);
    hmp_history_add(hs);
    hs->hist_pos = 0;
    MonBuf o = { 0 };
    if (hs->too_long) {
        monbuf_printf(&o, "line too long (at most %d characters)\n", HMP_LINE_MAX - 1);
    } else {
        hs->line[hs->len] = '\0';
        hmp_run_line(hs->line, &hs->cpu, &o);
    }
    mon_session_write_crlf(s, o.data ? o.data : "", o.len);
    monbuf_free(&o);
    hs->len = 0;
    hs->too_long = false;
    if (OPS->run_state(OPQ) != MON_RUNSTATE_SHUTDOWN) {
        hmp_prompt(s); /* after quit, no new prompt */
    }
}

static void hmp_input(MonSession *s, const uint8_t *buf, size_t len)
{
    HmpSession *hs = s->state;
    if (!hs) {
        return;
    }
    for (size_t i = 0; i < len && !s->dead; i++) {
        uint8_t c = buf[i];
        bool was_cr = hs->last_cr;
        hs->last_cr = c == '\r';
        if (hs->esc) { /* ESC [ ... final byte, or ESC O x: up/down recall */
            if (hs->esc == 1 && (c == '[' || c == 'O')) {
                hs->esc = 2;
            } else if (hs->esc == 2 && c >= 0x40 && c <= 0x7e) {
                hs->esc = 0;
                if (c == 'A' || c == 'B') {
                    hmp_history_move(s, hs, c == 'A' ? -1 : 1);
                }
            } else if (hs->esc == 1) {
                hs->esc = 0;
            }
            continue;
        }
        if (c == '\r' || c == '\n') {
            if (c == '\n' && was_cr) {
                continue; /* \r\n is one end of line */
            }
            hmp_execute(s, hs);
        } else if (c == 0x7f || c == 0x08) {
            if (hs->len > 0 && !hs->too_long) {
                hs->len--;
                mon_session_write(s, "\b \b", 3);
            }
        } else if (c == 0x15) { /* Ctrl-U: kill the line */
            while (hs->len > 0) {
                hs->len--;
                mon_session_write(s, "\b \b", 3);
            }
            hs->too_long = false;
        } else if (c == 0x1b) {
            hs->esc = 1;
        } else if (c >= 0x20) {
            if (hs->len + 1 >= sizeof(hs->line)) {
                hs->too_long = true;
            } else {
                hs->line[hs->len++] = (char)c;
                mon_session_write(s, (const char *)&c, 1);
            }
        }
    }
}

static void hmp_close(MonSession *s)
{
    free(s->state);
    s->state = NULL;
}

const MonProtocol hmp_protocol = { hmp_open, hmp_input, hmp_close };
