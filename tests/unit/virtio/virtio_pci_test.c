/* The virtio-pci modern transport on a real PCI bus: identity, capability
 * layout, common configuration, the PCI_CFG window, and interrupts through
 * MSI-X and the INTx fallback (virtio-rng behind it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/util.h"
#include "devices/fakes.h"
#include "devices/pci/pci_bus.h"
#include "devices/virtio/virtio_pci.h"
#include "devices/virtio/virtio_rng.h"
#include "virtio/virtq_driver.h"

#define MMIO_BASE 0xc0000000ull
#define MMIO_SIZE 0x10000000ull

struct fx {
    struct vdrv_mem m;
    struct fake_irq irq;
    struct pci_bus bus;
    struct virtio_rng rng;
    struct virtio_pci vp;
    unsigned devfn;
    uint64_t bar; /* BAR 0 offset inside the bus window */
};

static uint32_t cfg(struct fx *f, unsigned reg, unsigned size)
{
    return pci_bus_config_read(&f->bus, 0, f->devfn, reg, size);
}

static void cfg_wr(struct fx *f, unsigned reg, unsigned size, uint32_t v)
{
    pci_bus_config_write(&f->bus, 0, f->devfn, reg, size, v);
}

static uint64_t rd(struct fx *f, uint64_t off, unsigned size)
{
    return pci_bus_mmio_ops.read(&f->bus, f->bar + off, size);
}

static void wr(struct fx *f, uint64_t off, uint64_t v, unsigned size)
{
    pci_bus_mmio_ops.write(&f->bus, f->bar + off, v, size);
}

static void fx_init(struct fx *f)
{
    memset(f, 0, sizeof(*f));
    vdrv_mem_init(&f->m, 1 << 20);
    fake_irq_init(&f->irq);
    assert_int_equal(pci_bus_init(&f->bus, &f->irq.chip, MMIO_BASE, MMIO_SIZE, PCI_BUS_PIO_BASE,
                                  PCI_BUS_PIO_SIZE), 0);
    virtio_rng_init(&f->rng, &f->m.gm);
    assert_int_equal(virtio_pci_init(&f->vp, &f->rng.vdev, 0xff0000), 0);
    int devfn = pci_bus_add(&f->bus, &f->vp.pci);
    assert_true(devfn >= 0);
    f->devfn = (unsigned)devfn;
    assert_int_equal(pci_bus_assign_bars(&f->bus), 0);
    f->bar = pci_dev_bar_addr(&f->vp.pci, 0) - MMIO_BASE;
}

static void fx_free(struct fx *f)
{
    virtio_pci_destroy(&f->vp);
    pci_bus_destroy(&f->bus);
    vdrv_mem_free(&f->m);
}

/* Finds the vendor capability of cfg_type type; returns its offset or 0. */
static unsigned find_cap(struct fx *f, uint8_t type)
{
    for (unsigned c = cfg(f, PCI_CAPABILITY_LIST, 1), n = 0; c && n < 48;
         c = cfg(f, c + 1, 1), n++)
        if (cfg(f, c, 1) == PCI_CAP_ID_VNDR && cfg(f, c + VIRTIO_PCI_CAP_CFG_TYPE, 1) == type)
            return c;
    return 0;
}

