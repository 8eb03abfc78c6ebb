/*
 * compress.c — string handling: an LZ77 compressor with a hash chain and
 * its decompressor, run over generated text, checking the round trip.
 *
 * The one thing to know: byte loads, compares and short copies dominate;
 * the output sizes and a checksum are printed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IN_SIZE (1 << 20)
#define WINDOW 4096
#define HASH_BITS 14
#define MIN_MATCH 4
#define MAX_MATCH 130

/* Writes in[from, to) as literal runs of up to 128 bytes at out + o;
 * returns the new output length. */
static size_t emit_literals(const uint8_t *in, size_t from, size_t to, uint8_t *out, size_t o)
{
    while (from < to) {
        size_t run = to - from > 128 ? 128 : to - from;
        out[o++] = (uint8_t)(run - 1);
        memcpy(out + o, in + from, run);
        o += run;
        from += run;
    }
    return o;
}

static size_t lz_compress(const uint8_t *in, size_t n, uint8_t *out)
{
    static int32_t head[1 << HASH_BITS];
    static int32_t prev[IN_SIZE];
    memset(head, -1, sizeof(head));
    size_t o = 0, i = 0, lit_start = 0;
    while (i + MIN_MATCH <= n) {
        uint32_t h = ((uint32_t)in[i] << 16 ^ (uint32_t)in[i + 1] << 8 ^ in[i + 2] ^
                      (uint32_t)in[i + 3] << 4) * 2654435761u >> (32 - HASH_BITS);
        int32_t cand = head[h];
        prev[i] = cand;
        head[h] = (int32_t)i;
        size_t best = 0, best_off = 0;
        for (int chain = 0; cand >= 0 && i - (size_t)cand <= WINDOW && chain < 16; chain++) {
            size_t l = 0;
            while (l < MAX_MATCH && i + l < n && in[cand + l] == in[i + l]) l++;
            if (l > best) {
                best = l;
                best_off = i - (size_t)cand;
            }
            cand = prev[cand];
        }
        if (best >= MIN_MATCH) {
            o = emit_literals(in, lit_start, i, out, o);
            out[o++] = (uint8_t)(0x80 | (best - MIN_MATCH - 0));
            out[o++] = (uint8_t)(best_off >> 8);
            out[o++] = (uint8_t)best_off;
            i += best;
            lit_start = i;
        } else {
            i++;
        }
    }
    return emit_literals(in, lit_start, n, out, o);
}

static size_t lz_decompress(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint8_t c = in[i++];
        if (c & 0x80) {
            size_t len = (size_t)(c & 0x7f) + MIN_MATCH;
            size_t off = (size_t)in[i] << 8 | in[i + 1];
            i += 2;
            for (size_t k = 0; k < len; k++, o++) out[o] = out[o - off];
        } else {
            size_t run = (size_t)c + 1;
            memcpy(out + o, in + i, run);
            i += run;
            o += run;
        }
    }
    return o;
}

int main(void)
{
    static const char *words[] = { "the ", "quick ", "brown ", "fox ", "jumps ", "over ",
                                   "lazy ", "dog ", "emulator ", "translates ", "blocks ",
                                   "of ", "guest ", "code ", "into ", "host ", "machine ",
                                   "instructions, ", "and ", "caches ", "them. " };
    uint8_t *in = malloc(IN_SIZE), *comp = malloc(IN_SIZE * 2), *back = malloc(IN_SIZE);
    if (!in || !comp || !back) return 1;
    uint32_t x = 1;
    for (size_t i = 0; i < IN_SIZE;) {
        x = x * 1664525u + 1013904223u;
        const char *w = words[(x >> 8) % 21];
        for (; *w && i < IN_SIZE; w++) in[i++] = (uint8_t)((x >> 28) == 0 ? (*w ^ 0x20) : *w);
    }
    size_t total = 0;
    uint32_t sum = 0;
    for (int r = 0; r < 3; r++) {
        in[r * 1000] ^= 1;
        size_t c = lz_compress(in, IN_SIZE, comp);
        size_t d = lz_decompress(comp, c, back);
        if (d != IN_SIZE || memcmp(in, back, IN_SIZE) != 0) {
            printf("round trip failed\n");
            return 1;
        }
        total += c;
        for (size_t i = 0; i < c; i++) sum = sum * 31 + comp[i];
    }
    printf("compress %zu bytes -> %zu total, checksum %08x\n", (size_t)IN_SIZE, total, sum);
    return 0;
}
