/* BIOS images; see firmware.h. */
#include "loaders/firmware.h"

#include <errno.h>

#include "common/util.h"
#include "loaders/boot_err.h"

#define OP_NOP 0x90
#define OP_JMP_NEAR 0xe9
#define OP_JMP_FAR 0xea
#define OP_JMP_SHORT 0xeb

int firmware_check(const uint8_t *img, size_t len, char *err, size_t errlen)
{
    char sz[32];
    if (len == 0)
        return boot_err(err, errlen, -ENOEXEC, "firmware: the image is empty");
    if (len > FIRMWARE_ROM_SIZE)
        return boot_err(err, errlen, -EFBIG,
                        "firmware: the image is %s, larger than the %llu KiB BIOS region",
                        boot_err_size(sz, sizeof(sz), len),
                        (unsigned long long)(FIRMWARE_ROM_SIZE >> 10));
    if (len < FIRMWARE_RESET_VECTOR_OFF)
        return boot_err(err, errlen, -ENOEXEC,
                        "firmware: %zu bytes is too small for a BIOS image (no reset vector)",
                        len);
    const uint8_t *rv = img + len - FIRMWARE_RESET_VECTOR_OFF;
    size_t i = 0;
    while (i < FIRMWARE_RESET_VECTOR_OFF && rv[i] == OP_NOP)
        i++;
    if (i == FIRMWARE_RESET_VECTOR_OFF ||
        (rv[i] != OP_JMP_FAR && rv[i] != OP_JMP_NEAR && rv[i] != OP_JMP_SHORT))
        return boot_err(err, errlen, -ENOEXEC,
                        "firmware: not a BIOS image (no jump at the reset vector, 16 bytes "
                        "before the end of the file)");
    return 0;
}

int firmware_load(struct guest_mem *m, const uint8_t *img, size_t len, char *err,
                  size_t errlen)
{
    int r = firmware_check(img, len, err, errlen);
    if (r)
        return r;
    r = gmem_add_rom(m, FIRMWARE_ROM_BASE, FIRMWARE_ROM_SIZE, img, len);
    if (r)
        return boot_err(err, errlen, r,
                        "firmware: cannot map the BIOS region at 0x%llx (%d)",
                        (unsigned long long)FIRMWARE_ROM_BASE, r);
    uint64_t low = len; /* at most FIRMWARE_ROM_SIZE, checked above */
    r = gmem_write(m, FIRMWARE_LOW_END - low, img, low);
    if (r)
        return boot_err(err, errlen, r,
                        "firmware: guest RAM does not cover the legacy BIOS area 0x%llx-0x%llx",
                        (unsigned long long)(FIRMWARE_LOW_END - low),
                        (unsigned long long)FIRMWARE_LOW_END);
    return 0;
}
