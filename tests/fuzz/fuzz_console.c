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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/log.h"
#include "common/util.h"
#include "devices/virtio/virtio_console.h"
#include "virtio/virtq_driver.h" /* tests/unit: the test driver */

#define RAM_SIZE (256u << 10)
#define PAGE 4096u
#define WINDOW 0x10000u                 /* buffers live in the last 64 KiB */
#define WINDOW_BASE (RAM_SIZE - WINDOW)
#define RING_LIMIT (WINDOW_BASE - 0x1000u) /* rings and indirect tables below */
#define MAX_BUFS 4

struct input {
    const uint8_t *p;
    size_t n;
};

static uint64_t take(struct input *in, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes && in->n; i++, in->p++, in->n--)
        v |= (uint64_t)*in->p << (8 * i);
    return v;
}

#define FUZZ_CHECK(cond)                                                               \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);  \
            abort();                                                                   \
        }                                                                              \
    } while (0)

/* --- The fake console and guest RAM --- */

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

/* RAM_SIZE bytes between two inaccessible pages, mapped once. */
static uint8_t *guest_ram(void)
{
    static uint8_t *ram;
    if (!ram) {
        uint8_t *m = mmap(NULL, RAM_SIZE + 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
                          -1, 0);
        FUZZ_CHECK(m != MAP_FAILED);
        FUZZ_CHECK(mprotect(m + PAGE, RAM_SIZE, PROT_READ | PROT_WRITE) == 0);
        ram = m + PAGE;
    }
    return ram;
}

struct world {
    struct vdrv_mem m;
    struct vdrv_queue q[2];
    struct fake_out out;
    struct virtio_console c;
    unsigned rooms;
    uint16_t next_id;
};

/* Host input bytes: more than any ring can take. */
static uint8_t input_data[0x20000];

/* Negotiates features (5 bytes of input, masked by the offer), lays out
 * the rings and sets DRIVER_OK, as a driver does; the device may refuse. */
static void driver_start(struct world *w, struct input *in)
{
    struct virtio_dev *d = &w->c.vdev;
    uint64_t want = take(in, 4);
    want |= take(in, 1) << 32;
    uint8_t layout = (uint8_t)take(in, 1);
    uint64_t features = want & d->host_features;
    bool packed = features & VIRTIO_BIT(VIRTIO_F_RING_PACKED);
    w->m.brk = 0x1000;
    virtio_dev_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    virtio_dev_set_driver_features(d, 0, (uint32_t)features);
    virtio_dev_set_driver_features(d, 1, (uint32_t)(features >> 32));
    virtio_dev_set_status(d, virtio_dev_status(d) | VIRTIO_STATUS_FEATURES_OK);
    for (unsigned i = 0; i < 2; i++) {
        unsigned bits = (layout >> (4 * i)) & 0xf;
        /* Split rings: powers of two up to 128; packed: other sizes too. */
        uint16_t size = packed && bits > 7 ? (uint16_t)(bits * 8) : (uint16_t)(1u << (bits % 8));
        vdrv_queue_init(&w->q[i], &w->m, size, packed);
        vdrv_queue_config(&w->q[i], virtio_dev_queue_cfg(d, i));
    }
    virtio_dev_set_status(d, virtio_dev_status(d) | VIRTIO_STATUS_DRIVER_OK);
}

/* A buffer address in the window; bit 0 of sel puts it anywhere (mostly
 * outside guest RAM). */
static uint64_t buf_addr(struct input *in, unsigned sel)
{
    uint64_t off = take(in, 2);
    return sel & 1 ? off << 20 | off : WINDOW_BASE + off;
}

/* Ops 0 (transmit queue) and 1 (receive queue): a chain of 1-4 buffers,
 * direct or through an indirect table. */
static void op_chain(struct world *w, struct input *in, unsigned qi, uint8_t opt)
{
    struct vdrv_buf b[MAX_BUFS];
    unsigned n = 1 + (opt & 3);
    for (unsigned i = 0; i < n; i++) {
        uint8_t fl = (uint8_t)take(in, 1);
        b[i].gpa = buf_addr(in, fl >> 1);
        uint32_t len = (uint32_t)take(in, 2);
        b[i].len = fl & 4 ? len * 2 : len; /* longer than the largest frame */
        b[i].write = fl & 1;
    }
    /* The test driver places indirect tables with its bump allocator. */
    bool indirect = opt & 4 && w->m.brk + 16 * MAX_BUFS + 16 <= RING_LIMIT;
    vdrv_add(&w->q[qi], b, n, indirect, w->next_id++);
}

/* Op 3: up to 32 bytes of input into the window (console output). */
static void op_data(struct world *w, struct input *in, uint8_t opt)
{
    uint32_t off = (uint32_t)take(in, 2);
    size_t n = MIN((size_t)opt + 1, in->n);
    n = MIN(n, (size_t)(WINDOW - off));
    memcpy(w->m.host + WINDOW_BASE + off, in->p, n);
    in->p += n;
    in->n -= n;
}

