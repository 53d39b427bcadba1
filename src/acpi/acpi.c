#include "acpi/acpi.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "acpi/acpi_table.h"
#include "acpi/dsdt.h"
#include "acpi/fadt.h"
#include "acpi/madt.h"
#include "acpi/mcfg.h"
#include "common/log.h"
#include "common/util.h"
#include "machine/layout.h"

#define XSDT_REVISION 1
#define XSDT_MAX_TABLES 8

/* 5.2.5.3 Table 5.3: Root System Description Pointer, revision 2 */
struct acpi_rsdp {
    char signature[8];      /* "RSD PTR " */
    uint8_t checksum;       /* over the first 20 bytes */
    char oem_id[6];
    uint8_t revision;       /* 2: ACPI 2.0+ with XSDT */
    uint32_t rsdt_addr;     /* 0: vmon provides only the XSDT */
    uint32_t length;        /* 36 */
    uint64_t xsdt_addr;
    uint8_t ext_checksum;   /* over all 36 bytes */
    uint8_t reserved[3];
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP is 36 bytes");
_Static_assert(offsetof(struct acpi_rsdp, xsdt_addr) == 24, "XsdtAddress");

/* 5.2.10 Table 5.8: Firmware ACPI Control Structure, version 2. */
struct acpi_facs {
    char signature[4];      /* "FACS" */
    uint32_t length;        /* 64 */
    uint32_t hardware_signature;
    uint32_t firmware_waking_vector;
    uint32_t global_lock;
    uint32_t flags;
    uint64_t x_firmware_waking_vector;
    uint8_t version;
    uint8_t reserved[3];
    uint32_t ospm_flags;
    uint8_t reserved2[24];
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_facs) == 64, "FACS is 64 bytes");

void acpi_config_defaults(struct acpi_config *c, unsigned ncpus)
{
    memset(c, 0, sizeof(*c));
    c->ncpus = ncpus;
    c->pm1a_evt_port = PORT_ACPI_PM;
    c->pm1a_evt_len = 4;
    c->pm1a_cnt_port = PORT_ACPI_PM + 4;
    c->pm1a_cnt_len = 2;
    c->pm_tmr_port = PORT_ACPI_PM + 8;
    c->gpe0_port = PORT_ACPI_PM + 0xc;
    c->gpe0_len = 4;
    c->sci_irq = GSI_ACPI_SCI;
    c->reset_port = 0xcf9;
    c->reset_value = 0x06;
    c->has_i8042 = true;
    c->has_rtc = true;
    c->has_com1 = true;
    c->ecam_base = LAYOUT_PCI_ECAM;
    c->pci_mmio_base = (uint32_t)LAYOUT_PCI_MMIO_START;
    c->pci_mmio_size = (uint32_t)LAYOUT_PCI_MMIO_SIZE;
}

static int cfg_err(char *err, size_t errlen, const char *msg, unsigned long long v)
{
    if (err && errlen)
        snprintf(err, errlen, "acpi: %s (%llu)", msg, v);
    return -EINVAL;
}

int acpi_config_check(const struct acpi_config *c, char *err, size_t errlen)
{
    if (c->ncpus == 0 || c->ncpus > ACPI_MAX_CPUS)
        return cfg_err(err, errlen, "vCPU count must be 1-254", c->ncpus);
    if (c->pm1a_evt_len < 4 || c->pm1a_evt_len % 2)
        return cfg_err(err, errlen, "PM1 event block length must be even and at least 4",
                       c->pm1a_evt_len);
    if (c->pm1a_cnt_len < 2)
        return cfg_err(err, errlen, "PM1 control block length must be at least 2",
                       c->pm1a_cnt_len);
    if (c->gpe0_len % 2)
        return cfg_err(err, errlen, "GPE0 block length must be even", c->gpe0_len);
    if (c->sci_irq > 15)
        return cfg_err(err, errlen, "SCI must be an ISA IRQ", c->sci_irq);
    if (c->pci_mmio_size == 0 || c->pci_mmio_base + (uint64_t)c->pci_mmio_size > (1ull << 32))
        return cfg_err(err, errlen, "PCI MMIO window must be non-empty and below 4 GiB",
                       c->pci_mmio_size);
    if (c->nprt > ACPI_MAX_PRT || (c->nprt && !c->prt))
        return cfg_err(err, errlen, "too many _PRT entries", c->nprt);
    for (size_t i = 0; i < c->nprt; i++)
        if (c->prt[i].slot > 31 || c->prt[i].pin > 3 || c->prt[i].gsi > ACPI_MAX_GSI)
            return cfg_err(err, errlen, "bad _PRT entry (slot 0-31, pin 0-3, GSI 0-255)", i);
    if (c->nvirtio > ACPI_MAX_VIRTIO || (c->nvirtio && !c->virtio))
        return cfg_err(err, errlen, "too many virtio-mmio devices", c->nvirtio);
    for (size_t i = 0; i < c->nvirtio; i++) {
        const struct acpi_virtio_mmio *v = &c->virtio[i];
        if (v->size == 0 || v->base + (uint64_t)v->size > (1ull << 32) ||
            v->base + v->size < v->base || v->gsi > ACPI_MAX_GSI)
            return cfg_err(err, errlen, "virtio-mmio window must be below 4 GiB, GSI 0-255", i);
    }
    return 0;
}

