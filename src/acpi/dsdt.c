#include "acpi/dsdt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "acpi/acpi_table.h"
#include "acpi/aml.h"
#include "machine/layout.h"

#define STA_PRESENT_ENABLED_SHOWN_OK 0x0f

/* ACPI 7.4.2: \_S5 = { SLP_TYPa, SLP_TYPb, reserved, reserved }. The PM
 * block powers off when SLP_TYP 5 is written with SLP_EN. */
static void dsdt_s5(struct aml *a)
{
    aml_name(a, "_S5_");
    size_t p = aml_package_begin(a, 4);
    aml_integer(a, 5);
    aml_integer(a, 5);
    aml_integer(a, 0);
    aml_integer(a, 0);
    aml_end(a, p);
}

static void dsdt_sta(struct aml *a)
{
    size_t m = aml_method_begin(a, "_STA", 0, false);
    aml_return(a);
    aml_integer(a, STA_PRESENT_ENABLED_SHOWN_OK);
    aml_end(a, m);
}

/* PCI Firmware Spec 3.2, 6.2.1 / ACPI 6.2.13 _PRT: { Address (slot << 16 |
 * 0xffff: any function), Pin, Source (0: SourceIndex is a GSI), GSI }. */
static void dsdt_prt(struct aml *a, const struct acpi_config *c)
{
    aml_name(a, "_PRT");
    size_t p = aml_package_begin(a, (unsigned)c->nprt);
    for (size_t i = 0; i < c->nprt; i++) {
        const struct acpi_prt_entry *e = &c->prt[i];
        size_t q = aml_package_begin(a, 4);
        aml_integer(a, ((uint64_t)e->slot << 16) | 0xffff);
        aml_integer(a, e->pin);
        aml_integer(a, 0);
        aml_integer(a, e->gsi);
        aml_end(a, q);
    }
    aml_end(a, p);
}

static void dsdt_pci0(struct aml *a, const struct acpi_config *c)
{
    size_t d = aml_device_begin(a, "PCI0");
    aml_name_eisaid(a, "_HID", "PNP0A08");
    aml_name_eisaid(a, "_CID", "PNP0A03");
    aml_name_integer(a, "_SEG", 0);
    aml_name_integer(a, "_BBN", 0);
    aml_name_integer(a, "_UID", 0);
    aml_name(a, "_CRS");
    size_t r = aml_restemplate_begin(a);
    aml_res_word_bus_number(a, 0, 255);
    aml_res_io(a, PORT_PCI_CONFIG, 1, 8);
    aml_res_word_io(a, 0x0000, 0x0cf7);
    aml_res_word_io(a, 0x0d00, 0xffff);
    aml_res_dword_memory(a, c->pci_mmio_base, c->pci_mmio_base + (c->pci_mmio_size - 1), false);
    aml_restemplate_end(a, r);
    dsdt_prt(a, c);
    aml_end(a, d);
}

/* A legacy ISA device: _HID, _UID, _STA and a _CRS of I/O ranges + IRQ. */
static void dsdt_isa(struct aml *a, const char *name, const char *hid, unsigned uid,
                     const uint16_t *ports, const uint8_t *lens, unsigned nports, unsigned irq)
{
    size_t d = aml_device_begin(a, name);
    aml_name_eisaid(a, "_HID", hid);
    aml_name_integer(a, "_UID", uid);
    dsdt_sta(a);
    aml_name(a, "_CRS");
    size_t r = aml_restemplate_begin(a);
    for (unsigned i = 0; i < nports; i++)
        aml_res_io(a, ports[i], 1, lens[i]);
    aml_res_irq_noflags(a, irq);
    aml_restemplate_end(a, r);
    aml_end(a, d);
}

/* Linux's virtio-mmio driver binds LNRO0005 (drivers/virtio/virtio_mmio.c). */
static void dsdt_virtio(struct aml *a, unsigned i, const struct acpi_virtio_mmio *v)
{
    char name[5];
    snprintf(name, sizeof(name), "VR%02X", i & 0xff);
    size_t d = aml_device_begin(a, name);
    aml_name_string_obj(a, "_HID", "LNRO0005");
    aml_name_integer(a, "_UID", i);
    dsdt_sta(a);
    aml_name(a, "_CRS");
    size_t r = aml_restemplate_begin(a);
    aml_res_memory32_fixed(a, (uint32_t)v->base, v->size, true);
    aml_res_interrupt(a, v->gsi, false, false, false);
    aml_restemplate_end(a, r);
    aml_end(a, d);
}

int dsdt_write(uint8_t *out, size_t cap, const struct acpi_config *c)
{
    struct acpi_header h;
    if (cap < sizeof(h))
        return -ENOSPC;
    struct aml a;
    aml_init(&a, out + sizeof(h), cap - sizeof(h));

    dsdt_s5(&a);
    size_t sb = aml_scope_begin(&a, "\\_SB");
    dsdt_pci0(&a, c);
    if (c->has_com1) {
        static const uint16_t port[] = { PORT_COM1 };
        static const uint8_t len[] = { 8 };
        dsdt_isa(&a, "COM1", "PNP0501", 1, port, len, 1, GSI_COM1);
    }
    if (c->has_i8042) {
        static const uint16_t port[] = { PORT_I8042, PORT_I8042 + 4 };
        static const uint8_t len[] = { 1, 1 };
        dsdt_isa(&a, "PS2K", "PNP0303", 0, port, len, 2, GSI_I8042_KBD);
    }
    if (c->has_rtc) {
        static const uint16_t port[] = { PORT_RTC };
        static const uint8_t len[] = { 2 };
        dsdt_isa(&a, "RTC_", "PNP0B00", 0, port, len, 1, GSI_RTC);
    }
    for (size_t i = 0; i < c->nvirtio; i++)
        dsdt_virtio(&a, (unsigned)i, &c->virtio[i]);
    aml_end(&a, sb);
    if (a.error)
        return -ENOSPC;

    size_t len = sizeof(h) + a.len;
    acpi_table_header(&h, "DSDT", (uint32_t)len, DSDT_REVISION);
    memcpy(out, &h, sizeof(h));
    acpi_table_finish(out);
    return (int)len;
}
