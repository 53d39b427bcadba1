/* The virtio-mmio register file (version 2) with virtio-rng behind it, and
 * the transport-independent device logic it exercises. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "common/util.h"
#include "devices/fakes.h"
#include "devices/virtio/virtio_mmio.h"
#include "devices/virtio/virtio_rng.h"
#include "virtio/virtq_driver.h"

#define GSI 5

struct fx {
    struct vdrv_mem m;
    struct fake_irq irq;
    struct virtio_rng rng;
    struct virtio_mmio mmio;
};

static uint32_t rd(struct fx *f, uint64_t off)
{
    return (uint32_t)virtio_mmio_ops.read(&f->mmio, off, 4);
}

static void wr(struct fx *f, uint64_t off, uint32_t v)
{
    virtio_mmio_ops.write(&f->mmio, off, v, 4);
}

static void fx_init(struct fx *f)
{
    memset(f, 0, sizeof(*f));
    vdrv_mem_init(&f->m, 1 << 20);
    fake_irq_init(&f->irq);
    virtio_rng_init(&f->rng, &f->m.gm);
    struct irq_line line = fake_irq_line(&f->irq, GSI);
    assert_int_equal(virtio_mmio_init(&f->mmio, &f->rng.vdev, &line), 0);
}

static void fx_free(struct fx *f)
{
    virtio_mmio_destroy(&f->mmio);
    vdrv_mem_free(&f->m);
}

static void negotiate(struct fx *f, uint64_t features)
{
    wr(f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    wr(f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(f, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
    wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(f, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
    wr(f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                  VIRTIO_STATUS_FEATURES_OK);
}

static void setup_queue(struct fx *f, struct vdrv_queue *d, bool packed)
{
    vdrv_queue_init(d, &f->m, 16, packed);
    wr(f, VIRTIO_MMIO_QUEUE_SEL, 0);
    wr(f, VIRTIO_MMIO_QUEUE_NUM, d->size);
    wr(f, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)d->desc);
    wr(f, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(d->desc >> 32));
    wr(f, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)d->driver);
    wr(f, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0);
    wr(f, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)d->device);
    wr(f, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0);
    wr(f, VIRTIO_MMIO_QUEUE_READY, 1);
}

static void start(struct fx *f, struct vdrv_queue *d, bool packed)
{
    uint64_t feat = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |
                    (packed ? VIRTIO_BIT(VIRTIO_F_RING_PACKED) : 0);
    negotiate(f, feat);
    setup_queue(f, d, packed);
    wr(f, VIRTIO_MMIO_STATUS, rd(f, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
    assert_true(rd(f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DRIVER_OK);
}

static void test_identification(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f);
    assert_int_equal(rd(&f, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
    assert_int_equal(rd(&f, VIRTIO_MMIO_VERSION_REG), 2);
    assert_int_equal(rd(&f, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_RNG);
    assert_int_equal(rd(&f, VIRTIO_MMIO_VENDOR_ID), VIRTIO_MMIO_VENDOR);
    /* Registers take 32-bit accesses only. */
    assert_int_equal(virtio_mmio_ops.read(&f.mmio, VIRTIO_MMIO_MAGIC_VALUE, 2), 0);
    assert_int_equal(virtio_mmio_ops.read(&f.mmio, VIRTIO_MMIO_MAGIC_VALUE + 1, 4), 0);
    assert_int_equal(rd(&f, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffffu); /* no shared memory */
    fx_free(&f);
}

