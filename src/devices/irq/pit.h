/* The 8254 programmable interval timer (Intel 8254 datasheet) at ports
 * 0x40-0x43, and system control port B (0x61) with channel 2's gate,
 * speaker enable, the refresh toggle and channel 2's output, as the PC/AT
 * wires them.
 *
 * The counters are not ticked: the count and the OUT pins are computed from
 * the guest clock (1.193182 MHz) whenever the guest reads them, so Linux's
 * TSC calibration loops on channel 2 (pit_calibrate_tsc, quick_pit_calibrate)
 * see a counter that moves at the right rate. Channel 0's rising OUT edges
 * pulse IRQ0 through the timer service; periodic IRQ0 edges closer than
 * PIT_MIN_IRQ_PERIOD_NS are merged (missed edges are never queued).
 *
 * Supported: modes 0-5, lsb/msb/lsb-then-msb access with the flip-flop,
 * counter latch, read-back (count and status), gates (channel 2 from port
 * 0x61; channels 0 and 1 tied high). Not supported: BCD counting (the BCD bit
 * is stored and reported in the status byte, but counting is binary). A new
 * count written in modes 2 and 3 takes effect at once rather than at the end
 * of the current period; in mode 3 an odd count's read-back is
 * approximate. */
#ifndef VMON_DEVICES_IRQ_PIT_H
#define VMON_DEVICES_IRQ_PIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/bus.h"
#include "core/clock.h"
#include "core/irq.h"
#include "core/timer.h"

#define PIT_PORT        0x40 /* 4 ports: counters 0-2, control word */
#define PIT_PORT_B      0x61 /* system control port B */
#define PIT_HZ          1193182ull
#define PIT_MIN_IRQ_PERIOD_NS 100000ull

/* One counter (8254 datasheet, "Counter"), plain data. */
struct pit_channel {
    uint32_t count;      /* programmed count N: 1..65536 (0 written = 65536) */
    uint8_t mode;        /* 0-5 */
    uint8_t access;      /* 1 lsb, 2 msb, 3 lsb then msb */
    bool bcd;            /* stored only */
    bool loaded;         /* a count was written since the control word */
    bool null_count;     /* control word written, count not yet loaded */
    bool write_msb;      /* lsb/msb write flip-flop: msb next */
    bool read_msb;       /* lsb/msb read flip-flop: msb next */
    uint8_t write_lsb;   /* lsb waiting for its msb */
    uint8_t latch_left;  /* latched count bytes still to read (0-2) */
    bool latch_msb;      /* next latched byte is the msb */
    uint16_t latch;      /* latched count */
    bool status_latched;
    uint8_t status;
    bool gate;
    bool counting;       /* the counter is running */
    bool triggered;      /* modes 1 and 5: a gate edge started the count */
    uint64_t base_ns;    /* guest ns when counting last (re)started */
    uint64_t base_ticks; /* ticks elapsed before base_ns */
    uint64_t irq_edge;   /* channel 0: tick of the next IRQ0 edge, UINT64_MAX if none */
};

struct pit_state {
    struct pit_channel ch[3];
    uint8_t port_b; /* bits 3:0 of port 0x61 as written */
};

struct pit {
    pthread_mutex_t lock;
    struct pit_state s;
    struct vclock *clock;
    struct timer irq_timer;
    struct irq_line irq0;
};

/* irq0 is the line channel 0 pulses (ISA IRQ0). Returns 0 or -errno. */
int pit_init(struct pit *p, struct vclock *clock, struct timer_queue *timers,
             const struct irq_line *irq0);
/* Waits for a running IRQ0 callback; do not hold locks it takes. */
void pit_destroy(struct pit *p);
void pit_reset(struct pit *p);

/* Ports 0x40-0x43 (dev = struct pit, 4 bytes) and 0x61 (1 byte). */
extern const struct bus_dev_ops pit_ops;
extern const struct bus_dev_ops pit_port_b_ops;

#endif
