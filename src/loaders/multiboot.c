/* Multiboot version 1 kernels; see multiboot.h. */
#include "loaders/multiboot.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "loaders/boot_cpu.h"
#include "loaders/boot_err.h"
#include "loaders/e820.h"

#define MB_4G 0x100000000ull
#define MB_PAGE 4096u
#define MB_LOADER_NAME "vmon"
#define MB_HEADER_MIN 12         /* magic, flags, checksum */
#define MB_HEADER_AOUT 32        /* ... and the address fields */

/* One piece of the image: file bytes [off, off + filesz) go to paddr, zeros
 * follow up to memsz. */
struct mb_segment {
    uint64_t off, filesz;
    uint64_t paddr, memsz;
};

/* Everything decided before the first byte is written. */
struct mb_plan {
    struct multiboot_found hdr;
    struct mb_segment seg[MULTIBOOT_MAX_SEGMENTS];
    unsigned nseg;
    uint64_t entry;
    uint64_t start, end;         /* of the image, bss included */
    struct e820_entry e820[E820_MAX_BUILT];
    size_t ne820;
    uint64_t mod_addr[MULTIBOOT_MAX_MODULES];
    uint64_t info;               /* boot information area */
    uint64_t info_len;
};

/* ---- header ---- */

int multiboot_detect(const uint8_t *buf, size_t len, struct multiboot_found *out, char *err,
                     size_t errlen)
{
    size_t limit = MIN(len, (size_t)MULTIBOOT_SEARCH);
    int bad = -1; /* offset of a header that failed a check, for the message */
    const char *why = NULL;
    for (size_t off = 0; off + MB_HEADER_MIN <= limit; off += 4) {
        if (get_le32(buf + off) != MULTIBOOT_HEADER_MAGIC)
            continue;
        uint32_t flags = get_le32(buf + off + 4);
        uint32_t sum = MULTIBOOT_HEADER_MAGIC + flags + get_le32(buf + off + 8);
        size_t need = flags & MULTIBOOT_AOUT_KLUDGE ? MB_HEADER_AOUT : MB_HEADER_MIN;
        if (sum != 0) {
            why = why ? why : "has a bad checksum (magic + flags + checksum must be 0)";
            bad = bad < 0 ? (int)off : bad;
            continue;
        }
        if (off + need > len) {
            why = "is cut off by the end of the file";
            bad = (int)off;
            continue;
        }
        if (flags & 0xffffu & ~MULTIBOOT_SUPPORTED_REQUIRED)
            return boot_err(err, errlen, -ENOEXEC,
                            "kernel: Multiboot header at offset %#zx requires features vmon "
                            "does not provide (flags %#x)", off, flags);
        memset(out, 0, sizeof(*out));
        memcpy(&out->h, buf + off, MIN(sizeof(out->h), len - off));
        out->offset = (uint32_t)off;
        return 1;
    }
    if (bad >= 0)
        return boot_err(err, errlen, -ENOEXEC, "kernel: Multiboot header at offset %#x %s", bad,
                        why);
    return 0;
}

/* ---- image ---- */

