/* The kvm vCPU loop: enter the guest, handle the exit, re-enter. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "common/log.h"
#include "cpu/kvm/kvm.h"
#include "cpu/guest_phys.h"
#include "cpu/kvm/kvm_fallback.h"
#include "cpu/kvm/kvm_stint.h"

#define KVM_KICK_SIGNAL SIGUSR1

static void kvm_kick_handler(int sig) { (void)sig; }

static void kvm_install_kick_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = kvm_kick_handler;
    sa.sa_flags = SA_RESTART; /* KVM_RUN still returns EINTR; other calls restart */
    sigemptyset(&sa.sa_mask);
    sigaction(KVM_KICK_SIGNAL, &sa, NULL);
}

void kvm_vcpu_kick(struct cpu_vcpu *v)
{
    __atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    if (atomic_load(&v->thread_valid))
        pthread_kill(v->thread, KVM_KICK_SIGNAL);
}

static void kvm_handle_io(struct cpu_vcpu *v)
{
    struct kvm_run *run = v->run;
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    unsigned size = run->io.size;
    for (uint32_t i = 0; i < run->io.count; i++, data += size) {
        if (run->io.direction == KVM_EXIT_IO_OUT)
            bus_write(v->vm->env.pio, run->io.port, data, size);
        else
            bus_read(v->vm->env.pio, run->io.port, data, size);
    }
}

static void kvm_handle_mmio(struct cpu_vcpu *v)
{
    struct kvm_run *run = v->run;
    unsigned len = run->mmio.len <= 8 ? run->mmio.len : 8;
    if (!guest_mmio_access(v->vm->env.mmio, run->mmio.phys_addr, run->mmio.data, len,
                           run->mmio.is_write))
        log_debug("cpu%u: unclaimed MMIO %s at %#llx size %u", v->index,
                  run->mmio.is_write ? "write" : "read",
                  (unsigned long long)run->mmio.phys_addr, len);
}

static enum vcpu_exit kvm_handle_system_event(struct cpu_vcpu *v)
{
    const struct vm_control *ctl = v->vm->env.ctl;
    switch (v->run->system_event.type) {
    case KVM_SYSTEM_EVENT_SHUTDOWN:
        vmctl_request(ctl, VM_EVENT_POWEROFF, 0);
        return VCPU_EXIT_STOPPED;
    case KVM_SYSTEM_EVENT_RESET:
        vmctl_request(ctl, VM_EVENT_RESET, 0);
        return VCPU_EXIT_STOPPED;
    default:
        kvm_vcpu_dump(v, "guest crash reported by KVM");
        return VCPU_EXIT_ERROR;
    }
}

static enum vcpu_exit kvm_handle_internal_error(struct cpu_vcpu *v)
{
    struct kvm_run *run = v->run;
    if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION) {
        switch (kvm_fallback_emulate(v)) {
        case KVM_FALLBACK_OK:
            return (enum vcpu_exit)-1; /* handled: keep running */
        case KVM_FALLBACK_TRIPLE_FAULT:
            kvm_vcpu_dump(v, "triple fault (the guest reset its CPU with no way to recover)");
            return VCPU_EXIT_SHUTDOWN;
        default:
            kvm_vcpu_dump(v, "KVM could not emulate an instruction and neither could vmon");
            return VCPU_EXIT_ERROR;
        }
    }
    char why[96];
    snprintf(why, sizeof(why), "KVM internal error (suberror %u)", run->internal.suberror);
    kvm_vcpu_dump(v, why);
    return VCPU_EXIT_ERROR;
}

/* Handles one exit. Returns -1 to re-enter the guest. */
static int kvm_handle_exit(struct cpu_vcpu *v)
{
    struct kvm_run *run = v->run;
    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        kvm_handle_io(v);
        return -1;
    case KVM_EXIT_MMIO:
        kvm_handle_mmio(v);
        return -1;
    case KVM_EXIT_INTR:
    case KVM_EXIT_IRQ_WINDOW_OPEN:
    case KVM_EXIT_HLT: /* with the in-kernel LAPIC, HLT only exits when it is disabled */
        return -1;
    case KVM_EXIT_SHUTDOWN:
        kvm_vcpu_dump(v, "triple fault (the guest reset its CPU with no way to recover)");
        return VCPU_EXIT_SHUTDOWN;
    case KVM_EXIT_SYSTEM_EVENT:
        return (int)kvm_handle_system_event(v);
    case KVM_EXIT_INTERNAL_ERROR:
        return (int)kvm_handle_internal_error(v);
    case KVM_EXIT_FAIL_ENTRY: {
        char why[96];
        snprintf(why, sizeof(why), "KVM could not enter the guest (hardware reason %#llx)",
                 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
        kvm_vcpu_dump(v, why);
        return VCPU_EXIT_ERROR;
    }
    default: {
        char why[64];
        snprintf(why, sizeof(why), "unexpected KVM exit reason %u", run->exit_reason);
        kvm_vcpu_dump(v, why);
        return VCPU_EXIT_ERROR;
    }
    }
}

/* Enters the guest until an exit ends the vCPU. With stint, the vCPU's
 * kernel code is run in vmon where it can be (kvm_stint.h): after a tick
 * interrupted KVM_RUN and after an emulation failure, when the state is
 * whole (no I/O left to complete). */
static enum vcpu_exit kvm_vcpu_loop(struct cpu_vcpu *v, bool stint)
{
    atomic_int *stop = v->vm->env.stop;
    for (;;) {
        if (atomic_load_explicit(stop, memory_order_acquire))
            return VCPU_EXIT_STOPPED;
        bool whole;
        if (ioctl(v->fd, KVM_RUN, 0) < 0) {
            if (errno != EINTR && errno != EAGAIN) {
                log_error("cpu%u: KVM_RUN failed: %s", v->index, strerror(errno));
                return VCPU_EXIT_ERROR;
            }
            __atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
            whole = true;
        } else {
            int r = kvm_handle_exit(v);
            if (r >= 0)
                return (enum vcpu_exit)r;
            whole = v->run->exit_reason == KVM_EXIT_INTERNAL_ERROR;
        }
        if (stint && whole && kvm_stint_run(v) < 0)
            return VCPU_EXIT_ERROR;
    }
}

enum vcpu_exit kvm_vcpu_run(struct cpu_vcpu *v)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, kvm_install_kick_handler);
    v->thread = pthread_self();
    atomic_store(&v->thread_valid, true);
    sigset_t unblock;
    sigemptyset(&unblock);
    sigaddset(&unblock, KVM_KICK_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);
    bool stint = kvm_stint_enabled(v);
    if (stint && kvm_stint_tick_start(v, KVM_KICK_SIGNAL) < 0) {
        log_error("cpu%u: cannot start the tick for kernel-code runs: %s", v->index,
                  strerror(errno));
        return VCPU_EXIT_ERROR;
    }
    enum vcpu_exit why = kvm_vcpu_loop(v, stint);
    kvm_stint_tick_stop(v);
    return why;
}
