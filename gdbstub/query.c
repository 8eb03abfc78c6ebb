/*
 * query.c — the stub's general queries (q, Q) and v packets: features,
 * the target description, threads, no-ack mode, vCont.
 *
 * The one thing to know: qXfer reads are windows (offset, length) into a
 * constant document; offsets past its end get "l" and lengths are capped
 * so that the escaped reply always fits the packet size.
 */
#include <string.h>

#include "gdbstub/gdbstub-internal.h"

static bool starts(const char *p, const char *prefix)
{
    return strncmp(p, prefix, strlen(prefix)) == 0;
}

/* qXfer:features:read:ANNEX:OFFSET,LENGTH */
static void query_features(GdbStub *s, const char *p)
{
    const char *colon = strchr(p, ':');
    char annex[64];
    uint64_t off, len;
    if (!colon || (size_t)(colon - p) >= sizeof(annex)) {
        gdb_reply(s, "E00");
        return;
    }
    memcpy(annex, p, (size_t)(colon - p));
    annex[colon - p] = '\0';
    p = colon + 1;
    if (!gdb_parse_hex(&p, &off) || *p++ != ',' || !gdb_parse_hex(&p, &len) || *p) {
        gdb_reply(s, "E00");
        return;
    }
    const char *doc = s->arch->xml(annex, s->system);
    if (!doc) {
        gdb_reply(s, "E00");
        return;
    }
    size_t size = strlen(doc);
    if (off >= size) {
        gdb_reply(s, "l");
        return;
    }
    /* Worst case every byte is escaped into two. */
    uint64_t max = (GDB_PACKET_SIZE - 2) / 2;
    len = len < max ? len : max;
    size_t n = size - off < len ? size - (size_t)off : (size_t)len;
    gdb_reply_begin(s);
    gdb_reply_str(s, off + n < size ? "m" : "l");
    gdb_reply_bin(s, (const uint8_t *)doc + off, n);
    gdb_reply_end(s);
}

static void query_threads(GdbStub *s)
{
    unsigned n = s->ops->nb_cpus(s->opaque);
    gdb_reply_begin(s);
    gdb_reply_str(s, "m");
    for (unsigned i = 0; i < n; i++) {
        gdb_reply_fmt(s, i ? ",%x" : "%x", i + 1);
    }
    gdb_reply_end(s);
}

static void query_thread_extra(GdbStub *s, const char *p)
{
    int64_t tid;
    int cpu;
    if (!gdb_parse_thread(&p, &tid) || *p || tid <= 0 || (cpu = gdb_thread_cpu(s, tid, 0)) < 0) {
        gdb_reply(s, "E01");
        return;
    }
    char text[32];
    int n = snprintf(text, sizeof(text), "%s %d", s->system ? "hart" : "cpu", cpu);
    gdb_reply_begin(s);
    gdb_reply_hex(s, (const uint8_t *)text, (size_t)n);
    gdb_reply_end(s);
}

bool gdb_handle_query(GdbStub *s, char *p)
{
    if (starts(p, "qSupported")) {
        gdb_reply_begin(s);
        gdb_reply_fmt(s, "PacketSize=%x;qXfer:features:read+;vContSupported+;QStartNoAckMode+",
                      GDB_PACKET_SIZE);
        gdb_reply_end(s);
    } else if (strcmp(p, "QStartNoAckMode") == 0) {
        gdb_reply(s, "OK");
        s->no_ack = true; /* after the OK, which is still acknowledged */
    } else if (starts(p, "qXfer:features:read:")) {
        query_features(s, p + strlen("qXfer:features:read:"));
    } else if (strcmp(p, "qC") == 0) {
        gdb_reply_begin(s);
        gdb_reply_fmt(s, "QC%x", s->g_cpu + 1);
        gdb_reply_end(s);
    } else if (strcmp(p, "qfThreadInfo") == 0) {
        query_threads(s);
    } else if (strcmp(p, "qsThreadInfo") == 0) {
        gdb_reply(s, "l");
    } else if (starts(p, "qThreadExtraInfo,")) {
        query_thread_extra(s, p + strlen("qThreadExtraInfo,"));
    } else if (starts(p, "qAttached")) {
        gdb_reply(s, "1");
    } else if (strcmp(p, "qSymbol::") == 0) {
        gdb_reply(s, "OK");
    } else {
        return false;
    }
    return true;
}

/* vCont;action[:thread];... — each CPU takes the first action that names
 * it (or has no thread); CPUs no action names stay stopped, as does one
 * with 't'. Only one CPU steps (the host runs one step at a time). */
static void v_cont(GdbStub *s, const char *p)
{
    int step_cpu = -1;
    uint64_t all = gdb_all_cpus(s), assigned = 0, run = 0;
    while (*p == ';') {
        char a = p[1];
        p += 2;
        if (a == 'C' || a == 'S') {
            uint64_t sig;
            if (!gdb_parse_hex(&p, &sig)) {
                gdb_reply(s, "E01");
                return;
            }
            a = (char)(a - 'A' + 'a');
        }
        if (a != 'c' && a != 's' && a != 't') {
            gdb_reply(s, "E01");
            return;
        }
        uint64_t these = all; /* no thread, or -1: every CPU not yet named */
        if (*p == ':') {
            int64_t tid;
            int cpu;
            p++;
            if (!gdb_parse_thread(&p, &tid) || (cpu = gdb_thread_cpu(s, tid, s->g_cpu)) < 0) {
                gdb_reply(s, "E01");
                return;
            }
            if (tid > 0) {
                these = 1ull << cpu;
            }
        }
        these &= ~assigned;
        assigned |= these;
        if (a == 't') {
            continue;
        }
        run |= these;
        if (a == 's' && step_cpu < 0 && these) {
            step_cpu = __builtin_ctzll(these);
        }
    }
    if (*p) {
        gdb_reply(s, "E01");
        return;
    }
    if (!run) {
        gdb_reply(s, "OK");
        return;
    }
    if (step_cpu >= 0) {
        s->g_cpu = (unsigned)step_cpu;
    }
    gdb_resume(s, run, step_cpu);
}

bool gdb_handle_v(GdbStub *s, char *p)
{
    if (strcmp(p, "vCont?") == 0) {
        gdb_reply(s, "vCont;c;C;s;S;t");
    } else if (starts(p, "vCont;")) {
        v_cont(s, p + strlen("vCont"));
    } else if (strcmp(p, "vMustReplyEmpty") == 0) {
        gdb_reply(s, "");
    } else if (starts(p, "vKill")) {
        gdb_reply(s, "OK");
        s->ops->kill(s->opaque);
    } else {
        return false;
    }
    return true;
}
