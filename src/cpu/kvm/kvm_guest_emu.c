/* vmon's instruction emulator on a KVM vCPU's state: the callbacks. */
#include "cpu/kvm/kvm_guest_emu.h"

#include <string.h>

#include "core/bus.h"
#include "cpu/guest_phys.h"
#include "x86/paging.h"

static struct kvm_guest_emu *ge_of(struct x86_cpu *x) { return (struct kvm_guest_emu *)x; }

/* Translates la; on failure raises the fault on x. *host is NULL for
 * anything but RAM. In a stint, RAM pages go into the TLB. */
static int ge_translate(struct x86_cpu *x, uint64_t la, unsigned acc, uint64_t *pa,
                        uint8_t **host)
{
    struct kvm_guest_emu *e = ge_of(x);
    struct x86_phys_ops ops = guest_phys_ops(e->v->vm->env.mem);
    struct x86_walk_result r;
    uint32_t ec;
    int rc = x86_walk(&x->s, &ops, la, acc, &r, &ec);
    if (rc == X86_EXC_PF)
        return x86_raise_pf(x, ec, la);
    if (rc)
        return x86_raise_err(x, X86_EXC_GP, 0);
    *pa = r.pa;
    /* GUEST: RAM only when the whole page is RAM. */
    uint8_t *page = gmem_ptr(e->v->vm->env.mem, r.pa & ~0xfffull, 4096);
    *host = page ? page + (r.pa & 0xfff) : NULL;
    if (page && e->stint) {
        x86_tlb_fill(x, la, page, x86_tlb_perms(x, acc, &r, false));
        e->tlb_used = true;
    }
    return X86_EXEC_OK;
}

static int ge_access(struct x86_cpu *x, uint64_t la, uint8_t *buf, unsigned len, unsigned acc,
                     bool write)
{
    /* Translate every page first so that a faulting access changes nothing. */
    uint64_t pa[2];
    uint8_t *h[2];
    unsigned first = 4096 - (unsigned)(la & 0xfff);
    unsigned n0 = len < first ? len : first;
    int rc = ge_translate(x, la, acc, &pa[0], &h[0]);
    if (!rc && len > n0) {
        uint64_t la2 = la + n0;
        if (!(x->s.efer & X86_EFER_LMA))
            la2 &= 0xffffffffu;
        rc = ge_translate(x, la2, acc, &pa[1], &h[1]);
    }
    if (rc)
        return rc;
    const struct bus *mmio = ge_of(x)->v->vm->env.mmio;
    if (ge_of(x)->stint)
        for (int i = 0; i < 1 + (len > n0); i++)
            if (!h[i] && !bus_find(mmio, pa[i]))
                return X86_EXEC_UNSUPPORTED; /* KVM's own device (LAPIC, I/O APIC) or ROM */
    for (int i = 0; i < 2 && len; i++) {
        unsigned n = i == 0 ? n0 : len;
        if (h[i])
            memcpy(write ? h[i] : buf, write ? buf : h[i], n);
        else
            guest_mmio_access(mmio, pa[i], buf, n, write);
        buf += n;
        len -= n;
    }
    return X86_EXEC_OK;
}

static int ge_mem_read(struct x86_cpu *x, uint64_t la, void *dst, unsigned len, unsigned acc)
{
    return ge_access(x, la, dst, len, acc, false);
}

static int ge_mem_write(struct x86_cpu *x, uint64_t la, const void *src, unsigned len,
                        unsigned acc)
{
    return ge_access(x, la, (uint8_t *)src, len, acc | X86_ACC_WRITE, true);
}

static int ge_mem_ptr(struct x86_cpu *x, uint64_t la, unsigned len, unsigned acc, void **host)
{
    *host = NULL;
    if ((la & 0xfff) + len > 4096)
        return X86_EXEC_OK;
    uint64_t pa;
    uint8_t *h = NULL;
    int rc = ge_translate(x, la, acc, &pa, &h);
    *host = rc ? NULL : h;
    return rc;
}

/* In a stint, ports no vmon device claims are KVM's (PIC, PIT) or nobody's:
 * KVM handles them, exiting to vmon for the latter. */
static bool ge_port_is_kvms(struct x86_cpu *x, uint16_t port)
{
    return ge_of(x)->stint && !bus_find(ge_of(x)->v->vm->env.pio, port);
}

static int ge_pio_in(struct x86_cpu *x, uint16_t port, unsigned size, uint32_t *val)
{
    if (ge_port_is_kvms(x, port))
        return X86_EXEC_UNSUPPORTED;
    *val = 0;
    bus_read(ge_of(x)->v->vm->env.pio, port, val, size);
    return X86_EXEC_OK;
}

static int ge_pio_out(struct x86_cpu *x, uint16_t port, unsigned size, uint32_t val)
{
    if (ge_port_is_kvms(x, port))
        return X86_EXEC_UNSUPPORTED;
    bus_write(ge_of(x)->v->vm->env.pio, port, &val, size);
    return X86_EXEC_OK;
}

static int ge_cpuid(struct x86_cpu *x, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    /* A host whose KVM emulates kernel code answers CPUID from its own
     * features whatever vmon set: in a stint, let it answer alike. */
    if (ge_of(x)->stint)
        return X86_EXEC_UNSUPPORTED;
    const struct kvm_cpuid2 *c = ge_of(x)->v->vm->cpuid;
    memset(out, 0, 16);
    for (unsigned i = 0; i < c->nent; i++) {
        const struct kvm_cpuid_entry2 *e = &c->entries[i];
        bool indexed = e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
        if (e->function == leaf && (!indexed || e->index == sub)) {
            out[0] = e->eax;
            out[1] = e->ebx;
            out[2] = e->ecx;
            out[3] = e->edx;
            break;
        }
    }
    return X86_EXEC_OK;
}

