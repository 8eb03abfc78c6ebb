/*
 * uart16550.h — an NS16550A UART (the `virt` machine's serial port and
 * the PC's COM1): registers at consecutive byte offsets (reg_shift 0).
 *
 * The one thing to know: transmission is instantaneous (each THR write goes
 * to the output callback at once, so THRE is always set again); reception
 * goes through a 16-byte FIFO filled by uart16550_receive(), which returns
 * how many bytes fitted so the caller can hold back the rest.
 */
#ifndef MIMIC_HW_UART16550_H
#define MIMIC_HW_UART16550_H

#include <stddef.h>
#include <stdint.h>

#include "mimic/irq.h"
#include "mimic/memory.h"
#include "migration/stream.h"

#define UART16550_FIFO_SIZE 16
#define UART16550_MMIO_SIZE 0x100

typedef struct UART16550 {
    uint8_t ier, iir_pending, lcr, mcr, lsr, msr, scr, fcr;
    uint16_t divisor;
    uint8_t rx_fifo[UART16550_FIFO_SIZE];
    unsigned rx_head, rx_count;
    bool thre_pending; /* THR-empty interrupt not yet cleared by IIR read/THR write */
    IRQLine irq;
    /* Called with each transmitted byte (loopback mode excepted). */
    void (*output)(void *opaque, uint8_t byte);
    void *output_opaque;
} UART16550;

void uart16550_init(UART16550 *s, IRQLine irq, void (*output)(void *, uint8_t), void *opaque);
void uart16550_reset(UART16550 *s);
/* Queues received bytes; returns how many fitted in the FIFO. */
size_t uart16550_receive(UART16550 *s, const uint8_t *buf, size_t len);
/* Free room in the receive FIFO. */
size_t uart16550_can_receive(const UART16550 *s);

extern const MemoryRegionOps uart16550_ops;

/* Machine state: the registers and the receive FIFO; after a load,
 * uart16550_update_irq drives the line from them. */
#define UART16550_STATE_VERSION 1
void uart16550_state_save(void *obj, MigWriter *w);
int uart16550_state_load(void *obj, MigReader *r, uint32_t version, char *err, size_t errlen);
void uart16550_update_irq(UART16550 *s);

#endif
