/*
 * uart16550.c — NS16550A UART registers, FIFO and interrupt logic
 * (National Semiconductor PC16550D data sheet).
 *
 * The one thing to know: the interrupt output is recomputed after every
 * register access from three sources in the data sheet's priority order:
 * receive data available (IER bit 0, while the FIFO holds data), THR empty
 * (IER bit 1, raised when THR empties or the enable bit is set, cleared by
 * reading IIR while it is the reported cause or by writing THR), and
 * nothing else: there are no line errors or modem changes to report.
 */
#include <string.h>

#include "hw/char/uart16550.h"
#include "migration/vmstate.h"

enum { REG_RBR_THR = 0, REG_IER = 1, REG_IIR_FCR = 2, REG_LCR = 3, REG_MCR = 4, REG_LSR = 5,
       REG_MSR = 6, REG_SCR = 7 };
enum { IER_RDA = 1, IER_THRE = 2 };
enum { IIR_NONE = 0x01, IIR_THRE = 0x02, IIR_RDA = 0x04, IIR_FIFO = 0xc0 };
enum { LCR_DLAB = 0x80 };
enum { MCR_LOOP = 0x10 };
enum { LSR_DR = 0x01, LSR_OE = 0x02, LSR_THRE = 0x20, LSR_TEMT = 0x40 };
enum { FCR_ENABLE = 0x01, FCR_CLEAR_RX = 0x02 };
enum { MSR_CTS = 0x10, MSR_DSR = 0x20, MSR_RI = 0x40, MSR_DCD = 0x80 };

static uint8_t uart_iir(const UART16550 *s)
{
    uint8_t fifo = (s->fcr & FCR_ENABLE) ? IIR_FIFO : 0;
    if ((s->ier & IER_RDA) && s->rx_count) {
        return IIR_RDA | fifo;
    }
    if ((s->ier & IER_THRE) && s->thre_pending) {
        return IIR_THRE | fifo;
    }
    return IIR_NONE | fifo;
}

static void uart_update_irq(UART16550 *s)
{
    irq_set(&s->irq, !(uart_iir(s) & IIR_NONE));
}

void uart16550_reset(UART16550 *s)
{
    s->ier = s->lcr = s->mcr = s->scr = s->fcr = 0;
    s->lsr = LSR_THRE | LSR_TEMT;
    s->divisor = 12; /* 9600 baud at 1.8432 MHz */
    s->rx_head = s->rx_count = 0;
    s->thre_pending = false;
    uart_update_irq(s);
}

void uart16550_init(UART16550 *s, IRQLine irq, void (*output)(void *, uint8_t), void *opaque)
{
    memset(s, 0, sizeof(*s));
    s->irq = irq;
    s->output = output;
    s->output_opaque = opaque;
    uart16550_reset(s);
}

size_t uart16550_can_receive(const UART16550 *s)
{
    return UART16550_FIFO_SIZE - s->rx_count;
}

static void uart_push_rx(UART16550 *s, uint8_t byte)
{
    if (s->rx_count == UART16550_FIFO_SIZE) {
        s->lsr |= LSR_OE;
        return;
    }
    s->rx_fifo[(s->rx_head + s->rx_count) % UART16550_FIFO_SIZE] = byte;
    s->rx_count++;
    s->lsr |= LSR_DR;
}

size_t uart16550_receive(UART16550 *s, const uint8_t *buf, size_t len)
{
    size_t n = 0;
    while (n < len && s->rx_count < UART16550_FIFO_SIZE) {
        uart_push_rx(s, buf[n++]);
    }
    uart_update_irq(s);
    return n;
}

static uint8_t uart_read_reg(UART16550 *s, unsigned reg)
{
    switch (reg) {
    case REG_RBR_THR: {
        if (s->lcr & LCR_DLAB) {
            return (uint8_t)s->divisor;
        }
        uint8_t byte = 0;
        if (s->rx_count) {
            byte = s->rx_fifo[s->rx_head];
            s->rx_head = (s->rx_head + 1) % UART16550_FIFO_SIZE;
            if (--s->rx_count == 0) {
                s->lsr &= ~LSR_DR;
            }
        }
        return byte;
    }
    case REG_IER:
        return (s->lcr & LCR_DLAB) ? (uint8_t)(s->divisor >> 8) : s->ier;
    case REG_IIR_FCR: {
        uint8_t iir = uart_iir(s);
        if ((iir & 0x0f) == IIR_THRE) {
            s->thre_pending = false; /* reading IIR acknowledges THR empty */
        }
        return iir;
    }
    case REG_LCR:
        return s->lcr;
    case REG_MCR:
        return s->mcr;
    case REG_LSR: {
        uint8_t lsr = s->lsr;
        s->lsr &= ~LSR_OE; /* error bits clear on read */
        return lsr;
    }
    case REG_MSR:
        if (s->mcr & MCR_LOOP) {
            /* DTR→DSR, RTS→CTS, OUT1→RI, OUT2→DCD */
            return (uint8_t)(((s->mcr & 1) ? MSR_DSR : 0) | ((s->mcr & 2) ? MSR_CTS : 0) |
                             ((s->mcr & 4) ? MSR_RI : 0) | ((s->mcr & 8) ? MSR_DCD : 0));
        }
        return MSR_CTS | MSR_DSR | MSR_DCD;
    default:
        return s->scr;
    }
}

