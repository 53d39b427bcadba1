#include "acpi/acpi.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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
_Static_assert(sizeof(struct acpi_rsdp) == ACPI_RSDP_LEN, "acpi_blob.rsdp holds one RSDP");
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

/* Where acpi_write_tables put each table (guest physical addresses). */
struct acpi_layout {
    uint64_t facs, dsdt, fadt, madt, mcfg, xsdt;
    uint64_t end; /* offset just past the last table */
};

/* Writes every table but the RSDP into host[0, size), which the guest sees
 * at base; the RSDP's place at the start of the area is left zero. */
static int acpi_write_tables(uint8_t *host, uint64_t base, uint64_t size,
                             const struct acpi_config *c, struct acpi_layout *l)
{
    struct acpi_area a = { .host = host, .base = base, .size = size,
                           .used = sizeof(struct acpi_rsdp) };
    size_t cap;
    uint8_t *out = area_next(&a, 64, &cap);
    int r = area_commit(&a, facs_write(out, cap), &l->facs);
    if (!r) {
        out = area_next(&a, 16, &cap);
        r = area_commit(&a, dsdt_write(out, cap, c), &l->dsdt);
    }
    if (!r) {
        out = area_next(&a, 16, &cap);
        r = area_commit(&a, fadt_write(out, cap, c, l->facs, l->dsdt), &l->fadt);
    }
    if (!r) {
        out = area_next(&a, 16, &cap);
        r = area_commit(&a, madt_write(out, cap, c), &l->madt);
    }
    if (!r) {
        out = area_next(&a, 16, &cap);
        r = area_commit(&a, mcfg_write(out, cap, c), &l->mcfg);
    }
    if (!r) {
        const uint64_t tables[] = { l->fadt, l->madt, l->mcfg };
        out = area_next(&a, 16, &cap);
        r = area_commit(&a, xsdt_write(out, cap, tables, ARRAY_SIZE(tables)), &l->xsdt);
    }
    if (r) {
        log_error("acpi: tables do not fit in %llu bytes at 0x%llx", (unsigned long long)size,
                  (unsigned long long)base);
        return r;
    }
    l->end = a.used;
    return 0;
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

    struct acpi_layout l;
    int r = acpi_write_tables(host, base, size, c, &l);
    if (r)
        return r;
    rsdp_write(host, l.xsdt);
    *rsdp_addr = base;
    return 0;
}

/* Appends to the fixup lists; false when a list is full. */
static bool blob_pointer(struct acpi_blob *b, enum acpi_blob_file dest, uint64_t offset,
                         uint8_t size)
{
    if (b->nptr == ACPI_BLOB_MAX_PTRS)
        return false;
    b->ptr[b->nptr++] = (struct acpi_blob_pointer){ dest, (uint32_t)offset, size };
    return true;
}

static bool blob_checksum(struct acpi_blob *b, enum acpi_blob_file file, uint64_t offset,
                          uint64_t start, uint64_t length)
{
    if (b->nsum == ACPI_BLOB_MAX_SUMS)
        return false;
    b->sum[b->nsum++] = (struct acpi_blob_checksum){ file, (uint32_t)offset, (uint32_t)start,
                                                     (uint32_t)length };
    return true;
}

/* The table at offset t of the blob: its checksum covers its length. */
static bool blob_table_checksum(struct acpi_blob *b, uint64_t t)
{
    uint32_t len = get_le32(b->tables + t + offsetof(struct acpi_header, length));
    return blob_checksum(b, ACPI_BLOB_TABLES, t + offsetof(struct acpi_header, checksum), t, len);
}

/* The fields the firmware must patch once it has placed the files. */
static bool blob_fixups(struct acpi_blob *b, const struct acpi_layout *l)
{
    bool ok = true;
    /* Every XSDT entry, then the FADT's FACS and DSDT fields. */
    uint32_t xsdt_len = get_le32(b->tables + l->xsdt + offsetof(struct acpi_header, length));
    for (uint64_t e = sizeof(struct acpi_header); e + 8 <= xsdt_len; e += 8)
        ok &= blob_pointer(b, ACPI_BLOB_TABLES, l->xsdt + e, 8);
    ok &= blob_pointer(b, ACPI_BLOB_TABLES, l->fadt + offsetof(struct acpi_fadt, firmware_ctrl), 4);
    ok &= blob_pointer(b, ACPI_BLOB_TABLES, l->fadt + offsetof(struct acpi_fadt, dsdt), 4);
    ok &= blob_pointer(b, ACPI_BLOB_TABLES, l->fadt + offsetof(struct acpi_fadt, x_firmware_ctrl),
                       8);
    ok &= blob_pointer(b, ACPI_BLOB_TABLES, l->fadt + offsetof(struct acpi_fadt, x_dsdt), 8);
    ok &= blob_pointer(b, ACPI_BLOB_RSDP, offsetof(struct acpi_rsdp, xsdt_addr), 8);

    ok &= blob_table_checksum(b, l->fadt);
    ok &= blob_table_checksum(b, l->xsdt);
    /* The 20-byte ACPI 1.0 checksum first: the extended one covers it. */
    ok &= blob_checksum(b, ACPI_BLOB_RSDP, offsetof(struct acpi_rsdp, checksum), 0, 20);
    ok &= blob_checksum(b, ACPI_BLOB_RSDP, offsetof(struct acpi_rsdp, ext_checksum), 0,
                        sizeof(struct acpi_rsdp));
    return ok;
}

int acpi_build_blob(const struct acpi_config *c, struct acpi_blob *b)
{
    memset(b, 0, sizeof(*b));
    char err[160];
    if (acpi_config_check(c, err, sizeof(err))) {
        log_error("%s", err);
        return -EINVAL;
    }
    uint8_t *host = calloc(1, ACPI_BLOB_MAX);
    if (!host)
        return -ENOMEM;
    /* At base 0, every pointer between tables holds the target's offset. */
    struct acpi_layout l;
    int r = acpi_write_tables(host, 0, ACPI_BLOB_MAX, c, &l);
    if (r) {
        free(host);
        return r;
    }
    b->tables = host;
    b->tables_len = (uint32_t)l.end;
    rsdp_write(b->rsdp, l.xsdt);
    if (!blob_fixups(b, &l)) {
        acpi_blob_free(b);
        return -ENOSPC;
    }
    return 0;
}

void acpi_blob_free(struct acpi_blob *b)
{
    free(b->tables);
    memset(b, 0, sizeof(*b));
}
