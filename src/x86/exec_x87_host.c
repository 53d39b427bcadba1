/* x87 instructions on the host's own x87 unit (see exec_x87_host.h). */
#include "x86/exec_x87_host.h"

#include <stddef.h>

/* The stubs, 8 bytes apart: ENDBR64, the two instruction bytes, RET, INT3.
 * Register forms: 8 escapes x 64 ModRM bytes C0-FF; memory forms: 8
 * escapes x 8 ModRM.reg values with mod = 00, rm = 000 ([RAX]). */
__asm__(".pushsection .text.vmon_x87_stubs, \"ax\", @progbits\n"
        ".balign 16\n"
        "x86_x87_stubs:\n"
        ".set .Lx87_e, 0\n"
        ".rept 8\n"
        "  .set .Lx87_m, 0\n"
        "  .rept 64\n"
        "    .byte 0xf3, 0x0f, 0x1e, 0xfa, 0xd8 + .Lx87_e, 0xc0 + .Lx87_m, 0xc3, 0xcc\n"
        "    .set .Lx87_m, .Lx87_m + 1\n"
        "  .endr\n"
        "  .set .Lx87_e, .Lx87_e + 1\n"
        ".endr\n"
        ".set .Lx87_e, 0\n"
        ".rept 8\n"
        "  .set .Lx87_m, 0\n"
        "  .rept 8\n"
        "    .byte 0xf3, 0x0f, 0x1e, 0xfa, 0xd8 + .Lx87_e, .Lx87_m << 3, 0xc3, 0xcc\n"
        "    .set .Lx87_m, .Lx87_m + 1\n"
        "  .endr\n"
        "  .set .Lx87_e, .Lx87_e + 1\n"
        ".endr\n"
        ".popsection\n");

extern const uint8_t x86_x87_stubs[] __attribute__((visibility("hidden")));

/* Offset of MXCSR in the FXSAVE image (SDM Vol. 1, Table 10-2). */
#define FX_MXCSR 24

void x86_x87_host_run(struct x86_x87_host *h, unsigned stub)
{
    if (stub >= X86_X87_STUB_COUNT)
        return;
    /* MXCSR plays no part in x87 instructions; a valid value keeps FXRSTOR
     * from faulting whatever the guest image holds. */
    const uint32_t mxcsr = 0x1f80;
    __builtin_memcpy(h->fx + FX_MXCSR, &mxcsr, 4);
    const uint8_t *fn = x86_x87_stubs + 8u * stub;
    uint64_t fl = 0x202 | (h->rflags & 0x8d5); /* IF, fixed bit, arithmetic flags */
    /* The stub is reached by CALL: step over the red zone first; memory is
     * addressed through registers only. FNCLEX before restoring the host
     * state: an exception the guest instruction left pending must not
     * reach the host. */
    __asm__ volatile("fxsave64 (%[save])\n\t"
                     "fxrstor64 (%[fx])\n\t"
                     "lea -128(%%rsp), %%rsp\n\t"
                     "push %[fl]\n\t"
                     "popfq\n\t"
                     "call *%[fn]\n\t"
                     "pushfq\n\t"
                     "pop %[fl]\n\t"
                     "lea 128(%%rsp), %%rsp\n\t"
                     "fxsave64 (%[fx])\n\t"
                     "fnclex\n\t"
                     "fxrstor64 (%[save])"
                     : [fl] "+r"(fl)
                     : [save] "r"(h->save), [fx] "r"(h->fx), "a"(h->mem), [fn] "r"(fn)
                     : "cc", "memory");
    h->rflags = fl;
}
