/* libFuzzer harness for virtio-net (devices/virtio/virtio_net.h) without
 * its I/O thread: the input plays a hostile driver on the receive and
 * transmit rings and the network on the backend side.
 *
 * Input: a 6-byte setup (negotiated features, backend offloads, ring
 * layout), then a list of operations (first byte: bits 0-2 the operation,
 * bits 3-7 its options) that add chains of buffers anywhere in a 64 KiB
 * window at the end of guest RAM (partly outside it), write bytes there
 * (vnet headers, frames), write raw descriptors and ring fields, kick the
 * queues, deliver frames from the backend, and reset the device.
 *
 * Guest RAM is a mapping with inaccessible guard pages on both sides; with
 * the sanitizers they are the oracle for stray accesses. The fake backend
 * checks the device's contract with backends: every frame it is handed is
 * between NET_MIN_FRAME and NET_MAX_FRAME bytes long and uses only the
 * offloads the backend declared. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/log.h"
#include "common/util.h"
#include "devices/virtio/virtio_net.h"
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

/* --- The fake backend --- */

struct fake_be {
    struct net_backend be;
    int send_rc, rx_offloads_rc;
    unsigned sum; /* every byte sent is read: stray iovecs hit a guard page */
};

static int fake_send(struct net_backend *b, const struct net_hdr *h, const struct iovec *iov,
                     unsigned n)
{
    struct fake_be *f = (struct fake_be *)b;
    size_t len = 0;
    for (unsigned k = 0; k < n; k++) {
        const uint8_t *p = iov[k].iov_base;
        for (size_t i = 0; i < iov[k].iov_len; i++)
            f->sum += p[i];
        len += iov[k].iov_len;
    }
    FUZZ_CHECK(len >= NET_MIN_FRAME && len <= NET_MAX_FRAME);
    FUZZ_CHECK(!(h->flags & ~NET_HDR_F_NEEDS_CSUM));
    if (h->flags & NET_HDR_F_NEEDS_CSUM)
        FUZZ_CHECK(b->tx_offloads & NET_OFF_CSUM);
    uint8_t gso = h->gso_type & ~NET_HDR_GSO_ECN;
    FUZZ_CHECK(gso == NET_HDR_GSO_NONE || gso == NET_HDR_GSO_TCPV4 || gso == NET_HDR_GSO_TCPV6);
    if (gso == NET_HDR_GSO_TCPV4)
        FUZZ_CHECK(b->tx_offloads & NET_OFF_TSO4);
    if (gso == NET_HDR_GSO_TCPV6)
        FUZZ_CHECK(b->tx_offloads & NET_OFF_TSO6);
    if (h->gso_type & NET_HDR_GSO_ECN)
        FUZZ_CHECK(gso != NET_HDR_GSO_NONE && b->tx_offloads & NET_OFF_ECN);
    return f->send_rc;
}

static int fake_set_rx_offloads(struct net_backend *b, unsigned offloads)
{
    FUZZ_CHECK(!(offloads & ~b->rx_offloads));
    return ((struct fake_be *)b)->rx_offloads_rc;
}

static unsigned fake_prepare(struct net_backend *b, struct pollfd *pfd, unsigned max, int *t)
{
    (void)b, (void)pfd, (void)max, (void)t;
    return 0;
}

static void fake_dispatch(struct net_backend *b, struct pollfd *pfd, unsigned n, bool err)
{
    (void)b, (void)pfd, (void)n, (void)err;
}

static void fake_destroy(struct net_backend *b)
{
    (void)b;
}

static const struct net_backend_ops fake_ops = {
    fake_send, fake_set_rx_offloads, fake_prepare, fake_dispatch, fake_destroy,
};

/* --- Guest RAM and the driver side --- */

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
    struct fake_be be;
    struct virtio_net n;
    uint16_t next_id;
};

/* Frame bytes the backend delivers: larger than any legal frame. */
static uint8_t frame_data[NET_MAX_FRAME + 0x8000];

/* Negotiates features (5 bytes of input, masked by the offer), lays out
 * the rings and sets DRIVER_OK, as a driver does; the device may refuse. */
