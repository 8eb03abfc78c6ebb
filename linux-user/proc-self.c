/*
 * proc-self.c — the files of /proc/self that must show the guest's view
 * rather than mimic's: maps (guest addresses and protections), auxv (the
 * vector the guest started with) and cmdline (the guest's argv, without
 * mimic and its options). /proc/self/exe is path.c's business.
 *
 * The one thing to know: each open builds the whole file into a memfd
 * and returns that descriptor, so reads, seeks and fstat just work; maps
 * takes file names, offsets and inodes from the host's /proc/self/maps
 * lines that back each guest range.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "linux-user/guest-mem.h"
#include "linux-user/guest-signal.h"
#include "linux-user/proc-self.h"

static uint64_t auxv_addr, auxv_len;
static uint64_t argv_addr; /* guest argv[] */

/* Guest ranges with a name of their own in maps: the loaded ELF images
 * (read into anonymous memory, so the host does not know their file), the
 * sigreturn trampoline and the stack. */
typedef struct NamedRange {
    uint64_t lo, hi;
    char dev[16];
    unsigned long long inode;
    char path[PATH_MAX];
} NamedRange;

#define MAX_NAMED 4
static NamedRange named[MAX_NAMED];
static int nb_named;

void proc_self_add_image(uint64_t lo, uint64_t hi, const char *path)
{
    struct stat st;
    if (nb_named == MAX_NAMED || stat(path, &st) < 0) {
        return;
    }
    NamedRange *r = &named[nb_named++];
    r->lo = lo;
    r->hi = hi;
    snprintf(r->dev, sizeof(r->dev), "%02x:%02x", major(st.st_dev), minor(st.st_dev));
    r->inode = (unsigned long long)st.st_ino;
    if (!realpath(path, r->path)) {
        snprintf(r->path, sizeof(r->path), "%s", path);
    }
}

void proc_self_init(uint64_t sp)
{
    uint64_t p = sp + 8; /* skip argc */
    argv_addr = p;
    for (int vec = 0; vec < 2; vec++) {  /* argv, then envp */
        uint64_t v;
        do {
            if (guest_copy_from(&v, p, sizeof(v)) < 0) {
                return;
            }
            p += 8;
        } while (v);
    }
    auxv_addr = p;
    for (uint64_t pair[2] = { 1, 0 }; pair[0] != 0; p += sizeof(pair)) {
        if (guest_copy_from(pair, p, sizeof(pair)) < 0) {
            return;
        }
    }
    auxv_len = p - auxv_addr;
}

/* One line of the host's maps. */
typedef struct HostMap {
    uintptr_t lo, hi;
    unsigned long long offset, inode;
    char shared;
    char dev[16];
    const char *path;
} HostMap;

/* Reads all of a (pseudo) file; NULL on error. The caller frees. */
static char *read_whole(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return NULL;
    }
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            break;
        }
        if (len + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n <= 0) {
            buf[len] = '\0';
            break;
        }
        len += (size_t)n;
    }
    close(fd);
    return buf;
}

/* Parses the host maps text (in place) into the lines that touch the
 * guest window; returns how many. */
static size_t parse_host_maps(char *text, HostMap **out)
{
    size_t n = 0, cap = 0;
    HostMap *maps = NULL;
    uintptr_t wlo = guest_base, whi = guest_base + guest_limit;
    for (char *line = text; line && *line;) {
        char *next = strchr(line, '\n');
        if (next) {
            *next++ = '\0';
        }
        HostMap m;
        char perms[8];
        int name_at = 0;
        memset(&m, 0, sizeof(m));
        if (sscanf(line, "%lx-%lx %7s %llx %15s %llu %n", &m.lo, &m.hi, perms, &m.offset, m.dev,
                   &m.inode, &name_at) >= 6 && m.hi > wlo && m.lo < whi) {
            m.shared = perms[3];
            m.path = name_at ? line + name_at : "";
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                HostMap *nm = realloc(maps, cap * sizeof(*nm));
                if (!nm) {
                    break;
                }
                maps = nm;
            }
            maps[n++] = m;
        }
        line = next;
    }
    *out = maps;
    return n;
}

static void print_map_line(FILE *f, uint64_t lo, uint64_t hi, unsigned flags, char shared,
                           uint64_t offset, const char *dev, unsigned long long inode,
                           const char *name)
{
    int w = fprintf(f, "%08llx-%08llx %c%c%c%c %08llx %s %llu", (unsigned long long)lo,
                    (unsigned long long)hi, flags & PAGE_READ ? 'r' : '-',
                    flags & PAGE_WRITE ? 'w' : '-', flags & PAGE_EXEC ? 'x' : '-',
                    shared == 's' ? 's' : 'p', (unsigned long long)offset, dev, inode);
    if (*name) {
        fprintf(f, "%*s%s", w < 73 ? 73 - w : 1, "", name);
    }
    fprintf(f, "\n");
}