static void uart_write_reg(UART16550 *s, unsigned reg, uint8_t v)
{
    switch (reg) {
    case REG_RBR_THR:
        if (s->lcr & LCR_DLAB) {
            s->divisor = (uint16_t)((s->divisor & 0xff00) | v);
        } else if (s->mcr & MCR_LOOP) {
            uart_push_rx(s, v);
            s->thre_pending = true;
        } else {
            if (s->output) {
                s->output(s->output_opaque, v);
            }
            s->thre_pending = true; /* sent at once: THR is empty again */
        }
        break;
    case REG_IER:
        if (s->lcr & LCR_DLAB) {
            s->divisor = (uint16_t)((s->divisor & 0xff) | (v << 8));
        } else {
            if ((v & IER_THRE) && !(s->ier & IER_THRE)) {
                s->thre_pending = true; /* THR is empty when enabled */
            }
            s->ier = v & 0x0f;
        }
        break;
    case REG_IIR_FCR:
        s->fcr = v & (FCR_ENABLE | 0xc0);
        if (v & FCR_CLEAR_RX) {
            s->rx_head = s->rx_count = 0;
            s->lsr &= ~LSR_DR;
        }
        break;
    case REG_LCR:
        s->lcr = v;
        break;
    case REG_MCR:
        s->mcr = v & 0x1f;
        break;
    case REG_SCR:
        s->scr = v;
        break;
    default:
        break; /* LSR and MSR are read-only */
    }
    uart_update_irq(s);
}

static uint64_t uart16550_read(void *opaque, uint64_t offset, unsigned size)
{
    UART16550 *s = opaque;
    uint8_t v = offset < 8 ? uart_read_reg(s, (unsigned)offset) : 0;
    uart_update_irq(s);
    return v;
}

static void uart16550_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    if (offset < 8) {
        uart_write_reg(opaque, (unsigned)offset, (uint8_t)value);
    }
}

const MemoryRegionOps uart16550_ops = {
    .read = uart16550_read,
    .write = uart16550_write,
};

void uart16550_update_irq(UART16550 *s)
{
    uart_update_irq(s);
}

void uart16550_state_save(void *obj, MigWriter *w)
{
    const UART16550 *s = obj;
    uint8_t regs[8] = { s->ier, s->iir_pending, s->lcr, s->mcr, s->lsr, s->msr, s->scr, s->fcr };
    mig_put_bytes(w, regs, sizeof(regs));
    mig_put_u16(w, s->divisor);
    mig_put_bytes(w, s->rx_fifo, UART16550_FIFO_SIZE);
    mig_put_u8(w, (uint8_t)s->rx_head);
    mig_put_u8(w, (uint8_t)s->rx_count);
    mig_put_u8(w, s->thre_pending);
}

int uart16550_state_load(void *obj, MigReader *r, uint32_t version, char *err, size_t errlen)
{
    UART16550 *s = obj;
    uint8_t regs[8];
    mig_get_bytes(r, regs, sizeof(regs));
    s->ier = regs[0], s->iir_pending = regs[1], s->lcr = regs[2], s->mcr = regs[3];
    s->lsr = regs[4], s->msr = regs[5], s->scr = regs[6], s->fcr = regs[7];
    s->divisor = mig_get_u16(r);
    mig_get_bytes(r, s->rx_fifo, UART16550_FIFO_SIZE);
    s->rx_head = mig_get_u8(r);
    s->rx_count = mig_get_u8(r);
    uint8_t thre = mig_get_u8(r);
    if (s->rx_head >= UART16550_FIFO_SIZE || s->rx_count > UART16550_FIFO_SIZE || thre > 1) {
        return mig_bad(err, errlen, "uart", "FIFO index or flag");
    }
    s->thre_pending = thre;
    return 0;
}
