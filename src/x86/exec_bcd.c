/* Decimal arithmetic (see exec_bcd.h). Undefined flags (OF for DAA/DAS; OF
 * SF ZF PF for AAA/AAS; OF AF CF for AAM/AAD) are given by the result as
 * SF ZF PF, and OF AF CF as 0, unless set below. */
#include "x86/exec_bcd.h"

#include "x86/exec_opnd.h"

static uint8_t al(const struct x86_cpu *cpu)
{
    return (uint8_t)cpu->s.gpr[X86_RAX];
}

/* DAA: adjust AL after an addition of two packed BCD bytes. */
int x86_exec_daa(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    uint32_t f = x86_flags_compute(cpu);
    uint8_t old = al(cpu), v = old;
    bool af = false;
    /* The SDM's first step also computes a carry, but the second step
     * always overrides CF. */
    if ((v & 0xf) > 9 || (f & X86_FLAG_AF)) {
        v += 6;
        af = true;
    }
    bool cf = old > 0x99 || (f & X86_FLAG_CF);
    if (cf)
        v += 0x60;
    x86_gpr_write(cpu, X86_RAX, 1, v);
    x86_flags_set_szp(cpu, 1, v, (cf ? X86_FLAG_CF : 0) | (af ? X86_FLAG_AF : 0));
    return X86_EXEC_OK;
}

/* DAS: adjust AL after a subtraction of two packed BCD bytes. */
int x86_exec_das(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    uint32_t f = x86_flags_compute(cpu);
    uint8_t old = al(cpu), v = old;
    bool cf = false, af = false;
    if ((v & 0xf) > 9 || (f & X86_FLAG_AF)) {
        cf = (f & X86_FLAG_CF) || v < 6;
        v -= 6;
        af = true;
    }
    if (old > 0x99 || (f & X86_FLAG_CF)) {
        v -= 0x60;
        cf = true;
    }
    x86_gpr_write(cpu, X86_RAX, 1, v);
    x86_flags_set_szp(cpu, 1, v, (cf ? X86_FLAG_CF : 0) | (af ? X86_FLAG_AF : 0));
    return X86_EXEC_OK;
}

/* AAA / AAS: adjust AL (and AH) after an unpacked BCD addition/subtraction;
 * AX moves by 106h with AF = CF = 1 when a decimal carry/borrow occurred. */
static int ascii_adjust(struct x86_cpu *cpu, bool add)
{
    uint32_t f = x86_flags_compute(cpu);
    uint16_t ax = (uint16_t)cpu->s.gpr[X86_RAX];
    bool adjust = (ax & 0xf) > 9 || (f & X86_FLAG_AF);
    if (adjust)
        ax = add ? (uint16_t)(ax + 0x106) : (uint16_t)(ax - 0x106);
    ax &= 0xff0f;
    x86_gpr_write(cpu, X86_RAX, 2, ax);
    x86_flags_set_szp(cpu, 1, ax & 0xff, adjust ? X86_FLAG_AF | X86_FLAG_CF : 0);
    return X86_EXEC_OK;
}

int x86_exec_aaa(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    return ascii_adjust(cpu, true);
}

int x86_exec_aas(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    return ascii_adjust(cpu, false);
}

/* AAM imm8: AH = AL / imm8, AL = AL mod imm8; #DE for imm8 = 0. */
int x86_exec_aam(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint8_t base = (uint8_t)in->imm, v = al(cpu);
    if (base == 0)
        return x86_raise(cpu, X86_EXC_DE);
    uint8_t lo = v % base;
    x86_gpr_write(cpu, X86_RAX, 2, ((unsigned)(v / base) << 8) | lo);
    x86_flags_set_szp(cpu, 1, lo, 0);
    return X86_EXEC_OK;
}

/* AAD imm8: AL = AL + AH * imm8, AH = 0. */
int x86_exec_aad(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint8_t base = (uint8_t)in->imm;
    uint16_t ax = (uint16_t)cpu->s.gpr[X86_RAX];
    uint8_t v = (uint8_t)((ax & 0xff) + (ax >> 8) * base);
    x86_gpr_write(cpu, X86_RAX, 2, v);
    x86_flags_set_szp(cpu, 1, v, 0);
    return X86_EXEC_OK;
}
