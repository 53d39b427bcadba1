#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "common/util.h"
#include "devices/fakes.h"
#include "devices/legacy/ports.h"
#include "devices/pci/pci_bus.h"
#include "devices/pci/pci_host.h"

#define MMIO_BASE 0xc0000000ull
#define MMIO_SIZE 0x10000000ull

/* A test function: BAR0 4 KiB memory (MSI-X table at 0x800, PBA at 0xc00),
 * BAR1 32 bytes of I/O, BAR2/3 a 16 KiB 64-bit prefetchable BAR. */
struct testdev {
    struct pci_dev pci;
    /* Atomic: BAR handlers run on several vCPU threads at once. */
    _Atomic uint64_t last_off, last_val;
    _Atomic unsigned last_bar, reads, writes;
    unsigned maps;
    uint64_t map_addr[PCI_NUM_BARS];
    bool map_active[PCI_NUM_BARS];
    unsigned cfg_writes;
};

static uint64_t td_bar_read(struct pci_dev *d, unsigned bar, uint64_t off, unsigned size)
{
    struct testdev *t = d->opaque;
    (void)size;
    t->reads++;
    t->last_bar = bar;
    t->last_off = off;
    return 0x1000u * bar + off;
}

static void td_bar_write(struct pci_dev *d, unsigned bar, uint64_t off, uint64_t val, unsigned size)
{
    struct testdev *t = d->opaque;
    (void)size;
    t->writes++;
    t->last_bar = bar;
    t->last_off = off;
    t->last_val = val;
}

static void td_bar_map(struct pci_dev *d, unsigned bar, uint64_t addr, bool active)
{
    struct testdev *t = d->opaque;
    t->maps++;
    t->map_addr[bar] = addr;
    t->map_active[bar] = active;
}

static void td_config_write(struct pci_dev *d, unsigned off, unsigned size, uint32_t val)
{
    struct testdev *t = d->opaque;
    (void)off;
    (void)size;
    (void)val;
    t->cfg_writes++;
}

static const struct pci_dev_ops td_ops = { td_bar_read, td_bar_write, td_config_write, td_bar_map };

static void testdev_init(struct testdev *t, uint8_t pin)
{
    memset(t, 0, sizeof(*t));
    const struct pci_dev_id id = { .vendor = 0x1af4, .device = 0x1041, .class_code = 0x020000,
                                   .revision = 1, .intx_pin = pin, .subsys_vendor = 0x1af4,
                                   .subsys = 0x0001 };
    assert_int_equal(pci_dev_init(&t->pci, &id, true, &td_ops, t), 0);
    assert_int_equal(pci_dev_add_bar(&t->pci, 0, PCI_BAR_MEM32, 0x1000, false), 0);
    assert_int_equal(pci_dev_add_bar(&t->pci, 1, PCI_BAR_IO, 32, false), 0);
    assert_int_equal(pci_dev_add_bar(&t->pci, 2, PCI_BAR_MEM64, 0x4000, true), 0);
}

struct fixture {
    struct fake_irq irq;
    struct fake_ctl ctl;
    struct ports ports;
    struct pci_bus bus;
    struct pci_host host;
    struct testdev td;
    int td_devfn;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    fake_irq_init(&f->irq);
    fake_ctl_init(&f->ctl);
    if (ports_init(&f->ports, &f->ctl.ctl) ||
        pci_bus_init(&f->bus, &f->irq.chip, MMIO_BASE, MMIO_SIZE, PCI_BUS_PIO_BASE, PCI_BUS_PIO_SIZE) ||
        pci_host_init(&f->host, &f->bus, &ports_rcr_ops, &f->ports))
        return -1;
    testdev_init(&f->td, 1);
    assert_int_equal(pci_msix_init(&f->td.pci, 4, 0, 0x800, 0xc00), 0);
    f->td_devfn = pci_bus_add(&f->bus, &f->td.pci);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    pci_dev_destroy(&f->td.pci);
    pci_host_destroy(&f->host);
    pci_bus_destroy(&f->bus);
    ports_destroy(&f->ports);
    free(f);
    return 0;
}

/* ---- access helpers: mechanism #1 and ECAM ---- */

static uint32_t cf8_addr(unsigned bus, unsigned devfn, unsigned reg)
{
    return PCI_CONFIG_ENABLE | bus << 16 | devfn << 8 | (reg & 0xfc);
}

static uint32_t m1_read(struct fixture *f, unsigned devfn, unsigned reg, unsigned size)
{
    pci_host_pio_ops.write(&f->host, 0, cf8_addr(0, devfn, reg), 4);
    return (uint32_t)pci_host_pio_ops.read(&f->host, 4 + (reg & 3), size);
}

