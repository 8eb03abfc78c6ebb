/*
 * options.c — the network options of the command line: -netdev, -nic,
 * -device virtio-net-device and -object filter-dump, in QEMU's
 * "type,key=value,..." syntax (",," is a literal comma).
 *
 * The one thing to know: parsing only checks and records (so errors come
 * before anything is opened); net_init_from_options() then creates the
 * backends in command-line order, and the filters after them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/net.h"

#define MAX_KEYS 64

struct NetOpts {
    char *type;
    int n;
    char *key[MAX_KEYS];
    char *val[MAX_KEYS];
};

static void opts_free(NetOpts *o)
{
    if (!o) {
        return;
    }
    free(o->type);
    for (int i = 0; i < o->n; i++) {
        free(o->key[i]);
        free(o->val[i]);
    }
    free(o);
}

const char *net_opts_get(const NetOpts *o, const char *key)
{
    for (int i = o->n - 1; i >= 0; i--) { /* the last one wins */
        if (strcmp(o->key[i], key) == 0) {
            return o->val[i];
        }
    }
    return NULL;
}

/* The i-th occurrence of a key that may repeat (hostfwd, guestfwd...). */
const char *net_opts_get_nth(const NetOpts *o, const char *key, int nth)
{
    for (int i = 0; i < o->n; i++) {
        if (strcmp(o->key[i], key) == 0 && nth-- == 0) {
            return o->val[i];
        }
    }
    return NULL;
}

static void fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Splits "type,k=v,k2=v2" (",," = a comma). The first item is the type
 * unless it has '=' and is "type=..."; an item without '=' is "key=on". */
static NetOpts *opts_parse(const char *opt, const char *s, char *err, size_t errlen)
{
    NetOpts *o = calloc(1, sizeof(*o));
    size_t cap = strlen(s) + 1;
    char *item = malloc(cap);
    if (!o || !item) {
        free(item);
        opts_free(o);
        fail(err, errlen, "%s: out of memory", opt);
        return NULL;
    }
    bool first = true;
    const char *p = s;
    for (;;) {
        size_t len = 0;
        while (*p) {
            if (*p == ',') {
                if (p[1] == ',') {
                    item[len++] = ',';
                    p += 2;
                    continue;
                }
                break;
            }
            item[len++] = *p++;
        }
        item[len] = 0;
        char *eq = strchr(item, '=');
        if (first && !eq) {
            o->type = strdup(item);
        } else if (len == 0) {
            /* an empty item ("a,,b" is a comma; "a,b," ends in nothing): ignore */
        } else {
            if (o->n == MAX_KEYS) {
                fail(err, errlen, "%s: too many options", opt);
                goto error;
            }
            if (eq) {
                *eq = 0;
            }
            if (first && strcmp(item, "type") == 0) {
                o->type = strdup(eq + 1);
            } else {
                o->key[o->n] = strdup(item);
                o->val[o->n] = strdup(eq ? eq + 1 : "on");
                o->n++;
            }
        }
        first = false;
        if (!*p) {
            break;
        }
        p++;
    }
    free(item);
    if (!o->type || !o->type[0]) {
        fail(err, errlen, "%s: missing the type", opt);
        opts_free(o);
        return NULL;
    }
    return o;
error:
    free(item);
    opts_free(o);
    return NULL;
}

typedef struct TypeKeys {
    const char *type;
    const char *const *keys;     /* allowed once */
    const char *const *multi;    /* may repeat */
} TypeKeys;

static const char *const user_keys[] = { "id", "net", "host", "dns", "dhcpstart", "restrict",
                                          "hostname", "domainname", "tftp", "bootfile", "ipv4",
                                          "ipv6", "ipv6-net", "ipv6-host", "ipv6-dns",
                                          "tftp-server-name", NULL };
static const char *const user_multi[] = { "hostfwd", "guestfwd", "dnssearch", NULL };
static const char *const tap_keys[] = { "id", "ifname", "script", "downscript", "fd", "vhost",
                                        "br", "helper", NULL };
static const char *const socket_keys[] = { "id", "listen", "connect", "mcast", "udp",
                                           "localaddr", "fd", NULL };
static const char *const hubport_keys[] = { "id", "hubid", "netdev", NULL };
static const char *const none[] = { NULL };

