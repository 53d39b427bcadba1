/* The 8259A pair (8259A datasheet, "Initialization Command Words"). */
#ifndef VMON_GUEST_RT_PIC_H
#define VMON_GUEST_RT_PIC_H

#include <stdint.h>

/* Initializes both PICs (edge-triggered, cascade on IRQ2, 8086 mode) with
 * IRQ 0-7 at vectors base..base+7 and IRQ 8-15 at base+8.., all masked. */
void pic_init(uint8_t base);

/* Sets the interrupt mask of IRQ 0-15 (bit n masks IRQ n). */
void pic_set_mask(uint16_t mask);

/* Non-specific EOI for irq. */
void pic_eoi(unsigned irq);

#endif
