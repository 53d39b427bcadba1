/* Diagnostics for fatal guest states: registers and the bytes at RIP. */
#include <stdio.h>

#include "common/log.h"
#include "cpu/kvm/kvm.h"
#include "x86/state_dump.h"

void kvm_vcpu_dump(struct cpu_vcpu *v, const char *why)
{
    struct x86_state s;
    log_error("cpu%u: %s", v->index, why);
    if (kvm_vcpu_fetch_state(v, &s) < 0) {
        log_error("cpu%u: (registers unavailable)", v->index);
        return;
    }
    x86_state_dump(&s, stderr);
}
