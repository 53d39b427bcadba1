#include "acpi/acpi_table.h"

#include <string.h>

struct acpi_gas acpi_gas_io(uint16_t port, unsigned len, uint8_t access_size)
{
    return (struct acpi_gas){
        .space_id = ACPI_GAS_IO,
        .bit_width = (uint8_t)(len * 8),
        .bit_offset = 0,
        .access_size = access_size,
        .address = port,
    };
}

void acpi_table_header(struct acpi_header *h, const char sig[4], uint32_t length,
                       uint8_t revision)
{
    memset(h, 0, sizeof(*h));
    memcpy(h->signature, sig, 4);
    h->length = length;
    h->revision = revision;
    memcpy(h->oem_id, ACPI_OEM_ID, 6);
    memcpy(h->oem_table_id, "VMON", 4);
    memcpy(h->oem_table_id + 4, sig, 4);
    h->oem_revision = ACPI_OEM_REVISION;
    memcpy(h->creator_id, ACPI_CREATOR_ID, 4);
    h->creator_revision = ACPI_CREATOR_REVISION;
}

uint8_t acpi_checksum(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum = (uint8_t)(sum + b[i]);
    return (uint8_t)-sum;
}

void acpi_table_finish(void *t)
{
    struct acpi_header h;
    memcpy(&h, t, sizeof(h));
    uint8_t *csum = (uint8_t *)t + offsetof(struct acpi_header, checksum);
    *csum = 0;
    *csum = acpi_checksum(t, h.length);
}