/* 3.1.3: the a.out kludge, from the header's address fields. */
static int mb_plan_aout(struct mb_plan *p, size_t len, char *err, size_t errlen)
{
    const struct multiboot_header *h = &p->hdr.h;
    if (h->header_addr < h->load_addr || h->header_addr - h->load_addr > p->hdr.offset)
        return boot_err(err, errlen, -ENOEXEC,
                        "kernel: Multiboot header_addr %#x and load_addr %#x do not match the "
                        "header's place in the file (offset %#x)", h->header_addr, h->load_addr,
                        p->hdr.offset);
    uint64_t off = p->hdr.offset - (h->header_addr - h->load_addr);
    uint64_t size = len - off;
    if (h->load_end_addr) {
        if (h->load_end_addr < h->load_addr || h->load_end_addr - h->load_addr > size)
            return boot_err(err, errlen, -ENOEXEC,
                            "kernel: Multiboot load_end_addr %#x is before load_addr %#x or past "
                            "the end of the file", h->load_end_addr, h->load_addr);
        size = h->load_end_addr - h->load_addr;
    }
    uint64_t memsz = size;
    if (h->bss_end_addr) {
        if (h->bss_end_addr < h->load_addr + size)
            return boot_err(err, errlen, -ENOEXEC,
                            "kernel: Multiboot bss_end_addr %#x is below the end of the image "
                            "%#llx", h->bss_end_addr, (unsigned long long)(h->load_addr + size));
        memsz = h->bss_end_addr - h->load_addr;
    }
    if (memsz == 0)
        return boot_err(err, errlen, -ENOEXEC, "kernel: Multiboot image is empty");
    p->seg[0] = (struct mb_segment){ off, size, h->load_addr, memsz };
    p->nseg = 1;
    p->entry = h->entry_addr;
    return 0;
}

static int mb_add_segment(struct mb_plan *p, uint64_t off, uint64_t filesz, uint64_t paddr,
                          uint64_t memsz, size_t len, char *err, size_t errlen)
{
    if (memsz == 0)
        return 0;
    if (filesz > memsz || off > len || filesz > len - off)
        return boot_err(err, errlen, -ENOEXEC,
                        "kernel: ELF segment at file offset %#llx runs past the end of the "
                        "file or its memory size", (unsigned long long)off);
    if (p->nseg == MULTIBOOT_MAX_SEGMENTS)
        return boot_err(err, errlen, -ENOEXEC, "kernel: more than %d ELF PT_LOAD segments",
                        MULTIBOOT_MAX_SEGMENTS);
    p->seg[p->nseg++] = (struct mb_segment){ off, filesz, paddr, memsz };
    return 0;
}

/* The ELF program headers of a 32- or 64-bit image (System V gABI,
 * "Program Header"), read with every offset checked. */
static int mb_plan_elf(struct mb_plan *p, const uint8_t *buf, size_t len, char *err,
                       size_t errlen)
{
    bool is64 = len > EI_CLASS && buf[EI_CLASS] == ELFCLASS64;
    size_t ehsize = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    if (len < ehsize || memcmp(buf, ELFMAG, SELFMAG) || buf[EI_DATA] != ELFDATA2LSB ||
        (buf[EI_CLASS] != ELFCLASS32 && buf[EI_CLASS] != ELFCLASS64))
        return boot_err(err, errlen, -ENOEXEC,
                        "kernel: Multiboot kernel without flag 16 must be a little-endian ELF "
                        "file");
    uint64_t phoff, vaddr_entry;
    unsigned phnum, phentsize, machine;
    if (is64) {
        Elf64_Ehdr e;
        memcpy(&e, buf, sizeof(e));
        phoff = e.e_phoff, phnum = e.e_phnum, phentsize = e.e_phentsize;
        vaddr_entry = e.e_entry, machine = e.e_machine;
    } else {
        Elf32_Ehdr e;
        memcpy(&e, buf, sizeof(e));
        phoff = e.e_phoff, phnum = e.e_phnum, phentsize = e.e_phentsize;
        vaddr_entry = e.e_entry, machine = e.e_machine;
    }
    size_t want = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
    if (machine != (is64 ? EM_X86_64 : EM_386) || phentsize != want || phnum == 0 ||
        phoff > len || (uint64_t)phnum * want > len - phoff)
        return boot_err(err, errlen, -ENOEXEC,
                        "kernel: bad ELF header (machine %u, %u program headers of %u bytes at "
                        "%#llx)", machine, phnum, phentsize, (unsigned long long)phoff);
    struct { uint64_t vaddr, paddr, memsz; } map[MULTIBOOT_MAX_SEGMENTS];
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = buf + phoff + (uint64_t)i * want;
        uint64_t type, off, vaddr, paddr, filesz, memsz;
        if (is64) {
            Elf64_Phdr h;
            memcpy(&h, ph, sizeof(h));
            type = h.p_type, off = h.p_offset, vaddr = h.p_vaddr, paddr = h.p_paddr;
            filesz = h.p_filesz, memsz = h.p_memsz;
        } else {
            Elf32_Phdr h;
            memcpy(&h, ph, sizeof(h));
            type = h.p_type, off = h.p_offset, vaddr = h.p_vaddr, paddr = h.p_paddr;
            filesz = h.p_filesz, memsz = h.p_memsz;
        }
        if (type != PT_LOAD)
            continue;
        unsigned n = p->nseg;
        int r = mb_add_segment(p, off, filesz, paddr, memsz, len, err, errlen);
        if (r)
            return r;
        if (p->nseg > n)
            map[n].vaddr = vaddr, map[n].paddr = paddr, map[n].memsz = memsz;
    }
    if (p->nseg == 0)
        return boot_err(err, errlen, -ENOEXEC, "kernel: ELF file has no PT_LOAD segment");
    /* The entry: physical when a segment's physical range holds it. */
    p->entry = UINT64_MAX;
    for (unsigned i = 0; i < p->nseg && p->entry == UINT64_MAX; i++)
        if (vaddr_entry - map[i].paddr < map[i].memsz)
            p->entry = vaddr_entry;
    for (unsigned i = 0; i < p->nseg && p->entry == UINT64_MAX; i++)
        if (vaddr_entry - map[i].vaddr < map[i].memsz)
            p->entry = vaddr_entry - map[i].vaddr + map[i].paddr;
    return 0;
}

