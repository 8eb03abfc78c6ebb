/*
 * i8042.c — the PC keyboard controller, reduced to what a guest kernel
 * probes, plus the reset line.
 *
 * The one thing to know: every byte the controller or the keyboard sends
 * goes through one output queue; IRQ 1 is high while the head of the queue
 * is unread and the command byte enables it, and is lowered and raised
 * again between bytes so the edge-triggered PIC/IOAPIC input sees each one.
 */
#include <string.h>

#include "hw/misc/i8042.h"
#include "mimic/log.h"

#define STATUS_OBF 0x01
#define STATUS_SYS 0x04
#define STATUS_CMD 0x08
#define STATUS_UNLOCKED 0x10
#define CTR_KBD_INT 0x01
#define CTR_AUX_DISABLE 0x20

static void i8042_update_irq(I8042 *s)
{
    irq_set(&s->kbd_irq, s->count && (s->ctr & CTR_KBD_INT));
}

static void i8042_push(I8042 *s, uint8_t byte)
{
    if (s->count < I8042_QUEUE_SIZE) {
        s->queue[(s->head + s->count) % I8042_QUEUE_SIZE] = byte;
        s->count++;
    }
    i8042_update_irq(s);
}

void i8042_init(I8042 *s, IRQLine kbd_irq, void (*reset)(void *), void *opaque)
{
    memset(s, 0, sizeof(*s));
    s->kbd_irq = kbd_irq;
    s->reset = reset;
    s->reset_opaque = opaque;
    i8042_reset(s);
}

void i8042_reset(I8042 *s)
{
    s->ctr = CTR_KBD_INT | 0x04 | CTR_AUX_DISABLE | 0x40; /* int, sys, no aux, translate */
    s->pending = 0;
    s->kbd_cmd = 0;
    s->head = 0;
    s->count = 0;
    s->last_was_cmd = false;
    i8042_update_irq(s);
}

static void i8042_request_reset(I8042 *s)
{
    if (s->reset) {
        s->reset(s->reset_opaque);
    }
}

/* A byte written to the keyboard: every command is acknowledged (0xFA). */
static void i8042_kbd_write(I8042 *s, uint8_t v)
{
    if (s->kbd_cmd) {
        uint8_t cmd = s->kbd_cmd;
        s->kbd_cmd = 0;
        i8042_push(s, 0xfa);
        if (cmd == 0xf0 && v == 0) {
            i8042_push(s, 0x02); /* current scancode set */
        }
        return;
    }
    i8042_push(s, 0xfa);
    switch (v) {
    case 0xed: /* set LEDs */
    case 0xf3: /* typematic rate */
    case 0xf0: /* scancode set */
        s->kbd_cmd = v;
        break;
    case 0xf2: /* identify: an MF2 keyboard */
        i8042_push(s, 0xab);
        i8042_push(s, 0x83);
        break;
    case 0xff: /* reset: self-test passed */
        i8042_push(s, 0xaa);
        break;
    default:
        break;
    }
}

static void i8042_command(I8042 *s, uint8_t cmd)
{
    switch (cmd) {
    case 0x20: /* read the command byte */
        i8042_push(s, s->ctr);
        break;
    case 0x60: /* write the command byte */
    case 0xd1: /* write the output port */
    case 0xd2: /* write to the keyboard output buffer */
    case 0xd3: /* write to the aux output buffer */
    case 0xd4: /* write to the aux device */
        s->pending = cmd;
        break;
    case 0xa7: /* disable aux */
        s->ctr |= CTR_AUX_DISABLE;
        break;
    case 0xa8: /* enable aux */
        s->ctr &= (uint8_t)~CTR_AUX_DISABLE;
        break;
    case 0xa9: /* aux interface test: fails (there is no aux port) */
        i8042_push(s, 0x01);
        break;
    case 0xaa: /* controller self-test */
        i8042_push(s, 0x55);
        break;
    case 0xab: /* keyboard interface test */
        i8042_push(s, 0x00);
        break;
    case 0xad: /* disable keyboard */
        s->ctr |= 0x10;
        break;
    case 0xae: /* enable keyboard */
        s->ctr &= (uint8_t)~0x10;
        break;
    case 0xfe: /* pulse output-port bit 0: reset the CPU */
        i8042_request_reset(s);
        break;
    default:
        if (cmd >= 0xf0) {
            if (!(cmd & 1)) {
                i8042_request_reset(s); /* pulse lines with bit 0: reset */
            }
        } else if (log_enabled(LOG_UNIMP)) {
            log_printf("i8042: command 0x%02x ignored\n", cmd);
        }
        break;
    }
}

static void i8042_data_write(I8042 *s, uint8_t v)
{
    uint8_t cmd = s->pending;
    s->pending = 0;
    switch (cmd) {
    case 0x60:
        s->ctr = v;
        i8042_update_irq(s);
        break;
    case 0xd1:
        if (!(v & 1)) {
            i8042_request_reset(s);
        }
        break;
    case 0xd2:
        i8042_push(s, v);
        break;
    case 0xd3:
    case 0xd4:
        /* No aux device: the loop-back and aux writes answer "no device". */
        i8042_push(s, 0xfe);
        break;
    default:
        i8042_kbd_write(s, v);
        break;
    }
}

static uint64_t i8042_read(void *opaque, uint64_t offset, unsigned size)
{
    I8042 *s = opaque;
    if (offset == 4) {
        return STATUS_SYS | STATUS_UNLOCKED | (s->last_was_cmd ? STATUS_CMD : 0) |
               (s->count ? STATUS_OBF : 0);
    }
    if (offset != 0) {
        return 0xff;
    }
    if (!s->count) {
        return s->head ? s->queue[(s->head + I8042_QUEUE_SIZE - 1) % I8042_QUEUE_SIZE] : 0;
    }
    uint8_t v = s->queue[s->head];
    s->head = (s->head + 1) % I8042_QUEUE_SIZE;
    s->count--;
    irq_set(&s->kbd_irq, 0); /* a new edge for the next byte */
    i8042_update_irq(s);
    return v;
}

static void i8042_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    I8042 *s = opaque;
    if (offset == 4) {
        s->last_was_cmd = true;
        i8042_command(s, (uint8_t)value);
    } else if (offset == 0) {
        s->last_was_cmd = false;
        i8042_data_write(s, (uint8_t)value);
    }
}

const MemoryRegionOps i8042_ops = { .read = i8042_read, .write = i8042_write };
