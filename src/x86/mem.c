/* Memory access for the executor: segmentation, TLB hit path, callbacks,
 * locked read-modify-write and the stack (see x86/mem.h). */
#include "x86/mem.h"

#include "x86/flags.h"
#include "x86/mem_atomic.h"

/* ---- Segmentation --------------------------------------------------------- */

static int seg_fault(struct x86_cpu *cpu, unsigned seg)
{
    return x86_raise_err(cpu, seg == X86_SS ? X86_EXC_SS : X86_EXC_GP, 0);
}

/* Segment type rules for data accesses in protected mode (SDM Vol. 3A,
 * 5.4 and Table 3-1): writes need a writable data segment, reads a data or
 * readable code segment. Fetches are checked by the caller against CS. */
static bool seg_type_allows(uint32_t attr, unsigned kind)
{
    unsigned type = X86_SEG_TYPE(attr);
    bool code = type & 8;
    if (kind == X86_ACC_WRITE)
        return !code && (type & 2);
    if (kind == X86_ACC_READ)
        return !code || (type & 2);
    return code;
}

/* Limit check (SDM Vol. 3A, 5.3): expand-down data segments hold the
 * offsets above the limit, up to 64 KiB or 4 GiB by the B flag. */
static bool seg_limit_allows(const struct x86_seg *sg, uint64_t off, unsigned len)
{
    uint64_t last = off + len - 1;
    unsigned type = X86_SEG_TYPE(sg->attr);
    if (!(type & 8) && (type & 4)) {
        uint64_t upper = (sg->attr & X86_SEG_DB) ? 0xffffffffu : 0xffffu;
        return off > sg->limit && last <= upper && last >= off;
    }
    return last <= sg->limit && last >= off;
}

int x86_mem_linear_slow(struct x86_cpu *cpu, unsigned seg, uint64_t off, unsigned len,
                        unsigned acc, uint64_t *la)
{
    if (seg > X86_GS)
        return x86_raise_err(cpu, X86_EXC_GP, 0);
    const struct x86_seg *sg = &cpu->s.seg[seg];

    if (cpu->mode == X86_MODE_LONG64) {
        /* Only the non-canonical case reaches here (x86_mem_linear). */
        return seg_fault(cpu, seg);
    }
    bool prot = cpu->mode != X86_MODE_REAL && cpu->mode != X86_MODE_VM86;
    if (prot) {
        if (sg->attr & X86_SEG_UNUSABLE)
            return seg_fault(cpu, seg);
        if (!seg_type_allows(sg->attr, acc & 3))
            return seg_fault(cpu, seg);
    }
    if (!seg_limit_allows(sg, off, len))
        return seg_fault(cpu, seg);
    *la = (sg->base + off) & 0xffffffffu;
    return X86_EXEC_OK;
}

/* #AC: CR0.AM, RFLAGS.AC, CPL 3 and a misaligned operand (SDM Vol. 3A, 6.15). */
static bool misaligned_ac(const struct x86_cpu *cpu, uint64_t la, unsigned len)
{
    return (la & (len - 1)) && cpu->cpl == 3 && (cpu->s.cr0 & X86_CR0_AM) &&
           (cpu->s.rflags & X86_FLAG_AC);
}

/* ---- Linear accesses ------------------------------------------------------ */

int x86_mem_read_la(struct x86_cpu *cpu, uint64_t la, void *dst, unsigned len, unsigned acc)
{
    void *host = x86_tlb_lookup(cpu, la, len, acc);
    if (host) {
        memcpy(dst, host, len);
        return X86_EXEC_OK;
    }
    return cpu->ops->mem_read(cpu, la, dst, len, acc);
}

int x86_mem_write_la(struct x86_cpu *cpu, uint64_t la, const void *src, unsigned len,
                     unsigned acc)
{
    void *host = x86_tlb_lookup(cpu, la, len, acc);
    if (host) {
        memcpy(host, src, len);
        return X86_EXEC_OK;
    }
    return cpu->ops->mem_write(cpu, la, src, len, acc);
}

static inline uint64_t load_host(const void *p, unsigned len)
{
    switch (len) {
    case 1: return *(const uint8_t *)p;
    case 2: return get_le16(p);
    case 4: return get_le32(p);
    default: return get_le64(p);
    }
}

static inline void store_host(void *p, unsigned len, uint64_t v)
{
    switch (len) {
    case 1: *(uint8_t *)p = (uint8_t)v; break;
    case 2: put_le16(p, (uint16_t)v); break;
    case 4: put_le32(p, (uint32_t)v); break;
    default: put_le64(p, v); break;
    }
}

