/* 16550A UART. See uart16550.h for the model (no baud timing, immediate
 * transmit) and the locking rules.
 *
 * Interrupts (PC16550D Table IV, highest priority first):
 *   1. receiver line status: LSR.OE (the only error vmon produces), cleared by
 *      reading LSR;
 *   2. received data available: FIFO at or above the trigger level (or any
 *      byte with FIFOs off), cleared when it drops below; character timeout:
 *      FIFO non-empty but below the trigger level. With no baud timing the
 *      "four character times" of silence have passed as soon as the host
 *      input batch is in, so the timeout is reported right away;
 *   3. THR empty: raised when IER.ETBEI goes from 0 to 1 (THR is always
 *      empty here) and again each time a byte written to THR has gone out;
 *      cleared by reading IIR while it is the reported source, or by writing
 *      THR. Linux's 8250 driver depends on exactly this (its THRE test in
 *      serial8250_do_startup, and start_tx setting ETBEI to get an interrupt);
 *   4. modem status: any MSR delta bit, cleared by reading MSR.
 * The IRQ line carries "an enabled source is pending" gated by MCR.OUT2, the
 * way a PC board wires OUT2 to the interrupt buffer's enable. Writing THR
 * drops THRE and raises it again once the byte is sent, so an edge-triggered
 * interrupt controller sees one edge per transmitted byte. */
#include "devices/legacy/uart16550.h"

#include <errno.h>
#include <time.h>

#include "common/log.h"
#include "common/util.h"

/* MSR line states when not in loopback: a null-modem cable with CTS, DSR and
 * DCD asserted, so the guest never waits for flow control. */
#define UART_MSR_LINES_IDLE (UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD)

static const uint8_t uart_trigger_levels[4] = { 1, 4, 8, 14 };

static bool uart_fifo_enabled(const struct uart_regs *r)
{
    return r->fcr & UART_FCR_ENABLE;
}

static unsigned uart_rx_capacity(const struct uart_regs *r)
{
    return uart_fifo_enabled(r) ? UART_FIFO_SIZE : 1;
}

static unsigned uart_rx_trigger(const struct uart_regs *r)
{
    return uart_fifo_enabled(r) ? uart_trigger_levels[r->fcr >> 6] : 1;
}

/* MSR bits 4-7: in loopback they follow MCR (PC16550D 8.6: CTS=RTS,
 * DSR=DTR, RI=OUT1, DCD=OUT2). */
static uint8_t uart_msr_lines(const struct uart_regs *r)
{
    if (!(r->mcr & UART_MCR_LOOP))
        return UART_MSR_LINES_IDLE;
    uint8_t l = 0;
    if (r->mcr & UART_MCR_RTS)
        l |= UART_MSR_CTS;
    if (r->mcr & UART_MCR_DTR)
        l |= UART_MSR_DSR;
    if (r->mcr & UART_MCR_OUT1)
        l |= UART_MSR_RI;
    if (r->mcr & UART_MCR_OUT2)
        l |= UART_MSR_DCD;
    return l;
}

/* Records delta bits for a change of the modem lines (PC16550D 8.6). */
static void uart_update_msr(struct uart_regs *r)
{
    uint8_t now = uart_msr_lines(r), old = r->msr_lines;
    uint8_t changed = now ^ old;
    if (changed & UART_MSR_CTS)
        r->msr_delta |= UART_MSR_DCTS;
    if (changed & UART_MSR_DSR)
        r->msr_delta |= UART_MSR_DDSR;
    if ((old & UART_MSR_RI) && !(now & UART_MSR_RI))
        r->msr_delta |= UART_MSR_TERI; /* trailing edge only */
    if (changed & UART_MSR_DCD)
        r->msr_delta |= UART_MSR_DDCD;
    r->msr_lines = now;
}

/* The highest-priority enabled interrupt source, as IIR bits 0-3. */
static uint8_t uart_pending_source(const struct uart_regs *r)
{
    if ((r->ier & UART_IER_ELSI) && (r->lsr & (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)))
        return UART_IIR_RLS;
    if ((r->ier & UART_IER_ERBFI) && r->rx_count) {
        if (r->rx_count >= uart_rx_trigger(r))
            return UART_IIR_RDA;
        return UART_IIR_CTI;
    }
    if ((r->ier & UART_IER_ETBEI) && r->thri)
        return UART_IIR_THRE;
    if ((r->ier & UART_IER_EDSSI) && r->msr_delta)
        return UART_IIR_MSR;
    return UART_IIR_NONE;
}

