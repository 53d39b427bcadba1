/* Internal state of the emu backend: vmon's software x86-64 CPU.
 *
 * Each vCPU is a host thread running an interpreter over pre-decoded blocks:
 *
 *   CS:RIP --(the previous block's link, else TLB + jump cache / hash,
 *             else decode)--> block of prepared records (struct x86_prepared)
 *          --> one call: each record's function (x86_exec_prepare:
 *              specialised per operand shape, or the general path through
 *              x86_exec()) runs its instruction and jumps to the next
 *              record's, until a branch is taken or the terminator ends
 *              the block; lazy flags, soft-TLB memory access
 *
 * Blocks are keyed by the host address of their bytes plus linear address,
 * mode and CPL, and reached through the TLB's execute entries, so changed
 * translations need no flush of any block cache. Each block records, per
 * way out, the block that ran next (links): following a link costs a few
 * compares while the block is known current (check_stamp, check_epoch).
 *
 * Interrupts are polled once per block. Writes to guest pages that hold
 * decoded code go through the slow memory path, which bumps the page's
 * generation and ends the running block: blocks are checked against their
 * pages' generations before they run again, so self-modifying code (Linux
 * patches itself at boot) is always seen. */
#ifndef VMON_CPU_EMU_EMU_H
#define VMON_CPU_EMU_EMU_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"
#include "cpu/cpu.h"
#include "x86/emu.h"

#define EMU_MAX_CPUS 64
#define EMU_MAXPHYADDR 40 /* CPUID 0x80000008 says so too */
#define EMU_BLOCK_MAX_INSNS 64
#define EMU_BLOCK_HASH_BITS 16
#define EMU_JUMP_CACHE_BITS 12
#define EMU_CALL_DEPTH 16

/* A decoded straight-line run of guest code: it ends after an unconditional
 * control transfer, at a page end, or after EMU_BLOCK_MAX_INSNS
 * instructions; a conditional branch taken leaves it in the middle. Its
 * instructions are prepared records (x86_exec_prepare) followed by a
 * terminator record (emu_block_end), so the whole block runs with one call.
 *
 * A block is found by the linear address it was decoded at and by the host
 * address its bytes live at: the TLB's execute entry turns the first into
 * the second, so a block is only ever reached through the translation it
 * was built under, and no cache keyed by linear address needs flushing
 * when translations change (flushing the TLB is enough; links check the
 * translation again after any flush, see check_stamp). */
struct emu_block {
    uint64_t rip;         /* linear address it was decoded at (jump cache key) */
    const uint8_t *host;  /* host address of its first byte (hash key) */
    const uint8_t *host2; /* host address of the second page it runs into, or NULL */
    uint64_t pfn[2];      /* page_gen indexes; pfn[1] == pfn[0] when it spans one page */
    uint32_t gen[2];      /* generations of those pages when it was decoded */
    uint32_t mode_key;    /* decode mode and CPL it was built for */
    uint32_t tlb_need;    /* the TLB permission its fetches need (X86_TLB_X/UX) */
    uint16_t ninsns;
    uint16_t nbytes;
    struct emu_block *hash_next;
    /* Chaining: per way out, the block that ran next last time: fall for
     * running off the end, insn[i].user for leaving at insn[i] (a branch
     * taken). A link is a hint: emu_block_linked follows it when the linked
     * block is the one CS:RIP needs and is known to be current. */
    void *fall;
    /* The block was last seen current (its pages unwritten, rip still
     * translating to host) while the vCPU's check_epoch[global] had this
     * value; global: seen through a global translation. */
    uint32_t check_stamp;
    uint8_t global;
    struct x86_prepared insn[]; /* ninsns instructions, then the terminator */
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
    /* Bumped by every write that invalidates decoded code (any vCPU). */
    atomic_uint code_writes;
    struct cpu_vcpu *vcpu[EMU_MAX_CPUS];
};

