/* virtio-net against a fake backend: transmit with the header stripped and
 * described, receive into mergeable and single buffers, too-small buffers,
 * frames waiting for buffers, offload negotiation, hostile chains, and a
 * reset that stops the I/O thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "devices/virtio/virtio_net.h"
#include "virtio/virtq_driver.h"

/* --- A fake backend: records what is sent --- */

#define FAKE_MAX 8

struct fake_be {
    struct net_backend be;
    unsigned nsent;
    struct net_hdr hdr[FAKE_MAX];
    uint8_t frame[FAKE_MAX][2048];
    size_t len[FAKE_MAX];
    unsigned rx_offloads_set;
    bool destroyed;
};

static int fake_send(struct net_backend *b, const struct net_hdr *h, const struct iovec *iov,
                     unsigned n)
{
    struct fake_be *f = (struct fake_be *)b;
    unsigned i = __atomic_load_n(&f->nsent, __ATOMIC_RELAXED);
    if (i == FAKE_MAX)
        return -ENOBUFS;
    size_t len = 0;
    for (unsigned k = 0; k < n; k++) {
        size_t take = MIN(iov[k].iov_len, sizeof(f->frame[i]) - len);
        memcpy(f->frame[i] + len, iov[k].iov_base, take);
        len += iov[k].iov_len;
    }
    f->hdr[i] = *h;
    f->len[i] = len;
    __atomic_store_n(&f->nsent, i + 1, __ATOMIC_RELEASE);
    return 0;
}

static int fake_set_rx_offloads(struct net_backend *b, unsigned offloads)
{
    ((struct fake_be *)b)->rx_offloads_set = offloads;
    return 0;
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
    ((struct fake_be *)b)->destroyed = true;
}

static const struct net_backend_ops fake_ops = {
    fake_send, fake_set_rx_offloads, fake_prepare, fake_dispatch, fake_destroy,
};

/* --- Fixture: a driver with RX and TX queues in test guest RAM --- */

struct fx {
    struct vdrv_mem m;
    struct vdrv_queue rx, tx;
    struct fake_be be;
    struct virtio_net n;
    uint64_t buf;  /* scratch guest buffers */
};

static const uint8_t MAC[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };

#define BASE_FEATURES (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | \
                       VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_NET_F_MAC))
#define MRG VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF)

static void fx_start(struct fx *f, uint64_t features, bool packed)
{
    struct virtio_dev *d = &f->n.vdev;
    if (packed)
        features |= VIRTIO_BIT(VIRTIO_F_RING_PACKED);
    virtio_dev_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    virtio_dev_set_driver_features(d, 0, (uint32_t)(features & d->host_features));
    virtio_dev_set_driver_features(d, 1, (uint32_t)((features & d->host_features) >> 32));
    virtio_dev_set_status(d, virtio_dev_status(d) | VIRTIO_STATUS_FEATURES_OK);
    assert_true(virtio_dev_status(d) & VIRTIO_STATUS_FEATURES_OK);
    vdrv_queue_init(&f->rx, &f->m, 16, packed);
    vdrv_queue_init(&f->tx, &f->m, 16, packed);
    vdrv_queue_config(&f->rx, virtio_dev_queue_cfg(d, VIRTIO_NET_RXQ));
    vdrv_queue_config(&f->tx, virtio_dev_queue_cfg(d, VIRTIO_NET_TXQ));
    virtio_dev_set_status(d, virtio_dev_status(d) | VIRTIO_STATUS_DRIVER_OK);
    assert_true(virtio_dev_status(d) & VIRTIO_STATUS_DRIVER_OK);
}

static void fx_init(struct fx *f, unsigned tx_off, unsigned rx_off, uint64_t features,
                    bool packed, bool thread)
{
    memset(f, 0, sizeof(*f));
    vdrv_mem_init(&f->m, 1 << 20);
    f->be.be = (struct net_backend){ .ops = &fake_ops, .tx_offloads = tx_off,
                                     .rx_offloads = rx_off };
    struct virtio_net_opts o = { .name = "eth9", .be = &f->be.be, .no_thread = !thread };
    memcpy(o.mac, MAC, 6);
    assert_int_equal(virtio_net_init(&f->n, &o, &f->m.gm), 0);
    f->buf = vdrv_alloc(&f->m, 256 << 10, 4096);
    fx_start(f, features, packed);
}

