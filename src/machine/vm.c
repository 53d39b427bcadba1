#include "machine/vm.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/log.h"
#include "cpu/kvm/kvm_probe.h"
#include "machine/boot.h"
#include "machine/layout.h"

enum { VM_RESTART = -1 };

void vm_request_stop(struct vm *vm, enum vm_event ev, int status)
{
    pthread_mutex_lock(&vm->lock);
    if (!vm->event_set) {
        vm->event_set = true;
        vm->event = ev;
        vm->exit_status = status;
    }
    pthread_mutex_unlock(&vm->lock);
    atomic_store_explicit(&vm->stop, 1, memory_order_release);
    uint64_t one = 1;
    ssize_t n = write(vm->event_fd, &one, sizeof(one));
    (void)n;
}

static void vm_on_event(void *ctx, enum vm_event ev, int code)
{
    struct vm *vm = ctx;
    switch (ev) {
    case VM_EVENT_POWEROFF:
        vm_request_stop(vm, ev, VM_EXIT_POWEROFF);
        break;
    case VM_EVENT_RESET:
        vm_request_stop(vm, ev, vm->cfg->on_reboot == VM_REBOOT_RESTART ? VM_RESTART
                                                                         : VM_EXIT_POWEROFF);
        break;
    case VM_EVENT_EXIT_CODE:
        vm_request_stop(vm, ev, code);
        break;
    }
}

/* Picks the backend for --accel. What to tell the user about the choice goes
 * to note (printed once the machine is built, so a bad kernel file is
 * reported alone). */
static const struct cpu_backend *vm_pick_backend(const struct vm_config *cfg, char *note,
                                                 size_t notelen, bool *kvm_emulates_kernel)
{
    *kvm_emulates_kernel = false;
    char why[200];
    note[0] = 0;
    if (cfg->accel == VM_ACCEL_EMU)
        return &cpu_backend_emu;
    enum kvm_probe_result r = kvm_probe(why, sizeof(why));
    if (cfg->accel == VM_ACCEL_KVM) {
        if (r == KVM_PROBE_UNAVAILABLE) {
            log_error("%s", why);
            return NULL;
        }
        if (r == KVM_PROBE_INCOMPLETE) {
            snprintf(note, notelen, "warning: %s: guest user space will not run; use --accel emu",
                     why);
            *kvm_emulates_kernel = true;
        }
        return &cpu_backend_kvm;
    }
    if (r == KVM_PROBE_OK) {
        snprintf(note, notelen, "accel auto: using kvm (%s)", why);
        return &cpu_backend_kvm;
    }
    snprintf(note, notelen, "accel auto: using emu (%s)", why);
    return &cpu_backend_emu;
}

struct vcpu_arg {
    struct vm *vm;
    unsigned index;
};

static void *vcpu_main(void *p)
{
    struct vcpu_arg *a = p;
    struct vm *vm = a->vm;
    unsigned i = a->index;
    free(a);
    enum vcpu_exit e = vm->backend->vcpu_run(vm->vcpu[i]);
    if (e != VCPU_EXIT_STOPPED)
        vm_request_stop(vm, VM_EVENT_POWEROFF, VM_EXIT_GUEST_ERROR);
    return NULL;
}

static int vm_start_vcpus(struct vm *vm)
{
    for (unsigned i = 0; i < vm->cfg->ncpus; i++) {
        struct vcpu_arg *a = malloc(sizeof(*a));
        if (!a)
            return -ENOMEM;
        *a = (struct vcpu_arg){ vm, i };
        int rc = pthread_create(&vm->thread[i], NULL, vcpu_main, a);
        if (rc) {
            free(a);
            return -rc;
        }
        vm->nthreads++;
    }
    return 0;
}

