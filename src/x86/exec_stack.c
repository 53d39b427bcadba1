/* The stack (see exec_stack.h). */
#include "x86/exec_stack.h"

#include "x86/exec_opnd.h"
#include "x86/exec_seg.h"

/* Sets the stack pointer at the stack width (SP, ESP or RSP). */
static void sp_set(struct x86_cpu *cpu, uint64_t v)
{
    x86_gpr_write(cpu, X86_RSP, cpu->stack_size, v);
}

static uint64_t sp_get(const struct x86_cpu *cpu)
{
    return x86_gpr_read(cpu, X86_RSP, cpu->stack_size);
}

/* ---- PUSH / POP --------------------------------------------------------------- */

int x86_exec_push(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t v;
    int rc = x86_opnd_read(cpu, in, 0, &v);
    if (rc)
        return rc;
    return x86_push(cpu, in->opsize, v);
}

int x86_exec_pop(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opsize;
    const struct x86_opnd *o = &in->opnd[0];
    uint64_t v, old_sp = cpu->s.gpr[X86_RSP];
    int rc = x86_stack_read(cpu, 0, size, &v);
    if (rc)
        return rc;
    switch (o->kind) {
    case X86_OPND_GPR:
        /* POP rSP: the increment happens first, the popped value wins. */
        x86_sp_add(cpu, size);
        x86_gpr_write(cpu, o->reg, size, v);
        return X86_EXEC_OK;
    case X86_OPND_SREG:
        rc = x86_seg_load(cpu, o->reg, (uint16_t)v);
        if (rc)
            return rc;
        x86_sp_add(cpu, size);
        return X86_EXEC_OK;
    case X86_OPND_MEM:
        /* An rSP-based destination address uses the incremented rSP. */
        x86_sp_add(cpu, size);
        rc = x86_opnd_write(cpu, in, 0, v);
        if (rc)
            cpu->s.gpr[X86_RSP] = old_sp;
        return rc;
    default:
        return X86_EXEC_UNSUPPORTED;
    }
}

/* ---- PUSHA / POPA (not in 64-bit mode) --------------------------------------------- */

int x86_exec_pusha(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opsize;
    uint64_t temp = cpu->s.gpr[X86_RSP];
    for (unsigned r = 0; r < 8; r++) {
        uint64_t v = r == X86_RSP ? temp : cpu->s.gpr[r];
        int rc = x86_stack_write(cpu, -(int64_t)(size * (r + 1)), size, v & x86_size_mask(size));
        if (rc)
            return rc;
    }
    x86_sp_add(cpu, -(int64_t)(8 * size));
    return X86_EXEC_OK;
}

int x86_exec_popa(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opsize;
    uint64_t v[8];
    for (unsigned r = 0; r < 8; r++) {
        int rc = x86_stack_read(cpu, (int64_t)(size * (7 - r)), size, &v[r]);
        if (rc)
            return rc;
    }
    for (unsigned r = 0; r < 8; r++) {
        if (r != X86_RSP) /* the saved rSP is skipped */
            x86_gpr_write(cpu, r, size, v[r]);
    }
    x86_sp_add(cpu, 8 * size);
    return X86_EXEC_OK;
}

/* ---- PUSHF / POPF ----------------------------------------------------------------------- */

static unsigned iopl(const struct x86_cpu *cpu)
{
    return (cpu->s.rflags >> 12) & 3;
}

/* PUSHF stores RFLAGS without VM and RF. In virtual-8086 mode with IOPL < 3
 * only the 16-bit form works, and only with CR4.VME: it stores VIF as IF and
 * IOPL as 3 (SDM Vol. 2, PUSHF, Operation). */
int x86_exec_pushf(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opsize;
    uint64_t f = x86_get_rflags(cpu) & ~(uint64_t)(X86_FLAG_VM | X86_FLAG_RF);
    if (cpu->mode == X86_MODE_VM86 && iopl(cpu) < 3) {
        if (!(cpu->s.cr4 & X86_CR4_VME) || size != 2)
            return x86_raise_err(cpu, X86_EXC_GP, 0);
        f = (f & ~(uint64_t)X86_FLAG_IF) | X86_FLAG_IOPL;
        if (cpu->s.rflags & X86_FLAG_VIF)
            f |= X86_FLAG_IF;
    }
    return x86_push(cpu, size, f & x86_size_mask(size));
}

/* Flags any POPF may load: the arithmetic flags, TF, DF, NT, AC, ID (IF
 * and IOPL by privilege below; RF is cleared; VM, VIF, VIP are kept). */
#define POPF_BASE                                                                           \
    (X86_FLAGS_ARITH | X86_FLAG_TF | X86_FLAG_DF | X86_FLAG_NT | X86_FLAG_AC | X86_FLAG_ID)

