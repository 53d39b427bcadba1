/* The firmware configuration device of QEMU (fw_cfg), as firmware such as
 * SeaBIOS, OVMF and qboot expects it on x86: data items the firmware reads to
 * learn about the machine (RAM, CPUs, ACPI tables, boot order, the kernel of
 * a firmware-mediated Linux boot).
 *
 * Interface (QEMU docs/specs/fw_cfg.rst, "Guest-side Hardware Interface"):
 *   0x510  selector, 16-bit little-endian write: selects an item and resets
 *          the data offset to 0.
 *   0x511  data, 8-bit read: the next byte of the selected item; 0 past its
 *          end. Writes are ignored (read-only items, as in QEMU 2.4+).
 *   0x514  DMA address, a 64-bit big-endian register: a 32-bit write to
 *          0x514 sets the high half, a 32-bit write to 0x518 sets the low
 *          half and starts the operation described by the FWCfgDmaAccess
 *          structure at that guest physical address. Reading it returns
 *          "QEMU CFG".
 *
 * Items: keys 0x00-0x1f are the fixed items (FW_CFG_SIGNATURE "QEMU",
 * FW_CFG_ID with the DMA feature bit, FW_CFG_FILE_DIR generated from the
 * files, and whatever the machine adds: FW_CFG_NB_CPUS, FW_CFG_RAM_SIZE,
 * the FW_CFG_KERNEL_* items...). 0x8000-0x8003 are the x86 items. Named
 * files get keys from FW_CFG_FILE_FIRST (0x20) up, in the order they are
 * added, and an entry in the big-endian file directory.
 *
 * The hostile guest: every DMA request is read from guest RAM with
 * gmem_read, and its buffer is checked whole with gmem_ptr before a byte is
 * copied. A request whose buffer is not wholly inside RAM, or a write
 * (every item is read-only), sets the error bit in the control field; a
 * request structure that is itself outside RAM is dropped. Reading an item
 * that does not exist, or past an item's end, gives zeros (as in QEMU).
 *
 * Items are added while the machine is built, before vCPUs run. Guest
 * accesses take the device's mutex, so vCPUs may use it concurrently. The
 * guest-visible state (selector, offset, DMA address) is plain data. */
#ifndef VMON_DEVICES_LEGACY_FW_CFG_H
#define VMON_DEVICES_LEGACY_FW_CFG_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bus.h"
#include "core/guest_mem.h"

#define FW_CFG_IO_BASE 0x510
#define FW_CFG_IO_LEN 0x0c       /* 0x510-0x51b */
#define FW_CFG_SEL_OFF 0x0       /* selector */
#define FW_CFG_DATA_OFF 0x1      /* data */
#define FW_CFG_DMA_OFF 0x4       /* DMA address, high half at +4, low at +8 */

/* Selector keys (QEMU include/standard-headers/linux/qemu_fw_cfg.h). */
enum fw_cfg_key {
    FW_CFG_SIGNATURE = 0x00,
    FW_CFG_ID = 0x01,
    FW_CFG_UUID = 0x02,
    FW_CFG_RAM_SIZE = 0x03,
    FW_CFG_NOGRAPHIC = 0x04,
    FW_CFG_NB_CPUS = 0x05,
    FW_CFG_MACHINE_ID = 0x06,
    FW_CFG_KERNEL_ADDR = 0x07,
    FW_CFG_KERNEL_SIZE = 0x08,
    FW_CFG_KERNEL_CMDLINE = 0x09,
    FW_CFG_INITRD_ADDR = 0x0a,
    FW_CFG_INITRD_SIZE = 0x0b,
    FW_CFG_BOOT_DEVICE = 0x0c,
    FW_CFG_NUMA = 0x0d,
    FW_CFG_BOOT_MENU = 0x0e,
    FW_CFG_MAX_CPUS = 0x0f,
    FW_CFG_KERNEL_ENTRY = 0x10,
    FW_CFG_KERNEL_DATA = 0x11,
    FW_CFG_INITRD_DATA = 0x12,
    FW_CFG_CMDLINE_ADDR = 0x13,
    FW_CFG_CMDLINE_SIZE = 0x14,
    FW_CFG_CMDLINE_DATA = 0x15,
    FW_CFG_SETUP_ADDR = 0x16,
    FW_CFG_SETUP_SIZE = 0x17,
    FW_CFG_SETUP_DATA = 0x18,
    FW_CFG_FILE_DIR = 0x19,
    FW_CFG_FILE_FIRST = 0x20,
    FW_CFG_ARCH_LOCAL = 0x8000,
    FW_CFG_ACPI_TABLES = 0x8000,
    FW_CFG_SMBIOS_ENTRIES = 0x8001,
    FW_CFG_IRQ0_OVERRIDE = 0x8002,
    FW_CFG_E820_TABLE = 0x8003,
};

