/* Prepared execution (x86_exec_prepare, x86/exec_fast.c) against x86_exec().
 *
 * The prepared functions (specialised versions and the general path) must
 * do exactly what x86_exec() does, then go on with the next record or
 * return with cpu->run_exit set. This test
 * encodes every form they specialise (each operation, operand size and
 * addressing shape, plus neighbours that must stay on the general path),
 * and runs each on random states twice: once through x86_exec() and once
 * through the prepared function, on two copies of a small machine
 * (exec_fixture.h). The states aim memory operands at mapped pages, at the
 * end of a page, at an unmapped page, at non-canonical addresses; the
 * prepared copy gets a software TLB filled with random permissions, so both
 * its fast path and its fallback run; some states run at CPL 3 with
 * alignment checking on. Each prepared record runs followed by a
 * terminator record, as the emu backend runs them. Registers, RIP, RFLAGS,
 * memory, the status and the exception must agree (reaching the terminator
 * standing for X86_EXEC_OK, X86_EXEC_BRANCH for X86_EXEC_OK with RIP moved
 * elsewhere). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "exec_fixture.h"
#include "x86/flags.h"

#define DATA 0x40000u   /* four mapped pages */
#define DATA_LEN 0x4000u
#define HOLE (DATA + DATA_LEN) /* an unmapped page right after them */
#define CMP_LO (DATA - 0x1000u)
#define CMP_HI (HOLE + 0x1000u)
#define STATES 96

/* ---- A small PRNG (xorshift64*), fixed seed ------------------------------------ */

struct rng {
    uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545f4914f6cdd1dull;
}

static unsigned below(struct rng *r, unsigned n)
{
    return (unsigned)(rnd(r) % n);
}

/* Register values that hit the interesting cases of flags and sizes. */
static uint64_t rnd_value(struct rng *r)
{
    static const uint64_t special[] = { 0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
                                        0x7fffffff, 0x80000000u, 0xffffffffu,
                                        0x7fffffffffffffffull, 0x8000000000000000ull,
                                        ~0ull, 63, 64, 31, 32 };
    if (below(r, 3) == 0)
        return special[below(r, sizeof(special) / sizeof(special[0]))];
    return rnd(r);
}

/* ---- Encoding ------------------------------------------------------------------------ */

enum size_pfx { SZ_BYTE, SZ_BYTE_REX, SZ_16, SZ_32, SZ_64 };

/* The r/m operand: a register, or memory [base + index * 2^scale + disp]. */
struct rm {
    bool mem;
    int reg;              /* register form */
    int base, index;      /* -1: none; 16: RIP */
    unsigned scale;
    int32_t disp;
    unsigned disp_bytes;  /* 0, 1 or 4 */
    uint8_t seg_pfx;      /* 0, 0x64 (FS) or 0x65 (GS) */
    bool addr32;          /* 0x67 */
};

struct enc {
    uint8_t b[15];
    unsigned n;
};

static void put(struct enc *e, uint8_t v)
{
    assert_true(e->n < 15);
    e->b[e->n++] = v;
}

static void put_imm(struct enc *e, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        put(e, (uint8_t)(v >> (8 * i)));
}

/* Prefixes, REX, opcode, ModRM/SIB/displacement for "op reg_field, rm". */
static void encode(struct enc *e, bool lock, enum size_pfx sz, const uint8_t *op, unsigned oplen,
                   unsigned reg_field, const struct rm *rm)
{
    e->n = 0;
    if (lock)
        put(e, 0xf0);
    if (rm->seg_pfx)
        put(e, rm->seg_pfx);
    if (sz == SZ_16)
        put(e, 0x66);
    if (rm->addr32)
        put(e, 0x67);
    unsigned rex = 0;
    if (sz == SZ_64)
        rex |= 8;
    if (reg_field & 8)
        rex |= 4;
    unsigned rmreg = rm->mem ? (unsigned)(rm->base < 0 ? 5 : rm->base & 15) : (unsigned)rm->reg;
    if (rm->mem && rm->index >= 0 && (rm->index & 8))
        rex |= 2;
    if (rm->mem ? (rm->base >= 0 && rm->base < 16 && (rm->base & 8)) : (rm->reg & 8))
        rex |= 1;
    if (rex || sz == SZ_BYTE_REX)
        put(e, (uint8_t)(0x40 | rex));
    for (unsigned i = 0; i < oplen; i++)
        put(e, op[i]);
    if (!rm->mem) {
        put(e, (uint8_t)(0xc0 | (reg_field & 7) << 3 | (rmreg & 7)));
        return;
    }
    if (rm->base == 16) { /* RIP-relative */
        put(e, (uint8_t)((reg_field & 7) << 3 | 5));
        put_imm(e, (uint32_t)rm->disp, 4);
        return;
    }
    unsigned mod = rm->disp_bytes == 0 ? 0 : rm->disp_bytes == 1 ? 1 : 2;
    if (mod == 0 && (rmreg & 7) == 5)
        mod = 1; /* [rBP]/[r13] need a displacement */
    unsigned disp_bytes = mod == 0 ? 0 : mod == 1 ? 1 : 4;
    bool sib = rm->index >= 0 || (rmreg & 7) == 4;
    put(e, (uint8_t)(mod << 6 | (reg_field & 7) << 3 | (sib ? 4 : (rmreg & 7))));
    if (sib) {
        unsigned idx = rm->index >= 0 ? (unsigned)rm->index & 7 : 4;
        put(e, (uint8_t)(rm->scale << 6 | idx << 3 | (rmreg & 7)));
    }
    put_imm(e, (uint32_t)rm->disp, disp_bytes);
}

