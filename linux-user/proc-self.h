/*
 * proc-self.h — emulated /proc/self files (maps, auxv, cmdline) showing
 * the guest's view.
 *
 * The one thing to know: proc_self_init() must run once the initial stack
 * is built (it remembers where the auxv is).
 */
#ifndef LINUX_USER_PROC_SELF_H
#define LINUX_USER_PROC_SELF_H

#include <stdbool.h>
#include <stdint.h>

/* sp: the guest's initial stack pointer (argc). */
void proc_self_init(uint64_t sp);
/* Names [lo, hi) in maps after the file path (a loaded ELF image). */
void proc_self_add_image(uint64_t lo, uint64_t hi, const char *path);
/* If path (a host path, after sysroot mapping) is an emulated /proc file,
 * opens it: *ret is the new fd or -errno, and the result is true. */
bool proc_self_open(const char *path, int flags, int64_t *ret);

#endif
