#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "core/guest_mem.h"
#include "devices/legacy/fw_cfg.h"

#define RAM_SIZE (256 * 1024)
#define REQ_GPA 0x1000  /* where tests put the FWCfgDmaAccess */
#define BUF_GPA 0x2000  /* and the DMA buffer */

struct fixture {
    uint8_t *ram;
    struct guest_mem mem;
    struct fw_cfg f;
};

static int setup(void **state)
{
    struct fixture *x = calloc(1, sizeof(*x));
    x->ram = calloc(1, RAM_SIZE);
    gmem_init_flat(&x->mem, x->ram, RAM_SIZE);
    assert_int_equal(fw_cfg_init(&x->f, &x->mem), 0);
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *x = *state;
    fw_cfg_destroy(&x->f);
    free(x->ram);
    free(x);
    return 0;
}

static void sel(struct fixture *x, uint16_t key)
{
    fw_cfg_ops.write(&x->f, FW_CFG_SEL_OFF, key, 2);
}

static uint8_t data(struct fixture *x)
{
    return (uint8_t)fw_cfg_ops.read(&x->f, FW_CFG_DATA_OFF, 1);
}

static void read_data(struct fixture *x, void *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)buf)[i] = data(x);
}

/* Writes a request at REQ_GPA and triggers it the way SeaBIOS does: a
 * 32-bit big-endian write of the low half of the address. Returns the
 * control field the device wrote back. */
static uint32_t dma(struct fixture *x, uint32_t control, uint32_t length, uint64_t addr)
{
    struct fw_cfg_dma_access a = { htobe32(control), htobe32(length), htobe64(addr) };
    memcpy(x->ram + REQ_GPA, &a, sizeof(a));
    fw_cfg_ops.write(&x->f, FW_CFG_DMA_OFF, 0, 4);
    fw_cfg_ops.write(&x->f, FW_CFG_DMA_OFF + 4, htobe32(REQ_GPA), 4);
    uint32_t c;
    memcpy(&c, x->ram + REQ_GPA, 4);
    return be32toh(c);
}

static void test_signature_and_id(void **state)
{
    struct fixture *x = *state;
    char sig[5] = { 0 };
    sel(x, FW_CFG_SIGNATURE);
    read_data(x, sig, 4);
    assert_string_equal(sig, "QEMU");
    assert_int_equal(data(x), 0); /* past the end */
    sel(x, FW_CFG_ID);
    uint8_t id[4];
    read_data(x, id, 4);
    assert_int_equal(get_le32(id), FW_CFG_VERSION_TRADITIONAL | FW_CFG_VERSION_DMA);
    /* Re-selecting resets the offset; bit 14 (write channel) is ignored. */
    sel(x, FW_CFG_SIGNATURE | 0x4000);
    assert_int_equal(data(x), 'Q');
    /* A key nothing lives at reads zeros. */
    sel(x, FW_CFG_NUMA);
    assert_int_equal(data(x), 0);
    sel(x, 0x8003);
    assert_int_equal(data(x), 0);
}

static void test_dma_register_reads_signature(void **state)
{
    struct fixture *x = *state;
    uint32_t hi = (uint32_t)fw_cfg_ops.read(&x->f, FW_CFG_DMA_OFF, 4);
    uint32_t lo = (uint32_t)fw_cfg_ops.read(&x->f, FW_CFG_DMA_OFF + 4, 4);
    char s[9] = { 0 };
    memcpy(s, &hi, 4);
    memcpy(s + 4, &lo, 4);
    assert_string_equal(s, "QEMU CFG");
}

static void test_numeric_items_are_little_endian(void **state)
{
    struct fixture *x = *state;
    assert_int_equal(fw_cfg_add_u16(&x->f, FW_CFG_NB_CPUS, 3), 0);
    assert_int_equal(fw_cfg_add_u64(&x->f, FW_CFG_RAM_SIZE, 0x123456789ull), 0);
    uint8_t b[8];
    sel(x, FW_CFG_NB_CPUS);
    read_data(x, b, 2);
    assert_int_equal(get_le16(b), 3);
    sel(x, FW_CFG_RAM_SIZE);
    read_data(x, b, 8);
    assert_int_equal(get_le64(b), 0x123456789ull);
    /* Replacing an item keeps one copy. */
    assert_int_equal(fw_cfg_add_u16(&x->f, FW_CFG_NB_CPUS, 5), 0);
    assert_int_equal(fw_cfg_find(&x->f, FW_CFG_NB_CPUS)->len, 2);
    assert_int_equal(get_le16(fw_cfg_find(&x->f, FW_CFG_NB_CPUS)->data), 5);
    /* Keys the device owns, file keys and unknown arch keys are refused. */
    assert_int_equal(fw_cfg_add_u32(&x->f, FW_CFG_SIGNATURE, 1), -EINVAL);
    assert_int_equal(fw_cfg_add_u32(&x->f, FW_CFG_FILE_DIR, 1), -EINVAL);
    assert_int_equal(fw_cfg_add_u32(&x->f, FW_CFG_FILE_FIRST, 1), -EINVAL);
    assert_int_equal(fw_cfg_add_u32(&x->f, 0x8004, 1), -EINVAL);
    assert_int_equal(fw_cfg_add_u32(&x->f, FW_CFG_E820_TABLE, 0), 0);
}

