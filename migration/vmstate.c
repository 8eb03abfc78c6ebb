/*
 * vmstate.c — saving and loading a whole machine in the stream format:
 *
 *   "MIMICVM\n" u32 format-version str machine-type u64 ram-size u32 cpus
 *   then records, each a tag byte:
 *     1 SECTION  str name, u32 instance, u32 version, u32 length, payload
 *     2 PAGE     u64 offset | kind (1 zero, 2 data), and 4096 bytes for data
 *     3 END
 *
 * The one thing to know: every number from the stream is checked before
 * use (page offsets against the RAM size, section lengths against
 * MIG_SECTION_MAX, names and instances against the machine's own list,
 * versions against what the device knows), and a section's loader reads
 * from a bounded reader over exactly its payload, which it must consume.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migration/vmstate.h"

#define MIG_MAGIC "MIMICVM\n"
enum { TAG_SECTION = 1, TAG_PAGE = 2, TAG_END = 3 };
enum { PAGE_ZERO = 1, PAGE_DATA = 2 };

int mig_bad(char *err, size_t errlen, const char *name, const char *what)
{
    snprintf(err, errlen, "%s: %s out of range", name, what);
    return -1;
}

int mig_check_savable(const MigMachine *mm, char *err, size_t errlen)
{
    for (unsigned i = 0; i < mm->nb_sections; i++) {
        const MigSection *s = &mm->sections[i];
        if (!s->save || !s->load) {
            snprintf(err, errlen, "device %s does not support snapshots", s->name);
            return -1;
        }
    }
    return 0;
}

void mig_save_header(const MigMachine *mm, MigWriter *w)
{
    mig_put_bytes(w, MIG_MAGIC, 8);
    mig_put_u32(w, MIG_FORMAT_VERSION);
    mig_put_str(w, mm->type);
    mig_put_u64(w, mm->ram_size);
    mig_put_u32(w, mm->nb_cpus);
}

static bool page_is_zero(const uint8_t *p)
{
    static const uint8_t zero[MIG_PAGE_SIZE];
    return memcmp(p, zero, MIG_PAGE_SIZE) == 0;
}

void mig_save_page(const MigMachine *mm, MigWriter *w, uint64_t offset)
{
    const uint8_t *p = mm->ram + offset;
    mig_put_u8(w, TAG_PAGE);
    if (page_is_zero(p)) {
        mig_put_u64(w, offset | PAGE_ZERO);
    } else {
        mig_put_u64(w, offset | PAGE_DATA);
        mig_put_bytes(w, p, MIG_PAGE_SIZE);
    }
}

void mig_save_devices(const MigMachine *mm, MigWriter *w)
{
    for (unsigned i = 0; i < mm->nb_sections; i++) {
        const MigSection *s = &mm->sections[i];
        MigWriter payload;
        mig_writer_init(&payload, NULL, NULL);
        s->save(s->obj, &payload);
        if (payload.error) {
            w->error = payload.error;
        }
        mig_put_u8(w, TAG_SECTION);
        mig_put_str(w, s->name);
        mig_put_u32(w, s->instance);
        mig_put_u32(w, s->version);
        mig_put_u32(w, (uint32_t)payload.len);
        mig_put_bytes(w, payload.buf, payload.len);
        mig_writer_free(&payload);
    }
    mig_put_u8(w, TAG_END);
}

static int load_header(const MigMachine *mm, MigReader *r, char *err, size_t errlen)
{
    char magic[8], type[64];
    mig_get_bytes(r, magic, 8);
    if (!r->failed && memcmp(magic, MIG_MAGIC, 8) != 0) {
        snprintf(err, errlen, "not a mimic machine state (bad magic)");
        return -1;
    }
    uint32_t version = mig_get_u32(r);
    if (!r->failed && version != MIG_FORMAT_VERSION) {
        snprintf(err, errlen, "machine state format version %u; this mimic reads version %u",
                 version, MIG_FORMAT_VERSION);
        return -1;
    }
    mig_get_str(r, type, sizeof(type));
    uint64_t ram = mig_get_u64(r);
    uint32_t cpus = mig_get_u32(r);
    if (r->failed) {
        snprintf(err, errlen, "bad machine state header: %s", r->err);
        return -1;
    }
    if (strcmp(type, mm->type) != 0) {
        snprintf(err, errlen, "the state is of machine type '%s', this machine is '%s'", type,
                 mm->type);
        return -1;
    }
    if (ram != mm->ram_size || cpus != mm->nb_cpus) {
        snprintf(err, errlen, "the state is of a machine with %llu MiB of RAM and %u CPUs, "
                 "this one has %llu MiB and %u (give the same -m and -smp)",
                 (unsigned long long)(ram >> 20), cpus,
                 (unsigned long long)(mm->ram_size >> 20), mm->nb_cpus);
        return -1;
    }
    return 0;
}

static int load_page(MigMachine *mm, MigReader *r, bool apply, char *err, size_t errlen)
{
    uint64_t v = mig_get_u64(r);
    uint64_t offset = v & ~(uint64_t)(MIG_PAGE_SIZE - 1), kind = v & (MIG_PAGE_SIZE - 1);
    if (r->failed) {
        return 0; /* reported by the caller */
    }
    if (offset >= mm->ram_size || (kind != PAGE_ZERO && kind != PAGE_DATA)) {
        snprintf(err, errlen, "RAM page record %#llx: offset or kind out of range",
                 (unsigned long long)v);
        return -1;
    }
    if (kind == PAGE_ZERO) {
        if (apply) {
            memset(mm->ram + offset, 0, MIG_PAGE_SIZE);
        }
        return 0;
    }
    if (apply) {
        mig_get_bytes(r, mm->ram + offset, MIG_PAGE_SIZE);
    } else {
        uint8_t page[MIG_PAGE_SIZE];
        mig_get_bytes(r, page, MIG_PAGE_SIZE);
    }
    return 0;
}

