#include "acpi/madt.h"

#include <errno.h>
#include <string.h>

#include "machine/layout.h"

struct madt_writer {
    uint8_t *out;
    size_t cap, len;
    bool full;
};

static void madt_put(struct madt_writer *w, const void *p, size_t n)
{
    if (w->full || n > w->cap - w->len) {
        w->full = true;
        return;
    }
    memcpy(w->out + w->len, p, n);
    w->len += n;
}

int madt_write(uint8_t *out, size_t cap, const struct acpi_config *c)
{
    struct madt_writer w = { .out = out, .cap = cap };
    struct acpi_madt hdr = { .lapic_addr = (uint32_t)LAYOUT_LAPIC, .flags = MADT_PCAT_COMPAT };
    madt_put(&w, &hdr, sizeof(hdr));

    for (unsigned i = 0; i < c->ncpus; i++) {
        struct madt_local_apic l = {
            .type = MADT_LOCAL_APIC, .length = sizeof(l),
            .uid = (uint8_t)i, .apic_id = (uint8_t)i, .flags = MADT_LAPIC_ENABLED,
        };
        madt_put(&w, &l, sizeof(l));
    }
    struct madt_io_apic io = {
        .type = MADT_IO_APIC, .length = sizeof(io),
        .id = (uint8_t)c->ncpus, .addr = (uint32_t)LAYOUT_IOAPIC, .gsi_base = 0,
    };
    madt_put(&w, &io, sizeof(io));

    /* The PIT's IRQ0 is wired to I/O APIC pin 2 on PC-compatible boards. */
    struct madt_int_override pit = {
        .type = MADT_INT_SRC_OVERRIDE, .length = sizeof(pit), .bus = 0, .source = 0,
        .gsi = 2, .flags = MADT_POLARITY_HIGH | MADT_TRIGGER_EDGE,
    };
    madt_put(&w, &pit, sizeof(pit));
    /* The SCI is level-triggered; vmon drives it active high. */
    struct madt_int_override sci = {
        .type = MADT_INT_SRC_OVERRIDE, .length = sizeof(sci), .bus = 0,
        .source = (uint8_t)c->sci_irq, .gsi = c->sci_irq,
        .flags = MADT_POLARITY_HIGH | MADT_TRIGGER_LEVEL,
    };
    madt_put(&w, &sci, sizeof(sci));

    struct madt_lapic_nmi nmi = {
        .type = MADT_LOCAL_APIC_NMI, .length = sizeof(nmi), .uid = 0xff,
        .flags = MADT_POLARITY_HIGH | MADT_TRIGGER_EDGE, .lint = 1,
    };
    madt_put(&w, &nmi, sizeof(nmi));
    if (w.full)
        return -ENOSPC;

    acpi_table_header(&hdr.h, "APIC", (uint32_t)w.len, MADT_REVISION);
    memcpy(out, &hdr, sizeof(hdr));
    acpi_table_finish(out);
    return (int)w.len;
}