static const TypeKeys netdev_types[] = {
    { "user", user_keys, user_multi },
    { "tap", tap_keys, none },
    { "socket", socket_keys, none },
    { "hubport", hubport_keys, none },
};

static bool in_list(const char *const *list, const char *key)
{
    for (; *list; list++) {
        if (strcmp(*list, key) == 0) {
            return true;
        }
    }
    return false;
}

/* Checks every key of o against its type; extra = keys allowed besides
 * (the -nic ones). */
static int opts_check(const char *opt, const NetOpts *o, const char *const *extra, char *err,
                      size_t errlen)
{
    const TypeKeys *t = NULL;
    for (size_t i = 0; i < sizeof(netdev_types) / sizeof(netdev_types[0]); i++) {
        if (strcmp(netdev_types[i].type, o->type) == 0) {
            t = &netdev_types[i];
        }
    }
    if (!t) {
        fail(err, errlen, "%s: unknown type '%s' (user, tap, socket, hubport)", opt, o->type);
        return -1;
    }
    for (int i = 0; i < o->n; i++) {
        const char *k = o->key[i];
        bool multi = in_list(t->multi, k);
        if (!multi && !in_list(t->keys, k) && !(extra && in_list(extra, k))) {
            fail(err, errlen, "%s %s: unknown option '%s'", opt, o->type, k);
            return -1;
        }
        if (!multi) {
            for (int j = 0; j < i; j++) {
                if (strcmp(o->key[j], k) == 0) {
                    fail(err, errlen, "%s %s: option '%s' given twice", opt, o->type, k);
                    return -1;
                }
            }
        }
    }
    return 0;
}

/* ---- what was recorded -------------------------------------------------- */

#define MAX_RECORDED 64

typedef struct Recorded {
    NetOpts *opts;
    char id[64];
} Recorded;

static Recorded netdevs[MAX_RECORDED];
static int nb_netdevs;
static NetOpts *filters[MAX_RECORDED];
static int nb_filters;
static NetNicConfig nics[MAX_RECORDED];
static int nb_nics;
static int nic_auto;

static bool id_taken(const char *id)
{
    for (int i = 0; i < nb_netdevs; i++) {
        if (strcmp(netdevs[i].id, id) == 0) {
            return true;
        }
    }
    return net_backend_lookup(id) != NULL;
}

static bool id_valid(const char *id)
{
    if (!id[0] || strlen(id) >= 64) {
        return false;
    }
    for (const char *c = id; *c; c++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '_' || *c == '.')) {
            return false;
        }
    }
    return true;
}

static int record_netdev(NetOpts *o, const char *id, char *err, size_t errlen)
{
    if (nb_netdevs == MAX_RECORDED) {
        fail(err, errlen, "-netdev: too many network backends");
        return -1;
    }
    netdevs[nb_netdevs].opts = o;
    snprintf(netdevs[nb_netdevs].id, sizeof(netdevs[0].id), "%s", id);
    nb_netdevs++;
    return 0;
}

static int check_id(const char *opt, const NetOpts *o, char *err, size_t errlen)
{
    const char *id = net_opts_get(o, "id");
    if (!id) {
        fail(err, errlen, "%s %s: missing 'id'", opt, o->type);
        return -1;
    }
    if (!id_valid(id)) {
        fail(err, errlen, "%s %s: invalid id '%s'", opt, o->type, id);
        return -1;
    }
    if (id_taken(id)) {
        fail(err, errlen, "%s %s: duplicate id '%s'", opt, o->type, id);
        return -1;
    }
    return 0;
}

int net_parse_netdev(const char *optarg, char *err, size_t errlen)
{
    NetOpts *o = opts_parse("-netdev", optarg, err, errlen);
    if (!o) {
        return -1;
    }
    if (opts_check("-netdev", o, NULL, err, errlen) < 0 ||
        check_id("-netdev", o, err, errlen) < 0 ||
        record_netdev(o, net_opts_get(o, "id"), err, errlen) < 0) {
        opts_free(o);
        return -1;
    }
    return 0;
}

