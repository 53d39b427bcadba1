/* Lazy arithmetic flags (the scheme is described in x86/emu.h).
 *
 * Instructions record their operation with the x86_flags_set_*() helpers;
 * readers call x86_flags_compute(), x86_flags_cf() or x86_cond(). Flag
 * definitions follow the SDM Vol. 1, 3.4.3.1 and each instruction's "Flags
 * Affected" section. */
#ifndef VMON_X86_FLAGS_H
#define VMON_X86_FLAGS_H

#include <stdbool.h>
#include <stdint.h>

#include "x86/emu.h"

#define X86_FLAGS_ARITH                                                                   \
    (X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF | X86_FLAG_ZF | X86_FLAG_SF | X86_FLAG_OF)

/* All-ones in the low size bytes (size 1, 2, 4 or 8). */
static inline uint64_t x86_size_mask(unsigned size)
{
    return ~(uint64_t)0 >> (64 - 8 * size);
}

/* The sign bit of a size-byte value. */
static inline uint64_t x86_size_sign(unsigned size)
{
    return (uint64_t)1 << (8 * size - 1);
}

/* Sign-extends the low size bytes of v. */
static inline int64_t x86_sext(uint64_t v, unsigned size)
{
    unsigned sh = 64 - 8 * size;
    return (int64_t)(v << sh) >> sh;
}

/* The six arithmetic flags (X86_FLAGS_ARITH bits) of the recorded operation. */
uint32_t x86_flags_compute(const struct x86_cpu *cpu);

/* CF alone, cheaper than the whole set (ADC, SBB, INC, DEC, RCL, RCR). */
static inline bool x86_flags_cf(const struct x86_cpu *cpu)
{
    const struct x86_lazy_flags *lf = &cpu->lf;
    switch (lf->op) {
    case X86_LAZY_NONE:
        return cpu->s.rflags & X86_FLAG_CF;
    case X86_LAZY_ADD:
        return lf->dst < lf->src1;
    case X86_LAZY_ADC:
        return lf->dst <= lf->src1;
    case X86_LAZY_SUB:
        return lf->src1 < lf->src2;
    case X86_LAZY_SBB:
        return lf->src1 <= lf->src2;
    case X86_LAZY_INC:
    case X86_LAZY_DEC:
        return lf->src2 != 0;
    case X86_LAZY_SZP:
        return lf->src1 & X86_FLAG_CF;
    default: /* X86_LAZY_LOGIC */
        return false;
    }
}

/* Evaluates condition code cc (0-15, the low nibble of Jcc/SETcc/CMOVcc). */
bool x86_cond(const struct x86_cpu *cpu, unsigned cc);

/* Folds the lazy record into s.rflags (op becomes X86_LAZY_NONE). */
void x86_flags_materialize(struct x86_cpu *cpu);

/* Replaces the arithmetic flags in mask by bits (others keep their value). */
void x86_flags_update(struct x86_cpu *cpu, uint32_t mask, uint32_t bits);

static inline void x86_flags_record(struct x86_cpu *cpu, enum x86_lazy_op op, unsigned size,
                                    uint64_t dst, uint64_t src1, uint64_t src2)
{
    cpu->lf.op = (uint8_t)op;
    cpu->lf.size = (uint8_t)size;
    cpu->lf.dst = dst;
    cpu->lf.src1 = src1;
    cpu->lf.src2 = src2;
}

/* A result whose CF/OF are 0 (AND, OR, XOR, TEST). */
static inline void x86_flags_set_logic(struct x86_cpu *cpu, unsigned size, uint64_t res)
{
    x86_flags_record(cpu, X86_LAZY_LOGIC, size, res, 0, 0);
}

/* SF/ZF/PF from res, CF/AF/OF given explicitly as RFLAGS bits (shifts,
 * multiplies, ...). */
static inline void x86_flags_set_szp(struct x86_cpu *cpu, unsigned size, uint64_t res,
                                     uint32_t cf_af_of)
{
    x86_flags_record(cpu, X86_LAZY_SZP, size, res, cf_af_of, 0);
}

/* Materialised RFLAGS arithmetic bits of op/size/operands (used by the
 * unit tests and by x86_flags_compute). */
uint32_t x86_flags_eval(const struct x86_lazy_flags *lf);

#endif
