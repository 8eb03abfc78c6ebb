/*
 * syscall-net.c — sockets, epoll, pselect6 and eventfd for the guest.
 *
 * The one thing to know: the riscv64 and x86-64 layouts of sockaddr,
 * msghdr, iovec, cmsghdr, fd_set and timespec are the same (64-bit
 * asm-generic), so those pass through once every guest pointer in them is
 * checked and translated; struct epoll_event is not (packed, 12 bytes, on
 * x86-64; 16 bytes on riscv64) and is converted. Calls that can block go
 * through safe_syscall so a guest signal is never missed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux-user/guest-mem.h"
#include "linux-user/guest-signal.h"
#include "linux-user/safe-syscall.h"
#include "linux-user/syscall-nr.h"
#include "linux-user/syscall.h"


#define NET_MAX_BUF (1u << 30)
#define NET_MAX_IOV 1024
#define NET_MAX_EVENTS 4096

typedef struct GuestEpollEvent {
    uint32_t events;
    uint32_t pad;
    uint64_t data;
} GuestEpollEvent;

/* Host pointer for an optional guest buffer of len bytes (NULL guest
 * pointer stays NULL); sets *bad on a bad pointer. */
static void *net_lock(uint64_t addr, uint64_t len, unsigned access, bool *bad)
{
    if (!addr) {
        return NULL;
    }
    void *p = len > NET_MAX_BUF ? NULL : guest_lock(addr, len, access);
    if (!p) {
        *bad = true;
    }
    return p;
}

/* An address buffer whose length is in/out through a socklen_t pointer
 * (accept, getsockname, recvfrom): checks both. */
static int net_lock_addr_out(uint64_t addr, uint64_t lenp, void **host, socklen_t **hlen)
{
    *host = NULL;
    *hlen = NULL;
    if (!addr) {
        return 0;
    }
    socklen_t *l = guest_lock(lenp, sizeof(socklen_t), GUEST_ACCESS_WRITE);
    if (!l || *l > NET_MAX_BUF) {
        return -EFAULT;
    }
    void *p = guest_lock(addr, *l, GUEST_ACCESS_WRITE);
    if (!p) {
        return -EFAULT;
    }
    *host = p;
    *hlen = l;
    return 0;
}

static int64_t sys_socket(LinuxTask *t, const uint64_t *a)
{
    return syscall_host_ret(socket((int)a[0], (int)a[1], (int)a[2]));
}

static int64_t sys_socketpair(LinuxTask *t, const uint64_t *a)
{
    int *sv = guest_lock(a[3], 2 * sizeof(int), GUEST_ACCESS_WRITE);
    if (!sv) {
        return -EFAULT;
    }
    return syscall_host_ret(socketpair((int)a[0], (int)a[1], (int)a[2], sv));
}

/* bind and connect: (fd, addr, addrlen) */
static int64_t net_addr_call(LinuxTask *t, const uint64_t *a, long nr, bool blocks)
{
    bool bad = false;
    void *addr = net_lock(a[1], a[2], GUEST_ACCESS_READ, &bad);
    if (bad) {
        return -EFAULT;
    }
    if (blocks) {
        return safe_syscall(t, nr, (long)a[0], (long)addr, (long)a[2], 0, 0, 0);
    }
    return syscall_host_ret(syscall(nr, (long)a[0], (long)addr, (long)a[2]));
}

static int64_t sys_bind(LinuxTask *t, const uint64_t *a)
{
    return net_addr_call(t, a, SYS_bind, false);
}

static int64_t sys_connect(LinuxTask *t, const uint64_t *a)
{
    return net_addr_call(t, a, SYS_connect, true);
}

static int64_t sys_listen(LinuxTask *t, const uint64_t *a)
{
    return syscall_host_ret(listen((int)a[0], (int)a[1]));
}

static int64_t sys_accept4(LinuxTask *t, const uint64_t *a)
{
    void *addr;
    socklen_t *len;
    if (net_lock_addr_out(a[1], a[2], &addr, &len) < 0) {
        return -EFAULT;
    }
    return safe_syscall(t, SYS_accept4, (long)a[0], (long)addr, (long)len, (long)a[3], 0, 0);
}

