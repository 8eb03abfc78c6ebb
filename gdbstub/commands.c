/*
 * commands.c — the stub's single-letter commands: stop reason, registers,
 * memory, breakpoints and watchpoints, resume, threads, kill and detach.
 *
 * The one thing to know: every number in a packet is parsed with bounds
 * (at most 16 hex digits, lengths capped by the packet size, register
 * numbers asked of GdbArch) and a malformed packet gets "E" + errno-ish
 * code; nothing the peer sends reaches guest or host memory unchecked.
 */
#include <string.h>

#include "gdbstub/gdbstub-internal.h"

/* Error replies: E01 malformed, E14 bad address (EFAULT), E16 busy. */
#define GDB_EINVAL "E01"
#define GDB_EFAULT "E14"
#define GDB_ENOSPC "E1c"

/* The most bytes one m, M or X packet moves. */
#define GDB_MAX_MEM ((GDB_PACKET_SIZE - 32) / 2)

bool gdb_parse_hex(const char **p, uint64_t *out)
{
    uint64_t v = 0;
    unsigned n = 0;
    for (const char *q = *p;; q++) {
        int d;
        char c = *q;
        if (c >= '0' && c <= '9') {
            d = c - '0';
        } else if (c >= 'a' && c <= 'f') {
            d = c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            d = c - 'A' + 10;
        } else {
            *p = q;
            break;
        }
        if (++n > 16) {
            return false;
        }
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return n > 0;
}

bool gdb_parse_thread(const char **p, int64_t *tid)
{
    if ((*p)[0] == '-' && (*p)[1] == '1') {
        *p += 2;
        *tid = -1;
        return true;
    }
    uint64_t v;
    if (!gdb_parse_hex(p, &v) || v > 0x7fffffff) {
        return false;
    }
    *tid = (int64_t)v;
    return true;
}

int gdb_thread_cpu(GdbStub *s, int64_t tid, unsigned cur)
{
    if (tid <= 0) {
        return (int)cur;
    }
    if ((uint64_t)tid > s->ops->nb_cpus(s->opaque) || tid > GDB_MAX_CPUS) {
        return -1;
    }
    return (int)(tid - 1);
}

/* Hex text of exactly 2 * len digits into buf; false if malformed. */
static bool parse_hex_bytes(const char *p, size_t digits, uint8_t *buf, size_t len)
{
    if (digits != 2 * len) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        const char *q = p + 2 * i;
        char two[3] = { q[0], q[1], '\0' };
        const char *t = two;
        uint64_t v;
        if (!gdb_parse_hex(&t, &v) || t != two + 2) {
            return false;
        }
        buf[i] = (uint8_t)v;
    }
    return true;
}

/* "addr,len" at *p; false if malformed or len too large. */
static bool parse_addr_len(const char **p, uint64_t *addr, uint64_t *len)
{
    if (!gdb_parse_hex(p, addr) || **p != ',') {
        return false;
    }
    (*p)++;
    return gdb_parse_hex(p, len) && *len <= GDB_MAX_MEM;
}

static CPUState *g_cpu(GdbStub *s)
{
    return s->ops->cpu(s->opaque, s->g_cpu);
}

void gdb_reply_stop(GdbStub *s)
{
    gdb_reply_begin(s);
    gdb_reply_fmt(s, "T%02xthread:%x;", s->stop_sig & 0xff, s->stop_cpu + 1);
    if (s->stop_watch) {
        static const char *const names[] = { [GDB_WATCH_WRITE] = "watch",
                                             [GDB_WATCH_READ] = "rwatch",
                                             [GDB_WATCH_ACCESS] = "awatch" };
        gdb_reply_fmt(s, "%s:%llx;", names[s->stop_watch], (unsigned long long)s->stop_addr);
    }
    gdb_reply_end(s);
}

void gdb_stub_report_stop(GdbStub *s, unsigned cpu, int sig, GdbWatchKind kind, uint64_t addr)
{
    s->stop_cpu = cpu;
    s->g_cpu = cpu;
    s->stop_sig = sig;
    s->stop_watch = kind;
    s->stop_addr = addr;
    if (s->running) {
        s->running = false;
        gdb_reply_stop(s);
    }
}

void gdb_stub_report_exit(GdbStub *s, int status)
{
    s->running = false;
    gdb_reply_begin(s);
    gdb_reply_fmt(s, "W%02x", status & 0xff);
    gdb_reply_end(s);
}

