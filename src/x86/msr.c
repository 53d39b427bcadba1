/* Model-specific registers (see msr.h). */
#include "x86/msr.h"

#include <stdbool.h>

#include "x86/ctrl.h"
#include "x86/mem.h"

static int gp0(struct x86_cpu *cpu)
{
    return x86_raise_err(cpu, X86_EXC_GP, 0);
}

/* The emulator's own MSRs: a pointer to their storage, or NULL. */
static uint64_t *msr_slot(struct x86_state *s, uint32_t msr)
{
    switch (msr) {
    case MSR_STAR: return &s->star;
    case MSR_LSTAR: return &s->lstar;
    case MSR_CSTAR: return &s->cstar;
    case MSR_SYSCALL_MASK: return &s->fmask;
    case MSR_FS_BASE: return &s->seg[X86_FS].base;
    case MSR_GS_BASE: return &s->seg[X86_GS].base;
    case MSR_KERNEL_GS_BASE: return &s->kernel_gs_base;
    case MSR_IA32_SYSENTER_CS: return &s->sysenter_cs;
    case MSR_IA32_SYSENTER_ESP: return &s->sysenter_esp;
    case MSR_IA32_SYSENTER_EIP: return &s->sysenter_eip;
    case MSR_TSC_AUX: return &s->tsc_aux;
    case MSR_IA32_PAT: return &s->pat;
    case MSR_EFER: return &s->efer;
    default: return NULL;
    }
}

/* PAT entries hold memory types 0 (UC), 1 (WC), 4 (WT), 5 (WP), 6 (WB)
 * or 7 (UC-); 2 and 3 are reserved (Vol. 3A, 13.12.2). */
static bool pat_valid(uint64_t val)
{
    for (unsigned i = 0; i < 8; i++) {
        unsigned type = (val >> (8 * i)) & 0xff;
        if (type > 7 || type == 2 || type == 3)
            return false;
    }
    return true;
}

static bool value_valid(const struct x86_cpu *cpu, uint32_t msr, uint64_t val)
{
    switch (msr) {
    case MSR_LSTAR:
    case MSR_CSTAR:
    case MSR_FS_BASE:
    case MSR_GS_BASE:
    case MSR_KERNEL_GS_BASE:
    case MSR_IA32_SYSENTER_ESP:
    case MSR_IA32_SYSENTER_EIP:
        return x86_canonical(cpu, val);
    case MSR_TSC_AUX:
        return (val >> 32) == 0;
    case MSR_IA32_PAT:
        return pat_valid(val);
    default:
        return true;
    }
}

int x86_msr_read(struct x86_cpu *cpu, uint32_t msr, uint64_t *val)
{
    const uint64_t *slot = msr_slot(&cpu->s, msr);
    if (slot) {
        *val = *slot;
        return X86_EXEC_OK;
    }
    int rc = cpu->ops->rdmsr ? cpu->ops->rdmsr(cpu, msr, val) : X86_EXEC_EXCEPTION;
    return rc == X86_EXEC_OK || rc == X86_EXEC_UNSUPPORTED ? rc : gp0(cpu);
}

int x86_msr_write(struct x86_cpu *cpu, uint32_t msr, uint64_t val)
{
    uint64_t *slot = msr_slot(&cpu->s, msr);
    if (msr == MSR_EFER)
        return x86_set_efer(cpu, val);
    if (slot) {
        if (!value_valid(cpu, msr, val))
            return gp0(cpu);
        *slot = val;
        return X86_EXEC_OK;
    }
    int rc = cpu->ops->wrmsr ? cpu->ops->wrmsr(cpu, msr, val) : X86_EXEC_EXCEPTION;
    return rc == X86_EXEC_OK || rc == X86_EXEC_UNSUPPORTED ? rc : gp0(cpu);
}
