/* The kvm backend: VM and vCPU creation, guest memory slots, in-kernel
 * irqchip and PIT. The run loop is in kvm_run.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "cpu/kvm/kvm.h"
#include "cpu/kvm/kvm_fallback.h"
#include "cpu/kvm/kvm_stint.h"
#include "machine/layout.h"

#define KVM_TSS_ADDR 0xfffbd000ull
#define KVM_IDENTITY_MAP_ADDR 0xfffbc000ull

static void kvm_irq_set_level(void *ctx, unsigned gsi, bool level)
{
    struct cpu_vm *vm = ctx;
    struct kvm_irq_level irq = { .irq = gsi, .level = level };
    if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
        log_once(LOG_WARN, "KVM_IRQ_LINE gsi %u: %s", gsi, strerror(errno));
}

static void kvm_irq_send_msi(void *ctx, uint64_t addr, uint32_t data)
{
    struct cpu_vm *vm = ctx;
    struct kvm_msi msi = { .address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32),
                           .data = data };
    if (ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0)
        log_once(LOG_WARN, "KVM_SIGNAL_MSI: %s", strerror(errno));
}

static int kvm_fail(char *err, size_t errlen, int e, const char *what)
{
    snprintf(err, errlen, "/dev/kvm: %s failed: %s", what, strerror(e));
    return -e;
}

#define KVM_PIC_GSIS 16
#define KVM_IOAPIC_PINS 24

static void kvm_route(struct kvm_irq_routing *r, unsigned gsi, unsigned chip, unsigned pin)
{
    r->entries[r->nr++] = (struct kvm_irq_routing_entry){
        .gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP, .u.irqchip = { .irqchip = chip, .pin = pin },
    };
}

/* GSI routing as the MADT describes it (acpi/madt.c): ISA IRQ n is GSI n,
 * except IRQ 0, the PIT, which reaches I/O APIC pin 2 (the interrupt source
 * override every PC has). KVM's default routes GSI 0 to pin 0, so the
 * in-kernel PIT would miss a guest that follows the MADT. GSI 2 is the
 * 8259 cascade and gets no route; GSIs 16-23 are the PCI INTx lines. */
static int kvm_set_gsi_routing(struct cpu_vm *vm)
{
    unsigned max = KVM_PIC_GSIS + KVM_IOAPIC_PINS;
    struct kvm_irq_routing *r = calloc(1, sizeof(*r) + max * sizeof(r->entries[0]));
    if (!r)
        return -ENOMEM;
    for (unsigned gsi = 0; gsi < KVM_IOAPIC_PINS; gsi++) {
        if (gsi == 2)
            continue;
        if (gsi < 8)
            kvm_route(r, gsi, KVM_IRQCHIP_PIC_MASTER, gsi);
        else if (gsi < KVM_PIC_GSIS)
            kvm_route(r, gsi, KVM_IRQCHIP_PIC_SLAVE, gsi - 8);
        kvm_route(r, gsi, KVM_IRQCHIP_IOAPIC, gsi == 0 ? 2 : gsi);
    }
    int rc = ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, r) < 0 ? -errno : 0;
    free(r);
    return rc;
}

static int kvm_map_memory(struct cpu_vm *vm, char *err, size_t errlen)
{
    const struct guest_mem *m = vm->env.mem;
    for (unsigned i = 0; i < m->nregions; i++) {
        struct kvm_userspace_memory_region r = {
            .slot = i,
            .guest_phys_addr = m->region[i].gpa,
            .memory_size = m->region[i].size,
            .userspace_addr = (uint64_t)(uintptr_t)m->region[i].hva,
        };
        if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
            return kvm_fail(err, errlen, errno, "KVM_SET_USER_MEMORY_REGION");
    }
    /* Firmware ROMs: reads come from memory, writes exit as MMIO (dropped). */
    for (unsigned i = 0; i < m->nroms; i++) {
        struct kvm_userspace_memory_region r = {
            .slot = GMEM_MAX_REGIONS + i,
            .flags = KVM_MEM_READONLY,
            .guest_phys_addr = m->rom[i].gpa,
            .memory_size = m->rom[i].size,
            .userspace_addr = (uint64_t)(uintptr_t)m->rom[i].hva,
        };
        if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
            return kvm_fail(err, errlen, errno, "KVM_SET_USER_MEMORY_REGION (ROM)");
    }
    return 0;
}

