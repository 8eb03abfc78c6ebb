/*
 * net.h — guest networking: network clients (a NIC frontend or a backend:
 * user/libslirp, tap, socket, hubport), peers, packet queues with flow
 * control, the -netdev / -nic / -object filter-dump option strings, and
 * pcap dumps.
 *
 * The one thing to know: every client has at most one peer, and
 * net_send(client, iov, n) hands a frame to that peer. When the peer cannot
 * take it now (its can_receive() is false, or its receive() returns 0) the
 * frame is copied into the peer's queue and nothing is lost; the peer calls
 * net_flush_queue(itself) when it can take frames again (a NIC: when the
 * guest adds receive buffers). A sender whose peer's queue is over
 * NET_QUEUE_HIGH frames gets 0 from net_send() and should stop producing
 * until its info->drained() callback runs. All of it runs under the
 * machine lock (event-loop callbacks and vCPU MMIO exits); nothing here
 * locks on its own.
 *
 * How the machine uses it (the lead's wiring):
 *
 *   // while parsing the command line:
 *   net_parse_netdev("user,id=n0,hostfwd=tcp::2222-:22", err, sizeof(err));   // -netdev
 *   net_parse_nic("user,model=virtio-net-device,mac=52:54:00:12:34:99", ...); // -nic
 *   net_parse_device("virtio-net-device,netdev=n0,mac=...", ...);              // -device
 *   net_parse_object("filter-dump,id=f0,netdev=n0,file=dump.pcap", ...);      // -object
 *   // after the event loop exists:
 *   if (net_init_from_options(el, err, sizeof(err)) < 0) { die(err); }
 *   for (int i = 0; i < net_nic_count(); i++) {
 *       const NetNicConfig *c = net_nic_get(i);
 *       VirtioNet *n = virtio_net_create(as, net_backend_lookup(c->netdev), c->mac, i,
 *                                        err, sizeof(err));      // hw/virtio/virtio-net.h
 *       n->vdev.set_irq = ...; n->vdev.irq_opaque = ...;
 *       address_space_add_mmio(as, "virtio-mmio", base, VIRTIO_MMIO_SIZE,
 *                              &virtio_mmio_ops, virtio_net_vdev(n));
 *   }
 *   ... at exit: net_cleanup_all();
 *
 * Option strings use QEMU's syntax: "TYPE,key=value,..." with ",," for a
 * comma inside a value. Errors name the option and the key:
 * "-netdev user: unknown option 'foo'".
 */
#ifndef MIMIC_NET_H
#define MIMIC_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "mimic/event-loop.h"

#define NET_MAX_FRAME 65536        /* largest Ethernet frame carried (without virtio header) */
#define NET_QUEUE_HIGH 1024        /* a queue this long makes net_send() return 0 */
#define NET_QUEUE_MAX 16384        /* beyond this, frames are dropped and counted */

typedef struct NetClient NetClient;
typedef struct NetPacket NetPacket;

typedef struct NetClientInfo {
    const char *type; /* "nic", "user", "tap", "socket", "hubport", or a test's */
    /* May the client take a frame now? NULL means always. */
    bool (*can_receive)(NetClient *nc);
    /* Takes a frame: returns its size (taken or deliberately dropped) or 0
     * (cannot take it now: the frame is queued and retried at the next
     * net_flush_queue()). */
    ssize_t (*receive)(NetClient *nc, const struct iovec *iov, int iovcnt);
    /* The peer's queue emptied below NET_QUEUE_HIGH again: resume sending. */
    void (*drained)(NetClient *nc);
    /* Frees the backend's own state (the NetClient itself is freed by the core). */
    void (*cleanup)(NetClient *nc);
} NetClientInfo;

typedef struct NetStats {
    uint64_t tx_packets, tx_bytes;   /* frames this client sent to its peer */
    uint64_t rx_packets, rx_bytes;   /* frames this client took */
    uint64_t dropped;                /* frames lost (no peer, queue overflow, no buffer) */
    uint64_t malformed;              /* frames refused as invalid (short, oversized, bad header) */
} NetStats;

struct NetClient {
    const NetClientInfo *info;
    char *name;            /* the netdev id (or a generated name) */
    NetClient *peer;
    NetPacket *queue_head, *queue_tail; /* frames waiting for this client */
    unsigned queue_len;
    bool sender_blocked;   /* net_send() to us returned 0: call peer->drained later */
    NetStats stats;
    FILE *dump;            /* filter-dump: pcap of frames in both directions */
    size_t dump_maxlen;
    void *opaque;          /* the backend's or device's state */
    NetClient *next;       /* the registry of named clients */
};