static void vm_stop_vcpus(struct vm *vm)
{
    atomic_store(&vm->stop, 1);
    for (unsigned i = 0; i < vm->nthreads; i++)
        vm->backend->vcpu_kick(vm->vcpu[i]);
    for (unsigned i = 0; i < vm->nthreads; i++)
        pthread_join(vm->thread[i], NULL);
    vm->nthreads = 0;
}

/* The VMM thread: waits for a stop request, a signal, console input, or
 * the console device having room for held-back input. */
static void vm_event_loop(struct vm *vm, int sig_fd)
{
    struct console *con = vm->console;
    for (;;) {
        struct pollfd fds[4] = {
            { .fd = vm->event_fd, .events = POLLIN },
            { .fd = sig_fd, .events = POLLIN },
            { .fd = console_poll_fd(con), .events = POLLIN },
            { .fd = con->wake_fd, .events = POLLIN },
        };
        int n = poll(fds, 4, console_poll_timeout(con));
        if (n < 0 && errno != EINTR)
            break;
        if (fds[0].revents & POLLIN)
            break;
        if (fds[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo == SIGWINCH) {
                    devmgr_console_resize(&vm->dev, con);
                    continue;
                }
                log_info("stopping the VM (signal %u)", si.ssi_signo);
                vm_request_stop(vm, VM_EVENT_POWEROFF, 128 + (int)si.ssi_signo);
                break;
            }
        }
        if (fds[3].revents & POLLIN)
            console_clear_wake(con);
        if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
            if (console_read(con) == CONSOLE_INPUT_QUIT) {
                vm_request_stop(vm, VM_EVENT_POWEROFF, VM_EXIT_POWEROFF);
                break;
            }
        }
        if (con->npending)
            devmgr_console_input(&vm->dev, con);
    }
}

static void vm_teardown(struct vm *vm)
{
    console_set_port(vm->console, NULL);
    devmgr_stop(&vm->dev);
    for (unsigned i = 0; i < VM_MAX_CPUS; i++)
        if (vm->vcpu[i])
            vm->backend->vcpu_destroy(vm->vcpu[i]);
    devmgr_destroy(&vm->dev);
    if (vm->cvm)
        vm->backend->vm_destroy(vm->cvm);
    bus_destroy(&vm->pio);
    bus_destroy(&vm->mmio);
    gmem_destroy(&vm->mem);
    if (vm->event_fd >= 0)
        close(vm->event_fd);
    pthread_mutex_destroy(&vm->lock);
}

/* Builds the machine, runs it until it stops, tears it down. Returns the exit
 * status, or VM_RESTART when the guest rebooted under --on-reboot restart. */
static int vm_run_once(const struct vm_config *cfg, const struct cpu_backend *backend,
                       bool kvm_emulates_kernel, const struct boot_files *files,
                       struct console *con, int sig_fd, char *note)
{
    struct vm *vm = calloc(1, sizeof(*vm));
    if (!vm) {
        log_error("out of memory");
        return VM_EXIT_USAGE;
    }
    vm->cfg = cfg;
    vm->backend = backend;
    vm->kvm_emulates_kernel = kvm_emulates_kernel;
    vm->console = con;
    vm->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    pthread_mutex_init(&vm->lock, NULL);
    vm->ctl = (struct vm_control){ vm_on_event, vm };
    bus_init(&vm->pio, "pio");
    bus_init(&vm->mmio, "mmio");

