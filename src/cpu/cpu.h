/* The contract between the machine and a CPU backend (kvm or emu).
 *
 * A backend runs guest code and turns everything the guest does to the
 * outside world into calls on the machine's buses and guest memory. It never
 * sees a device. The machine creates one host thread per vCPU and calls
 * vcpu_run() on it; vcpu_run returns only when the VM stops. */
#ifndef VMON_CPU_CPU_H
#define VMON_CPU_CPU_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bus.h"
#include "core/guest_mem.h"
#include "core/intc.h"
#include "core/irq.h"
#include "core/vmctl.h"
#include "x86/state.h"

/* What the machine hands a backend. */
struct cpu_vm_env {
    struct guest_mem *mem;
    const struct bus *pio;
    const struct bus *mmio;
    const struct vm_control *ctl;
    unsigned ncpus;
    /* Set by the machine when the VM must stop; vcpu_run returns soon after
     * it becomes non-zero (the machine also calls vcpu_kick). */
    atomic_int *stop;
    bool stats;   /* count events for --stats */
    /* For backends without their own interrupt controller (has_irqchip is
     * false): the machine's user-space LAPICs, as the CPU sees them. */
    const struct cpu_intc *intc;
    /* kvm: this host's KVM emulates guest kernel code instruction by
     * instruction and sends what it cannot do to vmon's fallback
     * (kvm_probe said so): CPUID then offers only what that fallback
     * emulates (no AVX, AVX-512, AMX or their XSAVE states). */
    bool kvm_emulates_kernel;
};

/* Why vcpu_run returned. */
enum vcpu_exit {
    VCPU_EXIT_STOPPED,      /* env->stop was set (power-off, reset, signal) */
    VCPU_EXIT_SHUTDOWN,     /* triple fault: state was printed */
    VCPU_EXIT_ERROR,        /* unrecoverable backend error: message printed */
};

struct cpu_vm;
struct cpu_vcpu;

struct cpu_backend {
    const char *name;
    /* true: the backend brings its own interrupt controllers and timers
     * (KVM's in-kernel irqchip and PIT) and irqchip() returns them; false:
     * the machine provides user-space ones through cpu_vm_env.intc. */
    bool has_irqchip;
    /* Returns 0, or -errno with a one-line reason in err. */
    int (*vm_create)(const struct cpu_vm_env *env, struct cpu_vm **out, char *err, size_t errlen);
    void (*vm_destroy)(struct cpu_vm *vm);
    /* The interrupt controller devices raise their lines on. */
    const struct irq_chip *(*irqchip)(struct cpu_vm *vm);
    int (*vcpu_create)(struct cpu_vm *vm, unsigned index, struct cpu_vcpu **out, char *err,
                       size_t errlen);
    void (*vcpu_destroy)(struct cpu_vcpu *vcpu);
    int (*vcpu_set_state)(struct cpu_vcpu *vcpu, const struct x86_state *s);
    int (*vcpu_get_state)(struct cpu_vcpu *vcpu, struct x86_state *s);
    /* Runs on the vCPU's own thread. Application processors start in the
     * wait-for-SIPI state; the bootstrap processor runs from its set state. */
    enum vcpu_exit (*vcpu_run)(struct cpu_vcpu *vcpu);
    /* From any thread: make a running vcpu_run notice env->stop promptly. */
    void (*vcpu_kick)(struct cpu_vcpu *vcpu);
    /* Prints per-vCPU statistics (--stats) to stderr. May be NULL. */
    void (*vm_print_stats)(struct cpu_vm *vm);
};

extern const struct cpu_backend cpu_backend_kvm;
extern const struct cpu_backend cpu_backend_emu;

#endif
