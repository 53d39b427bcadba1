/* The executor's core: CPU state management, dispatch, fetch-decode-execute
 * for the kvm fallback, and exceptions (API in x86/emu.h). */
#include "x86/exec_table.h"

#include <string.h>

#include "x86/flags.h"
#include "x86/mem.h"

/* ---- CPU state ------------------------------------------------------------ */

/* Power-on state (SDM Vol. 3A, 10.1.1, Table 10-1). */
static void reset_state(struct x86_state *s)
{
    memset(s, 0, sizeof(*s));
    s->rflags = X86_FLAG_FIXED;
    s->rip = 0xfff0;
    s->cr0 = X86_CR0_ET | X86_CR0_NW | X86_CR0_CD;
    for (unsigned i = 0; i < 6; i++) {
        s->seg[i].limit = 0xffff;
        s->seg[i].attr = X86_SEG_P | X86_SEG_S | 0x3; /* read/write data, accessed */
    }
    s->seg[X86_CS].sel = 0xf000;
    s->seg[X86_CS].base = 0xffff0000u;
    s->seg[X86_CS].attr = X86_SEG_P | X86_SEG_S | 0xb; /* execute/read code, accessed */
    s->seg[X86_LDTR].limit = s->seg[X86_TR].limit = 0xffff;
    s->seg[X86_LDTR].attr = X86_SEG_P | 0x2;
    s->seg[X86_TR].attr = X86_SEG_P | 0xb;
    s->gdt.limit = s->idt.limit = 0xffff;
    s->pat = 0x0007040600070406ull;
    s->fx.fcw = 0x37f;
    s->fx.mxcsr = 0x1f80;
}

void x86_cpu_init(struct x86_cpu *cpu, const struct x86_emu_ops *ops, void *ctx)
{
    memset(cpu, 0, sizeof(*cpu));
    reset_state(&cpu->s);
    cpu->ops = ops;
    cpu->ctx = ctx;
    x86_cpu_refresh(cpu);
}

void x86_cpu_refresh(struct x86_cpu *cpu)
{
    const struct x86_state *s = &cpu->s;
    cpu->mode = (uint8_t)x86_state_mode(s);
    switch (cpu->mode) {
    case X86_MODE_REAL:
        cpu->cpl = 0;
        break;
    case X86_MODE_VM86:
        cpu->cpl = 3;
        break;
    default:
        cpu->cpl = (uint8_t)X86_SEG_DPL(s->seg[X86_SS].attr);
        break;
    }
    if (cpu->mode == X86_MODE_LONG64)
        cpu->stack_size = 8;
    else
        cpu->stack_size = (s->seg[X86_SS].attr & X86_SEG_DB) ? 4 : 2;
}

void x86_cpu_set_state(struct x86_cpu *cpu, const struct x86_state *s)
{
    cpu->s = *s;
    cpu->s.rflags |= X86_FLAG_FIXED;
    cpu->lf.op = X86_LAZY_NONE;
    x86_cpu_refresh(cpu);
}

void x86_cpu_get_state(struct x86_cpu *cpu, struct x86_state *out)
{
    x86_flags_materialize(cpu);
    *out = cpu->s;
}

uint64_t x86_get_rflags(struct x86_cpu *cpu)
{
    x86_flags_materialize(cpu);
    return cpu->s.rflags;
}

void x86_set_rflags(struct x86_cpu *cpu, uint64_t rflags)
{
    bool vm_changed = (cpu->s.rflags ^ rflags) & X86_FLAG_VM;
    cpu->s.rflags = rflags | X86_FLAG_FIXED;
    cpu->lf.op = X86_LAZY_NONE;
    if (vm_changed)
        x86_cpu_refresh(cpu);
}

/* ---- Exceptions ----------------------------------------------------------- */

int x86_raise(struct x86_cpu *cpu, unsigned vector)
{
    cpu->exc = (struct x86_exception){ .vector = (uint8_t)vector };
    return X86_EXEC_EXCEPTION;
}

