/* The Linux x86 "zero page" (struct boot_params) and its setup header.
 *
 * Layouts mirror the kernel's documentation: Documentation/arch/x86/boot.rst
 * ("The real-mode kernel header", "Details of header fields", "64-bit boot
 * protocol") and Documentation/arch/x86/zero-page.rst. All fields are
 * little-endian; vmon only runs on x86-64 hosts, so they are used directly. */
#ifndef VMON_LOADERS_BOOT_PARAMS_H
#define VMON_LOADERS_BOOT_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "core/guest_mem.h"
#include "loaders/e820.h"

#define BP_HDR_OFFSET      0x1f1       /* setup header inside the bzImage and zero page */
#define BP_HDR_MAGIC       0x53726448u /* "HdrS" */
#define BP_BOOT_FLAG       0xaa55
#define BP_LOADER_UNKNOWN  0xff        /* type_of_loader: "undefined" boot loader */

/* loadflags */
#define BP_LOADED_HIGH     (1u << 0)
#define BP_CAN_USE_HEAP    (1u << 7)
/* xloadflags */
#define BP_XLF_KERNEL_64               (1u << 0)
#define BP_XLF_CAN_BE_LOADED_ABOVE_4G  (1u << 1)

/* setup_data types (arch/x86/include/uapi/asm/bootparam.h numbering) */
#define BP_SETUP_RNG_SEED  9

#define BP_E820_MAX        128         /* entries in boot_params.e820_table */
#define BP_INITRD_MAX_OLD  0x37ffffffu /* initrd_addr_max before protocol 2.03 */

/* boot.rst, "The real-mode kernel header": offsets are from the start of
 * the bzImage / zero page. */
struct setup_header {
    uint8_t  setup_sects;          /* 0x1f1 */
    uint16_t root_flags;           /* 0x1f2 */
    uint32_t syssize;              /* 0x1f4: protected-mode size in 16-byte units */
    uint16_t ram_size;             /* 0x1f8 */
    uint16_t vid_mode;             /* 0x1fa */
    uint16_t root_dev;             /* 0x1fc */
    uint16_t boot_flag;            /* 0x1fe: 0xaa55 */
    uint16_t jump;                 /* 0x200: byte 0x201 + 0x202 = end of header */
    uint32_t header;               /* 0x202: "HdrS" */
    uint16_t version;              /* 0x206: boot protocol, major << 8 | minor */
    uint32_t realmode_swtch;       /* 0x208 */
    uint16_t start_sys_seg;        /* 0x20c */
    uint16_t kernel_version;       /* 0x20e */
    uint8_t  type_of_loader;       /* 0x210 */
    uint8_t  loadflags;            /* 0x211 */
    uint16_t setup_move_size;      /* 0x212 */
    uint32_t code32_start;         /* 0x214 */
    uint32_t ramdisk_image;        /* 0x218 */
    uint32_t ramdisk_size;         /* 0x21c */
    uint32_t bootsect_kludge;      /* 0x220 */
    uint16_t heap_end_ptr;         /* 0x224 */
    uint8_t  ext_loader_ver;       /* 0x226 */
    uint8_t  ext_loader_type;      /* 0x227 */
    uint32_t cmd_line_ptr;         /* 0x228 */
    uint32_t initrd_addr_max;      /* 0x22c: highest address the initrd may occupy */
    uint32_t kernel_alignment;     /* 0x230 */
    uint8_t  relocatable_kernel;   /* 0x234 */
    uint8_t  min_alignment;        /* 0x235 */
    uint16_t xloadflags;           /* 0x236 */
    uint32_t cmdline_size;         /* 0x238: max command line length, excluding NUL */
    uint32_t hardware_subarch;     /* 0x23c */
    uint64_t hardware_subarch_data;/* 0x240 */
    uint32_t payload_offset;       /* 0x248 */
    uint32_t payload_length;       /* 0x24c */
    uint64_t setup_data;           /* 0x250: physical address of the setup_data list */
    uint64_t pref_address;         /* 0x258 */
    uint32_t init_size;            /* 0x260 */
    uint32_t handover_offset;      /* 0x264 */
    uint32_t kernel_info_offset;   /* 0x268 */
} __attribute__((packed));

#define BP_HDR_FIELD(f) (BP_HDR_OFFSET + offsetof(struct setup_header, f))
_Static_assert(BP_HDR_FIELD(boot_flag) == 0x1fe, "boot_flag");
_Static_assert(BP_HDR_FIELD(header) == 0x202, "header");
_Static_assert(BP_HDR_FIELD(code32_start) == 0x214, "code32_start");
_Static_assert(BP_HDR_FIELD(cmd_line_ptr) == 0x228, "cmd_line_ptr");
_Static_assert(BP_HDR_FIELD(xloadflags) == 0x236, "xloadflags");
_Static_assert(BP_HDR_FIELD(setup_data) == 0x250, "setup_data");
_Static_assert(BP_HDR_FIELD(init_size) == 0x260, "init_size");
_Static_assert(BP_HDR_OFFSET + sizeof(struct setup_header) == 0x26c, "setup header end");