/* ---- The two machines ---------------------------------------------------------------- */

struct pair {
    struct fx a, b; /* a: x86_exec(); b: the prepared function */
    uint8_t init[CMP_HI - CMP_LO];
};

/* A memory operand target: mostly inside the mapped pages, sometimes at a
 * page end (crossing into the next page or the hole), in the hole, or
 * non-canonical. */
static uint64_t rnd_target(struct rng *r, unsigned size)
{
    switch (below(r, 16)) {
    case 0: return HOLE + below(r, 64);                            /* #PF */
    case 1: return DATA + DATA_LEN - size + 1 + below(r, size);    /* into the hole */
    case 2: return DATA + 0x1000 * below(r, 3) + 0x1000 - below(r, 8); /* page crossing */
    case 3: return 0x0000800000000000ull + below(r, 64);           /* non-canonical */
    default: return DATA + 16 + below(r, DATA_LEN - 64);           /* misaligned too */
    }
}

/* Random TLB entries for the prepared machine: its fast path hits them, or
 * misses for want of a permission and falls back. */
static void rnd_tlb(struct rng *r, struct fx *f)
{
    for (uint64_t page = DATA; page < DATA + DATA_LEN; page += 0x1000) {
        static const unsigned perm_sets[] = {
            X86_TLB_R | X86_TLB_W | X86_TLB_X | X86_TLB_UR | X86_TLB_UW | X86_TLB_UX,
            X86_TLB_R | X86_TLB_W | X86_TLB_UR | X86_TLB_UW,
            X86_TLB_R | X86_TLB_W,
            X86_TLB_R | X86_TLB_UR,
            X86_TLB_R,
            0,
        };
        unsigned perms = perm_sets[below(r, 6)];
        if (perms)
            x86_tlb_fill(&f->cpu, page, f->mem + page, perms);
    }
}

/* Leaves a lazy-flags record from a real flag-setting instruction. */
static void rnd_lazy(struct rng *r, struct fx *f, const struct x86_insn *setter)
{
    if (setter && below(r, 4) != 0) {
        uint64_t rip = f->cpu.s.rip;
        x86_exec(&f->cpu, setter);
        f->cpu.s.rip = rip;
    }
}

struct form {
    char name[48];
    struct enc e;
    struct x86_insn in;
};

static const struct x86_insn *flag_setters(struct rng *r)
{
    static struct x86_insn ins[6];
    static bool done;
    static const uint8_t code[6][4] = {
        { 0x48, 0x01, 0xd8 }, /* add rax, rbx */
        { 0x48, 0x29, 0xd8 }, /* sub rax, rbx */
        { 0x21, 0xd8 },       /* and eax, ebx */
        { 0xfe, 0xc0 },       /* inc al */
        { 0x48, 0xd3, 0xe0 }, /* shl rax, cl */
        { 0x66, 0x39, 0xd8 }, /* cmp ax, bx */
    };
    if (!done) {
        for (unsigned i = 0; i < 6; i++)
            assert_true(x86_decode(code[i], 4, X86_MODE_LONG64, &ins[i]) > 0);
        done = true;
    }
    return &ins[below(r, 6)];
}

/* Aims the memory operand of in at target (registers, RIP or FS/GS base). */
static void aim(struct rng *r, struct x86_state *s, const struct x86_insn *in, uint64_t target)
{
    uint64_t t = target;
    if (in->seg == X86_FS || in->seg == X86_GS) {
        s->seg[in->seg].base = below(r, 2) ? 0 : 0x1000u * below(r, 16);
        t -= s->seg[in->seg].base;
    }
    t -= (uint64_t)(int64_t)in->disp;
    if (in->index != X86_REG_NONE) {
        uint64_t iv = below(r, 32);
        s->gpr[in->index & 15] = iv;
        t -= iv << in->scale;
    }
    if (in->base == X86_REG_RIP)
        s->rip = t - in->len;
    else if (in->base != X86_REG_NONE)
        s->gpr[in->base & 15] = t;
    if (in->addrsize == 4 && in->base != X86_REG_NONE && in->base != X86_REG_RIP)
        s->gpr[in->base & 15] = (rnd(r) << 32) | (uint32_t)t; /* upper bits ignored */
}