/* True when [start, start + len) lies in one usable RAM range below 4 GiB. */
static bool mb_in_ram(const struct mb_plan *p, uint64_t start, uint64_t len)
{
    if (len == 0 || !range_within(start, len, MB_4G))
        return false;
    for (size_t i = 0; i < p->ne820; i++)
        if (p->e820[i].type == E820_RAM && start >= p->e820[i].addr &&
            range_within(start - p->e820[i].addr, len, p->e820[i].size))
            return true;
    return false;
}

static int mb_check_image(struct mb_plan *p, char *err, size_t errlen)
{
    p->start = UINT64_MAX;
    p->end = 0;
    for (unsigned i = 0; i < p->nseg; i++) {
        const struct mb_segment *s = &p->seg[i];
        if (!mb_in_ram(p, s->paddr, s->memsz))
            return boot_err(err, errlen, -ERANGE,
                            "kernel: Multiboot image part %#llx-%#llx is not in guest RAM below "
                            "4 GiB (usable RAM: 0-0x9fc00 and 1 MiB-%#llx)",
                            (unsigned long long)s->paddr,
                            (unsigned long long)(s->paddr + s->memsz),
                            (unsigned long long)(p->ne820 > 2 ? p->e820[2].addr + p->e820[2].size
                                                              : 0));
        p->start = MIN(p->start, s->paddr);
        p->end = MAX(p->end, s->paddr + s->memsz);
    }
    for (unsigned i = 0; i < p->nseg; i++)
        for (unsigned j = i + 1; j < p->nseg; j++)
            if (ranges_overlap(p->seg[i].paddr, p->seg[i].memsz, p->seg[j].paddr,
                               p->seg[j].memsz))
                return boot_err(err, errlen, -ENOEXEC, "kernel: ELF segments overlap");
    bool inside = false;
    for (unsigned i = 0; i < p->nseg; i++)
        inside |= p->entry - p->seg[i].paddr < p->seg[i].memsz;
    if (!inside)
        return boot_err(err, errlen, -ENOEXEC,
                        "kernel: Multiboot entry point %#llx is outside the loaded image",
                        (unsigned long long)p->entry);
    return 0;
}

/* ---- modules and boot information ---- */