static void fx_free(struct fx *f)
{
    virtio_net_destroy(&f->n);
    assert_true(f->be.destroyed);
    vdrv_mem_free(&f->m);
}

static uint8_t *host(struct fx *f, uint64_t off)
{
    return vdrv_host(&f->m, f->buf + off);
}

/* A test frame of len bytes: broadcast Ethernet header, then a pattern. */
static void make_frame(uint8_t *p, size_t len, uint8_t seed)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(i * 13 + seed);
    memset(p, 0xff, 6);
}

static void put_hdr(uint8_t *p, uint8_t flags, uint8_t gso, uint16_t gso_size)
{
    struct net_hdr h = { .flags = flags, .gso_type = gso, .gso_size = gso_size,
                         .csum_start = 34, .csum_offset = 16, .hdr_len = 54 };
    net_hdr_encode(&h, p);
}

static bool used(struct vdrv_queue *q, uint32_t *id, uint32_t *len)
{
    return vdrv_used(q, id, len);
}

/* --- Tests --- */

static void test_config_and_features(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f, 0, 0, BASE_FEATURES | MRG, false, false);
    struct virtio_dev *d = &f.n.vdev;
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(virtio_dev_config_read(d, VIRTIO_NET_CFG_MAC + i, 1), MAC[i]);
    assert_int_equal(virtio_dev_config_read(d, VIRTIO_NET_CFG_STATUS, 2), VIRTIO_NET_S_LINK_UP);
    uint64_t hf = d->host_features;
    assert_true(hf & VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF));
    assert_true(hf & VIRTIO_BIT(VIRTIO_NET_F_STATUS));
    assert_false(hf & VIRTIO_BIT(VIRTIO_NET_F_CSUM));   /* the backend takes no offloads */
    assert_false(hf & VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM));
    assert_false(hf & VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4));
    fx_free(&f);

    unsigned all = NET_OFF_CSUM | NET_OFF_TSO4 | NET_OFF_TSO6 | NET_OFF_ECN;
    fx_init(&f, all, NET_OFF_CSUM | NET_OFF_TSO4,
            BASE_FEATURES | VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) |
                VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6),
            false, false);
    hf = f.n.vdev.host_features;
    assert_true(hf & VIRTIO_BIT(VIRTIO_NET_F_CSUM));
    assert_true(hf & VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6));
    assert_true(hf & VIRTIO_BIT(VIRTIO_NET_F_HOST_ECN));
    assert_true(hf & VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4));
    assert_false(hf & VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6));
    /* Activation enabled on the backend what the driver accepted. */
    assert_int_equal(f.be.rx_offloads_set, NET_OFF_CSUM | NET_OFF_TSO4);
    fx_free(&f);
}

static void test_tx_strips_header(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f, NET_OFF_CSUM, 0, BASE_FEATURES | VIRTIO_BIT(VIRTIO_NET_F_CSUM), false, false);
    /* Header and frame split oddly over three descriptors. */
    uint8_t all[NET_HDR_LEN + 100];
    put_hdr(all, NET_HDR_F_NEEDS_CSUM | NET_HDR_F_DATA_VALID, 0, 0);
    put_le16(all + 10, 7); /* num_buffers: meaningless on transmit */
    make_frame(all + NET_HDR_LEN, 100, 1);
    memcpy(host(&f, 0), all, 5);
    memcpy(host(&f, 1000), all + 5, 40);
    memcpy(host(&f, 2000), all + 45, sizeof(all) - 45);
    struct vdrv_buf b[3] = { { f.buf, 5, false }, { f.buf + 1000, 40, false },
                             { f.buf + 2000, sizeof(all) - 45, false } };
    vdrv_add(&f.tx, b, 3, false, 0);
    virtio_dev_queue_notify(&f.n.vdev, VIRTIO_NET_TXQ);
    assert_int_equal(f.be.nsent, 1);
    assert_int_equal(f.be.len[0], 100);
    assert_memory_equal(f.be.frame[0], all + NET_HDR_LEN, 100);
    assert_int_equal(f.be.hdr[0].flags, NET_HDR_F_NEEDS_CSUM);
    assert_int_equal(f.be.hdr[0].csum_start, 34);
    assert_int_equal(f.be.hdr[0].num_buffers, 0);
    uint32_t id, len;
    assert_true(used(&f.tx, &id, &len));
    assert_int_equal(len, 0);
    assert_int_equal(f.n.stats.tx_frames, 1);
    fx_free(&f);
}

