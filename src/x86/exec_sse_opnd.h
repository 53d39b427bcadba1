/* Operand plumbing shared by the SSE, MMX and x87 families: the #UD/#NM/#MF
 * availability rules, XMM and MMX registers, SIMD memory operands with
 * their alignment rule, and the x87 register stack as the MMX registers
 * see it.
 *
 * Where the guest state lives: struct x86_fxstate in x86/state.h, whose
 * comment fixes the layout (ST(i) in stack order, abridged tag word by
 * physical register, MMi = physical register Ri). */
#ifndef VMON_X86_EXEC_SSE_OPND_H
#define VMON_X86_EXEC_SSE_OPND_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/util.h"
#include "x86/emu.h"

/* A 128-bit (XMM) or 64-bit (MMX, low half) value in little-endian lanes. */
typedef union x86_vec {
    uint8_t b[16];
    int8_t sb[16];
    uint16_t w[8];
    int16_t sw[8];
    uint32_t d[4];
    int32_t sd[4];
    uint64_t q[2];
    int64_t sq[2];
} x86_vec;

/* MXCSR (SDM Vol. 1, 10.2.3): flags 5:0, DAZ, masks 12:7, RC 14:13, FZ. */
#define X86_MXCSR_IE    (1u << 0)
#define X86_MXCSR_DE    (1u << 1)
#define X86_MXCSR_ZE    (1u << 2)
#define X86_MXCSR_OE    (1u << 3)
#define X86_MXCSR_UE    (1u << 4)
#define X86_MXCSR_PE    (1u << 5)
#define X86_MXCSR_FLAGS 0x3fu
#define X86_MXCSR_DAZ   (1u << 6)
#define X86_MXCSR_MASKS (0x3fu << 7)
#define X86_MXCSR_UM    (1u << 11)
#define X86_MXCSR_RC    (3u << 13)
#define X86_MXCSR_FZ    (1u << 15)
/* The bits LDMXCSR/FXRSTOR accept (MXCSR_MASK): everything above is #GP. */
#define X86_MXCSR_VALID 0xffffu

/* x87 status word (SDM Vol. 1, 8.1.3) and control word (8.1.5). */
#define X86_FSW_IE  (1u << 0)
#define X86_FSW_SF  (1u << 6)
#define X86_FSW_ES  (1u << 7)
#define X86_FSW_C0  (1u << 8)
#define X86_FSW_C1  (1u << 9)
#define X86_FSW_C2  (1u << 10)
#define X86_FSW_TOP_SHIFT 11
#define X86_FSW_TOP (7u << X86_FSW_TOP_SHIFT)
#define X86_FSW_C3  (1u << 14)
#define X86_FSW_B   (1u << 15)
#define X86_FCW_MASKS 0x3fu

/* ---- Availability (SDM Vol. 3A, 2.5 CR0.EM/TS/MP, 13.1; Vol. 2 per
 * instruction "Exceptions" tables) --------------------------------------- */

/* x87: an unmasked exception is waiting for the next waiting instruction:
 * an exception flag whose mask bit is clear. The hardware derives FSW.ES
 * (and B) from exactly this whenever the status or control word is loaded
 * (FLDCW, FLDENV, FRSTOR, FXRSTOR), so a stale ES alone is not pending. */
static inline bool x86_x87_pending(const struct x86_cpu *cpu)
{
    const struct x86_fxstate *fx = &cpu->s.fx;
    return (fx->fsw & ~fx->fcw & X86_FCW_MASKS) != 0;
}

/* FSW with ES and B recomputed from the flags and masks. */
static inline uint16_t x86_x87_status(uint16_t fsw, uint16_t fcw)
{
    fsw &= (uint16_t)~(X86_FSW_ES | X86_FSW_B);
    if (fsw & ~fcw & X86_FCW_MASKS)
        fsw |= X86_FSW_ES | X86_FSW_B;
    return fsw;
}

/* FCW as the hardware keeps it: bit 6 reads as 1, bits 15:13 as 0. */
static inline uint16_t x86_x87_control(uint16_t fcw)
{
    return (uint16_t)((fcw & 0x1f3f) | 0x40);
}

/* SSE/SSE2/SSE3/SSSE3/SSE4 instructions: CR0.EM or CR4.OSFXSR clear ->
 * #UD, CR0.TS -> #NM. */
static inline int x86_sse_check(struct x86_cpu *cpu)
{
    if (unlikely((cpu->s.cr0 & X86_CR0_EM) || !(cpu->s.cr4 & X86_CR4_OSFXSR)))
        return x86_raise(cpu, X86_EXC_UD);
    if (unlikely(cpu->s.cr0 & X86_CR0_TS))
        return x86_raise(cpu, X86_EXC_NM);
    return X86_EXEC_OK;
}

/* MMX instructions: CR0.EM -> #UD, CR0.TS -> #NM, a pending x87 exception
 * -> #MF. CR0.NE = 0 (external FERR# reporting) is not modelled: #MF is
 * raised as with NE = 1. */
static inline int x86_mmx_check(struct x86_cpu *cpu)
{
    if (unlikely(cpu->s.cr0 & X86_CR0_EM))
        return x86_raise(cpu, X86_EXC_UD);
    if (unlikely(cpu->s.cr0 & X86_CR0_TS))
        return x86_raise(cpu, X86_EXC_NM);
    if (unlikely(x86_x87_pending(cpu)))
        return x86_raise(cpu, X86_EXC_MF);
    return X86_EXEC_OK;
}

