/* What the user asked for: the machine's whole configuration, filled in by
 * the CLI (and later by the REST API / config file). Plain data. */
#ifndef VMON_MACHINE_CONFIG_H
#define VMON_MACHINE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

enum vm_accel { VM_ACCEL_AUTO, VM_ACCEL_KVM, VM_ACCEL_EMU };
enum vm_on_reboot { VM_REBOOT_EXIT, VM_REBOOT_RESTART };

struct vm_config {
    const char *kernel;
    const char *initrd;
    const char *cmdline;
    uint64_t mem_size;
    unsigned ncpus;
    enum vm_accel accel;
    enum vm_on_reboot on_reboot;
    bool stats;
};

#define VM_DEFAULT_MEM (256ull << 20)
#define VM_DEFAULT_CMDLINE "console=ttyS0"
#define VM_MAX_CPUS 64

/* Exit statuses of `vmon run` (documented in --help and docs/USAGE.md). */
enum vm_exit_status {
    VM_EXIT_POWEROFF = 0,    /* the guest powered off (or rebooted with --on-reboot exit) */
    VM_EXIT_GUEST_ERROR = 1, /* triple fault, unhandled instruction, crash */
    VM_EXIT_USAGE = 2,       /* bad option, unreadable or invalid file, no usable accelerator */
    /* 128 + N: stopped by signal N (SIGINT, SIGTERM) */
    /* (V << 1) | 1: the guest wrote V to the debug-exit device */
};

#endif
