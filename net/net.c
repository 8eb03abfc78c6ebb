/*
 * net.c — the network core: clients and peers, delivery with per-receiver
 * queues, the registry of named clients, MAC helpers and pcap dumps.
 *
 * The one thing to know: a frame that its receiver cannot take now is
 * copied into the receiver's queue, in order, and delivered by
 * net_flush_queue(); a frame is only lost when the queue passes
 * NET_QUEUE_MAX (counted in the receiver's stats.dropped) or the sender has
 * no peer (counted in the sender's).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "mimic/net.h"

struct NetPacket {
    NetPacket *next;
    size_t len;
    uint8_t data[];
};

static NetClient *registry;

NetClient *net_backend_lookup(const char *id)
{
    for (NetClient *nc = registry; nc; nc = nc->next) {
        if (nc->name && id && strcmp(nc->name, id) == 0) {
            return nc;
        }
    }
    return NULL;
}

NetClient *net_client_new(const NetClientInfo *info, const char *name, void *opaque)
{
    if (name && net_backend_lookup(name)) {
        return NULL;
    }
    NetClient *nc = calloc(1, sizeof(*nc));
    if (!nc) {
        return NULL;
    }
    nc->info = info;
    nc->opaque = opaque;
    if (name) {
        nc->name = strdup(name);
        nc->next = registry;
        registry = nc;
    }
    return nc;
}

void net_purge_queue(NetClient *nc)
{
    while (nc->queue_head) {
        NetPacket *p = nc->queue_head;
        nc->queue_head = p->next;
        nc->stats.dropped++;
        free(p);
    }
    nc->queue_tail = NULL;
    nc->queue_len = 0;
}

void net_client_free(NetClient *nc)
{
    if (!nc) {
        return;
    }
    if (nc->info->cleanup) {
        nc->info->cleanup(nc);
    }
    if (nc->peer) {
        nc->peer->peer = NULL;
        net_purge_queue(nc->peer); /* frames from us waiting there may stay; harmless */
        nc->peer = NULL;
    }
    for (NetClient **p = &registry; *p; p = &(*p)->next) {
        if (*p == nc) {
            *p = nc->next;
            break;
        }
    }
    net_purge_queue(nc);
    if (nc->dump) {
        fclose(nc->dump);
    }
    free(nc->name);
    free(nc);
}

int net_client_set_peer(NetClient *a, NetClient *b)
{
    if (!a || !b || a == b) {
        return -EINVAL;
    }
    if (a->peer || b->peer) {
        return -EBUSY;
    }
    a->peer = b;
    b->peer = a;
    return 0;
}

void net_cleanup_all(void)
{
    while (registry) {
        net_client_free(registry);
    }
    net_options_reset();
}

/* ---- pcap --------------------------------------------------------------- */

int net_dump_open(NetClient *nc, const char *file, size_t maxlen, char *err, size_t errlen)
{
    FILE *f = fopen(file, "wb");
    if (!f) {
        snprintf(err, errlen, "filter-dump: cannot open '%s': %s", file, strerror(errno));
        return -1;
    }
    struct {
        uint32_t magic;
        uint16_t major, minor;
        int32_t thiszone;
        uint32_t sigfigs, snaplen, linktype;
    } hdr = { 0xa1b2c3d4u, 2, 4, 0, 0, 65535, 1 /* Ethernet */ };
    nc->dump_maxlen = maxlen ? maxlen : 65536;
    hdr.snaplen = (uint32_t)nc->dump_maxlen;
    if (fwrite(&hdr, sizeof(hdr), 1, f) != 1) {
        fclose(f);
        snprintf(err, errlen, "filter-dump: cannot write '%s'", file);
        return -1;
    }
    fflush(f);
    if (nc->dump) {
        fclose(nc->dump);
    }
    nc->dump = f;
    return 0;
}

static void dump_frame(NetClient *nc, const struct iovec *iov, int iovcnt, size_t len)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    size_t caplen = len < nc->dump_maxlen ? len : nc->dump_maxlen;
    uint32_t rec[4] = { (uint32_t)tv.tv_sec, (uint32_t)tv.tv_usec, (uint32_t)caplen,
                        (uint32_t)len };
    fwrite(rec, sizeof(rec), 1, nc->dump);
    size_t left = caplen;
    for (int i = 0; i < iovcnt && left; i++) {
        size_t n = iov[i].iov_len < left ? iov[i].iov_len : left;
        fwrite(iov[i].iov_base, 1, n, nc->dump);
        left -= n;
    }
    fflush(nc->dump);
}

