/*
 * socket.c — the stub's connections: parsing -gdb / -g specs, listening
 * on TCP or a Unix socket, accepting, writing whole buffers.
 *
 * The one thing to know: only one debugger at a time; the listening
 * socket stays open so a debugger can reconnect after detaching.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mimic/gdbstub.h"

static int listen_tcp(const char *host, const char *port, char *err, size_t errlen)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE };
    struct addrinfo *res;
    int r = getaddrinfo(*host ? host : NULL, port, &hints, &res);
    if (r) {
        snprintf(err, errlen, "gdb: cannot resolve '%s:%s': %s", host, port, gai_strerror(r));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1) < 0) {
            snprintf(err, errlen, "gdb: cannot listen on '%s:%s': %s", host, port,
                     strerror(errno));
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

static int listen_unix(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "gdb: socket path too long: %s", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "gdb: socket: %s", strerror(errno));
        return -1;
    }
    unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
        snprintf(err, errlen, "gdb: cannot listen on '%s': %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int gdb_listen(const char *spec, char *err, size_t errlen)
{
    char buf[256];
    if (strlen(spec) >= sizeof(buf)) {
        snprintf(err, errlen, "gdb: address too long");
        return -1;
    }
    strcpy(buf, spec);
    if (strncmp(buf, "unix:", 5) == 0) {
        char *path = buf + 5;
        char *opts = strchr(path, ',');
        if (opts) {
            *opts++ = '\0';
            for (char *o = strtok(opts, ","); o; o = strtok(NULL, ",")) {
                if (strcmp(o, "server=on") && strcmp(o, "server") && strcmp(o, "wait=off") &&
                    strcmp(o, "nowait")) {
                    snprintf(err, errlen, "gdb: unsupported option '%s' in '%s'", o, spec);
                    return -1;
                }
            }
        }
        return listen_unix(path, err, errlen);
    }
    char *host = "";
    char *port = buf;
    if (strncmp(buf, "tcp:", 4) == 0) {
        host = buf + 4;
        char *colon = strrchr(host, ':');
        if (!colon) {
            snprintf(err, errlen, "gdb: expected tcp:[HOST]:PORT, not '%s'", spec);
            return -1;
        }
        *colon = '\0';
        port = colon + 1;
        char *comma = strchr(port, ',');
        if (comma) {
            *comma = '\0'; /* ,server / ,wait=off: a -gdb socket always listens */
        }
    }
    char *end;
    long n = strtol(port, &end, 10);
    if (!*port || *end || n < 1 || n > 65535) {
        snprintf(err, errlen, "gdb: bad port in '%s'", spec);
        return -1;
    }
    return listen_tcp(host, port, err, errlen);
}

int gdb_accept(int listen_fd)
{
    int fd;
    do {
        fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd >= 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* fails on Unix sockets */
    }
    return fd;
}

bool gdb_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}
