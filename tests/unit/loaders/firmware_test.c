/* BIOS images: the checks on the file and where the image lands. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "core/guest_mem.h"
#include "loaders/firmware.h"
#include "machine/layout.h"

/* An image of len bytes (pattern i & 0xff) with a far jump at its reset
 * vector, as SeaBIOS has: ljmp $0xf000, $0xe05b. */
static uint8_t *image(size_t len)
{
    uint8_t *img = malloc(len);
    for (size_t i = 0; i < len; i++)
        img[i] = (uint8_t)i;
    static const uint8_t ljmp[] = { 0xea, 0x5b, 0xe0, 0x00, 0xf0 };
    memcpy(img + len - 16, ljmp, sizeof(ljmp));
    return img;
}

static void test_check(void **state)
{
    (void)state;
    char err[200];
    uint8_t *img = image(KiB(128));
    assert_int_equal(firmware_check(img, KiB(128), err, sizeof(err)), 0);
    /* NOPs before a near jump (OVMF's reset vector) are fine too. */
    memcpy(img + KiB(128) - 16, "\x90\x90\xe9\x00\x00", 5);
    assert_int_equal(firmware_check(img, KiB(128), err, sizeof(err)), 0);
    /* No jump: not a BIOS. */
    memset(img + KiB(128) - 16, 0, 16);
    assert_int_equal(firmware_check(img, KiB(128), err, sizeof(err)), -ENOEXEC);
    assert_non_null(strstr(err, "not a BIOS image"));
    memset(img + KiB(128) - 16, 0x90, 16);
    assert_int_equal(firmware_check(img, KiB(128), err, sizeof(err)), -ENOEXEC);
    free(img);

    assert_int_equal(firmware_check(NULL, 0, err, sizeof(err)), -ENOEXEC);
    assert_non_null(strstr(err, "empty"));
    assert_int_equal(firmware_check((const uint8_t *)"\xea", 1, err, sizeof(err)), -ENOEXEC);
    img = image(KiB(256) + 16);
    assert_int_equal(firmware_check(img, KiB(256) + 16, err, sizeof(err)), -EFBIG);
    assert_non_null(strstr(err, "256 KiB"));
    free(img);
}

static void test_load_places_rom_and_shadow(void **state)
{
    (void)state;
    char err[200];
    struct guest_mem m;
    assert_int_equal(gmem_init(&m, MiB(32), LAYOUT_MMIO_HOLE_START, LAYOUT_MMIO_HOLE_END), 0);
    size_t len = KiB(128);
    uint8_t *img = image(len);
    assert_int_equal(firmware_load(&m, img, len, err, sizeof(err)), 0);
    /* The reset vector, 16 bytes below 4 GiB, is the image's. */
    const uint8_t *rv = gmem_rom_ptr(&m, 0xfffffff0ull, 16);
    assert_non_null(rv);
    assert_memory_equal(rv, img + len - 16, 16);
    /* The ROM is 256 KiB; the image sits at its end. */
    assert_non_null(gmem_rom_ptr(&m, FIRMWARE_ROM_BASE, 1));
    assert_memory_equal(gmem_rom_ptr(&m, 0x100000000ull - len, len), img, len);
    /* The shadow copy ends at 1 MiB and is RAM. */
    assert_memory_equal(gmem_ptr(&m, 0xe0000, len), img, len);
    assert_null(gmem_ptr(&m, FIRMWARE_ROM_BASE, 1));
    free(img);
    gmem_destroy(&m);

    /* A 256 KiB image also fills 0xc0000-0xdffff. */
    assert_int_equal(gmem_init(&m, MiB(32), LAYOUT_MMIO_HOLE_START, LAYOUT_MMIO_HOLE_END), 0);
    len = KiB(256);
    img = image(len);
    assert_int_equal(firmware_load(&m, img, len, err, sizeof(err)), 0);
    assert_memory_equal(gmem_ptr(&m, 0xc0000, len), img, len);
    /* A second image cannot be mapped over the first. */
    assert_int_not_equal(firmware_load(&m, img, len, err, sizeof(err)), 0);
    free(img);
    gmem_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_load_places_rom_and_shadow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
