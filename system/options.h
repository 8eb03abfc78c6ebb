/*
 * options.h — qemu-system style option values, shared by the system-mode
 * command lines (system/riscv-main.c, accel/kvm/x86-main.c): sizes with
 * K/M/G/T suffixes, "key=value,..." lists, on/off switches, and the exit
 * on a bad one.
 *
 * The one thing to know: a bad value never returns; options_die() prints
 * "PROG: message" (PROG from options_prog, set by the main) and exits 1, so
 * every message must name the option at fault.
 */
#ifndef MIMIC_SYSTEM_OPTIONS_H
#define MIMIC_SYSTEM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

/* The program name errors start with. */
extern const char *options_prog;

_Noreturn void options_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A size such as 256M, 1.5G or 512 (a bare number is MiB, as in QEMU). */
uint64_t options_parse_size(const char *opt, const char *s);
/* on/yes/true or off/no/false. */
bool options_parse_bool(const char *opt, const char *key, const char *v);
/* Calls fn for each "key=value" item of arg (a bare item gets key NULL).
 * key and val point into a copy of arg that lives as long as the process,
 * so callbacks may keep them. */
void options_parse_props(const char *opt, const char *arg,
                         void (*fn)(const char *opt, const char *key, const char *val, void *ctx),
                         void *ctx);

#endif
