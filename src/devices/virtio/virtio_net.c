/* virtio-net: queue processing on the NIC's I/O thread; see virtio_net.h. */
#include "devices/virtio/virtio_net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"

#define TX_BUDGET 256 /* transmit chains per round before serving the backend again */

static bool negotiated(const struct virtio_net *n, unsigned bit)
{
    return virtio_dev_has_feature(&n->vdev, bit);
}

/* --- Receive chains taken off the queue (the stash) --- */

static struct virtio_net_rx_chain *stash_at(struct virtio_net *n, unsigned i)
{
    return &n->stash[(n->stash_head + i) % VIRTIO_NET_QUEUE_SIZE];
}

static void stash_drop_front(struct virtio_net *n)
{
    n->stash_head = (n->stash_head + 1) % VIRTIO_NET_QUEUE_SIZE;
    n->stash_count--;
}

/* Takes the next receive chain into the stash. 1: taken, 0: the queue is
 * empty (a notification is armed), -1: the ring is broken. Chains too small
 * to hold a header are handed back empty at once (section 5.1.6.3: each
 * buffer holds at least the header). */
static int stash_take(struct virtio_net *n)
{
    struct virtq *q = &n->vq[VIRTIO_NET_RXQ];
    for (;;) {
        if (n->stash_count == VIRTIO_NET_QUEUE_SIZE)
            return 0;
        struct virtio_net_rx_chain *s = stash_at(n, n->stash_count);
        s->c.iov = s->iov;
        s->c.max_iov = VIRTIO_NET_MAX_IOV;
        int rc = virtq_pop(q, &s->c);
        if (rc < 0) {
            virtio_dev_fail(&n->vdev, VIRTIO_NET_RXQ, virtq_strerror(rc));
            return -1;
        }
        if (rc == 0) {
            if (virtq_enable_kick(q))
                continue;
            return 0;
        }
        if (s->c.in_len < NET_HDR_LEN) {
            virtq_push(q, &s->c, 0);
            n->rx_dirty = true;
            continue;
        }
        n->stash_count++;
        return 1;
    }
}

/* --- Receive --- */

/* The header the driver gets for a frame described by in (what the
 * backend says), or false when the driver did not accept its offloads. */
static bool rx_header(const struct virtio_net *n, const struct net_hdr *in, struct net_hdr *out)
{
    *out = (struct net_hdr){ 0 };
    if (in->flags & NET_HDR_F_NEEDS_CSUM && !n->guest_csum)
        return false;
    if (n->guest_csum)
        out->flags = in->flags & (NET_HDR_F_NEEDS_CSUM | NET_HDR_F_DATA_VALID);
    if (out->flags & NET_HDR_F_NEEDS_CSUM) {
        out->csum_start = in->csum_start;
        out->csum_offset = in->csum_offset;
    }
    uint8_t gso = in->gso_type & ~NET_HDR_GSO_ECN;
    if (gso == NET_HDR_GSO_NONE)
        return true;
    unsigned need = gso == NET_HDR_GSO_TCPV4 ? NET_OFF_TSO4
                    : gso == NET_HDR_GSO_TCPV6 ? NET_OFF_TSO6 : ~0u;
    if (in->gso_type & NET_HDR_GSO_ECN)
        need |= NET_OFF_ECN;
    if ((n->guest_gso & need) != need)
        return false;
    out->gso_type = in->gso_type;
    out->gso_size = in->gso_size;
    out->hdr_len = in->hdr_len;
    return true;
}

/* Writes bytes [off, off+len) of the stream header || data into chain c
 * from its byte 0. GUEST: virtq_chain_write stays inside the chain's
 * writable buffers (checked guest RAM) and len <= the chain's in_len. */
