/* The linker/loader script ("etc/table-loader") through which firmware such
 * as SeaBIOS and OVMF installs ACPI tables it reads from QEMU's fw_cfg
 * device: a list of 128-byte little-endian commands (the format of QEMU's
 * hw/acpi/bios-linker-loader.c, as SeaBIOS's src/fw/romfile_loader.h reads
 * it):
 *
 *   ALLOCATE      file, alignment, zone: load the named fw_cfg file into
 *                 memory (zone HIGH: top of RAM; FSEG: 0xe0000-0xfffff);
 *   ADD_POINTER   dest file, src file, offset, size: add the address of src
 *                 to the size-byte little-endian field at dest + offset;
 *   ADD_CHECKSUM  file, offset, start, length: set the byte at offset so
 *                 that [start, start + length) sums to zero.
 *
 * vmon's script loads "etc/acpi/rsdp" into the F segment (where an OS's
 * legacy RSDP scan finds it) and "etc/acpi/tables" high, then applies the
 * pointer and checksum fixups of an acpi_blob. */
#ifndef VMON_ACPI_ACPI_LOADER_H
#define VMON_ACPI_ACPI_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "acpi/acpi.h"

#define ACPI_LOADER_FILE "etc/table-loader"
#define ACPI_LOADER_TABLES_FILE "etc/acpi/tables"
#define ACPI_LOADER_RSDP_FILE "etc/acpi/rsdp"

#define ACPI_LOADER_NAME_LEN 56
#define ACPI_LOADER_ENTRY_LEN 128

enum acpi_loader_command {
    ACPI_LOADER_ALLOCATE = 1,
    ACPI_LOADER_ADD_POINTER = 2,
    ACPI_LOADER_ADD_CHECKSUM = 3,
};

enum acpi_loader_zone {
    ACPI_LOADER_ZONE_HIGH = 1,
    ACPI_LOADER_ZONE_FSEG = 2,
};

/* One command (bios-linker-loader.c, BiosLinkerLoaderEntry). */
struct acpi_loader_entry {
    uint32_t command;
    union {
        struct {
            char file[ACPI_LOADER_NAME_LEN];
            uint32_t align;
            uint8_t zone;
        } __attribute__((packed)) alloc;
        struct {
            char dest_file[ACPI_LOADER_NAME_LEN];
            char src_file[ACPI_LOADER_NAME_LEN];
            uint32_t offset;
            uint8_t size;
        } __attribute__((packed)) pointer;
        struct {
            char file[ACPI_LOADER_NAME_LEN];
            uint32_t offset;
            uint32_t start;
            uint32_t length;
        } __attribute__((packed)) cksum;
        uint8_t pad[ACPI_LOADER_ENTRY_LEN - 4];
    };
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_loader_entry) == ACPI_LOADER_ENTRY_LEN,
               "loader commands are 128 bytes");

/* Most commands acpi_loader_script writes. */
#define ACPI_LOADER_MAX_ENTRIES (2 + ACPI_BLOB_MAX_PTRS + ACPI_BLOB_MAX_SUMS)

/* Writes the script for b into out[0..max) and returns the number of
 * commands, or -ENOSPC. */
int acpi_loader_script(const struct acpi_blob *b, struct acpi_loader_entry *out, size_t max);

#endif