static size_t mb_strsize(const char *s)
{
    return strlen(s ? s : "") + 1;
}

static int mb_place(struct mb_plan *p, const struct multiboot_config *c, char *err,
                    size_t errlen)
{
    uint64_t at = ALIGN_UP(p->end, (uint64_t)MB_PAGE);
    for (size_t i = 0; i < c->nmodules; i++) {
        if (c->modules[i].len == 0)
            return boot_err(err, errlen, -EINVAL, "module %zu (%s) is empty", i,
                            c->modules[i].string ? c->modules[i].string : "?");
        if (!mb_in_ram(p, at, c->modules[i].len))
            return boot_err(err, errlen, -ENOSPC,
                            "module %zu (%s): %zu bytes do not fit in guest RAM at %#llx", i,
                            c->modules[i].string ? c->modules[i].string : "?",
                            c->modules[i].len, (unsigned long long)at);
        p->mod_addr[i] = at;
        at = ALIGN_UP(at + c->modules[i].len, (uint64_t)MB_PAGE);
    }
    uint64_t len = sizeof(struct multiboot_info) + c->nmodules * sizeof(struct multiboot_mod) +
                   p->ne820 * sizeof(struct multiboot_mmap_entry) + mb_strsize(c->cmdline) +
                   sizeof(MB_LOADER_NAME);
    for (size_t i = 0; i < c->nmodules; i++)
        len += mb_strsize(c->modules[i].string);
    if (!mb_in_ram(p, at, len))
        return boot_err(err, errlen, -ENOSPC,
                        "kernel: no room for the Multiboot information (%llu bytes) at %#llx",
                        (unsigned long long)len, (unsigned long long)at);
    p->info = at;
    p->info_len = len;
    return 0;
}

/* Appends a string to the boot information and returns its address. */
static uint32_t mb_put_str(uint8_t *area, uint64_t base, uint64_t *used, const char *s)
{
    size_t n = mb_strsize(s);
    memcpy(area + *used, s ? s : "", n);
    uint32_t addr = (uint32_t)(base + *used);
    *used += n;
    return addr;
}

static void mb_build_info(const struct mb_plan *p, const struct multiboot_config *c,
                          uint8_t *area)
{
    struct multiboot_info mi;
    memset(&mi, 0, sizeof(mi));
    uint64_t used = sizeof(mi);
    uint64_t low_end = p->ne820 > 2 ? p->e820[2].addr + p->e820[2].size : MiB(1);
    mi.flags = MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_MODS |
               MULTIBOOT_INFO_MEM_MAP | MULTIBOOT_INFO_BOOT_LOADER_NAME;
    mi.mem_lower = (uint32_t)(p->e820[0].size >> 10);
    mi.mem_upper = (uint32_t)((low_end - MiB(1)) >> 10);

    mi.mods_count = (uint32_t)c->nmodules;
    mi.mods_addr = (uint32_t)(p->info + used);
    uint64_t mods_at = used;
    used += c->nmodules * sizeof(struct multiboot_mod);

    mi.mmap_addr = (uint32_t)(p->info + used);
    mi.mmap_length = (uint32_t)(p->ne820 * sizeof(struct multiboot_mmap_entry));
    for (size_t i = 0; i < p->ne820; i++) {
        struct multiboot_mmap_entry e = { sizeof(e) - sizeof(e.size), p->e820[i].addr,
                                          p->e820[i].size, p->e820[i].type };
        memcpy(area + used, &e, sizeof(e));
        used += sizeof(e);
    }
    mi.cmdline = mb_put_str(area, p->info, &used, c->cmdline);
    mi.boot_loader_name = mb_put_str(area, p->info, &used, MB_LOADER_NAME);
    for (size_t i = 0; i < c->nmodules; i++) {
        struct multiboot_mod mod = {
            (uint32_t)p->mod_addr[i], (uint32_t)(p->mod_addr[i] + c->modules[i].len),
            mb_put_str(area, p->info, &used, c->modules[i].string), 0 };
        memcpy(area + mods_at + i * sizeof(mod), &mod, sizeof(mod));
    }
    memcpy(area, &mi, sizeof(mi));
}

