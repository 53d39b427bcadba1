/* The PC's pair of 8259A programmable interrupt controllers (Intel 8259A
 * datasheet): master at ports 0x20/0x21 with the slave cascaded on its IR2,
 * slave at 0xa0/0xa1, and the PIIX/ICH edge/level control registers (ELCR)
 * at 0x4d0/0x4d1.
 *
 * Supported: the ICW1-ICW4 initialisation sequence, OCW1 (mask), OCW2
 * (non-specific and specific EOI, rotation, set priority), OCW3 (IRR/ISR
 * read, poll mode, special mask mode), edge and level triggering (ICW1.LTIM
 * or the ELCR bit), auto-EOI with optional rotation, special fully nested
 * mode on the master, and spurious IRQ7/IRQ15 on an INTA with nothing left
 * to deliver. Not supported: 8080/8085 mode (ICW4.uPM = 0 behaves like x86
 * mode), buffered mode (no effect in a VM).
 *
 * The master's INTR output goes to a callback (the BSP's LAPIC LINT0). It is
 * called with the PIC lock held, only when the level changes; the callee must
 * not call back into the PIC. */
#ifndef VMON_DEVICES_IRQ_PIC_H
#define VMON_DEVICES_IRQ_PIC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/bus.h"

#define PIC_MASTER_PORT 0x20
#define PIC_SLAVE_PORT  0xa0
#define PIC_ELCR_PORT   0x4d0
#define PIC_CASCADE_IRQ 2

/* One 8259A, plain data. */
struct pic_chip_state {
    uint8_t irr;        /* interrupt request register */
    uint8_t isr;        /* in-service register */
    uint8_t imr;        /* interrupt mask register (OCW1) */
    uint8_t lines;      /* current input levels (edge detection, level IRR) */
    uint8_t elcr;       /* level-triggered inputs (ELCR) */
    uint8_t vector_base; /* ICW2 bits 7:3 */
    uint8_t icw3;       /* cascade configuration, stored only */
    uint8_t lowest;     /* IR with the lowest priority (rotation); 7 after ICW1 */
    uint8_t init_step;  /* 0: operational; 2, 3, 4: next ICW expected */
    bool icw4_needed;   /* ICW1.IC4 */
    bool single;        /* ICW1.SNGL: no ICW3 */
    bool ltim;          /* ICW1.LTIM: all inputs level-triggered */
    bool auto_eoi;      /* ICW4.AEOI */
    bool rotate_aeoi;   /* OCW2 rotate in automatic EOI mode */
    bool sfnm;          /* ICW4.SFNM: special fully nested mode */
    bool special_mask;  /* OCW3 special mask mode */
    bool poll;          /* OCW3.P: the next read of port A is a poll */
    bool read_isr;      /* OCW3.RIS: port A reads ISR (else IRR) */
};

struct pic_state {
    struct pic_chip_state chip[2]; /* [0] master, [1] slave */
    bool intr;                     /* the master's INTR output */
};

struct pic {
    pthread_mutex_t lock;
    struct pic_state s;
    void (*set_intr)(void *ctx, bool level);
    void *intr_ctx;
};

/* set_intr may be NULL. Returns 0 or -errno. */
int pic_init(struct pic *p, void (*set_intr)(void *ctx, bool level), void *ctx);
void pic_destroy(struct pic *p);
void pic_reset(struct pic *p);

/* Sets the level of ISA IRQ irq (0-15). IRQ2 is the cascade and ignored. */
void pic_set_irq(struct pic *p, unsigned irq, bool level);
/* The master's INTR output. */
bool pic_has_interrupt(struct pic *p);
/* INTA cycle: returns the vector of the highest-priority request and marks
 * it in service; the IRQ7 (or, through the slave, IRQ15) vector with no ISR
 * bit set when no request is left (spurious interrupt). */
int pic_ack(struct pic *p);

/* Port windows, dev = struct pic: 2 bytes each at PIC_MASTER_PORT,
 * PIC_SLAVE_PORT and PIC_ELCR_PORT. */
extern const struct bus_dev_ops pic_master_ops;
extern const struct bus_dev_ops pic_slave_ops;
extern const struct bus_dev_ops pic_elcr_ops;

#endif
