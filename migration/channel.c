/*
 * channel.c — opening migration URIs: TCP and Unix sockets, files, and
 * commands on a pipe (see channel.h).
 *
 * The one thing to know: nothing here raises SIGPIPE or leaves a child
 * behind: sockets are written with MSG_NOSIGNAL, the migration threads
 * block SIGPIPE for pipes, an exec: command runs in a process group of its
 * own that a cancel ends (a pipe cannot be shut down), and close reaps it.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "migration/channel.h"

extern char **environ;

static void channel_reset(MigChannel *ch)
{
    memset(ch, 0, sizeof(*ch));
    ch->fd = ch->listen_fd = -1;
}

/* "HOST:PORT" (HOST may be empty or [v6]) into getaddrinfo results. */
static int resolve(const char *spec, bool passive, struct addrinfo **res, char *err,
                   size_t errlen)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (!colon || colon - spec >= (long)sizeof(host) || !colon[1]) {
        snprintf(err, errlen, "tcp:%s: expected tcp:HOST:PORT", spec);
        return -1;
    }
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = '\0';
    char *h = host;
    size_t hl = strlen(h);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h[hl - 1] = '\0';
        h++;
    }
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = passive ? AI_PASSIVE : 0 };
    int r = getaddrinfo(*h ? h : NULL, colon + 1, &hints, res);
    if (r) {
        snprintf(err, errlen, "tcp:%s: %s", spec, gai_strerror(r));
        return -1;
    }
    return 0;
}

static int unix_addr(const char *path, struct sockaddr_un *sa, char *err, size_t errlen)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa->sun_path)) {
        snprintf(err, errlen, "unix:%s: path too long", path);
        return -1;
    }
    strcpy(sa->sun_path, path);
    return 0;
}

static int spawn_shell(const char *cmd, bool incoming, MigChannel *ch, char *err,
                       size_t errlen)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "exec:%s: %s", cmd, strerror(errno));
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, incoming ? p[1] : p[0], incoming ? 1 : 0);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP); /* its own group: cancel ends it */
    posix_spawnattr_setpgroup(&attr, 0);
    char *argv[] = { "sh", "-c", (char *)cmd, NULL };
    int r = posix_spawn(&ch->pid, "/bin/sh", &fa, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    close(incoming ? p[1] : p[0]);
    if (r) {
        close(incoming ? p[0] : p[1]);
        ch->pid = 0;
        snprintf(err, errlen, "exec:%s: %s", cmd, strerror(r));
        return -1;
    }
    ch->fd = incoming ? p[0] : p[1];
    return 0;
}

