/* gdb-baremetal.c — the bare-metal guest of the system-mode gdb stub test
 * (tests/gdb/gdb-system.py), started by tests/system/baremetal/start.S in
 * M-mode: a function to break on, a global to watch, a loop for Ctrl-C,
 * and a poweroff once the debugger sets `done`. */
#include <stdint.h>

#define UART ((volatile uint8_t *)0x10000000)
#define FINISHER (*(volatile uint32_t *)0x100000)

volatile uint64_t ticks;
volatile int done;

void __attribute__((noinline)) tick(uint64_t n)
{
    ticks = n * 3;
}

void trap(void *frame)
{
    (void)frame;
    FINISHER = 0x13333; /* unexpected trap: exit status 1 */
}

int main(void)
{
    for (uint64_t i = 1; !done; i++) {
        tick(i);
    }
    for (const char *s = "gdb-baremetal done\n"; *s; s++) {
        while (!(UART[5] & 0x20)) {
        }
        UART[0] = (uint8_t)*s;
    }
    FINISHER = 0x5555; /* poweroff, status 0 */
    return 0;
}
