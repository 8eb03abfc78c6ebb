/*
 * log.h — logging by category (-d in_asm,op,...), off by default.
 *
 * The one thing to know: test log_enabled(LOG_X) before building anything
 * expensive to print; when a category is off, logging costs one AND.
 */
#ifndef MIMIC_LOG_H
#define MIMIC_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum {
    LOG_IN_ASM = 1 << 0,  /* guest instructions of each translated block */
    LOG_OP = 1 << 1,      /* IR as emitted by the frontend */
    LOG_OP_OPT = 1 << 2,  /* IR after optimization */
    LOG_OUT_ASM = 1 << 3, /* host code of each block */
    LOG_EXEC = 1 << 4,    /* each block executed via the exec loop; stats */
    LOG_STRACE = 1 << 5,  /* system calls */
    LOG_UNIMP = 1 << 6,   /* unimplemented features used by the guest */
    LOG_INT = 1 << 7,     /* exceptions and signals */
    LOG_MMU = 1 << 8,     /* system mode: soft-TLB refills and translation faults */
};

extern unsigned log_mask;
extern FILE *log_file; /* stderr unless -D was given */

static inline bool log_enabled(unsigned mask)
{
    return (log_mask & mask) != 0;
}

void log_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Parses "in_asm,op" or "help"; returns 0, or -1 with a message in err. */
int log_parse_mask(const char *spec, unsigned *mask, char *err, size_t errlen);
/* Prints the list of categories (for -d help). */
void log_print_categories(FILE *f);
/* Opens the -D file; returns 0, or -1 (errno set). */
int log_open_file(const char *path);

#endif
