/* boot_load_linux on synthetic bzImage and ELF kernels: what lands in guest
 * memory and the zero page / PVH start_info, and the exact error for each
 * malformed input (with guest memory left untouched). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kimage.h"
#include "loaders/boot.h"
#include "loaders/boot_params.h"
#include "loaders/e820.h"
#include "loaders/pvh.h"
#include "machine/layout.h"

struct fx {
    struct guest_mem m;
    struct x86_state bsp;
    struct boot_result res;
    char err[256];
    uint8_t seed[32];
};

static int setup_64m(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (gmem_init(&f->m, MiB(64), LAYOUT_MMIO_HOLE_START, LAYOUT_MMIO_HOLE_END))
        return -1;
    for (unsigned i = 0; i < sizeof(f->seed); i++)
        f->seed[i] = (uint8_t)(0xa0 + i);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    gmem_destroy(&f->m);
    free(f);
    return 0;
}

static bool ram_is_zero(const struct guest_mem *m)
{
    static const uint8_t zero[4096];
    for (unsigned r = 0; r < m->nregions; r++)
        for (uint64_t o = 0; o < m->region[r].size; o += sizeof(zero))
            if (memcmp(m->region[r].hva + o, zero, sizeof(zero)))
                return false;
    return true;
}

static struct boot_config cfg(const uint8_t *k, size_t klen)
{
    return (struct boot_config){ .kernel = k, .kernel_len = klen, .cmdline = "console=ttyS0" };
}

static int load(struct fx *f, const struct boot_config *c)
{
    memset(f->err, 0, sizeof(f->err));
    return boot_load_linux(&f->m, c, &f->bsp, &f->res, f->err, sizeof(f->err));
}

/* Loads c, expects code and a message containing msg, and no write. */
static void expect_fail(struct fx *f, const struct boot_config *c, int code, const char *msg)
{
    int r = load(f, c);
    if (r != code || !strstr(f->err, msg))
        fail_msg("expected %d \"%s\", got %d \"%s\"", code, msg, r, f->err);
    assert_true(ram_is_zero(&f->m));
}

static const struct boot_params *zero_page(struct fx *f)
{
    return gmem_ptr(&f->m, LAYOUT_ZERO_PAGE, sizeof(struct boot_params));
}

/* ---- bzImage ---------------------------------------------------------- */

static void test_bzimage_loads(void **state)
{
    struct fx *f = *state;
    size_t len;
    uint8_t *k = kimage_bzimage(0x3000, &len);
    uint8_t initrd[10000];
    for (unsigned i = 0; i < sizeof(initrd); i++)
        initrd[i] = (uint8_t)(i ^ 0x5a);
    struct boot_config c = cfg(k, len);
    c.initrd = initrd;
    c.initrd_len = sizeof(initrd);
    c.rng_seed = f->seed;
    c.rng_seed_len = sizeof(f->seed);
    c.acpi_rsdp = 0xe0000;
    assert_int_equal(load(f, &c), 0);

    assert_int_equal(f->res.kind, BOOT_LINUX64);
    assert_int_equal(f->res.format, BOOT_FORMAT_BZIMAGE);
    assert_int_equal(f->res.kernel_start, 0x1000000);
    assert_int_equal(f->res.kernel_end, 0x1000000 + 0x400000); /* init_size */
    assert_int_equal(f->res.entry, 0x1000200);
    assert_memory_equal(gmem_ptr(&f->m, 0x1000000, 0x3000), k + KIMAGE_PM_OFFSET, 0x3000);

    const struct boot_params *bp = zero_page(f);
    assert_int_equal(bp->hdr.header, BP_HDR_MAGIC);
    assert_int_equal(bp->hdr.version, 0x020f);
    assert_int_equal(bp->hdr.type_of_loader, 0xff);
    assert_int_equal(bp->hdr.cmd_line_ptr, LAYOUT_CMDLINE);
    assert_string_equal(gmem_ptr(&f->m, LAYOUT_CMDLINE, 14), "console=ttyS0");
    assert_int_equal(bp->acpi_rsdp_addr, 0xe0000);

    /* initrd: page-aligned, as high as RAM allows, clear of the kernel. */
    uint64_t ia = bp->hdr.ramdisk_image | ((uint64_t)bp->ext_ramdisk_image << 32);
    assert_int_equal(bp->hdr.ramdisk_size, sizeof(initrd));
    assert_int_equal(ia % 4096, 0);
    assert_true(ia >= f->res.kernel_end);
    assert_true(ia + sizeof(initrd) <= MiB(64));
    assert_true(MiB(64) - (ia + sizeof(initrd)) < 4096);
    assert_int_equal(ia, f->res.initrd_addr);
    assert_memory_equal(gmem_ptr(&f->m, ia, sizeof(initrd)), initrd, sizeof(initrd));

    /* setup_data: one SETUP_RNG_SEED node holding the seed. */
    assert_int_equal(bp->hdr.setup_data, LAYOUT_SETUP_DATA);
    struct setup_data_hdr sd;
    assert_int_equal(gmem_read(&f->m, LAYOUT_SETUP_DATA, &sd, sizeof(sd)), 0);
    assert_int_equal(sd.type, BP_SETUP_RNG_SEED);
    assert_int_equal(sd.len, 32);
    assert_int_equal(sd.next, 0);
    assert_memory_equal(gmem_ptr(&f->m, LAYOUT_SETUP_DATA + sizeof(sd), 32), f->seed, 32);

    /* e820 in the zero page is e820_build's map. */
    struct e820_entry e[E820_MAX_BUILT];
    int n = e820_build(e, E820_MAX_BUILT, &f->m);
    assert_int_equal(bp->e820_entries, n);
    assert_memory_equal(bp->e820_table, e, (size_t)n * sizeof(e[0]));

    assert_int_equal(f->bsp.rip, 0x1000200);
    assert_int_equal(f->bsp.gpr[X86_RSI], LAYOUT_ZERO_PAGE);
    free(k);
}