static void test_feature_negotiation(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f);
    wr(&f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    assert_int_equal(rd(&f, VIRTIO_MMIO_DEVICE_FEATURES) & 1, 1); /* VERSION_1 = bit 32 */
    assert_true(rd(&f, VIRTIO_MMIO_DEVICE_FEATURES) & (1u << (VIRTIO_F_RING_PACKED - 32)));
    wr(&f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    assert_true(rd(&f, VIRTIO_MMIO_DEVICE_FEATURES) & (1u << VIRTIO_F_INDIRECT_DESC));
    wr(&f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
    assert_int_equal(rd(&f, VIRTIO_MMIO_DEVICE_FEATURES), 0);

    /* A feature the device does not offer: FEATURES_OK does not stick. */
    negotiate(&f, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(3));
    assert_false(rd(&f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
    wr(&f, VIRTIO_MMIO_STATUS, 0);
    /* Legacy drivers (no VERSION_1) are refused as well. */
    negotiate(&f, VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
    assert_false(rd(&f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
    wr(&f, VIRTIO_MMIO_STATUS, 0);
    negotiate(&f, VIRTIO_BIT(VIRTIO_F_VERSION_1));
    assert_true(rd(&f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
    /* Once accepted, the features are frozen. */
    wr(&f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(&f, VIRTIO_MMIO_DRIVER_FEATURES, 1u << VIRTIO_F_EVENT_IDX);
    assert_false(virtio_dev_has_feature(&f.rng.vdev, VIRTIO_F_EVENT_IDX));
    fx_free(&f);
}

static void test_driver_ok_needs_features_ok(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f);
    wr(&f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                   VIRTIO_STATUS_DRIVER_OK);
    assert_false(rd(&f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DRIVER_OK);
    fx_free(&f);
}

static void test_queue_registers(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f);
    wr(&f, VIRTIO_MMIO_QUEUE_SEL, 0);
    assert_int_equal(rd(&f, VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTIO_RNG_QUEUE_SIZE);
    wr(&f, VIRTIO_MMIO_QUEUE_SEL, 1); /* no such queue */
    assert_int_equal(rd(&f, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
    wr(&f, VIRTIO_MMIO_QUEUE_READY, 1);
    assert_int_equal(rd(&f, VIRTIO_MMIO_QUEUE_READY), 0);

    struct vdrv_queue d;
    negotiate(&f, VIRTIO_BIT(VIRTIO_F_VERSION_1));
    setup_queue(&f, &d, false);
    struct virtq *q = &f.rng.vq;
    assert_int_equal(q->size, 16);
    assert_int_equal(q->desc_addr, d.desc);
    assert_int_equal(q->device_addr, d.device);
    assert_int_equal(rd(&f, VIRTIO_MMIO_QUEUE_READY), 1);
    wr(&f, VIRTIO_MMIO_QUEUE_DESC_HIGH, 1);
    assert_int_equal(q->desc_addr, d.desc | 1ull << 32);
    wr(&f, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
    wr(&f, VIRTIO_MMIO_STATUS, rd(&f, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
    assert_true(q->active);
    /* After DRIVER_OK the queue configuration no longer changes. */
    wr(&f, VIRTIO_MMIO_QUEUE_NUM, 8);
    wr(&f, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x5000);
    assert_int_equal(q->size, 16);
    assert_int_equal(q->desc_addr, d.desc);
    /* Reset puts everything back. */
    wr(&f, VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(rd(&f, VIRTIO_MMIO_STATUS), 0);
    assert_int_equal(rd(&f, VIRTIO_MMIO_QUEUE_READY), 0);
    assert_false(q->active);
    assert_int_equal(q->desc_addr, 0);
    assert_int_equal(q->size, VIRTIO_RNG_QUEUE_SIZE);
    fx_free(&f);
}

static void check_rng_request(bool packed)
{
    struct fx f;
    fx_init(&f);
    struct vdrv_queue d;
    start(&f, &d, packed);
    uint64_t buf = vdrv_alloc(&f.m, 64, 16);
    const struct vdrv_buf b = { buf, 64, true };
    vdrv_add(&d, &b, 1, false, 3);
    assert_int_equal(f.irq.rises[GSI], 0);
    wr(&f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    uint32_t id, len;
    assert_true(vdrv_used(&d, &id, &len));
    assert_int_equal(len, 64);
    assert_int_equal(id, packed ? 3 : 0);
    uint8_t zero[64] = { 0 };
    assert_memory_not_equal(vdrv_host(&f.m, buf), zero, 64);
    /* The interrupt: status bit 0, line held high until acknowledged. */
    assert_int_equal(rd(&f, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_ISR_QUEUE);
    assert_true(f.irq.level[GSI]);
    assert_int_equal(f.irq.rises[GSI], 1);
    wr(&f, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_ISR_QUEUE);
    assert_int_equal(rd(&f, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    assert_false(f.irq.level[GSI]);
    /* Notifying a queue that does not exist does nothing. */
    wr(&f, VIRTIO_MMIO_QUEUE_NOTIFY, 7);
    assert_int_equal(f.irq.rises[GSI], 1);
    fx_free(&f);
}

static void test_rng_split(void **s) { (void)s; check_rng_request(false); }
static void test_rng_packed(void **s) { (void)s; check_rng_request(true); }

static void test_broken_ring_needs_reset(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f);
    struct vdrv_queue d;
    start(&f, &d, false);
    vdrv_split_desc(&d, 0, 0xffff0000ull, 64, VIRTQ_DESC_F_WRITE, 0); /* not RAM */
    vdrv_split_avail(&d, 0);
    wr(&f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    assert_true(rd(&f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
    assert_int_equal(rd(&f, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_ISR_CONFIG);
    assert_int_equal(vdrv_split_used_idx(&d), 0);
    /* The driver cannot clear NEEDS_RESET except by resetting. */
    wr(&f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    assert_true(rd(&f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
    /* Further notifications are ignored, even for a good buffer. */
    uint64_t buf = vdrv_alloc(&f.m, 8, 8);
    vdrv_split_desc(&d, 1, buf, 8, VIRTQ_DESC_F_WRITE, 0);
    vdrv_split_avail(&d, 1);
    wr(&f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    assert_int_equal(vdrv_split_used_idx(&d), 0);
    wr(&f, VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(rd(&f, VIRTIO_MMIO_STATUS), 0);
    assert_int_equal(rd(&f, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    assert_false(f.irq.level[GSI]);
    /* The device works again after the driver sets it up anew. */
    struct vdrv_queue d2;
    start(&f, &d2, false);
    const struct vdrv_buf b = { buf, 8, true };
    vdrv_add(&d2, &b, 1, false, 0);
    wr(&f, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    assert_int_equal(vdrv_split_used_idx(&d2), 1);
    fx_free(&f);
}

static void test_bad_ring_address_at_driver_ok(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f);
    struct vdrv_queue d;
    negotiate(&f, VIRTIO_BIT(VIRTIO_F_VERSION_1));
    setup_queue(&f, &d, false);
    wr(&f, VIRTIO_MMIO_QUEUE_DEVICE_LOW, 0xfff00000u); /* used ring outside RAM */
    wr(&f, VIRTIO_MMIO_STATUS, rd(&f, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
    assert_true(rd(&f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
    assert_false(f.rng.vq.active);
    fx_free(&f);
}

/* A device with a small config space, to exercise config access. */
struct cfgdev {
    struct virtio_dev vdev;
    struct virtq vq;
    uint8_t config[8];
    unsigned writes;
};

static void cfgdev_write(struct virtio_dev *d, unsigned off, unsigned len)
{
    struct cfgdev *c = d->opaque;
    (void)off, (void)len;
    c->writes++;
}

static const struct virtio_dev_ops cfgdev_ops = { .config_write = cfgdev_write };

static void test_config_space_and_generation(void **s)
{
    (void)s;
    struct vdrv_mem m;
    vdrv_mem_init(&m, 1 << 16);
    struct fake_irq irq;
    fake_irq_init(&irq);
    struct cfgdev c = { 0 };
    c.config[0] = 0x11, c.config[1] = 0x22, c.config[4] = 0x44;
    virtio_dev_init(&c.vdev, "cfgdev", 42, VIRTIO_DEV_COMMON_FEATURES, &c.vq, 1, 8, c.config, 8,
                    &cfgdev_ops, &c, &m.gm);
    struct virtio_mmio mm;
    struct irq_line line = fake_irq_line(&irq, GSI);
    assert_int_equal(virtio_mmio_init(&mm, &c.vdev, &line), 0);
    assert_int_equal(virtio_mmio_ops.read(&mm, VIRTIO_MMIO_CONFIG, 1), 0x11);
    assert_int_equal(virtio_mmio_ops.read(&mm, VIRTIO_MMIO_CONFIG, 2), 0x2211);
    assert_int_equal(virtio_mmio_ops.read(&mm, VIRTIO_MMIO_CONFIG + 4, 4), 0x44);
    assert_int_equal(virtio_mmio_ops.read(&mm, VIRTIO_MMIO_CONFIG, 8), 0x4400002211ull);
    assert_int_equal(virtio_mmio_ops.read(&mm, VIRTIO_MMIO_CONFIG + 6, 4), 0); /* past the end */
    virtio_mmio_ops.write(&mm, VIRTIO_MMIO_CONFIG + 2, 0xbeef, 2);
    assert_int_equal(c.writes, 1);
    assert_int_equal(virtio_mmio_ops.read(&mm, VIRTIO_MMIO_CONFIG + 2, 2), 0xbeef);
    virtio_mmio_ops.write(&mm, VIRTIO_MMIO_CONFIG + 7, 0xffff, 2); /* crosses the end */
    assert_int_equal(c.writes, 1);
    uint32_t gen = (uint32_t)virtio_mmio_ops.read(&mm, VIRTIO_MMIO_CONFIG_GENERATION, 4);
    virtio_dev_config_changed(&c.vdev);
    assert_int_equal(virtio_mmio_ops.read(&mm, VIRTIO_MMIO_CONFIG_GENERATION, 4), gen + 1);
    assert_int_equal(virtio_mmio_ops.read(&mm, VIRTIO_MMIO_INTERRUPT_STATUS, 4), VIRTIO_ISR_CONFIG);
    assert_true(irq.level[GSI]);
    virtio_mmio_destroy(&mm);
    vdrv_mem_free(&m);
}

static void test_cmdline_text(void **s)
{
    (void)s;
    char buf[64];
    assert_int_equal(virtio_mmio_cmdline(buf, sizeof(buf), 0xd0001000ull, 6), 34);
    assert_string_equal(buf, "virtio_mmio.device=4K@0xd0001000:6");
    assert_int_equal(virtio_mmio_cmdline(buf, 10, 0xd0001000ull, 6), -ENOSPC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identification),
        cmocka_unit_test(test_feature_negotiation),
        cmocka_unit_test(test_driver_ok_needs_features_ok),
        cmocka_unit_test(test_queue_registers),
        cmocka_unit_test(test_rng_split),
        cmocka_unit_test(test_rng_packed),
        cmocka_unit_test(test_broken_ring_needs_reset),
        cmocka_unit_test(test_bad_ring_address_at_driver_ok),
        cmocka_unit_test(test_config_space_and_generation),
        cmocka_unit_test(test_cmdline_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
