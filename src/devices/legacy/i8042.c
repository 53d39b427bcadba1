/* i8042 keyboard controller with empty PS/2 ports; see i8042.h.
 *
 * Controller commands follow the IBM PC/AT Technical Reference ("Keyboard
 * Controller", commands 20-3F, 60-7F, AA, AB, AD, AE, C0, D0, D1, E0, F0-FF)
 * plus the PS/2 additions A7, A8, A9, D2, D3, D4. Bytes the controller or a
 * port produce wait in a small queue; the head is the output buffer. */
#include "devices/legacy/i8042.h"

#include <string.h>

#include "common/log.h"

/* Power-on command byte: keyboard interrupt on, system flag set (POST
 * passed), scan-code translation on; the AUX interrupt is off until the
 * guest enables it. */
#define I8042_CTR_DEFAULT (I8042_CTR_KBDINT | I8042_CTR_SYS | I8042_CTR_XLATE)

/* Reply to a byte sent to an empty port: "resend" plus the time-out flag. */
#define I8042_NO_DEVICE 0xfe

/* What to do once the lock is dropped. */
struct i8042_effects {
    bool reset;
};

static void i8042_update_irq(struct i8042 *k, bool new_byte)
{
    const struct i8042_regs *r = &k->regs;
    bool kbd = false, aux = false;
    if (r->q_count) {
        if (r->q_src[r->q_head] & I8042_SRC_AUX)
            aux = r->ram[0] & I8042_CTR_AUXINT;
        else
            kbd = r->ram[0] & I8042_CTR_KBDINT;
    }
    /* A new byte after another was taken is a new interrupt: give an
     * edge-triggered controller a falling edge first. */
    if (new_byte && k->kbd_level && kbd) {
        irq_set(&k->kbd_irq, false);
        k->kbd_level = false;
    }
    if (new_byte && k->aux_level && aux) {
        irq_set(&k->aux_irq, false);
        k->aux_level = false;
    }
    if (kbd != k->kbd_level) {
        k->kbd_level = kbd;
        irq_set(&k->kbd_irq, kbd);
    }
    if (aux != k->aux_level) {
        k->aux_level = aux;
        irq_set(&k->aux_irq, aux);
    }
}

static void i8042_queue(struct i8042_regs *r, uint8_t byte, uint8_t src)
{
    if (r->q_count >= I8042_QUEUE_LEN) {
        log_debug("i8042: output queue full, dropping a byte");
        return;
    }
    unsigned tail = (r->q_head + r->q_count) % I8042_QUEUE_LEN;
    r->q_data[tail] = byte;
    r->q_src[tail] = src;
    r->q_count++;
}

static uint8_t i8042_status(const struct i8042_regs *r)
{
    uint8_t s = I8042_STR_UNLOCK;
    if (r->ram[0] & I8042_CTR_SYS)
        s |= I8042_STR_SYS;
    if (r->last_cmd_write)
        s |= I8042_STR_CMD;
    if (r->q_count) {
        uint8_t src = r->q_src[r->q_head];
        s |= I8042_STR_OBF;
        if (src & I8042_SRC_AUX)
            s |= I8042_STR_AUXDATA;
        if (src & I8042_SRC_TIMEOUT)
            s |= I8042_STR_TIMEOUT;
    }
    return s;
}

static uint8_t i8042_read_data(struct i8042 *k)
{
    struct i8042_regs *r = &k->regs;
    if (r->q_count) {
        r->last_data = r->q_data[r->q_head];
        r->q_head = (uint8_t)((r->q_head + 1) % I8042_QUEUE_LEN);
        r->q_count--;
        i8042_update_irq(k, r->q_count != 0);
    }
    return r->last_data;
}

static void i8042_write_outport(struct i8042_regs *r, uint8_t v, struct i8042_effects *fx)
{
    r->outport = v;
    if (!(v & I8042_OUT_RESET)) {
        fx->reset = true;
        r->outport |= I8042_OUT_RESET; /* the pulse ends with the reset */
    }
}

/* A data byte on port 0x60: the argument of a pending command, or a command
 * for the keyboard. */
static void i8042_write_data(struct i8042 *k, uint8_t v, struct i8042_effects *fx)
{
    struct i8042_regs *r = &k->regs;
    uint8_t cmd = r->pending;
    r->pending = 0;
    r->last_cmd_write = 0;
    if (cmd >= 0x60 && cmd <= 0x7f) {
        /* GUEST: the command's low 5 bits index the 32-byte RAM. */
        r->ram[cmd & 0x1f] = v;
        return;
    }
    switch (cmd) {
    case 0xd1: /* write output port */
        i8042_write_outport(r, v, fx);
        break;
    case 0xd2: /* write keyboard output buffer */
        i8042_queue(r, v, 0);
        break;
    case 0xd3: /* write AUX output buffer (loopback) */
        i8042_queue(r, v, I8042_SRC_AUX);
        break;
    case 0xd4: /* send to the AUX device: none attached */
        i8042_queue(r, I8042_NO_DEVICE, I8042_SRC_AUX | I8042_SRC_TIMEOUT);
        break;
    default: /* a keyboard command: no keyboard attached */
        r->ram[0] &= (uint8_t)~I8042_CTR_KBDDIS; /* sending enables the port */
        i8042_queue(r, I8042_NO_DEVICE, I8042_SRC_TIMEOUT);
        break;
    }
}