static void test_bzimage_no_seed_no_initrd(void **state)
{
    struct fx *f = *state;
    size_t len;
    uint8_t *k = kimage_bzimage(0x1000, &len);
    struct boot_config c = cfg(k, len);
    c.cmdline = NULL;
    assert_int_equal(load(f, &c), 0);
    const struct boot_params *bp = zero_page(f);
    assert_int_equal(bp->hdr.setup_data, 0);
    assert_int_equal(bp->hdr.ramdisk_image, 0);
    assert_int_equal(bp->hdr.ramdisk_size, 0);
    assert_int_equal(*(char *)gmem_ptr(&f->m, LAYOUT_CMDLINE, 1), 0);
    free(k);
}

static void test_bzimage_relocates_when_pref_does_not_fit(void **state)
{
    struct fx *f = *state;
    size_t len;
    uint8_t *k = kimage_bzimage(0x1000, &len);
    kimage_hdr(k)->init_size = (uint32_t)MiB(60); /* 16 + 60 > 64 MiB */
    struct boot_config c = cfg(k, len);
    assert_int_equal(load(f, &c), 0);
    assert_int_equal(f->res.kernel_start, MiB(2)); /* 1 MiB aligned up to 2 MiB */
    assert_int_equal(f->res.entry, MiB(2) + 0x200);
    free(k);
}

