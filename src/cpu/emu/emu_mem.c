/* Guest memory as the software CPU sees it: linear -> physical through the
 * guest's page tables (x86/paging.c), physical -> RAM or MMIO, and the
 * software TLB that makes the common case a compare and an add. */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "common/log.h"
#include "common/util.h"
#include "cpu/emu/emu.h"
#include "cpu/guest_phys.h"
#include "x86/paging.h"

static bool emu_is_code_page(struct cpu_vm *vm, uint64_t pa)
{
    int64_t i = emu_pfn_index(vm, pa);
    return i >= 0 && atomic_load_explicit(&vm->page_code[i], memory_order_relaxed);
}

static void tlb_drop_host_page(struct x86_tlb *t, const uint8_t *h)
{
    for (unsigned i = 0; i < X86_TLB_SIZE; i++) {
        struct x86_tlb_entry *e = &t->e[i];
        if (e->tag && (uintptr_t)(e->tag & X86_PAGE_MASK) + e->addend == (uintptr_t)h)
            e->tag = 0;
    }
}

/* Drops every TLB entry of this vCPU that maps host page h. */
static void emu_tlb_drop_host_page(struct cpu_vcpu *v, const uint8_t *h)
{
    tlb_drop_host_page(&v->x.tlb, h);
    tlb_drop_host_page(&v->global_tlb, h);
}

/* Fills the TLB entry for la, and its copy in global_tlb for a global
 * translation (CR4.PGE and G set in the PTE, SDM Vol. 3A, 4.10.2.4). */
static void emu_tlb_fill(struct cpu_vcpu *v, uint64_t la, void *host_page, unsigned perms,
                         bool global)
{
    x86_tlb_fill(&v->x, la, host_page, perms);
    if (global && (v->x.s.cr4 & X86_CR4_PGE)) {
        unsigned i = (la >> 12) & (X86_TLB_SIZE - 1);
        v->global_tlb.e[i] = v->x.tlb.e[i];
    }
}

void emu_tlb_flush_all(struct cpu_vcpu *v)
{
    x86_tlb_flush(&v->x);
    memset(&v->global_tlb, 0, sizeof(v->global_tlb));
    emu_blocks_unchecked(v);
}

void emu_mark_code_page(struct cpu_vcpu *v, uint64_t pa)
{
    struct cpu_vm *vm = v->vm;
    int64_t i = emu_pfn_index(vm, pa);
    if (i < 0 || atomic_load_explicit(&vm->page_code[i], memory_order_relaxed))
        return;
    atomic_store(&vm->page_code[i], 1);
    emu_tlb_drop_host_page(v, gmem_ptr(vm->env.mem, pa & X86_PAGE_MASK, 4096));
    if (vm->env.ncpus > 1)
        v->code_epoch = atomic_fetch_add(&vm->code_epoch, 1) + 1;
}

/* A write reached a page holding decoded code: invalidate those blocks. */
static void emu_code_write(struct cpu_vcpu *v, uint64_t pa)
{
    struct cpu_vm *vm = v->vm;
    int64_t i = emu_pfn_index(vm, pa);
    if (i < 0)
        return;
    atomic_fetch_add(&vm->page_gen[i], 1);
    atomic_store(&vm->page_code[i], 0);
    atomic_fetch_add(&vm->code_writes, 1);
    v->st.block_invalidations++;
    /* The running block may be the one being overwritten. */
    v->exit_block = true;
}

