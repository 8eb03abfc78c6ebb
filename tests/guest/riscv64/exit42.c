/*
 * exit42.c — the exit status of the guest becomes the exit status of the
 * emulator: prints a line, flushes it, and returns 42.
 *
 * The one thing to know: exit42.status holds the expected status (42).
 */
#include <stdio.h>

int main(void)
{
    printf("exiting with 42\n");
    return 42;
}
