/* The virtqueue walker against well-formed and hostile rings, split and
 * packed, driven through the guest-side driver in virtq_driver.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/util.h"
#include "devices/virtio/virtio_dev.h"
#include "devices/virtio/virtq.h"
#include "virtio/virtq_driver.h"

#define RAM (1u << 20)
#define FEATURES (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | \
                  VIRTIO_BIT(VIRTIO_F_EVENT_IDX))

struct fx {
    struct vdrv_mem m;
    struct vdrv_queue d;
    struct virtq q;
    struct iovec iov[64];
    struct virtq_chain c;
    uint64_t buf; /* 64 KiB of buffers */
};

static void fx_init(struct fx *f, uint16_t size, bool packed, uint64_t features)
{
    memset(f, 0, sizeof(*f));
    vdrv_mem_init(&f->m, RAM);
    vdrv_queue_init(&f->d, &f->m, size, packed);
    f->q.max_size = 256;
    virtq_reset(&f->q);
    vdrv_queue_config(&f->d, &f->q);
    f->c = (struct virtq_chain){ .iov = f->iov, .max_iov = 64 };
    f->buf = vdrv_alloc(&f->m, 65536, 16);
    if (packed)
        features |= VIRTIO_BIT(VIRTIO_F_RING_PACKED);
    assert_int_equal(virtq_activate(&f->q, &f->m.gm, features), 0);
}

static void fx_free(struct fx *f)
{
    vdrv_mem_free(&f->m);
}

static int pop(struct fx *f)
{
    return virtq_pop(&f->q, &f->c);
}

/* --- Well-formed chains --- */

static void check_request_roundtrip(bool packed, bool indirect)
{
    struct fx f;
    fx_init(&f, 16, packed, FEATURES);
    const struct vdrv_buf b[3] = {
        { f.buf, 16, false }, { f.buf + 16, 512, false }, { f.buf + 1024, 1, true },
    };
    memset(vdrv_host(&f.m, f.buf), 0xab, 16);
    int id = vdrv_add(&f.d, b, 3, indirect, 7);
    assert_int_equal(pop(&f), 1);
    assert_int_equal(f.c.id, id);
    assert_int_equal(f.c.nout, 2);
    assert_int_equal(f.c.nin, 1);
    assert_int_equal(f.c.out_len, 528);
    assert_int_equal(f.c.in_len, 1);
    assert_ptr_equal(f.iov[0].iov_base, vdrv_host(&f.m, f.buf));
    assert_ptr_equal(f.iov[2].iov_base, vdrv_host(&f.m, f.buf + 1024));
    uint8_t hdr[16];
    assert_int_equal(virtq_chain_read(&f.c, 0, hdr, 16), 16);
    assert_int_equal(hdr[15], 0xab);
    uint8_t st = 0x5a;
    assert_int_equal(virtq_chain_write(&f.c, 0, &st, 1), 1);
    assert_int_equal(*(uint8_t *)vdrv_host(&f.m, f.buf + 1024), 0x5a);
    virtq_push(&f.q, &f.c, 1);
    virtq_publish(&f.q);
    assert_int_equal(pop(&f), 0);
    uint32_t uid, len;
    assert_true(vdrv_used(&f.d, &uid, &len));
    assert_int_equal(uid, (uint32_t)id);
    assert_int_equal(len, 1);
    assert_false(vdrv_used(&f.d, &uid, &len));
    fx_free(&f);
}

static void test_split_chain(void **s) { (void)s; check_request_roundtrip(false, false); }
static void test_split_indirect_chain(void **s) { (void)s; check_request_roundtrip(false, true); }
static void test_packed_chain(void **s) { (void)s; check_request_roundtrip(true, false); }
static void test_packed_indirect_chain(void **s) { (void)s; check_request_roundtrip(true, true); }

