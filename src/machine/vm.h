/* The machine: composes guest memory, buses, devices, a CPU backend and the
 * loaders into a running VM, and owns the VMM thread's event loop. */
#ifndef VMON_MACHINE_VM_H
#define VMON_MACHINE_VM_H

#include <pthread.h>
#include <stdatomic.h>

#include "core/bus.h"
#include "core/guest_mem.h"
#include "core/vmctl.h"
#include "cpu/cpu.h"
#include "machine/config.h"
#include "machine/console.h"
#include "machine/devmgr.h"

struct vm {
    const struct vm_config *cfg;
    const struct cpu_backend *backend;
    struct guest_mem mem;
    struct bus pio, mmio;
    struct cpu_vm *cvm;
    struct cpu_vcpu *vcpu[VM_MAX_CPUS];
    pthread_t thread[VM_MAX_CPUS];
    unsigned nthreads;
    struct vm_control ctl;
    struct console *console;
    struct devmgr dev;
    bool kvm_emulates_kernel; /* cpu_vm_env.kvm_emulates_kernel */

    atomic_int stop;          /* set once: vCPUs leave their run loops */
    int event_fd;             /* wakes the VMM thread when stop is set */
    pthread_mutex_t lock;     /* protects the fields below */
    enum vm_event event;      /* first event that stopped the VM */
    int exit_status;
    bool event_set;
};

/* Runs the VM described by cfg to completion and returns vmon's exit status
 * (enum vm_exit_status). Errors are reported on stderr, one line each. */
int vm_run(const struct vm_config *cfg);

/* Records that the VM must stop with the given status (first caller wins)
 * and wakes the VMM thread. Thread-safe. */
void vm_request_stop(struct vm *vm, enum vm_event ev, int status);

#endif