static void test_identity_and_capabilities(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f);
    assert_int_equal(cfg(&f, PCI_VENDOR_ID, 2), 0x1af4);
    assert_int_equal(cfg(&f, PCI_DEVICE_ID, 2), 0x1040 + VIRTIO_ID_RNG);
    assert_int_equal(cfg(&f, PCI_REVISION_ID, 1), 1);
    assert_int_equal(cfg(&f, PCI_INTERRUPT_PIN, 1), 1);
    assert_true(cfg(&f, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
    const struct { uint8_t type; uint32_t off, minlen; } want[] = {
        { VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF, 0x38 },
        { VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF, 2 },
        { VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, 1 },
    };
    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        unsigned c = find_cap(&f, want[i].type);
        assert_true(c >= PCI_CAP_START);
        assert_int_equal(c % 4, 0);
        assert_int_equal(cfg(&f, c + VIRTIO_PCI_CAP_BAR, 1), 0);
        assert_int_equal(cfg(&f, c + VIRTIO_PCI_CAP_OFFSET, 4), want[i].off);
        assert_true(cfg(&f, c + VIRTIO_PCI_CAP_LENGTH, 4) >= want[i].minlen);
        assert_int_equal(cfg(&f, c + VIRTIO_PCI_CAP_OFFSET, 4) % 4, 0);
    }
    unsigned n = find_cap(&f, VIRTIO_PCI_CAP_NOTIFY_CFG);
    assert_int_equal(cfg(&f, n + VIRTIO_PCI_CAP_LEN_OFF, 1), VIRTIO_PCI_NOTIFY_CAP_SIZE);
    assert_int_equal(cfg(&f, n + VIRTIO_PCI_NOTIFY_CAP_MULT, 4), VIRTIO_PCI_NOTIFY_MULT);
    assert_int_equal(find_cap(&f, VIRTIO_PCI_CAP_DEVICE_CFG), 0); /* rng has no config */
    assert_true(find_cap(&f, VIRTIO_PCI_CAP_PCI_CFG) != 0);
    /* MSI-X: one vector for config + one per queue, in BAR 0. */
    unsigned m = f.vp.pci.msix.cap;
    assert_int_equal(cfg(&f, m, 1), PCI_CAP_ID_MSIX);
    assert_int_equal(cfg(&f, m + PCI_MSIX_CTRL, 2) & 0x7ff, 1);
    assert_int_equal(cfg(&f, m + PCI_MSIX_TABLE, 4), VIRTIO_PCI_MSIX_TABLE_OFF);
    /* BAR 0: 32 KiB of 32-bit memory. */
    cfg_wr(&f, PCI_BAR0, 4, 0xffffffff);
    assert_int_equal(cfg(&f, PCI_BAR0, 4), ~(uint32_t)(VIRTIO_PCI_BAR_SIZE - 1));
    fx_free(&f);
}

