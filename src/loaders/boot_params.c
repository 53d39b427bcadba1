#include "loaders/boot_params.h"

#include <errno.h>
#include <string.h>

void boot_params_synth_header(struct setup_header *hdr, uint32_t cmdline_size)
{
    memset(hdr, 0, sizeof(*hdr));
    hdr->boot_flag = BP_BOOT_FLAG;
    hdr->header = BP_HDR_MAGIC;
    hdr->version = 0x020f;
    hdr->loadflags = BP_LOADED_HIGH | BP_CAN_USE_HEAP;
    hdr->xloadflags = BP_XLF_KERNEL_64;
    hdr->initrd_addr_max = 0xffffffffu;
    hdr->cmdline_size = cmdline_size;
}

int boot_params_write(struct guest_mem *m, uint64_t gpa, const struct setup_header *hdr,
                      const struct boot_params_info *info)
{
    if (info->e820_entries > BP_E820_MAX || info->cmdline_addr > UINT32_MAX)
        return -EINVAL;

    struct boot_params bp;
    memset(&bp, 0, sizeof(bp));
    bp.hdr = *hdr;
    /* boot.rst "Details of header fields": fields a boot loader must set. */
    bp.hdr.type_of_loader = BP_LOADER_UNKNOWN;
    bp.hdr.cmd_line_ptr = (uint32_t)info->cmdline_addr;
    bp.ext_cmd_line_ptr = 0;
    bp.hdr.ramdisk_image = (uint32_t)info->initrd_addr;
    bp.hdr.ramdisk_size = (uint32_t)info->initrd_size;
    bp.ext_ramdisk_image = (uint32_t)(info->initrd_addr >> 32);
    bp.ext_ramdisk_size = (uint32_t)(info->initrd_size >> 32);
    bp.hdr.setup_data = info->setup_data;
    bp.acpi_rsdp_addr = info->acpi_rsdp_addr;

    bp.e820_entries = (uint8_t)info->e820_entries;
    if (info->e820_entries)
        memcpy(bp.e820_table, info->e820, info->e820_entries * sizeof(struct e820_entry));

    return gmem_write(m, gpa, &bp, sizeof(bp));
}
