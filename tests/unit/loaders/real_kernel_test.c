/* Loads the real guest kernels from guest/out/ (bzImage and vmlinux) when
 * they have been built. Exits 77 (meson: SKIP) with a message when neither
 * exists; VMON_GUEST_OUT overrides the directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "loaders/boot.h"
#include "loaders/boot_params.h"
#include "loaders/bzimage.h"
#include "machine/layout.h"

#define SKIP_EXIT 77
#define MAX_KERNEL (512u << 20)

static char bz_path[PATH_MAX + 16], elf_path[PATH_MAX + 16];

/* guest/out relative to this source file (meson passes a path to it). */
static void find_guest_out(void)
{
    const char *dir = getenv("VMON_GUEST_OUT");
    char buf[PATH_MAX];
    if (!dir) {
        snprintf(buf, sizeof(buf), "%s", __FILE__);
        char *cut = strstr(buf, "tests/unit/loaders/");
        if (cut)
            snprintf(cut, sizeof(buf) - (size_t)(cut - buf), "guest/out");
        else
            snprintf(buf, sizeof(buf), "guest/out");
        dir = buf;
    }
    snprintf(bz_path, sizeof(bz_path), "%s/bzImage", dir);
    snprintf(elf_path, sizeof(elf_path), "%s/vmlinux", dir);
}

static void load_real(const char *path, enum boot_entry entry, enum boot_unpack unpack,
                      struct boot_result *res,
                      struct x86_state *bsp, uint8_t **file, size_t *flen, struct guest_mem *m)
{
    assert_int_equal(read_file(path, MAX_KERNEL, file, flen), 0);
    assert_int_equal(gmem_init(m, MiB(256), LAYOUT_MMIO_HOLE_START, LAYOUT_MMIO_HOLE_END), 0);
    uint8_t seed[32] = { 1 };
    uint8_t initrd[4096] = { 0x30, 0x37, 0x30, 0x37 };
    struct boot_config c = {
        .kernel = *file, .kernel_len = *flen, .initrd = initrd, .initrd_len = sizeof(initrd),
        .cmdline = "console=ttyS0 panic=-1", .rng_seed = seed, .rng_seed_len = sizeof(seed),
        .acpi_rsdp = LAYOUT_ACPI, .entry = entry, .unpack = unpack,
    };
    char err[256] = "";
    int r = boot_load_linux(m, &c, bsp, res, err, sizeof(err));
    if (r)
        fail_msg("%s: %s", path, err);
}

static void test_bzimage(void **state)
{
    (void)state;
    if (access(bz_path, R_OK))
        skip();
    struct guest_mem m;
    struct boot_result res;
    struct x86_state bsp;
    uint8_t *file;
    size_t flen;
    load_real(bz_path, BOOT_ENTRY_AUTO, BOOT_UNPACK_GUEST, &res, &bsp, &file, &flen, &m);
    assert_int_equal(res.kind, BOOT_LINUX64);
    assert_int_equal(res.format, BOOT_FORMAT_BZIMAGE);
    assert_int_equal(res.entry, res.kernel_start + BZIMAGE_ENTRY64_OFFSET);
    const struct boot_params *bp = gmem_ptr(&m, LAYOUT_ZERO_PAGE, sizeof(*bp));
    assert_true(bp->hdr.version >= BZIMAGE_MIN_VERSION);
    unsigned sects = bp->hdr.setup_sects ? bp->hdr.setup_sects : 4;
    size_t pm = (sects + 1) * 512u;
    assert_memory_equal(gmem_ptr(&m, res.kernel_start, flen - pm), file + pm, flen - pm);
    assert_true(res.initrd_addr >= res.kernel_end);
    printf("bzImage: protocol %x, loaded at 0x%llx, init_size 0x%x\n", bp->hdr.version,
           (unsigned long long)res.kernel_start, bp->hdr.init_size);
    free(file);
    gmem_destroy(&m);
}

static void test_vmlinux(void **state)
{
    (void)state;
    if (access(elf_path, R_OK))
        skip();
    struct guest_mem m;
    struct boot_result res;
    struct x86_state bsp;
    uint8_t *file;
    size_t flen;
    load_real(elf_path, BOOT_ENTRY_LINUX64, BOOT_UNPACK_GUEST, &res, &bsp, &file, &flen, &m);
    assert_int_equal(res.kind, BOOT_LINUX64);
    assert_true(res.entry >= res.kernel_start && res.entry < res.kernel_end);
    assert_int_equal(bsp.rip, res.entry);
    free(file);
    gmem_destroy(&m);

    load_real(elf_path, BOOT_ENTRY_AUTO, BOOT_UNPACK_GUEST, &res, &bsp, &file, &flen, &m);
    printf("vmlinux: %s entry 0x%llx, kernel 0x%llx-0x%llx\n",
           res.kind == BOOT_PVH32 ? "PVH" : "64-bit", (unsigned long long)res.entry,
           (unsigned long long)res.kernel_start, (unsigned long long)res.kernel_end);
    assert_true(res.entry >= res.kernel_start && res.entry < res.kernel_end);
    free(file);
    gmem_destroy(&m);
}

/* vmon's decompression of the bzImage gives the very kernel the build linked:
 * the same entry, the same bytes in guest memory as the vmlinux ELF. */
static void test_bzimage_unpacked(void **state)
{
    (void)state;
    if (access(bz_path, R_OK) || access(elf_path, R_OK))
        skip();
    struct guest_mem mb, me;
    struct boot_result rb, re;
    struct x86_state bsp;
    uint8_t *fb, *fe;
    size_t lb, le;
    load_real(bz_path, BOOT_ENTRY_AUTO, BOOT_UNPACK_HOST, &rb, &bsp, &fb, &lb, &mb);
    load_real(elf_path, BOOT_ENTRY_LINUX64, BOOT_UNPACK_GUEST, &re, &bsp, &fe, &le, &me);
    assert_int_equal(rb.format, BOOT_FORMAT_BZIMAGE_UNPACKED);
    assert_int_equal(rb.kind, BOOT_LINUX64);
    assert_int_equal(rb.entry, re.entry);
    assert_int_equal(rb.kernel_start, re.kernel_start);
    assert_int_equal(rb.kernel_end, re.kernel_end);
    uint64_t n = re.kernel_end - re.kernel_start;
    assert_memory_equal(gmem_ptr(&mb, rb.kernel_start, n), gmem_ptr(&me, re.kernel_start, n), n);
    /* The zero page carries the bzImage's own setup header. */
    const struct boot_params *bp = gmem_ptr(&mb, LAYOUT_ZERO_PAGE, sizeof(*bp));
    assert_int_equal(bp->hdr.header, BP_HDR_MAGIC);
    assert_memory_equal(&bp->hdr.version, fb + BP_HDR_FIELD(version), 2);
    free(fb);
    free(fe);
    gmem_destroy(&mb);
    gmem_destroy(&me);
}

int main(void)
{
    find_guest_out();
    if (access(bz_path, R_OK) && access(elf_path, R_OK)) {
        printf("SKIP: no guest kernel built (%s, %s); build guest/ to run this test\n",
               bz_path, elf_path);
        return SKIP_EXIT;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bzimage),
        cmocka_unit_test(test_vmlinux),
        cmocka_unit_test(test_bzimage_unpacked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
