/*
 * wc.c — reads all of stdin (wc.stdin) and prints line, word and byte
 * counts plus a checksum; exercises read() until EOF on a redirected file.
 *
 * The one thing to know: the runner feeds wc.stdin; with no stdin file the
 * input is empty.
 */
#include <ctype.h>
#include <stdio.h>

int main(void)
{
    unsigned long lines = 0, words = 0, bytes = 0, sum = 0;
    int c, in_word = 0;
    while ((c = getchar()) != EOF) {
        bytes++;
        sum = sum * 131 + (unsigned char)c;
        if (c == '\n')
            lines++;
        if (isspace(c)) {
            in_word = 0;
        } else if (!in_word) {
            in_word = 1;
            words++;
        }
    }
    printf("%lu %lu %lu %016lx\n", lines, words, bytes, sum);
    return 0;
}