static void test_file_directory(void **state)
{
    struct fixture *x = *state;
    uint16_t k1, k2;
    assert_int_equal(fw_cfg_add_file(&x->f, "etc/boot-fail-wait", "\x88\x13\0\0", 4, &k1), 0);
    assert_int_equal(fw_cfg_add_file(&x->f, "bootorder", "/pci@i0cf8/*@1\n", 15, &k2), 0);
    assert_int_equal(k1, FW_CFG_FILE_FIRST);
    assert_int_equal(k2, FW_CFG_FILE_FIRST + 1);

    sel(x, FW_CFG_FILE_DIR);
    uint8_t cnt[4];
    read_data(x, cnt, 4);
    uint32_t n;
    memcpy(&n, cnt, 4);
    assert_int_equal(be32toh(n), 2);
    struct fw_cfg_dir_entry e[2];
    read_data(x, e, sizeof(e));
    assert_int_equal(be32toh(e[0].size), 4);
    assert_int_equal(be16toh(e[0].select), k1);
    assert_string_equal(e[0].name, "etc/boot-fail-wait");
    assert_int_equal(be32toh(e[1].size), 15);
    assert_int_equal(be16toh(e[1].select), k2);
    assert_string_equal(e[1].name, "bootorder");
    assert_int_equal(data(x), 0);

    /* The file's bytes through its key. */
    sel(x, k2);
    char s[16] = { 0 };
    read_data(x, s, 15);
    assert_string_equal(s, "/pci@i0cf8/*@1\n");
    /* One key past the last file selects nothing. */
    sel(x, (uint16_t)(k2 + 1));
    assert_int_equal(data(x), 0);
}

static void test_file_errors(void **state)
{
    struct fixture *x = *state;
    char name[FW_CFG_NAME_LEN + 1];
    memset(name, 'a', FW_CFG_NAME_LEN);
    name[FW_CFG_NAME_LEN] = 0;
    assert_int_equal(fw_cfg_add_file(&x->f, name, "x", 1, NULL), -EINVAL);
    name[FW_CFG_NAME_LEN - 1] = 0; /* 55 characters fit */
    assert_int_equal(fw_cfg_add_file(&x->f, name, "x", 1, NULL), 0);
    assert_int_equal(fw_cfg_add_file(&x->f, "", "x", 1, NULL), -EINVAL);
    assert_int_equal(fw_cfg_add_file(&x->f, name, "y", 1, NULL), -EEXIST);
    for (unsigned i = 1; i < FW_CFG_MAX_FILES; i++) {
        char n[16];
        snprintf(n, sizeof(n), "f%u", i);
        assert_int_equal(fw_cfg_add_file(&x->f, n, NULL, 0, NULL), 0);
    }
    assert_int_equal(fw_cfg_add_file(&x->f, "one-too-many", "x", 1, NULL), -ENOSPC);
    /* Empty files are listed with size 0. */
    const struct fw_cfg_item *dir = fw_cfg_find(&x->f, FW_CFG_FILE_DIR);
    assert_int_equal(dir->len, 4 + FW_CFG_MAX_FILES * 64);
}

