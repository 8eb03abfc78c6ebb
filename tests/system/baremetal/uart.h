/*
 * uart.h — console output for the bare-metal test programs: the virt
 * machine's NS16550A at 0x10000000, polled (wait for THR empty, write).
 * Header-only so each program stays one C file.
 */
#ifndef BAREMETAL_UART_H
#define BAREMETAL_UART_H

#include <stdint.h>

#define UART ((volatile uint8_t *)0x10000000)

static inline void putch(char c)
{
    while (!(UART[5] & 0x20)) {
    }
    UART[0] = (uint8_t)c;
}

static inline void puts_(const char *s)
{
    while (*s) {
        putch(*s++);
    }
}

static inline void putdec(uint64_t v)
{
    char buf[24];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) {
        putch(buf[--n]);
    }
}

static inline void puthex(uint64_t v)
{
    puts_("0x");
    for (int i = 60; i >= 0; i -= 4) {
        putch("0123456789abcdef"[(v >> i) & 15]);
    }
}

#endif
