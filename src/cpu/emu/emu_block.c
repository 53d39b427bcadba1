/* The block cache: guest code is decoded once per (host address, linear
 * address, mode, CPL) and kept until a write to its page or the cache
 * filling up. The next block is found through the link the previous block
 * recorded for the way it left, else through the TLB (linear -> host
 * address) and a jump cache keyed by linear address, else in a hash table
 * keyed by host address, else decoded. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "cpu/emu/emu.h"
#include "x86/mem.h"

/* Operations after which a block ends: unconditional control transfers,
 * and instructions that change how the following code must be decoded,
 * translated or interrupted. A block goes on after a conditional branch
 * (Jcc, JrCXZ, LOOPcc), which leaves it when taken (X86_EXEC_BRANCH). */
static bool emu_ends_block(uint16_t op)
{
    switch (op) {
    case X86_OP_JMP: case X86_OP_JMPF: case X86_OP_CALL: case X86_OP_CALLF:
    case X86_OP_RET: case X86_OP_RETF: case X86_OP_IRET:
    case X86_OP_INT: case X86_OP_INT1: case X86_OP_INT3: case X86_OP_INTO:
    case X86_OP_HLT: case X86_OP_MOV_TO_SREG: case X86_OP_MOV_TO_CR: case X86_OP_MOV_TO_DR:
    case X86_OP_POP: /* may be POP SS (interrupt shadow) */
    case X86_OP_LSS: case X86_OP_LGDT: case X86_OP_LIDT: case X86_OP_LLDT: case X86_OP_LTR:
    case X86_OP_LMSW: case X86_OP_CLTS: case X86_OP_INVLPG: case X86_OP_INVPCID:
    case X86_OP_WRMSR: case X86_OP_SYSENTER: case X86_OP_SYSEXIT: case X86_OP_SYSCALL:
    case X86_OP_SYSRET: case X86_OP_RSM: case X86_OP_STI: case X86_OP_POPF:
    case X86_OP_XSETBV: case X86_OP_MWAIT: case X86_OP_UD0: case X86_OP_UD1: case X86_OP_UD2:
    case X86_OP_SWAPGS: case X86_OP_WRFSBASE: case X86_OP_WRGSBASE: case X86_OP_CPUID:
        return true;
    default:
        return false;
    }
}

static size_t block_size(unsigned ninsns)
{
    return ALIGN_UP(sizeof(struct emu_block) + (ninsns + 1) * sizeof(struct x86_prepared), 16);
}

static void jump_cache_flush(struct cpu_vcpu *v)
{
    memset(v->jump, 0, sizeof(v->jump));
}

void emu_block_flush_all(struct cpu_vcpu *v)
{
    if (v->arena_used)
        v->st.cache_flushes++;
    memset(v->hash, 0, sizeof(v->hash));
    jump_cache_flush(v);
    v->arena_used = 0;
    v->prev = NULL;
    v->prev_link = NULL;
    v->ncalls = 0;
}

static unsigned hash_index(const uint8_t *host, uint32_t mode)
{
    uint64_t h = ((uint64_t)(uintptr_t)host ^ ((uint64_t)mode << 56)) * 0x9e3779b97f4a7c15ull;
    return (unsigned)(h >> (64 - EMU_BLOCK_HASH_BITS));
}

static unsigned jump_index(uint64_t la)
{
    return (unsigned)((la ^ (la >> EMU_JUMP_CACHE_BITS)) & ((1u << EMU_JUMP_CACHE_BITS) - 1));
}

static bool block_valid(const struct cpu_vm *vm, const struct emu_block *b)
{
    for (int i = 0; i < 2; i++)
        if (atomic_load_explicit(&vm->page_gen[b->pfn[i]], memory_order_acquire) != b->gen[i])
            return false;
    return true;
}

static unsigned fetch_acc(const struct x86_cpu *x)
{
    return X86_ACC_EXEC | (x->cpl == 3 ? X86_ACC_USER : 0);
}

/* The linear address of the page after the one holding la. */
static uint64_t next_page_la(const struct x86_cpu *x, uint64_t la)
{
    uint64_t la2 = (la & X86_PAGE_MASK) + 4096;
    return x->mode == X86_MODE_LONG64 ? la2 : (la2 & 0xffffffffu);
}

/* The host address of the code at la: the TLB's execute entry, else a page
 * walk (which fills the entry). Raises #PF, or #GP(0) for code outside RAM
 * and ROM. pa is only produced by the walk (*walked = true). */