static void m1_write(struct fixture *f, unsigned devfn, unsigned reg, uint32_t v, unsigned size)
{
    pci_host_pio_ops.write(&f->host, 0, cf8_addr(0, devfn, reg), 4);
    pci_host_pio_ops.write(&f->host, 4 + (reg & 3), v, size);
}

static uint64_t ecam_off(unsigned bus, unsigned devfn, unsigned reg)
{
    return (uint64_t)bus << 20 | (uint64_t)devfn << 12 | reg;
}

static uint32_t ecam_read(struct fixture *f, unsigned devfn, unsigned reg, unsigned size)
{
    return (uint32_t)pci_host_ecam_ops.read(&f->host, ecam_off(0, devfn, reg), size);
}

static void ecam_write(struct fixture *f, unsigned devfn, unsigned reg, uint32_t v, unsigned size)
{
    pci_host_ecam_ops.write(&f->host, ecam_off(0, devfn, reg), v, size);
}

static uint64_t mmio_read(struct fixture *f, uint64_t addr, unsigned size)
{
    return pci_bus_mmio_ops.read(&f->bus, addr - MMIO_BASE, size);
}

static void mmio_write(struct fixture *f, uint64_t addr, uint64_t v, unsigned size)
{
    pci_bus_mmio_ops.write(&f->bus, addr - MMIO_BASE, v, size);
}

/* ---- tests ---- */

static void test_host_bridge(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(m1_read(f, 0, PCI_VENDOR_ID, 4), PCI_HOST_DEVICE << 16 | PCI_HOST_VENDOR);
    assert_int_equal(m1_read(f, 0, PCI_CLASS_DEVICE, 2), 0x0600);
    assert_int_equal(m1_read(f, 0, PCI_HEADER_TYPE, 1), 0);
    assert_int_equal(ecam_read(f, 0, PCI_VENDOR_ID, 4), PCI_HOST_DEVICE << 16 | PCI_HOST_VENDOR);
    assert_int_equal(f->td_devfn, PCI_DEVFN(1, 0)); /* next free slot */
}

static void test_mechanism1_address_register(void **state)
{
    struct fixture *f = *state;
    pci_host_pio_ops.write(&f->host, 0, 0x80000000, 4);
    assert_int_equal(pci_host_pio_ops.read(&f->host, 0, 4), 0x80000000);
    /* Linux's pci_check_type1 writes a byte to 0xCFB: not CONFIG_ADDRESS. */
    pci_host_pio_ops.write(&f->host, 3, 0x01, 1);
    pci_host_pio_ops.write(&f->host, 0, 0x12, 2);
    assert_int_equal(pci_host_pio_ops.read(&f->host, 0, 4), 0x80000000);
    assert_int_equal(pci_host_pio_ops.read(&f->host, 0, 2), 0xffff);
    assert_int_equal(pci_host_pio_ops.read(&f->host, 2, 1), 0xff);
    /* Enable bit clear: data port floats. */
    pci_host_pio_ops.write(&f->host, 0, 0x00000000, 4);
    assert_int_equal(pci_host_pio_ops.read(&f->host, 4, 4), 0xffffffff);
    /* Reserved bits 30:24 set (AMD extended register numbers): no access. */
    pci_host_pio_ops.write(&f->host, 0, cf8_addr(0, 0, 0) | 0x01000000, 4);
    assert_int_equal(pci_host_pio_ops.read(&f->host, 4, 4), 0xffffffff);
    pci_host_pio_ops.write(&f->host, 4, 0, 4);
    assert_int_equal(m1_read(f, 0, PCI_VENDOR_ID, 2), PCI_HOST_VENDOR);
}

static void test_mechanism1_data_offsets(void **state)
{
    struct fixture *f = *state;
    unsigned devfn = (unsigned)f->td_devfn;
    /* vendor 0x1af4, device 0x1041 */
    pci_host_pio_ops.write(&f->host, 0, cf8_addr(0, devfn, 0), 4);
    assert_int_equal(pci_host_pio_ops.read(&f->host, 4, 1), 0xf4);
    assert_int_equal(pci_host_pio_ops.read(&f->host, 5, 1), 0x1a);
    assert_int_equal(pci_host_pio_ops.read(&f->host, 6, 1), 0x41);
    assert_int_equal(pci_host_pio_ops.read(&f->host, 7, 1), 0x10);
    assert_int_equal(pci_host_pio_ops.read(&f->host, 6, 2), 0x1041);
    assert_int_equal(pci_host_pio_ops.read(&f->host, 5, 2), 0x411a); /* unaligned, in the dword */
    /* Low two bits of CONFIG_ADDRESS do not shift the register. */
    pci_host_pio_ops.write(&f->host, 0, cf8_addr(0, devfn, 0) | 3, 4);
    assert_int_equal(pci_host_pio_ops.read(&f->host, 4, 4), 0x10411af4);
    /* Byte write to the latency timer at 0x0d via 0xCFD. */
    m1_write(f, devfn, PCI_LATENCY_TIMER, 0x40, 1);
    assert_int_equal(m1_read(f, devfn, PCI_LATENCY_TIMER, 1), 0x40);
    assert_int_equal(ecam_read(f, devfn, PCI_CACHE_LINE_SIZE, 4) >> 8 & 0xff, 0x40);
}

