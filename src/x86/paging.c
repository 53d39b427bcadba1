#include "x86/paging.h"

#define PTE_P    (1ull << 0)
#define PTE_RW   (1ull << 1)
#define PTE_US   (1ull << 2)
#define PTE_A    (1ull << 5)
#define PTE_D    (1ull << 6)
#define PTE_PS   (1ull << 7)
#define PTE_G    (1ull << 8)
#define PTE_NX   (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

struct walk {
    const struct x86_state *s;
    const struct x86_phys_ops *ops;
    unsigned access;
    bool user_ok, write_ok, nx;
    uint64_t entry_pa[5];
    uint64_t entry[5];
    unsigned entry_size;
    unsigned levels;
};

static bool walk_read(struct walk *w, uint64_t pa, uint64_t *val)
{
    return w->ops->read(w->ops->ctx, pa, val, w->entry_size);
}

static void walk_note(struct walk *w, uint64_t pa, uint64_t e)
{
    w->entry_pa[w->levels] = pa;
    w->entry[w->levels] = e;
    w->levels++;
    w->user_ok = w->user_ok && (e & PTE_US);
    w->write_ok = w->write_ok && (e & PTE_RW);
    if (w->entry_size == 8 && (e & PTE_NX))
        w->nx = true;
}

static uint32_t pf_code(const struct walk *w, bool present, bool rsvd)
{
    const struct x86_state *s = w->s;
    uint32_t ec = present ? X86_PF_P : 0;
    if (w->access & X86_ACC_WRITE)
        ec |= X86_PF_W;
    if ((w->access & X86_ACC_USER) && !(w->access & X86_ACC_IMPLICIT))
        ec |= X86_PF_U;
    if (rsvd)
        ec |= X86_PF_RSVD | X86_PF_P;
    if ((w->access & X86_ACC_EXEC) &&
        ((s->efer & X86_EFER_NXE) || (s->cr4 & X86_CR4_SMEP)))
        ec |= X86_PF_I;
    return ec;
}

/* Reserved bits of an entry: physical-address bits from MAXPHYADDR to 51,
 * NX when EFER.NXE is clear, and large-page address bits below the page
 * size. Bits 52-62 are ignored (software-available / protection keys). */
static bool entry_reserved(const struct walk *w, uint64_t e, unsigned level, bool large)
{
    if (w->entry_size == 4)
        return large && (e & (1ull << 21)); /* PSE-36 bit 21 is reserved */
    if ((e & PTE_NX) && !(w->s->efer & X86_EFER_NXE))
        return true;
    unsigned maxphy = w->ops->maxphyaddr ? w->ops->maxphyaddr : 52;
    if (maxphy < 52 && (e & (((1ull << 52) - 1) & ~((1ull << maxphy) - 1))))
        return true;
    if (large) {
        /* level 2 = 1 GiB, level 1 = 2 MiB; bit 12 is PAT */
        uint64_t low = level == 2 ? 0x3fffe000ull : 0x1fe000ull;
        if (e & low)
            return true;
    }
    return false;
}

static int walk_check(struct walk *w, struct x86_walk_result *out, uint32_t *errcode)
{
    const struct x86_state *s = w->s;
    bool user = (w->access & X86_ACC_USER) && !(w->access & X86_ACC_IMPLICIT);
    bool fault = false;
    if (user && !w->user_ok)
        fault = true;
    if (w->access & X86_ACC_WRITE) {
        if (!w->write_ok && (user || (s->cr0 & X86_CR0_WP)))
            fault = true;
    }
    if (w->access & X86_ACC_EXEC) {
        if (w->nx && (s->efer & X86_EFER_NXE))
            fault = true;
        if (!user && w->user_ok && (s->cr4 & X86_CR4_SMEP))
            fault = true;
    } else if (!user && w->user_ok && (s->cr4 & X86_CR4_SMAP)) {
        if ((w->access & X86_ACC_IMPLICIT) || !(s->rflags & X86_FLAG_AC))
            fault = true;
    }
    if (fault) {
        *errcode = pf_code(w, true, false);
        return X86_EXC_PF;
    }
    out->user = w->user_ok;
    out->writable = w->write_ok || (!user && !(s->cr0 & X86_CR0_WP));
    out->nx = w->nx && (s->efer & X86_EFER_NXE);
    return 0;
}

/* Sets A on every entry walked and D on the leaf for writes. */
static void walk_set_ad(struct walk *w)
{
    if (!w->ops->set_bits)
        return;
    for (unsigned i = 0; i < w->levels; i++) {
        uint64_t bits = PTE_A;
        if (i == w->levels - 1 && (w->access & X86_ACC_WRITE))
            bits |= PTE_D;
        if ((w->entry[i] & bits) != bits)
            w->ops->set_bits(w->ops->ctx, w->entry_pa[i], w->entry[i], bits, w->entry_size);
    }
}

static int walk_finish(struct walk *w, uint64_t pa, uint64_t size, bool global,
                       struct x86_walk_result *out, uint32_t *errcode)
{
    int rc = walk_check(w, out, errcode);
    if (rc)
        return rc;
    walk_set_ad(w);
    out->pa = pa;
    out->page_size = size;
    out->global = global;
    return 0;
}

