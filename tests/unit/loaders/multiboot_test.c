/* The Multiboot loader with hand-made kernels: header detection, the a.out
 * kludge and ELF32 images, the boot information a kernel reads, and the
 * malformed headers and addresses it must refuse without touching RAM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "core/guest_mem.h"
#include "loaders/multiboot.h"
#include "machine/layout.h"

#define RAM MiB(64)
#define LOAD 0x200000u  /* where the test kernels go */

struct fixture {
    struct guest_mem m;
    struct x86_state s;
    char err[256];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_int_equal(gmem_init(&f->m, RAM, LAYOUT_MMIO_HOLE_START, LAYOUT_MMIO_HOLE_END), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    gmem_destroy(&f->m);
    free(f);
    return 0;
}

/* A header at `off` of buf with the given flags and a correct checksum. */
static void put_header(uint8_t *buf, size_t off, uint32_t flags)
{
    put_le32(buf + off, MULTIBOOT_HEADER_MAGIC);
    put_le32(buf + off + 4, flags);
    put_le32(buf + off + 8, -(MULTIBOOT_HEADER_MAGIC + flags));
}

/* An a.out-kludge kernel: `len` bytes, header at 16, loaded at LOAD, code
 * bytes 0xc3 after the header, entry at LOAD + 0x40. */
static void put_aout(uint8_t *buf, size_t len, uint32_t load_end, uint32_t bss_end)
{
    memset(buf, 0xc3, len);
    put_header(buf, 16, MULTIBOOT_AOUT_KLUDGE | MULTIBOOT_PAGE_ALIGN);
    put_le32(buf + 16 + 12, LOAD + 16);  /* header_addr */
    put_le32(buf + 16 + 16, LOAD);       /* load_addr */
    put_le32(buf + 16 + 20, load_end);
    put_le32(buf + 16 + 24, bss_end);
    put_le32(buf + 16 + 28, LOAD + 0x40);
}

static void test_detect(void **state)
{
    struct fixture *f = *state;
    uint8_t buf[MULTIBOOT_SEARCH + 64];
    struct multiboot_found mb;
    memset(buf, 0, sizeof(buf));
    assert_int_equal(multiboot_detect(buf, sizeof(buf), &mb, f->err, sizeof(f->err)), 0);

    put_header(buf, 0x40, MULTIBOOT_MEMORY_INFO);
    assert_int_equal(multiboot_detect(buf, sizeof(buf), &mb, f->err, sizeof(f->err)), 1);
    assert_int_equal(mb.offset, 0x40);
    assert_int_equal(mb.h.flags, MULTIBOOT_MEMORY_INFO);

    /* Only 32-bit aligned offsets count. */
    memset(buf, 0, sizeof(buf));
    put_header(buf, 0x42, 0);
    assert_int_equal(multiboot_detect(buf, sizeof(buf), &mb, f->err, sizeof(f->err)), 0);

    /* Past the first 8 KiB: not a Multiboot kernel. */
    memset(buf, 0, sizeof(buf));
    put_header(buf, MULTIBOOT_SEARCH, 0);
    assert_int_equal(multiboot_detect(buf, sizeof(buf), &mb, f->err, sizeof(f->err)), 0);
}

static void test_detect_malformed(void **state)
{
    struct fixture *f = *state;
    uint8_t buf[256];
    struct multiboot_found mb;

    memset(buf, 0, sizeof(buf));
    put_header(buf, 8, 0);
    put_le32(buf + 16, 0x12345678); /* checksum wrong */
    assert_int_equal(multiboot_detect(buf, sizeof(buf), &mb, f->err, sizeof(f->err)), -ENOEXEC);
    assert_non_null(strstr(f->err, "bad checksum"));
    assert_non_null(strstr(f->err, "0x8"));

    /* A bad header followed by a good one: the good one wins. */
    put_header(buf, 64, 0);
    assert_int_equal(multiboot_detect(buf, sizeof(buf), &mb, f->err, sizeof(f->err)), 1);
    assert_int_equal(mb.offset, 64);

    /* Required flags vmon cannot meet (bit 3 is undefined). */
    memset(buf, 0, sizeof(buf));
    put_header(buf, 0, 1u << 3);
    assert_int_equal(multiboot_detect(buf, sizeof(buf), &mb, f->err, sizeof(f->err)), -ENOEXEC);
    assert_non_null(strstr(f->err, "requires"));
    /* Optional bits 16-31 other than 16 are fine. */
    put_header(buf, 0, 1u << 20);
    assert_int_equal(multiboot_detect(buf, sizeof(buf), &mb, f->err, sizeof(f->err)), 1);

    /* An a.out header cut off by the end of the file. */
    memset(buf, 0, sizeof(buf));
    put_header(buf, 236, MULTIBOOT_AOUT_KLUDGE);
    assert_int_equal(multiboot_detect(buf, 248, &mb, f->err, sizeof(f->err)), -ENOEXEC);
    assert_non_null(strstr(f->err, "cut off"));
}

static void test_aout_load_and_boot_information(void **state)
{
    struct fixture *f = *state;
    uint8_t k[0x300];
    put_aout(k, sizeof(k), 0, LOAD + 0x2000);
    memset(gmem_ptr(&f->m, LOAD, 0x2000), 0xff, 0x2000);
    uint8_t mod0[100], mod1[5000];
    memset(mod0, 0xa0, sizeof(mod0));
    memset(mod1, 0xa1, sizeof(mod1));
    struct multiboot_module mods[2] = { { mod0, sizeof(mod0), "initrd.img" },
                                        { mod1, sizeof(mod1), "mod1 a=b" } };
    struct multiboot_config c = { k, sizeof(k), "console=ttyS0 x", mods, 2 };
    struct multiboot_result r;
    assert_int_equal(multiboot_load(&f->m, &c, &f->s, &r, f->err, sizeof(f->err)), 0);

    /* The image, then zeros up to bss_end_addr. */
    assert_memory_equal(gmem_ptr(&f->m, LOAD, sizeof(k)), k, sizeof(k));
    for (uint32_t a = LOAD + sizeof(k); a < LOAD + 0x2000; a++)
        assert_int_equal(*(uint8_t *)gmem_ptr(&f->m, a, 1), 0);
    assert_int_equal(r.kernel_start, LOAD);
    assert_int_equal(r.kernel_end, LOAD + 0x2000);

    /* Machine state (3.2). */
    assert_int_equal(f->s.rip, LOAD + 0x40);
    assert_int_equal(f->s.gpr[X86_RAX], MULTIBOOT_BOOTLOADER_MAGIC);
    assert_int_equal(f->s.gpr[X86_RBX], r.info_addr);
    assert_true(f->s.cr0 & X86_CR0_PE);
    assert_false(f->s.cr0 & X86_CR0_PG);
    assert_false(f->s.rflags & X86_FLAG_IF);
    assert_int_equal(f->s.seg[X86_CS].base, 0);
    assert_int_equal(f->s.seg[X86_CS].limit, 0xffffffff);
    assert_true(f->s.seg[X86_CS].attr & X86_SEG_DB);

    /* Modules: page-aligned, after the image, in order, nothing overlaps. */
    assert_int_equal(r.mod_start[0], LOAD + 0x2000);
    assert_int_equal(r.mod_start[1], LOAD + 0x3000);
    assert_memory_equal(gmem_ptr(&f->m, r.mod_start[1], sizeof(mod1)), mod1, sizeof(mod1));
    assert_true(r.info_addr >= r.mod_start[1] + sizeof(mod1));
    assert_int_equal(r.info_addr % 4096, 0);

    /* The boot information (3.3). */
    struct multiboot_info mi;
    assert_int_equal(gmem_read(&f->m, r.info_addr, &mi, sizeof(mi)), 0);
    assert_int_equal(mi.flags, MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE |
                     MULTIBOOT_INFO_MODS | MULTIBOOT_INFO_MEM_MAP |
                     MULTIBOOT_INFO_BOOT_LOADER_NAME);
    assert_int_equal(mi.mem_lower, 639);
    assert_int_equal(mi.mem_upper, (RAM - MiB(1)) / 1024);
    assert_string_equal((char *)gmem_ptr(&f->m, mi.cmdline, 1), "console=ttyS0 x");
    assert_string_equal((char *)gmem_ptr(&f->m, mi.boot_loader_name, 1), "vmon");
    assert_int_equal(mi.mods_count, 2);
    struct multiboot_mod mm[2];
    assert_int_equal(gmem_read(&f->m, mi.mods_addr, mm, sizeof(mm)), 0);
    assert_int_equal(mm[0].mod_start, r.mod_start[0]);
    assert_int_equal(mm[0].mod_end, r.mod_start[0] + sizeof(mod0));
    assert_string_equal((char *)gmem_ptr(&f->m, mm[0].string, 1), "initrd.img");
    assert_int_equal(mm[1].mod_end - mm[1].mod_start, sizeof(mod1));
    assert_string_equal((char *)gmem_ptr(&f->m, mm[1].string, 1), "mod1 a=b");

    /* The memory map: 24-byte entries, RAM from 0 and from 1 MiB. */
    assert_int_equal(mi.mmap_length % 24, 0);
    assert_true(mi.mmap_length >= 3 * 24);
    struct multiboot_mmap_entry e[3];
    assert_int_equal(gmem_read(&f->m, mi.mmap_addr, e, sizeof(e)), 0);
    assert_int_equal(e[0].size, 20);
    assert_int_equal(e[0].addr, 0);
    assert_int_equal(e[0].len, LAYOUT_EBDA);
    assert_int_equal(e[0].type, 1);
    assert_int_equal(e[1].type, 2);
    assert_int_equal(e[2].addr, MiB(1));
    assert_int_equal(e[2].len, RAM - MiB(1));
    /* Everything vmon wrote lies inside guest RAM. */
    assert_true(r.info_end <= RAM);
}

static void test_aout_load_end_limits_the_copy(void **state)
{
    struct fixture *f = *state;
    uint8_t k[0x400];
    put_aout(k, sizeof(k), LOAD + 0x100, 0);
    memset(gmem_ptr(&f->m, LOAD, 0x400), 0xee, 0x400);
    struct multiboot_config c = { k, sizeof(k), NULL, NULL, 0 };
    struct multiboot_result r;
    assert_int_equal(multiboot_load(&f->m, &c, &f->s, &r, f->err, sizeof(f->err)), 0);
    assert_int_equal(r.kernel_end, LOAD + 0x100);
    assert_int_equal(*(uint8_t *)gmem_ptr(&f->m, LOAD + 0xff, 1), 0xc3);
    /* Not part of the image: the info area starts at the next page. */
    assert_int_equal(r.info_addr, LOAD + 0x1000);
    struct multiboot_info mi;
    assert_int_equal(gmem_read(&f->m, r.info_addr, &mi, sizeof(mi)), 0);
    assert_int_equal(mi.mods_count, 0);
    assert_string_equal((char *)gmem_ptr(&f->m, mi.cmdline, 1), "");
}

/* Loads a kernel that must be refused; checks the error and that guest
 * RAM at LOAD was not touched. */
static void refuse(struct fixture *f, const uint8_t *k, size_t len, int want, const char *what)
{
    memset(gmem_ptr(&f->m, LOAD, 0x1000), 0x5a, 0x1000);
    struct multiboot_config c = { k, len, NULL, NULL, 0 };
    f->err[0] = 0;
    assert_int_equal(multiboot_load(&f->m, &c, &f->s, NULL, f->err, sizeof(f->err)), want);
    assert_non_null(strstr(f->err, what));
    for (unsigned i = 0; i < 0x1000; i++)
        assert_int_equal(*(uint8_t *)gmem_ptr(&f->m, LOAD + i, 1), 0x5a);
}

static void test_aout_malformed(void **state)
{
    struct fixture *f = *state;
    uint8_t k[0x200];

    put_aout(k, sizeof(k), 0, 0);
    put_le32(k + 16 + 16, LOAD + 0x100); /* load_addr above header_addr */
    put_le32(k + 16 + 12, LOAD + 0x10);
    refuse(f, k, sizeof(k), -ENOEXEC, "header_addr");

    put_aout(k, sizeof(k), 0, 0);
    put_le32(k + 16 + 12, LOAD + 0x1000); /* header would be 4 KiB into the file */
    refuse(f, k, sizeof(k), -ENOEXEC, "header_addr");

    put_aout(k, sizeof(k), LOAD - 1, 0);
    refuse(f, k, sizeof(k), -ENOEXEC, "load_end_addr");

    put_aout(k, sizeof(k), LOAD + 0x1000, 0); /* past the end of the file */
    refuse(f, k, sizeof(k), -ENOEXEC, "load_end_addr");

    put_aout(k, sizeof(k), 0, LOAD + 0x10); /* bss ends inside the image */
    refuse(f, k, sizeof(k), -ENOEXEC, "bss_end_addr");

    put_aout(k, sizeof(k), 0, 0);
    put_le32(k + 16 + 28, LOAD + 0x10000); /* entry outside the image */
    refuse(f, k, sizeof(k), -ENOEXEC, "entry point");
}

static void test_aout_outside_ram(void **state)
{
    struct fixture *f = *state;
    uint8_t k[0x200];
    static const struct { uint32_t load; uint32_t bss_end; } bad[] = {
        { 0xd0000000u, 0 },           /* the MMIO hole */
        { RAM - 0x100, 0 },           /* runs past the end of RAM */
        { 0xa0000, 0 },               /* the reserved BIOS area */
        { 0x9fb00, 0 },               /* straddles the EBDA */
        { 0xfffff000u, 0xffffffffu }, /* the top of 4 GiB */
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        memset(k, 0xc3, sizeof(k));
        put_header(k, 16, MULTIBOOT_AOUT_KLUDGE);
        put_le32(k + 16 + 12, bad[i].load + 16);
        put_le32(k + 16 + 16, bad[i].load);
        put_le32(k + 16 + 20, 0);
        put_le32(k + 16 + 24, bad[i].bss_end);
        put_le32(k + 16 + 28, bad[i].load + 0x40);
        refuse(f, k, sizeof(k), -ERANGE, "not in guest RAM");
    }
}

/* A minimal ELF32 kernel: one PT_LOAD of `filesz` bytes (memsz + 0x800) at
 * paddr LOAD, vaddr `vaddr`, and the header right after the ELF headers. */
static size_t put_elf32(uint8_t *buf, size_t cap, uint32_t vaddr, uint32_t entry)
{
    memset(buf, 0, cap);
    Elf32_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_386, .e_version = EV_CURRENT,
                      .e_entry = entry, .e_phoff = sizeof(Elf32_Ehdr),
                      .e_ehsize = sizeof(Elf32_Ehdr), .e_phentsize = sizeof(Elf32_Phdr),
                      .e_phnum = 1 };
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    size_t off = 0x100, filesz = cap - off;
    Elf32_Phdr ph = { .p_type = PT_LOAD, .p_offset = (Elf32_Off)off, .p_vaddr = vaddr,
                      .p_paddr = LOAD, .p_filesz = (uint32_t)filesz,
                      .p_memsz = (uint32_t)filesz + 0x800, .p_flags = PF_R | PF_X };
    memcpy(buf, &eh, sizeof(eh));
    memcpy(buf + sizeof(eh), &ph, sizeof(ph));
    memset(buf + off, 0x90, filesz);
    put_header(buf, off, MULTIBOOT_MEMORY_INFO);
    return cap;
}

