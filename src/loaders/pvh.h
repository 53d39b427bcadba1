/* The Xen PVH boot ABI as Linux implements it (xen/include/public/arch-x86/
 * hvm/start_info.h and docs/misc/pvh.pandoc in the Xen tree): the kernel is
 * entered in 32-bit flat protected mode with paging off and ebx pointing at
 * struct hvm_start_info, which lists the command line, the modules (the
 * initrd) and the memory map. */
#ifndef VMON_LOADERS_PVH_H
#define VMON_LOADERS_PVH_H

#include <stddef.h>
#include <stdint.h>

#include "core/guest_mem.h"
#include "loaders/e820.h"

#define PVH_START_MAGIC 0x336ec578u
#define PVH_START_VERSION 1

/* start_info.h: struct hvm_start_info (version 1 adds memmap_*). */
struct hvm_start_info {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr;
    uint32_t memmap_entries;
    uint32_t reserved;
};

struct hvm_modlist_entry {
    uint64_t paddr;
    uint64_t size;
    uint64_t cmdline_paddr;
    uint64_t reserved;
};

/* Types are the e820 types. */
struct hvm_memmap_table_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
    uint32_t reserved;
};

_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info");
_Static_assert(offsetof(struct hvm_start_info, memmap_paddr) == 40, "memmap_paddr");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "hvm_modlist_entry");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "hvm_memmap_table_entry");

/* Most memory map entries pvh_write accepts (all fit in one page). */
#define PVH_MEMMAP_MAX 32

struct pvh_info {
    uint64_t cmdline_addr;
    uint64_t initrd_addr, initrd_size;   /* size 0: no module */
    uint64_t acpi_rsdp_addr;
    const struct e820_entry *e820;
    size_t e820_entries;
};

/* Writes start_info at gpa, followed by the module list and the memory map
 * in the same page. Returns 0, -EINVAL (too many entries) or -EFAULT. */
int pvh_write(struct guest_mem *m, uint64_t gpa, const struct pvh_info *info);

#endif
