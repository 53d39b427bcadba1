#include "acpi/mcfg.h"

#include <errno.h>
#include <string.h>

int mcfg_write(uint8_t *out, size_t cap, const struct acpi_config *c)
{
    struct acpi_mcfg t;
    if (cap < sizeof(t))
        return -ENOSPC;
    memset(&t, 0, sizeof(t));
    acpi_table_header(&t.h, "MCFG", sizeof(t), MCFG_REVISION);
    t.alloc[0] = (struct mcfg_allocation){
        .base = c->ecam_base, .segment = 0, .bus_start = 0, .bus_end = 255 };
    memcpy(out, &t, sizeof(t));
    acpi_table_finish(out);
    return (int)sizeof(t);
}