int x86_mem_read(struct x86_cpu *cpu, unsigned seg, uint64_t off, unsigned len, uint64_t *val)
{
    uint64_t la;
    unsigned acc = x86_mem_acc(cpu, X86_ACC_READ);
    int rc = x86_mem_linear(cpu, seg, off, len, X86_ACC_READ, &la);
    if (unlikely(rc))
        return rc;
    void *host = x86_tlb_lookup(cpu, la, len, acc);
    if (likely(host)) {
        if (unlikely(misaligned_ac(cpu, la, len)))
            return x86_raise_err(cpu, X86_EXC_AC, 0);
        *val = load_host(host, len);
        return X86_EXEC_OK;
    }
    if (misaligned_ac(cpu, la, len))
        return x86_raise_err(cpu, X86_EXC_AC, 0);
    uint8_t buf[8];
    rc = cpu->ops->mem_read(cpu, la, buf, len, acc);
    if (rc)
        return rc;
    *val = load_host(buf, len);
    return X86_EXEC_OK;
}

int x86_mem_write(struct x86_cpu *cpu, unsigned seg, uint64_t off, unsigned len, uint64_t val)
{
    uint64_t la;
    unsigned acc = x86_mem_acc(cpu, X86_ACC_WRITE);
    int rc = x86_mem_linear(cpu, seg, off, len, X86_ACC_WRITE, &la);
    if (unlikely(rc))
        return rc;
    if (unlikely(misaligned_ac(cpu, la, len)))
        return x86_raise_err(cpu, X86_EXC_AC, 0);
    void *host = x86_tlb_lookup(cpu, la, len, acc);
    if (likely(host)) {
        store_host(host, len, val);
        return X86_EXEC_OK;
    }
    uint8_t buf[8];
    store_host(buf, len, val);
    return cpu->ops->mem_write(cpu, la, buf, len, acc);
}

int x86_mem_read_buf(struct x86_cpu *cpu, unsigned seg, uint64_t off, void *dst, unsigned len)
{
    uint64_t la;
    int rc = x86_mem_linear(cpu, seg, off, len, X86_ACC_READ, &la);
    if (rc)
        return rc;
    return x86_mem_read_la(cpu, la, dst, len, x86_mem_acc(cpu, X86_ACC_READ));
}

int x86_mem_write_buf(struct x86_cpu *cpu, unsigned seg, uint64_t off, const void *src,
                      unsigned len)
{
    uint64_t la;
    int rc = x86_mem_linear(cpu, seg, off, len, X86_ACC_WRITE, &la);
    if (rc)
        return rc;
    return x86_mem_write_la(cpu, la, src, len, x86_mem_acc(cpu, X86_ACC_WRITE));
}

/* ---- Read-modify-write ---------------------------------------------------- */

/* A host pointer for an aligned locked access: the TLB, else mem_ptr.
 * GUEST: both hand out pointers only for the checked linear range
 * [la, la + len), which is naturally aligned and so inside one page. */
static int rmw_host_ptr(struct x86_cpu *cpu, struct x86_rmw *m)
{
    m->host = x86_tlb_lookup(cpu, m->la, m->len, m->acc);
    if (!m->host && cpu->ops->mem_ptr) {
        int rc = cpu->ops->mem_ptr(cpu, m->la, m->len, m->acc, &m->host);
        if (rc)
            return rc;
    }
    return X86_EXEC_OK;
}

int x86_mem_rmw_begin(struct x86_cpu *cpu, unsigned seg, uint64_t off, unsigned len, bool lock,
                      struct x86_rmw *m, uint64_t *old)
{
    int rc = x86_mem_linear(cpu, seg, off, len, X86_ACC_WRITE, &m->la);
    if (unlikely(rc))
        return rc;
    m->len = len;
    m->acc = x86_mem_acc(cpu, X86_ACC_WRITE);
    m->atomic = false;
    if (unlikely(misaligned_ac(cpu, m->la, len)))
        return x86_raise_err(cpu, X86_EXC_AC, 0);
    if (unlikely(lock) && !(m->la & (len - 1))) {
        rc = rmw_host_ptr(cpu, m);
        if (rc)
            return rc;
        if (m->host) {
            m->atomic = true;
            *old = x86_atomic_load(m->host, len);
            return X86_EXEC_OK;
        }
    } else {
        m->host = x86_tlb_lookup(cpu, m->la, len, m->acc);
    }
    if (m->host) {
        *old = load_host(m->host, len);
        return X86_EXEC_OK;
    }
    uint8_t buf[8];
    rc = cpu->ops->mem_read(cpu, m->la, buf, len, m->acc);
    if (rc)
        return rc;
    *old = load_host(buf, len);
    return X86_EXEC_OK;
}