static bool has_mem(const struct x86_insn *in)
{
    for (unsigned i = 0; i < in->nopnd; i++)
        if (in->opnd[i].kind == X86_OPND_MEM)
            return true;
    return false;
}

static unsigned mem_size(const struct x86_insn *in)
{
    for (unsigned i = 0; i < in->nopnd; i++)
        if (in->opnd[i].kind == X86_OPND_MEM)
            return in->opnd[i].size ? in->opnd[i].size : 1;
    return 8;
}

static void random_state(struct rng *r, struct x86_state *s, const struct x86_insn *in)
{
    for (unsigned i = 0; i < 16; i++)
        s->gpr[i] = rnd_value(r);
    s->rip = 0x1000 + below(r, 0x1000);
    if (below(r, 8) == 0) /* near the top of the canonical range: branches may leave it */
        s->rip = 0x00007ffffffff000ull + below(r, 0x1000);
    s->rflags = X86_FLAG_FIXED | X86_FLAG_IF | (rnd(r) & (X86_FLAGS_ARITH | X86_FLAG_DF));
    s->gpr[X86_RSP] = DATA + 0x100 + 8 * below(r, (DATA_LEN - 0x200) / 8);
    if (below(r, 8) == 0)
        s->gpr[X86_RSP] += below(r, 8); /* misaligned stack */
    if (below(r, 16) == 0)
        s->gpr[X86_RSP] = DATA + DATA_LEN + 8 * below(r, 2); /* pushes into the hole */
    if (has_mem(in))
        aim(r, s, in, rnd_target(r, mem_size(in)));
}

/* 64-bit mode at CPL 0, flat segments. */
static void base_state(struct x86_state *s)
{
    s->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG;
    s->cr4 = X86_CR4_PAE;
    s->efer = X86_EFER_LME | X86_EFER_LMA;
    for (unsigned i = 0; i < 6; i++)
        s->seg[i] = (struct x86_seg){ .limit = 0xffffffff, .sel = 0x10,
                                      .attr = X86_SEG_P | X86_SEG_S | 0x3 | X86_SEG_G |
                                              X86_SEG_DB };
    s->seg[X86_CS] = (struct x86_seg){ .limit = 0xffffffff, .sel = 0x08,
                                       .attr = X86_SEG_P | X86_SEG_S | 0xb | X86_SEG_G |
                                               X86_SEG_L };
}

static void to_cpl3(struct rng *r, struct x86_state *s)
{
    s->seg[X86_CS].sel |= 3;
    s->seg[X86_SS].sel |= 3;
    s->seg[X86_CS].attr |= 3u << 5;
    s->seg[X86_SS].attr |= 3u << 5;
    if (below(r, 2)) { /* alignment checking on */
        s->cr0 |= X86_CR0_AM;
        s->rflags |= X86_FLAG_AC;
    }
}

/* The terminator record's function, and its status. */
#define REACHED_END 100

static int reached_end(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)cpu;
    (void)in;
    return REACHED_END;
}

/* Runs a prepared record followed by the terminator, as the emu backend does.
 * Returns X86_EXEC_OK for reaching the terminator; otherwise the status,
 * after checking that cpu->run_exit names the record. */
static int run_prepared(struct x86_cpu *cpu, const struct x86_insn *in, x86_insn_fn fn)
{
    struct x86_prepared rec[2] = { { .in = *in, .fn = fn }, { .fn = reached_end } };
    cpu->run_exit = NULL;
    int st = rec[0].fn(cpu, &rec[0].in);
    if (st == REACHED_END)
        return X86_EXEC_OK;
    assert_ptr_equal(cpu->run_exit, &rec[0].in);
    return st;
}

