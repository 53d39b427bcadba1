/* The ACPI linker/loader script for firmware; see acpi_loader.h. */
#include "acpi/acpi_loader.h"

#include <errno.h>
#include <string.h>

static const char *loader_file(enum acpi_blob_file f)
{
    return f == ACPI_BLOB_RSDP ? ACPI_LOADER_RSDP_FILE : ACPI_LOADER_TABLES_FILE;
}

static void loader_name(char dst[ACPI_LOADER_NAME_LEN], const char *name)
{
    memset(dst, 0, ACPI_LOADER_NAME_LEN);
    strncpy(dst, name, ACPI_LOADER_NAME_LEN - 1);
}

static struct acpi_loader_entry loader_alloc(const char *file, uint32_t align, uint8_t zone)
{
    struct acpi_loader_entry e;
    memset(&e, 0, sizeof(e));
    e.command = ACPI_LOADER_ALLOCATE;
    loader_name(e.alloc.file, file);
    e.alloc.align = align;
    e.alloc.zone = zone;
    return e;
}

int acpi_loader_script(const struct acpi_blob *b, struct acpi_loader_entry *out, size_t max)
{
    size_t n = 2 + b->nptr + b->nsum;
    if (n > max)
        return -ENOSPC;
    size_t i = 0;
    /* The RSDP must be 16-byte aligned (ACPI 6.4, 5.2.5.1); the FACS in
     * the tables 64-byte aligned, which its offset of 64 keeps. */
    out[i++] = loader_alloc(ACPI_LOADER_RSDP_FILE, 16, ACPI_LOADER_ZONE_FSEG);
    out[i++] = loader_alloc(ACPI_LOADER_TABLES_FILE, 64, ACPI_LOADER_ZONE_HIGH);
    for (unsigned p = 0; p < b->nptr; p++) {
        struct acpi_loader_entry *e = &out[i++];
        memset(e, 0, sizeof(*e));
        e->command = ACPI_LOADER_ADD_POINTER;
        loader_name(e->pointer.dest_file, loader_file(b->ptr[p].file));
        loader_name(e->pointer.src_file, ACPI_LOADER_TABLES_FILE);
        e->pointer.offset = b->ptr[p].offset;
        e->pointer.size = b->ptr[p].size;
    }
    for (unsigned s = 0; s < b->nsum; s++) {
        struct acpi_loader_entry *e = &out[i++];
        memset(e, 0, sizeof(*e));
        e->command = ACPI_LOADER_ADD_CHECKSUM;
        loader_name(e->cksum.file, loader_file(b->sum[s].file));
        e->cksum.offset = b->sum[s].offset;
        e->cksum.start = b->sum[s].start;
        e->cksum.length = b->sum[s].length;
    }
    return (int)i;
}
