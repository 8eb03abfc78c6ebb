/*
 * sifive-test.h — the SiFive "test finisher" of the `virt` machine: a
 * 32-bit write of 0x5555 powers off (pass), 0x3333 | code << 16 powers off
 * with exit status `code` (fail), 0x7777 resets. Linux's syscon-poweroff
 * and syscon-reboot drivers and OpenSBI use it.
 *
 * The one thing to know: the device only records the request; the machine
 * loop looks at `request` after each MMIO exit and acts on it.
 */
#ifndef MIMIC_HW_SIFIVE_TEST_H
#define MIMIC_HW_SIFIVE_TEST_H

#include <stdint.h>

#include "mimic/memory.h"
#include "migration/stream.h"

#define SIFIVE_TEST_MMIO_SIZE 0x1000

typedef enum SiFiveTestRequest {
    SIFIVE_TEST_NONE,
    SIFIVE_TEST_POWEROFF, /* exit_code says how */
    SIFIVE_TEST_RESET,
} SiFiveTestRequest;

typedef struct SiFiveTest {
    SiFiveTestRequest request;
    int exit_code;
} SiFiveTest;

extern const MemoryRegionOps sifive_test_ops;

/* Machine state: a request not yet acted on. */
#define SIFIVE_TEST_STATE_VERSION 1
void sifive_test_state_save(void *obj, MigWriter *w);
int sifive_test_state_load(void *obj, MigReader *r, uint32_t version, char *err, size_t errlen);

#endif