/* Many round trips through a small ring: indices and wrap counters wrap. */
static void check_wraparound(bool packed, uint16_t size)
{
    struct fx f;
    fx_init(&f, size, packed, FEATURES);
    for (unsigned i = 0; i < 3u * size + 1; i++) {
        const struct vdrv_buf b[2] = { { f.buf, 8, false }, { f.buf + 64, 8, true } };
        int id = vdrv_add(&f.d, b, 2, false, (uint16_t)i);
        assert_int_equal(pop(&f), 1);
        assert_int_equal(f.c.id, id);
        assert_int_equal(f.c.nout + f.c.nin, 2);
        virtq_push(&f.q, &f.c, (uint32_t)i);
        virtq_publish(&f.q);
        uint32_t uid, len;
        assert_true(vdrv_used(&f.d, &uid, &len));
        assert_int_equal(uid, (uint32_t)id);
        assert_int_equal(len, i);
    }
    fx_free(&f);
}

static void test_split_wraps(void **s) { (void)s; check_wraparound(false, 4); }
static void test_packed_wraps(void **s) { (void)s; check_wraparound(true, 5); }

static void test_zero_length_descriptors_are_skipped(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f, 8, false, FEATURES);
    vdrv_split_desc(&f.d, 0, 0xdead0000, 0, VIRTQ_DESC_F_NEXT, 1); /* not RAM, but empty */
    vdrv_split_desc(&f.d, 1, f.buf, 8, VIRTQ_DESC_F_WRITE, 0);
    vdrv_split_avail(&f.d, 0);
    assert_int_equal(pop(&f), 1);
    assert_int_equal(f.c.nout, 0);
    assert_int_equal(f.c.nin, 1);
    assert_int_equal(f.c.in_len, 8);
    fx_free(&f);
}

/* --- Hostile split rings --- */

static void test_split_descriptor_loop(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f, 8, false, FEATURES);
    vdrv_split_desc(&f.d, 0, f.buf, 8, VIRTQ_DESC_F_NEXT, 1);
    vdrv_split_desc(&f.d, 1, f.buf, 8, VIRTQ_DESC_F_NEXT, 0);
    vdrv_split_avail(&f.d, 0);
    assert_int_equal(pop(&f), -VIRTQ_E_LOOP);
    fx_free(&f);
}

static void test_split_self_loop(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f, 256, false, FEATURES);
    vdrv_split_desc(&f.d, 3, f.buf, 0, VIRTQ_DESC_F_NEXT, 3); /* empty buffers: no iovecs */
    vdrv_split_avail(&f.d, 3);
    assert_int_equal(pop(&f), -VIRTQ_E_LOOP);
    /* With real buffers the device's iovec array (64) runs out first. */
    vdrv_split_desc(&f.d, 3, f.buf, 8, VIRTQ_DESC_F_NEXT, 3);
    vdrv_split_avail(&f.d, 3);
    assert_int_equal(pop(&f), -VIRTQ_E_TOO_MANY);
    fx_free(&f);
}

static void test_split_addresses_outside_ram(void **s)
{
    (void)s;
    const uint64_t bad[][2] = {
        { RAM, 1 },                  /* just past the end */
        { RAM - 4, 8 },              /* crosses the end */
        { UINT64_MAX - 3, 8 },       /* wraps */
        { 0x100000000ull, 16 },      /* far away */
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct fx f;
        fx_init(&f, 8, false, FEATURES);
        vdrv_split_desc(&f.d, 0, bad[i][0], (uint32_t)bad[i][1], 0, 0);
        vdrv_split_avail(&f.d, 0);
        assert_int_equal(pop(&f), -VIRTQ_E_ADDR);
        fx_free(&f);
    }
}

static void test_split_head_and_next_out_of_range(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f, 8, false, FEATURES);
    vdrv_split_avail(&f.d, 8);
    assert_int_equal(pop(&f), -VIRTQ_E_HEAD);
    fx_free(&f);

    fx_init(&f, 8, false, FEATURES);
    vdrv_split_desc(&f.d, 0, f.buf, 8, VIRTQ_DESC_F_NEXT, 0xffff);
    vdrv_split_avail(&f.d, 0);
    assert_int_equal(pop(&f), -VIRTQ_E_NEXT);
    fx_free(&f);
}