static void test_tx_refuses_bad_frames(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f, NET_OFF_CSUM, 0, BASE_FEATURES, true, false); /* CSUM not negotiated */
    uint32_t id, len;
    /* Shorter than the header + an Ethernet header. */
    struct vdrv_buf small = { f.buf, NET_HDR_LEN + 10, false };
    vdrv_add(&f.tx, &small, 1, false, 1);
    /* Larger than the largest frame. */
    struct vdrv_buf big = { f.buf, NET_HDR_LEN + NET_MAX_FRAME + 1, false };
    vdrv_add(&f.tx, &big, 1, false, 2);
    /* A partial checksum the driver did not negotiate. */
    put_hdr(host(&f, 100000), NET_HDR_F_NEEDS_CSUM, 0, 0);
    struct vdrv_buf csum = { f.buf + 100000, NET_HDR_LEN + 60, false };
    vdrv_add(&f.tx, &csum, 1, false, 3);
    /* A GSO frame without HOST_TSO4. */
    put_hdr(host(&f, 110000), 0, NET_HDR_GSO_TCPV4, 1448);
    struct vdrv_buf gso = { f.buf + 110000, NET_HDR_LEN + 2000, false };
    vdrv_add(&f.tx, &gso, 1, false, 4);
    /* Only writable buffers: no header at all. */
    struct vdrv_buf wr = { f.buf + 120000, 100, true };
    vdrv_add(&f.tx, &wr, 1, false, 5);
    virtio_dev_queue_notify(&f.n.vdev, VIRTIO_NET_TXQ);
    assert_int_equal(f.be.nsent, 0);
    for (unsigned i = 1; i <= 5; i++) {
        assert_true(used(&f.tx, &id, &len)); /* every chain is given back */
        assert_int_equal(id, i);
        assert_int_equal(len, 0);
    }
    assert_int_equal(f.n.stats.tx_dropped, 5);
    assert_false(virtio_dev_broken(&f.n.vdev));
    fx_free(&f);
}

/* Posts n receive chains of size bytes each at buf offsets 0, 4096, ... */
static void post_rx(struct fx *f, unsigned n, uint32_t size, uint64_t first_off)
{
    for (unsigned i = 0; i < n; i++) {
        struct vdrv_buf b = { f->buf + first_off + i * 4096ull, size, true };
        vdrv_add(&f->rx, &b, 1, false, (uint16_t)i);
    }
    virtio_dev_queue_notify(&f->n.vdev, VIRTIO_NET_RXQ);
}

static void deliver(struct fx *f, const struct net_hdr *h, const uint8_t *data, size_t len)
{
    f->n.be->sink.frame(f->n.be->sink.ctx, h, data, len);
    virtio_net_work(&f->n, 0);
}

static void rx_mergeable(bool packed)
{
    struct fx f;
    fx_init(&f, 0, NET_OFF_CSUM, BASE_FEATURES | MRG | VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM),
            packed, false);
    post_rx(&f, 4, 1000, 0);
    static uint8_t frame[2500];
    make_frame(frame, sizeof(frame), 3);
    struct net_hdr h = { .flags = NET_HDR_F_DATA_VALID };
    deliver(&f, &h, frame, sizeof(frame));
    uint32_t id, len, lens[3];
    for (unsigned i = 0; i < 3; i++) {
        assert_true(used(&f.rx, &id, &lens[i]));
        assert_int_equal(id, i);
    }
    assert_false(used(&f.rx, &id, &len));
    assert_int_equal(lens[0], 1000);
    assert_int_equal(lens[1], 1000);
    assert_int_equal(lens[2], NET_HDR_LEN + 2500 - 2000);
    struct net_hdr got;
    net_hdr_decode(&got, host(&f, 0));
    assert_int_equal(got.num_buffers, 3);
    assert_int_equal(got.flags, NET_HDR_F_DATA_VALID);
    assert_int_equal(got.gso_type, NET_HDR_GSO_NONE);
    assert_memory_equal(host(&f, NET_HDR_LEN), frame, 1000 - NET_HDR_LEN);
    assert_memory_equal(host(&f, 4096), frame + 988, 1000);
    assert_memory_equal(host(&f, 8192), frame + 1988, 512);
    /* The fourth buffer takes the next frame. */
    deliver(&f, &h, frame, 60);
    assert_true(used(&f.rx, &id, &len));
    assert_int_equal(id, 3);
    assert_int_equal(len, NET_HDR_LEN + 60);
    assert_int_equal(f.n.stats.rx_frames, 2);
    fx_free(&f);
}

