/* vmon's instruction emulator run on a KVM vCPU's state in user space:
 * callbacks that walk the guest's page tables in guest memory, reach vmon's
 * devices and KVM's MSRs. Used for the instructions the host's KVM gives up
 * on (kvm_fallback.c) and, on hosts whose KVM emulates guest kernel code
 * itself, for runs of kernel code (kvm_stint.c). */
#ifndef VMON_CPU_KVM_KVM_GUEST_EMU_H
#define VMON_CPU_KVM_KVM_GUEST_EMU_H

#include <stdbool.h>

#include "cpu/kvm/kvm.h"
#include "x86/emu.h"

/* Decoded instructions by the host address of their bytes, for runs of
 * kernel code. An entry holds the bytes it was decoded from and is used
 * only while they are unchanged (the guest patches its code, through any
 * mapping, from KVM or from vmon) and in the mode it was decoded for: what
 * a decode depends on, so entries need no invalidation. */
#define KVM_DECODE_CACHE_BITS 12

struct kvm_decoded {
    const uint8_t *host;
    uint8_t mode;
    uint8_t bytes[15];
    struct x86_insn ins;
};

struct kvm_decode_cache {
    struct kvm_decoded e[1u << KVM_DECODE_CACHE_BITS];
};

struct kvm_guest_emu {
    struct x86_cpu x; /* first: callbacks get &x */
    struct cpu_vcpu *v;
    /* A run of kernel code rather than one failed instruction: whatever
     * vmon cannot do exactly as KVM would (in-kernel devices, CPUID as the
     * host answers it, MSRs KVM refuses from user space, the IPI command
     * register) returns X86_EXEC_UNSUPPORTED, with nothing changed, so the
     * instruction is left to KVM. */
    bool stint;
    /* Guest memory pages were cached in the TLB, so a write may have
     * happened that the callbacks did not see. */
    bool tlb_used;
    struct kvm_decode_cache *dc; /* optional */
};

/* Sets up e on state s (whose CPL and mode are derived); empty TLB. */
void kvm_guest_emu_init(struct kvm_guest_emu *e, struct cpu_vcpu *v, const struct x86_state *s,
                        bool stint);

/* Fetches and decodes the instruction at CS:RIP (faults raised on e->x). */
int kvm_guest_emu_decode(struct kvm_guest_emu *e, struct x86_insn *ins);

#endif
