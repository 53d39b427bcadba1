/* libFuzzer harness for virtio-console (devices/virtio/virtio_console.h):
 * the input plays a hostile driver on the receive and transmit rings, the
 * host console on the input side, and pokes the config space.
 *
 * Input: a 6-byte setup (features, ring sizes), then operations (first
 * byte: bits 0-2 the operation, bits 3-7 options): chains of buffers
 * anywhere in a 64 KiB window at the end of guest RAM (partly outside),
 * bytes written there, raw descriptors and ring fields, queue kicks, host
 * input of any length, config reads and writes (emergency writes), resizes
 * and device resets. Guest RAM has inaccessible guard pages on both sides;
 * with the sanitizers they are the oracle. The fake console reads every
 * byte it is given and checks it never gets more than one chain could
 * hold; host input taken never exceeds what was offered. */
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "devices/virtio/virtio_console.h"
#include "fuzz_driver.h"
#include "fuzz_util.h"

#define RAM_SIZE (256u << 10)
#define WINDOW 0x10000u /* buffers live in the last 64 KiB */

/* --- The fake console --- */

struct fake_out {
    unsigned sum;   /* every byte is read: stray iovecs hit a guard page */
    ssize_t rc;     /* < 0: the error to return; else bytes taken at most */
};

static ssize_t fake_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct fake_out *f = ctx;
    for (size_t i = 0; i < len; i++)
        f->sum += buf[i];
    /* Output comes out of guest RAM: never longer than it. */
    FUZZ_CHECK(len <= RAM_SIZE);
    if (f->rc < 0)
        return f->rc;
    return (ssize_t)MIN(len, (size_t)f->rc);
}

static void count_room(void *ctx)
{
    (*(unsigned *)ctx)++;
}

struct world {
    struct fuzz_drv d;
    struct fake_out out;
    struct virtio_console c;
    unsigned rooms;
};

/* Host input bytes: more than any ring can take. */
static uint8_t input_data[0x20000];

/* Split rings: powers of two up to 128; packed: other sizes too. */
static uint16_t ring_size(bool packed, unsigned bits)
{
    return packed && bits > 7 ? (uint16_t)(bits * 8) : (uint16_t)(1u << (bits % 8));
}

/* Op 4: host input of input-chosen length. */
static void op_receive(void *ctx, struct fuzz_input *in, uint8_t opt)
{
    struct world *w = ctx;
    size_t len = (size_t)fuzz_take(in, 2);
    if (opt & 1)
        len *= 2;
    FUZZ_CHECK(virtio_console_receive(&w->c, input_data, len) <= len);
}

/* Op 7: config space, terminal size, console errors, reset. */
static void op_misc(void *ctx, struct fuzz_input *in, uint8_t opt)
{
    struct world *w = ctx;
    struct virtio_dev *d = &w->c.vdev;
    unsigned off = (unsigned)fuzz_take(in, 1) % (VIRTIO_CONSOLE_CONFIG_SIZE + 4);
    unsigned size = 1u << (opt >> 1 & 3);
    uint32_t v = (uint32_t)fuzz_take(in, 4);
    switch (opt & 7) {
    case 0: virtio_dev_config_write(d, off, v, size); break;
    case 1: virtio_dev_config_read(d, off, size); break;
    case 2: virtio_dev_config_write(d, VIRTIO_CONSOLE_CFG_EMERG_WR, v, 4); break;
    case 3: virtio_console_resize(&w->c, (uint16_t)v, (uint16_t)(v >> 16)); break;
    case 4: w->out.rc = (int32_t)v < -4096 ? (ssize_t)(v & 0xff) : (ssize_t)(int32_t)v; break;
    default:
        virtio_dev_reset(d);
        fuzz_drv_start(&w->d, in, ring_size);
        break;
    }
}

static const struct fuzz_drv_ops console_ops = {
    .txq = VIRTIO_CONSOLE_TXQ, .rxq = VIRTIO_CONSOLE_RXQ, .op4 = op_receive, .op7 = op_misc,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct world w;
    static uint8_t *ram;
    log_set_level(LOG_ERROR);
    fuzz_fill_pattern(input_data, sizeof(input_data));
    struct fuzz_input in = { data, size };
    uint16_t size_hint = (uint16_t)fuzz_take(&in, 2);
    memset(&w, 0, sizeof(w));
    fuzz_drv_fresh(&w.d, &w.c.vdev, &ram, RAM_SIZE, WINDOW);
    w.out.rc = RAM_SIZE;
    struct chardev out = { fake_write, &w.out };
    struct virtio_console_opts o = { .out = &out, .room = count_room, .room_ctx = &w.rooms,
                                     .cols = (uint16_t)(size_hint & 0xff),
                                     .rows = (uint16_t)(size_hint >> 8) };
    if (virtio_console_init(&w.c, &o, &w.d.m.gm))
        return 0;
    fuzz_drv_start(&w.d, &in, ring_size);
    fuzz_drv_run(&w.d, &in, &console_ops, &w);
    virtio_dev_reset(&w.c.vdev);
    virtio_console_destroy(&w.c);
    return 0;
}