static void uart_update_irq(struct uart *u)
{
    bool level = uart_pending_source(&u->regs) != UART_IIR_NONE && (u->regs.mcr & UART_MCR_OUT2);
    if (level != u->irq_level) {
        u->irq_level = level;
        irq_set(&u->irq, level);
    }
}

static void uart_rx_clear(struct uart *u)
{
    u->regs.rx_head = 0;
    u->regs.rx_count = 0;
    u->regs.lsr &= (uint8_t)~UART_LSR_DR;
    pthread_cond_broadcast(&u->room);
}

/* Appends one byte; on a full FIFO the byte is lost and OE is set. */
static void uart_rx_push(struct uart_regs *r, uint8_t byte)
{
    if (r->rx_count >= uart_rx_capacity(r)) {
        r->lsr |= UART_LSR_OE;
        return;
    }
    r->rx[(r->rx_head + r->rx_count) % UART_FIFO_SIZE] = byte;
    r->rx_count++;
    r->lsr |= UART_LSR_DR;
}

static uint8_t uart_rx_pop(struct uart *u)
{
    struct uart_regs *r = &u->regs;
    if (!r->rx_count)
        return r->rx[r->rx_head]; /* RBR keeps its last value */
    uint8_t byte = r->rx[r->rx_head];
    r->rx_count--;
    if (r->rx_count)
        r->rx_head = (uint8_t)((r->rx_head + 1) % UART_FIFO_SIZE);
    else
        r->lsr &= (uint8_t)~UART_LSR_DR;
    pthread_cond_broadcast(&u->room);
    return byte;
}

static void uart_transmit(struct uart *u, uint8_t byte)
{
    struct uart_regs *r = &u->regs;
    r->thri = 0;
    uart_update_irq(u);
    if (r->mcr & UART_MCR_LOOP) {
        uart_rx_push(r, byte);
    } else {
        ssize_t n = chardev_write(&u->out, &byte, 1);
        if (n != 1 && !u->warned) {
            u->warned = true;
            log_warn("uart: console output failed, dropping bytes");
        }
    }
    /* The byte left THR at once: THR empty again. */
    if (r->ier & UART_IER_ETBEI)
        r->thri = 1;
}

static void uart_write_fcr(struct uart *u, uint8_t v)
{
    struct uart_regs *r = &u->regs;
    /* PC16550D 8.5: bit 0 must be set for the other bits to be written;
     * changing the FIFO enable bit clears both FIFOs. */
    bool was = uart_fifo_enabled(r), now = v & UART_FCR_ENABLE;
    if (was != now) {
        uart_rx_clear(u);
        r->fcr = now ? UART_FCR_ENABLE : 0;
    }
    if (!now)
        return;
    if (v & UART_FCR_CLEAR_RX)
        uart_rx_clear(u);
    if ((v & UART_FCR_CLEAR_TX) && (r->ier & UART_IER_ETBEI))
        r->thri = 1; /* the (always empty) transmit FIFO is empty */
    /* Keep the enable and trigger bits; DMA mode (bit 3) has no effect. */
    r->fcr = (uint8_t)(v & (UART_FCR_ENABLE | UART_FCR_TRIGGER));
}

static void uart_write_ier(struct uart_regs *r, uint8_t v)
{
    uint8_t old = r->ier;
    r->ier = v & 0x0f;
    if (!(old & UART_IER_ETBEI) && (r->ier & UART_IER_ETBEI))
        r->thri = 1;
    else if (!(r->ier & UART_IER_ETBEI))
        r->thri = 0;
}

static uint8_t uart_read_iir(struct uart_regs *r)
{
    uint8_t src = uart_pending_source(r);
    if (src == UART_IIR_THRE)
        r->thri = 0;
    return (uint8_t)(src | (uart_fifo_enabled(r) ? UART_IIR_FIFOS : 0));
}

static uint8_t uart_read_byte(struct uart *u, unsigned off)
{
    struct uart_regs *r = &u->regs;
    bool dlab = r->lcr & UART_LCR_DLAB;
    uint8_t v;
    switch (off) {
    case UART_RBR_THR_DLL:
        return dlab ? r->dll : uart_rx_pop(u);
    case UART_IER_DLM:
        return dlab ? r->dlm : r->ier;
    case UART_IIR_FCR:
        return uart_read_iir(r);
    case UART_LCR:
        return r->lcr;
    case UART_MCR:
        return r->mcr;
    case UART_LSR:
        /* THR and the transmitter are always empty; errors clear on read. */
        v = (uint8_t)(r->lsr | UART_LSR_THRE | UART_LSR_TEMT);
        r->lsr &= (uint8_t)~(UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI);
        return v;
    case UART_MSR:
        v = (uint8_t)(r->msr_lines | r->msr_delta);
        r->msr_delta = 0;
        return v;
    default:
        return r->scr;
    }
}