static void test_split_avail_idx_racing_ahead(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f, 8, false, FEATURES);
    for (unsigned i = 0; i < 8; i++)
        vdrv_split_desc(&f.d, i, f.buf, 8, 0, 0);
    vdrv_split_set_avail_idx(&f.d, 8); /* exactly a full ring: fine */
    for (unsigned i = 0; i < 8; i++)
        assert_int_equal(pop(&f), 1);
    assert_int_equal(pop(&f), 0);
    vdrv_split_set_avail_idx(&f.d, 8 + 9); /* nine more than the ring holds */
    assert_int_equal(pop(&f), -VIRTQ_E_AVAIL_IDX);
    fx_free(&f);

    fx_init(&f, 8, false, FEATURES);
    vdrv_split_set_avail_idx(&f.d, 0xfff0); /* huge jump from 0 */
    assert_int_equal(pop(&f), -VIRTQ_E_AVAIL_IDX);
    fx_free(&f);
}

static void test_split_bad_indirect_tables(void **s)
{
    (void)s;
    struct {
        uint32_t len;
        uint16_t flags;
        bool nested;
        int err;
    } cases[] = {
        { 24, VIRTQ_DESC_F_INDIRECT, false, -VIRTQ_E_INDIRECT },              /* not 16*n */
        { 0, VIRTQ_DESC_F_INDIRECT, false, -VIRTQ_E_INDIRECT },               /* empty */
        { 16 * 9, VIRTQ_DESC_F_INDIRECT, false, -VIRTQ_E_INDIRECT },          /* > size */
        { 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, false, -VIRTQ_E_INDIRECT },
        { 32, VIRTQ_DESC_F_INDIRECT, true, -VIRTQ_E_INDIRECT },               /* nested */
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct fx f;
        fx_init(&f, 8, false, FEATURES);
        uint64_t t = vdrv_alloc(&f.m, 16 * 16, 16);
        uint8_t *p = vdrv_host(&f.m, t);
        put_le64(p, f.buf);
        put_le32(p + 8, 8);
        put_le16(p + 12, cases[i].nested ? VIRTQ_DESC_F_INDIRECT : 0);
        vdrv_split_desc(&f.d, 0, t, cases[i].len, cases[i].flags, 1);
        vdrv_split_avail(&f.d, 0);
        assert_int_equal(pop(&f), cases[i].err);
        fx_free(&f);
    }
}

static void test_split_indirect_table_outside_ram_or_not_negotiated(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f, 8, false, FEATURES);
    vdrv_split_desc(&f.d, 0, RAM - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
    vdrv_split_avail(&f.d, 0);
    assert_int_equal(pop(&f), -VIRTQ_E_INDIRECT);
    fx_free(&f);

    fx_init(&f, 8, false, VIRTIO_BIT(VIRTIO_F_VERSION_1));
    const struct vdrv_buf b = { f.buf, 8, false };
    vdrv_add(&f.d, &b, 1, true, 0);
    assert_int_equal(pop(&f), -VIRTQ_E_INDIRECT);
    fx_free(&f);
}

static void test_split_indirect_loop_and_next(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f, 8, false, FEATURES);
    uint64_t t = vdrv_alloc(&f.m, 32, 16);
    uint8_t *p = vdrv_host(&f.m, t);
    put_le64(p, f.buf), put_le32(p + 8, 8);
    put_le16(p + 12, VIRTQ_DESC_F_NEXT), put_le16(p + 14, 1);
    put_le64(p + 16, f.buf), put_le32(p + 24, 8), put_le16(p + 28, VIRTQ_DESC_F_NEXT);
    put_le16(p + 30, 0); /* back to entry 0 */
    vdrv_split_desc(&f.d, 0, t, 32, VIRTQ_DESC_F_INDIRECT, 0);
    vdrv_split_avail(&f.d, 0);
    assert_int_equal(pop(&f), -VIRTQ_E_LOOP);
    put_le16(p + 30, 2); /* past the table's end */
    vdrv_split_avail(&f.d, 0);
    assert_int_equal(pop(&f), -VIRTQ_E_NEXT);
    fx_free(&f);
}

