#include "loaders/boot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "loaders/boot_cpu.h"
#include "loaders/boot_err.h"
#include "loaders/boot_params.h"
#include "loaders/bzimage.h"
#include "loaders/e820.h"
#include "loaders/elf_kernel.h"
#include "loaders/initrd.h"
#include "loaders/decompress.h"
#include "loaders/pvh.h"
#include "machine/layout.h"

/* Everything decided before the first byte is written to guest memory. */
struct boot_plan {
    struct boot_result res;
    struct setup_header hdr;   /* for the zero page */
    struct bzimage bz;         /* format == BZIMAGE */
    const uint8_t *elf;        /* format == ELF or BZIMAGE_UNPACKED: the ELF file */
    size_t elf_len;
    uint8_t *unpacked;         /* format == BZIMAGE_UNPACKED: owned, freed at the end */
    const uint8_t *initrd;     /* the initrd as the guest gets it */
    size_t initrd_len;
    uint8_t *initrd_unpacked;  /* owned when vmon decompressed it */
    uint32_t pvh_entry;        /* kind == PVH32 */
    uint64_t initrd_addr_max;  /* highest byte the initrd may use */
    uint64_t cmdline_max;      /* longest command line, excluding NUL */
    size_t cmdline_len;
    struct e820_entry e820[E820_MAX_BUILT];
    size_t e820_n;
};

static int boot_plan_elf(struct boot_plan *p, const struct guest_mem *m,
                         const struct boot_config *c, char *err, size_t errlen)
{
    struct elf_kernel k;
    int r = elf_kernel_parse(p->elf, p->elf_len, m, &k, err, errlen);
    if (r)
        return r;
    p->res.format = BOOT_FORMAT_ELF;
    p->res.kernel_start = k.load_start;
    p->res.kernel_end = k.load_end;
    if (c->entry == BOOT_ENTRY_PVH && !k.has_pvh)
        return boot_err(err, errlen, -ENOEXEC,
                        "kernel: PVH entry requested but the ELF file has no PVH note");
    if (k.has_pvh && c->entry != BOOT_ENTRY_LINUX64) {
        p->res.kind = BOOT_PVH32;
        p->res.entry = k.pvh_entry;
        p->pvh_entry = k.pvh_entry;
    } else {
        p->res.kind = BOOT_LINUX64;
        p->res.entry = k.entry64;
    }
    p->cmdline_max = LAYOUT_CMDLINE_MAX - 1;
    boot_params_synth_header(&p->hdr, (uint32_t)p->cmdline_max);
    p->initrd_addr_max = UINT64_MAX;
    return 0;
}

/* The kernel ELF inside bzImage p->bz, decompressed here and started at its
 * 64-bit entry, with the bzImage's setup header in the zero page. Returns 1
 * when that cannot be done (the guest's decompressor then runs). */
static int boot_plan_unpacked(struct boot_plan *p, const struct guest_mem *m,
                              const struct boot_config *c)
{
    int r = decompress_kernel(c->kernel, c->kernel_len, &p->bz, m->ram_size, &p->unpacked,
                              &p->elf_len);
    if (r) {
        log_debug("boot: the bzImage's kernel stays compressed (%s); its decompressor runs",
                  r == -ENOTSUP ? "a format vmon does not unpack" : "unpacking failed");
        return 1;
    }
    struct elf_kernel k;
    char why[160];
    if (elf_kernel_parse(p->unpacked, p->elf_len, m, &k, why, sizeof(why))) {
        log_debug("boot: the bzImage's unpacked kernel is not loadable (%s); its decompressor runs",
                  why);
        free(p->unpacked);
        p->unpacked = NULL;
        return 1;
    }
    p->elf = p->unpacked;
    p->res.format = BOOT_FORMAT_BZIMAGE_UNPACKED;
    p->res.kind = BOOT_LINUX64;
    p->res.entry = k.entry64;
    p->res.kernel_start = k.load_start;
    p->res.kernel_end = k.load_end;
    return 0;
}

