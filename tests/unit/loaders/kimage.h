/* Builders for small synthetic kernel images used by the loader tests:
 * a bzImage with a protocol 2.15 setup header and an ELF64 file with
 * vmlinux-style segments and an optional Xen PVH note. */
#ifndef VMON_TESTS_LOADERS_KIMAGE_H
#define VMON_TESTS_LOADERS_KIMAGE_H

#include <elf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "loaders/boot_params.h"

#define KIMAGE_SETUP_SECTS 4
#define KIMAGE_PM_OFFSET ((KIMAGE_SETUP_SECTS + 1) * 512)

/* A valid relocatable bzImage: pref_address 16 MiB, alignment 2 MiB,
 * init_size 4 MiB, cmdline_size 2047, protected-mode part pm_size bytes of
 * a recognisable pattern (byte i = i * 7 + 1). Caller frees. */
static inline uint8_t *kimage_bzimage(size_t pm_size, size_t *len)
{
    *len = KIMAGE_PM_OFFSET + pm_size;
    uint8_t *b = calloc(1, *len);
    struct setup_header h = {
        .setup_sects = KIMAGE_SETUP_SECTS,
        .syssize = (uint32_t)(pm_size / 16),
        .boot_flag = BP_BOOT_FLAG,
        .jump = (uint16_t)(0xeb | ((0x26c - 0x202) << 8)),
        .header = BP_HDR_MAGIC,
        .version = 0x020f,
        .loadflags = BP_LOADED_HIGH,
        .code32_start = 0x100000,
        .initrd_addr_max = 0x7fffffff,
        .kernel_alignment = 0x200000,
        .relocatable_kernel = 1,
        .xloadflags = BP_XLF_KERNEL_64 | BP_XLF_CAN_BE_LOADED_ABOVE_4G,
        .cmdline_size = 2047,
        .pref_address = 0x1000000,
        .init_size = 0x400000,
    };
    memcpy(b + BP_HDR_OFFSET, &h, sizeof(h));
    for (size_t i = 0; i < pm_size; i++)
        b[KIMAGE_PM_OFFSET + i] = (uint8_t)(i * 7 + 1);
    return b;
}

/* The header inside a kimage_bzimage buffer, for tests to corrupt. */
static inline struct setup_header *kimage_hdr(uint8_t *b)
{
    return (struct setup_header *)(b + BP_HDR_OFFSET);
}

struct kimage_seg {
    uint64_t paddr, vaddr;
    uint64_t filesz, memsz;
};

enum kimage_note { KIMAGE_NOTE_NONE, KIMAGE_NOTE_PT_NOTE, KIMAGE_NOTE_SECTION };

struct kimage_elf_desc {
    const struct kimage_seg *segs;
    unsigned nsegs;
    uint64_t entry;
    enum kimage_note note;
    uint64_t pvh_entry;
};

#define KIMAGE_NOTE_SIZE (sizeof(Elf64_Nhdr) + 4 + 8)

/* Layout: Elf64_Ehdr | phdrs (segments, then PT_NOTE) | note | one section
 * header pair (null + SHT_NOTE) | segment data (pattern byte i*3+5, per
 * segment offset by its index). Caller frees. */
static inline uint8_t *kimage_elf(const struct kimage_elf_desc *d, size_t *len)
{
    unsigned nph = d->nsegs + (d->note == KIMAGE_NOTE_PT_NOTE ? 1 : 0);
    size_t ph_off = sizeof(Elf64_Ehdr);
    size_t note_off = ph_off + nph * sizeof(Elf64_Phdr);
    size_t sh_off = ALIGN_UP(note_off + KIMAGE_NOTE_SIZE, 8);
    size_t data_off = ALIGN_UP(sh_off + 2 * sizeof(Elf64_Shdr), 16);
    size_t total = data_off;
    for (unsigned i = 0; i < d->nsegs; i++)
        total += d->segs[i].filesz;
    *len = total;
    uint8_t *b = calloc(1, total);

    Elf64_Ehdr eh = {
        .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
        .e_entry = d->entry, .e_phoff = ph_off, .e_ehsize = sizeof(Elf64_Ehdr),
        .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = (uint16_t)nph,
        .e_shentsize = sizeof(Elf64_Shdr),
    };
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    if (d->note == KIMAGE_NOTE_SECTION) {
        eh.e_shoff = sh_off;
        eh.e_shnum = 2;
    }
    memcpy(b, &eh, sizeof(eh));

    size_t off = data_off;
    for (unsigned i = 0; i < d->nsegs; i++) {
        Elf64_Phdr ph = {
            .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = off,
            .p_vaddr = d->segs[i].vaddr, .p_paddr = d->segs[i].paddr,
            .p_filesz = d->segs[i].filesz, .p_memsz = d->segs[i].memsz, .p_align = 0x1000,
        };
        memcpy(b + ph_off + i * sizeof(ph), &ph, sizeof(ph));
        for (uint64_t j = 0; j < d->segs[i].filesz; j++)
            b[off + j] = (uint8_t)(j * 3 + 5 + i);
        off += d->segs[i].filesz;
    }
    if (d->note != KIMAGE_NOTE_NONE) {
        Elf64_Nhdr nh = { .n_namesz = 4, .n_descsz = 8, .n_type = 18 };
        memcpy(b + note_off, &nh, sizeof(nh));
        memcpy(b + note_off + sizeof(nh), "Xen", 4);
        put_le64(b + note_off + sizeof(nh) + 4, d->pvh_entry);
    }
    if (d->note == KIMAGE_NOTE_PT_NOTE) {
        Elf64_Phdr ph = { .p_type = PT_NOTE, .p_offset = note_off,
                          .p_filesz = KIMAGE_NOTE_SIZE, .p_align = 4 };
        memcpy(b + ph_off + d->nsegs * sizeof(ph), &ph, sizeof(ph));
    }
    Elf64_Shdr sh = { .sh_type = SHT_NOTE, .sh_offset = note_off,
                      .sh_size = KIMAGE_NOTE_SIZE, .sh_addralign = 4 };
    memcpy(b + sh_off + sizeof(sh), &sh, sizeof(sh));
    return b;
}

/* The usual vmlinux shape: text at 16 MiB (virtual 0xffffffff81000000),
 * 64 KiB of file data and 64 KiB of bss. */
#define KIMAGE_VMLINUX_PADDR 0x1000000ull
#define KIMAGE_VMLINUX_VADDR 0xffffffff81000000ull

#endif
