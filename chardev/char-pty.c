/*
 * char-pty.c — the pty backend: a new pseudo-terminal whose slave
 * (/dev/pts/N) a user opens with screen, minicom or picocom.
 *
 * The one thing to know: the chardev keeps the slave open itself, in raw
 * mode, so the master never reports a hangup while nobody is connected (no
 * busy polling) and output has somewhere to go; the master is non-blocking
 * and output that does not fit is dropped, so a guest never waits for a
 * reader that may never come.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "chardev/chardev-internal.h"

int chardev_open_pty(Chardev *chr, char *err, size_t errlen)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) {
        int e = errno;
        snprintf(err, errlen, "'pty': cannot open a pseudo-terminal: %s", strerror(e));
        return -e;
    }
    int slave = -1;
    if (grantpt(master) < 0 || unlockpt(master) < 0 ||
        ptsname_r(master, chr->pty_name, sizeof(chr->pty_name)) != 0 ||
        (slave = open(chr->pty_name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
        int e = errno;
        snprintf(err, errlen, "'pty': cannot set up the pseudo-terminal: %s", strerror(e));
        close(master);
        return -e;
    }
    struct termios tio;
    if (tcgetattr(slave, &tio) == 0) {
        cfmakeraw(&tio); /* no echo of our own output back to us */
        tcsetattr(slave, TCSANOW, &tio);
    }
    int flags = fcntl(master, F_GETFL);
    fcntl(master, F_SETFL, flags | O_NONBLOCK);
    chr->in_fd = chr->out_fd = master;
    chr->close_in = true;
    chr->pty_slave = slave;
    chr->write_timeout_ms = 0;
    return 0;
}
