/* ACPI tables as fw_cfg files: run the linker/loader script the way SeaBIOS
 * does (romfile_loader.c), then walk the result the way an OS does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/acpi.h"
#include "acpi/acpi_loader.h"
#include "common/util.h"

#define MEM_SIZE 0x100000
#define FSEG_ADDR 0xf0010  /* where the fake firmware puts the RSDP */
#define HIGH_ADDR 0x81c0   /* and the tables: 64-aligned, not page-aligned */

static uint8_t sum8(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s += *p++;
    return s;
}

struct fake_fw {
    uint8_t *mem;
    const struct acpi_blob *b;
    uint32_t rsdp, tables; /* 0: not allocated */
};

static uint32_t fw_addr(const struct fake_fw *fw, const char *name)
{
    if (!strcmp(name, ACPI_LOADER_RSDP_FILE))
        return fw->rsdp;
    if (!strcmp(name, ACPI_LOADER_TABLES_FILE))
        return fw->tables;
    fail_msg("unknown file %s", name);
    return 0;
}

static uint32_t fw_size(const struct fake_fw *fw, const char *name)
{
    return !strcmp(name, ACPI_LOADER_RSDP_FILE) ? ACPI_RSDP_LEN : fw->b->tables_len;
}

static void fw_run(struct fake_fw *fw, const struct acpi_loader_entry *e, int n)
{
    for (int i = 0; i < n; i++, e++) {
        switch (e->command) {
        case ACPI_LOADER_ALLOCATE: {
            bool rsdp = !strcmp(e->alloc.file, ACPI_LOADER_RSDP_FILE);
            uint32_t at = rsdp ? FSEG_ADDR : HIGH_ADDR;
            assert_int_equal(e->alloc.zone, rsdp ? ACPI_LOADER_ZONE_FSEG : ACPI_LOADER_ZONE_HIGH);
            assert_int_equal(at % e->alloc.align, 0);
            memcpy(fw->mem + at, rsdp ? fw->b->rsdp : fw->b->tables,
                   fw_size(fw, e->alloc.file));
            *(rsdp ? &fw->rsdp : &fw->tables) = at;
            break;
        }
        case ACPI_LOADER_ADD_POINTER: {
            uint32_t dst = fw_addr(fw, e->pointer.dest_file);
            uint32_t src = fw_addr(fw, e->pointer.src_file);
            assert_true(dst && src);
            assert_true(e->pointer.offset + e->pointer.size <= fw_size(fw, e->pointer.dest_file));
            uint64_t v = 0;
            memcpy(&v, fw->mem + dst + e->pointer.offset, e->pointer.size);
            v += src;
            memcpy(fw->mem + dst + e->pointer.offset, &v, e->pointer.size);
            break;
        }
        case ACPI_LOADER_ADD_CHECKSUM: {
            uint32_t at = fw_addr(fw, e->cksum.file);
            assert_true(e->cksum.start + e->cksum.length <= fw_size(fw, e->cksum.file));
            fw->mem[at + e->cksum.offset] -= sum8(fw->mem + at + e->cksum.start,
                                                  e->cksum.length);
            break;
        }
        default:
            fail_msg("unexpected command %u", e->command);
        }
    }
}

static const uint8_t *table(const uint8_t *mem, uint64_t addr, const char *sig)
{
    assert_true(addr > 0 && addr < MEM_SIZE - 36);
    const uint8_t *t = mem + addr;
    assert_memory_equal(t, sig, 4);
    assert_int_equal(sum8(t, get_le32(t + 4)), 0);
    return t;
}

static void test_script_links_the_tables(void **state)
{
    (void)state;
    struct acpi_config c;
    acpi_config_defaults(&c, 2);
    struct acpi_blob b;
    assert_int_equal(acpi_build_blob(&c, &b), 0);
    assert_true(b.tables_len > 64 && b.tables_len <= ACPI_BLOB_MAX);
    /* The padding where acpi_build puts the RSDP is empty. */
    for (unsigned i = 0; i < 64; i++)
        assert_int_equal(b.tables[i], 0);

    struct acpi_loader_entry script[ACPI_LOADER_MAX_ENTRIES];
    int n = acpi_loader_script(&b, script, ARRAY_SIZE(script));
    assert_int_equal(n, 2 + (int)b.nptr + (int)b.nsum);
    assert_int_equal(acpi_loader_script(&b, script, 3), -ENOSPC);

    struct fake_fw fw = { calloc(1, MEM_SIZE), &b, 0, 0 };
    fw_run(&fw, script, n);

    /* The RSDP: both checksums, and the XSDT where the tables went. */
    const uint8_t *rsdp = fw.mem + fw.rsdp;
    assert_memory_equal(rsdp, "RSD PTR ", 8);
    assert_int_equal(sum8(rsdp, 20), 0);
    assert_int_equal(sum8(rsdp, 36), 0);
    uint64_t xsdt_addr = get_le64(rsdp + 24);
    assert_true(xsdt_addr >= HIGH_ADDR && xsdt_addr < HIGH_ADDR + b.tables_len);
    const uint8_t *xsdt = table(fw.mem, xsdt_addr, "XSDT");
    assert_int_equal(get_le32(xsdt + 4), 36 + 3 * 8);

    static const char *const sigs[] = { "FACP", "APIC", "MCFG" };
    const uint8_t *fadt = NULL;
    for (unsigned i = 0; i < 3; i++) {
        const uint8_t *t = table(fw.mem, get_le64(xsdt + 36 + 8 * i), sigs[i]);
        if (i == 0)
            fadt = t;
    }
    /* FADT -> FACS (64-byte aligned) and DSDT, 32- and 64-bit fields. */
    uint32_t facs = get_le32(fadt + 36), dsdt = get_le32(fadt + 40);
    assert_int_equal(get_le64(fadt + 132), facs);
    assert_int_equal(get_le64(fadt + 140), dsdt);
    assert_int_equal(facs % 64, 0);
    assert_memory_equal(fw.mem + facs, "FACS", 4);
    table(fw.mem, dsdt, "DSDT");

    free(fw.mem);
    acpi_blob_free(&b);
    assert_null(b.tables);
}

static void test_bad_config_is_refused(void **state)
{
    (void)state;
    struct acpi_config c;
    acpi_config_defaults(&c, 0);
    struct acpi_blob b;
    assert_int_equal(acpi_build_blob(&c, &b), -EINVAL);
    assert_null(b.tables);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_script_links_the_tables),
        cmocka_unit_test(test_bad_config_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