static void test_dma_select_read(void **state)
{
    struct fixture *x = *state;
    uint8_t blob[300];
    for (unsigned i = 0; i < sizeof(blob); i++)
        blob[i] = (uint8_t)(i * 7 + 1);
    uint16_t key;
    assert_int_equal(fw_cfg_add_file(&x->f, "etc/acpi/tables", blob, sizeof(blob), &key), 0);

    uint32_t ctl = (uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ;
    assert_int_equal(dma(x, ctl, 100, BUF_GPA), 0);
    assert_memory_equal(x->ram + BUF_GPA, blob, 100);
    /* A read without select continues where the last one stopped. */
    assert_int_equal(dma(x, FW_CFG_DMA_CTL_READ, 100, BUF_GPA + 100), 0);
    assert_memory_equal(x->ram + BUF_GPA, blob, 200);
    /* Skip 50, then read past the end: the tail is zero-filled. */
    assert_int_equal(dma(x, FW_CFG_DMA_CTL_SKIP, 50, 0), 0);
    memset(x->ram + BUF_GPA, 0xee, 100);
    assert_int_equal(dma(x, FW_CFG_DMA_CTL_READ, 100, BUF_GPA), 0);
    assert_memory_equal(x->ram + BUF_GPA, blob + 250, 50);
    for (unsigned i = 50; i < 100; i++)
        assert_int_equal(x->ram[BUF_GPA + i], 0);
    /* The data port continues from the DMA offset (at the end now). */
    assert_int_equal(data(x), 0);
    sel(x, key);
    assert_int_equal(data(x), blob[0]);
}

static void test_dma_64bit_write(void **state)
{
    struct fixture *x = *state;
    struct fw_cfg_dma_access a = {
        htobe32((uint32_t)FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ),
        htobe32(4), htobe64(BUF_GPA) };
    memcpy(x->ram + REQ_GPA, &a, sizeof(a));
    fw_cfg_ops.write(&x->f, FW_CFG_DMA_OFF, htobe64(REQ_GPA), 8);
    assert_memory_equal(x->ram + BUF_GPA, "QEMU", 4);
    uint32_t c;
    memcpy(&c, x->ram + REQ_GPA, 4);
    assert_int_equal(c, 0);
}

static void test_dma_outside_ram_sets_error(void **state)
{
    struct fixture *x = *state;
    uint32_t rd = (uint32_t)FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ;
    /* Wholly outside, straddling the end, wrapping, and a 4 GiB length. */
    assert_int_equal(dma(x, rd, 4, RAM_SIZE), FW_CFG_DMA_CTL_ERROR);
    memset(x->ram + RAM_SIZE - 4, 0x5a, 4);
    assert_int_equal(dma(x, rd, 8, RAM_SIZE - 4), FW_CFG_DMA_CTL_ERROR);
    for (unsigned i = 4; i > 0; i--)
        assert_int_equal(x->ram[RAM_SIZE - i], 0x5a); /* nothing partly copied */
    assert_int_equal(dma(x, rd, 16, UINT64_MAX - 7), FW_CFG_DMA_CTL_ERROR);
    assert_int_equal(dma(x, rd, UINT32_MAX, 0), FW_CFG_DMA_CTL_ERROR);
    assert_int_equal(dma(x, rd, 4, 1ull << 40), FW_CFG_DMA_CTL_ERROR);
    /* The device is still usable. */
    assert_int_equal(dma(x, rd, 4, BUF_GPA), 0);
    assert_memory_equal(x->ram + BUF_GPA, "QEMU", 4);
}

static void test_dma_write_is_refused(void **state)
{
    struct fixture *x = *state;
    memcpy(x->ram + BUF_GPA, "EVIL", 4);
    uint32_t wr = (uint32_t)FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE;
    assert_int_equal(dma(x, wr, 4, BUF_GPA), FW_CFG_DMA_CTL_ERROR);
    sel(x, FW_CFG_SIGNATURE);
    assert_int_equal(data(x), 'Q');
    /* Data-port writes are ignored too. */
    sel(x, FW_CFG_SIGNATURE);
    fw_cfg_ops.write(&x->f, FW_CFG_DATA_OFF, 'X', 1);
    assert_int_equal(data(x), 'Q');
}

static void test_dma_request_outside_ram_is_dropped(void **state)
{
    struct fixture *x = *state;
    uint8_t before[RAM_SIZE / 64];
    memcpy(before, x->ram, sizeof(before));
    /* The request itself is not in RAM (high half set; straddling the end). */
    fw_cfg_ops.write(&x->f, FW_CFG_DMA_OFF, htobe32(1), 4);
    fw_cfg_ops.write(&x->f, FW_CFG_DMA_OFF + 4, htobe32(0), 4);
    fw_cfg_ops.write(&x->f, FW_CFG_DMA_OFF + 4, htobe32(RAM_SIZE - 8), 4);
    assert_memory_equal(before, x->ram, sizeof(before));
    for (unsigned i = 8; i > 0; i--)
        assert_int_equal(x->ram[RAM_SIZE - i], 0);
}

static void test_odd_accesses_are_harmless(void **state)
{
    struct fixture *x = *state;
    sel(x, FW_CFG_SIGNATURE);
    /* Byte writes to the selector, wide data reads, reads of the selector
     * and short writes to the DMA register change nothing. */
    fw_cfg_ops.write(&x->f, FW_CFG_SEL_OFF, FW_CFG_ID, 1);
    assert_int_equal(fw_cfg_ops.read(&x->f, FW_CFG_DATA_OFF, 2), 0);
    assert_int_equal(fw_cfg_ops.read(&x->f, FW_CFG_SEL_OFF, 2), 0);
    fw_cfg_ops.write(&x->f, FW_CFG_DMA_OFF + 4, 0x1234, 2);
    assert_int_equal(data(x), 'Q');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_signature_and_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dma_register_reads_signature, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numeric_items_are_little_endian, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dma_select_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dma_64bit_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dma_outside_ram_sets_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dma_write_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dma_request_outside_ram_is_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_odd_accesses_are_harmless, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