int kvm_open_checked(char *err, size_t errlen)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT)
            snprintf(err, errlen, "/dev/kvm: not present (no KVM on this host; use --accel emu)");
        else if (e == EACCES || e == EPERM)
            snprintf(err, errlen, "/dev/kvm: permission denied (add yourself to group 'kvm' or use --accel emu)");
        else
            snprintf(err, errlen, "/dev/kvm: %s", strerror(e));
        return -e;
    }
    int ver = ioctl(fd, KVM_GET_API_VERSION, 0);
    if (ver != KVM_API_VERSION) {
        snprintf(err, errlen, "/dev/kvm: unsupported KVM API version %d", ver);
        close(fd);
        return -ENOTSUP;
    }
    return fd;
}

static int kvm_vm_create(const struct cpu_vm_env *env, struct cpu_vm **out, char *err, size_t errlen)
{
    struct cpu_vm *vm = calloc(1, sizeof(*vm));
    if (!vm)
        return -ENOMEM;
    vm->env = *env;
    vm->vm_fd = -1;
    pthread_mutex_init(&vm->flush_lock, NULL);
    int rc;
    vm->kvm_fd = kvm_open_checked(err, errlen);
    if (vm->kvm_fd < 0) {
        rc = vm->kvm_fd;
        goto fail;
    }
    int max_vcpus = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
    if (max_vcpus <= 0)
        max_vcpus = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
    if (max_vcpus > 0 && env->ncpus > (unsigned)max_vcpus) {
        snprintf(err, errlen, "--cpus: %u is above this host's KVM limit of %d", env->ncpus, max_vcpus);
        rc = -EINVAL;
        goto fail;
    }
    vm->has_xsave = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) > 0;
    vm->has_immediate_exit = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) > 0;
    vm->vcpu_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (vm->vcpu_mmap_size < (int)sizeof(struct kvm_run)) {
        rc = kvm_fail(err, errlen, errno ? errno : EINVAL, "KVM_GET_VCPU_MMAP_SIZE");
        goto fail;
    }
    vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
    if (vm->vm_fd < 0) {
        rc = kvm_fail(err, errlen, errno, "KVM_CREATE_VM");
        goto fail;
    }
    if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_EXIT_ON_EMULATION_FAILURE) > 0) {
        /* Report every emulation failure with its instruction bytes. */
        struct kvm_enable_cap cap = { .cap = KVM_CAP_EXIT_ON_EMULATION_FAILURE, .args = { 1 } };
        ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap);
    }
    if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0) {
        rc = kvm_fail(err, errlen, errno, "KVM_SET_TSS_ADDR");
        goto fail;
    }
    uint64_t idmap = KVM_IDENTITY_MAP_ADDR;
    if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
        log_debug("KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
    if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
        rc = kvm_fail(err, errlen, errno, "KVM_CREATE_IRQCHIP");
        goto fail;
    }
    rc = kvm_set_gsi_routing(vm);
    if (rc) {
        kvm_fail(err, errlen, -rc, "KVM_SET_GSI_ROUTING");
        goto fail;
    }
    struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
    if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
        rc = kvm_fail(err, errlen, errno, "KVM_CREATE_PIT2");
        goto fail;
    }
    rc = kvm_map_memory(vm, err, errlen);
    if (rc)
        goto fail;
    rc = kvm_cpuid_init(vm);
    if (rc) {
        kvm_fail(err, errlen, -rc, "KVM_GET_SUPPORTED_CPUID");
        goto fail;
    }
    vm->irqchip = (struct irq_chip){ kvm_irq_set_level, kvm_irq_send_msi, vm };
    *out = vm;
    return 0;
fail:
    if (vm->vm_fd >= 0)
        close(vm->vm_fd);
    if (vm->kvm_fd >= 0)
        close(vm->kvm_fd);
    free(vm->cpuid);
    free(vm);
    return rc;
}

static void kvm_vm_destroy(struct cpu_vm *vm)
{
    if (!vm)
        return;
    close(vm->vm_fd);
    close(vm->kvm_fd);
    if (vm->flush_page)
        munmap(vm->flush_page, 4096);
    pthread_mutex_destroy(&vm->flush_lock);
    free(vm->cpuid);
    free(vm);
}

/* The flush slot sits in the last page of the host's physical address
 * space: above any RAM vmon maps and any address a guest is told about. */
