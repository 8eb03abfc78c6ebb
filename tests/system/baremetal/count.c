/*
 * count.c — a bare-metal M-mode program for the savevm/loadvm tests: counts
 * in RAM and prints "count N" on the UART every 20 ms of guest time (the
 * CLINT's mtime), forever. A restored machine must go on from the count it
 * was saved at, with the pace unchanged.
 */
#include <stdint.h>

#define UART ((volatile uint8_t *)0x10000000)
#define MTIME (*(volatile uint64_t *)0x0200bff8)
#define TICKS_20MS 200000 /* mtime runs at 10 MHz */

static volatile uint64_t counter;

static void putch(char c)
{
    while (!(UART[5] & 0x20)) {
    }
    UART[0] = (uint8_t)c;
}

static void print_count(uint64_t v)
{
    char buf[24];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (const char *s = "count "; *s; s++) {
        putch(*s);
    }
    while (n > 0) {
        putch(buf[--n]);
    }
    putch('\n');
}

void trap(uint64_t *frame)
{
    (void)frame;
    for (;;) {
    }
}

int main(void)
{
    uint64_t next = MTIME;
    for (;;) {
        while (MTIME < next) {
        }
        next += TICKS_20MS;
        print_count(++counter);
    }
}