static int boot_plan_bzimage(struct boot_plan *p, const struct guest_mem *m,
                             const struct boot_config *c, char *err, size_t errlen)
{
    if (c->entry == BOOT_ENTRY_PVH)
        return boot_err(err, errlen, -ENOEXEC,
                        "kernel: PVH entry requested but a bzImage has none (use the vmlinux ELF)");
    int r = bzimage_parse(c->kernel, c->kernel_len, m, &p->bz, err, errlen);
    if (r)
        return r;
    if (c->unpack != BOOT_UNPACK_HOST || boot_plan_unpacked(p, m, c)) {
        p->res.format = BOOT_FORMAT_BZIMAGE;
        p->res.kind = BOOT_LINUX64;
        p->res.entry = p->bz.entry64;
        p->res.kernel_start = p->bz.load_addr;
        p->res.kernel_end = p->bz.load_addr + p->bz.load_size;
    }
    p->hdr = p->bz.hdr;
    p->cmdline_max = MIN((uint64_t)p->hdr.cmdline_size, LAYOUT_CMDLINE_MAX - 1);
    p->initrd_addr_max = p->hdr.initrd_addr_max ? p->hdr.initrd_addr_max : BP_INITRD_MAX_OLD;
    return 0;
}

/* The initrd as the guest gets it: decompressed here when it is one
 * compressed stream vmon decodes (and BOOT_UNPACK_HOST), else as it is. */
static void boot_plan_initrd(struct boot_plan *p, const struct guest_mem *m,
                             const struct boot_config *c)
{
    p->initrd = c->initrd;
    p->initrd_len = c->initrd_len;
    if (c->unpack != BOOT_UNPACK_HOST)
        return;
    int r = decompress_initrd(c->initrd, c->initrd_len, m->ram_size, &p->initrd_unpacked,
                              &p->initrd_len);
    if (r) {
        p->initrd_len = c->initrd_len;
        if (r != -ENOTSUP)
            log_debug("boot: the initrd stays compressed (%s)", strerror(-r));
        return;
    }
    p->initrd = p->initrd_unpacked;
}

static int boot_plan_inputs(struct boot_plan *p, const struct guest_mem *m,
                            const struct boot_config *c, char *err, size_t errlen)
{
    const char *cmdline = c->cmdline ? c->cmdline : "";
    p->cmdline_len = strnlen(cmdline, LAYOUT_CMDLINE_MAX);
    if (p->cmdline_len > p->cmdline_max)
        return boot_err(err, errlen, -E2BIG,
                        "cmdline: %s%zu bytes is longer than the kernel's limit of %llu",
                        p->cmdline_len == LAYOUT_CMDLINE_MAX ? "over " : "", p->cmdline_len,
                        (unsigned long long)p->cmdline_max);
    p->res.cmdline_addr = LAYOUT_CMDLINE;
    if (c->initrd) {
        if (c->initrd_len == 0)
            return boot_err(err, errlen, -EINVAL, "initrd: file is empty");
        boot_plan_initrd(p, m, c);
        struct initrd_limits lim = {
            .addr_max = p->initrd_addr_max,
            .kernel_start = p->res.kernel_start,
            .kernel_end = p->res.kernel_end,
        };
        int r = initrd_place(m, p->initrd_len, &lim, &p->res.initrd_addr, err, errlen);
        if (r)
            return r;
        p->res.initrd_size = p->initrd_len;
    }
    if (c->rng_seed_len > BOOT_RNG_SEED_MAX || (c->rng_seed_len && !c->rng_seed))
        return boot_err(err, errlen, -EINVAL, "rng seed: %zu bytes (at most %d, non-NULL)",
                        c->rng_seed_len, BOOT_RNG_SEED_MAX);
    return 0;
}

/* SETUP_RNG_SEED (boot.rst, "setup_data"): the guest's CRNG is seeded at
 * boot without waiting for entropy. Returns the list head or 0. */
static int boot_write_setup_data(struct guest_mem *m, const struct boot_config *c,
                                 uint64_t *head)
{
    *head = 0;
    if (!c->rng_seed_len)
        return 0;
    struct setup_data_hdr sd = { .next = 0, .type = BP_SETUP_RNG_SEED,
                                 .len = (uint32_t)c->rng_seed_len };
    int r = gmem_write(m, LAYOUT_SETUP_DATA, &sd, sizeof(sd));
    if (!r)
        r = gmem_write(m, LAYOUT_SETUP_DATA + sizeof(sd), c->rng_seed, c->rng_seed_len);
    if (!r)
        *head = LAYOUT_SETUP_DATA;
    return r;
}