/* The RFLAGS bits POPF may change here (SDM Vol. 2, POPF, Operation). */
static uint64_t popf_mask(const struct x86_cpu *cpu)
{
    uint64_t m = POPF_BASE;
    if (cpu->cpl == 0)
        m |= X86_FLAG_IF | X86_FLAG_IOPL;
    else if (cpu->cpl <= iopl(cpu))
        m |= X86_FLAG_IF;
    return m;
}

static int popf_vm86(struct x86_cpu *cpu, unsigned size, uint64_t v, uint64_t *mask)
{
    if (iopl(cpu) == 3) {
        *mask = POPF_BASE | X86_FLAG_IF;
        return X86_EXEC_OK;
    }
    if (!(cpu->s.cr4 & X86_CR4_VME) || size != 2)
        return x86_raise_err(cpu, X86_EXC_GP, 0);
    /* VME: IF goes to VIF; a pending virtual interrupt or TF faults. */
    if (((cpu->s.rflags & X86_FLAG_VIP) && (v & X86_FLAG_IF)) || (v & X86_FLAG_TF))
        return x86_raise_err(cpu, X86_EXC_GP, 0);
    cpu->s.rflags = (cpu->s.rflags & ~(uint64_t)X86_FLAG_VIF) |
                    ((v & X86_FLAG_IF) ? X86_FLAG_VIF : 0);
    *mask = POPF_BASE;
    return X86_EXEC_OK;
}

int x86_exec_popf(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opsize;
    uint64_t v, mask = 0;
    int rc = x86_stack_read(cpu, 0, size, &v);
    if (rc)
        return rc;
    x86_flags_materialize(cpu);
    if (cpu->mode == X86_MODE_VM86) {
        rc = popf_vm86(cpu, size, v, &mask);
        if (rc)
            return rc;
    } else {
        mask = popf_mask(cpu);
    }
    mask &= x86_size_mask(size);
    uint64_t f = (cpu->s.rflags & ~mask) | (v & mask);
    if (size != 2)
        f &= ~(uint64_t)X86_FLAG_RF;
    cpu->s.rflags = f | X86_FLAG_FIXED;
    x86_sp_add(cpu, size);
    return X86_EXEC_OK;
}

/* ---- ENTER / LEAVE ----------------------------------------------------------------------- */

/* ENTER alloc, level: push rBP, copy level - 1 frame pointers from the
 * enclosing frame, push the new frame pointer, then reserve alloc bytes.
 * The final stack pointer must be writable (SDM: #SS/#PF "if a write using
 * the final value of the stack pointer would" fault); it is probed before
 * anything is written. Registers change only once every access succeeded. */
int x86_exec_enter(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opsize, level = in->imm2 & 31;
    uint64_t alloc = in->imm & 0xffff, smask = x86_size_mask(cpu->stack_size);
    uint64_t sp = sp_get(cpu), bp = cpu->s.gpr[X86_RBP];
    uint64_t pushes = level ? level + 1 : 1;
    int rc;

    uint64_t final_sp = (sp - pushes * size - alloc) & smask;
    if ((rc = x86_mem_probe_write(cpu, X86_SS, final_sp, size)))
        return rc;
    sp = (sp - size) & smask;
    if ((rc = x86_mem_write(cpu, X86_SS, sp, size, bp & x86_size_mask(size))))
        return rc;
    uint64_t frame = sp;
    if (level > 0) {
        for (unsigned i = 1; i < level; i++) {
            uint64_t v;
            uint64_t at = (bp - (uint64_t)i * size) & smask;
            if ((rc = x86_mem_read(cpu, X86_SS, at, size, &v)))
                return rc;
            sp = (sp - size) & smask;
            if ((rc = x86_mem_write(cpu, X86_SS, sp, size, v)))
                return rc;
        }
        sp = (sp - size) & smask;
        if ((rc = x86_mem_write(cpu, X86_SS, sp, size, frame & x86_size_mask(size))))
            return rc;
    }
    x86_gpr_write(cpu, X86_RBP, size, frame);
    sp_set(cpu, final_sp);
    return X86_EXEC_OK;
}

/* LEAVE: rSP = rBP, then pop rBP. */
int x86_exec_leave(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opsize;
    uint64_t smask = x86_size_mask(cpu->stack_size);
    uint64_t bp = cpu->s.gpr[X86_RBP] & smask, v;
    int rc = x86_mem_read(cpu, X86_SS, bp, size, &v);
    if (rc)
        return rc;
    sp_set(cpu, (bp + size) & smask);
    x86_gpr_write(cpu, X86_RBP, size, v);
    return X86_EXEC_OK;
}