static void uart_write_byte(struct uart *u, unsigned off, uint8_t v)
{
    struct uart_regs *r = &u->regs;
    bool dlab = r->lcr & UART_LCR_DLAB;
    switch (off) {
    case UART_RBR_THR_DLL:
        if (dlab)
            r->dll = v;
        else
            uart_transmit(u, v);
        break;
    case UART_IER_DLM:
        if (dlab)
            r->dlm = v;
        else
            uart_write_ier(r, v);
        break;
    case UART_IIR_FCR:
        uart_write_fcr(u, v);
        break;
    case UART_LCR:
        r->lcr = v;
        break;
    case UART_MCR: {
        bool was_loop = r->mcr & UART_MCR_LOOP;
        r->mcr = v & 0x1f;
        uart_update_msr(r);
        if (was_loop && !(r->mcr & UART_MCR_LOOP))
            pthread_cond_broadcast(&u->room); /* input reconnected */
        break;
    }
    case UART_LSR:
    case UART_MSR:
        break; /* factory test registers: writes ignored */
    default:
        r->scr = v;
        break;
    }
}

static uint64_t uart_io_read(void *dev, uint64_t offset, unsigned size)
{
    struct uart *u = dev;
    uint64_t v = 0;
    pthread_mutex_lock(&u->lock);
    for (unsigned i = 0; i < size && offset + i < UART_IO_LEN; i++)
        v |= (uint64_t)uart_read_byte(u, (unsigned)(offset + i)) << (8 * i);
    uart_update_irq(u);
    pthread_mutex_unlock(&u->lock);
    return v;
}

static void uart_io_write(void *dev, uint64_t offset, uint64_t value, unsigned size)
{
    struct uart *u = dev;
    pthread_mutex_lock(&u->lock);
    for (unsigned i = 0; i < size && offset + i < UART_IO_LEN; i++)
        uart_write_byte(u, (unsigned)(offset + i), (uint8_t)(value >> (8 * i)));
    uart_update_irq(u);
    pthread_mutex_unlock(&u->lock);
}

const struct bus_dev_ops uart_ops = { uart_io_read, uart_io_write };

int uart_init(struct uart *u, const struct irq_line *irq, const struct chardev *out)
{
    memset(u, 0, sizeof(*u));
    if (irq)
        u->irq = *irq;
    if (out)
        u->out = *out;
    int e = pthread_mutex_init(&u->lock, NULL);
    if (e)
        return -e;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    e = pthread_cond_init(&u->room, &ca);
    pthread_condattr_destroy(&ca);
    if (e) {
        pthread_mutex_destroy(&u->lock);
        return -e;
    }
    u->regs.dll = 0x0c; /* 9600 baud from the 1.8432 MHz PC clock */
    u->regs.msr_lines = UART_MSR_LINES_IDLE;
    return 0;
}

void uart_destroy(struct uart *u)
{
    pthread_cond_destroy(&u->room);
    pthread_mutex_destroy(&u->lock);
}

static size_t uart_room_locked(const struct uart_regs *r)
{
    if (r->mcr & UART_MCR_LOOP)
        return 0;
    return uart_rx_capacity(r) - MIN(r->rx_count, uart_rx_capacity(r));
}

size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len)
{
    size_t taken = 0;
    pthread_mutex_lock(&u->lock);
    size_t room = uart_room_locked(&u->regs);
    for (; taken < len && taken < room; taken++)
        uart_rx_push(&u->regs, buf[taken]);
    uart_update_irq(u);
    pthread_mutex_unlock(&u->lock);
    return taken;
}

size_t uart_can_receive(struct uart *u)
{
    pthread_mutex_lock(&u->lock);
    size_t room = uart_room_locked(&u->regs);
    pthread_mutex_unlock(&u->lock);
    return room;
}

size_t uart_wait_room(struct uart *u, int timeout_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    if (timeout_ms > 0) {
        deadline.tv_sec += timeout_ms / 1000;
        deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&u->lock);
    size_t room;
    while ((room = uart_room_locked(&u->regs)) == 0 && timeout_ms != 0) {
        int e = timeout_ms < 0 ? pthread_cond_wait(&u->room, &u->lock)
                               : pthread_cond_timedwait(&u->room, &u->lock, &deadline);
        if (e == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&u->lock);
    return room;
}
