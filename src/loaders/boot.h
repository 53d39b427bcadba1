/* Direct kernel boot: puts a Linux kernel, its initrd and command line into
 * guest memory, writes the boot data it reads (zero page or PVH start_info,
 * e820, setup_data) and sets the bootstrap processor's state.
 *
 * Formats (detected from the file, never from its name):
 *   - bzImage, boot protocol 2.12+ with XLF_KERNEL_64: 64-bit entry; or,
 *     with BOOT_UNPACK_HOST, the kernel ELF inside it, decompressed by vmon,
 *     at its 64-bit entry (the setup header still goes to the zero page),
 *     and the initrd decompressed as well.
 *   - ELF64 x86-64 (vmlinux): PT_LOAD segments at p_paddr; 64-bit entry at
 *     the physical e_entry, or the 32-bit PVH entry when the file has a
 *     XEN_ELFNOTE_PHYS32_ENTRY note (see boot_config.entry).
 *
 * Guest memory used (machine/layout.h): GDT, page tables, setup_data, PVH
 * start_info, zero page, boot stack and command line below 1 MiB; the kernel
 * and initrd at or above 1 MiB. The caller writes the ACPI tables (acpi_build)
 * before and passes the RSDP address in. Everything the files say is checked;
 * a bad file gives a negative errno and a one-line message, never a write
 * outside guest RAM. */
#ifndef VMON_LOADERS_BOOT_H
#define VMON_LOADERS_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "core/guest_mem.h"
#include "x86/state.h"

/* Which entry point an ELF kernel with a PVH note is started at. */
enum boot_entry {
    BOOT_ENTRY_AUTO = 0, /* PVH when the ELF has the note, else 64-bit */
    BOOT_ENTRY_LINUX64,  /* always the 64-bit entry (ignore the note) */
    BOOT_ENTRY_PVH,      /* the PVH entry; an error if there is none */
};

/* Who decompresses a bzImage's kernel and a compressed initrd
 * (loaders/decompress.h). */
enum boot_unpack {
    BOOT_UNPACK_GUEST = 0, /* the guest: the bzImage's decompressor, the kernel's initramfs code */
    BOOT_UNPACK_HOST,      /* vmon, when it knows the format; else the guest */
};

#define BOOT_RNG_SEED_MAX 256 /* bytes of SETUP_RNG_SEED accepted */

struct boot_config {
    const uint8_t *kernel;     /* whole file, read by the caller */
    size_t kernel_len;
    const uint8_t *initrd;     /* NULL: no initrd */
    size_t initrd_len;
    const char *cmdline;       /* NULL is the empty command line */
    const uint8_t *rng_seed;   /* host random bytes for SETUP_RNG_SEED; may be NULL */
    size_t rng_seed_len;       /* 32 is plenty; at most BOOT_RNG_SEED_MAX */
    uint64_t acpi_rsdp;        /* from acpi_build, 0 if there are no tables */
    enum boot_entry entry;
    enum boot_unpack unpack;
};

enum boot_kind {
    BOOT_LINUX64, /* 64-bit boot protocol: RSI = zero page */
    BOOT_PVH32,   /* PVH: EBX = hvm_start_info */
};

enum boot_format {
    BOOT_FORMAT_BZIMAGE,
    BOOT_FORMAT_ELF,
    BOOT_FORMAT_BZIMAGE_UNPACKED, /* its kernel ELF, decompressed by vmon */
};

struct boot_result {
    enum boot_kind kind;
    enum boot_format format;
    uint64_t entry;                     /* RIP */
    uint64_t kernel_start, kernel_end;  /* [start, end) the kernel claims */
    uint64_t initrd_addr, initrd_size;  /* size 0: none */
    uint64_t cmdline_addr;
    uint64_t boot_info;                 /* zero page (LINUX64) or start_info (PVH32) */
};

/* Loads everything and sets *bsp (boot_cpu_setup_*). res may be NULL.
 * Returns 0, or a negative errno with a one-line message in err:
 * -ENOEXEC bad kernel file, -ERANGE kernel does not fit, -ENOSPC initrd does
 * not fit, -E2BIG command line too long, -EINVAL bad configuration or RAM
 * layout. Guest memory may be partly written on failure. */
int boot_load_linux(struct guest_mem *m, const struct boot_config *c, struct x86_state *bsp,
                    struct boot_result *res, char *err, size_t errlen);

#endif
