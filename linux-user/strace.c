/*
 * strace.c — the -strace log: one line per guest system call with its
 * decoded arguments and result, and one per delivered signal, in the
 * format of qemu-user's -strace.
 *
 * The one thing to know: argument letters (SyscallDef.args) pick the
 * decoder: d int, x hex, p pointer, s string, f dirfd, o octal, S signal,
 * A struct sigaction, M sigset, h sigprocmask how, K stack_t.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "linux-user/guest-mem.h"
#include "linux-user/guest-signal.h"
#include "linux-user/strace.h"
#include "mimic/log.h"

static const char *const signal_names[32] = {
    [SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT", [SIGILL] = "SIGILL",
    [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT", [SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE",
    [SIGKILL] = "SIGKILL", [SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
    [SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",
    [SIGSTKFLT] = "SIGSTKFLT", [SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT",
    [SIGSTOP] = "SIGSTOP", [SIGTSTP] = "SIGTSTP", [SIGTTIN] = "SIGTTIN", [SIGTTOU] = "SIGTTOU",
    [SIGURG] = "SIGURG", [SIGXCPU] = "SIGXCPU", [SIGXFSZ] = "SIGXFSZ",
    [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF", [SIGWINCH] = "SIGWINCH",
    [SIGIO] = "SIGIO", [SIGPWR] = "SIGPWR", [SIGSYS] = "SIGSYS",
};

static void strace_print_signame(int sig)
{
    if (sig > 0 && sig < 32 && signal_names[sig]) {
        log_printf("%s", signal_names[sig]);
    } else if (sig >= 32 && sig <= GUEST_NSIG) {
        log_printf("SIGRT_%d", sig - 32);
    } else {
        log_printf("%d", sig);
    }
}

/* "[SIGUSR1 SIGUSR2]", or "~[SIGKILL]" for a set with most signals in it
 * (the strace convention). */
static void strace_print_sigset(uint64_t set)
{
    if (__builtin_popcountll(set) > GUEST_NSIG / 2) {
        log_printf("~");
        set = ~set;
    }
    log_printf("[");
    const char *sep = "";
    for (int sig = 1; sig <= GUEST_NSIG; sig++) {
        if (set & SIG_BIT(sig)) {
            log_printf("%s", sep);
            strace_print_signame(sig);
            sep = " ";
        }
    }
    log_printf("]");
}

static void strace_print_sa_flags(uint64_t flags)
{
    static const struct {
        uint64_t bit;
        const char *name;
    } names[] = {
        { GUEST_SA_NOCLDSTOP, "SA_NOCLDSTOP" }, { GUEST_SA_NOCLDWAIT, "SA_NOCLDWAIT" },
        { GUEST_SA_SIGINFO, "SA_SIGINFO" },     { GUEST_SA_ONSTACK, "SA_ONSTACK" },
        { GUEST_SA_RESTART, "SA_RESTART" },     { GUEST_SA_NODEFER, "SA_NODEFER" },
        { GUEST_SA_RESETHAND, "SA_RESETHAND" },
    };
    const char *sep = "";
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (flags & names[i].bit) {
            log_printf("%s%s", sep, names[i].name);
            sep = "|";
            flags &= ~names[i].bit;
        }
    }
    if (flags || !*sep) {
        log_printf("%s0x%llx", sep, (unsigned long long)flags);
    }
}

static void strace_print_pointer(uint64_t addr)
{
    if (addr) {
        log_printf("0x%016llx", (unsigned long long)addr);
    } else {
        log_printf("NULL");
    }
}

static void strace_print_sigaction(uint64_t addr)
{
    GuestSigaction sa;
    if (!addr || guest_copy_from(&sa, addr, sizeof(sa)) < 0) {
        strace_print_pointer(addr);
        return;
    }
    log_printf("{sa_handler=");
    if (sa.handler == GUEST_SIG_DFL) {
        log_printf("SIG_DFL");
    } else if (sa.handler == GUEST_SIG_IGN) {
        log_printf("SIG_IGN");
    } else {
        log_printf("0x%llx", (unsigned long long)sa.handler);
    }
    log_printf(",sa_mask=");
    strace_print_sigset(sa.mask);
    log_printf(",sa_flags=");
    strace_print_sa_flags(sa.flags);
    log_printf("}");
}

static void strace_print_sigset_at(uint64_t addr)
{
    uint64_t set;
    if (!addr || guest_copy_from(&set, addr, sizeof(set)) < 0) {
        strace_print_pointer(addr);
        return;
    }
    strace_print_sigset(set);
}

