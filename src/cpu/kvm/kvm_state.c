/* Converts between vmon's architectural state (x86/state.h) and KVM's
 * register sets (regs, sregs, FPU/XSAVE, MSRs, XCRs). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "cpu/kvm/kvm.h"

static void seg_to_kvm(const struct x86_seg *s, struct kvm_segment *k)
{
    memset(k, 0, sizeof(*k));
    k->base = s->base;
    k->limit = s->limit;
    k->selector = s->sel;
    k->type = X86_SEG_TYPE(s->attr);
    k->s = !!(s->attr & X86_SEG_S);
    k->dpl = X86_SEG_DPL(s->attr);
    k->present = !!(s->attr & X86_SEG_P);
    k->avl = !!(s->attr & X86_SEG_AVL);
    k->l = !!(s->attr & X86_SEG_L);
    k->db = !!(s->attr & X86_SEG_DB);
    k->g = !!(s->attr & X86_SEG_G);
    k->unusable = !!(s->attr & X86_SEG_UNUSABLE);
}

static void seg_from_kvm(const struct kvm_segment *k, struct x86_seg *s)
{
    s->base = k->base;
    s->limit = k->limit;
    s->sel = k->selector;
    s->attr = (k->type & 0xfu) | (k->s ? X86_SEG_S : 0) | ((k->dpl & 3u) << 5) |
              (k->present ? X86_SEG_P : 0) | (k->avl ? X86_SEG_AVL : 0) |
              (k->l ? X86_SEG_L : 0) | (k->db ? X86_SEG_DB : 0) | (k->g ? X86_SEG_G : 0) |
              (k->unusable ? X86_SEG_UNUSABLE : 0);
}

static struct kvm_segment *sreg_slot(struct kvm_sregs *sr, int i)
{
    switch (i) {
    case X86_ES: return &sr->es;
    case X86_CS: return &sr->cs;
    case X86_SS: return &sr->ss;
    case X86_DS: return &sr->ds;
    case X86_FS: return &sr->fs;
    case X86_GS: return &sr->gs;
    case X86_LDTR: return &sr->ldt;
    default: return &sr->tr;
    }
}

/* The MSRs kept in struct x86_state, and where. */
#define STATE_MSRS(X)                                   \
    X(MSR_IA32_SYSENTER_CS, sysenter_cs)                \
    X(MSR_IA32_SYSENTER_ESP, sysenter_esp)              \
    X(MSR_IA32_SYSENTER_EIP, sysenter_eip)              \
    X(MSR_STAR, star)                                   \
    X(MSR_LSTAR, lstar)                                 \
    X(MSR_CSTAR, cstar)                                 \
    X(MSR_SYSCALL_MASK, fmask)                          \
    X(MSR_KERNEL_GS_BASE, kernel_gs_base)               \
    X(MSR_IA32_PAT, pat)                                \
    X(MSR_IA32_MISC_ENABLE, misc_enable)                \
    X(MSR_TSC_AUX, tsc_aux)

#define COUNT_ONE(idx, field) +1
enum { STATE_NMSRS = 0 STATE_MSRS(COUNT_ONE) };

#define KVM_MSR_BATCH 32
_Static_assert(STATE_NMSRS <= KVM_MSR_BATCH, "state MSRs fit one batch");

int kvm_msrs_access(int vcpu_fd, bool write, struct kvm_msr_entry *e, unsigned n)
{
    /* struct kvm_msrs ends in a flexible array: give it room in a union. */
    union {
        struct kvm_msrs m;
        uint8_t raw[sizeof(struct kvm_msrs) + KVM_MSR_BATCH * sizeof(struct kvm_msr_entry)];
    } buf;
    if (n > KVM_MSR_BATCH)
        return -EINVAL;
    memset(&buf, 0, sizeof(buf));
    buf.m.nmsrs = n;
    memcpy(buf.m.entries, e, n * sizeof(*e));
    int r = ioctl(vcpu_fd, write ? KVM_SET_MSRS : KVM_GET_MSRS, &buf.m);
    if (r < 0)
        return -errno;
    memcpy(e, buf.m.entries, n * sizeof(*e));
    return r;
}

int kvm_vcpu_put_regs(struct cpu_vcpu *v, const struct x86_state *s)
{
    struct kvm_regs regs = {
        .rax = s->gpr[X86_RAX], .rbx = s->gpr[X86_RBX], .rcx = s->gpr[X86_RCX],
        .rdx = s->gpr[X86_RDX], .rsi = s->gpr[X86_RSI], .rdi = s->gpr[X86_RDI],
        .rsp = s->gpr[X86_RSP], .rbp = s->gpr[X86_RBP], .r8 = s->gpr[X86_R8],
        .r9 = s->gpr[X86_R9], .r10 = s->gpr[X86_R10], .r11 = s->gpr[X86_R11],
        .r12 = s->gpr[X86_R12], .r13 = s->gpr[X86_R13], .r14 = s->gpr[X86_R14],
        .r15 = s->gpr[X86_R15], .rip = s->rip, .rflags = s->rflags | X86_FLAG_FIXED,
    };
    struct kvm_sregs sr;
    if (ioctl(v->fd, KVM_GET_SREGS, &sr) < 0)
        return -errno;
    for (int i = 0; i < 8; i++)
        seg_to_kvm(&s->seg[i], sreg_slot(&sr, i));
    sr.gdt.base = s->gdt.base;
    sr.gdt.limit = s->gdt.limit;
    sr.idt.base = s->idt.base;
    sr.idt.limit = s->idt.limit;
    sr.cr0 = s->cr0;
    sr.cr2 = s->cr2;
    sr.cr3 = s->cr3;
    sr.cr4 = s->cr4;
    sr.cr8 = s->cr8;
    sr.efer = s->efer;
    sr.apic_base = s->apic_base;
    memset(sr.interrupt_bitmap, 0, sizeof(sr.interrupt_bitmap));
    if (ioctl(v->fd, KVM_SET_SREGS, &sr) < 0)
        return -errno;
    if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
        return -errno;
    return 0;
}

