/*
 * drive.h — opening a -drive's image for a machine, with QEMU's
 * snapshot=on / -snapshot semantics (writes go to a temporary qcow2
 * overlay that is deleted; the image itself is never written).
 */
#ifndef MIMIC_SYSTEM_DRIVE_H
#define MIMIC_SYSTEM_DRIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "mimic/block.h"

/* 0, or -1 with a message naming the file in err. */
int drive_open(const char *file, const char *format, bool read_only, bool snapshot,
               BlockDriverState **pbs, char *err, size_t errlen);
/* The same for the destination of a migration, while the source still
 * writes the image: no repair of a dirty image (it is the source's, in
 * use); drive_open again once the source has flushed it. */
int drive_open_incoming(const char *file, const char *format, bool read_only,
                        BlockDriverState **pbs, char *err, size_t errlen);

#endif
