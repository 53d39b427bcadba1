/* Internal state of the kvm backend, shared by its files. */
#ifndef VMON_CPU_KVM_KVM_H
#define VMON_CPU_KVM_KVM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "cpu/cpu.h"

struct kvm_fallback_stats;

struct cpu_vm {
    int kvm_fd;
    int vm_fd;
    int vcpu_mmap_size;
    struct cpu_vm_env env;
    struct irq_chip irqchip;
    struct kvm_cpuid2 *cpuid; /* supported CPUID, adjusted per vCPU */
    bool has_xsave;           /* KVM_CAP_XSAVE */
    bool has_immediate_exit;
    struct cpu_vcpu *vcpu[256]; /* for --stats */
    /* kvm_vm_flush_shadow: a one-page slot whose deletion makes KVM zap
     * every shadow page (kvm_stint.h). */
    pthread_mutex_t flush_lock;
    void *flush_page;
};

struct cpu_vcpu {
    struct cpu_vm *vm;
    unsigned index;
    int fd;
    struct kvm_run *run;
    pthread_t thread;         /* the thread inside vcpu_run, for kicks */
    atomic_bool thread_valid;
    struct kvm_fallback_stats *fallback; /* per-instruction emulation fallback counts */
    timer_t stint_tick;       /* kvm_stint.h: interrupts KVM_RUN to look for kernel code */
    struct kvm_decode_cache *decode_cache; /* kvm_stint.c's, allocated on first use */
    bool has_stint_tick;
};

/* kvm_vm.c: opens /dev/kvm; returns the fd or -errno with a one-line reason */
int kvm_open_checked(char *err, size_t errlen);

/* kvm_state.c: KVM_GET_MSRS (write = false) / KVM_SET_MSRS on n <= 32
 * entries. Returns how many KVM processed, or -errno. */
int kvm_msrs_access(int vcpu_fd, bool write, struct kvm_msr_entry *e, unsigned n);

/* kvm_state.c: x86_state <-> KVM register sets */
int kvm_vcpu_put_state(struct cpu_vcpu *v, const struct x86_state *s);
int kvm_vcpu_fetch_state(struct cpu_vcpu *v, struct x86_state *s);
/* Only the general registers, RIP, RFLAGS and the segment/control registers
 * (the FPU/XSAVE state is left as KVM has it). */
int kvm_vcpu_put_regs(struct cpu_vcpu *v, const struct x86_state *s);

/* kvm_cpuid.c */
int kvm_cpuid_init(struct cpu_vm *vm);
int kvm_cpuid_set(struct cpu_vcpu *v);

/* kvm_run.c */
enum vcpu_exit kvm_vcpu_run(struct cpu_vcpu *v);
void kvm_vcpu_kick(struct cpu_vcpu *v);

/* kvm_dump.c: prints registers (and code bytes) to stderr */
void kvm_vcpu_dump(struct cpu_vcpu *v, const char *why);

#endif