static int64_t sys_accept(LinuxTask *t, const uint64_t *a)
{
    uint64_t b[4] = { a[0], a[1], a[2], 0 };
    return sys_accept4(t, b);
}

/* getsockname and getpeername: (fd, addr, lenp) */
static int64_t net_name_call(const uint64_t *a, long nr)
{
    void *addr;
    socklen_t *len;
    if (!a[1] || net_lock_addr_out(a[1], a[2], &addr, &len) < 0) {
        return -EFAULT;
    }
    return syscall_host_ret(syscall(nr, (long)a[0], (long)addr, (long)len));
}

static int64_t sys_getsockname(LinuxTask *t, const uint64_t *a)
{
    return net_name_call(a, SYS_getsockname);
}

static int64_t sys_getpeername(LinuxTask *t, const uint64_t *a)
{
    return net_name_call(a, SYS_getpeername);
}

static int64_t sys_sendto(LinuxTask *t, const uint64_t *a)
{
    bool bad = false;
    void *buf = a[2] ? net_lock(a[1], a[2], GUEST_ACCESS_READ, &bad) : NULL;
    void *addr = net_lock(a[4], a[5], GUEST_ACCESS_READ, &bad);
    if (bad) {
        return -EFAULT;
    }
    return safe_syscall(t, SYS_sendto, (long)a[0], (long)buf, (long)a[2], (long)a[3], (long)addr,
                        (long)a[5]);
}

static int64_t sys_recvfrom(LinuxTask *t, const uint64_t *a)
{
    bool bad = false;
    void *buf = a[2] ? net_lock(a[1], a[2], GUEST_ACCESS_WRITE, &bad) : NULL;
    void *addr;
    socklen_t *len;
    if (bad || net_lock_addr_out(a[4], a[5], &addr, &len) < 0) {
        return -EFAULT;
    }
    return safe_syscall(t, SYS_recvfrom, (long)a[0], (long)buf, (long)a[2], (long)a[3],
                        (long)addr, (long)len);
}

static int64_t sys_setsockopt(LinuxTask *t, const uint64_t *a)
{
    bool bad = false;
    void *val = net_lock(a[3], a[4], GUEST_ACCESS_READ, &bad);
    if (bad) {
        return -EFAULT;
    }
    return syscall_host_ret(setsockopt((int)a[0], (int)a[1], (int)a[2], val, (socklen_t)a[4]));
}

static int64_t sys_getsockopt(LinuxTask *t, const uint64_t *a)
{
    void *val;
    socklen_t *len;
    if (net_lock_addr_out(a[3], a[4], &val, &len) < 0) {
        return -EFAULT;
    }
    return syscall_host_ret(getsockopt((int)a[0], (int)a[1], (int)a[2], val, len));
}

static int64_t sys_shutdown(LinuxTask *t, const uint64_t *a)
{
    return syscall_host_ret(shutdown((int)a[0], (int)a[1]));
}

/* Builds a host msghdr from the guest's at gaddr: every pointer checked
 * and translated; iov is host storage for up to NET_MAX_IOV entries. */
static int net_msghdr(uint64_t gaddr, bool out, struct msghdr *h, struct iovec *iov)
{
    struct msghdr g;
    if (guest_copy_from(&g, gaddr, sizeof(g)) < 0 || g.msg_iovlen > NET_MAX_IOV) {
        return g.msg_iovlen > NET_MAX_IOV ? -EMSGSIZE : -EFAULT;
    }
    unsigned access = out ? GUEST_ACCESS_WRITE : GUEST_ACCESS_READ;
    bool bad = false;
    *h = g;
    h->msg_name = net_lock((uint64_t)(uintptr_t)g.msg_name, g.msg_namelen, access, &bad);
    h->msg_control = net_lock((uint64_t)(uintptr_t)g.msg_control, g.msg_controllen, access, &bad);
    if (g.msg_iovlen && guest_copy_from(iov, (uint64_t)(uintptr_t)g.msg_iov,
                                        g.msg_iovlen * sizeof(*iov)) < 0) {
        return -EFAULT;
    }
    for (size_t i = 0; i < g.msg_iovlen; i++) {
        uint64_t base = (uint64_t)(uintptr_t)iov[i].iov_base;
        iov[i].iov_base = iov[i].iov_len ? net_lock(base, iov[i].iov_len, access, &bad) : NULL;
    }
    h->msg_iov = g.msg_iovlen ? iov : NULL;
    return bad ? -EFAULT : 0;
}