uint64_t gdb_all_cpus(GdbStub *s)
{
    unsigned n = s->ops->nb_cpus(s->opaque);
    return n >= 64 ? ~0ull : (1ull << n) - 1;
}

void gdb_resume(GdbStub *s, uint64_t run, int step_cpu)
{
    s->running = true;
    s->stop_watch = 0;
    s->ops->resume(s->opaque, run, step_cpu);
}

static void cmd_read_regs(GdbStub *s)
{
    uint8_t buf[GDB_MAX_REG_SIZE];
    gdb_reply_begin(s);
    for (unsigned r = 0; r < s->arch->nb_g_regs; r++) {
        unsigned n = s->arch->read_reg(g_cpu(s), r, s->system, buf);
        gdb_reply_hex(s, buf, n);
    }
    gdb_reply_end(s);
}

static void cmd_write_regs(GdbStub *s, const char *p, size_t len)
{
    uint8_t buf[GDB_MAX_REG_SIZE];
    size_t pos = 0;
    for (unsigned r = 0; r < s->arch->nb_g_regs && pos < len; r++) {
        unsigned n = s->arch->read_reg(g_cpu(s), r, s->system, buf);
        if (len - pos < 2 * (size_t)n || !parse_hex_bytes(p + pos, 2 * n, buf, n)) {
            gdb_reply(s, GDB_EINVAL);
            return;
        }
        s->arch->write_reg(g_cpu(s), r, s->system, buf, n);
        pos += 2 * n;
    }
    gdb_reply(s, pos == len ? "OK" : GDB_EINVAL);
}

static void cmd_read_reg(GdbStub *s, const char *p)
{
    uint64_t regno;
    uint8_t buf[GDB_MAX_REG_SIZE];
    unsigned n = 0;
    if (gdb_parse_hex(&p, &regno) && !*p && regno < 0x10000) {
        n = s->arch->read_reg(g_cpu(s), (unsigned)regno, s->system, buf);
    }
    if (!n) {
        gdb_reply(s, GDB_EINVAL);
        return;
    }
    gdb_reply_begin(s);
    gdb_reply_hex(s, buf, n);
    gdb_reply_end(s);
}

static void cmd_write_reg(GdbStub *s, const char *p)
{
    uint64_t regno;
    uint8_t buf[GDB_MAX_REG_SIZE];
    if (!gdb_parse_hex(&p, &regno) || *p != '=' || regno >= 0x10000) {
        gdb_reply(s, GDB_EINVAL);
        return;
    }
    p++;
    unsigned n = s->arch->read_reg(g_cpu(s), (unsigned)regno, s->system, buf);
    if (!n || !parse_hex_bytes(p, strlen(p), buf, n) ||
        !s->arch->write_reg(g_cpu(s), (unsigned)regno, s->system, buf, n)) {
        gdb_reply(s, GDB_EINVAL);
        return;
    }
    gdb_reply(s, "OK");
}

static void cmd_read_mem(GdbStub *s, const char *p)
{
    uint64_t addr, len;
    uint8_t buf[GDB_MAX_MEM];
    if (!parse_addr_len(&p, &addr, &len) || *p) {
        gdb_reply(s, GDB_EINVAL);
        return;
    }
    if (s->ops->read_mem(s->opaque, g_cpu(s), addr, buf, len) < 0) {
        gdb_reply(s, GDB_EFAULT);
        return;
    }
    gdb_reply_begin(s);
    gdb_reply_hex(s, buf, len);
    gdb_reply_end(s);
}

/* M addr,len:hex and X addr,len:binary (already unescaped). */
static void cmd_write_mem(GdbStub *s, const char *p, size_t plen, bool binary)
{
    const char *start = p;
    uint64_t addr, len;
    uint8_t buf[GDB_MAX_MEM];
    if (!parse_addr_len(&p, &addr, &len) || *p != ':') {
        gdb_reply(s, GDB_EINVAL);
        return;
    }
    p++;
    size_t data_len = plen - (size_t)(p - start);
    if (binary) {
        if (data_len != len) {
            gdb_reply(s, GDB_EINVAL);
            return;
        }
        memcpy(buf, p, len);
    } else if (!parse_hex_bytes(p, data_len, buf, len)) {
        gdb_reply(s, GDB_EINVAL);
        return;
    }
    if (len && s->ops->write_mem(s->opaque, g_cpu(s), addr, buf, len) < 0) {
        gdb_reply(s, GDB_EFAULT);
        return;
    }
    gdb_reply(s, "OK");
}

