/*
 * count.c — a bare-metal M-mode program for the savevm/loadvm tests: counts
 * in RAM and prints "count N" on the UART every 20 ms of guest time (the
 * CLINT's mtime), forever. A restored machine must go on from the count it
 * was saved at, with the pace unchanged.
 */
#include <stdint.h>

#include "uart.h"

#define MTIME (*(volatile uint64_t *)0x0200bff8)
#define TICKS_20MS 200000 /* mtime runs at 10 MHz */

static volatile uint64_t counter;

static void print_count(uint64_t v)
{
    puts_("count ");
    putdec(v);
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
