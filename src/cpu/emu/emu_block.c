/* The block cache: guest code is decoded once per (physical address, mode)
 * and kept until a write to its page or the cache filling up. A jump cache
 * keyed by virtual RIP skips the page walk for hot targets; it is flushed
 * whenever translations may have changed. */
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

#define EMU_ARENA_SIZE (32u << 20)

static size_t block_size(unsigned ninsns)
{
    return ALIGN_UP(sizeof(struct emu_block) + ninsns * sizeof(struct emu_insn), 16);
}

void emu_jump_cache_flush(struct cpu_vcpu *v)
{
    memset(v->jump, 0, sizeof(v->jump));
}

void emu_block_flush_all(struct cpu_vcpu *v)
{
    memset(v->hash, 0, sizeof(v->hash));
    emu_jump_cache_flush(v);
    v->arena_used = 0;
    v->prev = NULL;
    v->prev_link = NULL;
    emu_unlink_all(v);
}

/* Drops b's links, recorded before the last emu_unlink_all(). */
static void block_unlink(struct cpu_vcpu *v, struct emu_block *b)
{
    b->fall = NULL;
    for (unsigned i = 0; i < b->ninsns; i++)
        b->insn[i].link = NULL;
    b->link_epoch = v->chain_epoch;
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
        x86_insn_fn fn = x86_exec_prepare(ins, x->mode);
        b->insn[n].fn = fn == x86_exec ? emu_exec_checked : fn;
        b->insn[n].link = NULL;
        off += (unsigned)len;
        n++;
        if (emu_ends_block(ins->op) || off >= in_page)
            break;
    }
    b->rip = la;
    b->host = h;
    b->host2 = off > in_page ? h2 : NULL;
    b->pfn[0] = (uint64_t)pfn0;
    b->pfn[1] = off > in_page ? (uint64_t)pfn1 : (uint64_t)pfn0;
    b->mode_key = emu_mode_key(x);
    b->ninsns = (uint16_t)n;
    b->nbytes = (uint16_t)off;
    b->fall = NULL;
    b->link_epoch = v->chain_epoch;
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

/* Links are followed without a hash or jump-cache lookup, but still through
 * the TLB: the successor is used only if la still translates to its bytes,
 * so links survive INVLPG and CR3 writes (the TLB refills and they match
 * again). chain_epoch covers the other way a link goes stale: a write to
 * code (emu_run.c). */
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
    struct emu_block *p = v->prev, **slot = v->prev_link;
    if (slot && *slot && p->link_epoch == v->chain_epoch) {
        /* emu_block_linked leaves blocks spanning two pages to here */
        struct emu_block *n = *slot;
        if (n->rip == la && n->host == h && n->mode_key == mk && second_page_matches(v, n)) {
            v->st.linked++;
            return n;
        }
    }
    struct emu_block *b = block_lookup(v, la, mk, h, pa, walked, status);
    /* A rebuilt cache (block_build flushing it) took p with it: then v->prev
     * is NULL. */
    if (b && slot && v->prev == p) {
        if (p->link_epoch != v->chain_epoch)
            block_unlink(v, p);
        *slot = b;
    }
    return b;
}
