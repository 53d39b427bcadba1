/* The emu backend: VM and vCPU objects of the software CPU. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/log.h"
#include "common/util.h"
#include "cpu/emu/emu.h"

#define EMU_ARENA_BYTES (128u << 20) /* reserved; pages are touched as blocks are built */

static int emu_vm_create(const struct cpu_vm_env *env, struct cpu_vm **out, char *err,
                         size_t errlen)
{
    if (!env->intc) {
        snprintf(err, errlen, "internal error: the emu backend needs user-space interrupt controllers");
        return -EINVAL;
    }
    if (env->ncpus > EMU_MAX_CPUS) {
        snprintf(err, errlen, "--cpus: the software CPU supports at most %d vCPUs", EMU_MAX_CPUS);
        return -EINVAL;
    }
    struct cpu_vm *vm = calloc(1, sizeof(*vm));
    if (!vm)
        return -ENOMEM;
    vm->env = *env;
    vm->intc = env->intc;
    vm->npages = env->mem->ram_size >> 12;
    /* One more slot shared by all ROM pages (see emu_pfn_index). */
    vm->page_gen = calloc(vm->npages + 1, sizeof(*vm->page_gen));
    vm->page_code = calloc(vm->npages + 1, sizeof(*vm->page_code));
    if (!vm->page_gen || !vm->page_code) {
        free(vm->page_gen);
        free(vm->page_code);
        free(vm);
        snprintf(err, errlen, "out of memory for the software CPU's page tables");
        return -ENOMEM;
    }
    *out = vm;
    return 0;
}

static void emu_vm_destroy(struct cpu_vm *vm)
{
    if (!vm)
        return;
    free(vm->page_gen);
    free(vm->page_code);
    free(vm);
}

static const struct irq_chip *emu_irqchip(struct cpu_vm *vm)
{
    (void)vm;
    return NULL;
}

static void emu_kick_cb(void *ctx) { emu_vcpu_kick(ctx); }

static int emu_vcpu_create(struct cpu_vm *vm, unsigned index, struct cpu_vcpu **out, char *err,
                           size_t errlen)
{
    struct cpu_vcpu *v = calloc(1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    v->arena = mmap(NULL, EMU_ARENA_BYTES, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (v->arena == MAP_FAILED) {
        free(v);
        snprintf(err, errlen, "out of memory for the software CPU's code cache");
        return -ENOMEM;
    }
    v->arena_size = EMU_ARENA_BYTES;
    v->vm = vm;
    v->index = index;
    pthread_mutex_init(&v->lock, NULL);
    pthread_cond_init(&v->wake, NULL);
    x86_cpu_init(&v->x, &emu_x86_ops, v);
    const struct cpu_intc *ic = vm->intc;
    v->events = ic->ops->events(ic->ctx, index);
    ic->ops->set_kick(ic->ctx, index, emu_kick_cb, v);
    v->wait_sipi = index != 0;
    vm->vcpu[index] = v;
    *out = v;
    return 0;
}

static void emu_vcpu_destroy(struct cpu_vcpu *v)
{
    if (!v)
        return;
    const struct cpu_intc *ic = v->vm->intc;
    ic->ops->set_kick(ic->ctx, v->index, NULL, NULL);
    v->vm->vcpu[v->index] = NULL;
    munmap(v->arena, v->arena_size);
    pthread_mutex_destroy(&v->lock);
    pthread_cond_destroy(&v->wake);
    free(v);
}

static int emu_set_state(struct cpu_vcpu *v, const struct x86_state *s)
{
    x86_cpu_set_state(&v->x, s);
    emu_tlb_flush_all(v);
    emu_block_flush_all(v);
    const struct cpu_intc *ic = v->vm->intc;
    ic->ops->wrmsr(ic->ctx, v->index, MSR_IA32_APIC_BASE, s->apic_base);
    return 0;
}

static int emu_get_state(struct cpu_vcpu *v, struct x86_state *s)
{
    x86_cpu_get_state(&v->x, s);
    return 0;
}

static void emu_print_stats(struct cpu_vm *vm)
{
    for (unsigned i = 0; i < vm->env.ncpus; i++) {
        const struct cpu_vcpu *v = vm->vcpu[i];
        if (!v)
            continue;
        const struct emu_stats *s = &v->st;
        fprintf(stderr,
                "vmon: cpu%u: %llu instructions in %llu blocks (%llu linked, %llu jump-cache hits, "
                "%llu jump-cache misses), %llu blocks built, %llu invalidated, code cache "
                "%llu KiB (%llu flushes), %llu TLB misses, "
                "%llu TLB flushes, %llu MMIO, %llu PIO, %llu interrupts, %llu exceptions, "
                "%llu HLTs\r\n",
                i, (unsigned long long)s->insns, (unsigned long long)s->blocks,
                (unsigned long long)s->linked, (unsigned long long)s->jump_hits,
                (unsigned long long)s->jump_misses, (unsigned long long)s->blocks_built,
                (unsigned long long)s->block_invalidations,
                (unsigned long long)(v->arena_used >> 10), (unsigned long long)s->cache_flushes,
                (unsigned long long)s->tlb_misses,
                (unsigned long long)s->tlb_flushes, (unsigned long long)s->mmio,
                (unsigned long long)s->pio, (unsigned long long)s->interrupts,
                (unsigned long long)s->exceptions, (unsigned long long)s->halts);
    }
}

const struct cpu_backend cpu_backend_emu = {
    .name = "emu",
    .has_irqchip = false,
    .vm_create = emu_vm_create,
    .vm_destroy = emu_vm_destroy,
    .irqchip = emu_irqchip,
    .vcpu_create = emu_vcpu_create,
    .vcpu_destroy = emu_vcpu_destroy,
    .vcpu_set_state = emu_set_state,
    .vcpu_get_state = emu_get_state,
    .vcpu_run = emu_vcpu_run,
    .vcpu_kick = emu_vcpu_kick,
    .vm_print_stats = emu_print_stats,
};
