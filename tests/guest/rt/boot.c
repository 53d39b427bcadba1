#include "boot.h"

#include <stddef.h>

/* boot_params.hdr.cmd_line_ptr (Linux Documentation/arch/x86/boot.rst,
 * "The Real-Mode Kernel Header" at 0x1f1; field at offset 0x228). */
#define BP_CMD_LINE_PTR 0x228

const char *boot_cmdline(uint64_t zero_page)
{
    uint32_t ptr = *(const volatile uint32_t *)(uintptr_t)(zero_page + BP_CMD_LINE_PTR);
    return ptr ? (const char *)(uintptr_t)ptr : "";
}

bool boot_cmdline_has(uint64_t zero_page, const char *word)
{
    const char *s = boot_cmdline(zero_page);
    while (*s) {
        while (*s == ' ')
            s++;
        size_t i = 0;
        while (word[i] && s[i] == word[i])
            i++;
        if (!word[i] && (s[i] == ' ' || s[i] == '\0'))
            return true;
        while (*s && *s != ' ')
            s++;
    }
    return false;
}