int emu_translate(struct cpu_vcpu *v, uint64_t la, unsigned acc, uint64_t *pa, uint8_t **host)
{
    struct x86_cpu *x = &v->x;
    struct x86_phys_ops ops = guest_phys_ops(v->vm->env.mem);
    ops.maxphyaddr = EMU_MAXPHYADDR;
    struct x86_walk_result r;
    uint32_t ec;
    v->st.tlb_misses++;
    int rc = x86_walk(&x->s, &ops, la, acc, &r, &ec);
    if (rc == X86_EXC_PF) {
        if (log_enabled(LOG_DEBUG) && (ec & X86_PF_RSVD)) {
            uint64_t t = x->s.cr3 & ~0xfffull;
            for (int lvl = 3; lvl >= 0; lvl--) {
                uint64_t e = 0;
                gmem_read(v->vm->env.mem, t + ((la >> (12 + 9 * lvl)) & 511) * 8, &e, 8);
                log_debug("walk %#llx level %d entry %#llx", (unsigned long long)la, lvl,
                          (unsigned long long)e);
                if (!(e & 1) || (e & 0x80))
                    break;
                t = e & 0x000ffffffffff000ull;
            }
        }
        return x86_raise_pf(x, ec, la);
    }
    if (rc)
        return x86_raise_err(x, X86_EXC_GP, 0);
    *pa = r.pa;
    uint64_t page_pa = r.pa & X86_PAGE_MASK;
    uint64_t apic;
    const struct cpu_intc *ic = v->vm->intc;
    if (ic && ic->ops->mmio_base(ic->ctx, v->index, &apic) && page_pa == (apic & X86_PAGE_MASK)) {
        *host = NULL; /* the LAPIC page shadows RAM */
        return X86_EXEC_OK;
    }
    /* GUEST: the whole 4 KiB page is checked to be RAM. */
    uint8_t *h = gmem_ptr(v->vm->env.mem, page_pa, 4096);
    if (!h) {
        /* ROM: reads and fetches from memory; writes go the slow way and are
         * dropped (emu_access_page), so no write permission is ever cached. */
        const uint8_t *rom = gmem_rom_ptr(v->vm->env.mem, page_pa, 4096);
        *host = rom ? (uint8_t *)rom + (r.pa & 0xfff) : NULL;
        if (rom && !(acc & X86_ACC_WRITE))
            emu_tlb_fill(v, la, (void *)rom, x86_tlb_perms(x, acc, &r, true), r.global);
        return X86_EXEC_OK;
    }
    *host = h + (r.pa & 0xfff);
    {
        bool code = emu_is_code_page(v->vm, page_pa);
        unsigned perms = x86_tlb_perms(x, acc, &r, code);
        struct x86_tlb_entry *e = &x->tlb.e[(la >> 12) & (X86_TLB_SIZE - 1)];
        if ((e->tag & X86_PAGE_MASK) == (la & X86_PAGE_MASK) &&
            e->addend == (uintptr_t)h - (uintptr_t)(la & X86_PAGE_MASK))
            perms |= (unsigned)(e->tag & 0x3f);
        if (perms)
            emu_tlb_fill(v, la, h, perms, r.global);
    }
    return X86_EXEC_OK;
}

static void emu_mmio(struct cpu_vcpu *v, uint64_t pa, uint8_t *data, unsigned len, bool write)
{
    const struct cpu_intc *ic = v->vm->intc;
    uint64_t apic;
    v->st.mmio++;
    while (len) {
        unsigned sz = len >= 8 && !(pa & 7) ? 8 : len >= 4 && !(pa & 3) ? 4
                    : len >= 2 && !(pa & 1) ? 2 : 1;
        if (ic && ic->ops->mmio_base(ic->ctx, v->index, &apic) &&
            (pa & X86_PAGE_MASK) == (apic & X86_PAGE_MASK)) {
            if (write) {
                uint64_t val = 0;
                memcpy(&val, data, sz);
                ic->ops->mmio_write(ic->ctx, v->index, pa & 0xfff, val, sz);
            } else {
                uint64_t val = ic->ops->mmio_read(ic->ctx, v->index, pa & 0xfff, sz);
                memcpy(data, &val, sz);
            }
        } else {
            guest_mmio_access(v->vm->env.mmio, pa, data, sz, write);
        }
        pa += sz;
        data += sz;
        len -= sz;
    }
}

/* One access within one page. */
static int emu_access_page(struct cpu_vcpu *v, uint64_t la, uint8_t *buf, unsigned len,
                           unsigned acc, bool write)
{
    uint64_t pa;
    uint8_t *h;
    int rc = emu_translate(v, la, acc, &pa, &h);
    if (rc)
        return rc;
    if (!h) {
        emu_mmio(v, pa, buf, len, write);
        return X86_EXEC_OK;
    }
    if (write) {
        if (!gmem_ptr(v->vm->env.mem, pa, len))
            return X86_EXEC_OK; /* ROM: writes are dropped */
        if (emu_is_code_page(v->vm, pa))
            emu_code_write(v, pa);
        memcpy(h, buf, len);
    } else {
        memcpy(buf, h, len);
    }
    return X86_EXEC_OK;
}

static int emu_access(struct x86_cpu *x, uint64_t la, uint8_t *buf, unsigned len, unsigned acc,
                      bool write)
{
    struct cpu_vcpu *v = emu_vcpu_of(x);
    unsigned first = 4096 - (unsigned)(la & 0xfff);
    if (len <= first)
        return emu_access_page(v, la, buf, len, acc, write);
    /* Crossing pages: translate the second page before changing anything. */
    uint64_t la2 = la + first;
    if (!(x->s.efer & X86_EFER_LMA))
        la2 &= 0xffffffffu;
    uint64_t pa;
    uint8_t *h;
    int rc = emu_translate(v, la2, acc, &pa, &h);
    if (rc)
        return rc;
    rc = emu_access_page(v, la, buf, first, acc, write);
    if (rc)
        return rc;
    return emu_access_page(v, la2, buf + first, len - first, acc, write);
}

static int emu_mem_read(struct x86_cpu *x, uint64_t la, void *dst, unsigned len, unsigned acc)
{
    return emu_access(x, la, dst, len, acc, false);
}

