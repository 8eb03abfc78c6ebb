/*
 * net.c — sockets, epoll, pselect6 and eventfd: a socketpair with
 * sendmsg/recvmsg scatter-gather, a TCP connection over loopback in one
 * process (bind to port 0, getsockname, connect, accept4), data both ways
 * with send/recv, epoll (whose struct layout differs between riscv64 and
 * x86-64) and pselect6 readiness, and an eventfd counter.
 *
 * The one thing to know: everything stays on 127.0.0.1 inside the process;
 * the printed lines do not depend on the port the kernel picks.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static int check(const char *what, int ok)
{
    printf("%-34s %s\n", what, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}

int main(void)
{
    int bad = 0;
    int sv[2];
    bad |= check("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    char a[] = "scatter-", b[] = "gather";
    struct iovec out[2] = { { a, strlen(a) }, { b, strlen(b) } };
    struct msghdr mo = { .msg_iov = out, .msg_iovlen = 2 };
    bad |= check("sendmsg two iovecs", sendmsg(sv[0], &mo, 0) == 14);
    char x[5] = { 0 }, y[20] = { 0 };
    struct iovec in[2] = { { x, 4 }, { y, sizeof(y) - 1 } };
    struct msghdr mi = { .msg_iov = in, .msg_iovlen = 2 };
    ssize_t n = recvmsg(sv[1], &mi, 0);
    printf("recvmsg: %zd bytes, '%s' + '%s'\n", n, x, y);

    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    bad |= check("setsockopt SO_REUSEADDR", setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    bad |= check("bind 127.0.0.1:0", bind(ls, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    bad |= check("listen", listen(ls, 4) == 0);
    socklen_t len = sizeof(sa);
    bad |= check("getsockname gives a port", getsockname(ls, (struct sockaddr *)&sa, &len) == 0 && sa.sin_port != 0);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    bad |= check("connect", connect(c, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    struct sockaddr_in peer;
    len = sizeof(peer);
    int s = accept4(ls, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
    bad |= check("accept4 from 127.0.0.1", s >= 0 && peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    int type = 0;
    len = sizeof(type);
    bad |= check("getsockopt SO_TYPE", getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0x1122334455667788ull };
    bad |= check("epoll_ctl add", epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) == 0);
    struct epoll_event got[4];
    bad |= check("epoll_wait: nothing yet", epoll_wait(ep, got, 4, 0) == 0);
    bad |= check("send from client", send(c, "hello server", 12, 0) == 12);
    memset(got, 0, sizeof(got));
    int k = epoll_wait(ep, got, 4, 1000);
    printf("epoll_wait: %d event(s), events=%#x data=%#llx\n", k, got[0].events,
           (unsigned long long)got[0].data.u64);
    char buf[64] = { 0 };
    n = recv(s, buf, sizeof(buf) - 1, 0);
    printf("server got %zd: %s\n", n, buf);
    bad |= check("sendto reply", sendto(s, "hello client", 12, 0, NULL, 0) == 12);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(c, &rd);
    struct timespec tmo = { 1, 0 };
    bad |= check("pselect: client readable", pselect(c + 1, &rd, NULL, NULL, &tmo, NULL) == 1 && FD_ISSET(c, &rd));
    memset(buf, 0, sizeof(buf));
    n = recvfrom(c, buf, sizeof(buf) - 1, 0, NULL, NULL);
    printf("client got %zd: %s\n", n, buf);
    bad |= check("shutdown", shutdown(c, SHUT_WR) == 0);
    bad |= check("server sees end of stream", recv(s, buf, sizeof(buf), 0) == 0);

    int efd = eventfd(5, EFD_CLOEXEC);
    uint64_t v = 7;
    bad |= check("eventfd write", write(efd, &v, 8) == 8);
    bad |= check("eventfd read 12", read(efd, &v, 8) == 8 && v == 12);
    close(efd);
    close(ep);
    close(s);
    close(c);
    close(ls);
    printf("%s\n", bad ? "SOME CHECKS FAILED" : "all network checks passed");
    return bad;
}
