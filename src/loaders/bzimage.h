/* bzImage kernels (Linux x86 boot protocol 2.12 or newer, 64-bit entry).
 *
 * File layout (boot.rst, "Loading the rest of the kernel"): (setup_sects+1)
 * 512-byte sectors of real-mode setup holding the setup header at 0x1f1,
 * then the protected-mode kernel. vmon skips the real-mode code: it loads the
 * protected-mode part at pref_address (aligned to kernel_alignment), falls
 * back to the lowest kernel_alignment-aligned address at or above 1 MiB for
 * a relocatable kernel that does not fit there, and enters at load address
 * + 0x200 (the "64-bit boot protocol" entry, which is code32_start + 0x200
 * when loaded at the default code32_start). The kernel needs init_size bytes
 * from its load address before it has read the memory map. */
#ifndef VMON_LOADERS_BZIMAGE_H
#define VMON_LOADERS_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/guest_mem.h"
#include "loaders/boot_params.h"

#define BZIMAGE_MIN_VERSION 0x020c  /* 2.12: xloadflags, 64-bit entry */
#define BZIMAGE_ENTRY64_OFFSET 0x200

struct bzimage {
    struct setup_header hdr;  /* as in the file, zero past its end */
    uint64_t pm_offset;       /* file offset of the protected-mode kernel */
    uint64_t pm_size;         /* its length in the file */
    uint64_t load_addr;       /* where it goes in guest memory */
    uint64_t load_size;       /* max(init_size, pm_size): memory it claims */
    uint64_t entry64;         /* load_addr + 0x200 */
};

/* True when buf has the "HdrS" magic at 0x202 (it may still be invalid). */
bool bzimage_detect(const uint8_t *buf, size_t len);

/* Validates the header and picks the load address in m. Writes nothing.
 * Returns 0 or -ENOEXEC/-ERANGE with a message in err. */
int bzimage_parse(const uint8_t *buf, size_t len, const struct guest_mem *m, struct bzimage *out,
                  char *err, size_t errlen);

/* Copies the protected-mode kernel to bz->load_addr. bz must come from bzimage_parse on the same buf and m. */
int bzimage_load(struct guest_mem *m, const uint8_t *buf, size_t len, const struct bzimage *bz,
                 char *err, size_t errlen);

#endif