int x86_raise_err(struct x86_cpu *cpu, unsigned vector, uint32_t error_code)
{
    cpu->exc = (struct x86_exception){ .vector = (uint8_t)vector, .has_error = true,
                                       .error_code = error_code };
    return X86_EXEC_EXCEPTION;
}

int x86_raise_pf(struct x86_cpu *cpu, uint32_t error_code, uint64_t la)
{
    cpu->exc = (struct x86_exception){ .vector = X86_EXC_PF, .has_error = true,
                                       .error_code = error_code, .cr2 = la };
    return X86_EXEC_EXCEPTION;
}

/* ---- Execution ------------------------------------------------------------ */

int x86_exec(struct x86_cpu *cpu, const struct x86_insn *insn)
{
    if (unlikely(insn->op >= X86_OP_COUNT))
        return X86_EXEC_UNSUPPORTED;
    x86_exec_fn fn = x86_exec_handlers[insn->op];
    if (unlikely(!fn))
        return X86_EXEC_UNSUPPORTED;

    uint64_t next = cpu->s.rip + insn->len;
    if (cpu->mode != X86_MODE_LONG64)
        next &= 0xffffffffu;
    cpu->next_rip = next;
    cpu->intr_shadow = false;

    int rc = fn(cpu, insn);
    if (likely(rc == X86_EXEC_OK || rc == X86_EXEC_HALT))
        cpu->s.rip = cpu->next_rip;
    return rc;
}

/* How many instruction bytes may be fetched at RIP: up to 15, stopping at
 * the CS limit (legacy modes) or the end of the canonical range. Raises
 * #GP(0) when not even one byte may be fetched. */
static int fetch_window(struct x86_cpu *cpu, uint64_t *la, unsigned *avail)
{
    uint64_t rip = cpu->s.rip;
    if (cpu->mode == X86_MODE_LONG64) {
        if (!x86_canonical(cpu, rip))
            return x86_raise_err(cpu, X86_EXC_GP, 0);
        unsigned n = 1;
        while (n < 15 && rip + n > rip && x86_canonical(cpu, rip + n))
            n++;
        *la = rip;
        *avail = n;
        return X86_EXEC_OK;
    }
    const struct x86_seg *cs = &cpu->s.seg[X86_CS];
    rip &= 0xffffffffu;
    if (rip > cs->limit)
        return x86_raise_err(cpu, X86_EXC_GP, 0);
    *avail = (unsigned)MIN(15, (uint64_t)cs->limit - rip + 1);
    *la = (cs->base + rip) & 0xffffffffu;
    return X86_EXEC_OK;
}

int x86_emulate_one(struct x86_cpu *cpu, struct x86_insn *insn)
{
    struct x86_insn local;
    struct x86_insn *in = insn ? insn : &local;
    unsigned acc = x86_mem_acc(cpu, X86_ACC_EXEC);
    uint8_t bytes[15];
    uint64_t la = 0;
    unsigned avail = 0;

    int rc = fetch_window(cpu, &la, &avail);
    if (rc)
        return rc;
    /* Fetch to the end of the page first: the next page is touched (and may
     * fault) only if the instruction really continues there. */
    unsigned first = (unsigned)MIN(avail, 0x1000 - (la & 0xfff));
    rc = x86_mem_read_la(cpu, la, bytes, first, acc);
    if (rc)
        return rc;
    int len = x86_decode(bytes, first, (enum x86_mode)cpu->mode, in);
    if (len == X86_DECODE_NEED_MORE && first < avail) {
        uint64_t la2 = la + first;
        if (cpu->mode != X86_MODE_LONG64)
            la2 &= 0xffffffffu;
        rc = x86_mem_read_la(cpu, la2, bytes + first, avail - first, acc);
        if (rc)
            return rc;
        len = x86_decode(bytes, avail, (enum x86_mode)cpu->mode, in);
    }
    if (len == X86_DECODE_UD)
        return x86_raise(cpu, X86_EXC_UD);
    if (len < 0)
        return x86_raise_err(cpu, X86_EXC_GP, 0); /* too long, or runs past the limit */
    return x86_exec(cpu, in);
}
