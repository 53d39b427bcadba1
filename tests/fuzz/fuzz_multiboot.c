/* libFuzzer harness for the Multiboot loader: the input (after one flags
 * byte) is the kernel file, loaded into a 64 MiB guest whose RAM sits
 * between two PROT_NONE guard pages, with 0-3 small modules. Any crash,
 * sanitizer report or write outside RAM (a fault on a guard page) is a bug.
 * Inputs that carry a Multiboot header (0x1badb002, flags, checksum) in
 * their first 8 KiB get past detection; with flag 16 the a.out address
 * fields, otherwise the ELF32/ELF64 program headers, are parsed. */
#include <stddef.h>
#include <stdint.h>

#include "common/util.h"
#include "fuzz_util.h"
#include "core/guest_mem.h"
#include "loaders/multiboot.h"

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
    if (size < 1)
        return 0;
    static const uint8_t mod_bytes[4096] = { 1 };
    static const struct multiboot_module mods[3] = {
        { mod_bytes, 1, "a" }, { mod_bytes, 3000, "b c" }, { mod_bytes, 4096 - 1, NULL } };
    struct guest_mem m;
    gmem_init_flat(&m, guest_ram(), RAM_SIZE);
    struct multiboot_config c = {
        .kernel = data + 1, .kernel_len = size - 1,
        .cmdline = data[0] & 4 ? "console=ttyS0" : NULL,
        .modules = mods, .nmodules = data[0] & 3,
    };
    struct multiboot_found found;
    char err[256];
    multiboot_detect(c.kernel, c.kernel_len, &found, err, sizeof(err));
    struct x86_state s;
    struct multiboot_result r;
    if (multiboot_load(&m, &c, &s, &r, err, sizeof(err)) == 0) {
        /* Whatever loaded must lie in RAM. */
        if (r.kernel_end > RAM_SIZE || r.info_end > RAM_SIZE || s.rip >= RAM_SIZE)
            __builtin_trap();
    }
    return 0;
}