static void test_readable_after_writable_and_readonly_writes(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f, 8, false, FEATURES);
    vdrv_split_desc(&f.d, 0, f.buf, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    vdrv_split_desc(&f.d, 1, f.buf + 8, 8, 0, 0);
    vdrv_split_avail(&f.d, 0);
    assert_int_equal(pop(&f), -VIRTQ_E_ORDER);
    fx_free(&f);

    /* A chain with only device-readable buffers: the device cannot write. */
    fx_init(&f, 8, false, FEATURES);
    const struct vdrv_buf b = { f.buf, 16, false };
    memset(vdrv_host(&f.m, f.buf), 0x11, 16);
    vdrv_add(&f.d, &b, 1, false, 0);
    assert_int_equal(pop(&f), 1);
    uint8_t junk[16];
    memset(junk, 0xee, sizeof(junk));
    assert_int_equal(virtq_chain_write(&f.c, 0, junk, sizeof(junk)), 0);
    assert_int_equal(*(uint8_t *)vdrv_host(&f.m, f.buf + 3), 0x11);
    fx_free(&f);
}

static void test_length_overflow_and_segment_limit(void **s)
{
    (void)s;
    struct vdrv_mem m;
    vdrv_mem_init(&m, RAM);
    struct iovec iov[2];
    struct virtq_chain c = { .iov = iov, .max_iov = 2 };
    c.in_len = UINT32_MAX - 4;
    c.nin = 1;
    assert_int_equal(virtq_chain_add(&c, &m.gm, 0x1000, 8, true), -VIRTQ_E_LEN);
    virtq_chain_clear(&c);
    assert_int_equal(virtq_chain_add(&c, &m.gm, 0x1000, 8, false), 0);
    assert_int_equal(virtq_chain_add(&c, &m.gm, 0x2000, 8, false), 0);
    assert_int_equal(virtq_chain_add(&c, &m.gm, 0x3000, 8, false), -VIRTQ_E_TOO_MANY);
    vdrv_mem_free(&m);
}

static void test_activation_checks(void **s)
{
    (void)s;
    struct vdrv_mem m;
    vdrv_mem_init(&m, RAM);
    struct vdrv_queue d;
    vdrv_queue_init(&d, &m, 8, false);
    struct virtq q = { .max_size = 256 };
    uint64_t f = FEATURES;
    const uint16_t bad_sizes[] = { 0, 100, 512 };
    for (size_t i = 0; i < ARRAY_SIZE(bad_sizes); i++) {
        virtq_reset(&q);
        vdrv_queue_config(&d, &q);
        q.size = bad_sizes[i];
        assert_int_equal(virtq_activate(&q, &m.gm, f), -VIRTQ_E_RING);
    }
    virtq_reset(&q);
    vdrv_queue_config(&d, &q);
    q.desc_addr += 8; /* not 16-byte aligned */
    assert_int_equal(virtq_activate(&q, &m.gm, f), -VIRTQ_E_RING);
    virtq_reset(&q);
    vdrv_queue_config(&d, &q);
    q.device_addr += 2; /* not 4-byte aligned */
    assert_int_equal(virtq_activate(&q, &m.gm, f), -VIRTQ_E_RING);
    virtq_reset(&q);
    vdrv_queue_config(&d, &q);
    q.driver_addr = RAM - 8; /* ring runs out of RAM */
    assert_int_equal(virtq_activate(&q, &m.gm, f), -VIRTQ_E_RING);
    /* Packed rings may have any size up to the maximum. */
    struct vdrv_queue pd;
    vdrv_queue_init(&pd, &m, 100, true);
    virtq_reset(&q);
    vdrv_queue_config(&pd, &q);
    assert_int_equal(virtq_activate(&q, &m.gm, f | VIRTIO_BIT(VIRTIO_F_RING_PACKED)), 0);
    vdrv_mem_free(&m);
}