static int emu_mem_write(struct x86_cpu *x, uint64_t la, const void *src, unsigned len,
                         unsigned acc)
{
    return emu_access(x, la, (uint8_t *)src, len, acc | X86_ACC_WRITE, true);
}

static int emu_mem_ptr(struct x86_cpu *x, uint64_t la, unsigned len, unsigned acc, void **host)
{
    struct cpu_vcpu *v = emu_vcpu_of(x);
    *host = NULL;
    if (((la & 0xfff) + len) > 4096)
        return X86_EXEC_OK;
    uint64_t pa;
    uint8_t *h;
    int rc = emu_translate(v, la, acc, &pa, &h);
    if (rc)
        return rc;
    if (h && (acc & X86_ACC_WRITE)) {
        if (!gmem_ptr(v->vm->env.mem, pa, len))
            h = NULL; /* ROM: no writable pointer */
        else if (emu_is_code_page(v->vm, pa))
            emu_code_write(v, pa);
    }
    *host = h;
    return X86_EXEC_OK;
}

static int emu_pio_in(struct x86_cpu *x, uint16_t port, unsigned size, uint32_t *val)
{
    struct cpu_vcpu *v = emu_vcpu_of(x);
    v->st.pio++;
    *val = 0;
    bus_read(v->vm->env.pio, port, val, size);
    return X86_EXEC_OK;
}

static int emu_pio_out(struct x86_cpu *x, uint16_t port, unsigned size, uint32_t val)
{
    struct cpu_vcpu *v = emu_vcpu_of(x);
    v->st.pio++;
    bus_write(v->vm->env.pio, port, &val, size);
    return X86_EXEC_OK;
}

static int emu_cpuid_cb(struct x86_cpu *x, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    emu_cpuid(emu_vcpu_of(x), leaf, sub, out);
    return X86_EXEC_OK;
}

static int emu_rdtsc(struct x86_cpu *x, uint64_t *tsc)
{
    *tsc = emu_tsc(emu_vcpu_of(x));
    return X86_EXEC_OK;
}

static int emu_rdrand(struct x86_cpu *x, bool seed, uint64_t *val, bool *ok)
{
    (void)x;
    (void)seed;
    *ok = getrandom(val, sizeof(*val), GRND_NONBLOCK) == (ssize_t)sizeof(*val);
    return X86_EXEC_OK;
}

static int emu_rdmsr_cb(struct x86_cpu *x, uint32_t msr, uint64_t *val)
{
    if (emu_rdmsr(emu_vcpu_of(x), msr, val) < 0)
        return x86_raise_err(x, X86_EXC_GP, 0);
    return X86_EXEC_OK;
}

static int emu_wrmsr_cb(struct x86_cpu *x, uint32_t msr, uint64_t val)
{
    if (emu_wrmsr(emu_vcpu_of(x), msr, val) < 0)
        return x86_raise_err(x, X86_EXC_GP, 0);
    return X86_EXEC_OK;
}

/* The emulator changed translations (CR0/CR3/CR4/EFER writes, INVLPG, mode
 * switches) and flushed the TLB. Global translations survive a MOV CR3
 * (SDM Vol. 3A, 4.10.4.1): put them back, as a kernel switching address
 * spaces keeps using its own. Blocks and the links between them are reached
 * through the TLB, so no block cache needs flushing, but the current block
 * may have been decoded for another mode. */
static void emu_tlb_flush_cb(struct x86_cpu *x, uint64_t la, bool all, bool global)
{
    struct cpu_vcpu *v = emu_vcpu_of(x);
    v->st.tlb_flushes++;
    v->check_epoch[0]++;
    if (!all || global)
        v->check_epoch[1]++;
    if (!all) {
        struct x86_tlb_entry *g = &v->global_tlb.e[(la >> 12) & (X86_TLB_SIZE - 1)];
        if ((g->tag & X86_PAGE_MASK) == (la & X86_PAGE_MASK))
            g->tag = 0;
    } else if (global) {
        memset(&v->global_tlb, 0, sizeof(v->global_tlb));
    } else {
        for (unsigned i = 0; i < X86_TLB_SIZE; i++)
            if (v->global_tlb.e[i].tag)
                x->tlb.e[i] = v->global_tlb.e[i];
    }
    v->exit_block = true;
}

const struct x86_emu_ops emu_x86_ops = {
    .mem_read = emu_mem_read,
    .mem_write = emu_mem_write,
    .mem_ptr = emu_mem_ptr,
    .pio_in = emu_pio_in,
    .pio_out = emu_pio_out,
    .cpuid = emu_cpuid_cb,
    .rdtsc = emu_rdtsc,
    .rdrand = emu_rdrand,
    .rdmsr = emu_rdmsr_cb,
    .wrmsr = emu_wrmsr_cb,
    .tlb_flush = emu_tlb_flush_cb,
    .exec_general = emu_exec_general,
};