static void rx_fill(const struct virtq_chain *c, const uint8_t *hdr, const uint8_t *data,
                    size_t off, uint32_t len)
{
    uint32_t pos = 0;
    if (off < NET_HDR_LEN) {
        uint32_t k = MIN(len, (uint32_t)(NET_HDR_LEN - off));
        virtq_chain_write(c, 0, hdr + off, k);
        pos = k;
    }
    if (pos < len)
        virtq_chain_write(c, pos, data + (off + pos - NET_HDR_LEN), len - pos);
}

/* Puts one frame into receive buffers. 1: delivered, 0: dropped, -EAGAIN:
 * not enough buffers yet (the caller keeps the frame). */
static int rx_put(struct virtio_net *n, const struct net_hdr *in, const uint8_t *data, size_t len)
{
    struct net_hdr h;
    if (!rx_header(n, in, &h))
        return 0;
    size_t need = NET_HDR_LEN + len;
    /* How many stashed chains the frame takes. */
    unsigned k = 0;
    size_t room = 0;
    while (room < need) {
        if (k == n->stash_count) {
            int rc = stash_take(n);
            if (rc < 0)
                return 0;
            /* Every buffer the queue can hold is taken and the frame still
             * does not fit: it never will. */
            if (rc == 0)
                return n->stash_count >= n->vq[VIRTIO_NET_RXQ].size ? 0 : -EAGAIN;
        }
        room += stash_at(n, k)->c.in_len;
        k++;
        if (!n->mrg)
            break;
    }
    if (room < need)
        return 0; /* the driver's buffers cannot hold it: dropped, buffers kept */
    h.num_buffers = (uint16_t)k;
    uint8_t raw[NET_HDR_LEN];
    net_hdr_encode(&h, raw);
    struct virtq *q = &n->vq[VIRTIO_NET_RXQ];
    size_t off = 0;
    for (unsigned i = 0; i < k; i++) {
        struct virtio_net_rx_chain *s = stash_at(n, 0);
        uint32_t w = (uint32_t)MIN((size_t)s->c.in_len, need - off);
        rx_fill(&s->c, raw, data, off, w);
        off += w;
        virtq_push(q, &s->c, w);
        stash_drop_front(n);
    }
    n->rx_dirty = true;
    return 1;
}

static void pending_drop_front(struct virtio_net *n)
{
    free(n->pending[n->pending_head].data);
    n->pending_head = (n->pending_head + 1) % VIRTIO_NET_RX_PENDING;
    n->pending_count--;
}

static void pending_add(struct virtio_net *n, const struct net_hdr *h, const uint8_t *data,
                        size_t len)
{
    uint8_t *copy = n->pending_count < VIRTIO_NET_RX_PENDING ? malloc(len) : NULL;
    if (!copy) {
        n->stats.rx_dropped++;
        return;
    }
    memcpy(copy, data, len);
    unsigned i = (n->pending_head + n->pending_count++) % VIRTIO_NET_RX_PENDING;
    n->pending[i] = (struct virtio_net_frame){ *h, copy, len };
}

static void pending_flush(struct virtio_net *n)
{
    while (n->pending_count && !virtio_dev_broken(&n->vdev)) {
        struct virtio_net_frame *f = &n->pending[n->pending_head];
        int rc = rx_put(n, &f->hdr, f->data, f->len);
        if (rc == -EAGAIN)
            return;
        n->stats.rx_frames += rc > 0;
        n->stats.rx_dropped += rc == 0;
        pending_drop_front(n);
    }
}

static void pending_clear(struct virtio_net *n)
{
    while (n->pending_count)
        pending_drop_front(n);
}

static bool sink_ready(void *ctx)
{
    struct virtio_net *n = ctx;
    if (!n->running || n->pending_count || virtio_dev_broken(&n->vdev))
        return false;
    struct virtq *q = &n->vq[VIRTIO_NET_RXQ];
    return n->stash_count || virtq_has_avail(q) || virtq_enable_kick(q);
}

