/*
 * segv.c — a guest that jumps to unmapped memory must die by SIGSEGV, with
 * its earlier output flushed, and the emulator must report death by signal
 * (status 139 as a shell shows it).
 *
 * The one thing to know: the jump target comes from a volatile so the
 * compiler cannot prove it is invalid and drop the call.
 */
#include <stdio.h>

static void (*volatile target)(void) = (void (*)(void))0x10;

int main(void)
{
    printf("about to jump to unmapped memory\n");
    fflush(stdout);
    target();
    printf("still alive?\n");
    return 0;
}