/* Prints [lo, hi) (backed by host line h, or anonymous if NULL), cut at
 * the boundaries of the named ranges. */
static void print_piece(FILE *f, uint64_t lo, uint64_t hi, unsigned flags, const HostMap *h)
{
    uint64_t tramp = signal_trampoline_addr(), stack = guest_limit - GUEST_STACK_SIZE;
    while (lo < hi) {
        uint64_t e = hi;
        const NamedRange *in = NULL;
        for (int i = 0; i < nb_named; i++) {
            if (named[i].lo <= lo && lo < named[i].hi) {
                in = &named[i];
                e = named[i].hi < e ? named[i].hi : e;
            } else if (named[i].lo > lo && named[i].lo < e) {
                e = named[i].lo;
            }
        }
        if (lo < tramp && tramp < e) {
            e = tramp;
        } else if (lo == tramp && tramp + GUEST_PAGE_SIZE < e) {
            e = tramp + GUEST_PAGE_SIZE;
        }
        if (in) {
            print_map_line(f, lo, e, flags, 'p', lo - in->lo, in->dev, in->inode, in->path);
        } else {
            const char *name = lo == tramp ? "[vdso]" : lo >= stack ? "[stack]" : h ? h->path : "";
            uint64_t off = h && h->inode ? h->offset + (lo + guest_base - h->lo) : 0;
            print_map_line(f, lo, e, flags, h ? h->shared : 'p', off, h ? h->dev : "00:00",
                           h ? h->inode : 0, name);
        }
        lo = e;
    }
}

static void write_maps(FILE *f)
{
    char *text = read_whole("/proc/self/maps");
    HostMap *maps = NULL;
    size_t n = text ? parse_host_maps(text, &maps) : 0;
    uint64_t end;
    unsigned flags;
    for (uint64_t lo = page_find_run(0, &end, &flags); lo != UINT64_MAX;
         lo = page_find_run(end, &end, &flags)) {
        uint64_t at = lo;
        for (size_t i = 0; i < n && at < end; i++) {
            uint64_t hlo = maps[i].lo - guest_base, hhi = maps[i].hi - guest_base;
            if (hhi <= at || hlo >= end) {
                continue;
            }
            uint64_t e = hhi < end ? hhi : end;
            print_piece(f, at, e, flags, &maps[i]);
            at = e;
        }
        if (at < end) {
            print_piece(f, at, end, flags, NULL);
        }
    }
    free(maps);
    free(text);
}

/* The guest's argv strings, each with its NUL, read live from guest memory
 * (the program may have rewritten them, as with the kernel). */
static void write_cmdline(FILE *f)
{
    char buf[4096];
    uint64_t str;
    for (uint64_t p = argv_addr; argv_addr && guest_copy_from(&str, p, sizeof(str)) == 0 && str;
         p += 8) {
        int64_t len = guest_copy_string(buf, sizeof(buf), str);
        if (len < 0) {
            break;
        }
        fwrite(buf, 1, (size_t)len + 1, f);
    }
}

bool proc_self_open(const char *path, int flags, int64_t *ret)
{
    char own[64];
    const char *leaf = NULL;
    int len = snprintf(own, sizeof(own), "/proc/%d/", getpid());
    if (strncmp(path, "/proc/self/", 11) == 0) {
        leaf = path + 11;
    } else if (strncmp(path, own, (size_t)len) == 0) {
        leaf = path + len;
    }
    if (!leaf || (strcmp(leaf, "maps") != 0 && strcmp(leaf, "auxv") != 0 &&
                  strcmp(leaf, "cmdline") != 0)) {
        return false;
    }
    if ((flags & O_ACCMODE) != O_RDONLY) {
        *ret = -EACCES;
        return true;
    }
    int fd = memfd_create(leaf, (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
    if (fd < 0) {
        *ret = -errno;
        return true;
    }
    FILE *f = fdopen(dup(fd), "w");
    if (!f) {
        *ret = -errno;
        close(fd);
        return true;
    }
    if (leaf[0] == 'm') {
        write_maps(f);
    } else if (leaf[0] == 'c') {
        write_cmdline(f);
    } else if (auxv_len) {
        fwrite(g2h(auxv_addr), 1, auxv_len, f);
    }
    fclose(f);
    lseek(fd, 0, SEEK_SET);
    *ret = fd;
    return true;
}
