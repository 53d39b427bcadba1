/* Instructions the host's KVM cannot emulate (KVM_EXIT_INTERNAL_ERROR with
 * an emulation failure). Nested or software-backed KVM hosts hit these; on
 * real VT-x/AMD-V hosts this path is never taken, so it costs nothing there. */
#ifndef VMON_CPU_KVM_KVM_FALLBACK_H
#define VMON_CPU_KVM_KVM_FALLBACK_H

#include "cpu/kvm/kvm.h"
#include "x86/insn.h"

/* What the user-space emulation did on one vCPU (--stats). */
struct kvm_fallback_stats {
    uint64_t count[X86_OP_COUNT]; /* failed instructions emulated, per operation */
    uint64_t exceptions;          /* raised by them */
    uint64_t stints, stint_insns; /* runs of kernel code (kvm_stint.c), their instructions */
    uint64_t left[X86_OP_COUNT + 1]; /* runs ended by an instruction left to KVM (COUNT: undecodable) */
    uint64_t zaps;                /* shadow-page flushes after them */
};

/* The vCPU's stats, allocated on first use; NULL when out of memory. */
struct kvm_fallback_stats *kvm_fallback_stats(struct cpu_vcpu *v);

/* What kvm_fallback_emulate found. */
#define KVM_FALLBACK_OK 0
#define KVM_FALLBACK_FAILED (-1)        /* not emulated: unsupported, or KVM refused the state */
#define KVM_FALLBACK_TRIPLE_FAULT (-2)  /* the exception it raised could not be delivered */

/* Tries to emulate the failing instruction in user space and resume.
 * Returns KVM_FALLBACK_OK when the guest may continue, else one of the
 * negative codes above (the caller then prints the registers and stops the
 * VM). */
int kvm_fallback_emulate(struct cpu_vcpu *v);

/* Prints the per-instruction counts (--stats). */
void kvm_fallback_print_stats(struct cpu_vcpu *v);

/* Reads up to max bytes at the guest's CS:RIP through its page tables.
 * Returns the number of bytes read. */
unsigned kvm_read_code_bytes(struct cpu_vcpu *v, const struct x86_state *s, uint8_t *buf,
                             unsigned max);

#endif