/* zero-page.rst: the 4 KiB boot_params. Fields vmon never fills are kept as
 * opaque byte arrays. */
struct boot_params {
    uint8_t  screen_info[0x40];        /* 0x000 */
    uint8_t  apm_bios_info[0x14];      /* 0x040 */
    uint8_t  pad1[4];
    uint64_t tboot_addr;               /* 0x058 */
    uint8_t  ist_info[0x10];           /* 0x060 */
    uint64_t acpi_rsdp_addr;           /* 0x070: protocol 2.14+ */
    uint8_t  pad2[8];
    uint8_t  hd0_info[0x10];           /* 0x080 */
    uint8_t  hd1_info[0x10];           /* 0x090 */
    uint8_t  sys_desc_table[0x10];     /* 0x0a0 */
    uint8_t  olpc_ofw_header[0x10];    /* 0x0b0 */
    uint32_t ext_ramdisk_image;        /* 0x0c0: bits 32-63 of ramdisk_image */
    uint32_t ext_ramdisk_size;         /* 0x0c4 */
    uint32_t ext_cmd_line_ptr;         /* 0x0c8 */
    uint8_t  pad3[0x13c - 0xcc];
    uint32_t cc_blob_address;          /* 0x13c */
    uint8_t  edid_info[0x80];          /* 0x140 */
    uint8_t  efi_info[0x20];           /* 0x1c0 */
    uint32_t alt_mem_k;                /* 0x1e0 */
    uint32_t scratch;                  /* 0x1e4 */
    uint8_t  e820_entries;             /* 0x1e8 */
    uint8_t  eddbuf_entries;           /* 0x1e9 */
    uint8_t  edd_mbr_sig_buf_entries;  /* 0x1ea */
    uint8_t  kbd_status;               /* 0x1eb */
    uint8_t  secure_boot;              /* 0x1ec */
    uint8_t  pad4[2];
    uint8_t  sentinel;                 /* 0x1ef */
    uint8_t  pad5[1];
    struct setup_header hdr;           /* 0x1f1 */
    uint8_t  pad6[0x290 - 0x26c];
    uint32_t edd_mbr_sig_buffer[16];   /* 0x290 */
    struct e820_entry e820_table[BP_E820_MAX]; /* 0x2d0 */
    uint8_t  pad7[0xd00 - 0xcd0];
    uint8_t  eddbuf[0x1ec];            /* 0xd00 */
    uint8_t  pad8[0x1000 - 0xeec];
} __attribute__((packed));

_Static_assert(offsetof(struct boot_params, acpi_rsdp_addr) == 0x070, "acpi_rsdp_addr");
_Static_assert(offsetof(struct boot_params, ext_ramdisk_image) == 0x0c0, "ext_ramdisk_image");
_Static_assert(offsetof(struct boot_params, cc_blob_address) == 0x13c, "cc_blob_address");
_Static_assert(offsetof(struct boot_params, e820_entries) == 0x1e8, "e820_entries");
_Static_assert(offsetof(struct boot_params, sentinel) == 0x1ef, "sentinel");
_Static_assert(offsetof(struct boot_params, hdr) == BP_HDR_OFFSET, "hdr");
_Static_assert(offsetof(struct boot_params, e820_table) == 0x2d0, "e820_table");
_Static_assert(offsetof(struct boot_params, eddbuf) == 0xd00, "eddbuf");
_Static_assert(sizeof(struct boot_params) == 4096, "the zero page is one page");

/* boot.rst, "Details of the setup_data field": a singly linked list. */
struct setup_data_hdr {
    uint64_t next;  /* physical address of the next node, 0 ends the list */
    uint32_t type;
    uint32_t len;   /* bytes of data following this header */
} __attribute__((packed));

_Static_assert(sizeof(struct setup_data_hdr) == 16, "setup_data header");

/* What boot_params_write puts around the setup header. */
struct boot_params_info {
    uint64_t cmdline_addr;
    uint64_t initrd_addr, initrd_size;      /* size 0: no initrd */
    uint64_t setup_data;                    /* head of the setup_data list, or 0 */
    uint64_t acpi_rsdp_addr;                /* 0: let the kernel scan for it */
    const struct e820_entry *e820;
    size_t e820_entries;
};

/* A setup header for a kernel that has none (ELF vmlinux): boot_flag,
 * "HdrS", protocol 2.15, LOADED_HIGH | CAN_USE_HEAP, cmdline_size. */
void boot_params_synth_header(struct setup_header *hdr, uint32_t cmdline_size);

/* Writes the zero page at gpa: hdr (copied from the kernel or synthesized)
 * patched with the loader's fields, plus e820, initrd, command line and RSDP.
 * Returns 0, -EINVAL (too many e820 entries, address above 4 GiB where only
 * 32 bits exist) or -EFAULT (gpa not in RAM). */
int boot_params_write(struct guest_mem *m, uint64_t gpa, const struct setup_header *hdr,
                      const struct boot_params_info *info);

#endif
