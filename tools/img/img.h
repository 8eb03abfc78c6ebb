/*
 * img.h — shared pieces of mimic-img's subcommands (one file each in tools/img/).
 *
 * The one thing to know: each subcommand is `int img_NAME(int argc, char
 * **argv)` with argv[0] the subcommand name, parses its own options with
 * getopt, and returns the process exit status (qemu-img's codes).
 */
#ifndef TOOLS_IMG_H
#define TOOLS_IMG_H

#include <stdbool.h>
#include <stdint.h>

#include "mimic/block.h"

/* Prints "mimic-img: message" on stderr. */
void img_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Reports err (and frees it). */
void img_report(Error *err);
/* Parses "10G", "512k", "1.5M" (k/M/G/T/P/E, powers of 1024); -1 on error. */
int img_parse_size(const char *s, uint64_t *out);
/* qemu-img's human size: "196 KiB", "64 MiB". Returns a static buffer. */
const char *img_size_to_str(uint64_t v);
/* Opens an image, reporting errors; returns NULL on failure. */
BlockDriverState *img_open(const char *filename, const char *fmt, int flags);
/* Whether [offset, offset + *pnum) reads as zeros through the whole
 * backing chain, without reading data; shortens *pnum. */
int img_range_is_zero(BlockDriverState *bs, uint64_t offset, uint64_t *pnum, bool *zero);
bool img_buffer_is_zero(const uint8_t *buf, size_t len);
/* Prints the snapshot table like qemu-img (header line and one per row). */
void img_print_snapshots(const BlockInfo *info);
/* Refuses a subformat (or static=on) for a format without one; -1 if so
 * (reported). */
int img_check_subformat(const char *fmt, const BlockCreateOptions *o, const char *filename);
/* Prints the progress line for -p ("    (12.34/100%)" and a carriage
 * return; done ends the line), at most once per 1% like qemu-img. */
void img_progress(double percent, bool done);

/* Checks --output's argument; returns 1 for json, 0 for human, -1 (reported). */
int img_output_format(const char *output);

int img_create(int argc, char **argv);
int img_info(int argc, char **argv);
int img_check(int argc, char **argv);
int img_convert(int argc, char **argv);
int img_resize(int argc, char **argv);
int img_compare(int argc, char **argv);
int img_snapshot(int argc, char **argv);
int img_amend(int argc, char **argv);
int img_map(int argc, char **argv);
int img_commit(int argc, char **argv);
int img_rebase(int argc, char **argv);
int img_measure(int argc, char **argv);
int img_bench(int argc, char **argv);

#endif