/* ---- delivery ----------------------------------------------------------- */

static size_t iov_total(const struct iovec *iov, int iovcnt)
{
    size_t n = 0;
    for (int i = 0; i < iovcnt; i++) {
        n += iov[i].iov_len;
    }
    return n;
}

static bool can_receive(NetClient *nc)
{
    return !nc->info->can_receive || nc->info->can_receive(nc);
}

/* Copies the frame to the end of nc's queue: 0, or -ENOBUFS when full. */
static int enqueue(NetClient *nc, const struct iovec *iov, int iovcnt, size_t len)
{
    if (nc->queue_len >= NET_QUEUE_MAX) {
        nc->stats.dropped++;
        return -ENOBUFS;
    }
    NetPacket *p = malloc(sizeof(*p) + len);
    if (!p) {
        nc->stats.dropped++;
        return -ENOBUFS;
    }
    p->next = NULL;
    p->len = len;
    size_t off = 0;
    for (int i = 0; i < iovcnt; i++) {
        memcpy(p->data + off, iov[i].iov_base, iov[i].iov_len);
        off += iov[i].iov_len;
    }
    if (nc->queue_tail) {
        nc->queue_tail->next = p;
    } else {
        nc->queue_head = p;
    }
    nc->queue_tail = p;
    nc->queue_len++;
    return 0;
}

static void count_rx(NetClient *nc, size_t len)
{
    nc->stats.rx_packets++;
    nc->stats.rx_bytes += len;
}

ssize_t net_send(NetClient *nc, const struct iovec *iov, int iovcnt)
{
    size_t len = iov_total(iov, iovcnt);
    NetClient *peer = nc->peer;
    if (!peer) {
        nc->stats.dropped++;
        return -ENOTCONN;
    }
    if (nc->dump) {
        dump_frame(nc, iov, iovcnt, len);
    } else if (peer->dump) {
        dump_frame(peer, iov, iovcnt, len);
    }
    nc->stats.tx_packets++;
    nc->stats.tx_bytes += len;
    if (!peer->queue_head && can_receive(peer)) {
        ssize_t r = peer->info->receive(peer, iov, iovcnt);
        if (r != 0) {
            if (r > 0) {
                count_rx(peer, len);
            }
            return (ssize_t)len;
        }
    }
    if (enqueue(peer, iov, iovcnt, len) < 0) {
        return -ENOBUFS;
    }
    if (peer->queue_len >= NET_QUEUE_HIGH) {
        peer->sender_blocked = true;
        return 0;
    }
    return (ssize_t)len;
}

ssize_t net_send_buf(NetClient *nc, const void *buf, size_t len)
{
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    return net_send(nc, &iov, 1);
}

int net_flush_queue(NetClient *nc)
{
    int delivered = 0;
    while (nc->queue_head && can_receive(nc)) {
        NetPacket *p = nc->queue_head;
        struct iovec iov = { .iov_base = p->data, .iov_len = p->len };
        ssize_t r = nc->info->receive(nc, &iov, 1);
        if (r == 0) {
            break;
        }
        if (r > 0) {
            count_rx(nc, p->len);
        }
        nc->queue_head = p->next;
        if (!nc->queue_head) {
            nc->queue_tail = NULL;
        }
        nc->queue_len--;
        free(p);
        delivered++;
    }
    if (nc->sender_blocked && nc->queue_len < NET_QUEUE_HIGH / 2) {
        nc->sender_blocked = false;
        if (nc->peer && nc->peer->info->drained) {
            nc->peer->info->drained(nc->peer);
        }
    }
    return delivered;
}

/* ---- MAC addresses ------------------------------------------------------ */

int net_parse_mac(const char *s, uint8_t mac[6])
{
    for (int i = 0; i < 6; i++) {
        unsigned v = 0;
        for (int d = 0; d < 2; d++) {
            char c = *s++;
            unsigned x;
            if (c >= '0' && c <= '9') {
                x = (unsigned)(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                x = (unsigned)(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                x = (unsigned)(c - 'A' + 10);
            } else {
                return -EINVAL;
            }
            v = v * 16 + x;
        }
        mac[i] = (uint8_t)v;
        if (i < 5 && *s++ != ':') {
            return -EINVAL;
        }
    }
    if (*s || (mac[0] & 1)) { /* trailing text, or a multicast address */
        return -EINVAL;
    }
    return 0;
}

void net_default_mac(unsigned index, uint8_t mac[6])
{
    static const uint8_t base[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
    memcpy(mac, base, 6);
    mac[5] = (uint8_t)(base[5] + index);
}