/* Z/z type,addr,kind. */
static void cmd_breakpoint(GdbStub *s, const char *p, bool insert)
{
    uint64_t type, addr, kind;
    if (!gdb_parse_hex(&p, &type) || *p++ != ',' || !gdb_parse_hex(&p, &addr) || *p++ != ',' ||
        !gdb_parse_hex(&p, &kind) || (*p && *p != ';')) {
        gdb_reply(s, GDB_EINVAL);
        return;
    }
    if (type <= 1) {
        /* Software and hardware breakpoints are both translator
         * breakpoints: nothing is written into guest memory. */
        if (insert) {
            gdb_reply(s, exec_breakpoint_insert(addr) ? "OK" : GDB_ENOSPC);
        } else {
            exec_breakpoint_remove(addr);
            gdb_reply(s, "OK");
        }
        return;
    }
    if (type > GDB_WATCH_ACCESS || !s->ops->watch_insert) {
        gdb_reply(s, ""); /* not supported */
        return;
    }
    if (kind == 0 || kind > 0x10000) {
        gdb_reply(s, GDB_EINVAL);
        return;
    }
    int r = insert ? s->ops->watch_insert(s->opaque, (GdbWatchKind)type, addr, kind)
                   : s->ops->watch_remove(s->opaque, (GdbWatchKind)type, addr, kind);
    gdb_reply(s, r < 0 ? GDB_ENOSPC : "OK");
}

/* c [addr] and s [addr]. */
static void cmd_resume(GdbStub *s, const char *p, bool step)
{
    if (*p) {
        uint64_t addr;
        if (!gdb_parse_hex(&p, &addr) || *p) {
            gdb_reply(s, GDB_EINVAL);
            return;
        }
        g_cpu(s)->pc = addr;
    }
    gdb_resume(s, gdb_all_cpus(s), step ? (int)s->g_cpu : -1);
}

static void cmd_set_thread(GdbStub *s, const char *p)
{
    int64_t tid;
    char op = *p++;
    int cpu;
    if ((op != 'g' && op != 'c') || !gdb_parse_thread(&p, &tid) || *p ||
        (cpu = gdb_thread_cpu(s, tid, s->g_cpu)) < 0) {
        gdb_reply(s, GDB_EINVAL);
        return;
    }
    if (op == 'g') {
        s->g_cpu = (unsigned)cpu;
    }
    gdb_reply(s, "OK");
}

static void cmd_thread_alive(GdbStub *s, const char *p)
{
    int64_t tid;
    bool ok = gdb_parse_thread(&p, &tid) && !*p && tid > 0 && gdb_thread_cpu(s, tid, 0) >= 0;
    gdb_reply(s, ok ? "OK" : GDB_EINVAL);
}

void gdb_handle_packet(GdbStub *s, char *p, size_t len)
{
    if (s->running) {
        return; /* all-stop: nothing but Ctrl-C while the guest runs */
    }
    char c = len ? p[0] : '\0';
    switch (c) {
    case '?':
        gdb_reply_stop(s);
        break;
    case 'g':
        cmd_read_regs(s);
        break;
    case 'G':
        cmd_write_regs(s, p + 1, len - 1);
        break;
    case 'p':
        cmd_read_reg(s, p + 1);
        break;
    case 'P':
        cmd_write_reg(s, p + 1);
        break;
    case 'm':
        cmd_read_mem(s, p + 1);
        break;
    case 'M':
        cmd_write_mem(s, p + 1, len - 1, false);
        break;
    case 'X':
        cmd_write_mem(s, p + 1, len - 1, true);
        break;
    case 'c':
        cmd_resume(s, p + 1, false);
        break;
    case 's':
        cmd_resume(s, p + 1, true);
        break;
    case 'Z':
    case 'z':
        cmd_breakpoint(s, p + 1, c == 'Z');
        break;
    case 'H':
        cmd_set_thread(s, p + 1);
        break;
    case 'T':
        cmd_thread_alive(s, p + 1);
        break;
    case 'k':
        s->ops->kill(s->opaque); /* no reply */
        break;
    case 'D':
        exec_breakpoint_remove_all();
        gdb_reply(s, "OK");
        s->ops->detach(s->opaque);
        break;
    case 'q':
    case 'Q':
        if (!gdb_handle_query(s, p)) {
            gdb_reply(s, "");
        }
        break;
    case 'v':
        if (!gdb_handle_v(s, p)) {
            gdb_reply(s, "");
        }
        break;
    default:
        gdb_reply(s, "");
        break;
    }
}