static int64_t sys_sendmsg(LinuxTask *t, const uint64_t *a)
{
    static __thread struct iovec iov[NET_MAX_IOV];
    struct msghdr h;
    int r = net_msghdr(a[1], false, &h, iov);
    if (r < 0) {
        return r;
    }
    return safe_syscall(t, SYS_sendmsg, (long)a[0], (long)&h, (long)a[2], 0, 0, 0);
}

static int64_t sys_recvmsg(LinuxTask *t, const uint64_t *a)
{
    static __thread struct iovec iov[NET_MAX_IOV];
    struct msghdr h;
    int r = net_msghdr(a[1], true, &h, iov);
    if (r < 0) {
        return r;
    }
    int64_t n = safe_syscall(t, SYS_recvmsg, (long)a[0], (long)&h, (long)a[2], 0, 0, 0);
    if (n >= 0) {
        /* The kernel updates the lengths and flags; give them back. */
        struct msghdr g;
        if (guest_copy_from(&g, a[1], sizeof(g)) < 0) {
            return -EFAULT;
        }
        g.msg_namelen = h.msg_namelen;
        g.msg_controllen = h.msg_controllen;
        g.msg_flags = h.msg_flags;
        if (guest_copy_to(a[1], &g, sizeof(g)) < 0) {
            return -EFAULT;
        }
    }
    return n;
}

static int64_t sys_epoll_create1(LinuxTask *t, const uint64_t *a)
{
    return syscall_host_ret(epoll_create1((int)a[0]));
}

static int64_t sys_epoll_ctl(LinuxTask *t, const uint64_t *a)
{
    struct epoll_event ev = { 0 };
    if (a[3]) {
        GuestEpollEvent g;
        if (guest_copy_from(&g, a[3], sizeof(g)) < 0) {
            return -EFAULT;
        }
        ev.events = g.events;
        ev.data.u64 = g.data;
    }
    return syscall_host_ret(epoll_ctl((int)a[0], (int)a[1], (int)a[2], a[3] ? &ev : NULL));
}

/* Installs the guest's temporary signal mask of a p-call (pselect6,
 * epoll_pwait) as ppoll does; returns 0 or -errno. */
static int net_push_sigmask(LinuxTask *t, uint64_t gmask, uint64_t size)
{
    if (!gmask) {
        return 0;
    }
    uint64_t mask;
    if (size != 8) {
        return -EINVAL;
    }
    if (guest_copy_from(&mask, gmask, sizeof(mask)) < 0) {
        return -EFAULT;
    }
    t->saved_sigmask = t->sigmask;
    t->sigmask_saved = true;
    t->sigmask = mask & ~SIGS_UNBLOCKABLE;
    return 0;
}

static void net_pop_sigmask(LinuxTask *t, uint64_t gmask, int64_t r)
{
    if (gmask && r != -EINTR) {
        t->sigmask = t->saved_sigmask;
        t->sigmask_saved = false;
    }
}

