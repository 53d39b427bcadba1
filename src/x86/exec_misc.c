/* Flag instructions, no-operations, #UD and host services (see exec_misc.h). */
#include "x86/exec_misc.h"

#include "x86/exec_opnd.h"

int x86_exec_clc(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    x86_flags_update(cpu, X86_FLAG_CF, 0);
    return X86_EXEC_OK;
}

int x86_exec_stc(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    x86_flags_update(cpu, X86_FLAG_CF, X86_FLAG_CF);
    return X86_EXEC_OK;
}

int x86_exec_cmc(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    x86_flags_update(cpu, X86_FLAG_CF, x86_flags_cf(cpu) ? 0 : X86_FLAG_CF);
    return X86_EXEC_OK;
}

int x86_exec_cld(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    cpu->s.rflags &= ~(uint64_t)X86_FLAG_DF;
    return X86_EXEC_OK;
}

int x86_exec_std(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    cpu->s.rflags |= X86_FLAG_DF;
    return X86_EXEC_OK;
}

/* SALC (undocumented D6): AL = CF ? FFh : 0. */
int x86_exec_salc(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    x86_gpr_write(cpu, X86_RAX, 1, x86_flags_cf(cpu) ? 0xff : 0);
    return X86_EXEC_OK;
}

/* NOP, PAUSE and prefetch hints: no memory access, no fault. */
int x86_exec_nop(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)cpu;
    (void)in;
    return X86_EXEC_OK;
}

/* LFENCE/SFENCE/MFENCE: a full host fence orders this vCPU's emulated
 * accesses against other threads (stronger than LFENCE/SFENCE need). */
int x86_exec_fence(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)cpu;
    (void)in;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return X86_EXEC_OK;
}

int x86_exec_ud(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    return x86_raise(cpu, X86_EXC_UD);
}

/* CPUID: EAX = leaf, ECX = sub-leaf; the callback decides what the guest
 * sees. */
int x86_exec_cpuid(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    uint32_t r[4];
    if (!cpu->ops->cpuid)
        return X86_EXEC_UNSUPPORTED;
    int rc = cpu->ops->cpuid(cpu, (uint32_t)cpu->s.gpr[X86_RAX], (uint32_t)cpu->s.gpr[X86_RCX], r);
    if (rc)
        return rc;
    x86_gpr_write(cpu, X86_RAX, 4, r[0]);
    x86_gpr_write(cpu, X86_RBX, 4, r[1]);
    x86_gpr_write(cpu, X86_RCX, 4, r[2]);
    x86_gpr_write(cpu, X86_RDX, 4, r[3]);
    return X86_EXEC_OK;
}

/* RDTSC / RDTSCP: EDX:EAX = TSC (#GP(0) at CPL > 0 with CR4.TSD); RDTSCP
 * also loads ECX with IA32_TSC_AUX. */
int x86_exec_rdtsc(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t tsc;
    if ((cpu->s.cr4 & X86_CR4_TSD) && cpu->cpl != 0)
        return x86_raise_err(cpu, X86_EXC_GP, 0);
    if (!cpu->ops->rdtsc)
        return X86_EXEC_UNSUPPORTED;
    int rc = cpu->ops->rdtsc(cpu, &tsc);
    if (rc)
        return rc;
    x86_gpr_write(cpu, X86_RAX, 4, tsc);
    x86_gpr_write(cpu, X86_RDX, 4, tsc >> 32);
    if (in->op == X86_OP_RDTSCP)
        x86_gpr_write(cpu, X86_RCX, 4, cpu->s.tsc_aux);
    return X86_EXEC_OK;
}

/* RDRAND / RDSEED r: CF = 1 with a random value, or CF = 0 and r = 0 when
 * none is available; OF SF ZF AF PF are cleared. */
int x86_exec_rdrand(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t v = 0;
    bool ok = false;
    if (!cpu->ops->rdrand)
        return x86_raise(cpu, X86_EXC_UD);
    int rc = cpu->ops->rdrand(cpu, in->op == X86_OP_RDSEED, &v, &ok);
    if (rc)
        return rc;
    x86_gpr_write(cpu, in->opnd[0].reg, in->opnd[0].size, ok ? v : 0);
    x86_flags_update(cpu, X86_FLAGS_ARITH, ok ? X86_FLAG_CF : 0);
    return X86_EXEC_OK;
}