static void strace_print_how(int how)
{
    static const char *const names[] = { "SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK" };
    if (how >= 0 && how < 3) {
        log_printf("%s", names[how]);
    } else {
        log_printf("%d", how);
    }
}

static void strace_print_stack(uint64_t addr)
{
    GuestStack ss;
    if (!addr || guest_copy_from(&ss, addr, sizeof(ss)) < 0) {
        strace_print_pointer(addr);
        return;
    }
    log_printf("{ss_sp=0x%llx,ss_flags=", (unsigned long long)ss.sp);
    int mode = ss.flags & ~GUEST_SS_AUTODISARM;
    log_printf("%s", mode == GUEST_SS_ONSTACK ? "SS_ONSTACK" : mode == GUEST_SS_DISABLE ? "SS_DISABLE" : "0");
    if (ss.flags & GUEST_SS_AUTODISARM) {
        log_printf("|SS_AUTODISARM");
    }
    log_printf(",ss_size=%llu}", (unsigned long long)ss.size);
}

/* Appends a guest string, quoted and truncated, to the strace line. */
static void strace_print_string(uint64_t addr)
{
    if (!addr) {
        log_printf("NULL");
        return;
    }
    char buf[64];
    int64_t r = guest_copy_string(buf, sizeof(buf), addr);
    if (r == -ENAMETOOLONG) {
        if (guest_copy_from(buf, addr, sizeof(buf) - 1) == 0) {
            buf[sizeof(buf) - 1] = '\0';
            log_printf("\"%s\"...", buf);
            return;
        }
        r = -EFAULT;
    }
    if (r < 0) {
        log_printf("0x%llx", (unsigned long long)addr);
        return;
    }
    log_printf("\"");
    for (const char *p = buf; *p; p++) {
        if (*p == '\n') {
            log_printf("\\n");
        } else if (*p == '"' || *p == '\\') {
            log_printf("\\%c", *p);
        } else if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) {
            log_printf("\\%o", (unsigned char)*p);
        } else {
            log_printf("%c", *p);
        }
    }
    log_printf("\"");
}

void strace_print_call(const SyscallDef *def, uint64_t nr, const uint64_t a[6])
{
    log_printf("%d ", getpid());
    if (!def) {
        log_printf("Unknown syscall %llu", (unsigned long long)nr);
        return;
    }
    log_printf("%s(", def->name);
    for (int i = 0; def->args[i] && i < 6; i++) {
        if (i) {
            log_printf(",");
        }
        switch (def->args[i]) {
        case 'd':
            log_printf("%d", (int)a[i]);
            break;
        case 'f':
            if ((int)a[i] == -100) {
                log_printf("AT_FDCWD");
            } else {
                log_printf("%d", (int)a[i]);
            }
            break;
        case 'o':
            log_printf("0%llo", (unsigned long long)a[i]);
            break;
        case 's':
            strace_print_string(a[i]);
            break;
        case 'p':
            strace_print_pointer(a[i]);
            break;
        case 'S':
            strace_print_signame((int)a[i]);
            break;
        case 'A':
            strace_print_sigaction(a[i]);
            break;
        case 'M':
            strace_print_sigset_at(a[i]);
            break;
        case 'h':
            strace_print_how((int)a[i]);
            break;
        case 'K':
            strace_print_stack(a[i]);
            break;
        default:
            log_printf("0x%llx", (unsigned long long)a[i]);
            break;
        }
    }
    log_printf(")");
}

void strace_print_result(const SyscallDef *def, int64_t ret)
{
    if (ret == SYSCALL_NO_RESULT) {
        log_printf(" = ?\n");
    } else if (ret < 0 && ret >= -4095) {
        log_printf(" = -1 errno=%d (%s)\n", (int)-ret, strerror((int)-ret));
    } else if (def && def->ret == 'p') {
        log_printf(" = 0x%016llx\n", (unsigned long long)ret);
    } else {
        log_printf(" = %lld\n", (long long)ret);
    }
}

void strace_print_signal(int sig, const GuestSiginfo *info)
{
    log_printf("--- ");
    strace_print_signame(sig);
    log_printf(" {si_signo=");
    strace_print_signame(sig);
    log_printf(", si_code=%d", info->code);
    if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGTRAP || sig == SIGFPE) {
        log_printf(", si_addr=0x%llx", (unsigned long long)info->u.addr);
    } else {
        log_printf(", si_pid=%d, si_uid=%u", info->u.kill.pid, info->u.kill.uid);
    }
    log_printf("} ---\n");
}
