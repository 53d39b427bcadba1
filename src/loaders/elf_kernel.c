#include "loaders/elf_kernel.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

#include "common/util.h"
#include "loaders/boot_err.h"
#include "machine/layout.h"

typedef unsigned long long ull;

bool elf_kernel_is_elf(const uint8_t *buf, size_t len)
{
    return len >= SELFMAG && memcmp(buf, ELFMAG, SELFMAG) == 0;
}

static int elf_check_ehdr(const uint8_t *buf, size_t len, Elf64_Ehdr *eh, char *err, size_t errlen)
{
    if (len < sizeof(*eh))
        return boot_err(err, errlen, -ENOEXEC, "kernel: ELF header truncated (%zu of %zu bytes)",
                        len, sizeof(*eh));
    memcpy(eh, buf, sizeof(*eh));
    if (eh->e_ident[EI_CLASS] != ELFCLASS64)
        return boot_err(err, errlen, -ENOEXEC, "kernel: ELF class %u is not ELF64",
                        eh->e_ident[EI_CLASS]);
    if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
        return boot_err(err, errlen, -ENOEXEC, "kernel: ELF file is not little-endian");
    if (eh->e_ident[EI_VERSION] != EV_CURRENT)
        return boot_err(err, errlen, -ENOEXEC, "kernel: ELF version %u is not supported",
                        eh->e_ident[EI_VERSION]);
    if (eh->e_machine != EM_X86_64)
        return boot_err(err, errlen, -ENOEXEC, "kernel: ELF machine %u is not x86-64",
                        eh->e_machine);
    if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
        return boot_err(err, errlen, -ENOEXEC, "kernel: ELF type %u is not an executable",
                        eh->e_type);
    if (eh->e_phentsize != sizeof(Elf64_Phdr))
        return boot_err(err, errlen, -ENOEXEC, "kernel: ELF program header size %u (expected %zu)",
                        eh->e_phentsize, sizeof(Elf64_Phdr));
    if (eh->e_phnum == 0)
        return boot_err(err, errlen, -ENOEXEC, "kernel: ELF file has no program headers");
    if (eh->e_phnum > ELF_KERNEL_MAX_PHDRS)
        return boot_err(err, errlen, -ENOEXEC, "kernel: ELF file has %u program headers (max %d)",
                        eh->e_phnum, ELF_KERNEL_MAX_PHDRS);
    if (!range_within(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), len))
        return boot_err(err, errlen, -ENOEXEC,
                        "kernel: ELF program header table (offset 0x%llx, %u entries) extends "
                        "past the end of the file", (ull)eh->e_phoff, eh->e_phnum);
    return 0;
}

static void elf_get_phdr(const uint8_t *buf, const Elf64_Ehdr *eh, unsigned i, Elf64_Phdr *ph)
{
    /* The table was checked to lie inside the file by elf_check_ehdr. */
    memcpy(ph, buf + eh->e_phoff + (uint64_t)i * sizeof(*ph), sizeof(*ph));
}

/* A PT_LOAD segment: inside the file, inside one RAM region, above the boot
 * data vmon keeps below 1 MiB. */
static int elf_check_load(const Elf64_Phdr *ph, unsigned i, size_t len, const struct guest_mem *m,
                          char *err, size_t errlen)
{
    if (ph->p_filesz > ph->p_memsz)
        return boot_err(err, errlen, -ENOEXEC,
                        "kernel: ELF program header %u: file size 0x%llx exceeds memory size 0x%llx",
                        i, (ull)ph->p_filesz, (ull)ph->p_memsz);
    if (!range_within(ph->p_offset, ph->p_filesz, len))
        return boot_err(err, errlen, -ENOEXEC,
                        "kernel: ELF program header %u extends past the end of the file", i);
    if (ph->p_paddr + ph->p_memsz < ph->p_paddr)
        return boot_err(err, errlen, -ERANGE,
                        "kernel: ELF program header %u: address 0x%llx + size 0x%llx wraps",
                        i, (ull)ph->p_paddr, (ull)ph->p_memsz);
    if (ph->p_paddr < LAYOUT_HIMEM)
        return boot_err(err, errlen, -ERANGE,
                        "kernel: ELF program header %u (0x%llx-0x%llx) overlaps vmon's boot data "
                        "below 1 MiB", i, (ull)ph->p_paddr, (ull)(ph->p_paddr + ph->p_memsz));
    if (!gmem_ptr(m, ph->p_paddr, ph->p_memsz)) {
        char sz[32];
        return boot_err(err, errlen, -ERANGE,
                        "kernel: ELF program header %u (0x%llx-0x%llx) is outside guest RAM (%s)",
                        i, (ull)ph->p_paddr, (ull)(ph->p_paddr + ph->p_memsz),
                        boot_err_size(sz, sizeof(sz), m->ram_size));
    }
    return 0;
}