static void test_elf32(void **state)
{
    struct fixture *f = *state;
    uint8_t k[0x600];
    size_t len = put_elf32(k, sizeof(k), LOAD, LOAD + 0x20);
    memset(gmem_ptr(&f->m, LOAD, 0x1000), 0xff, 0x1000);
    struct multiboot_config c = { k, len, "elf", NULL, 0 };
    struct multiboot_result r;
    assert_int_equal(multiboot_load(&f->m, &c, &f->s, &r, f->err, sizeof(f->err)), 0);
    assert_int_equal(f->s.rip, LOAD + 0x20);
    assert_int_equal(r.kernel_end, LOAD + 0x500 + 0x800);
    assert_memory_equal(gmem_ptr(&f->m, LOAD, 0x500), k + 0x100, 0x500);
    assert_int_equal(*(uint8_t *)gmem_ptr(&f->m, LOAD + 0x500, 1), 0); /* bss */

    /* A virtual entry is translated through its segment. */
    len = put_elf32(k, sizeof(k), 0xc0200000u, 0xc0200030u);
    assert_int_equal(multiboot_load(&f->m, &c, &f->s, &r, f->err, sizeof(f->err)), 0);
    assert_int_equal(f->s.rip, LOAD + 0x30);
}

static void test_elf32_malformed(void **state)
{
    struct fixture *f = *state;
    uint8_t k[0x600];

    put_elf32(k, sizeof(k), LOAD, LOAD + 0x20);
    refuse(f, k, 0x120, -ENOEXEC, "runs past the end");  /* truncated segment */

    put_elf32(k, sizeof(k), LOAD, LOAD + 0x20);
    put_le16(k + offsetof(Elf32_Ehdr, e_phnum), 2000);    /* headers past the end */
    refuse(f, k, sizeof(k), -ENOEXEC, "bad ELF header");

    put_elf32(k, sizeof(k), LOAD, LOAD + 0x20);
    put_le16(k + offsetof(Elf32_Ehdr, e_machine), EM_ARM);
    refuse(f, k, sizeof(k), -ENOEXEC, "bad ELF header");

    put_elf32(k, sizeof(k), LOAD, 0x1234);                /* entry nowhere */
    refuse(f, k, sizeof(k), -ENOEXEC, "entry point");

    put_elf32(k, sizeof(k), LOAD, LOAD + 0x20);
    put_le32(k + sizeof(Elf32_Ehdr) + offsetof(Elf32_Phdr, p_paddr), 0xfee00000u);
    put_le32(k + offsetof(Elf32_Ehdr, e_entry), 0xfee00020u);
    refuse(f, k, sizeof(k), -ERANGE, "not in guest RAM");

    /* Not ELF and no flag 16. */
    memset(k, 0, sizeof(k));
    put_header(k, 0, 0);
    refuse(f, k, sizeof(k), -ENOEXEC, "ELF");
}