int x86_mem_rmw_end(struct x86_cpu *cpu, const struct x86_rmw *m, uint64_t val)
{
    if (m->atomic) {
        x86_atomic_store(m->host, m->len, val);
        return X86_EXEC_OK;
    }
    if (m->host) {
        store_host(m->host, m->len, val);
        return X86_EXEC_OK;
    }
    uint8_t buf[8];
    store_host(buf, m->len, val);
    return cpu->ops->mem_write(cpu, m->la, buf, m->len, m->acc);
}

bool x86_mem_rmw_cas(struct x86_cpu *cpu, const struct x86_rmw *m, uint64_t *old, uint64_t val,
                     int *rc)
{
    *rc = X86_EXEC_OK;
    if (m->atomic)
        return x86_atomic_cas(m->host, m->len, old, val);
    *rc = x86_mem_rmw_end(cpu, m, val);
    return true;
}

int x86_mem_probe_write(struct x86_cpu *cpu, unsigned seg, uint64_t off, unsigned len)
{
    struct x86_rmw m;
    uint64_t old;
    return x86_mem_rmw_begin(cpu, seg, off, len, false, &m, &old);
}

/* ---- Stack ---------------------------------------------------------------- */

static inline uint64_t sp_mask(const struct x86_cpu *cpu)
{
    return x86_size_mask(cpu->stack_size);
}

void x86_sp_add(struct x86_cpu *cpu, int64_t delta)
{
    uint64_t *rsp = &cpu->s.gpr[X86_RSP];
    uint64_t mask = sp_mask(cpu);
    uint64_t sp = (*rsp + (uint64_t)delta) & mask;
    if (cpu->stack_size == 2)
        *rsp = (*rsp & ~mask) | sp;
    else
        *rsp = sp;
}

int x86_stack_read(struct x86_cpu *cpu, int64_t delta, unsigned size, uint64_t *val)
{
    uint64_t off = (cpu->s.gpr[X86_RSP] + (uint64_t)delta) & sp_mask(cpu);
    return x86_mem_read(cpu, X86_SS, off, size, val);
}

int x86_stack_write(struct x86_cpu *cpu, int64_t delta, unsigned size, uint64_t val)
{
    uint64_t off = (cpu->s.gpr[X86_RSP] + (uint64_t)delta) & sp_mask(cpu);
    return x86_mem_write(cpu, X86_SS, off, size, val);
}

int x86_push(struct x86_cpu *cpu, unsigned size, uint64_t val)
{
    int rc = x86_stack_write(cpu, -(int64_t)size, size, val);
    if (likely(!rc))
        x86_sp_add(cpu, -(int64_t)size);
    return rc;
}

int x86_pop(struct x86_cpu *cpu, unsigned size, uint64_t *val)
{
    int rc = x86_stack_read(cpu, 0, size, val);
    if (likely(!rc))
        x86_sp_add(cpu, size);
    return rc;
}

/* ---- Software TLB maintenance --------------------------------------------- */

unsigned x86_tlb_perms(const struct x86_cpu *x, unsigned acc, const struct x86_walk_result *r,
                       bool no_writes)
{
    bool user = acc & X86_ACC_USER;
    unsigned perms = 0;
    /* Under SMAP a supervisor access to a user page depends on RFLAGS.AC,
     * which a cached entry cannot see: such pages always take the walk. */
    if (!user && r->user && (x->s.cr4 & X86_CR4_SMAP))
        return 0;
    if (acc & X86_ACC_EXEC)
        perms |= X86_TLB_X | X86_TLB_R;
    else
        perms |= X86_TLB_R;
    /* Writes are only cached after a write walk (which set the D bit). */
    if ((acc & X86_ACC_WRITE) && r->writable && !no_writes)
        perms |= X86_TLB_W;
    if (acc & X86_ACC_EXEC && r->nx)
        perms &= ~(unsigned)X86_TLB_X;
    return user ? perms << 3 : perms;
}

void x86_tlb_fill(struct x86_cpu *cpu, uint64_t la, void *host_page, unsigned perms)
{
    struct x86_tlb_entry *e = &cpu->tlb.e[(la >> 12) & (X86_TLB_SIZE - 1)];
    uint64_t page = la & X86_PAGE_MASK;
    e->tag = page | (perms & 0x3f);
    e->addend = (uintptr_t)host_page - (uintptr_t)page;
}

void x86_tlb_flush(struct x86_cpu *cpu)
{
    memset(&cpu->tlb, 0, sizeof(cpu->tlb));
}

void x86_tlb_flush_page(struct x86_cpu *cpu, uint64_t la)
{
    struct x86_tlb_entry *e = &cpu->tlb.e[(la >> 12) & (X86_TLB_SIZE - 1)];
    if ((e->tag & X86_PAGE_MASK) == (la & X86_PAGE_MASK))
        e->tag = 0;
}
