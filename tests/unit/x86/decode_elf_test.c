/* x86_decode() against capstone on real code: every executable section of
 * a Linux kernel (the default guest's vmlinux, when it has been built),
 * busybox-static and libc, decoded linearly from the section start. Where
 * neither decoder finds an instruction (data, padding) the sweep moves on
 * by one byte and resynchronises.
 *
 * Extra ELF files can be named in VMON_DECODE_ELF (colon-separated). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capstone_map.h"
#include "common/util.h"
#include "x86/insn.h"

#ifndef VMON_SOURCE_ROOT
#define VMON_SOURCE_ROOT "."
#endif

#define MAX_ELF_SIZE (256ull << 20)

struct totals {
    uint64_t checked, disagree;
};

/* Decodes [data, data + size) linearly; returns the instructions compared. */
static void sweep(struct cmap *m, const uint8_t *data, uint64_t size, uint64_t addr,
                  enum x86_mode mode)
{
    uint64_t off = 0;
    while (off < size) {
        unsigned len;
        size_t n = size - off < 32 ? (size_t)(size - off) : 32;
        cmap_check(m, data + off, n, mode, addr + off, &len);
        off += len ? len : 1;
    }
}

/* Checks every executable PROGBITS section of one ELF file. Returns false
 * if the file is missing or not an ELF. */
static bool check_elf(struct cmap *m, const char *path, struct totals *t)
{
    uint8_t *img;
    size_t size;
    if (read_file(path, MAX_ELF_SIZE, &img, &size) < 0)
        return false;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
    if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
        eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
        eh->e_shentsize != sizeof(Elf64_Shdr) ||
        !range_within(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), size) ||
        eh->e_shstrndx >= eh->e_shnum) {
        free(img);
        return false;
    }
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(img + eh->e_shoff);
    const Elf64_Shdr *strs = &sh[eh->e_shstrndx];
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_PROGBITS || !(sh[i].sh_flags & SHF_EXECINSTR) ||
            !range_within(sh[i].sh_offset, sh[i].sh_size, size))
            continue;
        const char *name = "?";
        if (range_within(strs->sh_offset, strs->sh_size, size) && sh[i].sh_name < strs->sh_size &&
            memchr(img + strs->sh_offset + sh[i].sh_name, 0, strs->sh_size - sh[i].sh_name))
            name = (const char *)img + strs->sh_offset + sh[i].sh_name;
        uint64_t c0 = cmap_checked(m), d0 = cmap_disagreements(m);
        sweep(m, img + sh[i].sh_offset, sh[i].sh_size, sh[i].sh_addr, X86_MODE_LONG64);
        uint64_t c = cmap_checked(m) - c0, d = cmap_disagreements(m) - d0;
        printf("  %s %s: %llu instructions checked, %llu disagreements\n", path, name,
               (unsigned long long)c, (unsigned long long)d);
        t->checked += c;
        t->disagree += d;
    }
    free(img);
    return true;
}

/* The default guest's kernel: guest/out/vmlinux, else the newest one in the
 * guest build cache. */
static bool find_kernel(char *path, size_t len)
{
    struct stat st;
    snprintf(path, len, "%s/guest/out/vmlinux", VMON_SOURCE_ROOT);
    if (stat(path, &st) == 0)
        return true;
    const char *cache = getenv("VMON_CACHE");
    const char *home = getenv("HOME");
    char pattern[512];
    if (cache)
        snprintf(pattern, sizeof(pattern), "%s/guest/kernel-*/out/vmlinux", cache);
    else
        snprintf(pattern, sizeof(pattern), "%s/.cache/vmon/guest/kernel-*/out/vmlinux",
                 home ? home : "/root");
    glob_t g;
    bool found = false;
    time_t newest = 0;
    if (glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++) {
            if (stat(g.gl_pathv[i], &st) == 0 && st.st_mtime >= newest) {
                newest = st.st_mtime;
                snprintf(path, len, "%s", g.gl_pathv[i]);
                found = true;
            }
        }
        globfree(&g);
    }
    return found;
}

static void test_elf_text(void **state)
{
    (void)state;
    struct cmap *m = cmap_new();
    struct totals t = { 0, 0 };
    char kernel[512];
    assert_non_null(m);

    if (find_kernel(kernel, sizeof(kernel))) {
        assert_true(check_elf(m, kernel, &t));
    } else {
        printf("  no guest kernel (guest/out/vmlinux): build it with guest/build.sh\n");
    }
    /* always present on the build machine (scripts/install-deps.sh) */
    assert_true(check_elf(m, "/bin/busybox", &t));
    assert_true(check_elf(m, "/usr/lib/x86_64-linux-gnu/libc.so.6", &t));

    const char *extra = getenv("VMON_DECODE_ELF");
    if (extra) {
        char *list = strdup(extra), *save = NULL;
        assert_non_null(list);
        for (char *p = strtok_r(list, ":", &save); p; p = strtok_r(NULL, ":", &save))
            if (!check_elf(m, p, &t))
                printf("  %s: not a readable x86-64 ELF, skipped\n", p);
        free(list);
    }

    printf("ELF text: %llu instructions checked, %llu disagreements\n",
           (unsigned long long)t.checked, (unsigned long long)t.disagree);
    cmap_print_exceptions(m, stdout);
    cmap_free(m);
    assert_true(t.checked > 100000);
    assert_int_equal(t.disagree, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elf_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
