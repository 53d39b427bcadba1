/* Near control transfers (see exec_branch.h). */
#include "x86/exec_branch.h"

#include "x86/exec_opnd.h"

/* The target of operand 0: next RIP + displacement, or an r/m value. */
static int branch_target(struct x86_cpu *cpu, const struct x86_insn *in, uint64_t *target)
{
    if (in->opnd[0].kind == X86_OPND_REL) {
        *target = cpu->next_rip + in->imm;
        return X86_EXEC_OK;
    }
    return x86_opnd_read(cpu, in, 0, target);
}

int x86_exec_jmp(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t target;
    int rc = branch_target(cpu, in, &target);
    if (rc)
        return rc;
    return x86_branch(cpu, target, in->opsize);
}

int x86_exec_call(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t target, ret = cpu->next_rip;
    int rc = branch_target(cpu, in, &target);
    if (rc)
        return rc;
    rc = x86_branch(cpu, target, in->opsize);
    if (rc)
        return rc;
    return x86_push(cpu, in->opsize, ret & x86_size_mask(in->opsize));
}

/* RET [imm16]: pop the target, then release imm16 more bytes. */
int x86_exec_ret(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opsize;
    uint64_t target, release = in->nopnd ? in->imm & 0xffff : 0;
    int rc = x86_stack_read(cpu, 0, size, &target);
    if (rc)
        return rc;
    rc = x86_branch(cpu, target, size);
    if (rc)
        return rc;
    x86_sp_add(cpu, (int64_t)(size + release));
    return X86_EXEC_OK;
}

int x86_exec_jcc(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (!x86_cond(cpu, in->opcode & 0xf))
        return X86_EXEC_OK;
    return x86_branch(cpu, cpu->next_rip + in->imm, in->opsize);
}

int x86_exec_jcxz(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (x86_count_read(cpu, in->addrsize) != 0)
        return X86_EXEC_OK;
    return x86_branch(cpu, cpu->next_rip + in->imm, in->opsize);
}

/* LOOP/LOOPE/LOOPNE: decrement the count register (at the address size),
 * branch while it is non-zero (and ZF is 1 / 0). Flags are not changed. */
int x86_exec_loop(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t count = (x86_count_read(cpu, in->addrsize) - 1) & x86_size_mask(in->addrsize);
    bool taken = count != 0;
    if (taken && in->op != X86_OP_LOOP) {
        bool zf = x86_flags_compute(cpu) & X86_FLAG_ZF;
        taken = in->op == X86_OP_LOOPE ? zf : !zf;
    }
    if (taken) {
        int rc = x86_branch(cpu, cpu->next_rip + in->imm, in->opsize);
        if (rc)
            return rc;
    }
    x86_count_write(cpu, in->addrsize, count);
    return X86_EXEC_OK;
}
