/* The i8042 PS/2 keyboard controller of a PC, with nothing plugged into
 * either port. vmon needs it for three things: Linux's i8042 driver probes it
 * at boot, firmware and kernels toggle A20 / pulse the CPU reset line through
 * it, and a missing controller makes some guests wait.
 *
 * Ports: data 0x60 and status/command 0x64. Port 0x61 in between is the
 * speaker/NMI-status port, which another device owns, so the machine
 * registers two one-byte ranges: i8042_ops at 0x60 and i8042_cmd_ops at 0x64.
 * (i8042_ops also serves a single 5-byte range 0x60-0x64 when nothing else
 * claims 0x61-0x63; those offsets then read 0xff.)
 *
 * No keyboard or mouse: a byte sent to either device is answered by the
 * controller with 0xFE and the status "time-out" bit, which is what an
 * empty PS/2 port produces; Linux's atkbd/psmouse probes then fail at once
 * instead of waiting for their timeouts. The controller itself answers its
 * commands (self-test 0xAA -> 0x55, interface tests -> 0x00, command byte,
 * output port, and the AUX loopback 0xD3 that Linux uses to detect the AUX
 * port).
 *
 * Reset: command 0xFE (and any 0xF0-0xFF pulse with bit 0 clear), or an
 * output-port write (0xD1) with bit 0 clear, asks vmctl for VM_EVENT_RESET.
 *
 * Locking: one mutex; irq_set() is called with it held (the interrupt chip
 * never calls back into devices); vmctl_request() only after it is released,
 * since the machine may reset devices in response. */
#ifndef VMON_DEVICES_LEGACY_I8042_H
#define VMON_DEVICES_LEGACY_I8042_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/bus.h"
#include "core/irq.h"
#include "core/vmctl.h"

#define I8042_IO_LEN 5       /* 0x60-0x64 */
#define I8042_DATA_OFF 0
#define I8042_CMD_OFF 4
#define I8042_QUEUE_LEN 8

/* Status register (port 0x64 read). */
#define I8042_STR_OBF     0x01
#define I8042_STR_IBF     0x02
#define I8042_STR_SYS     0x04
#define I8042_STR_CMD     0x08 /* last write went to port 0x64 */
#define I8042_STR_UNLOCK  0x10 /* keyboard not inhibited */
#define I8042_STR_AUXDATA 0x20
#define I8042_STR_TIMEOUT 0x40
#define I8042_STR_PARITY  0x80

/* Command byte ("controller RAM" byte 0). */
#define I8042_CTR_KBDINT 0x01
#define I8042_CTR_AUXINT 0x02
#define I8042_CTR_SYS    0x04
#define I8042_CTR_KBDDIS 0x10
#define I8042_CTR_AUXDIS 0x20
#define I8042_CTR_XLATE  0x40

/* Output port (0xD0/0xD1). */
#define I8042_OUT_RESET 0x01 /* active low: 0 holds the CPU in reset */
#define I8042_OUT_A20   0x02

/* Where an output byte came from: sets AUXDATA and selects the IRQ. */
#define I8042_SRC_AUX     0x01
#define I8042_SRC_TIMEOUT 0x02

struct i8042_regs {
    uint8_t ram[32];        /* ram[0] is the command byte */
    uint8_t outport;
    uint8_t pending;        /* command waiting for its data byte, 0 if none */
    uint8_t last_cmd_write; /* status bit 3 */
    uint8_t last_data;      /* what port 0x60 returns when the buffer is empty */
    uint8_t q_head, q_count;
    uint8_t q_data[I8042_QUEUE_LEN];
    uint8_t q_src[I8042_QUEUE_LEN];
};

struct i8042 {
    pthread_mutex_t lock;
    struct i8042_regs regs;
    bool kbd_level, aux_level; /* derived: levels last driven */
    struct irq_line kbd_irq, aux_irq;
    const struct vm_control *ctl;
};

/* kbd_irq (GSI 1) and aux_irq (GSI 12) may be NULL; ctl may be NULL.
 * Returns 0 or -errno. */
int i8042_init(struct i8042 *k, const struct irq_line *kbd_irq, const struct irq_line *aux_irq,
               const struct vm_control *ctl);
void i8042_destroy(struct i8042 *k);

/* Over the whole 0x60-0x64 range (offset 0 data, 4 status/command). */
extern const struct bus_dev_ops i8042_ops;
/* For a one-byte range at 0x64 (status/command). */
extern const struct bus_dev_ops i8042_cmd_ops;

#endif