static void test_bzimage_errors(void **state)
{
    struct fx *f = *state;
    size_t len;
    uint8_t *k = kimage_bzimage(0x1000, &len);
    uint8_t *bad = malloc(len);
    struct boot_config c = cfg(bad, len);
#define RESET() memcpy(bad, k, len)

    RESET();
    c.kernel_len = 0x220; /* header cut short */
    expect_fail(f, &c, -ENOEXEC, "setup header (to 0x26c) extends past the end of the file");
    c.kernel_len = len;

    RESET();
    kimage_hdr(bad)->version = 0x020a;
    expect_fail(f, &c, -ENOEXEC, "bzImage boot protocol 2.10 is too old (need 2.12+)");

    RESET();
    kimage_hdr(bad)->xloadflags = 0;
    expect_fail(f, &c, -ENOEXEC, "no 64-bit entry point (XLF_KERNEL_64 not set)");

    RESET();
    kimage_hdr(bad)->boot_flag = 0x1234;
    expect_fail(f, &c, -ENOEXEC, "boot_flag is 0x1234");

    RESET();
    kimage_hdr(bad)->setup_sects = 200;
    expect_fail(f, &c, -ENOEXEC, "setup (200 sectors, 0x19200 bytes) reaches past the end");

    RESET();
    kimage_hdr(bad)->syssize = 0x10000; /* claims 1 MiB, file has 4 KiB */
    expect_fail(f, &c, -ENOEXEC, "syssize says 0x100000 bytes but 0x1000 follow");

    RESET();
    kimage_hdr(bad)->kernel_alignment = 0x300000;
    expect_fail(f, &c, -ENOEXEC, "kernel_alignment 0x300000 is not a power of two");

    RESET();
    kimage_hdr(bad)->init_size = (uint32_t)MiB(128);
    expect_fail(f, &c, -ERANGE, "bzImage needs 128 MiB at 0x1000000 (init_size) but guest RAM is 64 MiB");

    RESET();
    kimage_hdr(bad)->relocatable_kernel = 0;
    kimage_hdr(bad)->pref_address = MiB(63);
    expect_fail(f, &c, -ERANGE, "and the kernel is not relocatable");

    RESET();
    kimage_hdr(bad)->cmdline_size = 8;
    expect_fail(f, &c, -E2BIG, "cmdline: 13 bytes is longer than the kernel's limit of 8");

    RESET();
    uint8_t *big = calloc(1, MiB(64));
    c.initrd = big;
    c.initrd_len = MiB(64);
    expect_fail(f, &c, -ENOSPC, "initrd: 64 MiB does not fit below 0x3ffffff in 64 MiB of RAM");
    c.initrd_len = MiB(59); /* 20 MiB above the kernel, 15 below: neither fits */
    expect_fail(f, &c, -ENOSPC, "initrd: 59 MiB does not fit");
    kimage_hdr(bad)->init_size = (uint32_t)MiB(46); /* kernel 16-62 MiB */
    c.initrd_len = MiB(14); /* does not fit above the kernel, fits below it */
    assert_int_equal(load(f, &c), 0);
    assert_int_equal(f->res.initrd_addr, MiB(2));
    assert_true(f->res.initrd_addr >= LAYOUT_HIMEM);
    assert_true(f->res.initrd_addr + MiB(14) <= f->res.kernel_start);
    free(big);
    free(k);
    free(bad);
#undef RESET
}

static void test_bzimage_initrd_addr_max(void **state)
{
    (void)state;
    struct fx f = { 0 };
    assert_int_equal(gmem_init(&f.m, MiB(1024), LAYOUT_MMIO_HOLE_START, LAYOUT_MMIO_HOLE_END), 0);
    size_t len;
    uint8_t *k = kimage_bzimage(0x1000, &len);
    kimage_hdr(k)->initrd_addr_max = 0x37ffffff;
    uint8_t *rd = mmap(NULL, MiB(900), PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                       -1, 0);
    assert_true(rd != MAP_FAILED);
    struct boot_config c = cfg(k, len);
    c.initrd = rd;
    c.initrd_len = MiB(1);
    assert_int_equal(boot_load_linux(&f.m, &c, &f.bsp, &f.res, f.err, sizeof(f.err)), 0);
    assert_int_equal(f.res.initrd_addr + MiB(1), 0x38000000);
    c.initrd_len = MiB(900);
    assert_int_equal(boot_load_linux(&f.m, &c, &f.bsp, &f.res, f.err, sizeof(f.err)), -ENOSPC);
    assert_string_equal(f.err, "initrd: 900 MiB does not fit below 0x37ffffff in 1 GiB of RAM");
    munmap(rd, MiB(900));
    free(k);
    gmem_destroy(&f.m);
}

static void test_not_a_kernel(void **state)
{
    struct fx *f = *state;
    uint8_t junk[4096];
    for (unsigned i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)(i * 13);
    struct boot_config c = cfg(junk, sizeof(junk));
    expect_fail(f, &c, -ENOEXEC, "kernel: not an ELF or bzImage file");
    c.kernel_len = 0;
    expect_fail(f, &c, -ENOEXEC, "kernel: file is empty");

    size_t len;
    uint8_t *k = kimage_bzimage(0x1000, &len);
    c = cfg(k, len);
    c.entry = BOOT_ENTRY_PVH;
    expect_fail(f, &c, -ENOEXEC, "PVH entry requested but a bzImage has none");
    c.entry = BOOT_ENTRY_AUTO;
    c.rng_seed = f->seed;
    c.rng_seed_len = BOOT_RNG_SEED_MAX + 1;
    expect_fail(f, &c, -EINVAL, "rng seed");
    free(k);
}