static void test_modules_that_do_not_fit(void **state)
{
    struct fixture *f = *state;
    uint8_t k[0x200];
    put_aout(k, sizeof(k), 0, 0);
    memset(gmem_ptr(&f->m, LOAD, 0x1000), 0x5a, 0x1000);
    /* A module that would run past the end of RAM. */
    size_t big = RAM;
    uint8_t *mod = calloc(1, big);
    struct multiboot_module mods[1] = { { mod, big, "huge" } };
    struct multiboot_config c = { k, sizeof(k), NULL, mods, 1 };
    assert_int_equal(multiboot_load(&f->m, &c, &f->s, NULL, f->err, sizeof(f->err)), -ENOSPC);
    assert_non_null(strstr(f->err, "huge"));
    assert_int_equal(*(uint8_t *)gmem_ptr(&f->m, LOAD, 1), 0x5a); /* nothing written */
    free(mod);

    struct multiboot_module many[MULTIBOOT_MAX_MODULES + 1];
    for (size_t i = 0; i < ARRAY_SIZE(many); i++)
        many[i] = (struct multiboot_module){ k, 1, "m" };
    c.modules = many;
    c.nmodules = ARRAY_SIZE(many);
    assert_int_equal(multiboot_load(&f->m, &c, &f->s, NULL, f->err, sizeof(f->err)), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_detect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_detect_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aout_load_and_boot_information, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aout_load_end_limits_the_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aout_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aout_outside_ram, setup, teardown),
        cmocka_unit_test_setup_teardown(test_elf32, setup, teardown),
        cmocka_unit_test_setup_teardown(test_elf32_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_modules_that_do_not_fit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