/* Walks the notes in file bytes [off, off+size) looking for the PVH entry.
 * Returns 0 (out->has_pvh set if found) or a negative errno. */
static int elf_scan_notes(const uint8_t *buf, uint64_t off, uint64_t size, uint64_t align,
                          struct elf_kernel *out, char *err, size_t errlen)
{
    align = align == 8 ? 8 : 4;
    uint64_t pos = 0;
    while (size - pos >= sizeof(Elf64_Nhdr)) {
        Elf64_Nhdr nh;
        memcpy(&nh, buf + off + pos, sizeof(nh));
        uint64_t name_at = pos + sizeof(nh);
        uint64_t desc_at = name_at + ALIGN_UP((uint64_t)nh.n_namesz, align);
        uint64_t next = desc_at + ALIGN_UP((uint64_t)nh.n_descsz, align);
        if (desc_at > size || nh.n_descsz > size - desc_at)
            return boot_err(err, errlen, -ENOEXEC,
                            "kernel: ELF note at file offset 0x%llx is truncated", (ull)(off + pos));
        const uint8_t *name = buf + off + name_at;
        const uint8_t *desc = buf + off + desc_at;
        if (nh.n_type == ELF_NOTE_XEN_PHYS32_ENTRY && nh.n_namesz == 4 && !memcmp(name, "Xen", 4)) {
            uint64_t entry;
            if (nh.n_descsz == 4)
                entry = get_le32(desc);
            else if (nh.n_descsz == 8)
                entry = get_le64(desc);
            else
                return boot_err(err, errlen, -ENOEXEC,
                                "kernel: PVH entry note has a %u-byte value (need 4 or 8)",
                                nh.n_descsz);
            if (entry > UINT32_MAX)
                return boot_err(err, errlen, -ENOEXEC,
                                "kernel: PVH entry 0x%llx is above 4 GiB", (ull)entry);
            out->has_pvh = true;
            out->pvh_entry = (uint32_t)entry;
            return 0;
        }
        if (next >= size)
            break;
        pos = next;
    }
    return 0;
}

static int elf_scan_note_sections(const uint8_t *buf, size_t len, const Elf64_Ehdr *eh,
                                  struct elf_kernel *out, char *err, size_t errlen)
{
    if (eh->e_shoff == 0 || eh->e_shnum == 0)
        return 0;
    if (eh->e_shentsize != sizeof(Elf64_Shdr))
        return boot_err(err, errlen, -ENOEXEC, "kernel: ELF section header size %u (expected %zu)",
                        eh->e_shentsize, sizeof(Elf64_Shdr));
    if (!range_within(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), len))
        return boot_err(err, errlen, -ENOEXEC,
                        "kernel: ELF section header table (offset 0x%llx, %u entries) extends "
                        "past the end of the file", (ull)eh->e_shoff, eh->e_shnum);
    for (unsigned i = 0; i < eh->e_shnum && !out->has_pvh; i++) {
        Elf64_Shdr sh;
        memcpy(&sh, buf + eh->e_shoff + (uint64_t)i * sizeof(sh), sizeof(sh));
        if (sh.sh_type != SHT_NOTE)
            continue;
        if (!range_within(sh.sh_offset, sh.sh_size, len))
            return boot_err(err, errlen, -ENOEXEC,
                            "kernel: ELF note section %u extends past the end of the file", i);
        int r = elf_scan_notes(buf, sh.sh_offset, sh.sh_size, sh.sh_addralign, out, err, errlen);
        if (r)
            return r;
    }
    return 0;
}

