/* Port I/O and interrupt-flag control (see exec_io.h). */
#include "x86/exec_io.h"

#include "x86/exec_opnd.h"

static unsigned iopl(const struct x86_cpu *cpu)
{
    return (cpu->s.rflags >> 12) & 3;
}

int x86_io_check(struct x86_cpu *cpu, uint16_t port, unsigned size)
{
    if (cpu->mode == X86_MODE_REAL)
        return X86_EXEC_OK;
    if (cpu->mode != X86_MODE_VM86 && cpu->cpl <= iopl(cpu))
        return X86_EXEC_OK;
    bool allowed = false;
    if (cpu->ops->io_bitmap) {
        int rc = cpu->ops->io_bitmap(cpu, port, size, &allowed);
        if (rc)
            return rc;
    }
    return allowed ? X86_EXEC_OK : x86_raise_err(cpu, X86_EXC_GP, 0);
}

/* IN AL/AX/EAX, imm8 or DX: opnd[0] = accumulator, opnd[1] = port. */
int x86_exec_in(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opnd[0].size;
    uint64_t port;
    uint32_t v;
    int rc = x86_opnd_read(cpu, in, 1, &port);
    if (rc)
        return rc;
    if ((rc = x86_io_check(cpu, (uint16_t)port, size)))
        return rc;
    if (!cpu->ops->pio_in)
        return X86_EXEC_UNSUPPORTED;
    if ((rc = cpu->ops->pio_in(cpu, (uint16_t)port, size, &v)))
        return rc;
    x86_gpr_write(cpu, X86_RAX, size, v);
    return X86_EXEC_OK;
}

/* OUT imm8 or DX, AL/AX/EAX: opnd[0] = port, opnd[1] = accumulator. */
int x86_exec_out(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned size = in->opnd[1].size;
    uint64_t port;
    int rc = x86_opnd_read(cpu, in, 0, &port);
    if (rc)
        return rc;
    if ((rc = x86_io_check(cpu, (uint16_t)port, size)))
        return rc;
    if (!cpu->ops->pio_out)
        return X86_EXEC_UNSUPPORTED;
    return cpu->ops->pio_out(cpu, (uint16_t)port, size,
                             (uint32_t)x86_gpr_read(cpu, X86_RAX, size));
}

/* HLT: privileged; RIP moves past it and the caller waits for an interrupt. */
int x86_exec_hlt(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    if (cpu->cpl != 0)
        return x86_raise_err(cpu, X86_EXC_GP, 0);
    return X86_EXEC_HALT;
}

/* Whether CLI/STI act on VIF instead of IF: virtual-8086 mode with CR4.VME,
 * or protected mode at CPL 3 with CR4.PVI, when IOPL is too low
 * (SDM Vol. 2, CLI, Table 3-7). */
static bool virtual_if(const struct x86_cpu *cpu)
{
    if (cpu->mode == X86_MODE_VM86)
        return cpu->s.cr4 & X86_CR4_VME;
    return cpu->cpl == 3 && (cpu->s.cr4 & X86_CR4_PVI);
}

static bool if_allowed(const struct x86_cpu *cpu)
{
    if (cpu->mode == X86_MODE_REAL)
        return true;
    if (cpu->mode == X86_MODE_VM86)
        return iopl(cpu) == 3;
    return cpu->cpl <= iopl(cpu);
}

int x86_exec_cli(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    if (if_allowed(cpu))
        cpu->s.rflags &= ~(uint64_t)X86_FLAG_IF;
    else if (virtual_if(cpu))
        cpu->s.rflags &= ~(uint64_t)X86_FLAG_VIF;
    else
        return x86_raise_err(cpu, X86_EXC_GP, 0);
    return X86_EXEC_OK;
}

/* STI: setting IF blocks interrupts until the next instruction completes. */
int x86_exec_sti(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    if (if_allowed(cpu)) {
        if (!(cpu->s.rflags & X86_FLAG_IF))
            cpu->intr_shadow = true;
        cpu->s.rflags |= X86_FLAG_IF;
    } else if (virtual_if(cpu) && !(cpu->s.rflags & X86_FLAG_VIP)) {
        cpu->s.rflags |= X86_FLAG_VIF;
    } else {
        return x86_raise_err(cpu, X86_EXC_GP, 0);
    }
    return X86_EXEC_OK;
}
