/*
 * common.c — helpers shared by mimic-img's subcommands: messages, sizes,
 * opening images, zero detection, progress.
 *
 * The one thing to know: sizes use qemu-img's conventions (suffixes are
 * powers of 1024, printed with three significant digits and an IEC unit).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/img/img.h"

void img_error(const char *fmt, ...)
{
    va_list ap;

    fputs("mimic-img: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void img_report(Error *err)
{
    error_report_free("mimic-img", err);
}

int img_parse_size(const char *s, uint64_t *out)
{
    static const char units[] = "bkmgtpe";
    char *end;
    double v;
    const char *u;
    int shift = 0;

    errno = 0;
    if (!*s || *s == '-' || *s == '+') {
        return -1;
    }
    v = strtod(s, &end);
    if (errno || end == s || v < 0) {
        return -1;
    }
    if (*end) {
        u = strchr(units, end[0] | 0x20);
        if (!u || end[1]) {
            return -1;
        }
        shift = (int)(u - units) * 10; /* 'b': bytes */
    }
    v = ldexp(v, shift);
    if (v >= 9223372036854775808.0 || v != floor(v)) {
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

const char *img_size_to_str(uint64_t v)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    static char buf[32];
    int e;

    frexp((double)v / (1000.0 / 1024.0), &e);
    int i = (e - 1) / 10;
    if (i < 0) {
        i = 0;
    }
    if (i > 6) {
        i = 6;
    }
    snprintf(buf, sizeof(buf), "%0.3g %s", (double)v / (double)(1ULL << (i * 10)), units[i]);
    return buf;
}

BlockDriverState *img_open(const char *filename, const char *fmt, int flags)
{
    BlockDriverState *bs = NULL;
    Error *err = NULL;

    if (bdrv_open(&bs, filename, fmt, flags, &err) < 0) {
        img_report(err);
        return NULL;
    }
    return bs;
}

int img_range_is_zero(BlockDriverState *bs, uint64_t offset, uint64_t *pnum, bool *zero)
{
    Error *err = NULL;

    for (;;) {
        int st = bdrv_block_status(bs, offset, pnum, &err);
        if (st < 0) {
            img_report(err);
            return st;
        }
        if (st & BDRV_STATUS_ALLOCATED) {
            *zero = (st & BDRV_STATUS_ZERO) != 0;
            return 0;
        }
        if (!bs->backing || offset >= bs->backing->total_size) {
            *zero = true;
            return 0;
        }
        if (*pnum > bs->backing->total_size - offset) {
            *pnum = bs->backing->total_size - offset;
        }
        bs = bs->backing;
    }
}

bool img_buffer_is_zero(const uint8_t *buf, size_t len)
{
    return len == 0 || (buf[0] == 0 && memcmp(buf, buf + 1, len - 1) == 0);
}

void img_progress(double percent, bool done)
{
    static double last = -1.0; /* the last percentage printed */

    /* Like qemu-img: a new line only once progress moved by 1%. */
    if (!done && percent < 100.0 && last >= 0.0 && percent >= last &&
        percent - last < 1.0) {
        return;
    }
    last = done ? -1.0 : percent;
    printf("    (%0.2f/100%%)%c", percent, done ? '\n' : '\r');
    fflush(stdout);
}

int img_check_subformat(const char *fmt, const BlockCreateOptions *o, const char *filename)
{
    bool is_static = o->subformat && !strcmp(o->subformat, "static");

    if (!o->subformat || (!strcmp(fmt, "vdi") && is_static) ||
        (!is_static && (!strcmp(fmt, "vmdk") || !strcmp(fmt, "vpc")))) {
        return 0;
    }
    img_error("%s: Invalid parameter '%s' for format '%s'", filename,
              is_static ? "static" : "subformat", fmt);
    return -1;
}

int img_output_format(const char *output)
{
    if (!strcmp(output, "json")) {
        return 1;
    }
    if (!strcmp(output, "human")) {
        return 0;
    }
    img_error("--output must be used with human or json as argument.");
    return -1;
}
