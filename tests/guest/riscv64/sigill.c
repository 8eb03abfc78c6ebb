/*
 * sigill.c — executing an illegal instruction (the all-zero 16-bit parcel,
 * defined illegal by the ISA) must kill the guest with SIGILL (status 132).
 *
 * The one thing to know: output before the fault must still appear.
 */
#include <stdio.h>

int main(void)
{
    printf("about to execute an illegal instruction\n");
    fflush(stdout);
    __asm__ volatile(".2byte 0x0000");
    printf("still alive?\n");
    return 0;
}