/* Runs form f on one random state through both paths and compares. */
static void run_one(struct rng *r, struct pair *p, const struct form *f, x86_insn_fn fn,
                    unsigned iter)
{
    struct fx *a = &p->a, *b = &p->b;
    struct x86_state s = a->cpu.s;
    base_state(&s);
    random_state(r, &s, &f->in);
    bool user = below(r, 6) == 0;
    if (user)
        to_cpl3(r, &s);
    x86_cpu_set_state(&a->cpu, &s);
    x86_cpu_set_state(&b->cpu, &s);
    x86_tlb_flush(&a->cpu);
    x86_tlb_flush(&b->cpu);
    memcpy(a->mem + CMP_LO, p->init, sizeof(p->init));
    memcpy(b->mem + CMP_LO, p->init, sizeof(p->init));
    a->fill_tlb = b->fill_tlb = below(r, 2) != 0;
    rnd_tlb(r, b);
    /* the same earlier flag-setting instruction on both */
    const struct x86_insn *setter = flag_setters(r);
    uint64_t seed = r->s;
    rnd_lazy(r, a, setter);
    r->s = seed;
    rnd_lazy(r, b, setter);

    uint64_t next = s.rip + f->in.len;
    int sa = x86_exec(&a->cpu, &f->in);
    int sb = run_prepared(&b->cpu, &f->in, fn);
    int want = sa == X86_EXEC_OK && a->cpu.s.rip != next ? X86_EXEC_BRANCH : sa;
    char what[160];
    snprintf(what, sizeof(what), "%s (state %u, cpl %u, status %d vs %d)", f->name, iter,
             user ? 3 : 0, want, sb);
    if (want != sb)
        fail_msg("status differs: %s", what);
    if (sa == X86_EXEC_EXCEPTION &&
        (a->cpu.exc.vector != b->cpu.exc.vector || a->cpu.exc.error_code != b->cpu.exc.error_code ||
         a->cpu.exc.cr2 != b->cpu.exc.cr2))
        fail_msg("exception differs: %s: #%u/%#x/%#llx vs #%u/%#x/%#llx", what,
                 a->cpu.exc.vector, a->cpu.exc.error_code, (unsigned long long)a->cpu.exc.cr2,
                 b->cpu.exc.vector, b->cpu.exc.error_code, (unsigned long long)b->cpu.exc.cr2);
    for (unsigned i = 0; i < 16; i++)
        if (a->cpu.s.gpr[i] != b->cpu.s.gpr[i])
            fail_msg("gpr %u differs: %s: %#llx vs %#llx", i, what,
                     (unsigned long long)a->cpu.s.gpr[i], (unsigned long long)b->cpu.s.gpr[i]);
    if (a->cpu.s.rip != b->cpu.s.rip)
        fail_msg("rip differs: %s: %#llx vs %#llx", what, (unsigned long long)a->cpu.s.rip,
                 (unsigned long long)b->cpu.s.rip);
    uint64_t fa = x86_get_rflags(&a->cpu), fb = x86_get_rflags(&b->cpu);
    if (fa != fb)
        fail_msg("rflags differ: %s: %#llx vs %#llx", what, (unsigned long long)fa,
                 (unsigned long long)fb);
    if (a->cpu.intr_shadow != b->cpu.intr_shadow)
        fail_msg("interrupt shadow differs: %s", what);
    if (memcmp(a->mem + CMP_LO, b->mem + CMP_LO, CMP_HI - CMP_LO) != 0)
        fail_msg("memory differs: %s", what);
}

/* ---- Forms ----------------------------------------------------------------------------- */

struct forms {
    struct form f[8192];
    unsigned n;
    unsigned specialised;
};

static const char *const size_name[] = { "b", "b.rex", "w", "d", "q" };

/* Decodes e as form name; a form the decoder rejects is skipped (for
 * instance a byte register form the encoder could not express). */
static void add(struct forms *fs, const char *name, enum size_pfx sz, const struct enc *e)
{
    assert_true(fs->n < sizeof(fs->f) / sizeof(fs->f[0]));
    struct form *f = &fs->f[fs->n];
    if (x86_decode(e->b, e->n, X86_MODE_LONG64, &f->in) != (int)e->n)
        return;
    snprintf(f->name, sizeof(f->name), "%s.%s [%u bytes]", name, size_name[sz], e->n);
    f->e = *e;
    fs->n++;
}

/* The r/m shapes every ModRM form is tried with. */
static struct rm rm_forms(unsigned k, unsigned reg_pick)
{
    static const int regs[] = { 0, 3, 4, 6, 9, 15 };
    struct rm rm = { .base = -1, .index = -1 };
    switch (k) {
    case 0: rm.reg = regs[reg_pick % 6]; break;
    case 1: rm.reg = regs[(reg_pick + 3) % 6]; break;
    case 2: rm.mem = true; rm.base = 3; break;                             /* [rbx] */
    case 3: rm.mem = true; rm.base = 5; rm.disp = -8; rm.disp_bytes = 1; break; /* [rbp-8] */
    case 4: rm.mem = true; rm.base = 12; rm.index = 9; rm.scale = 3;       /* [r12+r9*8+d32] */
            rm.disp = 0x1234; rm.disp_bytes = 4; break;
    case 5: rm.mem = true; rm.base = 16; rm.disp = 0x40; break;            /* [rip+d32] */
    case 6: rm.mem = true; rm.base = 4; rm.disp = 16; rm.disp_bytes = 1; break; /* [rsp+16] */
    case 7: rm.mem = true; rm.base = 7; rm.seg_pfx = 0x64; break;          /* fs:[rdi] */
    case 8: rm.mem = true; rm.base = 1; rm.index = 2; rm.scale = 1;        /* gs:[rcx+rdx*2] */
            rm.seg_pfx = 0x65; break;
    default: rm.mem = true; rm.base = 6; rm.addr32 = true; break;         /* [esi] */
    }
    return rm;
}
#define RM_FORMS 10