static int boot_write(struct boot_plan *p, struct guest_mem *m, const struct boot_config *c,
                      struct x86_state *bsp, char *err, size_t errlen)
{
    int r = p->res.format == BOOT_FORMAT_BZIMAGE
                ? bzimage_load(m, c->kernel, c->kernel_len, &p->bz, err, errlen)
                : elf_kernel_load(m, p->elf, p->elf_len, err, errlen);
    if (r)
        return r;
    const char *cmdline = c->cmdline ? c->cmdline : "";
    /* cmdline_len < LAYOUT_CMDLINE_MAX, so strnlen stopped at the NUL. */
    r = gmem_write(m, LAYOUT_CMDLINE, cmdline, p->cmdline_len + 1);
    if (!r && p->res.initrd_size)
        r = gmem_write(m, p->res.initrd_addr, p->initrd, p->res.initrd_size);
    if (r)
        return boot_err(err, errlen, r, "boot: writing the kernel's data to guest RAM failed");

    if (p->res.kind == BOOT_PVH32) {
        struct pvh_info pi = {
            .cmdline_addr = LAYOUT_CMDLINE,
            .initrd_addr = p->res.initrd_addr, .initrd_size = p->res.initrd_size,
            .acpi_rsdp_addr = c->acpi_rsdp,
            .e820 = p->e820, .e820_entries = p->e820_n,
        };
        p->res.boot_info = LAYOUT_PVH_START_INFO;
        r = pvh_write(m, LAYOUT_PVH_START_INFO, &pi);
        if (!r)
            r = boot_cpu_setup_pvh(m, bsp, p->pvh_entry, (uint32_t)LAYOUT_PVH_START_INFO);
    } else {
        struct boot_params_info bi = {
            .cmdline_addr = LAYOUT_CMDLINE,
            .initrd_addr = p->res.initrd_addr, .initrd_size = p->res.initrd_size,
            .acpi_rsdp_addr = c->acpi_rsdp,
            .e820 = p->e820, .e820_entries = p->e820_n,
        };
        p->res.boot_info = LAYOUT_ZERO_PAGE;
        r = boot_write_setup_data(m, c, &bi.setup_data);
        if (!r)
            r = boot_params_write(m, LAYOUT_ZERO_PAGE, &p->hdr, &bi);
        if (!r)
            r = boot_cpu_setup_linux64(m, bsp, p->res.entry, LAYOUT_ZERO_PAGE);
    }
    if (r)
        return boot_err(err, errlen, r, "boot: writing the boot data to guest RAM failed");
    return 0;
}

int boot_load_linux(struct guest_mem *m, const struct boot_config *c, struct x86_state *bsp,
                    struct boot_result *res, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = 0;
    if (!c->kernel || c->kernel_len == 0)
        return boot_err(err, errlen, -ENOEXEC, "kernel: file is empty");

    struct boot_plan p;
    memset(&p, 0, sizeof(p));
    int n = e820_build(p.e820, ARRAY_SIZE(p.e820), m);
    if (n < 0)
        return boot_err(err, errlen, -EINVAL,
                        "boot: guest RAM must start at 0 with at least 2 MiB below 0x%llx",
                        (unsigned long long)LAYOUT_MMIO_HOLE_START);
    p.e820_n = (size_t)n;

    int r;
    p.elf = c->kernel;
    p.elf_len = c->kernel_len;
    if (elf_kernel_is_elf(c->kernel, c->kernel_len))
        r = boot_plan_elf(&p, m, c, err, errlen);
    else if (bzimage_detect(c->kernel, c->kernel_len))
        r = boot_plan_bzimage(&p, m, c, err, errlen);
    else
        r = boot_err(err, errlen, -ENOEXEC, "kernel: not an ELF or bzImage file");
    if (!r)
        r = boot_plan_inputs(&p, m, c, err, errlen);
    if (!r)
        r = boot_write(&p, m, c, bsp, err, errlen);
    free(p.unpacked);
    free(p.initrd_unpacked);
    if (r)
        return r;
    static const char *const format_names[] = {
        [BOOT_FORMAT_BZIMAGE] = "bzImage", [BOOT_FORMAT_ELF] = "ELF",
        [BOOT_FORMAT_BZIMAGE_UNPACKED] = "bzImage (unpacked by vmon)",
    };
    log_debug("boot: %s kernel at 0x%llx-0x%llx, %s entry 0x%llx, initrd %llu bytes at 0x%llx",
              format_names[p.res.format],
              (unsigned long long)p.res.kernel_start, (unsigned long long)p.res.kernel_end,
              p.res.kind == BOOT_PVH32 ? "PVH" : "64-bit", (unsigned long long)p.res.entry,
              (unsigned long long)p.res.initrd_size, (unsigned long long)p.res.initrd_addr);
    if (res)
        *res = p.res;
    return 0;
}
