/*
 * packet.c — the GDB remote protocol's packet layer: framing ($data#cs),
 * checksums, acknowledgements (until QStartNoAckMode), escapes in received
 * data, Ctrl-C between packets, and reply building.
 *
 * The one thing to know: input is a byte stream from an untrusted peer; a
 * payload longer than GDB_PACKET_SIZE is dropped whole and NAKed, and a bad
 * checksum is NAKed, so nothing past the buffer is ever written.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdbstub/gdbstub-internal.h"

static const char hexdigits[] = "0123456789abcdef";

GdbStub *gdb_stub_new(const GdbArch *arch, const GdbHostOps *ops, void *opaque, bool system)
{
    GdbStub *s = calloc(1, sizeof(*s));
    if (!s) {
        return NULL;
    }
    s->arch = arch;
    s->ops = ops;
    s->opaque = opaque;
    s->system = system;
    s->stop_sig = 5;
    return s;
}

void gdb_stub_free(GdbStub *s)
{
    free(s);
}

void gdb_stub_connected(GdbStub *s)
{
    s->rx_state = RX_IDLE;
    s->no_ack = false;
    s->tx_len = 0;
    s->running = false; /* the host stops the guest for a new debugger */
    s->g_cpu = s->stop_cpu;
}

bool gdb_stub_running(const GdbStub *s)
{
    return s->running;
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

static void send_ack(GdbStub *s, bool ok)
{
    if (!s->no_ack) {
        s->ops->send(s->opaque, ok ? "+" : "-", 1);
    }
}

/* One byte outside a packet. */
static void rx_idle(GdbStub *s, uint8_t c)
{
    switch (c) {
    case '$':
        s->rx_state = RX_DATA;
        s->rx_len = 0;
        s->rx_sum = 0;
        s->rx_overflow = false;
        s->rx_escape = false;
        break;
    case 0x03:
        if (s->running && s->ops->interrupt) {
            s->ops->interrupt(s->opaque);
        }
        break;
    case '-':
        if (s->tx_len && !s->no_ack) {
            s->ops->send(s->opaque, s->tx, s->tx_len); /* retransmit */
        }
        break;
    default: /* '+' and noise */
        break;
    }
}

static void rx_data(GdbStub *s, uint8_t c)
{
    if (c == '#' && !s->rx_escape) {
        s->rx_state = RX_CSUM1;
        return;
    }
    s->rx_sum += c;
    if (s->rx_escape) {
        c ^= 0x20;
        s->rx_escape = false;
    } else if (c == '}') {
        s->rx_escape = true;
        return;
    }
    if (s->rx_len >= GDB_PACKET_SIZE) {
        s->rx_overflow = true;
        return;
    }
    s->rx[s->rx_len++] = (char)c;
}

static void rx_checksum(GdbStub *s, uint8_t c)
{
    int v = hex_value(c);
    if (s->rx_state == RX_CSUM1) {
        s->rx_csum = (uint8_t)((v < 0 ? 0 : v) << 4);
        s->rx_state = v < 0 ? RX_IDLE : RX_CSUM2;
        if (v < 0) {
            send_ack(s, false);
        }
        return;
    }
    s->rx_state = RX_IDLE;
    if (v < 0 || (uint8_t)(s->rx_csum | v) != s->rx_sum || s->rx_overflow) {
        /* In no-ack mode the checksum is not checked (the spec), but an
         * overflowing packet is still dropped. */
        if (s->rx_overflow || !s->no_ack) {
            send_ack(s, false);
            return;
        }
    }
    send_ack(s, true);
    s->rx[s->rx_len] = '\0';
    gdb_handle_packet(s, s->rx, s->rx_len);
}

void gdb_stub_input(GdbStub *s, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        switch (s->rx_state) {
        case RX_IDLE:
            rx_idle(s, buf[i]);
            break;
        case RX_DATA:
            rx_data(s, buf[i]);
            break;
        case RX_CSUM1:
        case RX_CSUM2:
            rx_checksum(s, buf[i]);
            break;
        }
    }
}

/* ---- replies ---- */

void gdb_reply_begin(GdbStub *s)
{
    s->tx[0] = '$';
    s->tx_len = 1;
    s->tx_overflow = false;
}

static void reply_byte(GdbStub *s, char c)
{
    if (s->tx_len >= GDB_PACKET_SIZE + 1) {
        s->tx_overflow = true; /* never happens for well-sized requests */
        return;
    }
    s->tx[s->tx_len++] = c;
}

void gdb_reply_str(GdbStub *s, const char *str)
{
    while (*str) {
        reply_byte(s, *str++);
    }
}

void gdb_reply_fmt(GdbStub *s, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    gdb_reply_str(s, buf);
}

void gdb_reply_hex(GdbStub *s, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        reply_byte(s, hexdigits[buf[i] >> 4]);
        reply_byte(s, hexdigits[buf[i] & 15]);
    }
}

void gdb_reply_bin(GdbStub *s, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = buf[i];
        if (c == '#' || c == '$' || c == '}' || c == '*') {
            reply_byte(s, '}');
            c ^= 0x20;
        }
        reply_byte(s, (char)c);
    }
}

void gdb_reply_end(GdbStub *s)
{
    if (s->tx_overflow) {
        gdb_reply_begin(s);
        gdb_reply_str(s, "E22");
    }
    uint8_t sum = 0;
    for (size_t i = 1; i < s->tx_len; i++) {
        sum += (uint8_t)s->tx[i];
    }
    s->tx[s->tx_len++] = '#';
    s->tx[s->tx_len++] = hexdigits[sum >> 4];
    s->tx[s->tx_len++] = hexdigits[sum & 15];
    s->ops->send(s->opaque, s->tx, s->tx_len);
}

void gdb_reply(GdbStub *s, const char *str)
{
    gdb_reply_begin(s);
    gdb_reply_str(s, str);
    gdb_reply_end(s);
}
