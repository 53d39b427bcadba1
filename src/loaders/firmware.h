/* BIOS images (SeaBIOS, qboot, ...): what a PC's flash chip holds.
 *
 * A PC's processor starts at the reset vector, physical 0xfffffff0 (SDM Vol.
 * 3A, 9.1.4 "First Instruction Executed"), 16 bytes below 4 GiB, where the
 * chipset decodes the top of the flash; legacy chipsets also alias the last
 * 128 KiB of it at 0xe0000-0xfffff, where real-mode BIOS code runs, and the
 * BIOS "shadows" itself into RAM there (on QEMU's i440FX/Q35, SeaBIOS copies
 * itself from the high alias once it has opened the PAM registers). vmon
 * maps a read-only ROM region (gmem_add_rom) of FIRMWARE_ROM_SIZE bytes
 * ending at 4 GiB, the image at its end, and shadows the image up front: a
 * copy of all of it ends at 1 MiB in RAM, so 0xe0000-0xfffff holds its last
 * 128 KiB and a 256 KiB image (SeaBIOS's bios-256k.bin, whose init code
 * runs at 0xd4000 and up) also fills 0xc0000-0xdffff. The copy is writable
 * RAM, as PAM makes it: vmon's host bridge has no PAM registers.
 *
 * An image is accepted when it is non-empty, at most FIRMWARE_ROM_SIZE
 * bytes, and has a jump at its reset vector (16 bytes before its end):
 * a far jump (0xea), a near jump (0xe9) or a short jump (0xeb), after any
 * number of NOPs (0x90). */
#ifndef VMON_LOADERS_FIRMWARE_H
#define VMON_LOADERS_FIRMWARE_H

#include <stddef.h>
#include <stdint.h>

#include "core/guest_mem.h"

#define FIRMWARE_ROM_SIZE 0x40000ull                      /* 256 KiB */
#define FIRMWARE_ROM_BASE (0x100000000ull - FIRMWARE_ROM_SIZE)
#define FIRMWARE_LOW_END 0x100000ull                      /* the copy ends at 1 MiB */
#define FIRMWARE_RESET_VECTOR_OFF 16                      /* from the image's end */

/* Checks the image (see above). Returns 0 or -ENOEXEC/-EFBIG with a
 * message naming the problem ("firmware: ..."). */
int firmware_check(const uint8_t *img, size_t len, char *err, size_t errlen);

/* Checks the image, maps it as ROM at the top of 4 GiB and copies it to
 * the end of the first MiB of RAM. Returns 0, or a negative errno with a message. */
int firmware_load(struct guest_mem *m, const uint8_t *img, size_t len, char *err,
                  size_t errlen);

#endif
