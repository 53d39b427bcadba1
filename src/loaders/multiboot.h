/* Multiboot (version 1) kernels: the Multiboot Specification 0.6.96.
 *
 * A kernel is a Multiboot kernel when a valid header (magic 0x1BADB002,
 * flags, and a checksum making the three sum to zero) sits 32-bit aligned in
 * its first 8 KiB (spec 3.1.1). It is loaded either
 *   - from the header's address fields when flag 16 is set (the "a.out
 *     kludge", 3.1.3): the file from the header's position back to
 *     load_addr is copied to load_addr, up to load_end_addr (0: the end of
 *     the file), then zeros up to bss_end_addr (0: none); entry_addr;
 *   - otherwise as an ELF32 (i386) or ELF64 (x86-64, below 4 GiB) image:
 *     PT_LOAD segments at p_paddr, zero-filled to p_memsz; e_entry, taken
 *     as physical when a segment's physical range holds it, else translated
 *     through the segment whose virtual range holds it.
 * Header flags 0 (page-align modules: vmon always does), 1 (memory
 * information: always given) and 2 (video mode: vmon has no graphics and
 * gives no video information, as QEMU does) are accepted; any other of bits
 * 3-15 is a requirement vmon cannot meet, and the kernel is refused.
 *
 * Placement: every byte of the image must lie in usable RAM below 4 GiB (an
 * E820_RAM range). Modules follow the image's end, each page-aligned; the
 * boot information (the multiboot_info structure, the module list, the
 * memory map, the strings) follows the last module, so nothing overlaps.
 *
 * Machine state at the entry (spec 3.2): 32-bit protected mode, paging off,
 * flat 4 GiB code and data segments (a GDT at LAYOUT_GDT, written before
 * the image, which may overwrite it: the spec lets GDTR be invalid), EAX =
 * MULTIBOOT_BOOTLOADER_MAGIC, EBX = the boot information's address,
 * interrupts off. */
#ifndef VMON_LOADERS_MULTIBOOT_H
#define VMON_LOADERS_MULTIBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/guest_mem.h"
#include "x86/state.h"

#define MULTIBOOT_HEADER_MAGIC 0x1badb002u
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002u
#define MULTIBOOT_SEARCH 8192       /* the header lies in the first 8 KiB */
#define MULTIBOOT_MAX_MODULES 16
#define MULTIBOOT_MAX_SEGMENTS 16   /* PT_LOAD segments of an ELF image */

/* Header flags (3.1.2). */
#define MULTIBOOT_PAGE_ALIGN (1u << 0)
#define MULTIBOOT_MEMORY_INFO (1u << 1)
#define MULTIBOOT_VIDEO_MODE (1u << 2)
#define MULTIBOOT_AOUT_KLUDGE (1u << 16)
#define MULTIBOOT_SUPPORTED_REQUIRED \
    (MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO | MULTIBOOT_VIDEO_MODE)

/* 3.1.1 "The layout of Multiboot header": magic, flags and checksum are
 * always there; the address fields count with flag 16, the video fields
 * with flag 2. */
struct multiboot_header {
    uint32_t magic;
    uint32_t flags;
    uint32_t checksum;
    uint32_t header_addr;
    uint32_t load_addr;
    uint32_t load_end_addr;
    uint32_t bss_end_addr;
    uint32_t entry_addr;
    uint32_t mode_type;
    uint32_t width;
    uint32_t height;
    uint32_t depth;
} __attribute__((packed));

/* Boot information flags (3.3). */
#define MULTIBOOT_INFO_MEMORY (1u << 0)
#define MULTIBOOT_INFO_CMDLINE (1u << 2)
#define MULTIBOOT_INFO_MODS (1u << 3)
#define MULTIBOOT_INFO_MEM_MAP (1u << 6)
#define MULTIBOOT_INFO_BOOT_LOADER_NAME (1u << 9)

/* 3.3 "Boot information format", up to boot_loader_name (the APM, VBE and
 * framebuffer fields that follow are not given). */
struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower;          /* KiB from 0 */
    uint32_t mem_upper;          /* KiB from 1 MiB to the first hole */
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count;
    uint32_t mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length;
    uint32_t mmap_addr;
    uint32_t drives_length;
    uint32_t drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;
} __attribute__((packed));

_Static_assert(sizeof(struct multiboot_info) == 68, "multiboot_info up to boot_loader_name");

/* 3.3: one entry of the module list. */
struct multiboot_mod {
    uint32_t mod_start;
    uint32_t mod_end;            /* one past the last byte */
    uint32_t string;
    uint32_t reserved;
} __attribute__((packed));

/* 3.3: one entry of the memory map; size excludes the size field itself. */
struct multiboot_mmap_entry {
    uint32_t size;
    uint64_t addr;
    uint64_t len;
    uint32_t type;
} __attribute__((packed));

_Static_assert(sizeof(struct multiboot_mmap_entry) == 24, "mmap entries are 24 bytes");

struct multiboot_module {
    const uint8_t *data;
    size_t len;
    const char *string;          /* its command line (name and arguments) */
};

struct multiboot_config {
    const uint8_t *kernel;
    size_t kernel_len;
    const char *cmdline;         /* NULL: empty */
    const struct multiboot_module *modules;
    size_t nmodules;             /* <= MULTIBOOT_MAX_MODULES */
};

/* A parsed header and where it was found. */
struct multiboot_found {
    struct multiboot_header h;
    uint32_t offset;             /* of the header in the file */
};

struct multiboot_result {
    uint32_t entry;
    uint64_t kernel_start, kernel_end;   /* [start, end), bss included */
    uint32_t mod_start[MULTIBOOT_MAX_MODULES];
    uint32_t info_addr;                  /* EBX */
    uint64_t info_end;                   /* end of everything vmon wrote */
};

/* Looks for a header in the first MULTIBOOT_SEARCH bytes. Returns 1 and
 * fills *out for a valid header; 0 when there is none; -ENOEXEC with a
 * message when the magic is there but no header is valid (bad checksum,
 * truncated, or a required flag vmon cannot meet). */
int multiboot_detect(const uint8_t *buf, size_t len, struct multiboot_found *out, char *err,
                     size_t errlen);

/* Loads the kernel, its modules and the boot information, and sets *bsp.
 * res may be NULL. Returns 0, or a negative errno with a one-line message:
 * -ENOEXEC bad file, -ERANGE image outside RAM, -ENOSPC modules or boot
 * information do not fit, -EINVAL too many modules. Nothing is written to
 * guest memory unless everything fits. */
int multiboot_load(struct guest_mem *m, const struct multiboot_config *c, struct x86_state *bsp,
                   struct multiboot_result *res, char *err, size_t errlen);

#endif