static int walk_long(struct walk *w, uint64_t la, struct x86_walk_result *out, uint32_t *errcode)
{
    const struct x86_state *s = w->s;
    unsigned top = (s->cr4 & X86_CR4_LA57) ? 5 : 4;
    unsigned vbits = top == 5 ? 57 : 48;
    int64_t sx = (int64_t)(la << (64 - vbits)) >> (64 - vbits);
    if ((uint64_t)sx != la)
        return X86_EXC_GP;
    uint64_t table = s->cr3 & PTE_ADDR;
    for (unsigned level = top; level >= 1; level--) {
        unsigned shift = 12 + 9 * (level - 1);
        uint64_t pa = table + (((la >> shift) & 0x1ff) << 3);
        uint64_t e;
        if (!walk_read(w, pa, &e)) {
            *errcode = pf_code(w, true, true);
            return X86_EXC_PF;
        }
        if (!(e & PTE_P)) {
            *errcode = pf_code(w, false, false);
            return X86_EXC_PF;
        }
        bool large = level <= 3 && level >= 2 && (e & PTE_PS);
        if (level >= 4 && (e & PTE_PS)) {
            *errcode = pf_code(w, true, true);
            return X86_EXC_PF;
        }
        if (entry_reserved(w, e, level - 1, large)) {
            *errcode = pf_code(w, true, true);
            return X86_EXC_PF;
        }
        walk_note(w, pa, e);
        if (large || level == 1) {
            uint64_t size = 1ull << shift;
            uint64_t base = e & PTE_ADDR & ~(size - 1);
            return walk_finish(w, base | (la & (size - 1)), size, e & PTE_G, out, errcode);
        }
        table = e & PTE_ADDR;
    }
    return X86_EXC_GP; /* not reached */
}

static int walk_pae(struct walk *w, uint64_t la, struct x86_walk_result *out, uint32_t *errcode)
{
    la &= 0xffffffffu;
    uint64_t pdpte_pa = (w->s->cr3 & 0xffffffe0u) + ((la >> 30) << 3);
    uint64_t pdpte;
    if (!walk_read(w, pdpte_pa, &pdpte) || !(pdpte & PTE_P)) {
        *errcode = pf_code(w, false, false);
        return X86_EXC_PF;
    }
    /* PDPTEs carry no permissions; they don't count for U/S, R/W or A/D. */
    uint64_t table = pdpte & PTE_ADDR;
    for (unsigned level = 2; level >= 1; level--) {
        unsigned shift = 12 + 9 * (level - 1);
        uint64_t pa = table + (((la >> shift) & 0x1ff) << 3);
        uint64_t e;
        if (!walk_read(w, pa, &e)) {
            *errcode = pf_code(w, true, true);
            return X86_EXC_PF;
        }
        if (!(e & PTE_P)) {
            *errcode = pf_code(w, false, false);
            return X86_EXC_PF;
        }
        bool large = level == 2 && (e & PTE_PS);
        if (entry_reserved(w, e, 1, large)) {
            *errcode = pf_code(w, true, true);
            return X86_EXC_PF;
        }
        walk_note(w, pa, e);
        if (large || level == 1) {
            uint64_t size = 1ull << shift;
            uint64_t base = e & PTE_ADDR & ~(size - 1);
            return walk_finish(w, base | (la & (size - 1)), size, e & PTE_G, out, errcode);
        }
        table = e & PTE_ADDR;
    }
    return X86_EXC_GP;
}

static int walk_32(struct walk *w, uint64_t la, struct x86_walk_result *out, uint32_t *errcode)
{
    la &= 0xffffffffu;
    uint64_t table = w->s->cr3 & 0xfffff000u;
    for (unsigned level = 2; level >= 1; level--) {
        unsigned shift = level == 2 ? 22 : 12;
        uint64_t pa = table + (((la >> shift) & 0x3ff) << 2);
        uint64_t e;
        if (!walk_read(w, pa, &e)) {
            *errcode = pf_code(w, true, true);
            return X86_EXC_PF;
        }
        e &= 0xffffffffu;
        if (!(e & PTE_P)) {
            *errcode = pf_code(w, false, false);
            return X86_EXC_PF;
        }
        bool large = level == 2 && (e & PTE_PS) && (w->s->cr4 & X86_CR4_PSE);
        if (entry_reserved(w, e, 1, large)) {
            *errcode = pf_code(w, true, true);
            return X86_EXC_PF;
        }
        walk_note(w, pa, e);
        if (large) {
            uint64_t base = (e & 0xffc00000u) | ((e & 0x1fe000ull) << 19); /* PSE-36 */
            return walk_finish(w, base | (la & 0x3fffff), 1ull << 22, e & PTE_G, out, errcode);
        }
        if (level == 1)
            return walk_finish(w, (e & 0xfffff000u) | (la & 0xfff), 4096, e & PTE_G, out, errcode);
        table = e & 0xfffff000u;
    }
    return X86_EXC_GP;
}

int x86_walk(const struct x86_state *s, const struct x86_phys_ops *ops, uint64_t la,
             unsigned access, struct x86_walk_result *out, uint32_t *errcode)
{
    *errcode = 0;
    if (!(s->cr0 & X86_CR0_PG)) {
        out->pa = (s->efer & X86_EFER_LMA) ? la : (la & 0xffffffffu);
        out->page_size = 4096;
        out->writable = out->user = true;
        out->nx = out->global = false;
        return 0;
    }
    struct walk w = { .s = s, .ops = ops, .access = access, .user_ok = true, .write_ok = true,
                      .entry_size = 8 };
    if (s->efer & X86_EFER_LMA)
        return walk_long(&w, la, out, errcode);
    if (s->cr4 & X86_CR4_PAE)
        return walk_pae(&w, la, out, errcode);
    w.entry_size = 4;
    return walk_32(&w, la, out, errcode);
}