/* e_entry as a physical address: already physical if it lies in a segment's
 * physical range, else translated through the segment whose virtual range
 * holds it (vmlinux-style p_vaddr 0xffffffff81000000 -> p_paddr 0x1000000). */
static int elf_entry_phys(const uint8_t *buf, const Elf64_Ehdr *eh, uint64_t *phys)
{
    for (int pass = 0; pass < 2; pass++) {
        for (unsigned i = 0; i < eh->e_phnum; i++) {
            Elf64_Phdr ph;
            elf_get_phdr(buf, eh, i, &ph);
            if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
                continue;
            uint64_t base = pass == 0 ? ph.p_paddr : ph.p_vaddr;
            if (eh->e_entry >= base && eh->e_entry - base < ph.p_memsz) {
                *phys = ph.p_paddr + (eh->e_entry - base);
                return 0;
            }
        }
    }
    return -ENOEXEC;
}

static bool elf_in_segment(const uint8_t *buf, const Elf64_Ehdr *eh, uint64_t paddr)
{
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr ph;
        elf_get_phdr(buf, eh, i, &ph);
        if (ph.p_type == PT_LOAD && paddr >= ph.p_paddr && paddr - ph.p_paddr < ph.p_memsz)
            return true;
    }
    return false;
}

int elf_kernel_parse(const uint8_t *buf, size_t len, const struct guest_mem *m,
                     struct elf_kernel *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    Elf64_Ehdr eh;
    int r = elf_check_ehdr(buf, len, &eh, err, errlen);
    if (r)
        return r;

    out->load_start = UINT64_MAX;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        elf_get_phdr(buf, &eh, i, &ph);
        if (ph.p_type == PT_LOAD && ph.p_memsz) {
            r = elf_check_load(&ph, i, len, m, err, errlen);
            if (r)
                return r;
            out->load_start = MIN(out->load_start, ph.p_paddr);
            out->load_end = MAX(out->load_end, ph.p_paddr + ph.p_memsz);
            out->nload++;
        } else if (ph.p_type == PT_NOTE && !out->has_pvh) {
            if (!range_within(ph.p_offset, ph.p_filesz, len))
                return boot_err(err, errlen, -ENOEXEC,
                                "kernel: ELF program header %u (notes) extends past the end of "
                                "the file", i);
            r = elf_scan_notes(buf, ph.p_offset, ph.p_filesz, ph.p_align, out, err, errlen);
            if (r)
                return r;
        }
    }
    if (out->nload == 0)
        return boot_err(err, errlen, -ENOEXEC, "kernel: ELF file has no loadable segments");
    if (!out->has_pvh) {
        r = elf_scan_note_sections(buf, len, &eh, out, err, errlen);
        if (r)
            return r;
    }
    if (elf_entry_phys(buf, &eh, &out->entry64))
        return boot_err(err, errlen, -ENOEXEC,
                        "kernel: ELF entry point 0x%llx is not inside a loaded segment",
                        (ull)eh.e_entry);
    if (out->has_pvh && !elf_in_segment(buf, &eh, out->pvh_entry))
        return boot_err(err, errlen, -ENOEXEC,
                        "kernel: PVH entry 0x%x is not inside a loaded segment", out->pvh_entry);
    return 0;
}

int elf_kernel_load(struct guest_mem *m, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    struct elf_kernel k;
    int r = elf_kernel_parse(buf, len, m, &k, err, errlen);
    if (r)
        return r;
    Elf64_Ehdr eh;
    memcpy(&eh, buf, sizeof(eh));
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        elf_get_phdr(buf, &eh, i, &ph);
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        /* GUEST: elf_check_load (via parse) proved [p_paddr, p_paddr+p_memsz)
         * lies in one RAM region and [p_offset, p_offset+p_filesz) in buf. */
        uint8_t *dst = gmem_ptr(m, ph.p_paddr, ph.p_memsz);
        if (!dst)
            return boot_err(err, errlen, -EFAULT, "kernel: ELF segment %u left guest RAM", i);
        memcpy(dst, buf + ph.p_offset, ph.p_filesz);
        memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
    }
    return 0;
}