/* FW_CFG_ID feature bits. */
#define FW_CFG_VERSION_TRADITIONAL 0x1
#define FW_CFG_VERSION_DMA 0x2

/* FWCfgDmaAccess.control bits. */
#define FW_CFG_DMA_CTL_ERROR 0x01
#define FW_CFG_DMA_CTL_READ 0x02
#define FW_CFG_DMA_CTL_SKIP 0x04
#define FW_CFG_DMA_CTL_SELECT 0x08
#define FW_CFG_DMA_CTL_WRITE 0x10

/* "QEMU CFG" as the big-endian value of the DMA address register. */
#define FW_CFG_DMA_SIGNATURE 0x51454d5520434647ull

#define FW_CFG_FIXED_ITEMS 0x20   /* keys 0x00-0x1f */
#define FW_CFG_ARCH_ITEMS 4       /* keys 0x8000-0x8003 */
#define FW_CFG_MAX_FILES 32
#define FW_CFG_NAME_LEN 56        /* file names, NUL included */
#define FW_CFG_ITEM_MAX (1u << 30) /* largest item (an initrd, say) */

/* fw_cfg.rst, "File Directory": one entry, 64 bytes, big-endian. */
struct fw_cfg_dir_entry {
    uint32_t size;
    uint16_t select;
    uint16_t reserved;
    char name[FW_CFG_NAME_LEN];
} __attribute__((packed));

_Static_assert(sizeof(struct fw_cfg_dir_entry) == 64, "fw_cfg file entries are 64 bytes");

/* fw_cfg.rst, "Guest-side DMA Interface": the request the guest points the
 * DMA address register at. All fields big-endian. */
struct fw_cfg_dma_access {
    uint32_t control;
    uint32_t length;
    uint64_t address;
} __attribute__((packed));

_Static_assert(sizeof(struct fw_cfg_dma_access) == 16, "FWCfgDmaAccess is 16 bytes");

/* One item: a copy of its bytes, owned by the device. */
struct fw_cfg_item {
    uint8_t *data;
    uint32_t len;
};

struct fw_cfg_file {
    char name[FW_CFG_NAME_LEN];
    struct fw_cfg_item item;
};

/* What the guest has programmed; plain data. */
struct fw_cfg_regs {
    uint16_t selector;
    uint32_t offset;   /* into the selected item */
    uint32_t dma_high; /* high half of the DMA address, until the low half comes */
};

struct fw_cfg {
    pthread_mutex_t lock;
    const struct guest_mem *mem;
    struct fw_cfg_item fixed[FW_CFG_FIXED_ITEMS];
    struct fw_cfg_item arch[FW_CFG_ARCH_ITEMS];
    struct fw_cfg_file files[FW_CFG_MAX_FILES];
    unsigned nfiles;
    struct fw_cfg_regs regs;
};

/* Creates the device with the signature, ID and an empty file directory.
 * DMA goes to mem. Returns 0 or -errno. */
int fw_cfg_init(struct fw_cfg *f, const struct guest_mem *mem);
void fw_cfg_destroy(struct fw_cfg *f);

/* Sets the fixed or x86 item `key` to a copy of len bytes (replacing any
 * earlier value). -EINVAL for FW_CFG_SIGNATURE/ID/FILE_DIR, file keys and
 * unknown keys, -EFBIG above FW_CFG_ITEM_MAX, -ENOMEM. */
int fw_cfg_add_item(struct fw_cfg *f, uint16_t key, const void *data, size_t len);
/* Little-endian integers, as firmware reads the numeric items. */
int fw_cfg_add_u16(struct fw_cfg *f, uint16_t key, uint16_t v);
int fw_cfg_add_u32(struct fw_cfg *f, uint16_t key, uint32_t v);
int fw_cfg_add_u64(struct fw_cfg *f, uint16_t key, uint64_t v);

/* Adds the named file (a copy of len bytes) and its directory entry; *key
 * (may be NULL) gets its selector. -EINVAL for an empty name or one of
 * FW_CFG_NAME_LEN bytes or more, -EEXIST if the name is taken, -ENOSPC
 * past FW_CFG_MAX_FILES, -EFBIG, -ENOMEM. */
int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, size_t len,
                    uint16_t *key);

/* The item a key selects, or NULL (tests and the machine's own checks). */
const struct fw_cfg_item *fw_cfg_find(const struct fw_cfg *f, uint16_t key);

/* Register at FW_CFG_IO_BASE with length FW_CFG_IO_LEN, dev = struct fw_cfg. */
extern const struct bus_dev_ops fw_cfg_ops;

#endif