/* Tables are laid out one after another in the host view of the area. */
struct acpi_area {
    uint8_t *host;
    uint64_t base, size;
    uint64_t used;   /* bytes taken so far */
    uint64_t next;   /* offset of the table being written */
};

/* Where the next table starts (aligned); *cap bytes remain for it. */
static uint8_t *area_next(struct acpi_area *a, uint64_t align, size_t *cap)
{
    a->next = MIN(ALIGN_UP(a->used, align), a->size);
    *cap = (size_t)(a->size - a->next);
    return a->host + a->next;
}

/* Accounts the table just written (len bytes, or a negative errno) and
 * gives its guest physical address. */
static int area_commit(struct acpi_area *a, int len, uint64_t *gpa)
{
    if (len < 0)
        return len;
    *gpa = a->base + a->next;
    a->used = a->next + (uint64_t)len;
    return 0;
}

static int facs_write(uint8_t *out, size_t cap)
{
    struct acpi_facs f;
    if (cap < sizeof(f))
        return -ENOSPC;
    memset(&f, 0, sizeof(f));
    memcpy(f.signature, "FACS", 4);
    f.length = sizeof(f);
    f.version = 2;
    memcpy(out, &f, sizeof(f));
    return (int)sizeof(f);
}

static int xsdt_write(uint8_t *out, size_t cap, const uint64_t *tables, size_t n)
{
    struct acpi_header h;
    size_t len = sizeof(h) + n * sizeof(uint64_t);
    if (cap < len)
        return -ENOSPC;
    acpi_table_header(&h, "XSDT", (uint32_t)len, XSDT_REVISION);
    memcpy(out, &h, sizeof(h));
    memcpy(out + sizeof(h), tables, n * sizeof(uint64_t));
    acpi_table_finish(out);
    return (int)len;
}

static void rsdp_write(uint8_t *out, uint64_t xsdt)
{
    struct acpi_rsdp r;
    memset(&r, 0, sizeof(r));
    memcpy(r.signature, "RSD PTR ", 8);
    memcpy(r.oem_id, ACPI_OEM_ID, 6);
    r.revision = 2;
    r.length = sizeof(r);
    r.xsdt_addr = xsdt;
    r.checksum = acpi_checksum(&r, 20);
    r.ext_checksum = acpi_checksum(&r, sizeof(r));
    memcpy(out, &r, sizeof(r));
}

int acpi_build(struct guest_mem *m, uint64_t base, uint64_t size, const struct acpi_config *c,
               uint64_t *rsdp_addr)
{
    char err[160];
    if (acpi_config_check(c, err, sizeof(err))) {
        log_error("%s", err);
        return -EINVAL;
    }
    if (base % 16 || size < sizeof(struct acpi_rsdp) || !range_within(base, size, 1ull << 32))
        return -EINVAL;
    uint8_t *host = gmem_ptr(m, base, size);
    if (!host)
        return -EFAULT;
    memset(host, 0, (size_t)size);

    struct acpi_area a = { .host = host, .base = base, .size = size,
                           .used = sizeof(struct acpi_rsdp) };
    uint64_t facs = 0, dsdt = 0, fadt = 0, madt = 0, mcfg = 0, xsdt = 0;
    size_t cap;
    uint8_t *out = area_next(&a, 64, &cap);
    int r = area_commit(&a, facs_write(out, cap), &facs);
    if (!r) {
        out = area_next(&a, 16, &cap);
        r = area_commit(&a, dsdt_write(out, cap, c), &dsdt);
    }
    if (!r) {
        out = area_next(&a, 16, &cap);
        r = area_commit(&a, fadt_write(out, cap, c, facs, dsdt), &fadt);
    }
    if (!r) {
        out = area_next(&a, 16, &cap);
        r = area_commit(&a, madt_write(out, cap, c), &madt);
    }
    if (!r) {
        out = area_next(&a, 16, &cap);
        r = area_commit(&a, mcfg_write(out, cap, c), &mcfg);
    }
    if (!r) {
        const uint64_t tables[] = { fadt, madt, mcfg };
        out = area_next(&a, 16, &cap);
        r = area_commit(&a, xsdt_write(out, cap, tables, ARRAY_SIZE(tables)), &xsdt);
    }
    if (r) {
        log_error("acpi: tables do not fit in %llu bytes at 0x%llx", (unsigned long long)size,
                  (unsigned long long)base);
        return r;
    }
    rsdp_write(host, xsdt);
    *rsdp_addr = base;
    return 0;
}
