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
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "devices/virtio/virtio_net.h"
#include "fuzz_driver.h"
#include "fuzz_util.h"

#define RAM_SIZE (256u << 10)
#define WINDOW 0x10000u /* buffers live in the last 64 KiB */

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

/* --- The driver side --- */

struct world {
    struct fuzz_drv d;
    struct fake_be be;
    struct virtio_net n;
};

/* Frame bytes the backend delivers: larger than any legal frame. */
static uint8_t frame_data[NET_MAX_FRAME + 0x8000];

/* Split rings: powers of two up to 256; packed: any size. */
static uint16_t ring_size(bool packed, unsigned bits)
{
    return packed && bits > 8 ? (uint16_t)(bits * 17) : (uint16_t)(1u << (bits % 9));
}

/* Op 4: the backend delivers a frame of arbitrary header and length. */
static void op_rx_frame(void *ctx, struct fuzz_input *in, uint8_t opt)
{
    struct world *w = ctx;
    /* Fields one by one: the input is consumed in a fixed order. */
    struct net_hdr h = { 0 };
    h.flags = (uint8_t)fuzz_take(in, 1);
    h.gso_type = (uint8_t)fuzz_take(in, 1);
    h.hdr_len = (uint16_t)fuzz_take(in, 2);
    h.gso_size = (uint16_t)fuzz_take(in, 2);
    h.csum_start = (uint16_t)fuzz_take(in, 2);
    h.csum_offset = (uint16_t)fuzz_take(in, 2);
    size_t len = (size_t)fuzz_take(in, 2);
    if (opt & 1)
        len += NET_MAX_FRAME - 0x8000; /* around the limit */
    struct net_rx_sink *s = &w->n.be->sink;
    s->ready(s->ctx);
    s->frame(s->ctx, &h, frame_data, len);
    virtio_net_work(&w->n, 0);
}

/* Op 7: a pass of the device's work on some queues, or a reset. */
static void op_work_or_reset(void *ctx, struct fuzz_input *in, uint8_t opt)
{
    struct world *w = ctx;
    if (opt & 1) {
        virtio_net_work(&w->n, opt >> 1 & 3);
    } else {
        virtio_dev_reset(&w->n.vdev);
        fuzz_drv_start(&w->d, in, ring_size);
    }
}

static const struct fuzz_drv_ops net_ops = {
    .txq = VIRTIO_NET_TXQ, .rxq = VIRTIO_NET_RXQ, .op4 = op_rx_frame, .op7 = op_work_or_reset,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct world w;
    static uint8_t *ram;
    log_set_level(LOG_ERROR);
    fuzz_fill_pattern(frame_data, sizeof(frame_data));
    struct fuzz_input in = { data, size };
    uint8_t offl = (uint8_t)fuzz_take(&in, 1);
    memset(&w, 0, sizeof(w));
    fuzz_drv_fresh(&w.d, &w.n.vdev, &ram, RAM_SIZE, WINDOW);
    w.be.be = (struct net_backend){ .ops = &fake_ops, .tx_offloads = offl & 0xf,
                                    .rx_offloads = offl >> 4 };
    uint8_t rcs = (uint8_t)fuzz_take(&in, 1);
    w.be.send_rc = rcs & 1 ? -ENOBUFS : 0;
    w.be.rx_offloads_rc = rcs & 2 ? -EINVAL : 0;
    struct virtio_net_opts o = { .name = "fuzz", .be = &w.be.be, .no_thread = true,
                                 .mac = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 } };
    if (virtio_net_init(&w.n, &o, &w.d.m.gm))
        return 0;
    fuzz_drv_start(&w.d, &in, ring_size);
    fuzz_drv_run(&w.d, &in, &net_ops, &w);
    virtio_dev_reset(&w.n.vdev);
    virtio_net_destroy(&w.n);
    return 0;
}