static void test_common_config(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f);
    assert_int_equal(rd(&f, VIRTIO_PCI_COMMON_NUMQ, 2), 1);
    wr(&f, VIRTIO_PCI_COMMON_DFSELECT, 1, 4);
    assert_int_equal(rd(&f, VIRTIO_PCI_COMMON_DF, 4) & 1, 1); /* VERSION_1 */
    wr(&f, VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
    assert_int_equal(rd(&f, VIRTIO_PCI_COMMON_Q_SIZE, 2), VIRTIO_RNG_QUEUE_SIZE);
    assert_int_equal(rd(&f, VIRTIO_PCI_COMMON_Q_NOFF, 2), 0);
    assert_int_equal(rd(&f, VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
    wr(&f, VIRTIO_PCI_COMMON_Q_SIZE, 32, 2);
    wr(&f, VIRTIO_PCI_COMMON_Q_DESCLO, 0x12340000, 4);
    wr(&f, VIRTIO_PCI_COMMON_Q_DESCHI, 0x1, 4);
    wr(&f, VIRTIO_PCI_COMMON_Q_USEDLO, 0xabcd0000ull | 0x5ull << 32, 8);
    assert_int_equal(f.rng.vq.size, 32);
    assert_int_equal(f.rng.vq.desc_addr, 0x112340000ull);
    assert_int_equal(f.rng.vq.device_addr, 0x5abcd0000ull);
    assert_int_equal(rd(&f, VIRTIO_PCI_COMMON_Q_DESCHI, 4), 1);
    assert_int_equal(rd(&f, VIRTIO_PCI_COMMON_Q_USEDLO, 8), 0x5abcd0000ull);
    /* Vectors the function does not have read back as NO_VECTOR. */
    wr(&f, VIRTIO_PCI_COMMON_Q_MSIX, 1, 2);
    assert_int_equal(rd(&f, VIRTIO_PCI_COMMON_Q_MSIX, 2), 1);
    wr(&f, VIRTIO_PCI_COMMON_Q_MSIX, 2, 2);
    assert_int_equal(rd(&f, VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
    wr(&f, VIRTIO_PCI_COMMON_MSIX, 0, 2);
    assert_int_equal(rd(&f, VIRTIO_PCI_COMMON_MSIX, 2), 0);
    /* A queue that does not exist. */
    wr(&f, VIRTIO_PCI_COMMON_Q_SELECT, 3, 2);
    assert_int_equal(rd(&f, VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
    /* Wrong-sized accesses hit no field. */
    assert_int_equal(rd(&f, VIRTIO_PCI_COMMON_NUMQ, 4), 0);
    /* Reset clears status, queues and vectors. */
    wr(&f, VIRTIO_PCI_COMMON_STATUS, VIRTIO_STATUS_ACKNOWLEDGE, 1);
    assert_int_equal(rd(&f, VIRTIO_PCI_COMMON_STATUS, 1), VIRTIO_STATUS_ACKNOWLEDGE);
    wr(&f, VIRTIO_PCI_COMMON_STATUS, 0, 1);
    assert_int_equal(rd(&f, VIRTIO_PCI_COMMON_STATUS, 1), 0);
    assert_int_equal(rd(&f, VIRTIO_PCI_COMMON_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
    assert_int_equal(f.rng.vq.desc_addr, 0);
    fx_free(&f);
}

static void start(struct fx *f, struct vdrv_queue *d)
{
    wr(f, VIRTIO_PCI_COMMON_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
    wr(f, VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
    wr(f, VIRTIO_PCI_COMMON_GF, 1, 4); /* VERSION_1 */
    wr(f, VIRTIO_PCI_COMMON_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                        VIRTIO_STATUS_FEATURES_OK, 1);
    assert_true(rd(f, VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_STATUS_FEATURES_OK);
    vdrv_queue_init(d, &f->m, 16, false);
    wr(f, VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
    wr(f, VIRTIO_PCI_COMMON_Q_SIZE, 16, 2);
    wr(f, VIRTIO_PCI_COMMON_Q_DESCLO, d->desc, 8);
    wr(f, VIRTIO_PCI_COMMON_Q_AVAILLO, d->driver, 8);
    wr(f, VIRTIO_PCI_COMMON_Q_USEDLO, d->device, 8);
    wr(f, VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
}

static void driver_ok(struct fx *f)
{
    wr(f, VIRTIO_PCI_COMMON_STATUS,
       rd(f, VIRTIO_PCI_COMMON_STATUS, 1) | VIRTIO_STATUS_DRIVER_OK, 1);
    assert_true(rd(f, VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_STATUS_DRIVER_OK);
}

static void request(struct fx *f, struct vdrv_queue *d)
{
    uint64_t buf = vdrv_alloc(&f->m, 16, 16);
    const struct vdrv_buf b = { buf, 16, true };
    vdrv_add(d, &b, 1, false, 0);
    wr(f, VIRTIO_PCI_NOTIFY_OFF, 0, 2); /* queue 0's notification address */
    uint32_t id, len;
    assert_true(vdrv_used(d, &id, &len));
    assert_int_equal(len, 16);
}

static void test_intx_fallback(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f);
    struct vdrv_queue d;
    start(&f, &d);
    driver_ok(&f);
    unsigned gsi = pci_bus_intx_gsi(PCI_DEVFN_SLOT(f.devfn), 0);
    request(&f, &d);
    assert_true(f.irq.level[gsi]);
    assert_true(cfg(&f, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    /* Reading the ISR returns the cause, clears it and drops the line. */
    assert_int_equal(rd(&f, VIRTIO_PCI_ISR_OFF, 1), VIRTIO_ISR_QUEUE);
    assert_false(f.irq.level[gsi]);
    assert_int_equal(rd(&f, VIRTIO_PCI_ISR_OFF, 1), 0);
    assert_int_equal(f.irq.nmsi, 0);
    fx_free(&f);
}

static void test_msix_vectors(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f);
    struct vdrv_queue d;
    start(&f, &d);
    /* Program vector 1 and enable MSI-X, as the guest's PCI core does. */
    uint64_t e = VIRTIO_PCI_MSIX_TABLE_OFF + PCI_MSIX_ENTRY_SIZE;
    wr(&f, e + PCI_MSIX_ENTRY_ADDR_LO, 0xfee00000u, 4);
    wr(&f, e + PCI_MSIX_ENTRY_ADDR_HI, 0, 4);
    wr(&f, e + PCI_MSIX_ENTRY_DATA, 0x4041, 4);
    wr(&f, e + PCI_MSIX_ENTRY_CTRL, 0, 4);
    unsigned m = f.vp.pci.msix.cap;
    cfg_wr(&f, m + PCI_MSIX_CTRL, 2, PCI_MSIX_CTRL_ENABLE);
    wr(&f, VIRTIO_PCI_COMMON_Q_MSIX, 1, 2);
    driver_ok(&f);
    request(&f, &d);
    assert_int_equal(f.irq.nmsi, 1);
    assert_int_equal(f.irq.msi_addr[0], 0xfee00000u);
    assert_int_equal(f.irq.msi_data[0], 0x4041);
    unsigned gsi = pci_bus_intx_gsi(PCI_DEVFN_SLOT(f.devfn), 0);
    assert_false(f.irq.level[gsi]);
    /* Config change: config vector is NO_VECTOR, so no message; ISR bit set. */
    virtio_dev_config_changed(&f.rng.vdev);
    assert_int_equal(f.irq.nmsi, 1);
    assert_false(f.irq.level[gsi]);
    assert_int_equal(rd(&f, VIRTIO_PCI_ISR_OFF, 1), VIRTIO_ISR_CONFIG);
    fx_free(&f);
}

static void test_pci_cfg_window(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f);
    unsigned c = find_cap(&f, VIRTIO_PCI_CAP_PCI_CFG);
    cfg_wr(&f, c + VIRTIO_PCI_CAP_BAR, 1, 0);
    cfg_wr(&f, c + VIRTIO_PCI_CAP_LENGTH, 4, 2);
    cfg_wr(&f, c + VIRTIO_PCI_CAP_OFFSET, 4, VIRTIO_PCI_COMMON_Q_SIZE);
    assert_int_equal(cfg(&f, c + VIRTIO_PCI_CFG_CAP_DATA, 2), VIRTIO_RNG_QUEUE_SIZE);
    /* Writes through the window reach the register. */
    cfg_wr(&f, c + VIRTIO_PCI_CAP_OFFSET, 4, VIRTIO_PCI_COMMON_Q_SIZE);
    cfg_wr(&f, c + VIRTIO_PCI_CFG_CAP_DATA, 4, 8);
    assert_int_equal(f.rng.vq.size, 8);
    /* A bad BAR number or length is ignored. */
    cfg_wr(&f, c + VIRTIO_PCI_CAP_BAR, 1, 3);
    cfg_wr(&f, c + VIRTIO_PCI_CFG_CAP_DATA, 4, 16);
    assert_int_equal(f.rng.vq.size, 8);
    fx_free(&f);
}

static void test_notify_past_queues_is_ignored(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f);
    struct vdrv_queue d;
    start(&f, &d);
    driver_ok(&f);
    uint64_t buf = vdrv_alloc(&f.m, 16, 16);
    const struct vdrv_buf b = { buf, 16, true };
    vdrv_add(&d, &b, 1, false, 0);
    wr(&f, VIRTIO_PCI_NOTIFY_OFF + 4, 1, 2); /* queue 1 does not exist */
    uint32_t id, len;
    assert_false(vdrv_used(&d, &id, &len));
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_and_capabilities),
        cmocka_unit_test(test_common_config),
        cmocka_unit_test(test_intx_fallback),
        cmocka_unit_test(test_msix_vectors),
        cmocka_unit_test(test_pci_cfg_window),
        cmocka_unit_test(test_notify_past_queues_is_ignored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
