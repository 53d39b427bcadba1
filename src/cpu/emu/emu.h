/* Internal state of the emu backend: vmon's software x86-64 CPU.
 *
 * Each vCPU is a host thread running an interpreter over pre-decoded blocks:
 *
 *   RIP --(jump cache / TLB + page walk)--> guest physical address
 *       --(block cache, per vCPU)--> block of decoded struct x86_insn
 *       --> x86_exec() per instruction, lazy flags, soft-TLB memory access
 *
 * Interrupts are polled once per block. Writes to guest pages that hold
 * decoded code go through the slow memory path, which bumps the page's
 * generation: blocks check their pages' generations before they run, so
 * self-modifying code (Linux patches itself at boot) is always seen. */
#ifndef VMON_CPU_EMU_EMU_H
#define VMON_CPU_EMU_EMU_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "x86/emu.h"

#define EMU_MAX_CPUS 64
#define EMU_MAXPHYADDR 40 /* CPUID 0x80000008 says so too */
#define EMU_BLOCK_MAX_INSNS 64
#define EMU_BLOCK_HASH_BITS 16
#define EMU_JUMP_CACHE_BITS 12

/* A decoded straight-line run of guest code: it ends after a control
 * transfer, at a page end, or after EMU_BLOCK_MAX_INSNS instructions. */
struct emu_block {
    uint64_t pa;          /* guest physical address of the first byte */
    uint64_t rip;         /* virtual address it was decoded at (jump cache key) */
    uint32_t gen[2];      /* generations of the page(s) it spans */
    uint64_t pfn[2];      /* pfn[1] == pfn[0] when it spans one page */
    uint32_t mode_key;    /* decode mode + CS base class it was built for */
    uint16_t ninsns;
    uint16_t nbytes;
    struct emu_block *hash_next;
    struct x86_insn insn[];
};

/* Per-VM state shared by all vCPUs. */
struct cpu_vm {
    struct cpu_vm_env env;
    const struct cpu_intc *intc;
    /* One generation counter and one "holds decoded code" flag per guest
     * physical page of RAM, indexed by emu_pfn_index(). */
    _Atomic uint32_t *page_gen;
    _Atomic uint8_t *page_code;
    uint64_t npages;
    /* Bumped whenever a page becomes code: vCPUs then drop their writable
     * TLB entries so that writes to it take the slow path. */
    atomic_uint code_epoch;
    struct cpu_vcpu *vcpu[EMU_MAX_CPUS];
};

struct emu_stats {
    uint64_t insns, blocks_built, jump_misses, block_invalidations, tlb_misses, mmio, pio, interrupts,
        exceptions, halts;
};

struct cpu_vcpu {
    struct x86_cpu x;          /* first: callbacks get &x and find the vCPU */
    struct cpu_vm *vm;
    unsigned index;
    atomic_uint *events;       /* the LAPIC's event word */
    /* Sleeping in HLT / wait-for-SIPI */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool kicked;
    bool wait_sipi;            /* application processor before its SIPI */
    /* Caches */
    struct emu_block *hash[1u << EMU_BLOCK_HASH_BITS];
    struct emu_block *jump[1u << EMU_JUMP_CACHE_BITS];
    uint8_t *arena;            /* block storage: bump allocator, reset when full */
    size_t arena_used, arena_size;
    unsigned code_epoch;       /* vm->code_epoch last seen */
    bool exit_block;           /* stop the current block after this instruction */
    struct emu_block *cur;     /* block being executed */
    uint64_t cr8;              /* last CR8 given to the LAPIC */
    int64_t tsc_adjust;        /* IA32_TSC_ADJUST: added to the VM's TSC */
    struct emu_stats st;
};

static inline struct cpu_vcpu *emu_vcpu_of(struct x86_cpu *x)
{
    return (struct cpu_vcpu *)x;
}

/* emu_mem.c: the emulator's callbacks */
extern const struct x86_emu_ops emu_x86_ops;
/* Translates la for acc, filling the TLB. *host is NULL for MMIO. Raises
 * the fault on cpu and returns X86_EXEC_EXCEPTION on failure. */
int emu_translate(struct cpu_vcpu *v, uint64_t la, unsigned acc, uint64_t *pa, uint8_t **host);
void emu_mark_code_page(struct cpu_vcpu *v, uint64_t pa);
static inline int64_t emu_pfn_index(const struct cpu_vm *vm, uint64_t pa);

/* emu_block.c */
struct emu_block *emu_block_get(struct cpu_vcpu *v, int *status);
void emu_block_flush_all(struct cpu_vcpu *v);
void emu_jump_cache_flush(struct cpu_vcpu *v);
void emu_jump_cache_flush_page(struct cpu_vcpu *v, uint64_t la);

/* emu_cpuid.c / emu_msr.c */
void emu_cpuid(struct cpu_vcpu *v, uint32_t leaf, uint32_t sub, uint32_t out[4]);
int emu_rdmsr(struct cpu_vcpu *v, uint32_t msr, uint64_t *val);
int emu_wrmsr(struct cpu_vcpu *v, uint32_t msr, uint64_t val);
/* The guest TSC as this vCPU sees it (RDTSC, IA32_TSC). */
uint64_t emu_tsc(struct cpu_vcpu *v);

/* emu_run.c */
enum vcpu_exit emu_vcpu_run(struct cpu_vcpu *v);
void emu_vcpu_kick(struct cpu_vcpu *v);

/* Page index of pa for page_gen/page_code: RAM pages are numbered densely
 * in region order; every ROM page shares index npages (ROM never changes);
 * -1 for anything else (MMIO). */
static inline int64_t emu_pfn_index(const struct cpu_vm *vm, uint64_t pa)
{
    const struct guest_mem *m = vm->env.mem;
    uint64_t base = 0;
    for (unsigned i = 0; i < m->nregions; i++) {
        const struct gmem_region *r = &m->region[i];
        if (pa >= r->gpa && pa - r->gpa < r->size)
            return (int64_t)((base + (pa - r->gpa)) >> 12);
        base += r->size;
    }
    return gmem_rom_ptr(m, pa, 1) ? (int64_t)vm->npages : -1;
}

#endif
