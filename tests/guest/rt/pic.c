#include "pic.h"

#include "cpu.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define ICW1_INIT_ICW4 0x11 /* ICW1: initialization, ICW4 follows, edge, cascade */
#define ICW4_8086 0x01
#define OCW2_EOI 0x20

void pic_init(uint8_t base)
{
    cpu_outb(PIC1_CMD, ICW1_INIT_ICW4);
    cpu_outb(PIC2_CMD, ICW1_INIT_ICW4);
    cpu_outb(PIC1_DATA, base);       /* ICW2: vector base */
    cpu_outb(PIC2_DATA, base + 8);
    cpu_outb(PIC1_DATA, 1u << 2);    /* ICW3: slave on IRQ2 */
    cpu_outb(PIC2_DATA, 2);          /* ICW3: slave identity */
    cpu_outb(PIC1_DATA, ICW4_8086);
    cpu_outb(PIC2_DATA, ICW4_8086);
    pic_set_mask(0xffff);
}

void pic_set_mask(uint16_t mask)
{
    cpu_outb(PIC1_DATA, (uint8_t)mask);
    cpu_outb(PIC2_DATA, (uint8_t)(mask >> 8));
}

void pic_eoi(unsigned irq)
{
    if (irq >= 8)
        cpu_outb(PIC2_CMD, OCW2_EOI);
    cpu_outb(PIC1_CMD, OCW2_EOI);
}