static unsigned imm_bytes_for(enum size_pfx sz)
{
    return sz == SZ_16 ? 2 : sz <= SZ_BYTE_REX ? 1 : 4;
}

/* "op r/m, reg" / "op reg, r/m" style forms (the ModRM reg field is a register). */
static void add_modrm(struct forms *fs, const char *name, const uint8_t *op, unsigned oplen,
                      bool byte, unsigned imm_bytes, bool lock, bool mem_only, bool reg_only)
{
    static const enum size_pfx wide[] = { SZ_16, SZ_32, SZ_64 };
    static const enum size_pfx narrow[] = { SZ_BYTE, SZ_BYTE_REX };
    const enum size_pfx *szs = byte ? narrow : wide;
    unsigned nsz = byte ? 2 : 3;
    for (unsigned si = 0; si < nsz; si++) {
        for (unsigned k = 0; k < RM_FORMS; k++) {
            struct rm rm = rm_forms(k, si);
            if ((mem_only && !rm.mem) || (reg_only && rm.mem))
                continue;
            static const unsigned reg_fields[] = { 0, 2, 5, 7, 8, 13 };
            struct enc e;
            encode(&e, lock, szs[si], op, oplen, reg_fields[(k + si) % 6], &rm);
            put_imm(&e, 0x89abcdef87654321ull >> (8 * ((k + si) % 4)),
                    imm_bytes == 9 ? imm_bytes_for(szs[si]) : imm_bytes);
            add(fs, name, szs[si], &e);
        }
    }
}

/* "op /digit r/m [, imm]" forms. */
static void add_group(struct forms *fs, const char *name, const uint8_t *op, unsigned oplen,
                      unsigned digit, bool byte, unsigned imm_bytes)
{
    static const enum size_pfx wide[] = { SZ_16, SZ_32, SZ_64 };
    static const enum size_pfx narrow[] = { SZ_BYTE, SZ_BYTE_REX };
    const enum size_pfx *szs = byte ? narrow : wide;
    unsigned nsz = byte ? 2 : 3;
    for (unsigned si = 0; si < nsz; si++) {
        for (unsigned k = 0; k < RM_FORMS; k++) {
            struct rm rm = rm_forms(k, si + k);
            struct enc e;
            encode(&e, false, szs[si], op, oplen, digit, &rm);
            unsigned ib = imm_bytes == 9 ? imm_bytes_for(szs[si]) : imm_bytes;
            /* counts and bit numbers: small, large, and over the operand width */
            put_imm(&e, (k * 37 + si * 11) % 80, ib > 4 ? 4 : ib);
            add(fs, name, szs[si], &e);
        }
    }
}

static void add_plain(struct forms *fs, const char *name, const uint8_t *b, unsigned n)
{
    struct enc e = { .n = n };
    memcpy(e.b, b, n);
    add(fs, name, SZ_64, &e);
}