static void i8042_write_cmd(struct i8042 *k, uint8_t cmd, struct i8042_effects *fx)
{
    struct i8042_regs *r = &k->regs;
    r->pending = 0;
    r->last_cmd_write = 1;
    if (cmd >= 0x20 && cmd <= 0x3f) { /* read controller RAM */
        /* GUEST: the command's low 5 bits index the 32-byte RAM. */
        i8042_queue(r, r->ram[cmd & 0x1f], 0);
        return;
    }
    if (cmd >= 0x60 && cmd <= 0x7f) { /* write controller RAM: data follows */
        r->pending = cmd;
        return;
    }
    if (cmd >= 0xf0) { /* pulse output lines whose bit is 0 */
        if (!(cmd & I8042_OUT_RESET))
            fx->reset = true;
        return;
    }
    switch (cmd) {
    case 0xa4: /* password installed? */
        i8042_queue(r, 0xf1, 0); /* no */
        break;
    case 0xa7:
        r->ram[0] |= I8042_CTR_AUXDIS;
        break;
    case 0xa8:
        r->ram[0] &= (uint8_t)~I8042_CTR_AUXDIS;
        break;
    case 0xa9: /* AUX interface test */
    case 0xab: /* keyboard interface test */
        i8042_queue(r, 0x00, 0);
        break;
    case 0xaa: /* controller self-test */
        i8042_queue(r, 0x55, 0);
        break;
    case 0xad:
        r->ram[0] |= I8042_CTR_KBDDIS;
        break;
    case 0xae:
        r->ram[0] &= (uint8_t)~I8042_CTR_KBDDIS;
        break;
    case 0xc0: /* read input port: keyboard not inhibited */
        i8042_queue(r, 0x80, 0);
        break;
    case 0xd0:
        i8042_queue(r, r->outport, 0);
        break;
    case 0xd1: case 0xd2: case 0xd3: case 0xd4:
        r->pending = cmd;
        break;
    case 0xdd: /* A20 off (some controllers) */
        r->outport &= (uint8_t)~I8042_OUT_A20;
        break;
    case 0xdf: /* A20 on */
        r->outport |= I8042_OUT_A20;
        break;
    case 0xe0: /* read test inputs */
        i8042_queue(r, 0x00, 0);
        break;
    default:
        log_debug("i8042: ignoring command 0x%02x", cmd);
        break;
    }
}

static uint8_t i8042_read_byte(struct i8042 *k, unsigned off)
{
    if (off == I8042_DATA_OFF)
        return i8042_read_data(k);
    if (off == I8042_CMD_OFF)
        return i8042_status(&k->regs);
    return 0xff;
}

static void i8042_write_byte(struct i8042 *k, unsigned off, uint8_t v, struct i8042_effects *fx)
{
    if (off == I8042_DATA_OFF)
        i8042_write_data(k, v, fx);
    else if (off == I8042_CMD_OFF)
        i8042_write_cmd(k, v, fx);
    else
        return;
    /* A byte queued behind the head raises no new interrupt until the head
     * is read; a command byte write may have enabled an interrupt. */
    i8042_update_irq(k, false);
}

/* base is the offset of the range start inside 0x60-0x64. */
static uint64_t i8042_read_at(struct i8042 *k, unsigned base, uint64_t offset, unsigned size)
{
    uint64_t v = 0;
    pthread_mutex_lock(&k->lock);
    for (unsigned i = 0; i < size; i++) {
        uint64_t off = base + offset + i;
        uint8_t b = off < I8042_IO_LEN ? i8042_read_byte(k, (unsigned)off) : 0xff;
        v |= (uint64_t)b << (8 * i);
    }
    pthread_mutex_unlock(&k->lock);
    return v;
}

static void i8042_write_at(struct i8042 *k, unsigned base, uint64_t offset, uint64_t value,
                           unsigned size)
{
    struct i8042_effects fx = { false };
    pthread_mutex_lock(&k->lock);
    for (unsigned i = 0; i < size; i++) {
        uint64_t off = base + offset + i;
        if (off < I8042_IO_LEN)
            i8042_write_byte(k, (unsigned)off, (uint8_t)(value >> (8 * i)), &fx);
    }
    pthread_mutex_unlock(&k->lock);
    if (fx.reset)
        vmctl_request(k->ctl, VM_EVENT_RESET, 0);
}

static uint64_t i8042_io_read(void *dev, uint64_t offset, unsigned size)
{
    return i8042_read_at(dev, 0, offset, size);
}

static void i8042_io_write(void *dev, uint64_t offset, uint64_t value, unsigned size)
{
    i8042_write_at(dev, 0, offset, value, size);
}

static uint64_t i8042_cmd_read(void *dev, uint64_t offset, unsigned size)
{
    return i8042_read_at(dev, I8042_CMD_OFF, offset, size);
}

static void i8042_cmd_write(void *dev, uint64_t offset, uint64_t value, unsigned size)
{
    i8042_write_at(dev, I8042_CMD_OFF, offset, value, size);
}

const struct bus_dev_ops i8042_ops = { i8042_io_read, i8042_io_write };
const struct bus_dev_ops i8042_cmd_ops = { i8042_cmd_read, i8042_cmd_write };

int i8042_init(struct i8042 *k, const struct irq_line *kbd_irq, const struct irq_line *aux_irq,
               const struct vm_control *ctl)
{
    memset(k, 0, sizeof(*k));
    if (kbd_irq)
        k->kbd_irq = *kbd_irq;
    if (aux_irq)
        k->aux_irq = *aux_irq;
    k->ctl = ctl;
    int e = pthread_mutex_init(&k->lock, NULL);
    if (e)
        return -e;
    k->regs.ram[0] = I8042_CTR_DEFAULT;
    k->regs.outport = I8042_OUT_RESET | I8042_OUT_A20;
    return 0;
}

void i8042_destroy(struct i8042 *k)
{
    pthread_mutex_destroy(&k->lock);
}
