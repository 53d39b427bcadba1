/* MSRs the software CPU handles outside the instruction emulator: the
 * LAPIC's (APIC_BASE, TSC_DEADLINE, x2APIC), the TSC, and a few that Linux
 * reads on any Intel CPU. Anything else raises #GP, as on hardware. */
#include <errno.h>

#include "common/log.h"
#include "cpu/emu/emu.h"

#define MSR_IA32_BIOS_SIGN_ID 0x8b
#define MSR_IA32_TSC_ADJUST 0x3b

uint64_t emu_tsc(struct cpu_vcpu *v)
{
    const struct cpu_intc *ic = v->vm->intc;
    return ic->ops->tsc(ic->ctx) + (uint64_t)v->tsc_adjust;
}

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
    if (rc != -ENOENT) {
        if (!rc && msr == MSR_IA32_TSC_DEADLINE && *val)
            *val += (uint64_t)v->tsc_adjust;
        return rc;
    }
    uint64_t *f = emu_msr_field(v, msr);
    if (f) {
        *val = *f;
        return 0;
    }
    switch (msr) {
    case MSR_IA32_TSC:
        *val = emu_tsc(v);
        return 0;
    case MSR_IA32_TSC_ADJUST:
        *val = (uint64_t)v->tsc_adjust;
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
    /* The LAPIC compares deadlines with the VM's TSC, without this vCPU's
     * TSC_ADJUST; 0 still disarms. */
    if (msr == MSR_IA32_TSC_DEADLINE && val)
        val = val - (uint64_t)v->tsc_adjust ? val - (uint64_t)v->tsc_adjust : 1;
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
    case MSR_IA32_TSC: /* SDM 17.17.3: a TSC write moves TSC_ADJUST by the same amount */
        v->tsc_adjust += (int64_t)(val - emu_tsc(v));
        return 0;
    case MSR_IA32_TSC_ADJUST:
        v->tsc_adjust = (int64_t)val;
        return 0;
    default:
        log_debug("cpu%u: wrmsr %#x <- %#llx: #GP", v->index, msr, (unsigned long long)val);
        return -EINVAL;
    }
}