/* x87 instructions: CR0.EM or CR0.TS -> #NM; a waiting instruction with a
 * pending unmasked exception -> #MF (NE = 0 as for MMX). */
static inline int x86_x87_check(struct x86_cpu *cpu, bool waiting)
{
    if (unlikely(cpu->s.cr0 & (X86_CR0_EM | X86_CR0_TS)))
        return x86_raise(cpu, X86_EXC_NM);
    if (waiting && unlikely(x86_x87_pending(cpu)))
        return x86_raise(cpu, X86_EXC_MF);
    return X86_EXEC_OK;
}

/* True when one of the instruction's operands is of the given kind. */
static inline bool x86_insn_has_kind(const struct x86_insn *in, unsigned kind)
{
    for (unsigned i = 0; i < in->nopnd && i < 4; i++) {
        if (in->opnd[i].kind == kind)
            return true;
    }
    return false;
}

static inline bool x86_insn_has_mmx(const struct x86_insn *in)
{
    return x86_insn_has_kind(in, X86_OPND_MMX);
}

/* The check for an instruction of the MMX/SSE integer and move families:
 * MMX-only forms (including the ones SSE/SSE2/SSSE3 added, like PSHUFW
 * or PSHUFB mm) follow the MMX rules; forms with XMM operands the SSE
 * rules, plus #MF when they also use an MMX register (MOVQ2DQ, MOVDQ2Q). */
static inline int x86_simd_check(struct x86_cpu *cpu, const struct x86_insn *in)
{
    bool mmx = x86_insn_has_mmx(in);
    if (mmx && !x86_insn_has_kind(in, X86_OPND_XMM))
        return x86_mmx_check(cpu);
    int rc = x86_sse_check(cpu);
    if (likely(!rc) && mmx && unlikely(x86_x87_pending(cpu)))
        return x86_raise(cpu, X86_EXC_MF);
    return rc;
}

/* ---- XMM registers ------------------------------------------------------ */

static inline void x86_xmm_get(const struct x86_cpu *cpu, unsigned reg, x86_vec *v)
{
    memcpy(v, cpu->s.fx.xmm[reg & 15], 16);
}

static inline void x86_xmm_set(struct x86_cpu *cpu, unsigned reg, const x86_vec *v)
{
    memcpy(cpu->s.fx.xmm[reg & 15], v, 16);
}

/* ---- x87 stack and MMX registers ----------------------------------------- */

static inline unsigned x86_x87_top(const struct x86_cpu *cpu)
{
    return (cpu->s.fx.fsw & X86_FSW_TOP) >> X86_FSW_TOP_SHIFT;
}

/* MMi is the mantissa of physical register Ri, which is ST((i - TOP) & 7). */
static inline uint64_t x86_mmx_get(const struct x86_cpu *cpu, unsigned reg)
{
    return get_le64(cpu->s.fx.st[(reg - x86_x87_top(cpu)) & 7]);
}

/* Sets TOP (FSW bits 13:11), rotating the stack-ordered slots so that the
 * physical registers keep their contents (FNINIT, FLDENV, FRSTOR...). */
void x86_x87_set_top(struct x86_cpu *cpu, unsigned top);

/* The transition every MMX instruction makes (SDM Vol. 1, 9.5.1): TOP = 0
 * and all eight tags valid. With TOP = 0 slot i holds Ri = MMi. */
void x86_mmx_enter(struct x86_cpu *cpu);

/* Writes MMi (only after x86_mmx_enter: slot i is then Ri): the mantissa, and all ones in the
 * sign/exponent bits 79:64 (SDM Vol. 1, 9.5.2). */
static inline void x86_mmx_set(struct x86_cpu *cpu, unsigned reg, uint64_t v)
{
    uint8_t *slot = cpu->s.fx.st[reg & 7];
    put_le64(slot, v);
    slot[8] = slot[9] = 0xff;
}

/* ---- Operands --------------------------------------------------------------- */

/* The linear address check and access of the memory operand for len bytes
 * of kind X86_ACC_READ/WRITE: 16-byte operands of instructions that
 * require alignment raise #GP(0) when misaligned (SDM Vol. 2, each
 * instruction's #GP conditions: every legacy SSE m128 operand except
 * those of MOVUPS MOVUPD MOVDQU LDDQU MASKMOVDQU and the SSE4.2 string
 * compares). */
int x86_simd_mem_read(struct x86_cpu *cpu, const struct x86_insn *in, void *dst, unsigned len);
int x86_simd_mem_write(struct x86_cpu *cpu, const struct x86_insn *in, const void *src,
                       unsigned len);

/* Reads operand i (XMM, MMX, memory of the operand's size, GPR or IMM)
 * into v, zero-filling the bytes above its size. */
int x86_simd_read(struct x86_cpu *cpu, const struct x86_insn *in, unsigned i, x86_vec *v);

/* Writes operand i: XMM (16 bytes), MMX (8 bytes), memory (the operand's
 * size) or GPR (its size; 32-bit writes zero-extend). When the instruction
 * uses an MMX register it also makes the MMX transition, after the store
 * succeeded, so a faulting store changes nothing. */
int x86_simd_write(struct x86_cpu *cpu, const struct x86_insn *in, unsigned i, const x86_vec *v);

#endif
