/* A National Semiconductor PC16550D-compatible UART ("16550A"), as found on
 * COM1-COM4 of a PC. Register map and behaviour follow the PC16550D
 * datasheet (section 8, "Registers"); the interrupt rules Linux's 8250 driver
 * relies on are spelled out in uart16550.c.
 *
 * There is no baud-rate timing: a byte written to THR goes straight to the
 * chardev, so THR and the transmitter are always empty (LSR.THRE|TEMT). The
 * receive side is a real 16-byte FIFO (1 byte with FIFOs disabled) filled by
 * uart_receive() from the console thread, or by the transmitter in loopback.
 *
 * Register the device on the port-I/O bus with length UART_IO_LEN (the
 * machine uses PORT_COM1 / GSI_COM1). Wider accesses are split into byte
 * accesses, as the ISA bus does.
 *
 * Locking: one mutex per UART. While holding it the UART calls irq_set() and
 * chardev->write(); neither path may call back into the UART. The UART never
 * takes another device's lock. */
#ifndef VMON_DEVICES_LEGACY_UART16550_H
#define VMON_DEVICES_LEGACY_UART16550_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bus.h"
#include "core/irq.h"
#include "devices/chardev.h"

#define UART_IO_LEN 8
#define UART_FIFO_SIZE 16

/* Register offsets (PC16550D Table II). */
enum uart_reg {
    UART_RBR_THR_DLL = 0,
    UART_IER_DLM = 1,
    UART_IIR_FCR = 2,
    UART_LCR = 3,
    UART_MCR = 4,
    UART_LSR = 5,
    UART_MSR = 6,
    UART_SCR = 7,
};

/* IER */
#define UART_IER_ERBFI 0x01 /* received data available (and timeout) */
#define UART_IER_ETBEI 0x02 /* transmitter holding register empty */
#define UART_IER_ELSI  0x04 /* receiver line status */
#define UART_IER_EDSSI 0x08 /* modem status */

/* IIR: bit 0 set = nothing pending; bits 1-3 identify the source. */
#define UART_IIR_NONE   0x01
#define UART_IIR_MSR    0x00
#define UART_IIR_THRE   0x02
#define UART_IIR_RDA    0x04
#define UART_IIR_RLS    0x06
#define UART_IIR_CTI    0x0c
#define UART_IIR_FIFOS  0xc0

/* FCR */
#define UART_FCR_ENABLE   0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_FCR_CLEAR_TX 0x04
#define UART_FCR_TRIGGER  0xc0

/* LCR */
#define UART_LCR_DLAB 0x80

/* MCR */
#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08 /* gates the IRQ line on a PC */
#define UART_MCR_LOOP 0x10

/* LSR */
#define UART_LSR_DR   0x01
#define UART_LSR_OE   0x02
#define UART_LSR_PE   0x04
#define UART_LSR_FE   0x08
#define UART_LSR_BI   0x10
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40

/* MSR: delta bits 0-3, line states 4-7. */
#define UART_MSR_DCTS 0x01
#define UART_MSR_DDSR 0x02
#define UART_MSR_TERI 0x04
#define UART_MSR_DDCD 0x08
#define UART_MSR_CTS  0x10
#define UART_MSR_DSR  0x20
#define UART_MSR_RI   0x40
#define UART_MSR_DCD  0x80

/* Everything the guest can observe: plain data, saved/restored as is. */
struct uart_regs {
    uint8_t ier, lcr, mcr, lsr, scr, dll, dlm;
    uint8_t fcr;        /* last FCR value accepted (write-only register) */
    uint8_t msr_delta;  /* MSR bits 0-3, cleared by reading MSR */
    uint8_t msr_lines;  /* MSR bits 4-7 as last reported, to compute deltas */
    uint8_t thri;       /* THRE interrupt pending (see uart16550.c) */
    uint8_t rx_head, rx_count;
    uint8_t rx[UART_FIFO_SIZE];
};

struct uart {
    pthread_mutex_t lock;
    pthread_cond_t room; /* signalled when the receive FIFO gains space */
    struct uart_regs regs;
    bool irq_level;      /* level last driven on irq (derived from regs) */
    bool warned;         /* output error reported once */
    struct irq_line irq;
    struct chardev out;
};

/* Puts the UART in its power-on state. irq and out are copied; either may
 * have NULL members (no interrupt line, output discarded). Returns 0 or
 * -errno. */
int uart_init(struct uart *u, const struct irq_line *irq, const struct chardev *out);
void uart_destroy(struct uart *u);

/* Host input: copies as many bytes as the receive FIFO has room for and
 * returns that count. The rest is refused, not lost: the caller keeps it and
 * offers it again later (uart_can_receive / uart_wait_room), so this is flow
 * control, like a cable with RTS/CTS handshake, and sets no overrun. LSR.OE
 * reports only bytes the UART really dropped (loopback transmit into a full
 * FIFO). Nothing is accepted in loopback mode (the serial input is
 * disconnected). */
size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len);

/* Free space in the receive FIFO (0 in loopback mode). */
size_t uart_can_receive(struct uart *u);

/* Blocks until the receive FIFO has room or timeout_ms passes (negative:
 * wait forever). Returns the free space (0 on timeout). */
size_t uart_wait_room(struct uart *u, int timeout_ms);

extern const struct bus_dev_ops uart_ops;

#endif
