/* AML encodings checked byte for byte against ACPI 6.4 chapter 20 and the
 * resource descriptor formats of 6.4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "acpi/aml.h"

#define EXPECT(a, ...)                                                          \
    do {                                                                        \
        const uint8_t want_[] = { __VA_ARGS__ };                                \
        assert_false((a)->error);                                               \
        assert_int_equal((a)->len, sizeof(want_));                              \
        assert_memory_equal((a)->buf, want_, sizeof(want_));                    \
    } while (0)

static uint8_t buf[16384];

static struct aml fresh(void)
{
    struct aml a;
    memset(buf, 0xee, sizeof(buf));
    aml_init(&a, buf, sizeof(buf));
    return a;
}

static void test_integers(void **state)
{
    (void)state;
    struct aml a = fresh();
    aml_integer(&a, 0);
    aml_integer(&a, 1);
    aml_integer(&a, 5);
    aml_integer(&a, 0x1234);
    aml_integer(&a, 0xfec00000);
    aml_integer(&a, 0x100000000ull);
    EXPECT(&a, 0x00, 0x01, 0x0a, 0x05, 0x0b, 0x34, 0x12, 0x0c, 0x00, 0x00, 0xc0, 0xfe,
           0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00);
}

static void test_names(void **state)
{
    (void)state;
    struct aml a = fresh();
    aml_name_string(&a, "_HID");
    aml_name_string(&a, "\\_SB");
    aml_name_string(&a, "\\_SB.PCI0");
    aml_name_string(&a, "^COM");
    aml_name_string(&a, "A.B.C");
    aml_name_string(&a, "\\");
    EXPECT(&a, '_', 'H', 'I', 'D',
           0x5c, '_', 'S', 'B', '_',
           0x5c, 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0',
           0x5e, 'C', 'O', 'M', '_',
           0x2f, 3, 'A', '_', '_', '_', 'B', '_', '_', '_', 'C', '_', '_', '_',
           0x5c, 0x00);

    static const char *bad[] = { "TOOLONG", "1ABC", "a", "A..B", "A.", "", "\\.X", "A-B" };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        a = fresh();
        aml_name_string(&a, bad[i]);
        if (bad[i][0] == 0)
            assert_false(a.error); /* "" is the NullName */
        else if (!a.error)
            fail_msg("name \"%s\" accepted", bad[i]);
    }
}

static void test_strings_and_eisaid(void **state)
{
    (void)state;
    struct aml a = fresh();
    aml_string(&a, "LNRO0005");
    aml_eisaid(&a, "PNP0A08");
    aml_eisaid(&a, "PNP0501");
    EXPECT(&a, 0x0d, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0x00,
           0x0c, 0x41, 0xd0, 0x0a, 0x08,
           0x0c, 0x41, 0xd0, 0x05, 0x01);
    a = fresh();
    aml_eisaid(&a, "pnp0a08");
    assert_true(a.error);
    a = fresh();
    aml_eisaid(&a, "PNP0A0G");
    assert_true(a.error);
}

/* PkgLength: 1 byte up to 63 total, then 2 bytes (12 bits), 3 bytes (20). */
static void check_pkglen(size_t body, const uint8_t *want, size_t wn)
{
    struct aml a = fresh();
    size_t m = aml_scope_begin(&a, "");   /* NullName: 1 body byte */
    for (size_t i = 1; i < body; i++)
        aml_byte(&a, 0x55);
    aml_end(&a, m);
    assert_false(a.error);
    assert_int_equal(a.len, 1 + wn + body);
    assert_int_equal(buf[0], 0x10);
    assert_memory_equal(buf + 1, want, wn);
    assert_int_equal(buf[1 + wn], 0x00); /* the body moved intact */
    assert_int_equal(buf[a.len - 1], body > 1 ? 0x55 : 0x00);
}

static void test_pkglength(void **state)
{
    (void)state;
    check_pkglen(1, (const uint8_t[]){ 0x02 }, 1);
    check_pkglen(62, (const uint8_t[]){ 0x3f }, 1);
    check_pkglen(63, (const uint8_t[]){ 0x41, 0x04 }, 2);     /* 65 = 0x041 */
    check_pkglen(4093, (const uint8_t[]){ 0x4f, 0xff }, 2);   /* 4095 */
    check_pkglen(4094, (const uint8_t[]){ 0x81, 0x00, 0x01 }, 3); /* 4097 */
}