static int64_t sys_epoll_pwait(LinuxTask *t, const uint64_t *a)
{
    int max = (int)a[2];
    if (max <= 0 || max > NET_MAX_EVENTS) {
        return -EINVAL;
    }
    GuestEpollEvent *gev = guest_lock(a[1], (uint64_t)max * sizeof(*gev), GUEST_ACCESS_WRITE);
    if (!gev) {
        return -EFAULT;
    }
    struct epoll_event *ev = calloc((size_t)max, sizeof(*ev));
    if (!ev) {
        return -ENOMEM;
    }
    int64_t r = net_push_sigmask(t, a[4], a[5]);
    if (r == 0) {
        r = safe_syscall(t, SYS_epoll_pwait, (long)a[0], (long)ev, max, (long)(int)a[3], 0, 8);
        net_pop_sigmask(t, a[4], r);
    }
    for (int64_t i = 0; i < r; i++) {
        gev[i] = (GuestEpollEvent){ .events = ev[i].events, .data = ev[i].data.u64 };
    }
    free(ev);
    return r;
}

static int64_t sys_pselect6(LinuxTask *t, const uint64_t *a)
{
    if ((int64_t)a[0] < 0 || a[0] > 65536) {
        return -EINVAL;
    }
    uint64_t setlen = (a[0] + 63) / 64 * 8;
    bool bad = false;
    void *rd = net_lock(a[1], setlen, GUEST_ACCESS_WRITE, &bad);
    void *wr = net_lock(a[2], setlen, GUEST_ACCESS_WRITE, &bad);
    void *ex = net_lock(a[3], setlen, GUEST_ACCESS_WRITE, &bad);
    void *tmo = net_lock(a[4], 16, GUEST_ACCESS_WRITE, &bad);
    uint64_t sig[2] = { 0, 0 }; /* { const sigset_t *, size_t } */
    if (bad || (a[5] && guest_copy_from(sig, a[5], sizeof(sig)) < 0)) {
        return -EFAULT;
    }
    int64_t r = net_push_sigmask(t, sig[0], sig[1]);
    if (r == 0) {
        r = safe_syscall(t, SYS_pselect6, (long)a[0], (long)rd, (long)wr, (long)ex, (long)tmo, 0);
        net_pop_sigmask(t, sig[0], r);
    }
    return r;
}

static int64_t sys_eventfd2(LinuxTask *t, const uint64_t *a)
{
    return syscall_host_ret(syscall(SYS_eventfd2, (unsigned)a[0], (int)a[1]));
}

const SyscallDef syscalls_net[] = {
    { NR_eventfd2, "eventfd2", sys_eventfd2, "dx", 'd' },
    { NR_epoll_create1, "epoll_create1", sys_epoll_create1, "x", 'd' },
    { NR_epoll_ctl, "epoll_ctl", sys_epoll_ctl, "dddp", 'd' },
    { NR_epoll_pwait, "epoll_pwait", sys_epoll_pwait, "dpddpd", 'd' },
    { NR_pselect6, "pselect6", sys_pselect6, "dppppp", 'd' },
    { NR_socket, "socket", sys_socket, "ddd", 'd' },
    { NR_socketpair, "socketpair", sys_socketpair, "dddp", 'd' },
    { NR_bind, "bind", sys_bind, "dpd", 'd' },
    { NR_listen, "listen", sys_listen, "dd", 'd' },
    { NR_accept, "accept", sys_accept, "dpp", 'd' },
    { NR_accept4, "accept4", sys_accept4, "dppx", 'd' },
    { NR_connect, "connect", sys_connect, "dpd", 'd' },
    { NR_getsockname, "getsockname", sys_getsockname, "dpp", 'd' },
    { NR_getpeername, "getpeername", sys_getpeername, "dpp", 'd' },
    { NR_sendto, "sendto", sys_sendto, "dpdxpd", 'd' },
    { NR_recvfrom, "recvfrom", sys_recvfrom, "dpdxpp", 'd' },
    { NR_setsockopt, "setsockopt", sys_setsockopt, "dddpd", 'd' },
    { NR_getsockopt, "getsockopt", sys_getsockopt, "dddpp", 'd' },
    { NR_shutdown, "shutdown", sys_shutdown, "dd", 'd' },
    { NR_sendmsg, "sendmsg", sys_sendmsg, "dpx", 'd' },
    { NR_recvmsg, "recvmsg", sys_recvmsg, "dpx", 'd' },
    { 0, NULL, NULL, NULL, 0 },
};