#define KVM_FLUSH_SLOT (2 * GMEM_MAX_REGIONS)

static uint64_t kvm_flush_gpa(void)
{
    unsigned eax, ebx, ecx, edx, bits = 36;
    __asm__("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(0x80000000u), "c"(0));
    if (eax >= 0x80000008u) {
        __asm__("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(0x80000008u), "c"(0));
        bits = eax & 0xff;
    }
    return (1ull << bits) - 4096;
}

int kvm_vm_flush_shadow(struct cpu_vm *vm)
{
    int rc = 0;
    pthread_mutex_lock(&vm->flush_lock);
    struct kvm_userspace_memory_region r = {
        .slot = KVM_FLUSH_SLOT,
        .guest_phys_addr = kvm_flush_gpa(),
        .memory_size = 4096,
    };
    if (!vm->flush_page) {
        void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        r.userspace_addr = (uint64_t)(uintptr_t)p;
        if (p == MAP_FAILED || ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
            rc = -errno;
            if (p != MAP_FAILED)
                munmap(p, 4096);
            goto out;
        }
        vm->flush_page = p;
    }
    r.userspace_addr = (uint64_t)(uintptr_t)vm->flush_page;
    r.memory_size = 0; /* deleting a slot zaps every shadow page */
    if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
        rc = -errno;
    r.memory_size = 4096;
    if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 && !rc)
        rc = -errno;
out:
    pthread_mutex_unlock(&vm->flush_lock);
    errno = -rc;
    return rc;
}

static const struct irq_chip *kvm_irqchip(struct cpu_vm *vm) { return &vm->irqchip; }

static int kvm_vcpu_create(struct cpu_vm *vm, unsigned index, struct cpu_vcpu **out, char *err,
                           size_t errlen)
{
    struct cpu_vcpu *v = calloc(1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    v->vm = vm;
    v->index = index;
    v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
    if (v->fd < 0) {
        int e = errno;
        free(v);
        return kvm_fail(err, errlen, e, "KVM_CREATE_VCPU");
    }
    v->run = mmap(NULL, (size_t)vm->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
    if (v->run == MAP_FAILED) {
        int e = errno;
        close(v->fd);
        free(v);
        return kvm_fail(err, errlen, e, "mmap of the vCPU run area");
    }
    int rc = kvm_cpuid_set(v);
    if (rc) {
        munmap(v->run, (size_t)vm->vcpu_mmap_size);
        close(v->fd);
        free(v);
        return kvm_fail(err, errlen, -rc, "KVM_SET_CPUID2");
    }
    if (index < 256)
        vm->vcpu[index] = v;
    *out = v;
    return 0;
}

static void kvm_vcpu_destroy(struct cpu_vcpu *v)
{
    if (!v)
        return;
    if (v->index < 256)
        v->vm->vcpu[v->index] = NULL;
    munmap(v->run, (size_t)v->vm->vcpu_mmap_size);
    close(v->fd);
    free(v->fallback);
    free(v->decode_cache);
    free(v);
}

static int kvm_set_state(struct cpu_vcpu *v, const struct x86_state *s)
{
    return kvm_vcpu_put_state(v, s);
}

static int kvm_get_state(struct cpu_vcpu *v, struct x86_state *s)
{
    return kvm_vcpu_fetch_state(v, s);
}

static void kvm_print_stats(struct cpu_vm *vm)
{
    bool any = false;
    for (unsigned i = 0; i < vm->env.ncpus && i < 256; i++)
        if (vm->vcpu[i] && vm->vcpu[i]->fallback) {
            kvm_fallback_print_stats(vm->vcpu[i]);
            any = true;
        }
    if (!any)
        fprintf(stderr, "vmon: no instruction needed user-space emulation\r\n");
}

const struct cpu_backend cpu_backend_kvm = {
    .name = "kvm",
    .has_irqchip = true,
    .vm_create = kvm_vm_create,
    .vm_destroy = kvm_vm_destroy,
    .irqchip = kvm_irqchip,
    .vcpu_create = kvm_vcpu_create,
    .vcpu_destroy = kvm_vcpu_destroy,
    .vcpu_set_state = kvm_set_state,
    .vcpu_get_state = kvm_get_state,
    .vcpu_run = kvm_vcpu_run,
    .vcpu_kick = kvm_vcpu_kick,
    .vm_print_stats = kvm_print_stats,
};