static void build_forms(struct forms *fs)
{
    /* Two-operand arithmetic: 00-3F rows, and the 80/81/83 groups. */
    static const char *const alu[] = { "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp" };
    for (unsigned k = 0; k < 8; k++) {
        for (unsigned d = 0; d < 4; d++) {
            uint8_t op = (uint8_t)(8 * k + d);
            add_modrm(fs, alu[k], &op, 1, !(d & 1), 0, false, false, false);
        }
        uint8_t acc[2] = { (uint8_t)(8 * k + 4), (uint8_t)(8 * k + 5) };
        struct enc e = { .n = 0 };
        put(&e, acc[0]);
        put_imm(&e, 0x85, 1);
        add(fs, alu[k], SZ_BYTE, &e);
        e.n = 0;
        put(&e, 0x48);
        put(&e, acc[1]);
        put_imm(&e, 0x80000001u, 4);
        add(fs, alu[k], SZ_64, &e);
        add_group(fs, alu[k], (const uint8_t[]){ 0x80 }, 1, k, true, 1);
        add_group(fs, alu[k], (const uint8_t[]){ 0x81 }, 1, k, false, 9);
        add_group(fs, alu[k], (const uint8_t[]){ 0x83 }, 1, k, false, 1);
        /* LOCK forms stay on the general path */
        add_modrm(fs, "lock", (const uint8_t[]){ (uint8_t)(8 * k + 1) }, 1, false, 0, true, true,
                  false);
    }
    add_modrm(fs, "test", (const uint8_t[]){ 0x84 }, 1, true, 0, false, false, false);
    add_modrm(fs, "test", (const uint8_t[]){ 0x85 }, 1, false, 0, false, false, false);
    add_group(fs, "test", (const uint8_t[]){ 0xf6 }, 1, 0, true, 1);
    add_group(fs, "test", (const uint8_t[]){ 0xf7 }, 1, 0, false, 9);
    /* MOV, MOVZX, MOVSX, MOVSXD, LEA */
    for (unsigned d = 0; d < 4; d++)
        add_modrm(fs, "mov", (const uint8_t[]){ (uint8_t)(0x88 + d) }, 1, !(d & 1), 0, false, false,
                  false);
    add_group(fs, "mov", (const uint8_t[]){ 0xc6 }, 1, 0, true, 1);
    add_group(fs, "mov", (const uint8_t[]){ 0xc7 }, 1, 0, false, 9);
    add_plain(fs, "mov", (const uint8_t[]){ 0xb3, 0x7f }, 2);
    add_plain(fs, "mov", (const uint8_t[]){ 0x41, 0xb9, 1, 2, 3, 0x84 }, 6);
    add_plain(fs, "mov", (const uint8_t[]){ 0x49, 0xbb, 1, 2, 3, 4, 5, 6, 7, 0x88 }, 10);
    add_plain(fs, "mov", (const uint8_t[]){ 0x48, 0xa1, 0x10, 0, 4, 0, 0, 0, 0, 0 }, 10);
    add_modrm(fs, "movzx", (const uint8_t[]){ 0x0f, 0xb6 }, 2, false, 0, false, false, false);
    add_modrm(fs, "movzx", (const uint8_t[]){ 0x0f, 0xb7 }, 2, false, 0, false, false, false);
    add_modrm(fs, "movsx", (const uint8_t[]){ 0x0f, 0xbe }, 2, false, 0, false, false, false);
    add_modrm(fs, "movsx", (const uint8_t[]){ 0x0f, 0xbf }, 2, false, 0, false, false, false);
    add_modrm(fs, "movsxd", (const uint8_t[]){ 0x63 }, 1, false, 0, false, false, false);
    add_modrm(fs, "lea", (const uint8_t[]){ 0x8d }, 1, false, 0, false, true, false);
    /* INC DEC NOT NEG */
    for (unsigned digit = 0; digit < 2; digit++) {
        add_group(fs, digit ? "dec" : "inc", (const uint8_t[]){ 0xfe }, 1, digit, true, 0);
        add_group(fs, digit ? "dec" : "inc", (const uint8_t[]){ 0xff }, 1, digit, false, 0);
    }
    for (unsigned digit = 2; digit < 4; digit++) {
        add_group(fs, digit == 2 ? "not" : "neg", (const uint8_t[]){ 0xf6 }, 1, digit, true, 0);
        add_group(fs, digit == 2 ? "not" : "neg", (const uint8_t[]){ 0xf7 }, 1, digit, false, 0);
    }
    /* Shifts and rotates: by imm8, by 1, by CL */
    static const unsigned sh_digit[] = { 0, 1, 2, 4, 5, 7 };
    static const char *const sh_name[] = { "rol", "ror", "rcl", "shl", "shr", "sar" };
    for (unsigned k = 0; k < 6; k++) {
        add_group(fs, sh_name[k], (const uint8_t[]){ 0xc0 }, 1, sh_digit[k], true, 1);
        add_group(fs, sh_name[k], (const uint8_t[]){ 0xc1 }, 1, sh_digit[k], false, 1);
        add_group(fs, sh_name[k], (const uint8_t[]){ 0xd1 }, 1, sh_digit[k], false, 0);
        add_group(fs, sh_name[k], (const uint8_t[]){ 0xd2 }, 1, sh_digit[k], true, 0);
        add_group(fs, sh_name[k], (const uint8_t[]){ 0xd3 }, 1, sh_digit[k], false, 0);
    }
    /* IMUL r, r/m; BT r/m, imm8 */
    add_modrm(fs, "imul", (const uint8_t[]){ 0x0f, 0xaf }, 2, false, 0, false, false, false);
    add_group(fs, "bt", (const uint8_t[]){ 0x0f, 0xba }, 2, 4, false, 1);
    /* Conditions: Jcc rel8/rel32, SETcc, CMOVcc */
    for (unsigned cc = 0; cc < 16; cc++) {
        char name[16];
        snprintf(name, sizeof(name), "jcc%u", cc);
        add_plain(fs, name, (const uint8_t[]){ (uint8_t)(0x70 + cc), 0x10 }, 2);
        add_plain(fs, name, (const uint8_t[]){ (uint8_t)(0x70 + cc), 0x80 }, 2);
        add_plain(fs, name, (const uint8_t[]){ 0x0f, (uint8_t)(0x80 + cc), 0, 0, 0, 0x40 }, 6);
        snprintf(name, sizeof(name), "setcc%u", cc);
        add_group(fs, name, (const uint8_t[]){ 0x0f, (uint8_t)(0x90 + cc) }, 2, 0, true, 0);
        snprintf(name, sizeof(name), "cmovcc%u", cc);
        add_modrm(fs, name, (const uint8_t[]){ 0x0f, (uint8_t)(0x40 + cc) }, 2, false, 0, false,
                  false, false);
    }
    /* Near branches and the stack */
    add_plain(fs, "jmp", (const uint8_t[]){ 0xeb, 0xf0 }, 2);
    add_plain(fs, "jmp", (const uint8_t[]){ 0xe9, 0x00, 0x10, 0x00, 0x00 }, 5);
    add_plain(fs, "call", (const uint8_t[]){ 0xe8, 0x00, 0xf0, 0xff, 0xff }, 5);
    add_plain(fs, "ret", (const uint8_t[]){ 0xc3 }, 1);
    add_plain(fs, "ret", (const uint8_t[]){ 0xc2, 0x10, 0x00 }, 3);
    add_group(fs, "call", (const uint8_t[]){ 0xff }, 1, 2, false, 0);
    add_group(fs, "jmp", (const uint8_t[]){ 0xff }, 1, 4, false, 0);
    add_group(fs, "push", (const uint8_t[]){ 0xff }, 1, 6, false, 0);
    add_group(fs, "pop", (const uint8_t[]){ 0x8f }, 1, 0, false, 0);
    for (unsigned reg = 0; reg < 16; reg += 3) {
        uint8_t rex = reg & 8 ? 0x41 : 0x40;
        add_plain(fs, "push", (const uint8_t[]){ rex, (uint8_t)(0x50 + (reg & 7)) }, 2);
        add_plain(fs, "pop", (const uint8_t[]){ rex, (uint8_t)(0x58 + (reg & 7)) }, 2);
    }
    add_plain(fs, "push rsp", (const uint8_t[]){ 0x54 }, 1);
    add_plain(fs, "pop rsp", (const uint8_t[]){ 0x5c }, 1);
    add_plain(fs, "push16", (const uint8_t[]){ 0x66, 0x53 }, 2);
    add_plain(fs, "nop", (const uint8_t[]){ 0x90 }, 1);
    add_plain(fs, "nop", (const uint8_t[]){ 0x0f, 0x1f, 0x44, 0x00, 0x00 }, 5);
    add_plain(fs, "pause", (const uint8_t[]){ 0xf3, 0x90 }, 2);
}

