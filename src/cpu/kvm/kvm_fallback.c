#include "cpu/kvm/kvm_fallback.h"

#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "x86/paging.h"

static bool phys_read(void *ctx, uint64_t pa, uint64_t *val, unsigned size)
{
    struct cpu_vcpu *v = ctx;
    *val = 0;
    return gmem_read(v->vm->env.mem, pa, val, size) == 0;
}

unsigned kvm_read_code_bytes(struct cpu_vcpu *v, const struct x86_state *s, uint8_t *buf,
                             unsigned max)
{
    const struct x86_phys_ops ops = { phys_read, NULL, v };
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

static void print_failure_bytes(struct cpu_vcpu *v)
{
    struct kvm_run *run = v->run;
    uint8_t bytes[15];
    unsigned n = 0;
    if (run->emulation_failure.ndata >= 3 &&
        (run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
        n = run->emulation_failure.insn_size;
        if (n > sizeof(bytes))
            n = sizeof(bytes);
        memcpy(bytes, run->emulation_failure.insn_bytes, n);
    } else {
        struct x86_state s;
        if (kvm_vcpu_fetch_state(v, &s) == 0)
            n = kvm_read_code_bytes(v, &s, bytes, sizeof(bytes));
    }
    char hex[15 * 3 + 1] = "";
    for (unsigned i = 0; i < n; i++)
        snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02x ", bytes[i]);
    log_error("cpu%u: instruction bytes at RIP: %s", v->index, n ? hex : "(unreadable)");
}

int kvm_fallback_emulate(struct cpu_vcpu *v)
{
    print_failure_bytes(v);
    return -1;
}
