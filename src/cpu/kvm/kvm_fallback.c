/* User-space emulation of the instructions the host's KVM gives up on.
 *
 * Real VT-x/AMD-V hosts never come here. Nested or software-backed KVMs do
 * (this project's own test hosts fail on XRSTOR, INT3 and friends): the
 * vCPU's whole state is fetched, vmon's instruction emulator runs the one
 * instruction against guest memory (walking the guest's page tables), any
 * exception it raises is delivered the architectural way, and the state
 * goes back to KVM. */
#include "cpu/kvm/kvm_fallback.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "common/log.h"
#include "cpu/guest_phys.h"
#include "cpu/kvm/kvm_xsave.h"
#ifdef VMON_HAVE_EMU
#include "x86/deliver.h"
#endif
#include "x86/emu.h"
#include "x86/paging.h"

struct kvm_fallback_stats {
    uint64_t count[X86_OP_COUNT]; /* instructions emulated, per operation */
    uint64_t exceptions;
    uint64_t burst;               /* instructions run on after an emulated one (fb_burst) */
};

struct fb_cpu {
    struct x86_cpu x; /* first: callbacks get &x */
    struct cpu_vcpu *v;
};

static struct cpu_vcpu *fb_vcpu(struct x86_cpu *x) { return ((struct fb_cpu *)x)->v; }

/* Translates la; on failure raises the fault on x. *host is NULL for MMIO. */
static int fb_translate(struct x86_cpu *x, uint64_t la, unsigned acc, uint64_t *pa,
                        uint8_t **host)
{
    struct cpu_vcpu *v = fb_vcpu(x);
    struct x86_phys_ops ops = guest_phys_ops(v->vm->env.mem);
    struct x86_walk_result r;
    uint32_t ec;
    int rc = x86_walk(&x->s, &ops, la, acc, &r, &ec);
    if (rc == X86_EXC_PF)
        return x86_raise_pf(x, ec, la);
    if (rc)
        return x86_raise_err(x, X86_EXC_GP, 0);
    *pa = r.pa;
    /* GUEST: RAM only when the whole page is RAM. */
    uint8_t *page = gmem_ptr(v->vm->env.mem, r.pa & ~0xfffull, 4096);
    *host = page ? page + (r.pa & 0xfff) : NULL;
    return X86_EXEC_OK;
}

