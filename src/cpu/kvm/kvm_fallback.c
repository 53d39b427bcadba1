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
#include "cpu/kvm/kvm_guest_emu.h"
#include "cpu/kvm/kvm_xsave.h"
#include "x86/deliver.h"
#include "x86/emu.h"
#include "x86/paging.h"

struct kvm_fallback_stats *kvm_fallback_stats(struct cpu_vcpu *v)
{
    if (!v->fallback)
        v->fallback = calloc(1, sizeof(*v->fallback));
    return v->fallback;
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

int kvm_fallback_emulate(struct cpu_vcpu *v)
{
    struct kvm_guest_emu fb;
    struct x86_state s;
    if (kvm_vcpu_fetch_state(v, &s) < 0)
        return -1;
    if (!kvm_fallback_stats(v))
        return -1;
    kvm_guest_emu_init(&fb, v, &s, false);
    struct x86_insn ins;
    memset(&ins, 0, sizeof(ins));
    bool xsave = false;
    int st = kvm_guest_emu_decode(&fb, &ins);
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
}

void kvm_fallback_print_stats(struct cpu_vcpu *v)
{
    if (!v->fallback)
        return;
    for (unsigned op = 0; op < X86_OP_COUNT; op++)
        if (v->fallback->count[op])
            fprintf(stderr, "vmon: cpu%u: emulated in user space: %-10s %llu\r\n", v->index,
                    x86_op_name(op), (unsigned long long)v->fallback->count[op]);
    const struct kvm_fallback_stats *f = v->fallback;
    if (f->stints)
        fprintf(stderr,
                "vmon: cpu%u: kernel code run in user space: %llu instructions in %llu runs "
                "(%llu shadow-page flushes)\r\n",
                v->index, (unsigned long long)f->stint_insns, (unsigned long long)f->stints,
                (unsigned long long)f->zaps);
    for (unsigned op = 0; op <= X86_OP_COUNT; op++)
        if (f->left[op])
            fprintf(stderr, "vmon: cpu%u: runs ended by an instruction left to KVM: %-10s %llu\r\n",
                    v->index, op < X86_OP_COUNT ? x86_op_name(op) : "(undecodable)",
                    (unsigned long long)f->left[op]);
    if (v->fallback->exceptions)
        fprintf(stderr, "vmon: cpu%u: exceptions raised by emulated instructions: %llu\r\n",
                v->index, (unsigned long long)v->fallback->exceptions);
}
