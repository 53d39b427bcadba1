#include "cpu/kvm/kvm_xsave.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "common/util.h"
#include "x86/exec_opnd.h"
#include "x86/mem.h"

/* XSAVE area layout (SDM Vol. 1, 13.4): legacy region, header, components. */
#define XS_LEGACY_SIZE 512
#define XS_HEADER 512
#define XS_HEADER_SIZE 64
#define XS_EXT 576
#define XS_MXCSR 24
#define XS_MXCSR_MASK 28
#define XS_MAX 4096
#define XCOMP_COMPACT (1ull << 63)

struct xs_layout {
    uint32_t off[64], size[64];
    bool align64[64];
};

bool kvm_xsave_handles(const struct x86_insn *ins)
{
    switch (ins->op) {
    case X86_OP_XSAVE: case X86_OP_XSAVEOPT: case X86_OP_XSAVEC: case X86_OP_XRSTOR:
        return true;
    default:
        return false;
    }
}

static void xs_layout(const struct cpu_vm *vm, struct xs_layout *l)
{
    memset(l, 0, sizeof(*l));
    l->off[0] = 0;
    l->size[0] = 160;  /* FCW..FDP and ST0-7 (MXCSR handled apart) */
    l->off[1] = 160;
    l->size[1] = 256;  /* XMM0-15 */
    const struct kvm_cpuid2 *c = vm->cpuid;
    for (unsigned i = 0; i < c->nent; i++) {
        const struct kvm_cpuid_entry2 *e = &c->entries[i];
        if (e->function == 0xd && e->index >= 2 && e->index < 64 && e->eax &&
            e->ebx + e->eax <= XS_MAX) {
            l->off[e->index] = e->ebx;
            l->size[e->index] = e->eax;
            l->align64[e->index] = e->ecx & 2;
        }
    }
}

/* Offsets of the compacted format for the components in xcomp. */
static void xs_compact_offsets(const struct xs_layout *l, uint64_t xcomp, uint32_t off[64])
{
    uint32_t o = XS_EXT;
    for (unsigned i = 2; i < 64; i++) {
        if (!(xcomp & (1ull << i)))
            continue;
        if (l->align64[i])
            o = ALIGN_UP(o, 64);
        off[i] = o;
        o += l->size[i];
    }
}

static int xs_mem(struct x86_cpu *x, const struct x86_insn *ins, uint64_t off, void *buf,
                  unsigned len, bool write)
{
    uint64_t ea = x86_ea(x, ins) + off;
    return write ? x86_mem_write_buf(x, ins->seg, ea, buf, len)
                 : x86_mem_read_buf(x, ins->seg, ea, buf, len);
}

/* Component i of the x87 legacy region spans two ranges around MXCSR. */
static int xs_copy_component(struct x86_cpu *x, const struct x86_insn *ins, uint8_t *kbuf,
                             unsigned i, uint32_t moff, const struct xs_layout *l, bool to_mem)
{
    if (i == 0) {
        int rc = xs_mem(x, ins, 0, kbuf, 24, to_mem);
        return rc ? rc : xs_mem(x, ins, 32, kbuf + 32, 128, to_mem);
    }
    return xs_mem(x, ins, moff, kbuf + l->off[i], l->size[i], to_mem);
}

static void xs_init_component(uint8_t *kbuf, unsigned i, const struct xs_layout *l)
{
    if (i == 0) {
        memset(kbuf, 0, 24);
        memset(kbuf + 32, 0, 128);
        put_le16(kbuf, 0x37f); /* FCW after FNINIT */
        return;
    }
    memset(kbuf + l->off[i], 0, l->size[i]);
}

static int xs_restore(struct x86_cpu *x, const struct x86_insn *ins, uint8_t *kbuf,
                      const struct xs_layout *l, uint64_t rfbm)
{
    uint8_t hdr[XS_HEADER_SIZE];
    int rc = xs_mem(x, ins, XS_HEADER, hdr, sizeof(hdr), false);
    if (rc)
        return rc;
    uint64_t xstate = get_le64(hdr), xcomp = get_le64(hdr + 8);
    uint64_t xcr0 = x->s.xcr0;
    uint32_t coff[64] = { 0 };
    if (xcomp & XCOMP_COMPACT) {
        if ((xcomp & ~XCOMP_COMPACT & ~xcr0) || (xstate & ~xcomp))
            return x86_raise_err(x, X86_EXC_GP, 0);
        xs_compact_offsets(l, xcomp, coff);
    } else {
        if (xcomp || (xstate & ~xcr0))
            return x86_raise_err(x, X86_EXC_GP, 0);
        for (unsigned i = 16; i < XS_HEADER_SIZE; i++)
            if (hdr[i])
                return x86_raise_err(x, X86_EXC_GP, 0);
        memcpy(coff, l->off, sizeof(coff));
    }
    uint8_t mx[4];
    if (rfbm & 6) {
        rc = xs_mem(x, ins, XS_MXCSR, mx, 4, false);
        if (rc)
            return rc;
        uint32_t mask = get_le32(kbuf + XS_MXCSR_MASK);
        if (get_le32(mx) & ~(mask ? mask : 0xffbfu))
            return x86_raise_err(x, X86_EXC_GP, 0);
    }
    /* All reads are checked before KVM's buffer is changed. */
    uint8_t scratch[XS_MAX];
    memcpy(scratch, kbuf, XS_MAX);
    uint64_t kbv = get_le64(scratch + XS_HEADER);
    for (unsigned i = 0; i < 64; i++) {
        uint64_t bit = 1ull << i;
        if (!(rfbm & bit) || (i >= 2 && !l->size[i]))
            continue;
        if (xstate & bit) {
            rc = xs_copy_component(x, ins, scratch, i, coff[i], l, false);
            if (rc)
                return rc;
            kbv |= bit;
        } else {
            xs_init_component(scratch, i, l);
            kbv &= ~bit;
        }
    }
    if (rfbm & 6)
        memcpy(scratch + XS_MXCSR, mx, 4);
    put_le64(scratch + XS_HEADER, kbv);
    put_le64(scratch + XS_HEADER + 8, 0); /* KVM's buffer is in the standard form */
    memcpy(kbuf, scratch, XS_MAX);
    return X86_EXEC_OK;
}