/* ---- ELF ---------------------------------------------------------------- */

static const struct kimage_seg vmlinux_segs[] = {
    { .paddr = KIMAGE_VMLINUX_PADDR, .vaddr = KIMAGE_VMLINUX_VADDR,
      .filesz = 0x10000, .memsz = 0x20000 },
    { .paddr = KIMAGE_VMLINUX_PADDR + 0x40000, .vaddr = KIMAGE_VMLINUX_VADDR + 0x40000,
      .filesz = 0x800, .memsz = 0x800 },
};

static void test_elf_64bit_entry(void **state)
{
    struct fx *f = *state;
    struct kimage_elf_desc d = { .segs = vmlinux_segs, .nsegs = 2,
                                 .entry = KIMAGE_VMLINUX_VADDR + 0x100 };
    size_t len;
    uint8_t *k = kimage_elf(&d, &len);
    /* Dirty the bss so the loader has to clear it. */
    memset(gmem_ptr(&f->m, KIMAGE_VMLINUX_PADDR + 0x10000, 0x10000), 0xcc, 0x10000);
    struct boot_config c = cfg(k, len);
    assert_int_equal(load(f, &c), 0);
    assert_int_equal(f->res.kind, BOOT_LINUX64);
    assert_int_equal(f->res.format, BOOT_FORMAT_ELF);
    assert_int_equal(f->res.entry, KIMAGE_VMLINUX_PADDR + 0x100); /* virtual -> physical */
    assert_int_equal(f->res.kernel_start, KIMAGE_VMLINUX_PADDR);
    assert_int_equal(f->res.kernel_end, KIMAGE_VMLINUX_PADDR + 0x40800);
    size_t data_off = len - 0x10800;
    assert_memory_equal(gmem_ptr(&f->m, KIMAGE_VMLINUX_PADDR, 0x10000), k + data_off, 0x10000);
    const uint8_t *bss = gmem_ptr(&f->m, KIMAGE_VMLINUX_PADDR + 0x10000, 0x10000);
    for (unsigned i = 0; i < 0x10000; i++)
        assert_int_equal(bss[i], 0);
    assert_memory_equal(gmem_ptr(&f->m, KIMAGE_VMLINUX_PADDR + 0x40000, 0x800),
                        k + data_off + 0x10000, 0x800);

    /* A synthesized setup header. */
    const struct boot_params *bp = zero_page(f);
    assert_int_equal(bp->hdr.boot_flag, 0xaa55);
    assert_int_equal(bp->hdr.header, BP_HDR_MAGIC);
    assert_int_equal(bp->hdr.version, 0x020f);
    assert_int_equal(bp->hdr.type_of_loader, 0xff);
    assert_int_equal(bp->hdr.loadflags, BP_LOADED_HIGH | BP_CAN_USE_HEAP);
    assert_int_equal(bp->hdr.cmd_line_ptr, LAYOUT_CMDLINE);
    assert_int_equal(bp->hdr.cmdline_size, LAYOUT_CMDLINE_MAX - 1);
    assert_int_equal(f->bsp.rip, KIMAGE_VMLINUX_PADDR + 0x100);
    assert_int_equal(f->bsp.efer & X86_EFER_LMA, X86_EFER_LMA);
    free(k);
}