static int code_host(struct cpu_vcpu *v, uint64_t la, const uint8_t **host, uint64_t *pa,
                     bool *walked)
{
    struct x86_cpu *x = &v->x;
    const uint8_t *h = x86_tlb_lookup(x, la, 1, fetch_acc(x));
    *walked = false;
    if (likely(h)) {
        *host = h;
        return X86_EXEC_OK;
    }
    uint8_t *hp;
    int rc = emu_translate(v, la, fetch_acc(x), pa, &hp);
    if (rc)
        return rc;
    if (!hp) {
        log_once(LOG_WARN, "cpu%u: the guest jumped to non-RAM address %#llx", v->index,
                 (unsigned long long)*pa);
        return x86_raise_err(x, X86_EXC_GP, 0);
    }
    *host = hp;
    *walked = true;
    return X86_EXEC_OK;
}

/* For a block running into a second page: does that page still translate
 * to the bytes it was decoded from? A fault here is not raised: the block
 * is just not used, and a rebuilt one stops before the page. */
static bool second_page_matches(struct cpu_vcpu *v, const struct emu_block *b)
{
    if (!b->host2)
        return true;
    struct x86_cpu *x = &v->x;
    uint64_t la2 = next_page_la(x, b->rip);
    const uint8_t *h = x86_tlb_lookup(x, la2, 1, fetch_acc(x));
    if (!h) {
        uint64_t pa;
        uint8_t *hp;
        struct x86_exception saved = x->exc;
        int rc = emu_translate(v, la2, fetch_acc(x), &pa, &hp);
        x->exc = saved;
        if (rc || !hp)
            return false;
        h = hp;
    }
    return h == b->host2;
}

/* Decodes a new block starting at la / pa (host bytes at h, the rest of the
 * page available). Returns NULL with *status set when even the first
 * instruction cannot be fetched or decoded. */
static struct emu_block *block_build(struct cpu_vcpu *v, uint64_t la, uint64_t pa,
                                     const uint8_t *h, int *status)
{
    struct x86_cpu *x = &v->x;
    struct cpu_vm *vm = v->vm;
    size_t need = block_size(EMU_BLOCK_MAX_INSNS);
    if (v->arena_used + need > v->arena_size)
        emu_block_flush_all(v);
    struct emu_block *b = (struct emu_block *)(v->arena + v->arena_used);
    unsigned in_page = 4096 - (unsigned)(pa & 0xfff);
    unsigned off = 0, n = 0;
    int64_t pfn0 = emu_pfn_index(vm, pa), pfn1 = pfn0;
    uint8_t window[16];
    uint8_t *h2 = NULL; /* host bytes of the next page, once fetched */
    while (n < EMU_BLOCK_MAX_INSNS) {
        const uint8_t *bytes;
        size_t avail;
        if (off + 15 <= in_page) {
            bytes = h + off;
            avail = 15;
        } else if (off < in_page) {
            /* The instruction may cross into the next page. */
            unsigned first = in_page - off;
            memcpy(window, h + off, first);
            avail = first;
            if (!h2) {
                uint64_t pa2;
                /* Only fetch the next page when the instruction needs it. */
                struct x86_insn probe;
                if (x86_decode(window, first, x->mode, &probe) > 0) {
                    bytes = window;
                    goto decode;
                }
                int rc = emu_translate(v, next_page_la(x, la), fetch_acc(x), &pa2, &h2);
                if (rc || !h2) {
                    if (n == 0) {
                        *status = rc ? rc : x86_raise_err(x, X86_EXC_GP, 0);
                        return NULL;
                    }
                    break;
                }
                pfn1 = emu_pfn_index(vm, pa2);
                emu_mark_code_page(v, pa2);
            }
            memcpy(window + first, h2, 15 - first);
            avail = 15;
            bytes = window;
        } else {
            break; /* the next instruction starts on the next page */
        }
    decode:;
        struct x86_insn *ins = &b->insn[n].in;
        int len = x86_decode(bytes, avail, x->mode, ins);
        if (len <= 0) {
            if (n == 0) {
                *status = len == X86_DECODE_TOO_LONG ? x86_raise_err(x, X86_EXC_GP, 0)
                                                      : x86_raise(x, X86_EXC_UD);
                return NULL;
            }
            break;
        }
        b->insn[n].fn = x86_exec_prepare(ins, x->mode);
        b->insn[n].user = NULL;
        off += (unsigned)len;
        n++;
        if (emu_ends_block(ins->op) || off >= in_page)
            break;
    }
    b->insn[n].fn = emu_block_end; /* the terminator */
    b->insn[n].user = NULL;
    b->rip = la;
    b->host = h;
    b->host2 = off > in_page ? h2 : NULL;
    b->pfn[0] = (uint64_t)pfn0;
    b->pfn[1] = off > in_page ? (uint64_t)pfn1 : (uint64_t)pfn0;
    b->mode_key = emu_mode_key(x);
    b->tlb_need = x->cpl == 3 ? X86_TLB_UX : X86_TLB_X;
    b->ninsns = (uint16_t)n;
    b->nbytes = (uint16_t)off;
    b->fall = NULL;
    b->check_stamp = v->check_epoch[0] - 1; /* not seen current yet */
    b->global = 0;
    /* Generations are read after the page is marked: a write racing with the
     * decode bumps them and the block is rebuilt. */
    emu_mark_code_page(v, pa);
    b->gen[0] = atomic_load(&vm->page_gen[b->pfn[0]]);
    b->gen[1] = atomic_load(&vm->page_gen[b->pfn[1]]);
    v->arena_used += block_size(n);
    unsigned hi = hash_index(h, b->mode_key);
    b->hash_next = v->hash[hi];
    v->hash[hi] = b;
    v->st.blocks_built++;
    return b;
}