static void test_rx_mergeable_split(void **s)
{
    (void)s;
    rx_mergeable(false);
}

static void test_rx_mergeable_packed(void **s)
{
    (void)s;
    rx_mergeable(true);
}

static void test_rx_without_mergeable_buffers(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f, 0, 0, BASE_FEATURES, false, false);
    post_rx(&f, 1, 100, 0);
    static uint8_t frame[200];
    make_frame(frame, sizeof(frame), 5);
    /* DATA_VALID without GUEST_CSUM is not passed on. */
    struct net_hdr h = { .flags = NET_HDR_F_DATA_VALID };
    deliver(&f, &h, frame, 200); /* too big for the one buffer: dropped */
    uint32_t id, len;
    assert_false(used(&f.rx, &id, &len));
    assert_int_equal(f.n.stats.rx_dropped, 1);
    deliver(&f, &h, frame, 60); /* the same buffer takes a frame that fits */
    assert_true(used(&f.rx, &id, &len));
    assert_int_equal(len, NET_HDR_LEN + 60);
    struct net_hdr got;
    net_hdr_decode(&got, host(&f, 0));
    assert_int_equal(got.num_buffers, 1);
    assert_int_equal(got.flags, 0);
    assert_memory_equal(host(&f, NET_HDR_LEN), frame, 60);
    /* Offloads the driver did not accept: dropped, never delivered raw. */
    post_rx(&f, 1, 2048, 8192);
    struct net_hdr gso = { .gso_type = NET_HDR_GSO_TCPV4, .gso_size = 1448 };
    deliver(&f, &gso, frame, 200);
    struct net_hdr partial = { .flags = NET_HDR_F_NEEDS_CSUM };
    deliver(&f, &partial, frame, 200);
    assert_false(used(&f.rx, &id, &len));
    assert_int_equal(f.n.stats.rx_dropped, 3);
    fx_free(&f);
}

static void test_rx_waits_for_buffers(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f, 0, 0, BASE_FEATURES | MRG, false, false);
    static uint8_t frame[1500];
    make_frame(frame, sizeof(frame), 9);
    struct net_hdr h = { 0 };
    assert_false(f.n.be->sink.ready(f.n.be->sink.ctx));
    for (unsigned i = 0; i < VIRTIO_NET_RX_PENDING + 3; i++)
        deliver(&f, &h, frame, 100 + i);
    assert_int_equal(f.n.pending_count, VIRTIO_NET_RX_PENDING);
    assert_int_equal(f.n.stats.rx_dropped, 3); /* the queue of waiting frames is bounded */
    post_rx(&f, 4, 2048, 0);                    /* the RX notification delivers the first four */
    uint32_t id, len;
    for (unsigned i = 0; i < 4; i++) {
        assert_true(used(&f.rx, &id, &len));
        assert_int_equal(len, NET_HDR_LEN + 100 + i);
    }
    assert_int_equal(f.n.pending_count, VIRTIO_NET_RX_PENDING - 4);
    fx_free(&f);
}