static void check_pvh_start_info(struct fx *f, uint64_t initrd_size)
{
    struct hvm_start_info si;
    assert_int_equal(gmem_read(&f->m, LAYOUT_PVH_START_INFO, &si, sizeof(si)), 0);
    assert_int_equal(si.magic, PVH_START_MAGIC);
    assert_int_equal(si.version, 1);
    assert_int_equal(si.cmdline_paddr, LAYOUT_CMDLINE);
    assert_int_equal(si.rsdp_paddr, 0xe0000);
    assert_int_equal(si.nr_modules, initrd_size ? 1 : 0);
    if (initrd_size) {
        struct hvm_modlist_entry mod;
        assert_int_equal(gmem_read(&f->m, si.modlist_paddr, &mod, sizeof(mod)), 0);
        assert_int_equal(mod.paddr, f->res.initrd_addr);
        assert_int_equal(mod.size, initrd_size);
    }
    struct e820_entry e[E820_MAX_BUILT];
    int n = e820_build(e, E820_MAX_BUILT, &f->m);
    assert_int_equal(si.memmap_entries, n);
    for (int i = 0; i < n; i++) {
        struct hvm_memmap_table_entry me;
        assert_int_equal(gmem_read(&f->m, si.memmap_paddr + i * sizeof(me), &me, sizeof(me)), 0);
        assert_int_equal(me.addr, e[i].addr);
        assert_int_equal(me.size, e[i].size);
        assert_int_equal(me.type, e[i].type);
    }
}

static void test_elf_pvh(void **state)
{
    struct fx *f = *state;
    struct kimage_elf_desc d = { .segs = vmlinux_segs, .nsegs = 2,
                                 .entry = KIMAGE_VMLINUX_VADDR + 0x100,
                                 .note = KIMAGE_NOTE_PT_NOTE,
                                 .pvh_entry = KIMAGE_VMLINUX_PADDR + 0x40 };
    size_t len;
    uint8_t *k = kimage_elf(&d, &len);
    uint8_t rd[5000] = { 1, 2, 3 };
    struct boot_config c = cfg(k, len);
    c.initrd = rd;
    c.initrd_len = sizeof(rd);
    c.acpi_rsdp = 0xe0000;
    assert_int_equal(load(f, &c), 0); /* AUTO prefers PVH */
    assert_int_equal(f->res.kind, BOOT_PVH32);
    assert_int_equal(f->res.entry, KIMAGE_VMLINUX_PADDR + 0x40);
    assert_int_equal(f->res.boot_info, LAYOUT_PVH_START_INFO);
    assert_int_equal(f->bsp.rip, KIMAGE_VMLINUX_PADDR + 0x40);
    assert_int_equal(f->bsp.gpr[X86_RBX], LAYOUT_PVH_START_INFO);
    assert_int_equal(f->bsp.gpr[X86_RSI], 0);
    assert_int_equal(f->bsp.cr0 & X86_CR0_PG, 0);
    check_pvh_start_info(f, sizeof(rd));
    assert_string_equal(gmem_ptr(&f->m, LAYOUT_CMDLINE, 14), "console=ttyS0");

    c.entry = BOOT_ENTRY_LINUX64; /* the caller can force the 64-bit entry */
    assert_int_equal(load(f, &c), 0);
    assert_int_equal(f->res.kind, BOOT_LINUX64);
    assert_int_equal(f->res.entry, KIMAGE_VMLINUX_PADDR + 0x100);
    assert_int_equal(f->bsp.gpr[X86_RSI], LAYOUT_ZERO_PAGE);
    free(k);
}

static void test_elf_pvh_note_in_section(void **state)
{
    struct fx *f = *state;
    struct kimage_elf_desc d = { .segs = vmlinux_segs, .nsegs = 1,
                                 .entry = KIMAGE_VMLINUX_PADDR,
                                 .note = KIMAGE_NOTE_SECTION,
                                 .pvh_entry = KIMAGE_VMLINUX_PADDR + 0x80 };
    size_t len;
    uint8_t *k = kimage_elf(&d, &len);
    struct boot_config c = cfg(k, len);
    c.entry = BOOT_ENTRY_PVH;
    c.acpi_rsdp = 0xe0000;
    assert_int_equal(load(f, &c), 0);
    assert_int_equal(f->res.kind, BOOT_PVH32);
    assert_int_equal(f->bsp.rip, KIMAGE_VMLINUX_PADDR + 0x80);
    check_pvh_start_info(f, 0);
    free(k);
}

static void test_elf_errors(void **state)
{
    struct fx *f = *state;
    struct kimage_elf_desc d = { .segs = vmlinux_segs, .nsegs = 2,
                                 .entry = KIMAGE_VMLINUX_VADDR,
                                 .note = KIMAGE_NOTE_PT_NOTE,
                                 .pvh_entry = KIMAGE_VMLINUX_PADDR };
    size_t len;
    uint8_t *k = kimage_elf(&d, &len);
    uint8_t *bad = malloc(len);
    struct boot_config c = cfg(bad, len);
    Elf64_Ehdr *eh = (Elf64_Ehdr *)bad;
    Elf64_Phdr *ph = (Elf64_Phdr *)(bad + sizeof(Elf64_Ehdr));
    Elf64_Nhdr *nh = (Elf64_Nhdr *)(bad + sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr));
