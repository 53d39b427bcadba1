#include "acpi/aml.h"

#include <string.h>

#include "common/util.h"

/* Opcodes (ACPI 6.4, 20.3 "AML Byte Stream Byte Values") */
#define AML_ZERO          0x00
#define AML_ONE           0x01
#define AML_NAME          0x08
#define AML_BYTE_PREFIX   0x0a
#define AML_WORD_PREFIX   0x0b
#define AML_DWORD_PREFIX  0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX  0x0e
#define AML_SCOPE         0x10
#define AML_BUFFER        0x11
#define AML_PACKAGE       0x12
#define AML_METHOD        0x14
#define AML_DUAL_NAME     0x2e
#define AML_MULTI_NAME    0x2f
#define AML_EXT_PREFIX    0x5b
#define AML_EXT_DEVICE    0x82
#define AML_ROOT_CHAR     0x5c
#define AML_PARENT_PREFIX 0x5e
#define AML_RETURN        0xa4

/* Resource descriptor tags (ACPI 6.4, 6.4.2 small, 6.4.3 large) */
#define RES_IRQ_NOFLAGS   0x22
#define RES_IO            0x47
#define RES_END_TAG       0x79
#define RES_MEMORY32_FIXED 0x86
#define RES_DWORD_ADDR    0x87
#define RES_WORD_ADDR     0x88
#define RES_EXT_IRQ       0x89
#define RES_QWORD_ADDR    0x8a

/* Address space descriptor fields (6.4.3.5.1) */
#define ADDR_TYPE_MEMORY  0
#define ADDR_TYPE_IO      1
#define ADDR_TYPE_BUS     2
#define ADDR_PRODUCER_FIXED 0x0c   /* _MAF | _MIF, producer, positive decode */
#define ADDR_IO_ENTIRE_RANGE 0x03  /* _RNG = ISA and non-ISA ranges */
#define ADDR_MEM_RW       0x01
#define ADDR_MEM_CACHEABLE 0x02

#define PKGLEN_MAX 0x0fffffffu

void aml_init(struct aml *a, uint8_t *buf, size_t cap)
{
    a->buf = buf;
    a->cap = cap;
    a->len = 0;
    a->error = false;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
    if (a->error || n > a->cap - a->len) {
        a->error = true;
        return;
    }
    memcpy(a->buf + a->len, p, n);
    a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
    aml_bytes(a, &b, 1);
}