struct emu_stats {
    uint64_t insns, blocks, blocks_built, linked, jump_hits, jump_misses, block_invalidations,
        cache_flushes, tlb_misses, tlb_flushes, mmio, pio, interrupts, exceptions, halts;
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
    struct x86_tlb global_tlb; /* the global translations among x.tlb's entries */
    uint8_t *arena;            /* block storage: bump allocator, reset when full */
    size_t arena_used, arena_size;
    unsigned code_epoch;       /* vm->code_epoch last seen */
    bool exit_block;           /* end the current block after this instruction */
    struct emu_block *prev;    /* the block that just ran, to link the next one to, */
    void **prev_link;          /* by this link slot of it (NULL: do not link) */
    /* Blocks that ended with a CALL, innermost last (a ring): a RET links
     * from the caller's fall-through slot, so each call site keeps its own
     * return link. */
    struct emu_block *calls[EMU_CALL_DEPTH];
    unsigned ncalls;           /* pushes minus pops, at most EMU_CALL_DEPTH */
    unsigned call_top;
    /* Bumped when blocks may have gone stale: [0] by any TLB flush and any
     * write to code, [1] the same except MOV CR3 (which keeps global
     * translations). A block whose check_stamp is current is entered through
     * a link with no further check. */
    uint32_t check_epoch[2];
    unsigned code_writes_seen; /* vm->code_writes when check_epoch last moved for it */
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
/* Empties the TLB, global translations included. */
void emu_tlb_flush_all(struct cpu_vcpu *v);
static inline int64_t emu_pfn_index(const struct cpu_vm *vm, uint64_t pa);

/* emu_block.c */
/* The block at CS:RIP: through v->prev's link, the jump cache, the block
 * hash, or decoded now; links v->prev to it. NULL with *status =
 * X86_EXEC_EXCEPTION (the fault is in v->x.exc) when its first instruction
 * cannot be fetched. */
struct emu_block *emu_block_next(struct cpu_vcpu *v, int *status);

/* The linear address of CS:RIP. */
static inline uint64_t emu_fetch_la(const struct x86_cpu *x)
{
    uint64_t la = x->s.seg[X86_CS].base + x->s.rip;
    return x->mode == X86_MODE_LONG64 ? la : (la & 0xffffffffu);
}

/* Blocks are kept per decode mode and CPL: the CPL decides which pages
 * may be executed, so a block reached at another CPL is another block. */
static inline uint32_t emu_mode_key(const struct x86_cpu *x)
{
    return (uint32_t)x->mode | (uint32_t)x->cpl << 4;
}

/* Whether block n, current when check_epoch last moved, still is: its
 * pages unwritten and CS:RIP (linear la) still translating to its bytes
 * through the TLB. Records it (check_stamp) when so. */
bool emu_block_recheck(struct cpu_vcpu *v, struct emu_block *n, uint64_t la);

/* The fast path of emu_block_next: the block v->prev_link leads to, when it
 * is the block for CS:RIP and current (a block running into a second page
 * takes the slow path). Else NULL. */
static inline struct emu_block *emu_block_linked(struct cpu_vcpu *v)
{
    const struct x86_cpu *x = &v->x;
    if (!v->prev_link)
        return NULL;
    struct emu_block *n = *v->prev_link;
    uint64_t la = emu_fetch_la(x);
    if (!n || n->rip != la || n->mode_key != emu_mode_key(x) || n->host2)
        return NULL;
    if (likely(n->check_stamp == v->check_epoch[n->global]))
        return n;
    return emu_block_recheck(v, n, la) ? n : NULL;
}

/* Everything decoded may be stale (a write to code, a new CPU state). */
static inline void emu_blocks_unchecked(struct cpu_vcpu *v)
{
    v->check_epoch[0]++;
    v->check_epoch[1]++;
}

/* Drops every block (the code cache is full, or the CPU state was replaced). */
void emu_block_flush_all(struct cpu_vcpu *v);

/* The general path of prepared execution (emu_x86_ops.exec_general):
 * x86_exec(), and EMU_EXEC_STOP instead of X86_EXEC_OK when the instruction
 * completed but the block must end there: it wrote to decoded code (maybe
 * to the rest of this very block) or changed translations. Only this path
 * can do either, so nothing is checked between instructions. */
int emu_exec_general(struct x86_cpu *x, const struct x86_insn *in);
/* The terminator record's function: returns EMU_EXEC_END. */
int emu_block_end(struct x86_cpu *x, const struct x86_insn *in);
/* Statuses of the emu's own, beyond enum x86_exec_status. */
#define EMU_EXEC_STOP 16 /* done, like X86_EXEC_OK, and the block ends here */
#define EMU_EXEC_END 17  /* ran off the end of the block */

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
