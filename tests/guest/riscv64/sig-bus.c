/*
 * sig-bus.c — SIGBUS delivered to a handler: a read of a shared file
 * mapping past the end of the file (BUS_ADRERR, si_addr = the byte read)
 * and a misaligned atomic (BUS_ADRALN); the handler leaves by siglongjmp.
 *
 * The one thing to know: the file is created in the current directory
 * (a scratch directory under the test runner) and unlinked at once.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile int code;
static volatile uintptr_t addr;

static void on_bus(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    code = si->si_code;
    addr = (uintptr_t)si->si_addr;
    siglongjmp(env, sig);
}

static const char *code_name(int c)
{
    return c == BUS_ADRERR ? "BUS_ADRERR" : c == BUS_ADRALN ? "BUS_ADRALN" : "other";
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_bus;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, NULL);

    int fd = open("sig-bus-file", O_RDWR | O_CREAT | O_TRUNC, 0600);
    unlink("sig-bus-file");
    if (fd < 0 || write(fd, "abc", 3) != 3) {
        printf("cannot create the file\n");
        return 1;
    }
    long pg = sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, 2 * pg, PROT_READ, MAP_SHARED, fd, 0);
    int sig = sigsetjmp(env, 1);
    if (sig == 0) {
        printf("inside the file: '%c'\n", ((volatile char *)p)[1]);
        volatile char c = p[pg + 5];
        (void)c;
        printf("read past the end did not fault\n");
    } else {
        printf("past the end of the file: signal %s, %s, si_addr=map+%ld\n",
               sig == SIGBUS ? "SIGBUS" : "other", code_name(code), (long)(addr - (uintptr_t)p));
    }

    uint32_t words[4] = { 0 };
    sig = sigsetjmp(env, 1);
    if (sig == 0) {
        uint32_t *q = (uint32_t *)((char *)words + 2);
        __atomic_fetch_add(q, 1, __ATOMIC_SEQ_CST);
        printf("misaligned atomic did not fault\n");
    } else {
        printf("misaligned atomic: signal %s, %s, si_addr is the word: %d\n",
               sig == SIGBUS ? "SIGBUS" : "other", code_name(code),
               addr == (uintptr_t)words + 2);
    }
    return 0;
}