int mig_channel_connect(const char *uri, MigChannel *ch, char *err, size_t errlen)
{
    channel_reset(ch);
    if (!strncmp(uri, "tcp:", 4)) {
        struct addrinfo *res, *ai;
        if (resolve(uri + 4, false, &res, err, errlen) < 0) {
            return -1;
        }
        int e = 0;
        for (ai = res; ai && ch->fd < 0; ai = ai->ai_next) {
            ch->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
            if (ch->fd >= 0 && connect(ch->fd, ai->ai_addr, ai->ai_addrlen) < 0) {
                e = errno;
                close(ch->fd);
                ch->fd = -1;
            }
        }
        freeaddrinfo(res);
        if (ch->fd < 0) {
            snprintf(err, errlen, "Failed to connect to '%s': %s", uri + 4, strerror(e));
            return -1;
        }
        return 0;
    }
    if (!strncmp(uri, "unix:", 5)) {
        struct sockaddr_un sa;
        if (unix_addr(uri + 5, &sa, err, errlen) < 0) {
            return -1;
        }
        ch->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (ch->fd < 0 || connect(ch->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
            snprintf(err, errlen, "Failed to connect to '%s': %s", uri + 5, strerror(errno));
            mig_channel_close(ch);
            return -1;
        }
        return 0;
    }
    if (!strncmp(uri, "file:", 5)) {
        ch->fd = open(uri + 5, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (ch->fd < 0) {
            snprintf(err, errlen, "%s: %s", uri + 5, strerror(errno));
            return -1;
        }
        return 0;
    }
    if (!strncmp(uri, "exec:", 5)) {
        return spawn_shell(uri + 5, false, ch, err, errlen);
    }
    snprintf(err, errlen, "unknown migration protocol: %s", uri);
    return -1;
}

static int listen_on(MigChannel *ch, const struct sockaddr *sa, socklen_t len, const char *uri,
                     char *err, size_t errlen)
{
    int one = 1;
    ch->listen_fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (ch->listen_fd >= 0 && sa->sa_family != AF_UNIX) {
        setsockopt(ch->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    }
    if (ch->listen_fd < 0 || bind(ch->listen_fd, sa, len) < 0 || listen(ch->listen_fd, 1) < 0) {
        snprintf(err, errlen, "Failed to listen on '%s': %s", uri, strerror(errno));
        mig_channel_close(ch);
        return -1;
    }
    return 0;
}

int mig_channel_listen(const char *uri, MigChannel *ch, char *err, size_t errlen)
{
    channel_reset(ch);
    if (!strncmp(uri, "tcp:", 4)) {
        struct addrinfo *res;
        if (resolve(uri + 4, true, &res, err, errlen) < 0) {
            return -1;
        }
        int r = listen_on(ch, res->ai_addr, res->ai_addrlen, uri + 4, err, errlen);
        freeaddrinfo(res);
        return r;
    }
    if (!strncmp(uri, "unix:", 5)) {
        struct sockaddr_un sa;
        if (unix_addr(uri + 5, &sa, err, errlen) < 0) {
            return -1;
        }
        unlink(uri + 5);
        if (listen_on(ch, (struct sockaddr *)&sa, sizeof(sa), uri + 5, err, errlen) < 0) {
            return -1;
        }
        snprintf(ch->unix_path, sizeof(ch->unix_path), "%s", uri + 5);
        return 0;
    }
    if (!strncmp(uri, "file:", 5)) {
        ch->fd = open(uri + 5, O_RDONLY | O_CLOEXEC);
        if (ch->fd < 0) {
            snprintf(err, errlen, "%s: %s", uri + 5, strerror(errno));
            return -1;
        }
        return 0;
    }
    if (!strncmp(uri, "exec:", 5)) {
        return spawn_shell(uri + 5, true, ch, err, errlen);
    }
    snprintf(err, errlen, "unknown migration protocol: %s", uri);
    return -1;
}

int mig_channel_accept(MigChannel *ch, char *err, size_t errlen)
{
    if (ch->fd >= 0) {
        return 0;
    }
    do {
        ch->fd = accept4(ch->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    } while (ch->fd < 0 && errno == EINTR);
    if (ch->fd < 0) {
        snprintf(err, errlen, "accept: %s", strerror(errno));
        return -1;
    }
    close(ch->listen_fd);
    ch->listen_fd = -1;
    return 0;
}

int mig_channel_write(MigChannel *ch, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(ch->fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == ENOTSOCK) {
            n = write(ch->fd, p, len);
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return n < 0 ? -errno : -EPIPE;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

ssize_t mig_channel_read(MigChannel *ch, void *buf, size_t len)
{
    ssize_t n;
    do {
        n = read(ch->fd, buf, len);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
}

void mig_channel_shutdown(MigChannel *ch)
{
    if (ch->fd >= 0) {
        shutdown(ch->fd, SHUT_RDWR);
    }
    if (ch->pid > 0) {
        kill(-ch->pid, SIGTERM); /* a pipe cannot be shut down: end its command */
    }
    if (ch->listen_fd >= 0) {
        shutdown(ch->listen_fd, SHUT_RDWR);
    }
}

void mig_channel_close(MigChannel *ch)
{
    if (ch->fd >= 0) {
        close(ch->fd);
    }
    if (ch->listen_fd >= 0) {
        close(ch->listen_fd);
    }
    if (ch->unix_path[0]) {
        unlink(ch->unix_path);
    }
    if (ch->pid > 0) {
        int st;
        while (waitpid(ch->pid, &st, 0) < 0 && errno == EINTR) {
        }
    }
    channel_reset(ch);
}
