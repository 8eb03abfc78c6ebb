/*
 * compute.c — hot loops, recursion and indirect calls that make a DBT chain
 * and re-enter blocks many times: sieve, recursive fib, CRC-32, integer
 * matrix multiply, Collatz lengths, and a function-pointer dispatch loop.
 *
 * The one thing to know: all results are exact integers checked against the
 * oracle; it runs long enough (tens of millions of instructions) to matter.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static unsigned sieve(unsigned n)
{
    static unsigned char comp[200001];
    unsigned count = 0;
    memset(comp, 0, sizeof(comp));
    for (unsigned i = 2; i <= n; i++) {
        if (comp[i])
            continue;
        count++;
        for (unsigned long j = (unsigned long)i * i; j <= n; j += i)
            comp[j] = 1;
    }
    return count;
}

static unsigned long fib(unsigned n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static uint32_t crc32(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & -(c & 1));
    }
    return ~c;
}

static int64_t matmul(void)
{
    static int64_t a[24][24], b[24][24], c[24][24];
    for (int i = 0; i < 24; i++)
        for (int j = 0; j < 24; j++) {
            a[i][j] = (i * 7 + j * 3) % 17 - 8;
            b[i][j] = (i * 5 - j * 11) % 13;
        }
    int64_t trace = 0;
    for (int i = 0; i < 24; i++)
        for (int j = 0; j < 24; j++) {
            int64_t s = 0;
            for (int k = 0; k < 24; k++)
                s += a[i][k] * b[k][j];
            c[i][j] = s;
        }
    for (int i = 0; i < 24; i++)
        trace += c[i][i] * (i + 1) + c[i][23 - i];
    return trace;
}

static unsigned collatz_max(unsigned limit, unsigned *arg)
{
    unsigned best = 0;
    for (unsigned n = 1; n < limit; n++) {
        unsigned long x = n;
        unsigned len = 0;
        while (x != 1) {
            x = (x & 1) ? 3 * x + 1 : x / 2;
            len++;
        }
        if (len > best) {
            best = len;
            *arg = n;
        }
    }
    return best;
}

static long op_add(long a, long b) { return a + b; }
static long op_xor(long a, long b) { return a ^ b; }
static long op_mul(long a, long b) { return a * b + 1; }
static long op_sub(long a, long b) { return a - b * 3; }

int main(void)
{
    static unsigned char data[65536];
    for (unsigned i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i * 2654435761u >> 13);
    printf("primes<=200000: %u\n", sieve(200000));
    printf("fib(27) = %lu\n", fib(27));
    printf("crc32 = %08x\n", crc32(data, sizeof(data)));
    printf("matmul trace = %lld\n", (long long)matmul());
    unsigned arg = 0;
    unsigned len = collatz_max(100000, &arg);
    printf("collatz longest below 100000: %u steps from %u\n", len, arg);
    long (*const ops[])(long, long) = {op_add, op_xor, op_mul, op_sub};
    long acc = 1;
    for (long i = 0; i < 1000000; i++)
        acc = ops[(acc ^ i) & 3](acc, i);
    printf("dispatch acc = %ld\n", acc);
    return 0;
}
