/* gdb-target.c — the user-mode guest program of the gdb stub test
 * (tests/gdb/gdb-user.py): a function to break on and a global to watch. */
#include <stdio.h>

volatile long counter;

long __attribute__((noinline)) add_twice(long a, long b)
{
    return a + 2 * b;
}

int main(void)
{
    long s = 0;
    for (int i = 0; i < 3; i++) {
        s += add_twice(i, 5);
    }
    counter = s;
    counter += 1;
    printf("sum=%ld counter=%ld\n", s, counter);
    return (int)(counter & 0x7f);
}