#define RESET() memcpy(bad, k, len)

    RESET();
    c.kernel_len = 40;
    expect_fail(f, &c, -ENOEXEC, "kernel: ELF header truncated (40 of 64 bytes)");
    c.kernel_len = len;

    RESET();
    eh->e_ident[EI_CLASS] = ELFCLASS32;
    expect_fail(f, &c, -ENOEXEC, "ELF class 1 is not ELF64");

    RESET();
    eh->e_machine = EM_386;
    expect_fail(f, &c, -ENOEXEC, "ELF machine 3 is not x86-64");

    RESET();
    eh->e_phoff = len - 100;
    expect_fail(f, &c, -ENOEXEC, "ELF program header table (offset");

    RESET();
    eh->e_phnum = 0xffff;
    expect_fail(f, &c, -ENOEXEC, "ELF file has 65535 program headers (max 128)");

    RESET();
    ph[1].p_offset = len - 0x10;
    expect_fail(f, &c, -ENOEXEC, "kernel: ELF program header 1 extends past the end of the file");

    RESET();
    ph[0].p_filesz = UINT64_MAX;
    ph[0].p_memsz = UINT64_MAX;
    expect_fail(f, &c, -ENOEXEC, "ELF program header 0 extends past the end of the file");

    RESET();
    ph[0].p_filesz = ph[0].p_memsz + 1;
    expect_fail(f, &c, -ENOEXEC, "ELF program header 0: file size 0x20001 exceeds memory size");

    RESET();
    ph[1].p_paddr = MiB(64) - 0x100; /* runs off the end of RAM */
    expect_fail(f, &c, -ERANGE, "ELF program header 1 (0x3ffff00-0x4000700) is outside guest RAM (64 MiB)");

    RESET();
    ph[1].p_paddr = 0xfffffffffffffc00ull;
    expect_fail(f, &c, -ERANGE, "ELF program header 1: address 0xfffffffffffffc00 + size 0x800 wraps");

    RESET();
    ph[0].p_paddr = LAYOUT_ZERO_PAGE;
    expect_fail(f, &c, -ERANGE, "ELF program header 0 (0x7000-0x27000) overlaps vmon's boot data below 1 MiB");

    RESET();
    ph[0].p_paddr = LAYOUT_PML4;
    expect_fail(f, &c, -ERANGE, "overlaps vmon's boot data");

    RESET();
    ph[0].p_type = PT_NULL;
    ph[1].p_type = PT_NULL;
    expect_fail(f, &c, -ENOEXEC, "ELF file has no loadable segments");

    RESET();
    eh->e_entry = 0x5000;
    expect_fail(f, &c, -ENOEXEC, "ELF entry point 0x5000 is not inside a loaded segment");

    RESET();
    nh->n_descsz = 0x1000;
    expect_fail(f, &c, -ENOEXEC, "ELF note at file offset");

    RESET();
    nh->n_descsz = 2;
    expect_fail(f, &c, -ENOEXEC, "PVH entry note has a 2-byte value (need 4 or 8)");

    RESET();
    put_le64((uint8_t *)(nh + 1) + 4, 0x100000000ull);
    expect_fail(f, &c, -ENOEXEC, "PVH entry 0x100000000 is above 4 GiB");

    RESET();
    put_le64((uint8_t *)(nh + 1) + 4, 0x9000);
    expect_fail(f, &c, -ENOEXEC, "PVH entry 0x9000 is not inside a loaded segment");

    RESET();
    ph[2].p_offset = len;
    ph[2].p_filesz = 1;
    expect_fail(f, &c, -ENOEXEC, "ELF program header 2 (notes) extends past the end of the file");

    /* No note at all but PVH forced. */
    RESET();
    ph[2].p_type = PT_NULL;
    c.entry = BOOT_ENTRY_PVH;
    expect_fail(f, &c, -ENOEXEC, "PVH entry requested but the ELF file has no PVH note");
    free(k);
    free(bad);