static void aml_le(struct aml *a, uint64_t v, unsigned n)
{
    uint8_t b[8];
    for (unsigned i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    aml_bytes(a, b, n);
}

/* Inserts n bytes at pos, moving what follows. */
static void aml_insert(struct aml *a, size_t pos, const uint8_t *p, size_t n)
{
    if (a->error || pos > a->len || n > a->cap - a->len) {
        a->error = true;
        return;
    }
    memmove(a->buf + pos + n, a->buf + pos, a->len - pos);
    memcpy(a->buf + pos, p, n);
    a->len += n;
}

/* 20.2.4: PkgLength counts itself. One byte holds up to 63; otherwise bits
 * 7-6 of the lead byte give the number of following bytes, its bits 3-0 the
 * low nibble, and the following bytes the rest, least significant first. */
static size_t aml_pkglen_encode(size_t body, uint8_t out[4])
{
    if (body + 1 <= 0x3f) {
        out[0] = (uint8_t)(body + 1);
        return 1;
    }
    for (size_t n = 2; n <= 4; n++) {
        uint64_t total = body + n;
        if (total < (1ull << (4 + 8 * (n - 1)))) {
            out[0] = (uint8_t)(((n - 1) << 6) | (total & 0xf));
            for (size_t i = 1; i < n; i++)
                out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
            return n;
        }
    }
    return 0;
}

void aml_end(struct aml *a, size_t mark)
{
    if (a->error || mark > a->len) {
        a->error = true;
        return;
    }
    uint8_t enc[4];
    size_t n = aml_pkglen_encode(a->len - mark, enc);
    if (n == 0 || a->len - mark + n > PKGLEN_MAX) {
        a->error = true;
        return;
    }
    aml_insert(a, mark, enc, n);
}

static bool aml_seg_char(char c, bool first)
{
    return (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

void aml_name_string(struct aml *a, const char *path)
{
    const char *p = path;
    if (*p == '\\') {
        aml_byte(a, AML_ROOT_CHAR);
        p++;
    } else {
        while (*p == '^') {
            aml_byte(a, AML_PARENT_PREFIX);
            p++;
        }
    }
    uint8_t segs[255][4];
    unsigned nseg = 0;
    while (*p) {
        if (nseg == ARRAY_SIZE(segs)) {
            a->error = true;
            return;
        }
        unsigned n = 0;
        memset(segs[nseg], '_', 4);
        while (*p && *p != '.') {
            if (n == 4 || !aml_seg_char(*p, n == 0)) {
                a->error = true;
                return;
            }
            segs[nseg][n++] = (uint8_t)*p++;
        }
        if (n == 0) {
            a->error = true;
            return;
        }
        nseg++;
        if (*p == '.' && *++p == 0) {
            a->error = true; /* trailing dot */
            return;
        }
    }
    if (nseg == 0) {
        aml_byte(a, AML_ZERO); /* NullName */
    } else if (nseg == 2) {
        aml_byte(a, AML_DUAL_NAME);
    } else if (nseg > 2) {
        aml_byte(a, AML_MULTI_NAME);
        aml_byte(a, (uint8_t)nseg);
    }
    aml_bytes(a, segs, (size_t)nseg * 4);
}

void aml_integer(struct aml *a, uint64_t v)
{
    if (v == 0) {
        aml_byte(a, AML_ZERO);
    } else if (v == 1) {
        aml_byte(a, AML_ONE);
    } else if (v <= UINT8_MAX) {
        aml_byte(a, AML_BYTE_PREFIX);
        aml_le(a, v, 1);
    } else if (v <= UINT16_MAX) {
        aml_byte(a, AML_WORD_PREFIX);
        aml_le(a, v, 2);
    } else if (v <= UINT32_MAX) {
        aml_byte(a, AML_DWORD_PREFIX);
        aml_le(a, v, 4);
    } else {
        aml_byte(a, AML_QWORD_PREFIX);
        aml_le(a, v, 8);
    }
}

void aml_string(struct aml *a, const char *s)
{
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p > 0x7f)
            a->error = true;
    aml_byte(a, AML_STRING_PREFIX);
    aml_bytes(a, s, strlen(s) + 1);
}

static int aml_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Three letters of 5 bits each ('A' = 1) then four hex digits, stored
 * big-endian in the DWord's bytes. */
void aml_eisaid(struct aml *a, const char *id)
{
    if (strlen(id) != 7) {
        a->error = true;
        return;
    }
    uint32_t v = 0;
    for (int i = 0; i < 3; i++) {
        if (id[i] < 'A' || id[i] > 'Z') {
            a->error = true;
            return;
        }
        v = (v << 5) | (uint32_t)(id[i] - 'A' + 1);
    }
    for (int i = 3; i < 7; i++) {
        int h = aml_hex(id[i]);
        if (h < 0) {
            a->error = true;
            return;
        }
        v = (v << 4) | (uint32_t)h;
    }
    /* v holds bits 30..0 of the id in reading order; bit 31 is reserved 0. */
    uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    aml_byte(a, AML_DWORD_PREFIX);
    aml_bytes(a, b, 4);
}

void aml_name(struct aml *a, const char *path)
{
    aml_byte(a, AML_NAME);
    aml_name_string(a, path);
}

void aml_name_integer(struct aml *a, const char *path, uint64_t v)
{
    aml_name(a, path);
    aml_integer(a, v);
}

void aml_name_string_obj(struct aml *a, const char *path, const char *s)
{
    aml_name(a, path);
    aml_string(a, s);
}

void aml_name_eisaid(struct aml *a, const char *path, const char *id)
{
    aml_name(a, path);
    aml_eisaid(a, id);
}

size_t aml_scope_begin(struct aml *a, const char *path)
{
    aml_byte(a, AML_SCOPE);
    size_t mark = a->len;
    aml_name_string(a, path);
    return mark;
}

size_t aml_device_begin(struct aml *a, const char *path)
{
    aml_byte(a, AML_EXT_PREFIX);
    aml_byte(a, AML_EXT_DEVICE);
    size_t mark = a->len;
    aml_name_string(a, path);
    return mark;
}

size_t aml_method_begin(struct aml *a, const char *path, unsigned nargs, bool serialized)
{
    if (nargs > 7)
        a->error = true;
    aml_byte(a, AML_METHOD);
    size_t mark = a->len;
    aml_name_string(a, path);
    aml_byte(a, (uint8_t)((nargs & 7) | (serialized ? 0x08 : 0)));
    return mark;
}

size_t aml_package_begin(struct aml *a, unsigned n)
{
    if (n > UINT8_MAX)
        a->error = true;
    aml_byte(a, AML_PACKAGE);
    size_t mark = a->len;
    aml_byte(a, (uint8_t)n);
    return mark;
}

size_t aml_buffer_begin(struct aml *a)
{
    aml_byte(a, AML_BUFFER);
    return a->len;
}

void aml_buffer_end(struct aml *a, size_t mark)
{
    if (a->error || mark > a->len) {
        a->error = true;
        return;
    }
    /* Encode BufferSize with a scratch emitter, then put it first. */
    uint8_t tmp[9];
    struct aml t;
    aml_init(&t, tmp, sizeof(tmp));
    aml_integer(&t, a->len - mark);
    aml_insert(a, mark, tmp, t.len);
    aml_end(a, mark);
}

void aml_return(struct aml *a)
{
    aml_byte(a, AML_RETURN);
}

size_t aml_restemplate_begin(struct aml *a)
{
    return aml_buffer_begin(a);
}

void aml_restemplate_end(struct aml *a, size_t mark)
{
    /* End Tag with checksum 0: "treated as if the checksum operation
     * succeeded" (6.4.2.9). */
    aml_byte(a, RES_END_TAG);
    aml_byte(a, 0);
    aml_buffer_end(a, mark);
}

void aml_res_io(struct aml *a, uint16_t base, uint8_t align, uint8_t len)
{
    aml_byte(a, RES_IO);
    aml_byte(a, 0x01); /* 16-bit decode */
    aml_le(a, base, 2);
    aml_le(a, base, 2);
    aml_byte(a, align);
    aml_byte(a, len);
}

void aml_res_irq_noflags(struct aml *a, unsigned irq)
{
    if (irq > 15)
        a->error = true;
    aml_byte(a, RES_IRQ_NOFLAGS);
    aml_le(a, 1u << (irq & 15), 2);
}

void aml_res_memory32_fixed(struct aml *a, uint32_t base, uint32_t len, bool rw)
{
    aml_byte(a, RES_MEMORY32_FIXED);
    aml_le(a, 9, 2);
    aml_byte(a, rw ? 1 : 0);
    aml_le(a, base, 4);
    aml_le(a, len, 4);
}

void aml_res_interrupt(struct aml *a, uint32_t gsi, bool level, bool active_low, bool shared)
{
    uint8_t flags = 0x01; /* consumer */
    if (!level)
        flags |= 0x02;
    if (active_low)
        flags |= 0x04;
    if (shared)
        flags |= 0x08;
    aml_byte(a, RES_EXT_IRQ);
    aml_le(a, 6, 2);   /* flags, table length, one DWord */
    aml_byte(a, flags);
    aml_byte(a, 1);
    aml_le(a, gsi, 4);
}

/* Word/DWord/QWord address space descriptors share one layout with
 * different field widths: type, general flags, type flags, then
 * granularity, min, max, translation offset and length. */
static void aml_res_addr(struct aml *a, uint8_t tag, unsigned width, uint8_t type,
                         uint8_t type_flags, uint64_t min, uint64_t max)
{
    if (max < min) {
        a->error = true;
        return;
    }
    aml_byte(a, tag);
    aml_le(a, 3 + 5 * width, 2);
    aml_byte(a, type);
    aml_byte(a, ADDR_PRODUCER_FIXED);
    aml_byte(a, type_flags);
    aml_le(a, 0, width);             /* granularity: 0 = decode all bits */
    aml_le(a, min, width);
    aml_le(a, max, width);
    aml_le(a, 0, width);             /* translation offset */
    aml_le(a, max - min + 1, width); /* length */
}

void aml_res_word_bus_number(struct aml *a, uint16_t min, uint16_t max)
{
    aml_res_addr(a, RES_WORD_ADDR, 2, ADDR_TYPE_BUS, 0, min, max);
}

void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max)
{
    aml_res_addr(a, RES_WORD_ADDR, 2, ADDR_TYPE_IO, ADDR_IO_ENTIRE_RANGE, min, max);
}

void aml_res_dword_memory(struct aml *a, uint32_t min, uint32_t max, bool cacheable)
{
    aml_res_addr(a, RES_DWORD_ADDR, 4, ADDR_TYPE_MEMORY,
                 ADDR_MEM_RW | (cacheable ? ADDR_MEM_CACHEABLE : 0), min, max);
}

void aml_res_qword_memory(struct aml *a, uint64_t min, uint64_t max, bool cacheable)
{
    aml_res_addr(a, RES_QWORD_ADDR, 8, ADDR_TYPE_MEMORY,
                 ADDR_MEM_RW | (cacheable ? ADDR_MEM_CACHEABLE : 0), min, max);
}
