/* Pieces every ACPI table shares: the system description header (ACPI 6.4,
 * 5.2.6), the Generic Address Structure (5.2.3.2) and checksums. Tables are
 * laid out little-endian, as the x86-64 host stores them. */
#ifndef VMON_ACPI_ACPI_TABLE_H
#define VMON_ACPI_ACPI_TABLE_H

#include <stddef.h>
#include <stdint.h>

#define ACPI_OEM_ID        "VMON  "   /* 6 bytes, space padded */
#define ACPI_CREATOR_ID    "VMON"
#define ACPI_OEM_REVISION  1
#define ACPI_CREATOR_REVISION 1

/* 5.2.6 Table 5.4: System Description Table Header */
struct acpi_header {
    char signature[4];
    uint32_t length;
    uint8_t revision;
    uint8_t checksum;
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    char creator_id[4];
    uint32_t creator_revision;
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_header) == 36, "ACPI table header is 36 bytes");

/* 5.2.3.2 Table 5.1: Generic Address Structure */
struct acpi_gas {
    uint8_t space_id;     /* ACPI_GAS_* */
    uint8_t bit_width;
    uint8_t bit_offset;
    uint8_t access_size;  /* 0 undefined, 1 byte, 2 word, 3 dword, 4 qword */
    uint64_t address;
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_gas) == 12, "GAS is 12 bytes");

#define ACPI_GAS_MEMORY 0
#define ACPI_GAS_IO     1

/* A GAS for `len` bytes of I/O ports at port, accessed access_size units. */
struct acpi_gas acpi_gas_io(uint16_t port, unsigned len, uint8_t access_size);

/* Fills the header: OEM id "VMON  ", table id "VMON" + signature. */
void acpi_table_header(struct acpi_header *h, const char sig[4], uint32_t length,
                       uint8_t revision);

/* The byte that makes the n bytes at p sum to zero once stored in the
 * checksum field; that field must hold 0 when this is called. */
uint8_t acpi_checksum(const void *p, size_t n);

/* Sets the checksum of the complete table at t (length from its header). */
void acpi_table_finish(void *t);

#endif