static int fb_access(struct x86_cpu *x, uint64_t la, uint8_t *buf, unsigned len, unsigned acc,
                     bool write)
{
    /* Translate every page first so that a faulting access changes nothing. */
    uint64_t pa[2];
    uint8_t *h[2];
    unsigned first = 4096 - (unsigned)(la & 0xfff);
    unsigned n0 = len < first ? len : first;
    int rc = fb_translate(x, la, acc, &pa[0], &h[0]);
    if (!rc && len > n0) {
        uint64_t la2 = la + n0;
        if (!(x->s.efer & X86_EFER_LMA))
            la2 &= 0xffffffffu;
        rc = fb_translate(x, la2, acc, &pa[1], &h[1]);
    }
    if (rc)
        return rc;
    const struct bus *mmio = fb_vcpu(x)->vm->env.mmio;
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

static int fb_mem_read(struct x86_cpu *x, uint64_t la, void *dst, unsigned len, unsigned acc)
{
    return fb_access(x, la, dst, len, acc, false);
}

static int fb_mem_write(struct x86_cpu *x, uint64_t la, const void *src, unsigned len,
                        unsigned acc)
{
    return fb_access(x, la, (uint8_t *)src, len, acc | X86_ACC_WRITE, true);
}

static int fb_mem_ptr(struct x86_cpu *x, uint64_t la, unsigned len, unsigned acc, void **host)
{
    *host = NULL;
    if ((la & 0xfff) + len > 4096)
        return X86_EXEC_OK;
    uint64_t pa;
    uint8_t *h = NULL;
    int rc = fb_translate(x, la, acc, &pa, &h);
    *host = rc ? NULL : h;
    return rc;
}

static int fb_pio_in(struct x86_cpu *x, uint16_t port, unsigned size, uint32_t *val)
{
    *val = 0;
    bus_read(fb_vcpu(x)->vm->env.pio, port, val, size);
    return X86_EXEC_OK;
}

static int fb_pio_out(struct x86_cpu *x, uint16_t port, unsigned size, uint32_t val)
{
    bus_write(fb_vcpu(x)->vm->env.pio, port, &val, size);
    return X86_EXEC_OK;
}

static int fb_cpuid(struct x86_cpu *x, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    const struct kvm_cpuid2 *c = fb_vcpu(x)->vm->cpuid;
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

static int fb_msr(struct x86_cpu *x, uint32_t msr, uint64_t *val, bool write)
{
    struct kvm_msr_entry e = { .index = msr, .data = write ? *val : 0 };
    if (kvm_msrs_access(fb_vcpu(x)->fd, write, &e, 1) != 1)
        return x86_raise_err(x, X86_EXC_GP, 0);
    if (!write)
        *val = e.data;
    return X86_EXEC_OK;
}

static int fb_rdmsr(struct x86_cpu *x, uint32_t msr, uint64_t *val) { return fb_msr(x, msr, val, false); }
static int fb_wrmsr(struct x86_cpu *x, uint32_t msr, uint64_t val) { return fb_msr(x, msr, &val, true); }

static int fb_rdtsc(struct x86_cpu *x, uint64_t *tsc)
{
    return fb_msr(x, MSR_IA32_TSC, tsc, false);
}

static const struct x86_emu_ops fb_ops = {
    .mem_read = fb_mem_read,
    .mem_write = fb_mem_write,
    .mem_ptr = fb_mem_ptr,
    .pio_in = fb_pio_in,
    .pio_out = fb_pio_out,
    .cpuid = fb_cpuid,
    .rdtsc = fb_rdtsc,
    .rdmsr = fb_rdmsr,
    .wrmsr = fb_wrmsr,
};

/* Fetches and decodes the instruction at CS:RIP (faults raised on x). */
static int fb_decode(struct x86_cpu *x, struct x86_insn *ins)
{
    uint8_t bytes[15];
    uint64_t la = x->s.seg[X86_CS].base + x->s.rip;
    if (x->mode != X86_MODE_LONG64)
        la &= 0xffffffffu;
    unsigned first = 4096 - (unsigned)(la & 0xfff);
    if (first > sizeof(bytes))
        first = sizeof(bytes);
    unsigned acc = X86_ACC_EXEC | (x->cpl == 3 ? X86_ACC_USER : 0);
    int rc = fb_mem_read(x, la, bytes, first, acc);
    if (rc)
        return rc;
    int len = x86_decode(bytes, first, x->mode, ins);
    if (len == X86_DECODE_NEED_MORE && first < sizeof(bytes)) {
        rc = fb_mem_read(x, la + first, bytes + first, sizeof(bytes) - first, acc);
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

unsigned kvm_read_code_bytes(struct cpu_vcpu *v, const struct x86_state *s, uint8_t *buf,
                             unsigned max)
{
    struct x86_phys_ops ops = guest_phys_ops(v->vm->env.mem);
    ops.set_bits = NULL; /* a diagnostic read: leave A/D bits alone */
    uint64_t la = s->seg[X86_CS].base + s->rip;
    if (!(s->efer & X86_EFER_LMA))
        la &= 0xffffffffu;
    unsigned n = 0;
    while (n < max) {
        struct x86_walk_result r;
        uint32_t ec;
        if (x86_walk(s, &ops, la + n, X86_ACC_EXEC, &r, &ec) != 0)
            break;
        unsigned in_page = 4096 - (unsigned)((la + n) & 4095);
        unsigned chunk = in_page < max - n ? in_page : max - n;
        if (gmem_read(v->vm->env.mem, r.pa, buf + n, chunk) != 0)
            break;
        n += chunk;
    }
    return n;
}

static void print_failure_bytes(struct cpu_vcpu *v, const struct x86_state *s)
{
    uint8_t bytes[15];
    unsigned n = kvm_read_code_bytes(v, s, bytes, sizeof(bytes));
    char hex[15 * 3 + 1] = "";
    for (unsigned i = 0; i < n; i++)
        snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02x ", bytes[i]);
    struct x86_insn ins;
    const char *name = n && x86_decode(bytes, n, x86_state_mode(s), &ins) > 0
                           ? x86_op_name(ins.op) : "?";
    log_error("cpu%u: instruction at RIP: %s (bytes %s)", v->index, name,
              n ? hex : "unreadable");
}

#ifdef VMON_HAVE_EMU
/* Goes on with the instructions that follow, for at most FB_BURST_MAX and
 * at the same privilege level, while each is either a vector (SSE, MMX,
 * x87 register) instruction of a kind the host's KVM has already failed on,
 * or plain integer code that writes no memory (loads, register arithmetic,
 * compares, branches): an SSE routine such as Linux's blake2s is a run of
 * vector instructions with integer loads and loop control between them,
 * and every return to KVM costs a state round trip plus one more failure.
 * An instruction that would raise or stop is undone and left to KVM, which
 * is where the vCPU resumes. Integer code that writes memory always goes
 * back to KVM: it may write page tables, which a shadow-paging KVM must see
 * written by the guest. */
#define FB_BURST_MAX 256

static bool fb_vector(const struct x86_insn *ins)
{
    for (unsigned i = 0; i < ins->nopnd; i++) {
        unsigned k = ins->opnd[i].kind;
        if (k == X86_OPND_XMM || k == X86_OPND_MMX || k == X86_OPND_ST)
            return true;
    }
    return false;
}

/* Integer instructions that leave memory alone. */
static bool fb_integer_no_store(const struct x86_insn *ins)
{
    switch (ins->op) {
    case X86_OP_CMP: case X86_OP_TEST: case X86_OP_JCC: case X86_OP_JMP: case X86_OP_NOP:
        return true; /* read their operands only */
    case X86_OP_MOV: case X86_OP_MOVZX: case X86_OP_MOVSX: case X86_OP_MOVSXD: case X86_OP_LEA:
    case X86_OP_ADD: case X86_OP_OR: case X86_OP_ADC: case X86_OP_SBB: case X86_OP_AND:
    case X86_OP_SUB: case X86_OP_XOR: case X86_OP_INC: case X86_OP_DEC: case X86_OP_NEG:
    case X86_OP_NOT: case X86_OP_SHL: case X86_OP_SHR: case X86_OP_SAR: case X86_OP_ROL:
    case X86_OP_ROR: case X86_OP_CMOVCC: case X86_OP_SETCC: case X86_OP_BSWAP: case X86_OP_IMUL:
        return ins->nopnd > 0 && ins->opnd[0].kind != X86_OPND_MEM; /* write operand 0 */
    default:
        return false;
    }
}

static void fb_burst(struct fb_cpu *fb)
{
    struct cpu_vcpu *v = fb->v;
    struct x86_state snap;
    unsigned cpl = fb->x.cpl;
    for (unsigned n = 0; n < FB_BURST_MAX && fb->x.cpl == cpl; n++) {
        struct x86_insn ins;
        memset(&ins, 0, sizeof(ins));
        x86_cpu_get_state(&fb->x, &snap);
        if (fb_decode(&fb->x, &ins) != X86_EXEC_OK ||
            !(fb_integer_no_store(&ins) ||
              (fb_vector(&ins) && v->fallback->count[ins.op] && !kvm_xsave_handles(&ins))) ||
            x86_exec(&fb->x, &ins) != X86_EXEC_OK) {
            x86_cpu_set_state(&fb->x, &snap);
            return;
        }
        v->fallback->burst++;
    }
}
#endif

int kvm_fallback_emulate(struct cpu_vcpu *v)
{
#ifndef VMON_HAVE_EMU
    struct x86_state s0;
    if (kvm_vcpu_fetch_state(v, &s0) == 0)
        print_failure_bytes(v, &s0);
    return -1;
#else
    struct fb_cpu fb;
    struct x86_state s;
    if (kvm_vcpu_fetch_state(v, &s) < 0)
        return -1;
    if (!v->fallback && !(v->fallback = calloc(1, sizeof(*v->fallback))))
        return -1;
    x86_cpu_init(&fb.x, &fb_ops, &fb);
    fb.v = v;
    x86_cpu_set_state(&fb.x, &s);
    struct x86_insn ins;
    memset(&ins, 0, sizeof(ins));
    bool xsave = false;
    int st = fb_decode(&fb.x, &ins);
    if (st == X86_EXEC_OK && kvm_xsave_handles(&ins)) {
        /* These change KVM's XSAVE buffer directly: only RIP (or an
         * exception frame) goes back through the register state. */
        xsave = true;
        st = kvm_xsave_emulate(v, &fb.x, &ins);
    } else if (st == X86_EXEC_OK) {
        st = x86_exec(&fb.x, &ins);
    }
    if (st == X86_EXEC_EXCEPTION) {
        v->fallback->exceptions++;
        st = x86_deliver_exception(&fb.x);
    } else if (st == X86_EXEC_OK && !xsave) {
        v->fallback->count[ins.op]++;
        fb_burst(&fb);
        ins.op = X86_OP_COUNT; /* counted */
    }
    if (st == X86_EXEC_TRIPLE_FAULT)
        return KVM_FALLBACK_TRIPLE_FAULT;
    if (st != X86_EXEC_OK && st != X86_EXEC_HALT) {
        print_failure_bytes(v, &s);
        return KVM_FALLBACK_FAILED;
    }
    if (ins.op < X86_OP_COUNT)
        v->fallback->count[ins.op]++;
    x86_cpu_get_state(&fb.x, &s);
    if ((xsave ? kvm_vcpu_put_regs(v, &s) : kvm_vcpu_put_state(v, &s)) < 0)
        return -1;
    if (st == X86_EXEC_HALT) {
        struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_HALTED };
        ioctl(v->fd, KVM_SET_MP_STATE, &mp);
    }
    return 0;
#endif
}

void kvm_fallback_print_stats(struct cpu_vcpu *v)
{
    if (!v->fallback)
        return;
    for (unsigned op = 0; op < X86_OP_COUNT; op++)
        if (v->fallback->count[op])
            fprintf(stderr, "vmon: cpu%u: emulated in user space: %-10s %llu\r\n", v->index,
                    x86_op_name(op), (unsigned long long)v->fallback->count[op]);
    if (v->fallback->burst)
        fprintf(stderr, "vmon: cpu%u: instructions run on after them: %llu\r\n", v->index,
                (unsigned long long)v->fallback->burst);
    if (v->fallback->exceptions)
        fprintf(stderr, "vmon: cpu%u: exceptions raised by emulated instructions: %llu\r\n",
                v->index, (unsigned long long)v->fallback->exceptions);
}
