/* lib.c — the little libc of the PVH test guests: COM1 output by polling
 * the 16550's line status register, number printing, string helpers, the
 * command-line parser and a checksum.
 * The one thing to know: output never blocks forever; if the UART never
 * reports an empty transmitter the byte is written anyway, so a VMM with a
 * minimal UART (THR only) still gets the text. */
#include "guest.h"

#define COM1 0x3f8
#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_LSR_THRE 0x20

void serial_init(void)
{
    outb(COM1 + UART_IER, 0x00);       /* no interrupts */
    outb(COM1 + UART_LCR, 0x80);       /* DLAB: divisor 1 = 115200 baud */
    outb(COM1 + 0, 0x01);
    outb(COM1 + 1, 0x00);
    outb(COM1 + UART_LCR, 0x03);       /* 8N1 */
    outb(COM1 + UART_FCR, 0x07);       /* FIFOs on and cleared */
    outb(COM1 + UART_MCR, 0x03);       /* DTR, RTS */
}

void putc_serial(char c)
{
    for (int i = 0; i < 100000; i++) {
        if (inb(COM1 + UART_LSR) & UART_LSR_THRE) {
            break;
        }
    }
    outb(COM1 + UART_THR, (uint8_t)c);
}

void puts_serial(const char *s)
{
    while (*s) {
        if (*s == '\n') {
            putc_serial('\r');
        }
        putc_serial(*s++);
    }
}

void put_hex(uint64_t v, int digits)
{
    static const char hex[] = "0123456789abcdef";
    char buf[17];
    if (digits < 1 || digits > 16) {
        digits = 16;
    }
    for (int i = digits - 1; i >= 0; i--) {
        buf[i] = hex[v & 0xf];
        v >>= 4;
    }
    buf[digits] = 0;
    puts_serial(buf);
}

void put_dec(uint64_t v)
{
    char buf[21];
    int i = 20;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    puts_serial(&buf[i]);
}

void put_kv_hex(const char *key, uint64_t v)
{
    puts_serial(key);
    puts_serial("=0x");
    put_hex(v, 0);
}

void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    while (n--) {
        *d++ = (uint8_t)c;
    }
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n--) {
        *d++ = *s++;
    }
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i]) {
            return x[i] < y[i] ? -1 : 1;
        }
    }
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n]) {
        n++;
    }
    return n;
}

bool cmdline_get(const char *cmdline, const char *key, int index, char *out, size_t outlen)
{
    size_t klen = strlen(key);
    const char *p = cmdline;
    while (*p) {
        while (*p == ' ') {
            p++;
        }
        const char *word = p;
        while (*p && *p != ' ') {
            p++;
        }
        size_t wlen = (size_t)(p - word);
        if (wlen > klen && word[klen] == '=' && memcmp(word, key, klen) == 0) {
            if (index-- == 0) {
                size_t vlen = wlen - klen - 1;
                if (vlen >= outlen) {
                    vlen = outlen - 1;
                }
                memcpy(out, word + klen + 1, vlen);
                out[vlen] = 0;
                return true;
            }
        }
    }
    return false;
}

uint64_t parse_size(const char *s, const char **end)
{
    uint64_t v = 0;
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    } else if (s[0] == '0') {
        base = 8;
    }
    for (;; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9') {
            d = (unsigned)(*s - '0');
        } else if (*s >= 'a' && *s <= 'f') {
            d = (unsigned)(*s - 'a' + 10);
        } else if (*s >= 'A' && *s <= 'F') {
            d = (unsigned)(*s - 'A' + 10);
        } else {
            break;
        }
        if (d >= base) {
            break;
        }
        v = v * base + d;
    }
    switch (*s) {
    case 'G': case 'g': v <<= 10; /* fall through */
    case 'M': case 'm': v <<= 10; /* fall through */
    case 'K': case 'k': v <<= 10; s++; break;
    default: break;
    }
    *end = s;
    return v;
}

uint32_t fnv1a32(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint32_t h = 0x811c9dc5u;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x01000193u;
    }
    return h;
}
