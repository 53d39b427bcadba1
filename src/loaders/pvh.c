#include "loaders/pvh.h"

#include <errno.h>
#include <string.h>

#include "common/util.h"

/* One page: start_info, then the module entry, then the memory map. */
struct pvh_page {
    struct hvm_start_info si;
    struct hvm_modlist_entry mod;
    struct hvm_memmap_table_entry map[PVH_MEMMAP_MAX];
};

_Static_assert(sizeof(struct pvh_page) <= 4096, "PVH start info fits one page");

int pvh_write(struct guest_mem *m, uint64_t gpa, const struct pvh_info *info)
{
    if (info->e820_entries > PVH_MEMMAP_MAX)
        return -EINVAL;
    struct pvh_page p;
    memset(&p, 0, sizeof(p));
    p.si.magic = PVH_START_MAGIC;
    p.si.version = PVH_START_VERSION;
    p.si.cmdline_paddr = info->cmdline_addr;
    p.si.rsdp_paddr = info->acpi_rsdp_addr;
    if (info->initrd_size) {
        p.mod.paddr = info->initrd_addr;
        p.mod.size = info->initrd_size;
        p.si.nr_modules = 1;
        p.si.modlist_paddr = gpa + offsetof(struct pvh_page, mod);
    }
    for (size_t i = 0; i < info->e820_entries; i++) {
        p.map[i].addr = info->e820[i].addr;
        p.map[i].size = info->e820[i].size;
        p.map[i].type = info->e820[i].type;
    }
    p.si.memmap_entries = (uint32_t)info->e820_entries;
    p.si.memmap_paddr = gpa + offsetof(struct pvh_page, map);
    return gmem_write(m, gpa, &p, sizeof(p));
}