/* --- Notification suppression --- */

static void test_split_event_idx(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f, 8, false, FEATURES);
    const struct vdrv_buf b = { f.buf, 8, true };
    /* The driver wants an interrupt only after the 3rd used entry. */
    vdrv_split_set_used_event(&f.d, 2);
    bool notified[4];
    for (int i = 0; i < 4; i++) {
        vdrv_add(&f.d, &b, 1, false, 0);
        assert_int_equal(pop(&f), 1);
        virtq_push(&f.q, &f.c, 8);
        virtq_publish(&f.q);
        notified[i] = virtq_should_notify(&f.q);
    }
    assert_true(notified[0]); /* first notification of the queue */
    assert_false(notified[1]);
    assert_true(notified[2]); /* used idx went 2 -> 3, passing used_event 2 */
    assert_false(notified[3]);
    /* Kick suppression: avail_event tells the driver where we are. */
    assert_false(virtq_enable_kick(&f.q));
    assert_int_equal(vdrv_split_avail_event(&f.d), 4);
    vdrv_add(&f.d, &b, 1, false, 0);
    assert_true(virtq_enable_kick(&f.q)); /* a buffer arrived: pop again */
    fx_free(&f);
}

static void test_split_no_interrupt_flag(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f, 8, false, VIRTIO_BIT(VIRTIO_F_VERSION_1));
    const struct vdrv_buf b = { f.buf, 8, true };
    vdrv_add(&f.d, &b, 1, false, 0);
    assert_int_equal(pop(&f), 1);
    virtq_push(&f.q, &f.c, 8);
    virtq_publish(&f.q);
    vdrv_split_set_avail_flags(&f.d, VIRTQ_AVAIL_F_NO_INTERRUPT);
    assert_false(virtq_should_notify(&f.q));
    vdrv_split_set_avail_flags(&f.d, 0);
    assert_true(virtq_should_notify(&f.q));
    fx_free(&f);
}

/* --- Hostile packed rings --- */

static void test_packed_endless_chain(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f, 8, true, FEATURES);
    uint16_t bits = vdrv_packed_avail_bits(&f.d);
    for (unsigned i = 0; i < 8; i++)
        vdrv_packed_desc(&f.d, i, f.buf, 8, 0, bits | VIRTQ_DESC_F_NEXT);
    assert_int_equal(pop(&f), -VIRTQ_E_LOOP);
    fx_free(&f);
}

static void test_packed_not_available_yet(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f, 8, true, FEATURES);
    /* Flags of a used descriptor of this lap, and of one from the wrong lap. */
    vdrv_packed_desc(&f.d, 0, f.buf, 8, 0, VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED);
    assert_int_equal(pop(&f), 0);
    vdrv_packed_desc(&f.d, 0, f.buf, 8, 0, VIRTQ_DESC_F_USED);
    assert_int_equal(pop(&f), 0);
    assert_false(virtq_has_avail(&f.q));
    vdrv_packed_desc(&f.d, 0, f.buf, 8, 0, VIRTQ_DESC_F_AVAIL);
    assert_true(virtq_has_avail(&f.q));
    assert_int_equal(pop(&f), 1);
    fx_free(&f);
}

static void test_packed_bad_buffers(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f, 8, true, FEATURES);
    uint16_t bits = vdrv_packed_avail_bits(&f.d);
    vdrv_packed_desc(&f.d, 0, RAM - 4, 8, 0, bits);
    assert_int_equal(pop(&f), -VIRTQ_E_ADDR);
    fx_free(&f);

    fx_init(&f, 8, true, FEATURES);
    uint64_t t = vdrv_alloc(&f.m, 32, 16);
    uint8_t *p = vdrv_host(&f.m, t);
    put_le64(p, f.buf), put_le32(p + 8, 8), put_le16(p + 14, VIRTQ_DESC_F_INDIRECT);
    vdrv_packed_desc(&f.d, 0, t, 32, 0, bits | VIRTQ_DESC_F_INDIRECT);
    assert_int_equal(pop(&f), -VIRTQ_E_INDIRECT); /* nested */
    fx_free(&f);

    fx_init(&f, 8, true, FEATURES);
    vdrv_packed_desc(&f.d, 0, f.buf, 20, 0, bits | VIRTQ_DESC_F_INDIRECT);
    assert_int_equal(pop(&f), -VIRTQ_E_INDIRECT); /* 20 bytes: not whole entries */
    fx_free(&f);
}

