/*
 * strings.c — libc string and memory functions, qsort/bsearch, and printf /
 * snprintf with many integer formats, widths, flags and positional forms.
 *
 * The one thing to know: integers only — no floating-point format or value
 * appears, so no F/D instruction runs; buffers use odd sizes and offsets to
 * exercise the unaligned paths of the optimized mem* routines.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static unsigned sum_bytes(const unsigned char *p, size_t n)
{
    unsigned s = 0;
    for (size_t i = 0; i < n; i++)
        s = s * 31 + p[i];
    return s;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void test_mem(void)
{
    static unsigned char src[300], dst[300];
    for (int i = 0; i < 300; i++)
        src[i] = (unsigned char)(i * 7 + 3);
    for (int off = 0; off < 9; off++) {
        for (int len = 0; len < 70; len += 13) {
            memset(dst, 0xee, sizeof(dst));
            memcpy(dst + off, src + (8 - off), len);
            memmove(dst + off + 3, dst + off, len);
            printf("mem off=%d len=%d sum=%08x cmp=%d\n", off, len,
                   sum_bytes(dst, sizeof(dst)),
                   memcmp(dst + off + 3, src + (8 - off), len) == 0);
        }
    }
    memset(dst, 'x', 40);
    dst[17] = 'q';
    printf("memchr=%td memrchr=%td\n", (unsigned char *)memchr(dst, 'q', 40) - dst,
           (unsigned char *)memrchr(dst, 'x', 40) - dst);
}

static void test_str(void)
{
    char buf[128];
    const char *hay = "the quick brown fox jumps over the lazy dog";
    printf("strlen=%zu strnlen=%zu\n", strlen(hay), strnlen(hay, 10));
    printf("strchr=%s|strrchr=%s|strstr=%s\n", strchr(hay, 'q'), strrchr(hay, 't'),
           strstr(hay, "fox"));
    printf("strcmp=%d,%d,%d strncmp=%d strcasecmp=%d\n",
           strcmp("abc", "abd") < 0, strcmp("b", "a") > 0, strcmp("same", "same"),
           strncmp("abcdef", "abcxyz", 3), strcasecmp("HeLLo", "hello"));
    strcpy(buf, "alpha");
    strcat(buf, "-beta");
    strncat(buf, "-gammadelta", 6);
    printf("cat=%s spn=%zu cspn=%zu\n", buf, strspn(buf, "alph"), strcspn(buf, "-"));
    char tok[] = "a,b,,c;d";
    char *save = NULL;
    for (char *t = strtok_r(tok, ",;", &save); t; t = strtok_r(NULL, ",;", &save))
        printf("tok=%s ", t);
    printf("\n");
    char *dup = strdup(hay);
    for (char *p = dup; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 32);
    printf("upper=%s\n", dup);
    free(dup);
    printf("strtol=%ld,%ld,%lld strtoul=%lu atoi=%d\n", strtol("-12345", NULL, 10),
           strtol("0x7fffffff", NULL, 16), strtoll("-9223372036854775808", NULL, 10),
           strtoul("0777", NULL, 0), atoi("  42abc"));
}

static void test_sort(void)
{
    int a[200];
    uint32_t s = 12345;
    for (int i = 0; i < 200; i++) {
        s = s * 1103515245u + 12345u;
        a[i] = (int)(s >> 8) % 1000 - 500;
    }
    qsort(a, 200, sizeof(int), cmp_int);
    long sum = 0;
    int sorted = 1;
    for (int i = 0; i < 200; i++) {
        sum += (long)a[i] * (i + 1);
        if (i && a[i - 1] > a[i])
            sorted = 0;
    }
    int key = a[123];
    int *found = bsearch(&key, a, 200, sizeof(int), cmp_int);
    printf("qsort sorted=%d min=%d max=%d wsum=%ld found=%d\n", sorted, a[0], a[199], sum,
           found && *found == key);
    const char *words[] = {"pear", "apple", "fig", "banana", "cherry", "date", "apple"};
    qsort(words, 7, sizeof(words[0]), cmp_str);
    for (int i = 0; i < 7; i++)
        printf("%s%c", words[i], i == 6 ? '\n' : ' ');
}

static void test_printf(void)
{
    char buf[64];
    printf("[%d] [%5d] [%-5d] [%05d] [%+d] [% d] [%i]\n", -42, 42, 42, 42, 42, 42, 0);
    printf("[%u] [%x] [%X] [%#x] [%#o] [%o] [%08x]\n", 3000000000u, 0xdeadbeefu,
           0xdeadbeefu, 255u, 8u, 511u, 0xabcu);
    printf("[%ld] [%lu] [%lx] [%lld] [%llu]\n", (long)INT64_MIN, (unsigned long)UINT64_MAX,
           0x123456789abcdefUL, (long long)INT64_MAX, 18446744073709551615ULL);
    printf("[%hd] [%hhd] [%hu] [%hhu] [%zu] [%td] [%jd]\n", (short)-1234, (signed char)-12,
           (unsigned short)65535, (unsigned char)255, (size_t)123456, (ptrdiff_t)-99,
           (intmax_t)-77);
    printf("[%" PRIx64 "] [%" PRId32 "] [%" PRIu16 "]\n", (uint64_t)0xfeedface12345678ULL,
           (int32_t)INT32_MIN, (uint16_t)65000);
    printf("[%s] [%10s] [%-10s] [%.3s] [%c] [%%] [%*d] [%-*d] [%.*d]\n", "str", "right",
           "left", "truncate", 'Z', 8, 7, 8, 7, 6, 3);
    printf("[%2$s %1$s] [%3$d]\n", "world", "hello", 3);
    int n = snprintf(buf, 10, "%s-%d", "overflowing", 123456);
    printf("snprintf n=%d buf=%s\n", n, buf);
    n = snprintf(buf, sizeof(buf), "%#lx|%+.5d|%x", 0UL, 17, 0u);
    printf("snprintf n=%d buf=%s\n", n, buf);
    n = snprintf(NULL, 0, "%d%d%d", 111, 222, 333);
    printf("snprintf(NULL) n=%d\n", n);
    printf("%p %p\n", (void *)0, (void *)0x1000);
}

int main(void)
{
    test_mem();
    test_str();
    test_sort();
    test_printf();
    return 0;
}
