/* Boot: reads the user's kernel and initrd files, then (for each run of the
 * machine) writes the ACPI tables, loads the kernel and sets up the CPUs. */
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
};

/* Reads --kernel and --initrd. Returns 0 or -errno with a one-line message
 * naming the file and the problem. */
int boot_files_read(const struct vm_config *cfg, struct boot_files *f, char *err, size_t errlen);
void boot_files_free(struct boot_files *f);

/* Writes ACPI tables and the kernel into guest memory; fills the BSP state. */
int boot_setup(struct vm *vm, const struct boot_files *f, struct x86_state *bsp, char *err,
               size_t errlen);

/* The power-up state of application processor `index` (waits for SIPI). */
void boot_ap_state(struct x86_state *s, unsigned index);

#endif
