/*
 * options.c — qemu-system style option values shared by the system-mode
 * command lines (see options.h).
 *
 * The one thing to know: nothing here returns on bad input; the error names
 * the option and the program exits 1.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/options.h"

const char *options_prog = "mimic";

_Noreturn void options_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", options_prog);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

uint64_t options_parse_size(const char *opt, const char *s)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    uint64_t mul = 1 << 20; /* QEMU: a bare number is MiB */
    switch (*end) {
    case 'k': case 'K': mul = 1 << 10; end++; break;
    case 'm': case 'M': mul = 1 << 20; end++; break;
    case 'g': case 'G': mul = 1 << 30; end++; break;
    case 't': case 'T': mul = 1ull << 40; end++; break;
    case '\0': break;
    default: options_die("%s: invalid size '%s'", opt, s);
    }
    if ((*end == 'B' || *end == 'b') && end[1] == '\0') {
        end++;
    }
    if (errno || *end || v <= 0 || v * (double)mul > (double)(1ull << 40)) {
        options_die("%s: invalid size '%s'", opt, s);
    }
    return (uint64_t)(v * (double)mul);
}

bool options_parse_bool(const char *opt, const char *key, const char *v)
{
    if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes")) {
        return true;
    }
    if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no")) {
        return false;
    }
    options_die("%s: %s=%s: expected on or off", opt, key, v);
}

void options_parse_props(const char *opt, const char *arg,
                         void (*fn)(const char *opt, const char *key, const char *val, void *ctx),
                         void *ctx)
{
    /* Callbacks may keep pointers into the copy, so each copy stays on a
     * list for the life of the process (reachable, not leaked). */
    static struct KeptArg { struct KeptArg *next; char s[]; } *kept;
    size_t len = strlen(arg) + 1;
    struct KeptArg *k = malloc(sizeof(*k) + len);
    if (!k) {
        options_die("%s: out of memory", opt);
    }
    memcpy(k->s, arg, len);
    k->next = kept;
    kept = k;
    char *s = k->s;
    char *save = NULL;
    for (char *item = strtok_r(s, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (eq) {
            *eq = '\0';
            fn(opt, item, eq + 1, ctx);
        } else {
            fn(opt, NULL, item, ctx);
        }
    }
}