static void test_rx_hostile_buffers(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f, 0, 0, BASE_FEATURES | MRG, false, false);
    /* A chain with only a readable buffer, one smaller than the header:
     * given back empty; then one of 20 bytes and one of 30 bytes (a
     * mergeable frame spread over tiny buffers, as the driver asked). */
    struct vdrv_buf ro = { f.buf, 64, false };
    vdrv_add(&f.rx, &ro, 1, false, 0);
    struct vdrv_buf tiny = { f.buf + 100, 4, true };
    vdrv_add(&f.rx, &tiny, 1, false, 1);
    struct vdrv_buf a = { f.buf + 200, 20, true }, b = { f.buf + 300, 30, true };
    vdrv_add(&f.rx, &a, 1, false, 2);
    vdrv_add(&f.rx, &b, 1, false, 3);
    virtio_dev_queue_notify(&f.n.vdev, VIRTIO_NET_RXQ);
    static uint8_t frame[38];
    make_frame(frame, sizeof(frame), 11);
    struct net_hdr h = { 0 };
    deliver(&f, &h, frame, sizeof(frame));
    uint32_t id, len;
    assert_true(used(&f.rx, &id, &len));
    assert_int_equal(id, 0);
    assert_int_equal(len, 0);
    assert_true(used(&f.rx, &id, &len));
    assert_int_equal(id, 1);
    assert_int_equal(len, 0);
    assert_true(used(&f.rx, &id, &len));
    assert_int_equal(len, 20);
    assert_true(used(&f.rx, &id, &len));
    assert_int_equal(len, 30);
    assert_memory_equal(host(&f, 200 + NET_HDR_LEN), frame, 8);
    assert_memory_equal(host(&f, 300), frame + 8, 30);
    assert_memory_equal(host(&f, 0), (uint8_t[64]){ 0 }, 64); /* readable: untouched */
    /* A frame no number of the queue's 16 buffers could hold is dropped,
     * and the buffers stay for later frames. */
    for (unsigned i = 0; i < 16; i++) {
        struct vdrv_buf t = { f.buf + 1000 + 64 * i, 16, true };
        vdrv_add(&f.rx, &t, 1, false, (uint16_t)(10 + i));
    }
    virtio_dev_queue_notify(&f.n.vdev, VIRTIO_NET_RXQ);
    static uint8_t big[1000];
    deliver(&f, &h, big, sizeof(big));
    assert_false(used(&f.rx, &id, &len));
    assert_int_equal(f.n.pending_count, 0);
    deliver(&f, &h, frame, 20); /* 32 bytes: two buffers */
    assert_true(used(&f.rx, &id, &len));
    assert_int_equal(len, 16);
    assert_false(virtio_dev_broken(&f.n.vdev));
    fx_free(&f);
}

static void test_broken_ring_needs_reset(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f, 0, 0, BASE_FEATURES, false, false);
    /* A descriptor that points at itself: a loop. */
    vdrv_split_desc(&f.tx, 0, f.buf, 100, VIRTQ_DESC_F_NEXT, 0);
    vdrv_split_avail(&f.tx, 0);
    virtio_dev_queue_notify(&f.n.vdev, VIRTIO_NET_TXQ);
    assert_true(virtio_dev_broken(&f.n.vdev));
    assert_true(virtio_dev_status(&f.n.vdev) & VIRTIO_STATUS_NEEDS_RESET);
    assert_int_equal(f.be.nsent, 0);
    fx_free(&f);
}

static bool wait_sent(struct fx *f, unsigned n)
{
    for (int i = 0; i < 5000; i++) {
        if (__atomic_load_n(&f->be.nsent, __ATOMIC_ACQUIRE) >= n)
            return true;
        nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
    }
    return false;
}

static void test_thread_and_reset(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f, 0, 0, BASE_FEATURES | MRG, false, true);
    make_frame(host(&f, NET_HDR_LEN), 64, 2);
    struct vdrv_buf b = { f.buf, NET_HDR_LEN + 64, false };
    vdrv_add(&f.tx, &b, 1, false, 0);
    virtio_dev_queue_notify(&f.n.vdev, VIRTIO_NET_TXQ);
    assert_true(wait_sent(&f, 1));
    /* Reset with work in the ring: once it returns nothing more is sent. */
    for (int i = 0; i < 4; i++)
        vdrv_add(&f.tx, &b, 1, false, 0);
    virtio_dev_reset(&f.n.vdev);
    unsigned after = __atomic_load_n(&f.be.nsent, __ATOMIC_ACQUIRE);
    assert_false(f.n.running);
    nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
    assert_int_equal(__atomic_load_n(&f.be.nsent, __ATOMIC_ACQUIRE), after);
    /* The driver sets the device up again and uses it. */
    fx_start(&f, BASE_FEATURES | MRG, true);
    vdrv_add(&f.tx, &b, 1, false, 0);
    virtio_dev_queue_notify(&f.n.vdev, VIRTIO_NET_TXQ);
    assert_true(wait_sent(&f, after + 1));
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_and_features),
        cmocka_unit_test(test_tx_strips_header),
        cmocka_unit_test(test_tx_refuses_bad_frames),
        cmocka_unit_test(test_rx_mergeable_split),
        cmocka_unit_test(test_rx_mergeable_packed),
        cmocka_unit_test(test_rx_without_mergeable_buffers),
        cmocka_unit_test(test_rx_waits_for_buffers),
        cmocka_unit_test(test_rx_hostile_buffers),
        cmocka_unit_test(test_broken_ring_needs_reset),
        cmocka_unit_test(test_thread_and_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
