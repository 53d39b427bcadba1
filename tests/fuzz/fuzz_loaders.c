/* libFuzzer harness for the kernel loader: the input is split into a kernel
 * file and an initrd, loaded into a 64 MiB guest whose RAM sits between two
 * PROT_NONE guard pages. Any crash, sanitizer report or write outside RAM
 * (a fault on a guard page) is a bug.
 *
 * Input: byte 0 = flags (bits 0-1: boot_entry, bit 2: pass an initrd, bit 3:
 * pass an RNG seed, bit 4: vmon decompresses a bzImage's payload), bytes 1-4 = kernel length (little-endian, clamped),
 * then the kernel, then the initrd. Inputs that start with an ELF or bzImage
 * header after the 5-byte prefix get far into the parsers quickly. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/util.h"
#include "fuzz_util.h"
#include "core/guest_mem.h"
#include "loaders/boot.h"

#define RAM_SIZE MiB(64)

/* One mapping for the whole fuzzing run: guard, RAM, guard. */
static uint8_t *guest_ram(void)
{
    static uint8_t *ram;
    if (!ram)
        ram = fuzz_guarded_ram(RAM_SIZE);
    return ram;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5)
        return 0;
    uint8_t flags = data[0];
    size_t klen = MIN((size_t)get_le32(data + 1), size - 5);
    const uint8_t *kernel = data + 5;
    const uint8_t *initrd = kernel + klen;
    size_t ilen = size - 5 - klen;

    struct guest_mem m;
    gmem_init_flat(&m, guest_ram(), RAM_SIZE);
    static const uint8_t seed[32] = { 1, 2, 3 };
    struct boot_config c = {
        .kernel = kernel, .kernel_len = klen,
        .initrd = (flags & 4) ? initrd : NULL, .initrd_len = ilen,
        .cmdline = "console=ttyS0",
        .rng_seed = (flags & 8) ? seed : NULL, .rng_seed_len = (flags & 8) ? sizeof(seed) : 0,
        .acpi_rsdp = 0xe0000,
        .entry = (enum boot_entry)(flags & 3) > BOOT_ENTRY_PVH ? BOOT_ENTRY_AUTO
                                                              : (enum boot_entry)(flags & 3),
        .unpack = (flags & 16) ? BOOT_UNPACK_HOST : BOOT_UNPACK_GUEST,
    };
    struct x86_state bsp;
    struct boot_result res;
    char err[256];
    int r = boot_load_linux(&m, &c, &bsp, &res, err, sizeof(err));
    if (r == 0) {
        /* What the loader reports must lie in RAM. */
        if (!gmem_ptr(&m, res.kernel_start, res.kernel_end - res.kernel_start) ||
            (res.initrd_size && !gmem_ptr(&m, res.initrd_addr, res.initrd_size)))
            __builtin_trap();
    } else if (err[0] == 0) {
        __builtin_trap(); /* every failure has a message */
    }
    return 0;
}