static struct forms *forms(void)
{
    static struct forms fs;
    if (!fs.n)
        build_forms(&fs);
    return &fs;
}

/* ---- Tests --------------------------------------------------------------------------- */

static x86_insn_fn prepare_bytes(const uint8_t *b, unsigned n, enum x86_mode mode)
{
    struct x86_insn in;
    assert_int_equal(x86_decode(b, n, mode, &in), (int)n);
    return x86_exec_prepare(&in, mode);
}

/* The function of the general path (CPUID has no specialised version). */
static x86_insn_fn general_path(void)
{
    return prepare_bytes((const uint8_t[]){ 0x0f, 0xa2 }, 2, X86_MODE_LONG64);
}

static void test_prepared_matches_exec(void **state)
{
    (void)state;
    struct forms *fs = forms();
    struct pair *p = calloc(1, sizeof(*p));
    assert_non_null(p);
    fx_init(&p->a, X86_MODE_LONG64);
    fx_init(&p->b, X86_MODE_LONG64);
    p->a.hole_lo = p->b.hole_lo = HOLE;
    p->a.hole_hi = p->b.hole_hi = HOLE + 0x1000;
    struct rng r = { 0x9e3779b97f4a7c15ull };
    for (unsigned i = 0; i < sizeof(p->init); i++)
        p->init[i] = (uint8_t)rnd(&r);
    unsigned specialised = 0;
    for (unsigned i = 0; i < fs->n; i++) {
        const struct form *f = &fs->f[i];
        x86_insn_fn fn = x86_exec_prepare(&f->in, X86_MODE_LONG64);
        specialised += fn != general_path();
        for (unsigned k = 0; k < STATES; k++)
            run_one(&r, p, f, fn, k);
    }
    fprintf(stderr, "exec_fast: %u forms, %u specialised, %u states each\n", fs->n, specialised,
            STATES);
    /* The specialisations are really in use (most of the forms above). */
    assert_true(fs->n > 900);
    assert_true(specialised * 2 > fs->n);
    fx_fini(&p->a);
    fx_fini(&p->b);
    free(p);
}

/* What must stay on the general path: other modes, LOCK, REP string
 * operations, forms whose shape the fast versions do not cover. */