    int status = VM_EXIT_USAGE;
    char err[256] = "";
    int rc = gmem_init(&vm->mem, cfg->mem_size, LAYOUT_MMIO_HOLE_START, LAYOUT_MMIO_HOLE_END);
    if (rc) {
        log_error("--mem: cannot map %llu MiB of guest memory: %s",
                  (unsigned long long)(cfg->mem_size >> 20), strerror(-rc));
        goto out;
    }
    struct cpu_vm_env env = {
        .mem = &vm->mem, .pio = &vm->pio, .mmio = &vm->mmio, .ctl = &vm->ctl,
        .ncpus = cfg->ncpus, .stop = &vm->stop, .stats = cfg->stats,
        .kvm_emulates_kernel = kvm_emulates_kernel,
    };
    devmgr_early_init(&vm->dev);
    const struct irq_chip *chip = NULL;
    if (!backend->has_irqchip) {
        rc = devmgr_irqchip_init(&vm->dev, vm, &env.intc, &chip, err, sizeof(err));
        if (rc) {
            log_error("%s", err);
            goto out;
        }
    }
    rc = backend->vm_create(&env, &vm->cvm, err, sizeof(err));
    if (rc) {
        log_error("%s", err);
        goto out;
    }
    if (backend->has_irqchip)
        chip = backend->irqchip(vm->cvm);
    rc = devmgr_init(&vm->dev, vm, chip, err, sizeof(err));
    if (rc) {
        log_error("%s", err);
        goto out;
    }
    struct x86_state bsp;
    rc = boot_setup(vm, files, &bsp, err, sizeof(err));
    if (rc) {
        log_error("%s", err);
        goto out;
    }
    for (unsigned i = 0; i < cfg->ncpus; i++) {
        rc = backend->vcpu_create(vm->cvm, i, &vm->vcpu[i], err, sizeof(err));
        if (rc) {
            log_error("%s", err);
            goto out;
        }
        struct x86_state s;
        if (i == 0)
            s = bsp;
        else
            boot_ap_state(&s, i);
        rc = backend->vcpu_set_state(vm->vcpu[i], &s);
        if (rc) {
            log_error("cpu%u: cannot set the initial CPU state: %s", i, strerror(-rc));
            goto out;
        }
    }
    if (note[0]) {
        log_info("%s", note);
        note[0] = 0;
    }
    if (devmgr_start(&vm->dev) < 0 || vm_start_vcpus(vm) < 0) {
        log_error("cannot start vCPU threads");
        vm_stop_vcpus(vm);
        goto out;
    }
    vm_event_loop(vm, sig_fd);
    vm_stop_vcpus(vm);
    devmgr_stop(&vm->dev);
    if (cfg->stats && backend->vm_print_stats)
        backend->vm_print_stats(vm->cvm);
    pthread_mutex_lock(&vm->lock);
    status = vm->exit_status;
    if (vm->event_set && vm->event == VM_EVENT_RESET && status != VM_RESTART)
        log_info("the guest rebooted; exiting (--on-reboot exit)");
    pthread_mutex_unlock(&vm->lock);
out:
    vm_teardown(vm);
    free(vm);
    return status;
}

int vm_run(const struct vm_config *cfg)
{
    struct boot_files files;
    char err[256];
    if (boot_files_read(cfg, &files, err, sizeof(err)) < 0) {
        log_error("%s", err);
        return VM_EXIT_USAGE;
    }
    char note[300];
    bool kvm_emulates_kernel;
    const struct cpu_backend *backend = vm_pick_backend(cfg, note, sizeof(note),
                                                        &kvm_emulates_kernel);
    if (!backend) {
        boot_files_free(&files);
        return VM_EXIT_USAGE;
    }
    /* SIGINT/SIGTERM/SIGHUP are taken by the VMM thread through a signalfd;
     * every thread created from here on inherits the blocked mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    if (cfg->console == VM_CONSOLE_VIRTIO)
        sigaddset(&sigs, SIGWINCH); /* terminal resized: virtio-console's size */
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sig_fd = signalfd(-1, &sigs, SFD_CLOEXEC);

    struct console con;
    console_init(&con, STDIN_FILENO, STDOUT_FILENO);
    console_start(&con);
    int status;
    do {
        status = vm_run_once(cfg, backend, kvm_emulates_kernel, &files, &con, sig_fd, note);
        if (status == VM_RESTART)
            log_info("the guest rebooted; restarting it (--on-reboot restart)");
    } while (status == VM_RESTART);
    console_destroy(&con);
    close(sig_fd);
    boot_files_free(&files);
    return status;
}