static void test_packed_event_suppression(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f, 8, true, FEATURES);
    const struct vdrv_buf b = { f.buf, 8, true };
    vdrv_packed_set_event(&f.d, 0, VIRTQ_EVENT_F_DISABLE);
    vdrv_add(&f.d, &b, 1, false, 1);
    assert_int_equal(pop(&f), 1);
    virtq_push(&f.q, &f.c, 8);
    assert_false(virtq_should_notify(&f.q));
    /* Ask for an interrupt once the used descriptor at slot 2 (wrap 1) is written. */
    vdrv_packed_set_event(&f.d, 2 | 0x8000, VIRTQ_EVENT_F_DESC);
    bool notified[3];
    for (int i = 0; i < 3; i++) {
        vdrv_add(&f.d, &b, 1, false, (uint16_t)(2 + i));
        assert_int_equal(pop(&f), 1);
        virtq_push(&f.q, &f.c, 8);
        notified[i] = virtq_should_notify(&f.q);
    }
    assert_false(notified[0]); /* wrote slot 1 */
    assert_true(notified[1]);  /* wrote slot 2 */
    assert_false(notified[2]);
    vdrv_packed_set_event(&f.d, 0, VIRTQ_EVENT_F_ENABLE);
    vdrv_add(&f.d, &b, 1, false, 9);
    assert_int_equal(pop(&f), 1);
    virtq_push(&f.q, &f.c, 8);
    assert_true(virtq_should_notify(&f.q));
    fx_free(&f);
}

static void test_inactive_queue_does_nothing(void **s)
{
    (void)s;
    struct virtq q = { .max_size = 8 };
    virtq_reset(&q);
    struct iovec iov[1];
    struct virtq_chain c = { .iov = iov, .max_iov = 1 };
    assert_int_equal(virtq_pop(&q, &c), 0);
    assert_false(virtq_should_notify(&q));
    assert_false(virtq_has_avail(&q));
    assert_string_equal(virtq_strerror(-VIRTQ_E_LOOP),
                        "descriptor chain longer than the queue (loop)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_chain),
        cmocka_unit_test(test_split_indirect_chain),
        cmocka_unit_test(test_packed_chain),
        cmocka_unit_test(test_packed_indirect_chain),
        cmocka_unit_test(test_split_wraps),
        cmocka_unit_test(test_packed_wraps),
        cmocka_unit_test(test_zero_length_descriptors_are_skipped),
        cmocka_unit_test(test_split_descriptor_loop),
        cmocka_unit_test(test_split_self_loop),
        cmocka_unit_test(test_split_addresses_outside_ram),
        cmocka_unit_test(test_split_head_and_next_out_of_range),
        cmocka_unit_test(test_split_avail_idx_racing_ahead),
        cmocka_unit_test(test_split_bad_indirect_tables),
        cmocka_unit_test(test_split_indirect_table_outside_ram_or_not_negotiated),
        cmocka_unit_test(test_split_indirect_loop_and_next),
        cmocka_unit_test(test_readable_after_writable_and_readonly_writes),
        cmocka_unit_test(test_length_overflow_and_segment_limit),
        cmocka_unit_test(test_activation_checks),
        cmocka_unit_test(test_split_event_idx),
        cmocka_unit_test(test_split_no_interrupt_flag),
        cmocka_unit_test(test_packed_endless_chain),
        cmocka_unit_test(test_packed_not_available_yet),
        cmocka_unit_test(test_packed_bad_buffers),
        cmocka_unit_test(test_packed_event_suppression),
        cmocka_unit_test(test_inactive_queue_does_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
