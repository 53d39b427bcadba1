/* Runs of guest kernel code in vmon's emulator, on hosts whose KVM emulates
 * guest kernel code itself one instruction at a time (nested or
 * software-backed KVM, kvm_probe.c's verdict). There, vmon's emulator is
 * far faster than the host's, so whenever the vCPU is found in kernel mode
 * (after an emulation failure, or at a tick that interrupts KVM_RUN every
 * KVM_STINT_TICK_US), vmon runs the kernel's instructions itself for up to
 * KVM_STINT_NS, then hands the vCPU back to KVM. User-mode code is never
 * run here: KVM runs it natively.
 *
 * Left to KVM, ending the run with the instruction not executed: HLT,
 * MONITOR/MWAIT, CPUID, XSAVE-family instructions, accesses to KVM's
 * in-kernel devices (LAPIC, I/O APIC, PIC, PIT), MSRs KVM refuses from user
 * space, IPIs, hypercalls (but KVM_HC_SCHED_YIELD, a hint answered in
 * place), anything vmon cannot emulate. An interrupt waiting in KVM's LAPIC
 * ends the run (looked at every KVM_STINT_CHECK instructions): KVM delivers
 * it on entry. A run does not start while KVM has an event half-delivered,
 * nor on a vCPU just woken from HLT while its wake-up interrupt waits. Such
 * hosts get no paravirtual spinlocks (kvm_cpuid.c): their KVM did not get
 * past KVM_HC_KICK_CPU while the kicked vCPU ran here.
 *
 * KVM shadows the guest's page tables on such hosts and learns of the
 * guest's writes to them by write-protecting them, which vmon's writes
 * through its own mapping bypass: a run that executed anything ends by
 * making KVM drop every shadow page (deleting and re-adding a one-page
 * memory slot, which makes KVM zap all shadow pages), before any IPI it
 * sent is delivered.
 *
 * On real VT-x/AMD-V hosts none of this is set up: no tick, no runs. */
#ifndef VMON_CPU_KVM_KVM_STINT_H
#define VMON_CPU_KVM_KVM_STINT_H

#include "cpu/kvm/kvm.h"

#define KVM_STINT_TICK_US 500u
#define KVM_STINT_NS 5000000u
/* Instructions between looks at the clock and at KVM's LAPIC (a waiting
 * interrupt ends the run: KVM delivers it on entry). */
#define KVM_STINT_CHECK 2048u

/* Whether this VM's vCPUs run kernel code in vmon. */
static inline bool kvm_stint_enabled(const struct cpu_vcpu *v)
{
    return v->vm->env.kvm_emulates_kernel;
}

/* Starts / stops the calling vCPU thread's tick. */
int kvm_stint_tick_start(struct cpu_vcpu *v, int signo);
void kvm_stint_tick_stop(struct cpu_vcpu *v);

/* Runs kernel code from the vCPU's current state, if it is runnable, in
 * kernel mode and with no event half-delivered. Returns 0, or -1 when KVM
 * refused the state back (the VM must stop). */
int kvm_stint_run(struct cpu_vcpu *v);

/* kvm_vm.c: makes KVM drop every shadow page. */
int kvm_vm_flush_shadow(struct cpu_vm *vm);

#endif
