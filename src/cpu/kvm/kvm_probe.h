/* Can this host's KVM run an unmodified guest completely? */
#ifndef VMON_CPU_KVM_KVM_PROBE_H
#define VMON_CPU_KVM_KVM_PROBE_H

#include <stdbool.h>
#include <stddef.h>

enum kvm_probe_result {
    KVM_PROBE_OK,          /* KVM runs kernel and user mode, syscalls reach the kernel */
    KVM_PROBE_UNAVAILABLE, /* no usable /dev/kvm (reason in why) */
    KVM_PROBE_INCOMPLETE,  /* KVM works but cannot run a normal guest's user space */
};

/* Runs a tiny guest whose user-mode code makes a 64-bit SYSCALL that must
 * arrive at its kernel's LSTAR handler. Takes a few milliseconds on a working
 * host and at most about a second on a broken one. */
enum kvm_probe_result kvm_probe(char *why, size_t whylen);

#endif
