/* x87 instructions on the host's own x87 unit.
 *
 * The guest's x87 state (control, status and tag words, the eight
 * registers) is loaded into the host FPU with FXRSTOR, the guest's
 * instruction runs as the same host instruction (its memory operand
 * redirected to a host buffer), and FXSAVE reads the state back; the host
 * state is saved and restored around it. Everything the hardware does is
 * therefore exact: 80-bit results in the guest's precision and rounding
 * control, stack overflow/underflow, C0-C3, the tag word, FPREM's partial
 * remainder, transcendental results, and the delayed reporting of
 * unmasked exceptions (FSW.ES, then #MF at the next waiting instruction,
 * which the caller checks before running anything here, so the host itself
 * never takes an x87 exception).
 *
 * A stub is one two-byte x87 instruction plus RET: every register form
 * D8-DF C0-FF, and every memory form D8-DF /0-/7 addressing [RAX]. */
#ifndef VMON_X86_EXEC_X87_HOST_H
#define VMON_X86_EXEC_X87_HOST_H

#include <stdint.h>

/* Stub numbers: register forms, then memory forms. */
#define X86_X87_STUB_REG(esc, modrm) ((((esc) & 7u) << 6) | ((modrm) & 0x3fu))
#define X86_X87_STUB_MEM(esc, reg) (512u + ((((esc) & 7u) << 3) | ((reg) & 7u)))
#define X86_X87_STUB_COUNT 576u

/* One run: the guest state as an FXSAVE image (bytes 0-159 matter), the
 * memory operand, and RFLAGS (in: CF ZF PF for FCMOVcc; out: the flags
 * after the instruction, for FCOMI). */
struct x86_x87_host {
    uint8_t fx[512] __attribute__((aligned(16)));
    uint8_t save[512] __attribute__((aligned(16))); /* the host's own state */
    uint8_t mem[16];
    uint64_t rflags;
};

/* Runs stub (< X86_X87_STUB_COUNT) on h. The caller must have made sure
 * no unmasked exception is pending in h->fx (FSW.ES clear, no flag whose
 * mask bit is clear) and that the stub is a valid, non-environment
 * instruction whose memory operand fits h->mem. */
void x86_x87_host_run(struct x86_x87_host *h, unsigned stub);

#endif
