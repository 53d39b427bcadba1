/* Memory access for the executor: segmentation (SDM Vol. 3A, 3.4 and 5.3),
 * canonical checks (Vol. 1, 3.3.7.1), the software-TLB hit path and the
 * callbacks behind it, locked read-modify-write, and the stack.
 *
 * Offsets are segment-relative and already wrapped to the address size;
 * every function here checks them before any access, so the guest can only
 * reach what its segments and the callbacks allow. */
#ifndef VMON_X86_MEM_H
#define VMON_X86_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"
#include "x86/emu.h"

/* The access kind for a data access at the current privilege level. */
static inline unsigned x86_mem_acc(const struct x86_cpu *cpu, unsigned kind)
{
    return kind | (cpu->cpl == 3 ? X86_ACC_USER : 0);
}

/* The TLB permission bit an access needs. */
static inline uint64_t x86_tlb_need(unsigned acc)
{
    bool user = (acc & (X86_ACC_USER | X86_ACC_IMPLICIT)) == X86_ACC_USER;
    return (uint64_t)X86_TLB_R << ((acc & 3) + (user ? 3 : 0));
}

/* The host pointer for [la, la + len) on a TLB hit within one page, else NULL. */
static inline void *x86_tlb_lookup(const struct x86_cpu *cpu, uint64_t la, unsigned len,
                                   unsigned acc)
{
    if (unlikely((la & 0xfff) + len > 0x1000))
        return NULL;
    const struct x86_tlb_entry *e = &cpu->tlb.e[(la >> 12) & (X86_TLB_SIZE - 1)];
    uint64_t need = x86_tlb_need(acc);
    if (unlikely((e->tag & (X86_PAGE_MASK | need)) != ((la & X86_PAGE_MASK) | need)))
        return NULL;
    /* GUEST: the backend filled this entry for exactly this linear page with
     * these permissions, and the access stays inside the page (checked above). */
    return (void *)(uintptr_t)(la + e->addend);
}

/* Linear address of seg:off for an access of len bytes of kind acc
 * (X86_ACC_READ/WRITE/EXEC): applies base, type and limit checks, or the
 * canonical check in 64-bit mode. Raises #GP(0)/#SS(0). */
int x86_mem_linear_slow(struct x86_cpu *cpu, unsigned seg, uint64_t off, unsigned len,
                        unsigned acc, uint64_t *la);

static inline bool x86_canonical(const struct x86_cpu *cpu, uint64_t la)
{
    unsigned sh = (cpu->s.cr4 & X86_CR4_LA57) ? 7 : 16;
    return (uint64_t)((int64_t)(la << sh) >> sh) == la;
}

static inline int x86_mem_linear(struct x86_cpu *cpu, unsigned seg, uint64_t off, unsigned len,
                                 unsigned acc, uint64_t *la)
{
    if (likely(cpu->mode == X86_MODE_LONG64)) {
        uint64_t a = off + ((seg == X86_FS || seg == X86_GS) ? cpu->s.seg[seg].base : 0);
        uint64_t last = a + len - 1;
        if (likely(last >= a && x86_canonical(cpu, a) && x86_canonical(cpu, last))) {
            *la = a;
            return X86_EXEC_OK;
        }
    }
    return x86_mem_linear_slow(cpu, seg, off, len, acc, la);
}

/* Linear-address accesses: the TLB, else the callbacks. acc includes the
 * privilege bits (x86_mem_acc). */
int x86_mem_read_la(struct x86_cpu *cpu, uint64_t la, void *dst, unsigned len, unsigned acc);
int x86_mem_write_la(struct x86_cpu *cpu, uint64_t la, const void *src, unsigned len,
                     unsigned acc);

/* Segment-relative reads/writes of 1, 2, 4 or 8 bytes (little endian). */
int x86_mem_read(struct x86_cpu *cpu, unsigned seg, uint64_t off, unsigned len, uint64_t *val);
int x86_mem_write(struct x86_cpu *cpu, unsigned seg, uint64_t off, unsigned len, uint64_t val);

/* Segment-relative reads/writes of any length up to 16 bytes (buffers). */
int x86_mem_read_buf(struct x86_cpu *cpu, unsigned seg, uint64_t off, void *dst, unsigned len);
int x86_mem_write_buf(struct x86_cpu *cpu, unsigned seg, uint64_t off, const void *src,
                      unsigned len);

/* A read-modify-write location: begin reads with write permission checked,
 * end writes the new value. When host is set the access goes straight to
 * host memory; lock asks for an atomic update (see x86_mem_rmw_cas). */
struct x86_rmw {
    uint64_t la;
    void *host;    /* RAM pointer or NULL (callbacks) */
    unsigned len;
    unsigned acc;
    bool atomic;   /* host is set, aligned: x86_mem_rmw_cas is atomic */
};

int x86_mem_rmw_begin(struct x86_cpu *cpu, unsigned seg, uint64_t off, unsigned len, bool lock,
                      struct x86_rmw *m, uint64_t *old);
int x86_mem_rmw_end(struct x86_cpu *cpu, const struct x86_rmw *m, uint64_t val);

/* Completes a locked update: if m->atomic, compare-exchanges *old -> val on
 * host memory and returns false (with *old = the current value) when another
 * CPU changed it meanwhile; the caller recomputes and retries. Otherwise
 * writes val and returns true. *rc receives the write status. */
bool x86_mem_rmw_cas(struct x86_cpu *cpu, const struct x86_rmw *m, uint64_t *old, uint64_t val,
                     int *rc);

/* Checks that seg:off could be written (segment checks, and the callbacks'
 * paging checks through a read made with write access) without writing. */
int x86_mem_probe_write(struct x86_cpu *cpu, unsigned seg, uint64_t off, unsigned len);

/* The stack (SS, width cpu->stack_size). push/pop update RSP only after the
 * memory access succeeded. */
int x86_push(struct x86_cpu *cpu, unsigned size, uint64_t val);
int x86_pop(struct x86_cpu *cpu, unsigned size, uint64_t *val);
/* Reads/writes at SP + delta without changing RSP (multi-slot pushes/pops). */
int x86_stack_read(struct x86_cpu *cpu, int64_t delta, unsigned size, uint64_t *val);
int x86_stack_write(struct x86_cpu *cpu, int64_t delta, unsigned size, uint64_t val);
/* RSP += delta, wrapped to the stack width (upper bits kept for 16-bit SS). */
void x86_sp_add(struct x86_cpu *cpu, int64_t delta);

#endif