static void test_absent_functions(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(m1_read(f, PCI_DEVFN(5, 0), 0, 4), 0xffffffff);
    assert_int_equal(m1_read(f, PCI_DEVFN(0, 1), 0, 2), 0xffff);
    assert_int_equal(m1_read(f, PCI_DEVFN(31, 7), 0x3c, 1), 0xff);
    assert_int_equal(ecam_read(f, PCI_DEVFN(5, 0), 0, 4), 0xffffffff);
    /* Other buses are empty. */
    pci_host_pio_ops.write(&f->host, 0, cf8_addr(1, 0, 0), 4);
    assert_int_equal(pci_host_pio_ops.read(&f->host, 4, 4), 0xffffffff);
    assert_int_equal(pci_host_ecam_ops.read(&f->host, ecam_off(1, 0, 0), 4), 0xffffffff);
    assert_int_equal(pci_host_ecam_ops.read(&f->host, ecam_off(255, 0, 0), 2), 0xffff);
    m1_write(f, PCI_DEVFN(5, 0), 0, 0, 4); /* dropped */
    /* Conventional function (256 bytes) read past its end via ECAM: 0, so
     * Linux sees no extended capabilities. */
    assert_int_equal(ecam_read(f, 0, 0x100, 4), 0);
}

static void test_ecam_and_mechanism1_agree(void **state)
{
    struct fixture *f = *state;
    unsigned devfn = (unsigned)f->td_devfn;
    for (unsigned reg = 0; reg < PCI_CFG_SIZE; reg += 4)
        assert_int_equal(m1_read(f, devfn, reg, 4), ecam_read(f, devfn, reg, 4));
    ecam_write(f, devfn, PCI_INTERRUPT_LINE, 0x0b, 1);
    assert_int_equal(m1_read(f, devfn, PCI_INTERRUPT_LINE, 1), 0x0b);
    m1_write(f, devfn, PCI_BAR0, 0xc0001000, 4);
    assert_int_equal(ecam_read(f, devfn, PCI_BAR0, 4), 0xc0001000);
    /* The 4 KiB extended space of a PCIe function is reachable only by
     * ECAM. */
    assert_int_equal(ecam_read(f, devfn, 0x100, 4), 0);
}

static void test_read_only_and_w1c(void **state)
{
    struct fixture *f = *state;
    unsigned devfn = (unsigned)f->td_devfn;
    m1_write(f, devfn, PCI_VENDOR_ID, 0xdeadbeef, 4);
    assert_int_equal(m1_read(f, devfn, PCI_VENDOR_ID, 4), 0x10411af4);
    m1_write(f, devfn, PCI_REVISION_ID, 0xffffffff, 4);
    assert_int_equal(m1_read(f, devfn, PCI_REVISION_ID, 1), 0x01);
    assert_int_equal(m1_read(f, devfn, PCI_CLASS_PROG, 1), 0x00);
    assert_int_equal(m1_read(f, devfn, PCI_CLASS_DEVICE, 2), 0x0200);
    m1_write(f, devfn, PCI_COMMAND, 0xffff, 2);
    assert_int_equal(m1_read(f, devfn, PCI_COMMAND, 2), 0x0547);
    /* Status error bits: write 1 to clear. */
    f->td.pci.regs.config[PCI_STATUS + 1] |= 0x20; /* received master abort */
    uint16_t st = (uint16_t)m1_read(f, devfn, PCI_STATUS, 2);
    assert_true(st & 0x2000);
    assert_true(st & PCI_STATUS_CAP_LIST);
    m1_write(f, devfn, PCI_STATUS, 0x2000, 2);
    st = (uint16_t)m1_read(f, devfn, PCI_STATUS, 2);
    assert_false(st & 0x2000);
    assert_true(st & PCI_STATUS_CAP_LIST); /* read-only bit survives */
    assert_int_equal(f->td.cfg_writes, 4);
    /* No expansion ROM: the ROM BAR reads 0 whatever is written. */
    m1_write(f, devfn, PCI_ROM_ADDRESS, 0xffffffff, 4);
    assert_int_equal(m1_read(f, devfn, PCI_ROM_ADDRESS, 4), 0);
}

