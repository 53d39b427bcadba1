/* ELF64 kernels (Linux vmlinux and anything shaped like it).
 *
 * PT_LOAD segments go to their physical addresses (p_paddr; Linux links
 * vmlinux at virtual 0xffffffff8... but gives p_paddr in low memory). The
 * 64-bit entry is e_entry, taken as physical when it falls inside a segment's
 * physical range and otherwise translated through the segment whose virtual
 * range holds it. A Xen PVH note (XEN_ELFNOTE_PHYS32_ENTRY) in a PT_NOTE
 * segment, or in an SHT_NOTE section when no PT_NOTE has one, gives the
 * 32-bit PVH entry. Every header, offset and size is checked against the
 * file and against guest RAM before anything is copied. */
#ifndef VMON_LOADERS_ELF_KERNEL_H
#define VMON_LOADERS_ELF_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/guest_mem.h"

#define ELF_KERNEL_MAX_PHDRS 128  /* vmlinux has about 5 */
#define ELF_NOTE_XEN_PHYS32_ENTRY 18 /* xen/include/public/elfnote.h */

struct elf_kernel {
    uint64_t entry64;            /* physical 64-bit entry point */
    bool has_pvh;
    uint32_t pvh_entry;          /* physical 32-bit PVH entry when has_pvh */
    uint64_t load_start;         /* lowest p_paddr of a PT_LOAD segment */
    uint64_t load_end;           /* highest p_paddr + p_memsz */
    unsigned nload;              /* PT_LOAD segments with p_memsz != 0 */
};

/* True when buf starts with the ELF magic. */
bool elf_kernel_is_elf(const uint8_t *buf, size_t len);

/* Validates the whole file and where it would land in m (every segment at
 * or above LAYOUT_HIMEM, wholly inside one RAM region). Writes nothing.
 * Returns 0 or -ENOEXEC/-EINVAL/-ERANGE with a message in err. */
int elf_kernel_parse(const uint8_t *buf, size_t len, const struct guest_mem *m,
                     struct elf_kernel *out, char *err, size_t errlen);

/* Copies the PT_LOAD segments and zeroes their bss. Validates again, so it
 * is safe on any input; returns 0 or a negative errno with err set. */
int elf_kernel_load(struct guest_mem *m, const uint8_t *buf, size_t len, char *err, size_t errlen);

#endif
