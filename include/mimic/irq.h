/*
 * irq.h — interrupt lines between devices and interrupt controllers.
 *
 * The one thing to know: a line is level-triggered: the source calls
 * irq_set(line, 1) while it wants attention and irq_set(line, 0) when it no
 * longer does; the sink's handler sees every change (and may see repeats).
 * Devices run under the machine lock (one at a time), so lines need no
 * locking of their own.
 */
#ifndef MIMIC_IRQ_H
#define MIMIC_IRQ_H

typedef struct IRQLine {
    void (*handler)(void *opaque, int n, int level);
    void *opaque;
    int n; /* which input of the sink */
} IRQLine;

static inline void irq_set(const IRQLine *line, int level)
{
    if (line->handler) {
        line->handler(line->opaque, line->n, level);
    }
}

#endif
