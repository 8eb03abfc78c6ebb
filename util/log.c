/*
 * log.c — logging by category (-d in_asm,op,...) to stderr or the -D file.
 *
 * The one thing to know: log_mask is tested inline by log_enabled(); the
 * functions here only run when a category is on or while parsing options.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mimic/log.h"

unsigned log_mask;
FILE *log_file;

/* stderr is not a constant expression, so log_file gets it at start-up. */
__attribute__((constructor)) static void log_init_file(void)
{
    log_file = stderr;
}

typedef struct LogCategory {
    const char *name;
    unsigned mask;
    const char *help;
} LogCategory;

static const LogCategory log_categories[] = {
    { "in_asm", LOG_IN_ASM, "show guest instructions of each translated block" },
    { "op", LOG_OP, "show IR as emitted by the frontend" },
    { "op_opt", LOG_OP_OPT, "show IR after optimization" },
    { "out_asm", LOG_OUT_ASM, "show host code of each translated block" },
    { "exec", LOG_EXEC, "show each block executed via the exec loop, and statistics" },
    { "strace", LOG_STRACE, "log system calls (same as -strace)" },
    { "unimp", LOG_UNIMP, "log unimplemented features used by the guest" },
    { "int", LOG_INT, "show exceptions and signals" },
    { "mmu", LOG_MMU, "show soft-TLB refills and translation faults (system mode)" },
};

#define LOG_NB_CATEGORIES (sizeof(log_categories) / sizeof(log_categories[0]))

void log_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log_file, fmt, ap);
    va_end(ap);
}

static int log_find_category(const char *name, size_t len, unsigned *mask)
{
    if (len == 3 && memcmp(name, "all", 3) == 0) {
        for (size_t i = 0; i < LOG_NB_CATEGORIES; i++) {
            *mask |= log_categories[i].mask;
        }
        return 0;
    }
    for (size_t i = 0; i < LOG_NB_CATEGORIES; i++) {
        if (strlen(log_categories[i].name) == len && memcmp(log_categories[i].name, name, len) == 0) {
            *mask |= log_categories[i].mask;
            return 0;
        }
    }
    return -1;
}

int log_parse_mask(const char *spec, unsigned *mask, char *err, size_t errlen)
{
    unsigned m = 0;
    const char *p = spec;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len > 0 && log_find_category(p, len, &m) < 0) {
            snprintf(err, errlen, "unknown log category '%.*s' (try -d help)", (int)len, p);
            return -1;
        }
        if (!comma) {
            break;
        }
        p = comma + 1;
    }
    *mask = m;
    return 0;
}

void log_print_categories(FILE *f)
{
    fprintf(f, "Log items (comma separated):\n");
    for (size_t i = 0; i < LOG_NB_CATEGORIES; i++) {
        fprintf(f, "%-10s %s\n", log_categories[i].name, log_categories[i].help);
    }
    fprintf(f, "%-10s %s\n", "all", "enable every category");
}

int log_open_file(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        return -1;
    }
    setvbuf(f, NULL, _IOLBF, 0);
    if (log_file && log_file != stderr) {
        fclose(log_file);
    }
    log_file = f;
    return 0;
}