static int xs_save(struct x86_cpu *x, const struct x86_insn *ins, uint8_t *kbuf,
                   const struct xs_layout *l, uint64_t rfbm, bool compact)
{
    uint64_t kbv = get_le64(kbuf + XS_HEADER);
    uint8_t tmp[XS_MAX];
    memcpy(tmp, kbuf, XS_MAX);
    /* Components in their init state are stored as such. */
    for (unsigned i = 0; i < 64; i++)
        if ((rfbm & (1ull << i)) && !(kbv & (1ull << i)) && (i < 2 || l->size[i]))
            xs_init_component(tmp, i, l);
    uint32_t coff[64] = { 0 };
    if (compact)
        xs_compact_offsets(l, rfbm, coff);
    else
        memcpy(coff, l->off, sizeof(coff));
    /* Probe the whole area for writability first: a fault changes nothing. */
    uint8_t hdr[XS_HEADER_SIZE];
    int rc = xs_mem(x, ins, XS_HEADER, hdr, sizeof(hdr), false);
    if (rc)
        return rc;
    uint32_t end = XS_EXT;
    for (unsigned i = 2; i < 64; i++)
        if ((rfbm & (1ull << i)) && l->size[i])
            end = MAX(end, coff[i] + l->size[i]);
    uint64_t ea = x86_ea(x, ins);
    for (uint32_t off = 0; off < end; off = (uint32_t)ALIGN_DOWN(ea + off + 4096, 4096) - (uint32_t)ea) {
        rc = x86_mem_probe_write(x, ins->seg, ea + off, 1);
        if (rc)
            return rc;
    }
    rc = x86_mem_probe_write(x, ins->seg, ea + end - 1, 1);
    if (rc)
        return rc;
    for (unsigned i = 0; i < 64; i++) {
        if (!(rfbm & (1ull << i)) || (i >= 2 && !l->size[i]))
            continue;
        if (compact && !(kbv & (1ull << i)))
            continue; /* XSAVEC does not write components in their init state */
        rc = xs_copy_component(x, ins, tmp, i, coff[i], l, true);
        if (rc)
            return rc;
    }
    if (rfbm & 6) {
        rc = xs_mem(x, ins, XS_MXCSR, tmp + XS_MXCSR, 8, true);
        if (rc)
            return rc;
    }
    uint64_t xstate = get_le64(hdr);
    if (compact) {
        put_le64(hdr, kbv & rfbm);
        put_le64(hdr + 8, rfbm | XCOMP_COMPACT);
    } else {
        put_le64(hdr, (xstate & ~rfbm) | (kbv & rfbm));
    }
    return xs_mem(x, ins, XS_HEADER, hdr, 16, true);
}

int kvm_xsave_emulate(struct cpu_vcpu *v, struct x86_cpu *x, const struct x86_insn *ins)
{
    if (!v->vm->has_xsave || ins->opnd[0].kind != X86_OPND_MEM)
        return X86_EXEC_UNSUPPORTED;
    if (!(x->s.cr4 & X86_CR4_OSXSAVE))
        return x86_raise(x, X86_EXC_UD);
    if (x->s.cr0 & X86_CR0_TS)
        return x86_raise(x, X86_EXC_NM);
    uint64_t la = x->s.seg[ins->seg].base + x86_ea(x, ins);
    if (la & 63)
        return x86_raise_err(x, X86_EXC_GP, 0);
    uint64_t rfbm = x->s.xcr0 & ((x->s.gpr[X86_RDX] << 32) | (uint32_t)x->s.gpr[X86_RAX]);
    struct kvm_xsave ks;
    if (ioctl(v->fd, KVM_GET_XSAVE, &ks) < 0)
        return X86_EXEC_UNSUPPORTED;
    struct xs_layout l;
    xs_layout(v->vm, &l);
    uint8_t *kbuf = (uint8_t *)ks.region;
    int rc;
    switch (ins->op) {
    case X86_OP_XRSTOR:
        rc = xs_restore(x, ins, kbuf, &l, rfbm);
        if (!rc && ioctl(v->fd, KVM_SET_XSAVE, &ks) < 0)
            return X86_EXEC_UNSUPPORTED;
        break;
    case X86_OP_XSAVEC:
        rc = xs_save(x, ins, kbuf, &l, rfbm, true);
        break;
    default:
        rc = xs_save(x, ins, kbuf, &l, rfbm, false);
        break;
    }
    if (!rc)
        x->s.rip += ins->len;
    return rc;
}
