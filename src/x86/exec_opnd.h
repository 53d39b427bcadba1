/* Operand plumbing shared by the instruction families: registers, the
 * memory operand's effective address, immediates, read-modify-write
 * destinations and branch targets. Handlers only do their operation. */
#ifndef VMON_X86_EXEC_OPND_H
#define VMON_X86_EXEC_OPND_H

#include <stdbool.h>
#include <stdint.h>

#include "x86/emu.h"
#include "x86/flags.h"
#include "x86/mem.h"

/* ---- General-purpose registers ------------------------------------------ */

/* reg is 0-15 or X86_REG_AH..X86_REG_BH (legacy high bytes, size 1). */
static inline __attribute__((always_inline)) uint64_t x86_gpr_read(const struct x86_cpu *cpu,
                                                                   unsigned reg, unsigned size)
{
    if (size == 1 && reg >= X86_REG_AH)
        return (cpu->s.gpr[reg & 3] >> 8) & 0xff;
    return cpu->s.gpr[reg & 15] & x86_size_mask(size);
}

/* Register writes: 32-bit writes zero bits 63:32, 8/16-bit writes keep the
 * rest (SDM Vol. 1, 3.4.1.1). */
static inline __attribute__((always_inline)) void x86_gpr_write(struct x86_cpu *cpu, unsigned reg,
                                                               unsigned size, uint64_t v)
{
    if (size == 1 && reg >= X86_REG_AH) {
        uint64_t *r = &cpu->s.gpr[reg & 3];
        *r = (*r & ~(uint64_t)0xff00) | ((v & 0xff) << 8);
        return;
    }
    uint64_t *r = &cpu->s.gpr[reg & 15];
    switch (size) {
    case 1: *r = (*r & ~(uint64_t)0xff) | (v & 0xff); break;
    case 2: *r = (*r & ~(uint64_t)0xffff) | (v & 0xffff); break;
    case 4: *r = (uint32_t)v; break;
    default: *r = v; break;
    }
}

/* ---- Memory operand ------------------------------------------------------ */

/* The offset of the instruction's memory operand within segment insn->seg,
 * wrapped to the address size (SDM Vol. 1, 3.7.5). */
static inline uint64_t x86_ea(const struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t ea = (uint64_t)(int64_t)in->disp;
    if (in->base != X86_REG_NONE)
        ea += in->base == X86_REG_RIP ? cpu->s.rip + in->len : cpu->s.gpr[in->base & 15];
    if (in->index != X86_REG_NONE)
        ea += cpu->s.gpr[in->index & 15] << (in->scale & 3);
    return ea & x86_size_mask(in->addrsize);
}

/* ---- Generic operands ---------------------------------------------------- */

/* Out-of-line parts of the accessors below (memory and the rarer kinds). */
int x86_opnd_read_slow(struct x86_cpu *cpu, const struct x86_insn *in, unsigned i, uint64_t *val);
int x86_opnd_write_slow(struct x86_cpu *cpu, const struct x86_insn *in, unsigned i, uint64_t val);

/* Reads operand i (GPR, MEM, MOFFS, IMM or SREG selector) at its own size. */
static inline int x86_opnd_read(struct x86_cpu *cpu, const struct x86_insn *in, unsigned i,
                                uint64_t *val)
{
    const struct x86_opnd *o = &in->opnd[i];
    if (likely(o->kind == X86_OPND_GPR)) {
        *val = x86_gpr_read(cpu, o->reg, o->size);
        return X86_EXEC_OK;
    }
    return x86_opnd_read_slow(cpu, in, i, val);
}

/* Writes operand i (GPR, MEM or MOFFS) at its own size. */
static inline int x86_opnd_write(struct x86_cpu *cpu, const struct x86_insn *in, unsigned i,
                                 uint64_t val)
{
    const struct x86_opnd *o = &in->opnd[i];
    if (likely(o->kind == X86_OPND_GPR)) {
        x86_gpr_write(cpu, o->reg, o->size, val);
        return X86_EXEC_OK;
    }
    return x86_opnd_write_slow(cpu, in, i, val);
}

/* A destination that is read, modified and written back (ADD r/m, ...). */
struct x86_dst {
    struct x86_rmw m;
    bool mem;
    uint8_t reg;
    uint8_t size;
};

int x86_dst_begin_mem(struct x86_cpu *cpu, const struct x86_insn *in, unsigned i,
                      struct x86_dst *d, uint64_t *old);

/* Reads the destination operand i; for memory, checks write permission and,
 * with LOCK, prepares an atomic update. */
static inline int x86_dst_begin(struct x86_cpu *cpu, const struct x86_insn *in, unsigned i,
                                struct x86_dst *d, uint64_t *old)
{
    const struct x86_opnd *o = &in->opnd[i];
    d->size = o->size;
    if (likely(o->kind == X86_OPND_GPR)) {
        d->mem = false;
        d->reg = o->reg;
        *old = x86_gpr_read(cpu, o->reg, o->size);
        return X86_EXEC_OK;
    }
    return x86_dst_begin_mem(cpu, in, i, d, old);
}

/* Writes the new value back (plain store, also for LOCK without a CAS loop). */
static inline int x86_dst_commit(struct x86_cpu *cpu, const struct x86_dst *d, uint64_t val)
{
    if (!d->mem) {
        x86_gpr_write(cpu, d->reg, d->size, val);
        return X86_EXEC_OK;
    }
    return x86_mem_rmw_end(cpu, &d->m, val);
}

/* ---- Control transfer ---------------------------------------------------- */

/* Sets the next RIP to target truncated to size bytes, after the CS limit
 * check (legacy modes) or canonical check (64-bit mode): #GP(0). */
int x86_branch(struct x86_cpu *cpu, uint64_t target, unsigned size);

/* The address size's count register (CX, ECX or RCX). */
static inline uint64_t x86_count_read(const struct x86_cpu *cpu, unsigned addrsize)
{
    return cpu->s.gpr[X86_RCX] & x86_size_mask(addrsize);
}

static inline void x86_count_write(struct x86_cpu *cpu, unsigned addrsize, uint64_t v)
{
    x86_gpr_write(cpu, X86_RCX, addrsize, v);
}

#endif