/* Op 4: host input of input-chosen length. */
static void op_receive(struct world *w, struct input *in, uint8_t opt)
{
    size_t len = (size_t)take(in, 2);
    if (opt & 1)
        len *= 2;
    FUZZ_CHECK(virtio_console_receive(&w->c, input_data, len) <= len);
}

/* Op 5: a raw descriptor, and for split rings optionally an avail entry. */
static void op_raw_desc(struct world *w, struct input *in, uint8_t opt)
{
    struct vdrv_queue *q = &w->q[opt & 1];
    unsigned i = (unsigned)take(in, 1) % q->size;
    uint64_t addr = buf_addr(in, opt >> 1);
    uint32_t len = (uint32_t)take(in, 4);
    uint16_t a = (uint16_t)take(in, 2), b = (uint16_t)take(in, 2);
    if (q->packed) {
        vdrv_packed_desc(q, i, addr, len, a, b);
    } else {
        vdrv_split_desc(q, i, addr, len, a, b);
        if (opt & 4)
            vdrv_split_avail(q, (uint16_t)i);
    }
}

/* Op 6: ring control fields: indices, event suppression. */
static void op_ring_field(struct world *w, struct input *in, uint8_t opt)
{
    struct vdrv_queue *q = &w->q[opt & 1];
    uint16_t v = (uint16_t)take(in, 2);
    if (q->packed) {
        vdrv_packed_set_event(q, v, (uint16_t)(opt >> 1 & 3));
        return;
    }
    switch (opt >> 1 & 3) {
    case 0: vdrv_split_set_avail_idx(q, v); break;
    case 1: vdrv_split_set_used_event(q, v); break;
    case 2: vdrv_split_set_avail_flags(q, v); break;
    default: {
        uint32_t id, len;
        while (vdrv_used(q, &id, &len))
            continue;
    }
    }
}

/* Op 7: config space, terminal size, console errors, reset. */
static void op_misc(struct world *w, struct input *in, uint8_t opt)
{
    struct virtio_dev *d = &w->c.vdev;
    unsigned off = (unsigned)take(in, 1) % (VIRTIO_CONSOLE_CONFIG_SIZE + 4);
    unsigned size = 1u << (opt >> 1 & 3);
    uint32_t v = (uint32_t)take(in, 4);
    switch (opt & 7) {
    case 0: virtio_dev_config_write(d, off, v, size); break;
    case 1: virtio_dev_config_read(d, off, size); break;
    case 2: virtio_dev_config_write(d, VIRTIO_CONSOLE_CFG_EMERG_WR, v, 4); break;
    case 3: virtio_console_resize(&w->c, (uint16_t)v, (uint16_t)(v >> 16)); break;
    case 4: w->out.rc = (int32_t)v < -4096 ? (ssize_t)(v & 0xff) : (ssize_t)(int32_t)v; break;
    default:
        virtio_dev_reset(d);
        driver_start(w, in);
        break;
    }
}

static void run_op(struct world *w, struct input *in)
{
    uint8_t op = (uint8_t)take(in, 1);
    uint8_t opt = op >> 3;
    switch (op & 7) {
    case 0: op_chain(w, in, VIRTIO_CONSOLE_TXQ, opt); break;
    case 1: op_chain(w, in, VIRTIO_CONSOLE_RXQ, opt); break;
    case 2: virtio_dev_queue_notify(&w->c.vdev, opt & 1); break;
    case 3: op_data(w, in, opt); break;
    case 4: op_receive(w, in, opt); break;
    case 5: op_raw_desc(w, in, opt); break;
    case 6: op_ring_field(w, in, opt); break;
    default: op_misc(w, in, opt); break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct world w;
    log_set_level(LOG_ERROR);
    if (!input_data[1])
        for (size_t i = 0; i < sizeof(input_data); i++)
            input_data[i] = (uint8_t)(i * 7 + 1);
    struct input in = { data, size };
    uint16_t size_hint = (uint16_t)take(&in, 2);
    memset(&w, 0, sizeof(w));
    w.m.host = guest_ram();
    w.m.size = RAM_SIZE;
    gmem_init_flat(&w.m.gm, w.m.host, RAM_SIZE);
    memset(w.m.host, 0, RAM_SIZE);
    w.out.rc = RAM_SIZE;
    struct chardev out = { fake_write, &w.out };
    struct virtio_console_opts o = { .out = &out, .room = count_room, .room_ctx = &w.rooms,
                                     .cols = (uint16_t)(size_hint & 0xff),
                                     .rows = (uint16_t)(size_hint >> 8) };
    if (virtio_console_init(&w.c, &o, &w.m.gm))
        return 0;
    driver_start(&w, &in);
    while (in.n)
        run_op(&w, &in);
    virtio_dev_reset(&w.c.vdev);
    virtio_console_destroy(&w.c);
    return 0;
}
