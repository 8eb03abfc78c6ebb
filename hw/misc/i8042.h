/*
 * i8042.h — a minimal PC keyboard controller (ports 0x60 data, 0x64
 * status/command): enough for Linux's i8042 and atkbd drivers to find a
 * keyboard that never types, and for the reset line (command 0xFE, or
 * output-port bit 0 cleared), which is how Linux reboots a PC without ACPI.
 *
 * The one thing to know: there is no mouse (the aux port's tests fail);
 * the reset is only a request: reset(opaque) is called and the machine
 * decides (reboot, or exit under -no-reboot).
 */
#ifndef MIMIC_HW_I8042_H
#define MIMIC_HW_I8042_H

#include <stdbool.h>
#include <stdint.h>

#include "mimic/irq.h"
#include "mimic/memory.h"

#define I8042_QUEUE_SIZE 16

typedef struct I8042 {
    uint8_t ctr;        /* controller command byte */
    uint8_t pending;    /* controller command waiting for its data byte, or 0 */
    uint8_t kbd_cmd;    /* keyboard command waiting for its parameter, or 0 */
    bool last_was_cmd;  /* status bit 3: the last write went to 0x64 */
    uint8_t queue[I8042_QUEUE_SIZE];
    unsigned head, count;
    IRQLine kbd_irq;    /* ISA IRQ 1 */
    void (*reset)(void *opaque);
    void *reset_opaque;
} I8042;

void i8042_init(I8042 *s, IRQLine kbd_irq, void (*reset)(void *), void *opaque);
void i8042_reset(I8042 *s);

/* Two ports from 0x60: offset 0 is the data port, offset 4 (0x64) the
 * status/command port; map it as one range of 5 ports. */
extern const MemoryRegionOps i8042_ops;
#define I8042_PORT_BASE 0x60
#define I8042_PORT_COUNT 5

#endif
