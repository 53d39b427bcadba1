/* A small AML (ACPI Machine Language) emitter, enough for vmon's DSDT:
 * names, integers, strings, EISA ids, packages, buffers, scopes, devices,
 * methods with simple bodies, and resource templates.
 *
 * Encodings follow ACPI 6.4, chapter 20 "ACPI Machine Language
 * Specification" (20.2.3 data objects, 20.2.4 PkgLength, 20.2.2 name
 * strings, 20.2.5 terms) and 6.4 "Resource Data Types for ACPI".
 *
 * Output goes to a caller-owned buffer. Nested objects are opened with a
 * *_begin() that returns a mark and closed with the matching *_end(mark),
 * which inserts the PkgLength in front of the body. Any overflow or bad
 * argument sets `error`; the caller checks it once at the end. */
#ifndef VMON_ACPI_AML_H
#define VMON_ACPI_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aml {
    uint8_t *buf;
    size_t cap;
    size_t len;
    bool error;   /* out of space, or an invalid name/argument */
};

void aml_init(struct aml *a, uint8_t *buf, size_t cap);

/* Raw bytes. */
void aml_byte(struct aml *a, uint8_t b);
void aml_bytes(struct aml *a, const void *p, size_t n);

/* A NameString from a path such as "_HID", "\\_SB.PCI0", "^COM1": an
 * optional root or parent prefix, then dot-separated segments of 1-4 chars
 * from [A-Z0-9_] (first not a digit), padded with '_'. */
void aml_name_string(struct aml *a, const char *path);

/* Integer constant in the shortest form (Zero, One, Byte/Word/DWord/QWord). */
void aml_integer(struct aml *a, uint64_t v);
/* String constant (printable ASCII, no NUL inside). */
void aml_string(struct aml *a, const char *s);
/* EISA id such as "PNP0A08" compressed to a DWord (ACPI 6.4, 6.1.5 _HID). */
void aml_eisaid(struct aml *a, const char *id);

/* Name(path, <object emitted next>) */
void aml_name(struct aml *a, const char *path);
/* Name(path, integer) and Name(path, string) shorthands. */
void aml_name_integer(struct aml *a, const char *path, uint64_t v);
void aml_name_string_obj(struct aml *a, const char *path, const char *s);
void aml_name_eisaid(struct aml *a, const char *path, const char *id);

/* Nested objects: begin returns a mark for end. */
size_t aml_scope_begin(struct aml *a, const char *path);
size_t aml_device_begin(struct aml *a, const char *path);
/* Method(path, nargs (0-7), NotSerialized/Serialized) */
size_t aml_method_begin(struct aml *a, const char *path, unsigned nargs, bool serialized);
/* Package with n elements (n <= 255); the caller emits them. */
size_t aml_package_begin(struct aml *a, unsigned n);
/* Buffer: BufferSize is computed from the bytes emitted before end. */
size_t aml_buffer_begin(struct aml *a);
void aml_end(struct aml *a, size_t mark);         /* scope, device, method, package */
void aml_buffer_end(struct aml *a, size_t mark);

/* Return(<object emitted next>) */
void aml_return(struct aml *a);

/* Resource templates (a Buffer of descriptors ending in an End Tag). */
size_t aml_restemplate_begin(struct aml *a);
void aml_restemplate_end(struct aml *a, size_t mark);
/* IO(Decode16, base, base, align, len)  (6.4.2.5) */
void aml_res_io(struct aml *a, uint16_t base, uint8_t align, uint8_t len);
/* IRQNoFlags() {irq}: edge-triggered, active high (6.4.2.1) */
void aml_res_irq_noflags(struct aml *a, unsigned irq);
/* Memory32Fixed(ReadWrite or ReadOnly, base, len)  (6.4.3.4) */
void aml_res_memory32_fixed(struct aml *a, uint32_t base, uint32_t len, bool rw);
/* Interrupt(ResourceConsumer, Level/Edge, ActiveHigh/Low, Exclusive/Shared) {gsi} (6.4.3.6) */
void aml_res_interrupt(struct aml *a, uint32_t gsi, bool level, bool active_low, bool shared);
/* Producer windows of a host bridge, MinFixed/MaxFixed/PosDecode (6.4.3.5). */
void aml_res_word_bus_number(struct aml *a, uint16_t min, uint16_t max);
void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max);
void aml_res_dword_memory(struct aml *a, uint32_t min, uint32_t max, bool cacheable);
void aml_res_qword_memory(struct aml *a, uint64_t min, uint64_t max, bool cacheable);

#endif
