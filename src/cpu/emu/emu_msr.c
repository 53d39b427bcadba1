/* MSRs the software CPU handles outside the instruction emulator: the
 * LAPIC's (APIC_BASE, TSC_DEADLINE, x2APIC), the TSC, and a few that Linux
 * reads on any Intel CPU. Anything else raises #GP, as on hardware. */
#include <errno.h>

#include "common/log.h"
#include "cpu/emu/emu.h"

#define MSR_IA32_BIOS_SIGN_ID 0x8b

static uint64_t *emu_msr_field(struct cpu_vcpu *v, uint32_t msr)
{
    struct x86_state *s = &v->x.s;
    switch (msr) {
    case MSR_IA32_SYSENTER_CS: return &s->sysenter_cs;
    case MSR_IA32_SYSENTER_ESP: return &s->sysenter_esp;
    case MSR_IA32_SYSENTER_EIP: return &s->sysenter_eip;
    case MSR_STAR: return &s->star;
    case MSR_LSTAR: return &s->lstar;
    case MSR_CSTAR: return &s->cstar;
    case MSR_SYSCALL_MASK: return &s->fmask;
    case MSR_KERNEL_GS_BASE: return &s->kernel_gs_base;
    case MSR_IA32_PAT: return &s->pat;
    case MSR_IA32_MISC_ENABLE: return &s->misc_enable;
    case MSR_TSC_AUX: return &s->tsc_aux;
    case MSR_FS_BASE: return &s->seg[X86_FS].base;
    case MSR_GS_BASE: return &s->seg[X86_GS].base;
    default: return NULL;
    }
}

int emu_rdmsr(struct cpu_vcpu *v, uint32_t msr, uint64_t *val)
{
    const struct cpu_intc *ic = v->vm->intc;
    int rc = ic->ops->rdmsr(ic->ctx, v->index, msr, val);
    if (rc != -ENOENT)
        return rc;
    uint64_t *f = emu_msr_field(v, msr);
    if (f) {
        *val = *f;
        return 0;
    }
    switch (msr) {
    case MSR_IA32_TSC:
        *val = ic->ops->tsc(ic->ctx);
        return 0;
    case MSR_EFER:
        *val = v->x.s.efer;
        return 0;
    case MSR_IA32_BIOS_SIGN_ID: /* no microcode update loaded */
        *val = 0;
        return 0;
    default:
        log_debug("cpu%u: rdmsr %#x: #GP", v->index, msr);
        return -EINVAL;
    }
}

int emu_wrmsr(struct cpu_vcpu *v, uint32_t msr, uint64_t val)
{
    const struct cpu_intc *ic = v->vm->intc;
    int rc = ic->ops->wrmsr(ic->ctx, v->index, msr, val);
    if (rc != -ENOENT)
        return rc;
    uint64_t *f = emu_msr_field(v, msr);
    if (f) {
        *f = val;
        return 0;
    }
    switch (msr) {
    case MSR_IA32_BIOS_SIGN_ID:
        return 0;
    default:
        log_debug("cpu%u: wrmsr %#x <- %#llx: #GP", v->index, msr, (unsigned long long)val);
        return -EINVAL;
    }
}
