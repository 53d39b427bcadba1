/* The block cache: guest code is decoded once per (physical address, mode)
 * and kept until a write to its page or the cache filling up. A jump cache
 * keyed by virtual RIP skips the page walk for hot targets; it is flushed
 * whenever translations may have changed. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "cpu/emu/emu.h"

/* Operations after which a block ends: control transfers, and instructions
 * that change how the following code must be decoded, translated or
 * interrupted. */
static bool emu_ends_block(uint16_t op)
{
    switch (op) {
    case X86_OP_JMP: case X86_OP_JMPF: case X86_OP_CALL: case X86_OP_CALLF:
    case X86_OP_RET: case X86_OP_RETF: case X86_OP_IRET: case X86_OP_JCC:
    case X86_OP_JCXZ: case X86_OP_LOOP: case X86_OP_LOOPE: case X86_OP_LOOPNE:
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
    return ALIGN_UP(sizeof(struct emu_block) + ninsns * sizeof(struct x86_insn), 16);
}

void emu_jump_cache_flush(struct cpu_vcpu *v)
{
    memset(v->jump, 0, sizeof(v->jump));
}

void emu_jump_cache_flush_page(struct cpu_vcpu *v, uint64_t la)
{
    uint64_t page = la & X86_PAGE_MASK;
    for (unsigned i = 0; i < ARRAY_SIZE(v->jump); i++) {
        const struct emu_block *b = v->jump[i];
        /* A block may run into the next page: drop those starting just before. */
        if (b && ((b->rip & X86_PAGE_MASK) == page || ((b->rip + b->nbytes - 1) & X86_PAGE_MASK) == page))
            v->jump[i] = NULL;
    }
}

void emu_block_flush_all(struct cpu_vcpu *v)
{
    memset(v->hash, 0, sizeof(v->hash));
    emu_jump_cache_flush(v);
    v->arena_used = 0;
    v->cur = NULL;
}

static unsigned hash_index(uint64_t pa, uint32_t mode)
{
    uint64_t h = (pa ^ ((uint64_t)mode << 40)) * 0x9e3779b97f4a7c15ull;
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

static uint32_t mode_key(const struct x86_cpu *x)
{
    return x->mode;
}

static uint64_t fetch_la(const struct x86_cpu *x)
{
    uint64_t la = x->s.seg[X86_CS].base + x->s.rip;
    return x->mode == X86_MODE_LONG64 ? la : (la & 0xffffffffu);
}

/* Decodes a new block starting at la / pa (host bytes at h, the rest of the
 * page available). Returns NULL with *status set when even the first
 * instruction cannot be fetched or decoded. */
static struct emu_block *block_build(struct cpu_vcpu *v, uint64_t la, uint64_t pa, uint8_t *h,
                                     int *status)
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
                uint64_t la2 = la + in_page;
                if (x->mode != X86_MODE_LONG64)
                    la2 &= 0xffffffffu;
                /* Only fetch the next page when the instruction needs it. */
                struct x86_insn probe;
                if (x86_decode(window, first, x->mode, &probe) > 0) {
                    bytes = window;
                    goto decode;
                }
                unsigned acc = X86_ACC_EXEC | (x->cpl == 3 ? X86_ACC_USER : 0);
                int rc = emu_translate(v, la2, acc, &pa2, &h2);
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
        struct x86_insn *ins = &b->insn[n];
        int len = x86_decode(bytes, avail, x->mode, ins);
        if (len <= 0) {
            if (n == 0) {
                *status = len == X86_DECODE_TOO_LONG ? x86_raise_err(x, X86_EXC_GP, 0)
                                                      : x86_raise(x, X86_EXC_UD);
                return NULL;
            }
            break;
        }
        off += (unsigned)len;
        n++;
        if (emu_ends_block(ins->op) || off >= in_page)
            break;
    }
    b->pa = pa;
    b->rip = la;
    b->pfn[0] = (uint64_t)pfn0;
    b->pfn[1] = (uint64_t)pfn1;
    b->mode_key = mode_key(x);
    b->ninsns = (uint16_t)n;
    b->nbytes = (uint16_t)off;
    /* Generations are read after the page is marked: a write racing with the
     * decode bumps them and the block is rebuilt. */
    emu_mark_code_page(v, pa);
    b->gen[0] = atomic_load(&vm->page_gen[pfn0]);
    b->gen[1] = atomic_load(&vm->page_gen[pfn1]);
    v->arena_used += block_size(n);
    unsigned hi = hash_index(pa, b->mode_key);
    b->hash_next = v->hash[hi];
    v->hash[hi] = b;
    v->st.blocks_built++;
    return b;
}

struct emu_block *emu_block_get(struct cpu_vcpu *v, int *status)
{
    struct x86_cpu *x = &v->x;
    struct cpu_vm *vm = v->vm;
    uint64_t la = fetch_la(x);
    uint32_t mk = mode_key(x);
    struct emu_block **jslot = &v->jump[jump_index(la)];
    struct emu_block *b = *jslot;
    if (b && b->rip == la && b->mode_key == mk && block_valid(vm, b))
        return b;

    uint64_t pa;
    uint8_t *h;
    unsigned acc = X86_ACC_EXEC | (x->cpl == 3 ? X86_ACC_USER : 0);
    int rc = emu_translate(v, la, acc, &pa, &h);
    if (rc) {
        *status = rc;
        return NULL;
    }
    if (!h) {
        log_once(LOG_WARN, "cpu%u: the guest jumped to non-RAM address %#llx", v->index,
                 (unsigned long long)pa);
        *status = x86_raise_err(x, X86_EXC_GP, 0);
        return NULL;
    }
    /* Unlink stale blocks met on the way: a page rewritten many times would
     * otherwise leave a long chain of dead versions in its bucket. */
    struct emu_block **link = &v->hash[hash_index(pa, mk)];
    while ((b = *link)) {
        if (!block_valid(vm, b)) {
            *link = b->hash_next;
            continue;
        }
        if (b->pa == pa && b->mode_key == mk && b->rip == la)
            break;
        link = &b->hash_next;
    }
    v->st.jump_misses++;
    if (!b)
        b = block_build(v, la, pa, h, status);
    if (b)
        *jslot = b;
    return b;
}