/* ---- the core ----------------------------------------------------------- */

/* A new client of the given kind; registered under name (copied) if name
 * is not NULL. Names must be unique: NULL if taken. */
NetClient *net_client_new(const NetClientInfo *info, const char *name, void *opaque);
/* Unlinks from the peer and the registry, drops the queue, calls cleanup. */
void net_client_free(NetClient *nc);
/* Links a and b as each other's peers. -EBUSY if either has a peer. */
int net_client_set_peer(NetClient *a, NetClient *b);
/* Sends a frame to nc's peer: returns its size if delivered or queued and
 * more may follow, 0 if queued and the sender should pause (see above), or
 * a negative errno if dropped (no peer: -ENOTCONN, queue overflow: -ENOBUFS). */
ssize_t net_send(NetClient *nc, const struct iovec *iov, int iovcnt);
ssize_t net_send_buf(NetClient *nc, const void *buf, size_t len);
/* Delivers what waits in nc's queue while nc can take it. Returns frames delivered. */
int net_flush_queue(NetClient *nc);
/* Drops everything waiting for nc (counted as dropped). */
void net_purge_queue(NetClient *nc);

NetClient *net_backend_lookup(const char *id);
/* Frees every backend, every NIC client still registered, and the parsed options. */
void net_cleanup_all(void);

/* "52:54:00:12:34:56" → mac. 0 or -EINVAL. */
int net_parse_mac(const char *s, uint8_t mac[6]);
/* 52:54:00:12:34:56 + index (the default MAC of NIC number index). */
void net_default_mac(unsigned index, uint8_t mac[6]);

/* ---- pcap --------------------------------------------------------------- */

/* Starts a pcap file (Ethernet linktype) for frames through nc; maxlen 0 = 65536. */
int net_dump_open(NetClient *nc, const char *file, size_t maxlen, char *err, size_t errlen);

/* ---- options ------------------------------------------------------------ */

typedef struct NetNicConfig {
    char netdev[64];   /* backend id */
    char model[64];    /* "virtio-net-device" */
    char id[64];       /* device id, may be empty */
    uint8_t mac[6];
    bool mac_set;      /* false: mac is the default for this NIC's index */
} NetNicConfig;

/* Each parses and checks one option string and records it; nothing is
 * opened until net_init_from_options(). 0, or -1 with a message in err. */
/* -netdev TYPE,id=ID,... */
int net_parse_netdev(const char *optarg, char *err, size_t errlen);
/* -nic TYPE,...[,model=virtio-net-device][,mac=]: a backend and its NIC */
int net_parse_nic(const char *optarg, char *err, size_t errlen);
/* -device virtio-net-device,netdev=ID[,mac=][,id=] (call it only for that driver) */
int net_parse_device(const char *optarg, char *err, size_t errlen);
/* -object filter-dump,id=ID,netdev=ID,file=PATH[,maxlen=N] */
int net_parse_object(const char *optarg, char *err, size_t errlen);

/* Creates every recorded backend and filter on el. 0 or -1 (err). */
int net_init_from_options(EventLoop *el, char *err, size_t errlen);
/* Parses and creates one backend at once (tests, hotplug). NULL on error. */
NetClient *net_netdev_create(EventLoop *el, const char *optarg, char *err, size_t errlen);

/* NICs asked for by -nic and -device, in command-line order. */
int net_nic_count(void);
const NetNicConfig *net_nic_get(int index);

/* ---- backend constructors (net/user.c, tap.c, socket.c, hub.c) --------- */

typedef struct NetOpts NetOpts; /* a parsed "type,key=value,..." string */

const char *net_opts_get(const NetOpts *o, const char *key);
/* The nth (from 0) value of a key that may repeat (hostfwd, guestfwd, dnssearch). */
const char *net_opts_get_nth(const NetOpts *o, const char *key, int nth);
/* Forgets every recorded option and NIC (net_cleanup_all() does it too). */
void net_options_reset(void);
NetClient *net_user_create(EventLoop *el, const char *id, const NetOpts *o, char *err,
                           size_t errlen);
NetClient *net_tap_create(EventLoop *el, const char *id, const NetOpts *o, char *err,
                          size_t errlen);
NetClient *net_socket_create(EventLoop *el, const char *id, const NetOpts *o, char *err,
                             size_t errlen);
/* The local TCP port of a socket backend (listen= with port 0 picks one). */
int net_socket_local_port(NetClient *nc);
NetClient *net_hubport_create(EventLoop *el, const char *id, const NetOpts *o, char *err,
                              size_t errlen);

#endif
