/* How devices ask the machine for a VM-wide event (ACPI power-off, the i8042
 * reset line, a debug-exit port). The machine decides what the event means
 * (e.g. --on-reboot exit|restart) and stops the vCPUs. */
#ifndef VMON_CORE_VMCTL_H
#define VMON_CORE_VMCTL_H

enum vm_event {
    VM_EVENT_POWEROFF,  /* guest powered off: exit status 0 */
    VM_EVENT_RESET,     /* guest asked for a reboot */
    VM_EVENT_EXIT_CODE, /* guest chose an exit status (debug-exit device) */
};

struct vm_control {
    /* Thread-safe; may be called from a vCPU thread inside a bus access. */
    void (*request)(void *ctx, enum vm_event ev, int code);
    void *ctx;
};

static inline void vmctl_request(const struct vm_control *c, enum vm_event ev, int code)
{
    if (c && c->request)
        c->request(c->ctx, ev, code);
}

#endif
