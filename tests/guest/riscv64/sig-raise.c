/*
 * sig-raise.c — signals a program sends itself: raise() (tgkill, SI_TKILL)
 * and kill() (SI_USER) with SA_SIGINFO handlers; si_pid; SA_NODEFER
 * versus the default (the signal blocked inside its own handler); sa_mask
 * blocking another signal during the handler; an ignored signal; and a
 * handler with the plain one-argument form.
 *
 * The one thing to know: every signal here is synchronous with the
 * program (sent to itself), so the order of the output is fixed.
 * sig-raise.expected is hand-corrected: qemu-riscv64 7.2 ignores sa_mask
 * here (runs the USR2 handler inside the USR1 handler); Linux (the same
 * program built for x86-64 and run natively) and mimic block USR2 until the
 * USR1 handler returns.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile int depth, max_depth, count;

static void on_info(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    printf("handler: sig=%d si_signo=%d si_code=%s si_pid_is_self=%d\n", sig, si->si_signo,
           si->si_code == SI_USER ? "SI_USER" : si->si_code == SI_TKILL ? "SI_TKILL" : "other",
           si->si_pid == getpid());
}

static void on_nested(int sig)
{
    count++;
    depth++;
    if (depth > max_depth) {
        max_depth = depth;
    }
    if (count < 3) {
        raise(sig);
    }
    depth--;
}

static void on_usr1_masking(int sig)
{
    (void)sig;
    printf("USR1 handler start, raising USR2 (blocked by sa_mask)\n");
    raise(SIGUSR2);
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    printf("USR1 handler end: USR1 blocked %d, USR2 blocked %d\n", sigismember(&cur, SIGUSR1),
           sigismember(&cur, SIGUSR2));
}

static void on_usr2_plain(int sig)
{
    printf("USR2 handler (sig %d)\n", sig);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_info;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    kill(getpid(), SIGUSR1);
    printf("after raise and kill\n");

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_nested;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
    printf("default: %d calls, max depth %d\n", count, max_depth);
    count = max_depth = 0;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
    printf("SA_NODEFER: %d calls, max depth %d\n", count, max_depth);

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1_masking;
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaction(SIGUSR1, &sa, NULL);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr2_plain;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR1);
    printf("back in main\n");

    signal(SIGTERM, SIG_IGN);
    raise(SIGTERM);
    printf("ignored SIGTERM\n");
    signal(SIGTERM, SIG_DFL);
    fflush(stdout);
    raise(SIGTERM);
    printf("still alive?\n");
    return 0;
}