static void sink_frame(void *ctx, const struct net_hdr *h, const uint8_t *data, size_t len)
{
    struct virtio_net *n = ctx;
    if (!n->running || virtio_dev_broken(&n->vdev) || len < NET_MIN_FRAME ||
        len > NET_MAX_FRAME) {
        n->stats.rx_dropped++;
        return;
    }
    if (n->pending_count) {
        pending_add(n, h, data, len);
        return;
    }
    int rc = rx_put(n, h, data, len);
    if (rc == -EAGAIN)
        pending_add(n, h, data, len);
    else if (rc > 0)
        n->stats.rx_frames++;
    else
        n->stats.rx_dropped++;
}

/* --- Transmit --- */

/* Whether the driver may send a frame with header h (offloads it
 * negotiated); h is cleaned of fields the backend must not see. */
static bool tx_header_ok(const struct virtio_net *n, struct net_hdr *h)
{
    h->flags &= NET_HDR_F_NEEDS_CSUM;
    h->num_buffers = 0;
    if (h->flags && !negotiated(n, VIRTIO_NET_F_CSUM))
        return false;
    if (!h->flags)
        h->csum_start = h->csum_offset = 0;
    uint8_t gso = h->gso_type & ~NET_HDR_GSO_ECN;
    if (gso == NET_HDR_GSO_NONE) {
        h->gso_type = 0;
        h->gso_size = h->hdr_len = 0;
        return true;
    }
    if (h->gso_type & NET_HDR_GSO_ECN && !negotiated(n, VIRTIO_NET_F_HOST_ECN))
        return false;
    if (gso == NET_HDR_GSO_TCPV4)
        return negotiated(n, VIRTIO_NET_F_HOST_TSO4) && h->gso_size;
    if (gso == NET_HDR_GSO_TCPV6)
        return negotiated(n, VIRTIO_NET_F_HOST_TSO6) && h->gso_size;
    return false;
}

/* Sends the frame of chain c (its readable part: header, then frame). */
static void tx_one(struct virtio_net *n, const struct virtq_chain *c)
{
    uint32_t flen = c->out_len - NET_HDR_LEN;
    uint8_t raw[NET_HDR_LEN];
    struct net_hdr h;
    if (c->out_len < NET_HDR_LEN || flen < NET_MIN_FRAME || flen > NET_MAX_FRAME ||
        virtq_chain_read(c, 0, raw, NET_HDR_LEN) != NET_HDR_LEN) {
        n->stats.tx_dropped++;
        return;
    }
    net_hdr_decode(&h, raw);
    if (!tx_header_ok(n, &h)) {
        n->stats.tx_dropped++;
        return;
    }
    /* The frame's segments: the readable iovecs past the header.
     * GUEST: each iovec is a guest buffer virtq_chain_add checked to lie in
     * guest RAM; skip < iov_len keeps the new base inside it. */
    unsigned cnt = 0;
    size_t skip = NET_HDR_LEN;
    for (unsigned i = 0; i < c->nout; i++) {
        const struct iovec *v = &c->iov[i];
        if (skip >= v->iov_len) {
            skip -= v->iov_len;
            continue;
        }
        n->tx_frame[cnt++] = (struct iovec){ (uint8_t *)v->iov_base + skip, v->iov_len - skip };
        skip = 0;
    }
    if (n->be->ops->send(n->be, &h, n->tx_frame, cnt) < 0)
        n->stats.tx_dropped++;
    else
        n->stats.tx_frames++;
}

/* Sends up to TX_BUDGET chains; true when more may be waiting. */
static bool tx_process(struct virtio_net *n)
{
    struct virtq *q = &n->vq[VIRTIO_NET_TXQ];
    struct virtq_chain c = { .iov = n->tx_iov, .max_iov = VIRTIO_NET_QUEUE_SIZE };
    for (unsigned done = 0; done < TX_BUDGET; done++) {
        if (virtio_dev_broken(&n->vdev))
            return false;
        int rc = virtq_pop(q, &c);
        if (rc < 0) {
            virtio_dev_fail(&n->vdev, VIRTIO_NET_TXQ, virtq_strerror(rc));
            return false;
        }
        if (rc == 0) {
            if (virtq_enable_kick(q))
                continue;
            return false;
        }
        tx_one(n, &c);
        virtq_push(q, &c, 0);
        n->tx_dirty = true;
    }
    return true;
}

