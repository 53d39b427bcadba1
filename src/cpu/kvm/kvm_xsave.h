/* XSAVE-family instructions in the kvm fallback. They run against KVM's own
 * XSAVE buffer (KVM_GET/SET_XSAVE), which holds every state component the
 * host exposes to the guest (AVX, AVX-512, ...), not just the x87/SSE state
 * that vmon's software CPU models. */
#ifndef VMON_CPU_KVM_KVM_XSAVE_H
#define VMON_CPU_KVM_KVM_XSAVE_H

#include <stdbool.h>

#include "cpu/kvm/kvm.h"
#include "x86/emu.h"

/* True when ins is one of the instructions handled here. */
bool kvm_xsave_handles(const struct x86_insn *ins);

/* Executes ins (already decoded at x's RIP) on the vCPU's XSAVE state and
 * guest memory. Returns X86_EXEC_OK (RIP advanced in x->s, XSAVE state
 * written back to KVM), X86_EXEC_EXCEPTION (raised on x, nothing changed)
 * or X86_EXEC_UNSUPPORTED. */
int kvm_xsave_emulate(struct cpu_vcpu *v, struct x86_cpu *x, const struct x86_insn *ins);

#endif