#define MSR_X2APIC_TPR 0x808u
#define MSR_X2APIC_ICR 0x830u

/* KVM now holds a written MSR; the register state written back at the end
 * (kvm_vcpu_put_state: SREGS' APIC base and CR8, the state MSRs) must say
 * the same, or it would undo the write (an x2APIC switched back off). */
static void ge_mirror_msr(struct x86_state *s, uint32_t msr, uint64_t val)
{
    if (msr == MSR_IA32_APIC_BASE)
        s->apic_base = val;
    else if (msr == MSR_IA32_MISC_ENABLE)
        s->misc_enable = val;
    else if (msr == MSR_X2APIC_TPR)
        s->cr8 = (val >> 4) & 0xf;
}

static int ge_msr(struct x86_cpu *x, uint32_t msr, uint64_t *val, bool write)
{
    struct kvm_guest_emu *e = ge_of(x);
    /* An IPI (a TLB shootdown, say) must follow the shadow-page flush that
     * ends a stint: leave it to KVM. */
    if (e->stint && write && msr == MSR_X2APIC_ICR)
        return X86_EXEC_UNSUPPORTED;
    struct kvm_msr_entry m = { .index = msr, .data = write ? *val : 0 };
    if (kvm_msrs_access(e->v->fd, write, &m, 1) != 1)
        return e->stint ? X86_EXEC_UNSUPPORTED : x86_raise_err(x, X86_EXC_GP, 0);
    if (!write)
        *val = m.data;
    else
        ge_mirror_msr(&x->s, msr, *val);
    return X86_EXEC_OK;
}

static int ge_rdmsr(struct x86_cpu *x, uint32_t msr, uint64_t *val) { return ge_msr(x, msr, val, false); }
static int ge_wrmsr(struct x86_cpu *x, uint32_t msr, uint64_t val) { return ge_msr(x, msr, &val, true); }

static int ge_rdtsc(struct x86_cpu *x, uint64_t *tsc)
{
    return ge_msr(x, MSR_IA32_TSC, tsc, false);
}

static const struct x86_emu_ops ge_ops = {
    .mem_read = ge_mem_read,
    .mem_write = ge_mem_write,
    .mem_ptr = ge_mem_ptr,
    .pio_in = ge_pio_in,
    .pio_out = ge_pio_out,
    .cpuid = ge_cpuid,
    .rdtsc = ge_rdtsc,
    .rdmsr = ge_rdmsr,
    .wrmsr = ge_wrmsr,
};

void kvm_guest_emu_init(struct kvm_guest_emu *e, struct cpu_vcpu *v, const struct x86_state *s,
                        bool stint)
{
    x86_cpu_init(&e->x, &ge_ops, e);
    e->v = v;
    e->stint = stint;
    e->tlb_used = false;
    x86_cpu_set_state(&e->x, s);
}

int kvm_guest_emu_decode(struct kvm_guest_emu *e, struct x86_insn *ins)
{
    struct x86_cpu *x = &e->x;
    uint8_t bytes[15];
    uint64_t la = x->s.seg[X86_CS].base + x->s.rip;
    if (x->mode != X86_MODE_LONG64)
        la &= 0xffffffffu;
    unsigned acc = X86_ACC_EXEC | (x->cpl == 3 ? X86_ACC_USER : 0);
    /* Most fetches hit the TLB and lie within one page. */
    const struct x86_tlb_entry *t = &x->tlb.e[(la >> 12) & (X86_TLB_SIZE - 1)];
    uint64_t need = (uint64_t)X86_TLB_X << (acc & X86_ACC_USER ? 3 : 0);
    unsigned first = 4096 - (unsigned)(la & 0xfff);
    if (first > sizeof(bytes))
        first = sizeof(bytes);
    int rc;
    struct kvm_decoded *d = NULL;
    if ((t->tag & (X86_PAGE_MASK | need)) == ((la & X86_PAGE_MASK) | need)) {
        const uint8_t *h = (const uint8_t *)(uintptr_t)(la + t->addend);
        if (e->dc) {
            d = &e->dc->e[((uintptr_t)h ^ ((uintptr_t)h >> KVM_DECODE_CACHE_BITS)) &
                          ((1u << KVM_DECODE_CACHE_BITS) - 1)];
            if (d->host == h && d->mode == x->mode &&
                !memcmp(d->bytes, h, d->ins.len)) {
                *ins = d->ins;
                return X86_EXEC_OK;
            }
        }
        memcpy(bytes, h, first);
        if (d)
            d->host = NULL; /* filled below if it decodes */
    } else if ((rc = ge_mem_read(x, la, bytes, first, acc))) {
        return rc;
    }
    int len = x86_decode(bytes, first, x->mode, ins);
    if (d && len > 0) {
        d->host = (const uint8_t *)(uintptr_t)(la + t->addend);
        d->mode = (uint8_t)x->mode;
        memcpy(d->bytes, bytes, (size_t)len);
        d->ins = *ins;
    }
    if (len == X86_DECODE_NEED_MORE && first < sizeof(bytes)) {
        rc = ge_mem_read(x, la + first, bytes + first, sizeof(bytes) - first, acc);
        if (rc)
            return rc;
        len = x86_decode(bytes, sizeof(bytes), x->mode, ins);
    }
    if (len == X86_DECODE_UD)
        return x86_raise(x, X86_EXC_UD);
    if (len < 0)
        return x86_raise_err(x, X86_EXC_GP, 0);
    return X86_EXEC_OK;
}