/* --- Queue work and state --- */

static void flush_queue(struct virtio_net *n, unsigned qi, bool *dirty)
{
    if (!*dirty)
        return;
    *dirty = false;
    struct virtq *q = &n->vq[qi];
    virtq_publish(q);
    if (virtq_should_notify(q))
        virtio_dev_notify(&n->vdev, qi);
}

void virtio_net_work(struct virtio_net *n, uint64_t kicks)
{
    if (!n->running)
        return;
    if (kicks & (1ull << VIRTIO_NET_TXQ) && tx_process(n)) {
        if (n->threaded)
            net_loop_kick(&n->loop, VIRTIO_NET_TXQ); /* the rest next round */
    }
    pending_flush(n);
    flush_queue(n, VIRTIO_NET_TXQ, &n->tx_dirty);
    flush_queue(n, VIRTIO_NET_RXQ, &n->rx_dirty);
}

static void net_run_state(void *ctx, bool running)
{
    struct virtio_net *n = ctx;
    if (running) {
        n->mrg = negotiated(n, VIRTIO_NET_F_MRG_RXBUF);
        n->guest_csum = negotiated(n, VIRTIO_NET_F_GUEST_CSUM);
        n->guest_gso = (negotiated(n, VIRTIO_NET_F_GUEST_TSO4) ? NET_OFF_TSO4 : 0) |
                       (negotiated(n, VIRTIO_NET_F_GUEST_TSO6) ? NET_OFF_TSO6 : 0) |
                       (negotiated(n, VIRTIO_NET_F_GUEST_ECN) ? NET_OFF_ECN : 0);
        /* A GSO frame spans several mergeable buffers. On a packed ring
         * each used descriptor becomes visible as virtq_push writes it, so
         * a driver polling meanwhile could see a frame's first buffer (and
         * its num_buffers) before the others are written, and Linux then
         * drops the frame and misreads the rest. Without GSO a frame fits
         * one buffer of the size drivers post (1526 bytes and more); the
         * driver may always be sent plain frames. */
        if (n->vq[VIRTIO_NET_RXQ].packed && n->mrg)
            n->guest_gso = 0;
        int rc = n->be->ops->set_rx_offloads(n->be,
                                             n->guest_gso | (n->guest_csum ? NET_OFF_CSUM : 0));
        if (rc < 0) {
            log_warn("%s: cannot set the backend's receive offloads: %s", n->name,
                     strerror(-rc));
            n->guest_csum = false;
            n->guest_gso = 0;
        }
    } else {
        /* Taken chains are simply forgotten: the driver reset the queues. */
        n->stash_head = n->stash_count = 0;
        pending_clear(n);
        n->rx_dirty = n->tx_dirty = false;
    }
    n->running = running;
}

static void net_queue_notify(struct virtio_dev *d, unsigned q)
{
    struct virtio_net *n = d->opaque;
    if (n->threaded)
        net_loop_kick(&n->loop, q);
    else
        virtio_net_work(n, 1ull << q);
}

static int net_activate(struct virtio_dev *d)
{
    struct virtio_net *n = d->opaque;
    if (n->threaded)
        net_loop_activate(&n->loop);
    else
        net_run_state(n, true);
    return 0;
}

static void net_reset(struct virtio_dev *d)
{
    struct virtio_net *n = d->opaque;
    if (n->threaded)
        net_loop_quiesce(&n->loop);
    else
        net_run_state(n, false);
}

