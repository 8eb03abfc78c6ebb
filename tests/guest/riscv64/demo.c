/*
 * demo.c — the program `make demo` runs: says where it thinks it runs
 * (uname), then draws a small Mandelbrot set in fixed-point integer
 * arithmetic and prints a checksum of the picture.
 *
 * The one thing to know: integers only (no F/D instructions), so it runs on
 * what mimic implements today; also a guest test with expected output.
 */
#include <stdio.h>
#include <sys/utsname.h>

#define FIX 12 /* fractional bits */

int main(void)
{
    struct utsname u;
    if (uname(&u) == 0)
        printf("Hello from a %s program running on \"%s\".\n", u.machine, u.sysname);
    const char *shades = " .:-=+*#%@";
    unsigned long sum = 0;
    for (int row = 0; row < 20; row++) {
        char line[64];
        for (int col = 0; col < 60; col++) {
            long cr = -(2L << FIX) + col * (3L << FIX) / 60;
            long ci = -(1L << FIX) + row * (2L << FIX) / 20;
            long zr = 0, zi = 0;
            int it = 0;
            while (it < 90 && zr * zr + zi * zi < (4L << (2 * FIX))) {
                long t = ((zr * zr - zi * zi) >> FIX) + cr;
                zi = ((2 * zr * zi) >> FIX) + ci;
                zr = t;
                it++;
            }
            line[col] = shades[it >= 90 ? 9 : it % 9];
            sum = sum * 33 + (unsigned long)it;
        }
        line[60] = 0;
        printf("%s\n", line);
    }
    printf("picture checksum %016lx\n", sum);
    return 0;
}
