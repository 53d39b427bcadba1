#include "fuzz_driver.h"

#include <string.h>

#include "common/util.h"

#define RING_BASE 0x1000u /* the test driver's allocator starts here */

void fuzz_drv_init(struct fuzz_drv *d, struct virtio_dev *dev, uint8_t *ram, uint64_t ram_size,
                   uint32_t window)
{
    d->m.host = ram;
    d->m.size = ram_size;
    d->m.brk = RING_BASE;
    gmem_init_flat(&d->m.gm, ram, ram_size);
    d->dev = dev;
    d->window = window;
    d->window_base = ram_size - window;
    d->ring_limit = d->window_base - 0x1000u;
    d->next_id = 0;
}

void fuzz_drv_fresh(struct fuzz_drv *d, struct virtio_dev *dev, uint8_t **ram,
                    uint64_t ram_size, uint32_t window)
{
    if (!*ram)
        *ram = fuzz_guarded_ram(ram_size);
    memset(*ram, 0, ram_size);
    fuzz_drv_init(d, dev, *ram, ram_size, window);
}

void fuzz_drv_negotiate(struct fuzz_drv *d, uint64_t features)
{
    struct virtio_dev *dev = d->dev;
    d->m.brk = RING_BASE;
    virtio_dev_set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    virtio_dev_set_driver_features(dev, 0, (uint32_t)features);
    virtio_dev_set_driver_features(dev, 1, (uint32_t)(features >> 32));
    virtio_dev_set_status(dev, virtio_dev_status(dev) | VIRTIO_STATUS_FEATURES_OK);
}

void fuzz_drv_setup_queue(struct fuzz_drv *d, unsigned qi, uint16_t size, bool packed)
{
    vdrv_queue_init(&d->q[qi], &d->m, size, packed);
    vdrv_queue_config(&d->q[qi], virtio_dev_queue_cfg(d->dev, qi));
}

void fuzz_drv_driver_ok(struct fuzz_drv *d)
{
    virtio_dev_set_status(d->dev, virtio_dev_status(d->dev) | VIRTIO_STATUS_DRIVER_OK);
}

uint64_t fuzz_drv_buf_addr(const struct fuzz_drv *d, struct fuzz_input *in, bool anywhere)
{
    uint64_t off = fuzz_take(in, 2);
    return anywhere ? off << 20 | off : d->window_base + off;
}

void fuzz_drv_data(struct fuzz_drv *d, struct fuzz_input *in, uint32_t off, size_t max)
{
    /* GUEST (the input here plays the guest driver): off < window, as
     * callers guarantee, and the length is clipped at the window's end. */
    fuzz_take_bytes(in, d->m.host + d->window_base + off, MIN(max, (size_t)(d->window - off)));
}

void fuzz_drv_raw_desc(struct fuzz_drv *d, struct fuzz_input *in, unsigned qi, bool anywhere,
                       bool avail)
{
    struct vdrv_queue *q = &d->q[qi];
    unsigned i = (unsigned)fuzz_take(in, 1) % q->size;
    uint64_t addr = fuzz_drv_buf_addr(d, in, anywhere);
    uint32_t len = (uint32_t)fuzz_take(in, 4);
    uint16_t a = (uint16_t)fuzz_take(in, 2), b = (uint16_t)fuzz_take(in, 2);
    if (q->packed) {
        vdrv_packed_desc(q, i, addr, len, a, b);
    } else {
        vdrv_split_desc(q, i, addr, len, a, b);
        if (avail)
            vdrv_split_avail(q, (uint16_t)i);
    }
}

void fuzz_drv_drain(struct vdrv_queue *q)
{
    uint32_t id, len;
    while (vdrv_used(q, &id, &len))
        continue;
}

void fuzz_drv_ring_field(struct vdrv_queue *q, uint16_t v, unsigned what)
{
    if (q->packed) {
        vdrv_packed_set_event(q, v, (uint16_t)what);
        return;
    }
    switch (what) {
    case 0: vdrv_split_set_avail_idx(q, v); break;
    case 1: vdrv_split_set_used_event(q, v); break;
    case 2: vdrv_split_set_avail_flags(q, v); break;
    default: fuzz_drv_drain(q); break;
    }
}

void fuzz_drv_start(struct fuzz_drv *d, struct fuzz_input *in,
                    uint16_t (*ring_size)(bool packed, unsigned bits))
{
    uint64_t want = fuzz_take(in, 4);
    want |= fuzz_take(in, 1) << 32;
    uint8_t layout = (uint8_t)fuzz_take(in, 1);
    uint64_t features = want & d->dev->host_features;
    bool packed = features & VIRTIO_BIT(VIRTIO_F_RING_PACKED);
    fuzz_drv_negotiate(d, features);
    for (unsigned i = 0; i < 2; i++)
        fuzz_drv_setup_queue(d, i, ring_size(packed, (layout >> (4 * i)) & 0xf), packed);
    fuzz_drv_driver_ok(d);
}

/* Ops 0 and 1: a chain of 1-4 buffers, direct or through an indirect
 * table; each buffer's flags pick direction, place and a doubled length. */
static void op_chain(struct fuzz_drv *d, struct fuzz_input *in, unsigned qi, uint8_t opt)
{
    struct vdrv_buf b[FUZZ_DRV_MAX_BUFS];
    unsigned n = 1 + (opt & 3);
    for (unsigned i = 0; i < n; i++) {
        uint8_t fl = (uint8_t)fuzz_take(in, 1);
        b[i].gpa = fuzz_drv_buf_addr(d, in, fl >> 1 & 1);
        uint32_t len = (uint32_t)fuzz_take(in, 2);
        b[i].len = fl & 4 ? len * 2 : len; /* longer than the largest frame */
        b[i].write = fl & 1;
    }
    /* The test driver places indirect tables with its bump allocator. */
    bool indirect = opt & 4 && d->m.brk + 16 * FUZZ_DRV_MAX_BUFS + 16 <= d->ring_limit;
    vdrv_add(&d->q[qi], b, n, indirect, d->next_id++);
}

static void run_op(struct fuzz_drv *d, struct fuzz_input *in, const struct fuzz_drv_ops *ops,
                   void *ctx)
{
    uint8_t op = (uint8_t)fuzz_take(in, 1);
    uint8_t opt = op >> 3;
    switch (op & 7) {
    case 0: op_chain(d, in, ops->txq, opt); break;
    case 1: op_chain(d, in, ops->rxq, opt); break;
    case 2: virtio_dev_queue_notify(d->dev, opt & 1); break;
    case 3: fuzz_drv_data(d, in, (uint32_t)fuzz_take(in, 2), (size_t)opt + 1); break;
    case 4: ops->op4(ctx, in, opt); break;
    case 5: fuzz_drv_raw_desc(d, in, opt & 1, opt >> 1 & 1, opt & 4); break;
    case 6: {
        struct vdrv_queue *q = &d->q[opt & 1];
        fuzz_drv_ring_field(q, (uint16_t)fuzz_take(in, 2), opt >> 1 & 3);
        break;
    }
    default: ops->op7(ctx, in, opt); break;
    }
}

void fuzz_drv_run(struct fuzz_drv *d, struct fuzz_input *in, const struct fuzz_drv_ops *ops,
                  void *ctx)
{
    while (in->n)
        run_op(d, in, ops, ctx);
}