static void machine_lock(const MigMachine *mm, bool lock)
{
    if (mm->lock) {
        (lock ? mm->lock : mm->unlock)(mm->lock_opaque);
    }
}

/* Reads one section into *staged (a copy of its device, made here). */
static int load_section(MigMachine *mm, MigReader *r, void **staged, char *err, size_t errlen)
{
    char name[64];
    mig_get_str(r, name, sizeof(name));
    uint32_t instance = mig_get_u32(r), version = mig_get_u32(r), len = mig_get_u32(r);
    if (r->failed) {
        return 0;
    }
    unsigned i = 0;
    while (i < mm->nb_sections &&
           (strcmp(mm->sections[i].name, name) || mm->sections[i].instance != instance)) {
        i++;
    }
    if (i == mm->nb_sections) {
        snprintf(err, errlen, "the state has device '%s' %u, which this machine does not have",
                 name, instance);
        return -1;
    }
    const MigSection *s = &mm->sections[i];
    if (staged[i]) {
        snprintf(err, errlen, "device '%s' %u appears twice in the state", name, instance);
        return -1;
    }
    if (version == 0 || version > s->version) {
        snprintf(err, errlen, "device '%s' %u: state version %u, this mimic knows up to %u",
                 name, instance, version, s->version);
        return -1;
    }
    if (len > MIG_SECTION_MAX) {
        snprintf(err, errlen, "device '%s' %u: section of %u bytes is too large", name,
                 instance, len);
        return -1;
    }
    uint8_t *payload = malloc(len ? len : 1);
    void *copy = malloc(s->size);
    if (!payload || !copy) {
        free(payload);
        free(copy);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    mig_get_bytes(r, payload, len);
    int ret = 0;
    if (!r->failed) {
        MigReader sub;
        char why[256] = "";
        machine_lock(mm, true);
        memcpy(copy, s->obj, s->size);
        machine_lock(mm, false);
        mig_reader_init_mem(&sub, payload, len);
        ret = s->load(copy, &sub, version, why, sizeof(why));
        if (ret == 0 && sub.failed) {
            snprintf(why, sizeof(why), "%s", sub.err);
            ret = -1;
        } else if (ret == 0 && !mig_reader_at_end(&sub)) {
            snprintf(why, sizeof(why), "%zu bytes left over", sub.len - sub.pos);
            ret = -1;
        }
        if (ret < 0) {
            snprintf(err, errlen, "device '%s' %u: %s", name, instance, why);
        }
    }
    free(payload);
    if (ret < 0 || r->failed) {
        free(copy);
        return ret;
    }
    staged[i] = copy;
    return 0;
}

int mig_load(MigMachine *mm, MigReader *r, bool apply, char *err, size_t errlen)
{
    void *staged[MIG_MAX_SECTIONS] = { 0 };
    int ret = load_header(mm, r, err, errlen);
    bool end = false;
    while (ret == 0 && !end) {
        uint8_t tag = mig_get_u8(r);
        if (r->failed) {
            break;
        }
        switch (tag) {
        case TAG_PAGE: ret = load_page(mm, r, apply, err, errlen); break;
        case TAG_SECTION: ret = load_section(mm, r, staged, err, errlen); break;
        case TAG_END: end = true; break;
        default:
            snprintf(err, errlen, "unknown record type %u at byte %llu", tag,
                     (unsigned long long)(r->offset - 1));
            ret = -1;
        }
        if (ret == 0 && r->failed) {
            break;
        }
    }
    if (ret == 0 && r->failed) {
        snprintf(err, errlen, "%s", r->err);
        ret = -1;
    }
    for (unsigned i = 0; ret == 0 && i < mm->nb_sections; i++) {
        if (!staged[i]) {
            snprintf(err, errlen, "the state lacks device '%s' %u", mm->sections[i].name,
                     mm->sections[i].instance);
            ret = -1;
        }
    }
    machine_lock(mm, true);
    for (unsigned i = 0; i < mm->nb_sections; i++) {
        if (ret == 0 && apply) {
            memcpy(mm->sections[i].obj, staged[i], mm->sections[i].size);
        }
        free(staged[i]);
    }
    machine_lock(mm, false);
    return ret;
}