static void test_general_path_kept(void **state)
{
    (void)state;
    static const uint8_t add_rr[] = { 0x01, 0xd8 };
    x86_insn_fn general = general_path();
    assert_ptr_not_equal(prepare_bytes(add_rr, 2, X86_MODE_LONG64), general);
    assert_ptr_equal(prepare_bytes(add_rr, 2, X86_MODE_PROT32), general);
    assert_ptr_equal(prepare_bytes(add_rr, 2, X86_MODE_COMPAT32), general);
    assert_ptr_equal(prepare_bytes(add_rr, 2, X86_MODE_REAL), general);
    assert_ptr_equal(prepare_bytes((const uint8_t[]){ 0xf0, 0x01, 0x18 }, 3, X86_MODE_LONG64),
                     general); /* lock add [rax], ebx */
    assert_ptr_equal(prepare_bytes((const uint8_t[]){ 0xf3, 0xa4 }, 2, X86_MODE_LONG64),
                     general); /* rep movsb */
    assert_ptr_equal(prepare_bytes((const uint8_t[]){ 0x66, 0x53 }, 2, X86_MODE_LONG64),
                     general); /* push bx */
    assert_ptr_equal(prepare_bytes((const uint8_t[]){ 0xc2, 0x08, 0x00 }, 3, X86_MODE_LONG64),
                     general); /* ret 8 */
}

/* A taken branch reports X86_EXEC_BRANCH, a branch not taken goes on to the
 * next record, and a taken branch to a non-canonical address faults with
 * RIP kept; a straight line runs to its terminator in one call. */
static void test_branch_status(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, X86_MODE_LONG64);
    struct x86_insn jz;
    assert_int_equal(x86_decode((const uint8_t[]){ 0x74, 0x10 }, 2, X86_MODE_LONG64, &jz), 2);
    x86_insn_fn fn = x86_exec_prepare(&jz, X86_MODE_LONG64);
    f.cpu.s.rip = 0x1000;
    x86_flags_record(&f.cpu, X86_LAZY_LOGIC, 8, 0, 0, 0); /* ZF = 1 */
    assert_int_equal(run_prepared(&f.cpu, &jz, fn), X86_EXEC_BRANCH);
    assert_int_equal(f.cpu.s.rip, 0x1012);
    x86_flags_record(&f.cpu, X86_LAZY_LOGIC, 8, 5, 0, 0); /* ZF = 0 */
    assert_int_equal(run_prepared(&f.cpu, &jz, fn), X86_EXEC_OK);
    assert_int_equal(f.cpu.s.rip, 0x1014);
    f.cpu.s.rip = 0x00007ffffffffff0ull;
    x86_flags_record(&f.cpu, X86_LAZY_LOGIC, 8, 0, 0, 0);
    assert_int_equal(run_prepared(&f.cpu, &jz, fn), X86_EXEC_EXCEPTION);
    assert_int_equal(f.cpu.exc.vector, X86_EXC_GP);
    assert_int_equal(f.cpu.s.rip, 0x00007ffffffffff0ull);

    /* inc rax; inc rax; cpuid (the general path); xor eax, eax; jz +0x10
     * (taken); inc rax (not reached) */
    static const uint8_t code[][3] = { { 0x48, 0xff, 0xc0 }, { 0x48, 0xff, 0xc0 }, { 0x0f, 0xa2 },
                                       { 0x31, 0xc0 }, { 0x74, 0x10 }, { 0x48, 0xff, 0xc0 } };
    static const unsigned len[] = { 3, 3, 2, 2, 2, 3 };
    struct x86_prepared rec[7];
    for (unsigned i = 0; i < 6; i++) {
        assert_int_equal(x86_decode(code[i], len[i], X86_MODE_LONG64, &rec[i].in), (int)len[i]);
        rec[i].fn = x86_exec_prepare(&rec[i].in, X86_MODE_LONG64);
    }
    rec[6].fn = reached_end;
    f.cpu.s.rip = 0x2000;
    f.cpu.s.gpr[X86_RAX] = 5;
    f.cpu.s.gpr[X86_RCX] = 7;
    f.cpu.run_exit = NULL;
    assert_int_equal(rec[0].fn(&f.cpu, &rec[0].in), X86_EXEC_BRANCH);
    assert_ptr_equal(f.cpu.run_exit, &rec[4].in);
    assert_int_equal(f.cpu.s.rip, 0x2000 + 3 + 3 + 2 + 2 + 2 + 0x10);
    assert_int_equal(f.cpu.s.gpr[X86_RBX], 7); /* cpuid ran: the fixture's EBX = subleaf */
    assert_int_equal(f.cpu.s.gpr[X86_RAX], 0); /* the last inc did not run */
    /* the same line with jz not taken runs to the terminator */
    f.cpu.s.rip = 0x2000;
    f.cpu.s.gpr[X86_RAX] = 5;
    rec[3].fn = rec[0].fn; /* inc rax instead of xor eax, eax: ZF = 0 */
    rec[3].in = rec[0].in;
    assert_int_equal(rec[0].fn(&f.cpu, &rec[0].in), REACHED_END);
    assert_int_equal(f.cpu.s.rip, 0x2000 + 3 + 3 + 2 + 3 + 2 + 3);
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prepared_matches_exec),
        cmocka_unit_test(test_general_path_kept),
        cmocka_unit_test(test_branch_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
