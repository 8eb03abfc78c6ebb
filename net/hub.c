/*
 * hub.c — hubs and the "hubport" backend: every frame that enters one port
 * of a hub leaves through all the others (QEMU's hub, the old "vlan").
 *
 * The one thing to know: a port is an ordinary client whose peer is a NIC
 * or another backend (netdev=); a port never queues, the queue of each
 * receiving peer does, so one slow receiver does not stall the others.
 */
#include <stdlib.h>
#include <string.h>

#include "mimic/net.h"

#define HUB_MAX_PORTS 32

typedef struct Hub {
    int id;
    int nb_ports;
    NetClient *ports[HUB_MAX_PORTS];
    struct Hub *next;
} Hub;

static Hub *hubs;

static ssize_t hubport_receive(NetClient *nc, const struct iovec *iov, int iovcnt)
{
    Hub *hub = nc->opaque;
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++) {
        len += iov[i].iov_len;
    }
    for (int i = 0; i < hub->nb_ports; i++) {
        if (hub->ports[i] != nc) {
            net_send(hub->ports[i], iov, iovcnt);
        }
    }
    return (ssize_t)len;
}

static void hubport_cleanup(NetClient *nc)
{
    Hub *hub = nc->opaque;
    for (int i = 0; i < hub->nb_ports; i++) {
        if (hub->ports[i] == nc) {
            hub->ports[i] = hub->ports[--hub->nb_ports];
            break;
        }
    }
    if (hub->nb_ports == 0) {
        for (Hub **p = &hubs; *p; p = &(*p)->next) {
            if (*p == hub) {
                *p = hub->next;
                break;
            }
        }
        free(hub);
    }
}

static const NetClientInfo hubport_info = {
    .type = "hubport",
    .receive = hubport_receive,
    .cleanup = hubport_cleanup,
};

NetClient *net_hubport_create(EventLoop *el, const char *id, const NetOpts *o, char *err,
                              size_t errlen)
{
    const char *v = net_opts_get(o, "hubid");
    char *end;
    long hubid = v ? strtol(v, &end, 10) : -1;
    if (!v || !*v || *end || hubid < 0 || hubid > 0x7fffffff) {
        snprintf(err, errlen, "-netdev hubport: %s hubid '%s'", v ? "invalid" : "missing",
                 v ? v : "");
        return NULL;
    }
    const char *netdev = net_opts_get(o, "netdev");
    NetClient *other = NULL;
    if (netdev) {
        other = net_backend_lookup(netdev);
        if (!other) {
            snprintf(err, errlen, "-netdev hubport: no netdev with id '%s'", netdev);
            return NULL;
        }
        if (other->peer) {
            snprintf(err, errlen, "-netdev hubport: netdev '%s' is already in use", netdev);
            return NULL;
        }
    }
    Hub *hub = hubs;
    while (hub && hub->id != hubid) {
        hub = hub->next;
    }
    if (!hub) {
        hub = calloc(1, sizeof(*hub));
        if (!hub) {
            snprintf(err, errlen, "-netdev hubport: out of memory");
            return NULL;
        }
        hub->id = (int)hubid;
        hub->next = hubs;
        hubs = hub;
    }
    if (hub->nb_ports == HUB_MAX_PORTS) {
        snprintf(err, errlen, "-netdev hubport: hub %ld is full", hubid);
        return NULL;
    }
    NetClient *nc = net_client_new(&hubport_info, id, hub);
    if (!nc) {
        snprintf(err, errlen, "-netdev hubport: duplicate id '%s'", id ? id : "");
        return NULL;
    }
    hub->ports[hub->nb_ports++] = nc;
    if (other) {
        net_client_set_peer(nc, other);
    }
    return nc;
}
