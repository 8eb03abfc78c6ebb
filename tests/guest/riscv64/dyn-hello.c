/*
 * dyn-hello.c — a dynamically linked program (Debian's cross gcc without
 * -static): the emulator loads ld.so from the -L sysroot, which loads
 * libc.so.6 from it; stdio, the environment and arguments then work as in
 * a static program.
 *
 * The one thing to know: run with -L /usr/riscv64-linux-gnu (dyn-hello.emuargs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    printf("hello from a dynamic program, %d argument(s)\n", argc - 1);
    for (int i = 1; i < argc; i++) {
        printf("argv[%d] = %s (%zu bytes)\n", i, argv[i], strlen(argv[i]));
    }
    const char *b = getenv("GUEST_B");
    printf("GUEST_B = %s\n", b ? b : "(unset)");
    char *copy = strdup("heap works");
    puts(copy);
    free(copy);
    return 3;
}
