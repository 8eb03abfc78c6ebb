/*
 * sifive-test.c — the SiFive test finisher's one register.
 *
 * The one thing to know: unknown values are ignored, like the hardware,
 * so a stray write cannot stop the machine.
 */
#include "hw/misc/sifive-test.h"
#include "migration/vmstate.h"

enum { FINISHER_FAIL = 0x3333, FINISHER_PASS = 0x5555, FINISHER_RESET = 0x7777 };

static uint64_t sifive_test_read(void *opaque, uint64_t offset, unsigned size)
{
    return 0;
}

static void sifive_test_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    SiFiveTest *t = opaque;
    if (offset != 0 || (size != 4 && size != 2)) {
        return; /* OpenSBI writes 16 bits (the code alone), others 32 */
    }
    switch (value & 0xffff) {
    case FINISHER_PASS:
        t->request = SIFIVE_TEST_POWEROFF;
        t->exit_code = 0;
        break;
    case FINISHER_FAIL:
        t->request = SIFIVE_TEST_POWEROFF;
        t->exit_code = (int)((value >> 16) & 0xffff);
        break;
    case FINISHER_RESET:
        t->request = SIFIVE_TEST_RESET;
        break;
    default:
        break;
    }
}

const MemoryRegionOps sifive_test_ops = {
    .read = sifive_test_read,
    .write = sifive_test_write,
};

void sifive_test_state_save(void *obj, MigWriter *w)
{
    const SiFiveTest *t = obj;
    mig_put_u32(w, (uint32_t)t->request);
    mig_put_u32(w, (uint32_t)t->exit_code);
}

int sifive_test_state_load(void *obj, MigReader *r, uint32_t version, char *err, size_t errlen)
{
    SiFiveTest *t = obj;
    uint32_t req = mig_get_u32(r);
    t->exit_code = (int)mig_get_u32(r);
    if (req > SIFIVE_TEST_RESET) {
        return mig_bad(err, errlen, "sifive-test", "request");
    }
    t->request = (SiFiveTestRequest)req;
    return 0;
}
