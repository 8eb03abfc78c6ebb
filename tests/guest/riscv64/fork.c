/*
 * fork.c — processes: fork with the child's exit status collected by
 * waitpid, a child that keeps computing (translating new code in its own
 * copy of the code buffer) while the parent does too, memory that is
 * copied rather than shared, system() and popen() (glibc's posix_spawn:
 * clone with CLONE_VM | CLONE_VFORK, then execve of the host's /bin/sh).
 *
 * The one thing to know: the output is ordered by waitpid, so it does not
 * depend on scheduling.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static long work(long n)
{
    long s = 0;
    for (long i = 0; i < n; i++) {
        s += (i * i) % 7;
    }
    return s;
}

int main(void)
{
    int shared = 1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        shared = 2;
        printf("child: work=%ld shared=%d\n", work(100000), shared);
        fflush(stdout);
        _exit(7);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    printf("parent: child exited=%d code=%d, shared still %d, work=%ld\n", WIFEXITED(status),
           WEXITSTATUS(status), shared, work(50000));
    fflush(stdout);
    int r = system("echo from system; exit 3");
    printf("system returned exit code %d\n", WEXITSTATUS(r));
    FILE *p = popen("echo popen line", "r");
    char line[64] = { 0 };
    if (p && fgets(line, sizeof(line), p)) {
        line[strcspn(line, "\n")] = 0;
    }
    printf("popen read '%s', pclose=%d\n", line, p ? WEXITSTATUS(pclose(p)) : -1);
    return 0;
}
