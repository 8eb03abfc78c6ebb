/*
 * dyn-exec.c — execve of a guest program from a dynamic program: the
 * program runs itself again through /proc/self/exe with new arguments and
 * an environment of its own; the new image must run under the emulator
 * with the same sysroot (-L), see exactly that argv and envp, inherit the
 * signal mask and the ignored signals (handled ones go back to SIG_DFL),
 * and its exit status must be the process's. Errors come first: a missing file
 * (ENOENT), a bad argv pointer (EFAULT), a file without execute
 * permission (EACCES), each returning to the caller.
 *
 * The one thing to know: dyn-exec.expected is written by hand: the oracle
 * (qemu-riscv64 without binfmt_misc) cannot execve a RISC-V program and
 * fails with ENOEXEC; a real RISC-V Linux gives the output below.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int child(int argc, char **argv)
{
    printf("child: argc=%d argv[0]=%s", argc, base_name(argv[0]));
    for (int i = 1; i < argc; i++) {
        printf(" [%s]", argv[i]);
    }
    printf("\n");
    int n = 0;
    for (char **e = environ; *e; e++) {
        n++;
    }
    const char *x = getenv("EXEC_X");
    printf("child: %d environment entries, EXEC_X=%s, GUEST_A=%s\n", n, x ? x : "(unset)",
           getenv("GUEST_A") ? "set" : "(unset)");
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    struct sigaction usr2, term;
    sigaction(SIGUSR2, NULL, &usr2);
    sigaction(SIGTERM, NULL, &term);
    printf("child: SIGUSR1 blocked %d, SIGUSR2 ignored %d, SIGTERM handler reset %d\n",
           sigismember(&cur, SIGUSR1), usr2.sa_handler == SIG_IGN, term.sa_handler == SIG_DFL);
    return 5;
}

static void on_term(int sig)
{
    (void)sig;
}

static void try_exec(const char *what, const char *path, char *const *argv)
{
    char *envp[] = { NULL };
    errno = 0;
    int r = execve(path, argv, envp);
    printf("%s: %d %s\n", what, r, errno == ENOENT ? "ENOENT" : errno == EFAULT ? "EFAULT"
                                   : errno == EACCES ? "EACCES" : strerror(errno));
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0) {
        return child(argc, argv);
    }
    char *args[] = { "renamed-child", "child", "two words", "", NULL };
    try_exec("missing file", "/nonexistent/program", args);
    try_exec("bad argv", "/proc/self/exe", (char *const *)16);
    try_exec("not executable", "/etc/passwd", args);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGUSR2, SIG_IGN);
    signal(SIGTERM, on_term);
    printf("parent: exec'ing itself\n");
    fflush(stdout);
    char *envp[] = { "EXEC_X=from the parent", "OTHER=1", NULL };
    execve("/proc/self/exe", args, envp);
    printf("execve failed: %s\n", strerror(errno));
    return 1;
}