static void test_package_method_device(void **state)
{
    (void)state;
    struct aml a = fresh();
    aml_name(&a, "_S5_");
    size_t p = aml_package_begin(&a, 4);
    aml_integer(&a, 5);
    aml_integer(&a, 5);
    aml_integer(&a, 0);
    aml_integer(&a, 0);
    aml_end(&a, p);
    EXPECT(&a, 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00);

    a = fresh();
    size_t d = aml_device_begin(&a, "COM1");
    size_t m = aml_method_begin(&a, "_STA", 0, false);
    aml_return(&a);
    aml_integer(&a, 0x0f);
    aml_end(&a, m);
    aml_end(&a, d);
    EXPECT(&a, 0x5b, 0x82, 0x0f, 'C', 'O', 'M', '1',
           0x14, 0x09, '_', 'S', 'T', 'A', 0x00, 0xa4, 0x0a, 0x0f);

    a = fresh();
    aml_method_begin(&a, "FOO_", 8, false);
    assert_true(a.error);
    a = fresh();
    aml_package_begin(&a, 256);
    assert_true(a.error);
}

static void test_resource_template(void **state)
{
    (void)state;
    struct aml a = fresh();
    size_t r = aml_restemplate_begin(&a);
    aml_res_io(&a, 0x3f8, 1, 8);
    aml_res_irq_noflags(&a, 4);
    aml_restemplate_end(&a, r);
    /* Buffer(PkgLength, BufferSize 13) { IO, IRQ, EndTag } */
    EXPECT(&a, 0x11, 0x10, 0x0a, 0x0d,
           0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08,
           0x22, 0x10, 0x00,
           0x79, 0x00);

    a = fresh();
    aml_res_memory32_fixed(&a, 0xd0000000, 0x1000, true);
    aml_res_interrupt(&a, 5, false, false, false);
    aml_res_interrupt(&a, 9, true, true, true);
    EXPECT(&a, 0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x10, 0x00, 0x00,
           0x89, 0x06, 0x00, 0x03, 0x01, 0x05, 0x00, 0x00, 0x00,
           0x89, 0x06, 0x00, 0x0d, 0x01, 0x09, 0x00, 0x00, 0x00);

    a = fresh();
    aml_res_word_bus_number(&a, 0, 255);
    aml_res_word_io(&a, 0x0d00, 0xffff);
    EXPECT(&a, 0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0, 0, 0x00, 0x00, 0xff, 0x00, 0, 0, 0x00, 0x01,
           0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0, 0, 0x00, 0x0d, 0xff, 0xff, 0, 0, 0x00, 0xf3);

    a = fresh();
    aml_res_dword_memory(&a, 0xc0000000, 0xcfffffff, false);
    EXPECT(&a, 0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0xc0,
           0xff, 0xff, 0xff, 0xcf, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x10);

    a = fresh();
    aml_res_qword_memory(&a, 0x100000000ull, 0x1ffffffffull, true);
    assert_false(a.error);
    assert_int_equal(a.len, 46);
    assert_int_equal(buf[0], 0x8a);
    assert_int_equal(buf[5], 0x03); /* RW | cacheable */

    a = fresh();
    aml_res_irq_noflags(&a, 16);
    assert_true(a.error);
    a = fresh();
    aml_res_word_io(&a, 10, 5);
    assert_true(a.error);
}

static void test_overflow_is_sticky(void **state)
{
    (void)state;
    uint8_t small[8];
    struct aml a;
    aml_init(&a, small, sizeof(small));
    size_t d = aml_device_begin(&a, "DEV0");
    aml_name_integer(&a, "_UID", 0x12345678);
    aml_end(&a, d);
    assert_true(a.error);
    assert_true(a.len <= sizeof(small));

    /* Exactly full is fine; one more byte is not. */
    aml_init(&a, small, sizeof(small));
    aml_bytes(&a, "12345678", 8);
    assert_false(a.error);
    aml_byte(&a, 0);
    assert_true(a.error);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_strings_and_eisaid),
        cmocka_unit_test(test_pkglength),
        cmocka_unit_test(test_package_method_device),
        cmocka_unit_test(test_resource_template),
        cmocka_unit_test(test_overflow_is_sticky),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