static int nic_add(const char *opt, const char *model, const char *netdev, const char *mac,
                   const char *id, char *err, size_t errlen)
{
    if (nb_nics == MAX_RECORDED) {
        fail(err, errlen, "%s: too many network cards", opt);
        return -1;
    }
    NetNicConfig *c = &nics[nb_nics];
    memset(c, 0, sizeof(*c));
    if (strcmp(model, "virtio-net-device") != 0 && strcmp(model, "virtio-net") != 0) {
        fail(err, errlen, "%s: unsupported NIC model '%s' (virtio-net-device)", opt, model);
        return -1;
    }
    snprintf(c->model, sizeof(c->model), "virtio-net-device");
    if (mac) {
        if (net_parse_mac(mac, c->mac) < 0) {
            fail(err, errlen, "%s: invalid mac '%s' (expected a unicast xx:xx:xx:xx:xx:xx)", opt,
                 mac);
            return -1;
        }
        c->mac_set = true;
    } else {
        net_default_mac((unsigned)nb_nics, c->mac);
    }
    snprintf(c->netdev, sizeof(c->netdev), "%s", netdev ? netdev : "");
    snprintf(c->id, sizeof(c->id), "%s", id ? id : "");
    nb_nics++;
    return 0;
}

int net_parse_nic(const char *optarg, char *err, size_t errlen)
{
    static const char *const nic_extra[] = { "model", "mac", NULL };
    NetOpts *o = opts_parse("-nic", optarg, err, errlen);
    if (!o) {
        return -1;
    }
    if (strcmp(o->type, "none") == 0) {
        opts_free(o);
        return 0;
    }
    if (opts_check("-nic", o, nic_extra, err, errlen) < 0) {
        opts_free(o);
        return -1;
    }
    const char *model = net_opts_get(o, "model");
    if (model && strcmp(model, "help") == 0) {
        fail(err, errlen, "-nic: available models: virtio-net-device");
        opts_free(o);
        return -1;
    }
    char id[64];
    const char *given = net_opts_get(o, "id");
    if (given) {
        if (!id_valid(given) || id_taken(given)) {
            fail(err, errlen, "-nic %s: %s id '%s'", o->type,
                 id_valid(given) ? "duplicate" : "invalid", given);
            opts_free(o);
            return -1;
        }
        snprintf(id, sizeof(id), "%s", given);
    } else {
        do {
            snprintf(id, sizeof(id), "__nic%d", nic_auto++);
        } while (id_taken(id));
    }
    if (nic_add("-nic", model ? model : "virtio-net-device", id, net_opts_get(o, "mac"), NULL,
                err, errlen) < 0) {
        opts_free(o);
        return -1;
    }
    if (record_netdev(o, id, err, errlen) < 0) {
        nb_nics--;
        opts_free(o);
        return -1;
    }
    return 0;
}

int net_parse_device(const char *optarg, char *err, size_t errlen)
{
    NetOpts *o = opts_parse("-device", optarg, err, errlen);
    if (!o) {
        return -1;
    }
    int r = -1;
    for (int i = 0; i < o->n; i++) {
        if (strcmp(o->key[i], "netdev") && strcmp(o->key[i], "mac") && strcmp(o->key[i], "id")) {
            fail(err, errlen, "-device %s: unknown option '%s'", o->type, o->key[i]);
            goto out;
        }
    }
    const char *netdev = net_opts_get(o, "netdev");
    if (netdev) {
        bool found = net_backend_lookup(netdev) != NULL;
        for (int i = 0; i < nb_netdevs && !found; i++) {
            found = strcmp(netdevs[i].id, netdev) == 0;
        }
        for (int i = 0; i < nb_nics && found; i++) {
            if (strcmp(nics[i].netdev, netdev) == 0) {
                fail(err, errlen, "-device %s: netdev '%s' is already in use", o->type, netdev);
                goto out;
            }
        }
        if (!found) {
            fail(err, errlen, "-device %s: no netdev with id '%s'", o->type, netdev);
            goto out;
        }
    }
    r = nic_add("-device", o->type, netdev, net_opts_get(o, "mac"), net_opts_get(o, "id"), err,
                errlen);
out:
    opts_free(o);
    return r;
}