int kvm_vcpu_put_state(struct cpu_vcpu *v, const struct x86_state *s)
{
    int rc = kvm_vcpu_put_regs(v, s);
    if (rc)
        return rc;
    struct kvm_fpu fpu;
    memset(&fpu, 0, sizeof(fpu));
    fpu.fcw = s->fx.fcw;
    fpu.fsw = s->fx.fsw;
    fpu.ftwx = s->fx.ftw;
    fpu.last_opcode = s->fx.fop;
    fpu.last_ip = s->fx.fip;
    fpu.last_dp = s->fx.fdp;
    fpu.mxcsr = s->fx.mxcsr;
    memcpy(fpu.fpr, s->fx.st, sizeof(fpu.fpr));
    memcpy(fpu.xmm, s->fx.xmm, sizeof(fpu.xmm));
    if (ioctl(v->fd, KVM_SET_FPU, &fpu) < 0)
        return -errno;

    struct kvm_msr_entry me[STATE_NMSRS];
    memset(me, 0, sizeof(me));
    unsigned n = 0;
#define PUT_MSR(idx, field) me[n].index = idx; me[n].data = s->field; n++;
    STATE_MSRS(PUT_MSR)
#undef PUT_MSR
    int set = kvm_msrs_access(v->fd, true, me, n);
    if (set < 0)
        return set;
    /* A host may refuse some MSRs (e.g. TSC_AUX without RDTSCP): not fatal. */

    if (v->vm->has_xsave && s->xcr0) {
        struct kvm_xcrs xcrs = { .nr_xcrs = 1 };
        xcrs.xcrs[0].xcr = 0;
        xcrs.xcrs[0].value = s->xcr0;
        ioctl(v->fd, KVM_SET_XCRS, &xcrs);
    }
    return 0;
}

int kvm_vcpu_fetch_state(struct cpu_vcpu *v, struct x86_state *s)
{
    struct kvm_regs regs;
    struct kvm_sregs sr;
    if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0 || ioctl(v->fd, KVM_GET_SREGS, &sr) < 0)
        return -errno;
    memset(s, 0, sizeof(*s));
    s->gpr[X86_RAX] = regs.rax; s->gpr[X86_RBX] = regs.rbx; s->gpr[X86_RCX] = regs.rcx;
    s->gpr[X86_RDX] = regs.rdx; s->gpr[X86_RSI] = regs.rsi; s->gpr[X86_RDI] = regs.rdi;
    s->gpr[X86_RSP] = regs.rsp; s->gpr[X86_RBP] = regs.rbp; s->gpr[X86_R8] = regs.r8;
    s->gpr[X86_R9] = regs.r9; s->gpr[X86_R10] = regs.r10; s->gpr[X86_R11] = regs.r11;
    s->gpr[X86_R12] = regs.r12; s->gpr[X86_R13] = regs.r13; s->gpr[X86_R14] = regs.r14;
    s->gpr[X86_R15] = regs.r15;
    s->rip = regs.rip;
    s->rflags = regs.rflags;
    for (int i = 0; i < 8; i++)
        seg_from_kvm(sreg_slot(&sr, i), &s->seg[i]);
    s->gdt.base = sr.gdt.base;
    s->gdt.limit = sr.gdt.limit;
    s->idt.base = sr.idt.base;
    s->idt.limit = sr.idt.limit;
    s->cr0 = sr.cr0;
    s->cr2 = sr.cr2;
    s->cr3 = sr.cr3;
    s->cr4 = sr.cr4;
    s->cr8 = sr.cr8;
    s->efer = sr.efer;
    s->apic_base = sr.apic_base;

    struct kvm_fpu fpu;
    if (ioctl(v->fd, KVM_GET_FPU, &fpu) == 0) {
        s->fx.fcw = fpu.fcw;
        s->fx.fsw = fpu.fsw;
        s->fx.ftw = fpu.ftwx;
        s->fx.fop = fpu.last_opcode;
        s->fx.fip = fpu.last_ip;
        s->fx.fdp = fpu.last_dp;
        s->fx.mxcsr = fpu.mxcsr;
        memcpy(s->fx.st, fpu.fpr, sizeof(fpu.fpr));
        memcpy(s->fx.xmm, fpu.xmm, sizeof(fpu.xmm));
    }

    struct kvm_msr_entry me[STATE_NMSRS];
    memset(me, 0, sizeof(me));
    unsigned n = 0;
#define GET_IDX(idx, field) me[n++].index = idx;
    STATE_MSRS(GET_IDX)
#undef GET_IDX
    int got = kvm_msrs_access(v->fd, false, me, n);
    n = 0;
#define GET_VAL(idx, field) if ((int)n < got) s->field = me[n].data; n++;
    STATE_MSRS(GET_VAL)
#undef GET_VAL

    if (v->vm->has_xsave) {
        struct kvm_xcrs xcrs;
        if (ioctl(v->fd, KVM_GET_XCRS, &xcrs) == 0)
            for (unsigned i = 0; i < xcrs.nr_xcrs; i++)
                if (xcrs.xcrs[i].xcr == 0)
                    s->xcr0 = xcrs.xcrs[i].value;
    }
    return 0;
}