static int mb_write(const struct mb_plan *p, struct guest_mem *m,
                    const struct multiboot_config *c, struct x86_state *bsp)
{
    /* The GDT first: the image may cover it (GDTR may be invalid, 3.2). */
    int r = boot_cpu_setup_pvh(m, bsp, (uint32_t)p->entry, (uint32_t)p->info);
    if (r)
        return r;
    bsp->gpr[X86_RAX] = MULTIBOOT_BOOTLOADER_MAGIC;
    for (unsigned i = 0; i < p->nseg; i++) {
        const struct mb_segment *s = &p->seg[i];
        /* GUEST: not guest input, but the file's: mb_check_image put every
         * segment wholly inside one RAM range. */
        uint8_t *dst = gmem_ptr(m, s->paddr, s->memsz);
        if (!dst)
            return -EFAULT;
        memcpy(dst, c->kernel + s->off, s->filesz);
        memset(dst + s->filesz, 0, s->memsz - s->filesz);
    }
    for (size_t i = 0; i < c->nmodules; i++) {
        r = gmem_write(m, p->mod_addr[i], c->modules[i].data, c->modules[i].len);
        if (r)
            return r;
    }
    uint8_t *area = gmem_ptr(m, p->info, p->info_len);
    if (!area)
        return -EFAULT;
    memset(area, 0, p->info_len);
    mb_build_info(p, c, area);
    return 0;
}

int multiboot_load(struct guest_mem *m, const struct multiboot_config *c, struct x86_state *bsp,
                   struct multiboot_result *res, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = 0;
    if (c->nmodules > MULTIBOOT_MAX_MODULES)
        return boot_err(err, errlen, -EINVAL, "module: at most %d Multiboot modules",
                        MULTIBOOT_MAX_MODULES);
    struct mb_plan p;
    memset(&p, 0, sizeof(p));
    int r = multiboot_detect(c->kernel, c->kernel_len, &p.hdr, err, errlen);
    if (r == 0)
        return boot_err(err, errlen, -ENOEXEC, "kernel: no Multiboot header in the first 8 KiB");
    if (r < 0)
        return r;
    int n = e820_build(p.e820, ARRAY_SIZE(p.e820), m);
    if (n < 3)
        return boot_err(err, errlen, -EINVAL, "kernel: guest RAM does not look like a PC's");
    p.ne820 = (size_t)n;
    r = p.hdr.h.flags & MULTIBOOT_AOUT_KLUDGE
            ? mb_plan_aout(&p, c->kernel_len, err, errlen)
            : mb_plan_elf(&p, c->kernel, c->kernel_len, err, errlen);
    if (!r)
        r = mb_check_image(&p, err, errlen);
    if (!r)
        r = mb_place(&p, c, err, errlen);
    if (r)
        return r;
    r = mb_write(&p, m, c, bsp);
    if (r)
        return boot_err(err, errlen, r, "kernel: writing the Multiboot image to guest RAM failed");
    log_debug("multiboot: image %#llx-%#llx, entry %#llx, %zu modules, info at %#llx",
              (unsigned long long)p.start, (unsigned long long)p.end,
              (unsigned long long)p.entry, c->nmodules, (unsigned long long)p.info);
    if (res) {
        memset(res, 0, sizeof(*res));
        res->entry = (uint32_t)p.entry;
        res->kernel_start = p.start;
        res->kernel_end = p.end;
        for (size_t i = 0; i < c->nmodules; i++)
            res->mod_start[i] = (uint32_t)p.mod_addr[i];
        res->info_addr = (uint32_t)p.info;
        res->info_end = p.info + p.info_len;
    }
    return 0;
}
