/*
 * error.c — the Error type of the block layer: a negative errno plus a
 * message for the user.
 *
 * The one thing to know: error_setg() keeps the first error set, so a
 * low-level message naming the real cause is not overwritten by callers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "mimic/block.h"

int error_setg(Error **errp, int code, const char *fmt, ...)
{
    if (errp && !*errp) {
        Error *err = calloc(1, sizeof(*err));
        va_list ap;

        if (err) {
            va_start(ap, fmt);
            if (vasprintf(&err->msg, fmt, ap) < 0) {
                err->msg = NULL;
            }
            va_end(ap);
            err->code = code;
            *errp = err;
        }
    }
    return code;
}

void error_free(Error *err)
{
    if (err) {
        free(err->msg);
        free(err);
    }
}

void error_report_free(const char *prog, Error *err)
{
    fprintf(stderr, "%s: %s\n", prog, err && err->msg ? err->msg : "unknown error");
    error_free(err);
}
