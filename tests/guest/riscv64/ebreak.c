/*
 * ebreak.c — an ebreak with no debugger attached must kill the guest with
 * SIGTRAP (status 133).
 *
 * The one thing to know: output before the trap must still appear.
 */
#include <stdio.h>

int main(void)
{
    printf("about to execute ebreak\n");
    fflush(stdout);
    __asm__ volatile("ebreak");
    printf("still alive?\n");
    return 0;
}
