/*
 * char-stdio.c — the terminal side of the stdio backend: raw mode on the
 * way in, the saved settings put back on every way out (chardev_free,
 * exit(), SIGINT/SIGTERM/SIGHUP/SIGQUIT, abort()), raw again after SIGCONT.
 *
 * The one thing to know: the saved settings live in statics so that a
 * signal handler can restore them with nothing but tcsetattr(), which is
 * async-signal-safe; a signal handler is installed only where the
 * disposition is still the default, so the machine's own handlers win
 * (they call chardev_restore_terminal() themselves).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "chardev/chardev-internal.h"

static struct termios saved_tio, raw_tio;
static volatile sig_atomic_t term_fd = -1; /* the terminal in raw mode, or -1 */
static bool exit_hooks_installed;

static const int fatal_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT };

void chardev_restore_terminal(void)
{
    int fd = term_fd;
    if (fd >= 0) {
        tcsetattr(fd, TCSANOW, &saved_tio);
    }
}

static void restore_at_exit(void)
{
    chardev_restore_terminal();
}

/* Restores the terminal, then dies of the same signal as without us. */
static void fatal_signal_handler(int sig)
{
    int saved_errno = errno;
    chardev_restore_terminal();
    struct sigaction dfl = { .sa_handler = SIG_DFL };
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    raise(sig); /* pending until this handler returns */
    errno = saved_errno;
}

/* A shell that stopped us (Ctrl-Z with signals on) restored its own
 * settings; put raw mode back when we continue. */
static void cont_handler(int sig)
{
    int saved_errno = errno;
    int fd = term_fd;
    if (fd >= 0) {
        tcsetattr(fd, TCSANOW, &raw_tio);
    }
    errno = saved_errno;
}

static void install_if_default(int sig, void (*handler)(int))
{
    struct sigaction old;
    if (sigaction(sig, NULL, &old) < 0 || (old.sa_flags & SA_SIGINFO) ||
        old.sa_handler != SIG_DFL) {
        return;
    }
    struct sigaction sa = { .sa_handler = handler, .sa_flags = SA_RESTART };
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

int chardev_claim_terminal(int fd, bool signals, char *err, size_t errlen)
{
    if (term_fd >= 0) {
        snprintf(err, errlen, "the terminal is already used by another character device");
        return -EBUSY;
    }
    struct termios tio;
    if (tcgetattr(fd, &tio) < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot read the terminal's settings: %s", strerror(e));
        return -e;
    }
    saved_tio = tio;
    /* Bytes pass through unchanged in both directions, except that output
     * keeps its newline translation (OPOST) for the host terminal. */
    tio.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    tio.c_oflag |= OPOST;
    tio.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | IEXTEN);
    if (!signals) {
        tio.c_lflag &= ~(tcflag_t)ISIG;
    }
    tio.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    tio.c_cflag |= CS8;
    tio.c_cc[VMIN] = 1;
    tio.c_cc[VTIME] = 0;
    raw_tio = tio;
    term_fd = fd;
    if (!exit_hooks_installed) {
        exit_hooks_installed = true;
        atexit(restore_at_exit);
    }
    for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
        install_if_default(fatal_signals[i], fatal_signal_handler);
    }
    install_if_default(SIGCONT, cont_handler);
    if (tcsetattr(fd, TCSANOW, &raw_tio) < 0) {
        int e = errno;
        term_fd = -1;
        snprintf(err, errlen, "cannot put the terminal in raw mode: %s", strerror(e));
        return -e;
    }
    return 0;
}

void chardev_release_terminal(void)
{
    chardev_restore_terminal();
    term_fd = -1;
}
