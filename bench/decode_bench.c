/* Decoder throughput: decodes the .text section of an x86-64 ELF linearly,
 * over and over, and reports instructions decoded per second.
 *
 *   decode_bench [ELF file (default /bin/busybox)] [seconds (default 2)]
 *
 * Times are CPU time of this process, so that other load on the machine does
 * not count. Built by meson (tests/unit/x86/meson.build), not run by the
 * tests. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "x86/insn.h"

static double now(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Finds the .text section; returns false if the file is not a usable ELF. */
static bool find_text(const uint8_t *img, size_t size, const uint8_t **text, size_t *len)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
    if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
        eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shentsize != sizeof(Elf64_Shdr) ||
        !range_within(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), size) ||
        eh->e_shstrndx >= eh->e_shnum)
        return false;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(img + eh->e_shoff);
    const Elf64_Shdr *strs = &sh[eh->e_shstrndx];
    if (!range_within(strs->sh_offset, strs->sh_size, size))
        return false;
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_name + sizeof(".text") > strs->sh_size ||
            memcmp(img + strs->sh_offset + sh[i].sh_name, ".text", sizeof(".text")) ||
            !range_within(sh[i].sh_offset, sh[i].sh_size, size))
            continue;
        *text = img + sh[i].sh_offset;
        *len = sh[i].sh_size;
        return true;
    }
    return false;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "/bin/busybox";
    double seconds = argc > 2 ? atof(argv[2]) : 2.0;
    uint8_t *img;
    size_t size, len;
    const uint8_t *text;

    if (read_file(path, 512u << 20, &img, &size) < 0 || !find_text(img, size, &text, &len)) {
        fprintf(stderr, "decode_bench: %s: not a readable x86-64 ELF with .text\n", path);
        return 1;
    }

    struct x86_insn in;
    uint64_t insns = 0, bytes = 0, invalid = 0, sink = 0;
    unsigned passes = 0;
    /* CPU time, so that other load on the machine does not count */
    double t0 = now(CLOCK_PROCESS_CPUTIME_ID), w0 = now(CLOCK_MONOTONIC), t;
    do {
        size_t off = 0;
        while (off < len) {
            int r = x86_decode(text + off, len - off, X86_MODE_LONG64, &in);
            if (r > 0) {
                insns++;
                bytes += (unsigned)r;
                sink += in.op;
                off += (unsigned)r;
            } else {
                invalid++;
                off++;
            }
        }
        passes++;
        t = now(CLOCK_PROCESS_CPUTIME_ID) - t0;
    } while (t < seconds);
    double wall = now(CLOCK_MONOTONIC) - w0;

    printf("%s .text (%zu bytes) x %u: %llu instructions in %.2f s CPU time (%.2f s wall): "
           "%.1f M instructions/s, %.1f ns each, average length %.2f, %llu invalid positions "
           "(checksum %llu)\n",
           path, len, passes, (unsigned long long)insns, t, wall, (double)insns / t / 1e6,
           t * 1e9 / (double)insns, (double)bytes / (double)insns,
           (unsigned long long)invalid, (unsigned long long)sink);
    free(img);
    return 0;
}
