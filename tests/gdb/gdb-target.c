/* gdb-target.c — the user-mode guest program of the gdb stub test
 * (tests/gdb/gdb-user.py): a function to break on and a global to watch;
 * with an argument, a loop for Ctrl-C that ends when stop_spin is set. */
#include <stdio.h>

volatile long counter;
volatile int stop_spin;
volatile unsigned long spins;

long __attribute__((noinline)) add_twice(long a, long b)
{
    return a + 2 * b;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        while (!stop_spin) {
            spins++;
        }
        printf("spun\n");
        return 7;
    }
    long s = 0;
    for (int i = 0; i < 3; i++) {
        s += add_twice(i, 5);
    }
    counter = s;
    counter += 1;
    printf("sum=%ld counter=%ld\n", s, counter);
    return (int)(counter & 0x7f);
}