static void test_bar_sizing(void **state)
{
    struct fixture *f = *state;
    unsigned devfn = (unsigned)f->td_devfn;
    assert_int_equal(m1_read(f, devfn, PCI_BAR0, 4), 0);
    assert_int_equal(m1_read(f, devfn, PCI_BAR0 + 4, 4), PCI_BAR_SPACE_IO);
    assert_int_equal(m1_read(f, devfn, PCI_BAR0 + 8, 4), PCI_BAR_MEM_TYPE_64 | PCI_BAR_MEM_PREFETCH);
    for (unsigned n = 0; n < PCI_NUM_BARS; n++)
        m1_write(f, devfn, PCI_BAR0 + 4 * n, 0xffffffff, 4);
    assert_int_equal(m1_read(f, devfn, PCI_BAR0, 4), 0xfffff000);
    assert_int_equal(m1_read(f, devfn, PCI_BAR0 + 4, 4), 0xffffffe1);
    assert_int_equal(m1_read(f, devfn, PCI_BAR0 + 8, 4), 0xffffc00c);
    assert_int_equal(m1_read(f, devfn, PCI_BAR0 + 12, 4), 0xffffffff);
    assert_int_equal(m1_read(f, devfn, PCI_BAR0 + 16, 4), 0); /* unused */
    assert_int_equal(m1_read(f, devfn, PCI_BAR0 + 20, 4), 0);
    /* Host bridge has no BARs at all. */
    m1_write(f, 0, PCI_BAR0, 0xffffffff, 4);
    assert_int_equal(m1_read(f, 0, PCI_BAR0, 4), 0);
}

static void test_bar_add_validation(void **state)
{
    (void)state;
    struct testdev t;
    testdev_init(&t, 0);
    struct pci_dev *d = &t.pci;
    assert_int_equal(pci_dev_add_bar(d, 0, PCI_BAR_MEM32, 0x1000, false), -EBUSY);
    assert_int_equal(pci_dev_add_bar(d, 3, PCI_BAR_MEM32, 0x1000, false), -EBUSY); /* upper half */
    assert_int_equal(pci_dev_add_bar(d, 4, PCI_BAR_MEM32, 0x1800, false), -EINVAL);
    assert_int_equal(pci_dev_add_bar(d, 4, PCI_BAR_MEM32, 8, false), -EINVAL);
    assert_int_equal(pci_dev_add_bar(d, 5, PCI_BAR_MEM64, 0x1000, false), -EINVAL);
    assert_int_equal(pci_dev_add_bar(d, 6, PCI_BAR_IO, 16, false), -EINVAL);
    assert_int_equal(pci_dev_add_bar(d, 4, PCI_BAR_IO, 512, false), -EINVAL);
    assert_int_equal(pci_dev_add_bar(d, 4, PCI_BAR_IO, 16, true), -EINVAL);
    assert_int_equal(pci_dev_add_bar(d, 4, PCI_BAR_MEM64, 0x100000000ull, false), 0);
    pci_dev_destroy(d);
}