#undef RESET
}

static void test_cmdline_limits(void **state)
{
    struct fx *f = *state;
    struct kimage_elf_desc d = { .segs = vmlinux_segs, .nsegs = 1, .entry = KIMAGE_VMLINUX_PADDR };
    size_t len;
    uint8_t *k = kimage_elf(&d, &len);
    char *line = malloc(LAYOUT_CMDLINE_MAX + 10);
    memset(line, 'x', LAYOUT_CMDLINE_MAX + 9);
    line[LAYOUT_CMDLINE_MAX + 9] = 0;
    struct boot_config c = cfg(k, len);
    c.cmdline = line;
    expect_fail(f, &c, -E2BIG, "cmdline: over 65536 bytes is longer than the kernel's limit of 65535");
    line[LAYOUT_CMDLINE_MAX - 1] = 0; /* exactly the limit */
    assert_int_equal(load(f, &c), 0);
    const char *g = gmem_ptr(&f->m, LAYOUT_CMDLINE, LAYOUT_CMDLINE_MAX);
    assert_int_equal(strnlen(g, LAYOUT_CMDLINE_MAX), LAYOUT_CMDLINE_MAX - 1);
    free(line);
    free(k);
}

/* The zero page's e820 and initrd placement for RAM below, at and across the
 * 3 GiB hole. */
static void test_ram_sizes(void **state)
{
    (void)state;
    static const uint64_t sizes[] = { MiB(64), GiB(3), GiB(5) };
    size_t len;
    uint8_t *k = kimage_bzimage(0x1000, &len);
    uint8_t rd[8192] = { 9 };
    for (unsigned s = 0; s < ARRAY_SIZE(sizes); s++) {
        struct fx f = { 0 };
        assert_int_equal(gmem_init(&f.m, sizes[s], LAYOUT_MMIO_HOLE_START, LAYOUT_MMIO_HOLE_END), 0);
        struct boot_config c = cfg(k, len);
        c.initrd = rd;
        c.initrd_len = sizeof(rd);
        assert_int_equal(boot_load_linux(&f.m, &c, &f.bsp, &f.res, f.err, sizeof(f.err)), 0);
        const struct boot_params *bp = gmem_ptr(&f.m, LAYOUT_ZERO_PAGE, sizeof(*bp));
        uint64_t ram = e820_total(bp->e820_table, bp->e820_entries, E820_RAM);
        assert_int_equal(ram + (LAYOUT_HIMEM - LAYOUT_EBDA), sizes[s]);
        for (unsigned i = 1; i < bp->e820_entries; i++)
            assert_true(bp->e820_table[i - 1].addr + bp->e820_table[i - 1].size <=
                        bp->e820_table[i].addr);
        /* The initrd sits at the top of low RAM, under initrd_addr_max. */
        uint64_t top = MIN(MIN(sizes[s], LAYOUT_MMIO_HOLE_START), 0x80000000ull);
        assert_int_equal(f.res.initrd_addr, top - 8192);
        gmem_destroy(&f.m);
    }
    free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bzimage_loads, setup_64m, teardown),
        cmocka_unit_test_setup_teardown(test_bzimage_no_seed_no_initrd, setup_64m, teardown),
        cmocka_unit_test_setup_teardown(test_bzimage_relocates_when_pref_does_not_fit, setup_64m, teardown),
        cmocka_unit_test_setup_teardown(test_bzimage_errors, setup_64m, teardown),
        cmocka_unit_test(test_bzimage_initrd_addr_max),
        cmocka_unit_test_setup_teardown(test_not_a_kernel, setup_64m, teardown),
        cmocka_unit_test_setup_teardown(test_elf_64bit_entry, setup_64m, teardown),
        cmocka_unit_test_setup_teardown(test_elf_pvh, setup_64m, teardown),
        cmocka_unit_test_setup_teardown(test_elf_pvh_note_in_section, setup_64m, teardown),
        cmocka_unit_test_setup_teardown(test_elf_errors, setup_64m, teardown),
        cmocka_unit_test_setup_teardown(test_cmdline_limits, setup_64m, teardown),
        cmocka_unit_test(test_ram_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