static void driver_start(struct world *w, struct input *in)
{
    struct virtio_dev *d = &w->n.vdev;
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
        /* Split rings: powers of two up to 256; packed: any size. */
        uint16_t size = packed && bits > 8 ? (uint16_t)(bits * 17) : (uint16_t)(1u << (bits % 9));
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

/* Op 3: up to 32 bytes of input into the window (vnet headers, frames). */
static void op_data(struct world *w, struct input *in, uint8_t opt)
{
    uint32_t off = (uint32_t)take(in, 2);
    size_t n = MIN((size_t)opt + 1, in->n);
    n = MIN(n, (size_t)(WINDOW - off));
    memcpy(w->m.host + WINDOW_BASE + off, in->p, n);
    in->p += n;
    in->n -= n;
}

/* Op 4: the backend delivers a frame of arbitrary header and length. */
static void op_rx_frame(struct world *w, struct input *in, uint8_t opt)
{
    /* Fields one by one: the input is consumed in a fixed order. */
    struct net_hdr h = { 0 };
    h.flags = (uint8_t)take(in, 1);
    h.gso_type = (uint8_t)take(in, 1);
    h.hdr_len = (uint16_t)take(in, 2);
    h.gso_size = (uint16_t)take(in, 2);
    h.csum_start = (uint16_t)take(in, 2);
    h.csum_offset = (uint16_t)take(in, 2);
    size_t len = (size_t)take(in, 2);
    if (opt & 1)
        len += NET_MAX_FRAME - 0x8000; /* around the limit */
    struct net_rx_sink *s = &w->n.be->sink;
    s->ready(s->ctx);
    s->frame(s->ctx, &h, frame_data, len);
    virtio_net_work(&w->n, 0);
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

static void run_op(struct world *w, struct input *in)
{
    uint8_t op = (uint8_t)take(in, 1);
    uint8_t opt = op >> 3;
    switch (op & 7) {
    case 0: op_chain(w, in, VIRTIO_NET_TXQ, opt); break;
    case 1: op_chain(w, in, VIRTIO_NET_RXQ, opt); break;
    case 2: virtio_dev_queue_notify(&w->n.vdev, opt & 1); break;
    case 3: op_data(w, in, opt); break;
    case 4: op_rx_frame(w, in, opt); break;
    case 5: op_raw_desc(w, in, opt); break;
    case 6: op_ring_field(w, in, opt); break;
    default:
        if (opt & 1) {
            virtio_net_work(&w->n, opt >> 1 & 3);
        } else {
            virtio_dev_reset(&w->n.vdev);
            driver_start(w, in);
        }
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct world w;
    log_set_level(LOG_ERROR);
    if (!frame_data[1])
        for (size_t i = 0; i < sizeof(frame_data); i++)
            frame_data[i] = (uint8_t)(i * 7 + 1);
    struct input in = { data, size };
    uint8_t offl = (uint8_t)take(&in, 1);
    memset(&w, 0, sizeof(w));
    w.m.host = guest_ram();
    w.m.size = RAM_SIZE;
    gmem_init_flat(&w.m.gm, w.m.host, RAM_SIZE);
    memset(w.m.host, 0, RAM_SIZE);
    w.be.be = (struct net_backend){ .ops = &fake_ops, .tx_offloads = offl & 0xf,
                                    .rx_offloads = offl >> 4 };
    uint8_t rcs = (uint8_t)take(&in, 1);
    w.be.send_rc = rcs & 1 ? -ENOBUFS : 0;
    w.be.rx_offloads_rc = rcs & 2 ? -EINVAL : 0;
    struct virtio_net_opts o = { .name = "fuzz", .be = &w.be.be, .no_thread = true,
                                 .mac = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 } };
    if (virtio_net_init(&w.n, &o, &w.m.gm))
        return 0;
    driver_start(&w, &in);
    while (in.n)
        run_op(&w, &in);
    virtio_dev_reset(&w.n.vdev);
    virtio_net_destroy(&w.n);
    return 0;
}