/* The block at la (host address h) when no link leads to it: the jump
 * cache, the hash table, or decoded now. pa is known when walked is set. */
static struct emu_block *block_lookup(struct cpu_vcpu *v, uint64_t la, uint32_t mk,
                                      const uint8_t *h, uint64_t pa, bool walked, int *status)
{
    struct cpu_vm *vm = v->vm;
    struct emu_block **jslot = &v->jump[jump_index(la)];
    struct emu_block *b = *jslot;
    if (b && b->rip == la && b->host == h && b->mode_key == mk && block_valid(vm, b) &&
        second_page_matches(v, b)) {
        v->st.jump_hits++;
        return b;
    }

    /* Unlink stale blocks met on the way: a page rewritten many times would
     * otherwise leave a long chain of dead versions in its bucket. */
    struct emu_block **link = &v->hash[hash_index(h, mk)];
    while ((b = *link)) {
        if (!block_valid(vm, b)) {
            *link = b->hash_next;
            continue;
        }
        if (b->host == h && b->rip == la && b->mode_key == mk && second_page_matches(v, b))
            break;
        link = &b->hash_next;
    }
    v->st.jump_misses++;
    if (!b) {
        if (!walked) {
            uint8_t *hp;
            int rc = emu_translate(v, la, fetch_acc(&v->x), &pa, &hp);
            if (rc) {
                *status = rc;
                return NULL;
            }
        }
        b = block_build(v, la, pa, h, status);
    }
    if (b)
        *jslot = b;
    return b;
}

/* Records that n is current now (it was just checked). */
static void block_checked(struct cpu_vcpu *v, struct emu_block *n)
{
    /* Global when the TLB's copy of global translations holds this one. */
    const struct x86_tlb_entry *g = &v->global_tlb.e[(n->rip >> 12) & (X86_TLB_SIZE - 1)];
    bool global = (g->tag & X86_PAGE_MASK) == (n->rip & X86_PAGE_MASK) &&
                  n->rip + g->addend == (uintptr_t)n->host;
    n->global = global;
    n->check_stamp = v->check_epoch[global];
}

bool emu_block_recheck(struct cpu_vcpu *v, struct emu_block *n, uint64_t la)
{
    const uint8_t *h = x86_tlb_lookup(&v->x, la, 1, fetch_acc(&v->x));
    if (h != n->host || !block_valid(v->vm, n))
        return false;
    block_checked(v, n);
    return true;
}

/* Links are followed without a hash or jump-cache lookup, and without a
 * TLB look-up or page-generation check while the block's check_stamp is
 * current: a TLB flush or a write to code moves check_epoch, and then the
 * block is checked again on the next arrival (emu_block_recheck), so links
 * survive INVLPG, MOV CR3 and self-modifying code elsewhere. */
struct emu_block *emu_block_next(struct cpu_vcpu *v, int *status)
{
    struct x86_cpu *x = &v->x;
    uint64_t la = emu_fetch_la(x);
    uint32_t mk = emu_mode_key(x);
    const uint8_t *h = NULL;
    uint64_t pa = 0;
    bool walked;
    int rc = code_host(v, la, &h, &pa, &walked);
    if (unlikely(rc)) {
        *status = rc;
        return NULL;
    }
    struct emu_block *p = v->prev;
    void **slot = v->prev_link;
    if (slot && *slot) {
        /* emu_block_linked leaves blocks spanning two pages to here */
        struct emu_block *n = *slot;
        if (n->rip == la && n->host == h && n->mode_key == mk && block_valid(v->vm, n) &&
            second_page_matches(v, n)) {
            v->st.linked++;
            block_checked(v, n);
            return n;
        }
    }
    struct emu_block *b = block_lookup(v, la, mk, h, pa, walked, status);
    if (b)
        block_checked(v, b); /* code_host() checked la -> h, block_lookup its pages */
    /* A rebuilt cache (block_build flushing it) took p with it: then v->prev
     * is NULL. */
    if (b && slot && v->prev == p)
        *slot = b;
    return b;
}
