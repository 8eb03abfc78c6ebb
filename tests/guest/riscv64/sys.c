/*
 * sys.c — assorted system calls whose results are host-independent once
 * reduced to facts: clock monotonicity, getrandom length, uname machine,
 * brk growth, large malloc, mmap/munmap/mprotect/mremap, getpid consistency.
 *
 * The one thing to know: never print a time, pid or address; print only
 * comparisons and lengths, so the oracle's output is stable.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static void test_time(void)
{
    struct timespec a, b, r;
    int ok = clock_gettime(CLOCK_MONOTONIC, &a) == 0;
    volatile unsigned spin = 0;
    for (unsigned i = 0; i < 100000; i++)
        spin += i;
    ok &= clock_gettime(CLOCK_MONOTONIC, &b) == 0;
    int mono = b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec);
    printf("clock_gettime ok=%d monotonic=%d nsec<1e9=%d\n", ok, mono,
           a.tv_nsec < 1000000000 && b.tv_nsec < 1000000000);
    printf("clock_getres ok=%d\n", clock_getres(CLOCK_MONOTONIC, &r) == 0);
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    printf("realtime after 2020: %d time() agrees: %d\n", rt.tv_sec > 1577836800,
           labs((long)(time(NULL) - rt.tv_sec)) < 5);
    struct timespec nap = {0, 1000000};
    printf("nanosleep=%d\n", nanosleep(&nap, NULL));
}

static void test_random(void)
{
    unsigned char buf[64];
    memset(buf, 0, sizeof(buf));
    ssize_t n = getrandom(buf, sizeof(buf), 0);
    int nonzero = 0;
    for (int i = 0; i < 64; i++)
        nonzero += buf[i] != 0;
    printf("getrandom n=%zd mostly-nonzero=%d\n", n, nonzero > 32);
    printf("getrandom(0)=%zd\n", getrandom(buf, 0, 0));
}

static void test_ids(void)
{
    struct utsname u;
    printf("uname=%d machine=%s sysname=%s\n", uname(&u), u.machine, u.sysname);
    printf("getpid==syscall: %d ppid>0: %d\n", getpid() == syscall(SYS_getpid), getppid() > 0);
    printf("gettid==getpid: %d\n", (pid_t)syscall(SYS_gettid) == getpid());
    char cwd[4096];
    printf("getcwd ok: %d\n", getcwd(cwd, sizeof(cwd)) != NULL && cwd[0] == '/');
}

static void test_brk_malloc(void)
{
    char *b0 = sbrk(0);
    char *b1 = sbrk(1 << 20);
    char *b2 = sbrk(0);
    printf("sbrk grow ok=%d delta=%td\n", b1 == b0, b2 - b0);
    memset(b1, 0x5a, 1 << 20);
    printf("brk memory writable: %d\n", b1[(1 << 20) - 1] == 0x5a);
    printf("sbrk shrink ok=%d\n", sbrk(-(1 << 20)) == b2);

    size_t sizes[] = {16, 4096, 100000, 1 << 20, 64 << 20};
    for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        unsigned char *p = malloc(sizes[i]);
        if (!p) {
            printf("malloc %zu failed\n", sizes[i]);
            continue;
        }
        for (size_t j = 0; j < sizes[i]; j += 4096)
            p[j] = (unsigned char)(j / 4096);
        p[sizes[i] - 1] = 7;
        unsigned long s = 0;
        for (size_t j = 0; j < sizes[i]; j += 4096)
            s += p[j];
        printf("malloc %zu ok sum=%lu last=%d aligned=%d\n", sizes[i], s, p[sizes[i] - 1],
               ((uintptr_t)p & 15) == 0);
        p = realloc(p, sizes[i] * 2);
        printf("realloc ok=%d kept=%d\n", p != NULL, p && p[0] == 0);
        free(p);
    }
    void *c = calloc(1000, 1000);
    int zero = 1;
    for (int i = 0; i < 1000000; i += 999)
        zero &= ((char *)c)[i] == 0;
    printf("calloc zeroed=%d\n", zero);
    free(c);
}

static void test_mmap(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap ok=%d aligned=%d zero=%d\n", p != MAP_FAILED, ((uintptr_t)p % pg) == 0,
           p != MAP_FAILED && p[0] == 0 && p[4 * pg - 1] == 0);
    if (p == MAP_FAILED)
        return;
    for (long i = 0; i < 4 * pg; i++)
        p[i] = (char)(i % 251);
    printf("mprotect ro=%d\n", mprotect(p + pg, pg, PROT_READ));
    printf("read ro page: %d\n", p[pg + 10] == (char)((pg + 10) % 251));
    printf("munmap middle=%d\n", munmap(p + 2 * pg, pg));
    printf("last page intact: %d\n", p[3 * pg + 5] == (char)((3 * pg + 5) % 251));
    char *q = mmap(p + 2 * pg, pg, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("mmap fixed ok=%d zero=%d\n", q == p + 2 * pg, q[0] == 0);
    printf("munmap all=%d\n", munmap(p, 4 * pg));
    char *big = mmap(NULL, 256 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
    printf("mmap 256M ok=%d\n", big != MAP_FAILED);
    if (big != MAP_FAILED) {
        big[(256 << 20) - 1] = 1;
        big = mremap(big, 256 << 20, 512 << 20, MREMAP_MAYMOVE);
        printf("mremap ok=%d kept=%d\n", big != MAP_FAILED,
               big != MAP_FAILED && big[(256 << 20) - 1] == 1);
        if (big != MAP_FAILED)
            munmap(big, 512 << 20);
    }
    void *bad = mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap len 0 fails: %d errno=%d\n", bad == MAP_FAILED, errno);
}

int main(void)
{
    test_time();
    test_random();
    test_ids();
    test_brk_malloc();
    test_mmap();
    return 0;
}
