#include "loaders/bzimage.h"

#include <errno.h>
#include <string.h>

#include "common/util.h"
#include "loaders/boot_err.h"
#include "machine/layout.h"

typedef unsigned long long ull;

#define BZ_SECTOR 512
#define BZ_HDR_END_MIN (BP_HDR_FIELD(init_size) + 4) /* through init_size (2.10) */
#define BZ_MAX_ALIGN GiB(1)

bool bzimage_detect(const uint8_t *buf, size_t len)
{
    return len >= BP_HDR_FIELD(header) + 4 && get_le32(buf + BP_HDR_FIELD(header)) == BP_HDR_MAGIC;
}

/* Copies the setup header; its length is 0x202 + the byte at 0x201. */
static int bz_read_header(const uint8_t *buf, size_t len, struct setup_header *hdr, char *err,
                          size_t errlen)
{
    if (!bzimage_detect(buf, len))
        return boot_err(err, errlen, -ENOEXEC, "kernel: not an ELF or bzImage file");
    uint64_t hdr_end = BP_HDR_FIELD(header) + (uint64_t)buf[BP_HDR_FIELD(jump) + 1];
    if (hdr_end < BZ_HDR_END_MIN)
        return boot_err(err, errlen, -ENOEXEC,
                        "kernel: bzImage setup header ends at 0x%llx (too short for protocol 2.12)",
                        (ull)hdr_end);
    if (hdr_end > len)
        return boot_err(err, errlen, -ENOEXEC,
                        "kernel: bzImage setup header (to 0x%llx) extends past the end of the file",
                        (ull)hdr_end);
    uint64_t copy = MIN(hdr_end - BP_HDR_OFFSET, sizeof(*hdr));
    memset(hdr, 0, sizeof(*hdr));
    memcpy(hdr, buf + BP_HDR_OFFSET, copy);
    if (hdr->boot_flag != BP_BOOT_FLAG)
        return boot_err(err, errlen, -ENOEXEC, "kernel: bzImage boot_flag is 0x%04x, not 0xaa55",
                        hdr->boot_flag);
    if (hdr->version < BZIMAGE_MIN_VERSION)
        return boot_err(err, errlen, -ENOEXEC,
                        "kernel: bzImage boot protocol %u.%02u is too old (need 2.12+)",
                        hdr->version >> 8, hdr->version & 0xff);
    if (!(hdr->xloadflags & BP_XLF_KERNEL_64))
        return boot_err(err, errlen, -ENOEXEC,
                        "kernel: bzImage has no 64-bit entry point (XLF_KERNEL_64 not set)");
    if (!(hdr->loadflags & BP_LOADED_HIGH))
        return boot_err(err, errlen, -ENOEXEC,
                        "kernel: bzImage is not loaded high (zImage kernels are not supported)");
    return 0;
}

static bool bz_fits(const struct guest_mem *m, uint64_t addr, uint64_t size)
{
    return addr >= LAYOUT_HIMEM && gmem_ptr(m, addr, size) != NULL;
}

/* boot.rst: a relocatable kernel may go at any kernel_alignment-aligned
 * address; pref_address is where it would rather be. */
static int bz_place(struct bzimage *bz, const struct guest_mem *m, char *err, size_t errlen)
{
    const struct setup_header *h = &bz->hdr;
    uint64_t align = h->kernel_alignment;
    if (h->relocatable_kernel && (align == 0 || (align & (align - 1)) || align > BZ_MAX_ALIGN))
        return boot_err(err, errlen, -ENOEXEC,
                        "kernel: bzImage kernel_alignment 0x%llx is not a power of two up to 1 GiB",
                        (ull)align);
    uint64_t pref = h->pref_address ? h->pref_address : LAYOUT_HIMEM;
    if (h->relocatable_kernel)
        pref = ALIGN_UP(pref, align);
    if (pref < h->pref_address) /* ALIGN_UP wrapped */
        pref = UINT64_MAX;
    if (bz_fits(m, pref, bz->load_size)) {
        bz->load_addr = pref;
        return 0;
    }
    if (h->relocatable_kernel) {
        uint64_t low = ALIGN_UP(LAYOUT_HIMEM, align);
        if (bz_fits(m, low, bz->load_size)) {
            bz->load_addr = low;
            return 0;
        }
    }
    char need[32], ram[32];
    return boot_err(err, errlen, -ERANGE,
                    "kernel: bzImage needs %s at 0x%llx (init_size) but guest RAM is %s%s",
                    boot_err_size(need, sizeof(need), bz->load_size), (ull)pref,
                    boot_err_size(ram, sizeof(ram), m->ram_size),
                    h->relocatable_kernel ? "" : " and the kernel is not relocatable");
}

int bzimage_parse(const uint8_t *buf, size_t len, const struct guest_mem *m, struct bzimage *out,
                  char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    int r = bz_read_header(buf, len, &out->hdr, err, errlen);
    if (r)
        return r;
    /* boot.rst: "If this field is 0, the real value is 4." */
    unsigned sects = out->hdr.setup_sects ? out->hdr.setup_sects : 4;
    out->pm_offset = (uint64_t)(sects + 1) * BZ_SECTOR;
    if (out->pm_offset >= len)
        return boot_err(err, errlen, -ENOEXEC,
                        "kernel: bzImage setup (%u sectors, 0x%llx bytes) reaches past the end of "
                        "the file (%zu bytes)", sects, (ull)out->pm_offset, len);
    out->pm_size = len - out->pm_offset;
    /* syssize counts 16-byte paragraphs of the protected-mode part. */
    uint64_t sys_bytes = (uint64_t)out->hdr.syssize * 16;
    if (sys_bytes == 0 || sys_bytes > ALIGN_UP(out->pm_size, 16))
        return boot_err(err, errlen, -ENOEXEC,
                        "kernel: bzImage syssize says 0x%llx bytes but 0x%llx follow the setup "
                        "(file truncated?)", (ull)sys_bytes, (ull)out->pm_size);
    if (out->pm_size <= BZIMAGE_ENTRY64_OFFSET)
        return boot_err(err, errlen, -ENOEXEC,
                        "kernel: bzImage protected-mode part (0x%llx bytes) has no 64-bit entry",
                        (ull)out->pm_size);
    out->load_size = MAX((uint64_t)out->hdr.init_size, out->pm_size);
    r = bz_place(out, m, err, errlen);
    if (r)
        return r;
    out->entry64 = out->load_addr + BZIMAGE_ENTRY64_OFFSET;
    return 0;
}

int bzimage_load(struct guest_mem *m, const uint8_t *buf, size_t len, const struct bzimage *bz,
                 char *err, size_t errlen)
{
    if (!range_within(bz->pm_offset, bz->pm_size, len) || bz->pm_size > bz->load_size)
        return boot_err(err, errlen, -EINVAL, "kernel: bzImage description does not match file");
    /* GUEST: bz_place checked [load_addr, load_addr+load_size) lies in one
     * RAM region; pm_size <= load_size was checked just above. */
    uint8_t *dst = gmem_ptr(m, bz->load_addr, bz->load_size);
    if (!dst)
        return boot_err(err, errlen, -EFAULT, "kernel: bzImage load area left guest RAM");
    memcpy(dst, buf + bz->pm_offset, bz->pm_size);
    /* The rest of init_size is the kernel's to clear (it zeroes its own bss);
     * leaving it untouched keeps untouched guest pages uncommitted. */
    return 0;
}