static const struct virtio_dev_ops net_ops = {
    .queue_notify = net_queue_notify,
    .activate = net_activate,
    .reset = net_reset,
};

static void loop_work(void *ctx, uint64_t kicks)
{
    virtio_net_work(ctx, kicks);
}

/* The features offered: the fixed set plus the backend's offloads. */
static uint64_t net_features(const struct net_backend *be)
{
    uint64_t f = VIRTIO_DEV_COMMON_FEATURES | VIRTIO_BIT(VIRTIO_NET_F_MAC) |
                 VIRTIO_BIT(VIRTIO_NET_F_STATUS) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF);
    /* Section 5.1.3.1: TSO needs the checksum feature, ECN needs TSO. */
    if (be->tx_offloads & NET_OFF_CSUM) {
        f |= VIRTIO_BIT(VIRTIO_NET_F_CSUM);
        if (be->tx_offloads & NET_OFF_TSO4)
            f |= VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4);
        if (be->tx_offloads & NET_OFF_TSO6)
            f |= VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6);
        if (be->tx_offloads & NET_OFF_ECN && be->tx_offloads & (NET_OFF_TSO4 | NET_OFF_TSO6))
            f |= VIRTIO_BIT(VIRTIO_NET_F_HOST_ECN);
    }
    if (be->rx_offloads & NET_OFF_CSUM) {
        f |= VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM);
        if (be->rx_offloads & NET_OFF_TSO4)
            f |= VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4);
        if (be->rx_offloads & NET_OFF_TSO6)
            f |= VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6);
        if (be->rx_offloads & NET_OFF_ECN && be->rx_offloads & (NET_OFF_TSO4 | NET_OFF_TSO6))
            f |= VIRTIO_BIT(VIRTIO_NET_F_GUEST_ECN);
    }
    return f;
}

int virtio_net_init(struct virtio_net *n, const struct virtio_net_opts *o,
                    const struct guest_mem *mem)
{
    memset(n, 0, sizeof(*n));
    n->be = o->be;
    n->stash = calloc(VIRTIO_NET_QUEUE_SIZE, sizeof(*n->stash));
    if (!n->stash) {
        net_backend_destroy(n->be);
        n->be = NULL;
        return -ENOMEM;
    }
    snprintf(n->name, sizeof(n->name), "virtio-net %s", o->name);
    memcpy(n->config + VIRTIO_NET_CFG_MAC, o->mac, 6);
    put_le16(n->config + VIRTIO_NET_CFG_STATUS, VIRTIO_NET_S_LINK_UP);
    put_le16(n->config + VIRTIO_NET_CFG_MAX_VQ_PAIRS, 1);
    virtio_dev_init(&n->vdev, n->name, VIRTIO_ID_NET, net_features(n->be), n->vq, 2,
                    VIRTIO_NET_QUEUE_SIZE, n->config, sizeof(n->config), &net_ops, n, mem);
    n->be->sink = (struct net_rx_sink){ sink_ready, sink_frame, n };
    if (o->no_thread)
        return 0;
    struct net_loop_client client = { loop_work, net_run_state, n };
    int rc = net_loop_start(&n->loop, n->name, n->be, &client);
    if (rc) {
        virtio_net_destroy(n);
        return rc;
    }
    n->threaded = true;
    return 0;
}

void virtio_net_destroy(struct virtio_net *n)
{
    if (n->threaded)
        net_loop_stop(&n->loop);
    n->threaded = false;
    log_debug("%s: sent %llu frames (%llu dropped), received %llu (%llu dropped)", n->name,
              (unsigned long long)n->stats.tx_frames, (unsigned long long)n->stats.tx_dropped,
              (unsigned long long)n->stats.rx_frames, (unsigned long long)n->stats.rx_dropped);
    pending_clear(n);
    free(n->stash);
    n->stash = NULL;
    net_backend_destroy(n->be);
    n->be = NULL;
}