int net_parse_object(const char *optarg, char *err, size_t errlen)
{
    NetOpts *o = opts_parse("-object", optarg, err, errlen);
    if (!o) {
        return -1;
    }
    if (strcmp(o->type, "filter-dump") != 0) {
        fail(err, errlen, "-object: unknown object type '%s' (filter-dump)", o->type);
        opts_free(o);
        return -1;
    }
    static const char *const keys[] = { "id", "netdev", "file", "maxlen", "queue", "status",
                                        NULL };
    for (int i = 0; i < o->n; i++) {
        if (!in_list(keys, o->key[i])) {
            fail(err, errlen, "-object filter-dump: unknown option '%s'", o->key[i]);
            opts_free(o);
            return -1;
        }
    }
    const char *missing = !net_opts_get(o, "id")       ? "id"
                          : !net_opts_get(o, "netdev") ? "netdev"
                          : !net_opts_get(o, "file")   ? "file"
                                                       : NULL;
    const char *q = net_opts_get(o, "queue");
    if (missing) {
        fail(err, errlen, "-object filter-dump: missing '%s'", missing);
    } else if (q && strcmp(q, "all") != 0) {
        fail(err, errlen, "-object filter-dump: queue=%s is not supported (all)", q);
        missing = "queue";
    } else if (nb_filters == MAX_RECORDED) {
        fail(err, errlen, "-object filter-dump: too many filters");
        missing = "";
    }
    if (missing) {
        opts_free(o);
        return -1;
    }
    filters[nb_filters++] = o;
    return 0;
}

static NetClient *create(EventLoop *el, const char *id, const NetOpts *o, char *err,
                         size_t errlen)
{
    if (strcmp(o->type, "user") == 0) {
        return net_user_create(el, id, o, err, errlen);
    }
    if (strcmp(o->type, "tap") == 0) {
        return net_tap_create(el, id, o, err, errlen);
    }
    if (strcmp(o->type, "socket") == 0) {
        return net_socket_create(el, id, o, err, errlen);
    }
    return net_hubport_create(el, id, o, err, errlen);
}

static int filter_create(const NetOpts *o, char *err, size_t errlen)
{
    const char *netdev = net_opts_get(o, "netdev");
    NetClient *nc = net_backend_lookup(netdev);
    if (!nc) {
        fail(err, errlen, "-object filter-dump: no netdev with id '%s'", netdev);
        return -1;
    }
    size_t maxlen = 0;
    const char *m = net_opts_get(o, "maxlen");
    if (m) {
        char *end;
        unsigned long v = strtoul(m, &end, 0);
        if (*end || v == 0 || v > NET_MAX_FRAME) {
            fail(err, errlen, "-object filter-dump: invalid maxlen '%s'", m);
            return -1;
        }
        maxlen = v;
    }
    return net_dump_open(nc, net_opts_get(o, "file"), maxlen, err, errlen);
}

int net_init_from_options(EventLoop *el, char *err, size_t errlen)
{
    for (int i = 0; i < nb_netdevs; i++) {
        if (!create(el, netdevs[i].id, netdevs[i].opts, err, errlen)) {
            return -1;
        }
    }
    for (int i = 0; i < nb_filters; i++) {
        if (filter_create(filters[i], err, errlen) < 0) {
            return -1;
        }
    }
    for (int i = 0; i < nb_nics; i++) {
        if (nics[i].netdev[0] && !net_backend_lookup(nics[i].netdev)) {
            fail(err, errlen, "-device: no netdev with id '%s'", nics[i].netdev);
            return -1;
        }
    }
    return 0;
}

NetClient *net_netdev_create(EventLoop *el, const char *optarg, char *err, size_t errlen)
{
    NetOpts *o = opts_parse("-netdev", optarg, err, errlen);
    if (!o) {
        return NULL;
    }
    NetClient *nc = NULL;
    if (opts_check("-netdev", o, NULL, err, errlen) == 0 &&
        check_id("-netdev", o, err, errlen) == 0) {
        nc = create(el, net_opts_get(o, "id"), o, err, errlen);
    }
    opts_free(o);
    return nc;
}

int net_nic_count(void)
{
    return nb_nics;
}

const NetNicConfig *net_nic_get(int index)
{
    return index >= 0 && index < nb_nics ? &nics[index] : NULL;
}

void net_options_reset(void)
{
    for (int i = 0; i < nb_netdevs; i++) {
        opts_free(netdevs[i].opts);
    }
    for (int i = 0; i < nb_filters; i++) {
        opts_free(filters[i]);
    }
    nb_netdevs = nb_filters = nb_nics = nic_auto = 0;
}