static void test_bar_decode_and_dispatch(void **state)
{
    struct fixture *f = *state;
    struct testdev *t = &f->td;
    unsigned devfn = (unsigned)f->td_devfn;
    m1_write(f, devfn, PCI_BAR0, 0xc0010000, 4);
    m1_write(f, devfn, PCI_BAR0 + 4, 0xc100, 4);
    m1_write(f, devfn, PCI_BAR0 + 8, 0xc0020000, 4);
    m1_write(f, devfn, PCI_BAR0 + 12, 0, 4);
    assert_int_equal(t->maps, 0); /* decoding still off */
    assert_int_equal(mmio_read(f, 0xc0010010, 4), 0xffffffff);
    m1_write(f, devfn, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    assert_int_equal(t->maps, 2);
    assert_true(t->map_active[0]);
    assert_int_equal(t->map_addr[0], 0xc0010000);
    assert_true(t->map_active[2]);
    assert_int_equal(t->map_addr[2], 0xc0020000);
    assert_false(t->map_active[1]);
    assert_int_equal(mmio_read(f, 0xc0010010, 4), 0x10);
    assert_int_equal(t->last_bar, 0);
    assert_int_equal(mmio_read(f, 0xc0023ffc, 4), 0x2000 + 0x3ffc);
    mmio_write(f, 0xc0020008, 0x55, 8);
    assert_int_equal(t->last_bar, 2);
    assert_int_equal(t->last_off, 8);
    assert_int_equal(t->last_val, 0x55);
    /* Straddling the end of a BAR, or a gap: nobody answers. */
    assert_int_equal(mmio_read(f, 0xc0010ffe, 4), 0xffffffff);
    assert_int_equal(mmio_read(f, 0xc0011000, 1), 0xff);
    /* I/O decoding. */
    m1_write(f, devfn, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO, 2);
    assert_true(t->map_active[1]);
    assert_int_equal(pci_bus_pio_ops.read(&f->bus, 0xc104 - PCI_BUS_PIO_BASE, 2), 0x1004);
    /* Moving BAR0 while decoding: callback with the new address, old
     * address dead. */
    unsigned maps = t->maps;
    m1_write(f, devfn, PCI_BAR0, 0xc0030000, 4);
    assert_int_equal(t->maps, maps + 1);
    assert_int_equal(t->map_addr[0], 0xc0030000);
    assert_int_equal(mmio_read(f, 0xc0010010, 4), 0xffffffff);
    assert_int_equal(mmio_read(f, 0xc0030010, 4), 0x10);
    /* Sizing while decoding, and BARs outside the window: inactive. */
    m1_write(f, devfn, PCI_BAR0, 0xffffffff, 4);
    assert_false(t->map_active[0]);
    m1_write(f, devfn, PCI_BAR0, 0xb0000000, 4);
    assert_false(t->map_active[0]);
    m1_write(f, devfn, PCI_BAR0, 0xcffff000, 4); /* last page of the window */
    assert_true(t->map_active[0]);
    m1_write(f, devfn, PCI_BAR0 + 12, 1, 4); /* 64-bit BAR moved above 4 GiB */
    assert_false(t->map_active[2]);
    /* Command memory off: everything stops. */
    m1_write(f, devfn, PCI_COMMAND, PCI_COMMAND_IO, 2);
    assert_false(t->map_active[0]);
    assert_int_equal(mmio_read(f, 0xcffff000, 4), 0xffffffff);
}

static void test_capability_list(void **state)
{
    (void)state;
    struct testdev t;
    testdev_init(&t, 0);
    struct pci_dev *d = &t.pci;
    int vndr = pci_add_capability(d, PCI_CAP_ID_VNDR, 5);
    assert_int_equal(vndr, PCI_CAP_START);
    int msix_ret = pci_msix_init(d, 8, 0, 0, 0x100);
    assert_int_equal(msix_ret, 0);
    int vndr2 = pci_add_capability(d, PCI_CAP_ID_VNDR, 16);
    assert_int_equal(vndr2 % 4, 0);
    assert_true(pci_dev_get16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST);
    /* Walk the list as a guest does. */
    uint8_t ids[4];
    unsigned n = 0;
    for (uint8_t p = pci_dev_get8(d, PCI_CAPABILITY_LIST); p && n < 4; p = pci_dev_get8(d, p + 1u))
        ids[n++] = pci_dev_get8(d, p);
    assert_int_equal(n, 3);
    assert_int_equal(ids[0], PCI_CAP_ID_VNDR);
    assert_int_equal(ids[1], PCI_CAP_ID_MSIX);
    assert_int_equal(ids[2], PCI_CAP_ID_VNDR);
    /* MSI-X capability contents. */
    unsigned cap = d->msix.cap;
    assert_int_equal(pci_dev_get16(d, cap + PCI_MSIX_CTRL), 7);
    assert_int_equal(pci_dev_get32(d, cap + PCI_MSIX_TABLE), 0);
    assert_int_equal(pci_dev_get32(d, cap + PCI_MSIX_PBA), 0x100);
    assert_int_equal(pci_msix_init(d, 8, 0, 0, 0x100), -EEXIST);
    /* Space runs out below 0x100; bad lengths refused. */
    assert_int_equal(pci_add_capability(d, PCI_CAP_ID_VNDR, 1), -EINVAL);
    assert_int_equal(pci_add_capability(d, PCI_CAP_ID_VNDR, 200), -ENOSPC);
    pci_dev_destroy(d);
}

static void test_msix_validation(void **state)
{
    (void)state;
    struct testdev t;
    testdev_init(&t, 0);
    struct pci_dev *d = &t.pci;
    assert_int_equal(pci_msix_init(d, 0, 0, 0, 0x800), -EINVAL);
    assert_int_equal(pci_msix_init(d, PCI_MSIX_MAX_VECTORS + 1, 0, 0, 0x800), -EINVAL);
    assert_int_equal(pci_msix_init(d, 4, 1, 0, 0x10), -EINVAL);      /* I/O BAR */
    assert_int_equal(pci_msix_init(d, 4, 4, 0, 0x800), -EINVAL);     /* unused BAR */
    assert_int_equal(pci_msix_init(d, 4, 0, 0xff8, 0x800), -EINVAL); /* table past the end */
    assert_int_equal(pci_msix_init(d, 4, 0, 0, 0x20), -EINVAL);      /* overlap */
    assert_int_equal(pci_msix_init(d, 4, 0, 4, 0x800), -EINVAL);     /* misaligned */
    assert_int_equal(pci_msix_init(d, 4, 0, 0, 0x40), 0);
    pci_dev_destroy(d);
}

static void program_bar0(struct fixture *f)
{
    unsigned devfn = (unsigned)f->td_devfn;
    m1_write(f, devfn, PCI_BAR0, 0xc0010000, 4);
    m1_write(f, devfn, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
}

static void test_msix_delivery(void **state)
{
    struct fixture *f = *state;
    struct pci_dev *d = &f->td.pci;
    unsigned devfn = (unsigned)f->td_devfn;
    unsigned cap = d->msix.cap;
    program_bar0(f);
    const uint64_t table = 0xc0010800, pba = 0xc0010c00;
    /* Disabled: the device falls back. */
    assert_false(pci_msix_notify(d, 0));
    assert_int_equal(f->irq.nmsi, 0);
    /* Vector 1: address 0xfee00000, data 0x4041; all vectors start masked. */
    assert_int_equal(mmio_read(f, table + 16 + 12, 4), PCI_MSIX_ENTRY_MASKED);
    mmio_write(f, table + 16, 0xfee00000, 4);
    mmio_write(f, table + 16 + 4, 0, 4);
    mmio_write(f, table + 16 + 8, 0x4041, 4);
    assert_int_equal(mmio_read(f, table + 16, 8), 0xfee00000);
    assert_int_equal(f->td.reads, 0); /* the bus served the table itself */
    m1_write(f, devfn, cap + PCI_MSIX_CTRL, PCI_MSIX_CTRL_ENABLE, 2);
    assert_true(pci_msix_enabled(d));
    /* Masked: pending bit, no message. */
    assert_true(pci_msix_notify(d, 1));
    assert_int_equal(f->irq.nmsi, 0);
    assert_int_equal(mmio_read(f, pba, 8), 1u << 1);
    /* Unmasking delivers the pending message. */
    mmio_write(f, table + 16 + 12, 0, 4);
    assert_int_equal(f->irq.nmsi, 1);
    assert_int_equal(f->irq.msi_addr[0], 0xfee00000);
    assert_int_equal(f->irq.msi_data[0], 0x4041);
    assert_int_equal(mmio_read(f, pba, 8), 0);
    assert_true(pci_msix_notify(d, 1));
    assert_int_equal(f->irq.nmsi, 2);
    /* Function mask holds everything back. */
    m1_write(f, devfn, cap + PCI_MSIX_CTRL, PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_MASKALL, 2);
    assert_true(pci_msix_notify(d, 1));
    assert_int_equal(f->irq.nmsi, 2);
    m1_write(f, devfn, cap + PCI_MSIX_CTRL, PCI_MSIX_CTRL_ENABLE, 2);
    assert_int_equal(f->irq.nmsi, 3);
    /* Table size is read-only; PBA is read-only; vector control reserved
     * bits read 0; out-of-range vectors are refused. */
    m1_write(f, devfn, cap + PCI_MSIX_CTRL, 0xffff, 2);
    assert_int_equal(m1_read(f, devfn, cap + PCI_MSIX_CTRL, 2),
                     PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_MASKALL | 3);
    mmio_write(f, pba, ~0ull, 8);
    assert_int_equal(mmio_read(f, pba, 8), 0);
    mmio_write(f, table + 12, 0xfffffffe, 4);
    assert_int_equal(mmio_read(f, table + 12, 4), 0);
    assert_false(pci_msix_notify(d, 4));
    assert_false(pci_msix_notify(d, 1000));
    /* Accesses straddling the table end go to the device, not past the
     * table. */
    (void)mmio_read(f, table + 4 * 16 - 4, 8);
    assert_int_equal(f->td.last_off, 0x800 + 4 * 16 - 4);
}

static void test_intx_routing(void **state)
{
    struct fixture *f = *state;
    struct pci_dev *d = &f->td.pci;
    unsigned devfn = (unsigned)f->td_devfn; /* slot 1, INTA# */
    unsigned gsi = pci_bus_intx_gsi(1, 0);
    assert_int_equal(gsi, 17);
    assert_int_equal(m1_read(f, devfn, PCI_INTERRUPT_PIN, 1), 1);
    assert_int_equal(m1_read(f, devfn, PCI_INTERRUPT_LINE, 1), gsi);
    pci_dev_set_intx(d, true);
    assert_true(f->irq.level[gsi]);
    assert_true(m1_read(f, devfn, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    /* INTx disable masks the line but not the status bit. */
    m1_write(f, devfn, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, 2);
    assert_false(f->irq.level[gsi]);
    assert_true(m1_read(f, devfn, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    m1_write(f, devfn, PCI_COMMAND, 0, 2);
    assert_true(f->irq.level[gsi]);
    /* A second function sharing the line (slot 9, INTA# -> same GSI). */
    struct testdev t2;
    testdev_init(&t2, 1);
    assert_int_equal(pci_bus_add_at(&f->bus, &t2.pci, PCI_DEVFN(9, 0)), 0);
    assert_int_equal(pci_bus_intx_gsi(9, 0), gsi);
    pci_dev_set_intx(&t2.pci, true);
    pci_dev_set_intx(d, false);
    assert_true(f->irq.level[gsi]); /* still asserted by t2 */
    pci_dev_set_intx(&t2.pci, false);
    assert_false(f->irq.level[gsi]);
    assert_false(m1_read(f, devfn, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    /* Swizzle: all 8 lines are used and pins rotate per slot. */
    assert_int_equal(pci_bus_intx_gsi(0, 0), 16);
    assert_int_equal(pci_bus_intx_gsi(0, 3), 19);
    assert_int_equal(pci_bus_intx_gsi(7, 1), 16);
    assert_int_equal(pci_bus_intx_gsi(31, 3), 18);
    pci_dev_destroy(&t2.pci);
}

static void test_bus_add_and_multifunction(void **state)
{
    struct fixture *f = *state;
    struct testdev a, b;
    testdev_init(&a, 0);
    testdev_init(&b, 0);
    assert_int_equal(pci_bus_add_at(&f->bus, &a.pci, PCI_DEVFN(1, 0)), -EBUSY);
    assert_int_equal(pci_bus_add_at(&f->bus, &a.pci, 256), -EINVAL);
    assert_int_equal(pci_bus_add_at(&f->bus, &a.pci, PCI_DEVFN(1, 2)), 0);
    assert_int_equal(pci_bus_add_at(&f->bus, &a.pci, PCI_DEVFN(4, 0)), -EINVAL); /* already on a bus */
    assert_true(m1_read(f, PCI_DEVFN(1, 0), PCI_HEADER_TYPE, 1) & PCI_HEADER_TYPE_MULTI);
    assert_int_equal(m1_read(f, PCI_DEVFN(1, 2), PCI_VENDOR_ID, 2), 0x1af4);
    assert_int_equal(pci_bus_add(&f->bus, &b.pci), PCI_DEVFN(2, 0));
    assert_false(m1_read(f, PCI_DEVFN(2, 0), PCI_HEADER_TYPE, 1) & PCI_HEADER_TYPE_MULTI);
    pci_dev_destroy(&a.pci);
    pci_dev_destroy(&b.pci);
}

static void test_assign_bars(void **state)
{
    struct fixture *f = *state;
    struct testdev *t = &f->td;
    assert_int_equal(pci_bus_assign_bars(&f->bus), 0);
    for (unsigned n = 0; n < PCI_NUM_BARS; n++) {
        const struct pci_bar *bar = &t->pci.bar[n];
        if (bar->kind == PCI_BAR_UNUSED)
            continue;
        assert_true(bar->active);
        assert_int_equal(bar->addr % bar->size, 0);
        assert_true(t->map_active[n]);
        if (bar->kind == PCI_BAR_IO)
            assert_true(bar->addr >= PCI_BUS_PIO_BASE && bar->addr + bar->size <= PCI_BUS_PIO_BASE + PCI_BUS_PIO_SIZE);
        else
            assert_true(bar->addr >= MMIO_BASE && bar->addr + bar->size <= MMIO_BASE + MMIO_SIZE);
    }
    assert_false(ranges_overlap(t->pci.bar[0].addr, t->pci.bar[0].size, t->pci.bar[2].addr,
                                t->pci.bar[2].size));
    assert_int_equal(mmio_read(f, t->pci.bar[2].addr + 4, 4), 0x2004);
    /* A window too small for the BARs. */
    struct pci_bus small;
    struct testdev t2;
    assert_int_equal(pci_bus_init(&small, NULL, MMIO_BASE, 0x2000, PCI_BUS_PIO_BASE, 0x10), 0);
    testdev_init(&t2, 0);
    assert_int_equal(pci_bus_add(&small, &t2.pci), 0);
    assert_int_equal(pci_bus_assign_bars(&small), -ENOSPC);
    pci_dev_destroy(&t2.pci);
    pci_bus_destroy(&small);
}

static void test_hostile_config_accesses(void **state)
{
    struct fixture *f = *state;
    unsigned devfn = (unsigned)f->td_devfn;
    /* 8-byte and dword-crossing accesses through ECAM. */
    assert_int_equal(pci_host_ecam_ops.read(&f->host, ecam_off(0, devfn, 0), 8), ~0ull);
    pci_host_ecam_ops.write(&f->host, ecam_off(0, devfn, PCI_COMMAND), ~0ull, 8);
    assert_int_equal(m1_read(f, devfn, PCI_COMMAND, 2), 0);
    assert_int_equal(ecam_read(f, devfn, 3, 2), 0xffff);
    assert_int_equal(ecam_read(f, devfn, 2, 4), 0xffffffff);
    ecam_write(f, devfn, PCI_COMMAND + 1, 0xffff, 4);
    assert_int_equal(m1_read(f, devfn, PCI_COMMAND, 2), 0);
    /* Last bytes of config space and beyond. */
    assert_int_equal(ecam_read(f, devfn, 0xffc, 4), 0);
    assert_int_equal(ecam_read(f, devfn, 0xfff, 1), 0);
    ecam_write(f, devfn, 0xffc, 0xffffffff, 4);
    assert_int_equal(pci_bus_config_read(&f->bus, 0, devfn, 0x1000, 4), 0xffffffff);
    assert_int_equal(pci_bus_config_read(&f->bus, 0, 300, 0, 4), 0xffffffff);
    assert_int_equal(pci_bus_config_read(&f->bus, 0, devfn, 0, 3), 0xffffff);
    pci_bus_config_write(&f->bus, 0, devfn, 0x1000, 4, 0);
    /* Every offset and size through mechanism #1, including 8 bytes at
     * CONFIG_DATA and register numbers with the reserved bits set. */
    for (uint32_t hi = 0; hi < 0x80; hi += 0x11) {
        pci_host_pio_ops.write(&f->host, 0, PCI_CONFIG_ENABLE | hi << 24 | devfn << 8 | 0x3c, 4);
        for (unsigned off = 0; off < PCI_HOST_IO_LEN; off++) {
            for (unsigned size = 1; size <= 8 && off + size <= PCI_HOST_IO_LEN; size *= 2) {
                (void)pci_host_pio_ops.read(&f->host, off, size);
                if (off != 1 && !(off == 0 && size == 4))
                    pci_host_pio_ops.write(&f->host, off, 0x0, size);
            }
        }
    }
    assert_int_equal(f->ctl.count, 0);
    assert_int_equal(m1_read(f, devfn, PCI_VENDOR_ID, 4), 0x10411af4);
}

static void test_cf9_forwarding(void **state)
{
    struct fixture *f = *state;
    pci_host_pio_ops.write(&f->host, 1, 0x02, 1);
    assert_int_equal(pci_host_pio_ops.read(&f->host, 1, 1), 0x02);
    assert_int_equal(f->ctl.count, 0);
    pci_host_pio_ops.write(&f->host, 1, 0x06, 1);
    assert_int_equal(f->ctl.count, 1);
    assert_int_equal(f->ctl.last, VM_EVENT_RESET);
    /* A 32-bit write to 0xCF8 is CONFIG_ADDRESS, not a reset. */
    pci_host_pio_ops.write(&f->host, 0, 0x80000600, 4);
    assert_int_equal(f->ctl.count, 1);
}

/* vCPUs reading a BAR while another vCPU moves it. */
struct hammer {
    struct fixture *f;
    atomic_int stop;
    atomic_uint hits, misses;
};

static void *hammer_main(void *arg)
{
    struct hammer *h = arg;
    while (!atomic_load(&h->stop)) {
        uint64_t v = mmio_read(h->f, 0xc0010010, 4);
        if (v == 0x10)
            atomic_fetch_add(&h->hits, 1);
        else if (v == 0xffffffff)
            atomic_fetch_add(&h->misses, 1);
        else
            abort(); /* a torn or stale mapping */
    }
    return NULL;
}

static void test_bar_moves_under_load(void **state)
{
    struct fixture *f = *state;
    unsigned devfn = (unsigned)f->td_devfn;
    program_bar0(f);
    struct hammer h = { .f = f };
    pthread_t t[2];
    for (unsigned i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer_main, &h), 0);
    /* Move and toggle the BAR until the readers have done a fair number of
     * accesses (bounded, in case the machine is very slow). */
    for (unsigned i = 0; i < 1000000; i++) {
        if (i >= 2000 && atomic_load(&h.hits) + atomic_load(&h.misses) >= 20000)
            break;
        m1_write(f, devfn, PCI_BAR0, i % 2 ? 0xc0010000 : 0xc0050000, 4);
        m1_write(f, devfn, PCI_COMMAND, i % 3 ? PCI_COMMAND_MEMORY : 0, 2);
        if (i % 64 == 0)
            sched_yield();
    }
    atomic_store(&h.stop, 1);
    for (unsigned i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_true(atomic_load(&h.hits) > 0);
    assert_true(atomic_load(&h.misses) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_host_bridge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mechanism1_address_register, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mechanism1_data_offsets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_absent_functions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ecam_and_mechanism1_agree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only_and_w1c, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bar_sizing, setup, teardown),
        cmocka_unit_test(test_bar_add_validation),
        cmocka_unit_test_setup_teardown(test_bar_decode_and_dispatch, setup, teardown),
        cmocka_unit_test(test_capability_list),
        cmocka_unit_test(test_msix_validation),
        cmocka_unit_test_setup_teardown(test_msix_delivery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_intx_routing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bus_add_and_multifunction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_assign_bars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_config_accesses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cf9_forwarding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bar_moves_under_load, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
