/*
 * vmstate.h — the one versioned interface through which every device
 * saves and restores its state, and the stream format that carries a
 * whole machine: header, RAM pages, device sections, end marker.
 *
 * The one thing to know: a machine describes itself as a MigMachine (its
 * identity, its RAM, one MigSection per device instance). A device that
 * cannot save its state has no section functions, and then the machine
 * refuses to save at all ("device X does not support snapshots"), so a new
 * device cannot silently break snapshots. Loading checks everything before
 * it changes anything but RAM: each section is loaded into a copy of its
 * device, and the copies replace the devices only once the whole stream
 * has been read and found complete.
 */
#ifndef MIMIC_MIGRATION_VMSTATE_H
#define MIMIC_MIGRATION_VMSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "migration/stream.h"

#define MIG_FORMAT_VERSION 1
#define MIG_PAGE_SIZE 4096u
#define MIG_SECTION_MAX (1u << 20) /* bytes of one device section */

typedef struct MigSection {
    const char *name;      /* "cpu", "clint", "virtio-mmio"... NULL save: unsupported */
    uint32_t instance;     /* hart number, slot... */
    uint32_t version;      /* of this section's layout */
    void *obj;             /* the device */
    size_t size;           /* bytes of *obj (the loader works on a copy) */
    void (*save)(void *obj, MigWriter *w); /* may tidy the device (machine stopped) */
    /* Loads a payload of `version` into obj (a copy of the device);
     * -1 with a message when a field is out of range. */
    int (*load)(void *obj, MigReader *r, uint32_t version, char *err, size_t errlen);
} MigSection;

#define MIG_MAX_SECTIONS 32

typedef struct MigMachine {
    const char *type;      /* "riscv64-virt" */
    uint64_t ram_size;
    uint32_t nb_cpus;
    uint8_t *ram;          /* host address of guest RAM */
    MigSection sections[MIG_MAX_SECTIONS];
    unsigned nb_sections;
    /* Optional: taken around every look at a device during a load (the
     * machine lock, when other threads run devices meanwhile). */
    void (*lock)(void *opaque);
    void (*unlock)(void *opaque);
    void *lock_opaque;
} MigMachine;

/* -1 with "device X does not support snapshots" when one cannot save. */
int mig_check_savable(const MigMachine *mm, char *err, size_t errlen);
void mig_save_header(const MigMachine *mm, MigWriter *w);
/* One RAM page record: zero pages are a flag only. */
void mig_save_page(const MigMachine *mm, MigWriter *w, uint64_t offset);
/* Every device section, then the end marker. */
void mig_save_devices(const MigMachine *mm, MigWriter *w);

/* Reads a whole stream. apply false: checks only (RAM untouched); apply
 * true: RAM pages are written as they come and, when the stream is
 * complete and sound, the devices take their loaded state. -1 with a
 * message on anything wrong, the devices unchanged. */
int mig_load(MigMachine *mm, MigReader *r, bool apply, char *err, size_t errlen);

/* Helpers for section loaders: fail with "NAME: WHAT out of range". */
int mig_bad(char *err, size_t errlen, const char *name, const char *what);

#endif
