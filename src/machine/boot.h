/* Boot: reads the user's kernel, initrd, module and firmware files, then
 * (for each run of the machine) either writes the ACPI tables, loads the
 * kernel (Linux, Multiboot or ELF) and sets up the CPUs, or, for a firmware
 * boot, maps the BIOS image, fills the fw_cfg device and starts the BSP at
 * the reset vector (docs/FIRMWARE.md). */
#ifndef VMON_MACHINE_BOOT_H
#define VMON_MACHINE_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "machine/config.h"
#include "x86/state.h"

struct vm;

struct boot_files {
    uint8_t *kernel;
    size_t kernel_len;
    uint8_t *initrd;
    size_t initrd_len;
    uint8_t *firmware;      /* firmware boot: the BIOS image */
    size_t firmware_len;
    struct boot_blob {
        uint8_t *data;
        size_t len;
    } modules[VM_MAX_MODULES]; /* --module files, in order */
};

/* Reads --kernel, --initrd, --module and the firmware image. Returns 0 or
 * -errno with a one-line message naming the file and the problem. */
int boot_files_read(const struct vm_config *cfg, struct boot_files *f, char *err, size_t errlen);
void boot_files_free(struct boot_files *f);

/* Writes ACPI tables and the kernel into guest memory; fills the BSP state. */
int boot_setup(struct vm *vm, const struct boot_files *f, struct x86_state *bsp, char *err,
               size_t errlen);

/* The power-up state of application processor `index` (waits for SIPI). */
void boot_ap_state(struct x86_state *s, unsigned index);

#endif
