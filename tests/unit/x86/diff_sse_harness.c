/* Differential testing of the x87/MMX/SSE families (see diff_sse_harness.h). */
#include "diff_sse_harness.h"

#include "diff_native.h"

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "x86/emu.h"
#include "x86/flags.h"
#include "x86/insn.h"

/* ---- The control block (in diff_env's control page, below 2 GiB) ------------ */

struct sse_ctl {
    uint8_t in_fx[512];   /* the state the instruction starts from */
    uint8_t out_fx[512];  /* the state it leaves */
    uint8_t host_fx[512]; /* this process's own state meanwhile */
    uint64_t gpr[16];
    uint64_t rflags;
    uint64_t host_rsp;
    uint64_t scratch;
    uint64_t land;        /* the landing address reached */
};

_Static_assert(sizeof(struct sse_ctl) <= 4096, "the control block fits its page");

#define OFF(f) ((uint32_t)offsetof(struct sse_ctl, f))
#define OFF_GPR(r) ((uint32_t)(offsetof(struct sse_ctl, gpr) + 8 * (r)))

#define USER_DS 0x2b
#define USER_CS64 0x33

/* Offsets in the FXSAVE image (SDM Vol. 1, Table 10-2). */
#define FX_MXCSR 24
#define FX_ST 32
#define FX_XMM 160

/* ---- Native code ----------------------------------------------------------------- */

/* Called as fn(ctl): saves the host registers and FPU state, loads the
 * test's FXSAVE image, RFLAGS and GPRs, jumps to the instruction. */
static void cg_prologue(struct diff_cg *c, uint64_t insn)
{
    diff_cg_save_host(c, OFF(host_rsp));
    diff_cg_bytes(c, "\x48\x0f\xae\x87", 4); /* fxsave64 [rdi + host_fx] */
    diff_cg_u32(c, OFF(host_fx));
    diff_cg_bytes(c, "\x48\x0f\xae\x8f", 4); /* fxrstor64 [rdi + in_fx] */
    diff_cg_u32(c, OFF(in_fx));
    diff_cg_bytes(c, "\x48\x89\xf8", 3); /* mov rax, rdi */
    diff_cg_bytes(c, "\xff\xb0", 2);     /* push qword [rax + rflags]; popfq */
    diff_cg_u32(c, OFF(rflags));
    diff_cg_bytes(c, "\x9d", 1);
    diff_cg_load_gprs(c, OFF_GPR(0));
    diff_cg_jmp(c, (const uint8_t *)(uintptr_t)insn);
}

/* The landing code: stores GPRs, the FXSAVE image and RFLAGS, restores
 * the host state and returns. */
static void cg_epilogue(struct diff_cg *c, uint64_t ctl, uint64_t land)
{
    diff_cg_bytes(c, "\x48\xa3", 2); /* mov [scratch], rax */
    diff_cg_u64(c, ctl + OFF(scratch));
    diff_cg_bytes(c, "\x48\xb8", 2); /* mov rax, ctl */
    diff_cg_u64(c, ctl);
    diff_cg_store_gprs(c, OFF_GPR(0));
    diff_cg_bytes(c, "\x48\x0f\xae\x80", 4); /* fxsave64 [rax + out_fx] */
    diff_cg_u32(c, OFF(out_fx));
    diff_cg_bytes(c, "\x48\x8b\xa0", 3); /* mov rsp, [rax + host_rsp] */
    diff_cg_u32(c, OFF(host_rsp));
    diff_cg_bytes(c, "\x9c\x8f\x80", 3); /* pushfq; pop qword [rax + rflags] */
    diff_cg_u32(c, OFF(rflags));
    diff_cg_bytes(c, "\x48\x89\xc1", 3); /* mov rcx, rax */
    diff_cg_bytes(c, "\xdb\xe2", 2);     /* fnclex */
    diff_cg_bytes(c, "\x48\x0f\xae\x89", 4); /* fxrstor64 [rcx + host_fx] */
    diff_cg_u32(c, OFF(host_fx));
    diff_cg_bytes(c, "\x48\xa1", 2); /* mov rax, [scratch] */
    diff_cg_u64(c, ctl + OFF(scratch));
    diff_cg_bytes(c, "\x48\x89\x81", 3); /* mov [rcx + gpr[rax]], rax */
    diff_cg_u32(c, OFF_GPR(X86_RAX));
    diff_cg_bytes(c, "\x48\xc7\x81", 3); /* mov qword [rcx + land], imm32 */
    diff_cg_u32(c, OFF(land));
    diff_cg_u32(c, (uint32_t)land);
    diff_cg_host_return(c);
}

static uint64_t insn_addr(const struct diff_sse_env *env)
{
    return (uintptr_t)env->d.code + DIFF_INSN_OFF;
}

static int generate(struct diff_sse_env *env, const struct diff_form *f)
{
    int rc = diff_native_code_begin(&env->d, f);
    if (rc)
        return rc;
    uint8_t *code = env->d.code;
    uint64_t insn = insn_addr(env), land = insn + f->len;
    struct diff_cg c = { code };
    cg_prologue(&c, insn);
    struct diff_cg pad = { (uint8_t *)(uintptr_t)land };
    diff_cg_jmp(&pad, code + DIFF_EPI_OFF);
    struct diff_cg e = { code + DIFF_EPI_OFF };
    cg_epilogue(&e, (uintptr_t)env->d.ctl, land);
    return diff_native_code_end(&env->d);
}

/* ---- Native execution and faults ---------------------------------------------------- */

/* The register and FXSAVE state of one side. */
struct sse_state {
    uint64_t gpr[16];
    uint64_t rflags;
    uint64_t rip;
    uint8_t fx[512] __attribute__((aligned(16)));
};

/* Returns 0 or the signal; on a fault out->fx is the state at the fault. */
static int run_native(struct diff_sse_env *env, const struct sse_state *in, struct sse_state *out)
{
    struct sse_ctl *ctl = (struct sse_ctl *)env->d.ctl;
    memcpy(ctl->gpr, in->gpr, sizeof(ctl->gpr));
    ctl->rflags = in->rflags;
    memcpy(ctl->in_fx, in->fx, 512);
    struct diff_native_fault fault = { 0 };
    int sig = diff_native_call(env->d.code, ctl, &fault);
    if (sig == 0) {
        memcpy(out->gpr, ctl->gpr, sizeof(out->gpr));
        out->rflags = ctl->rflags;
        out->rip = ctl->land;
        memcpy(out->fx, ctl->out_fx, 512);
        return 0;
    }
    *out = *in;
    memcpy(out->fx, fault.fx, 512);
    out->rflags = (uint64_t)fault.trapno; /* the vector, for the comparison */
    return sig;
}

/* ---- Emulated execution ----------------------------------------------------------- */

static const struct x86_emu_ops emu_ops = {
    .mem_read = diff_native_mem_read,
    .mem_write = diff_native_mem_write,
    .mem_ptr = diff_native_mem_ptr,
};

/* A 64-bit user-mode state like the one Linux gives this process, with
 * SSE enabled (CR4.OSFXSR, OSXMMEXCPT) and native x87 error reporting. */
static void emu_setup(struct x86_cpu *cpu, const struct sse_state *in, uint64_t rip)
{
    struct x86_state s;
    memset(&s, 0, sizeof(s));
    memcpy(s.gpr, in->gpr, sizeof(s.gpr));
    s.rip = rip;
    s.rflags = in->rflags;
    s.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_AM |
            X86_CR0_PG;
    s.cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
    s.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE | X86_EFER_SCE;
    uint32_t data = X86_SEG_P | X86_SEG_S | (3u << 5) | 0x3 | X86_SEG_DB | X86_SEG_G;
    for (unsigned i = 0; i < 6; i++)
        s.seg[i] = (struct x86_seg){ .base = 0, .limit = 0xffffffff, .sel = USER_DS, .attr = data };
    s.seg[X86_CS].sel = USER_CS64;
    s.seg[X86_CS].attr = X86_SEG_P | X86_SEG_S | (3u << 5) | 0xb | X86_SEG_G | X86_SEG_L;
    memcpy(&s.fx, in->fx, sizeof(s.fx));
    x86_cpu_set_state(cpu, &s);
}

static int run_emu(struct diff_sse_env *env, struct x86_cpu *cpu, struct diff_native_map *map,
                   const struct sse_state *in, struct sse_state *out, struct x86_insn *insn)
{
    x86_cpu_init(cpu, &emu_ops, map);
    emu_setup(cpu, in, insn_addr(env));
    int rc = x86_emulate_one(cpu, insn);
    memcpy(out->gpr, cpu->s.gpr, sizeof(out->gpr));
    out->rflags = rc == X86_EXEC_EXCEPTION ? cpu->exc.vector : x86_get_rflags(cpu);
    out->rip = cpu->s.rip;
    memcpy(out->fx, &cpu->s.fx, 512);
    return rc;
}

/* ---- Random values ----------------------------------------------------------------- */

static const uint32_t f32_special[] = {
    0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x00800000, 0x80800000, 0x7f7fffff,
    0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0xffa00000,
    0x3f800000, 0xbf800000, 0x3f000000, 0x4b000000, 0x4f000000, 0xcf000000, 0x5f000000,
    0xdf000000, 0x3fc00000, 0x40200000, 0xbfc00000, 0x4effffff, 0x0c000000, 0x72800000,
};

static const uint64_t f64_special[] = {
    0x0000000000000000, 0x8000000000000000, 0x0000000000000001, 0x800fffffffffffff,
    0x0010000000000000, 0x8010000000000000, 0x7fefffffffffffff, 0xffefffffffffffff,
    0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000, 0xfff8000000000000,
    0x7ff0000000000001, 0xfff4000000000000, 0x3ff0000000000000, 0xbff0000000000000,
    0x3fe0000000000000, 0x4330000000000000, 0x41e0000000000000, 0xc1e0000000000000,
    0x43e0000000000000, 0xc3e0000000000000, 0x3ff8000000000000, 0x4004000000000000,
    0x41dfffffffc00000, 0xc1e0000000200000, 0x36a0000000000000, 0x47e0000000000000,
    0x3810000000000000, 0x380fffffffffffff,
};

/* A value of a binary format: sign, exponent (ebits), fraction (mbits). */
static uint64_t rand_binary(struct diff_env *env, unsigned ebits, unsigned mbits)
{
    uint64_t r = diff_rand(env);
    uint64_t emax = (1ull << ebits) - 1, bias = emax >> 1;
    uint64_t sign = (r & 1) << (ebits + mbits);
    uint64_t frac = diff_rand(env) & ((1ull << mbits) - 1);
    uint64_t exp;
    switch ((r >> 1) % 10) {
    case 0: case 1: case 2: case 3: /* moderate magnitudes */
        exp = bias - 24 + ((r >> 8) % 48);
        break;
    case 4: /* near overflow or underflow */
        exp = (r & 0x100) ? emax - 1 - ((r >> 9) % 8) : 1 + ((r >> 9) % 8);
        break;
    case 5: /* denormal */
        exp = 0;
        break;
    case 6: /* NaN, random payload (quiet or signalling) */
        exp = emax;
        frac |= frac ? 0 : 1;
        break;
    case 7: /* short fractions: exact sums, halfway cases */
        exp = bias - 4 + ((r >> 8) % 30);
        frac &= ~((1ull << (mbits > 8 ? mbits - 8 : 0)) - 1);
        break;
    default: /* anything */
        exp = (r >> 8) & emax;
        break;
    }
    return sign | (exp << mbits) | frac;
}

uint32_t diff_sse_rand_f32(struct diff_env *env)
{
    uint64_t r = diff_rand(env);
    if ((r & 7) < 2)
        return f32_special[(r >> 8) % (sizeof(f32_special) / sizeof(f32_special[0]))];
    return (uint32_t)rand_binary(env, 8, 23);
}

uint64_t diff_sse_rand_f64(struct diff_env *env)
{
    uint64_t r = diff_rand(env);
    if ((r & 7) < 2)
        return f64_special[(r >> 8) % (sizeof(f64_special) / sizeof(f64_special[0]))];
    return rand_binary(env, 11, 52);
}

void diff_sse_rand_f80(struct diff_env *env, uint8_t out[10])
{
    uint64_t r = diff_rand(env), mant = diff_rand(env);
    unsigned sign = (unsigned)(r & 1) << 15, exp;
    switch ((r >> 1) % 16) {
    case 0: exp = 0; mant = 0; break;                                     /* zero */
    case 1: exp = 0x7fff; mant = 1ull << 63; break;                        /* infinity */
    case 2: exp = 0x7fff; mant |= 1ull << 63; break;                       /* NaN (q or s) */
    case 3: exp = 0x7fff; mant = 0xc000000000000000ull; break;             /* QNaN / indefinite */
    case 4: exp = 0; mant &= ~(1ull << 63); break;                         /* denormal */
    case 5: exp = (r >> 8) & 0x7fff; mant &= ~(1ull << 63); break;         /* unnormal, pseudo */
    case 6: exp = 1 + (unsigned)((r >> 8) % 64); mant |= 1ull << 63; break; /* tiny */
    case 7: exp = 0x7ffe - (unsigned)((r >> 8) % 64); mant |= 1ull << 63; break; /* huge */
    case 8: case 9: /* an integer of up to 64 bits */
        exp = 0x3fff + (unsigned)((r >> 8) % 64);
        mant = (mant | 1ull << 63) & ~((1ull << (63 - (exp - 0x3fff))) - 1);
        break;
    case 10: { /* a double's value */
        uint64_t d = diff_sse_rand_f64(env);
        unsigned de = (d >> 52) & 0x7ff;
        if (de == 0 || de == 0x7ff) {
            exp = 0x3fff;
            mant = 1ull << 63;
        } else {
            exp = de - 1023 + 0x3fff;
            mant = (1ull << 63) | ((d & 0xfffffffffffffull) << 11);
        }
        sign = (unsigned)(d >> 63) << 15;
        break;
    }
    default: /* moderate */
        exp = 0x3fff - 40 + (unsigned)((r >> 8) % 80);
        mant |= 1ull << 63;
        break;
    }
    memcpy(out, &mant, 8);
    uint16_t se = (uint16_t)(sign | exp);
    memcpy(out + 8, &se, 2);
}

static uint32_t rand_mxcsr(struct diff_env *env, bool no_unmask);

static void fill_elem(struct diff_env *env, uint8_t *p, unsigned len, enum diff_sse_elem elem)
{
    for (unsigned i = 0; i < len;) {
        uint8_t v[16];
        unsigned n;
        switch (elem) {
        case DSSE_F32: {
            uint32_t x = diff_sse_rand_f32(env);
            memcpy(v, &x, n = 4);
            break;
        }
        case DSSE_F64: {
            uint64_t x = diff_sse_rand_f64(env);
            memcpy(v, &x, n = 8);
            break;
        }
        case DSSE_F80:
            diff_sse_rand_f80(env, v);
            n = 10;
            break;
        case DSSE_I16: case DSSE_I32: case DSSE_I64: {
            uint64_t x = diff_rand_value(env);
            n = elem == DSSE_I16 ? 2 : elem == DSSE_I32 ? 4 : 8;
            if ((diff_rand(env) & 3) == 0) /* small signed values convert exactly */
                x = (uint64_t)((int64_t)(diff_rand(env) % 4001) - 2000);
            memcpy(v, &x, 8);
            break;
        }
        case DSSE_MXCSR: {
            uint32_t x = rand_mxcsr(env, false);
            if ((diff_rand(env) & 7) == 0)
                x |= 1u << (18 + diff_rand(env) % 14); /* reserved: #GP (AMD has MM, bit 17) */
            memcpy(v, &x, n = 4);
            break;
        }
        case DSSE_STR: {
            static const uint8_t alphabet[8] = { 0, 0x41, 0x42, 0x43, 0x7f, 0x80, 0xff, 0x41 };
            uint64_t r = diff_rand(env);
            for (unsigned k = 0; k < 8; k++)
                v[k] = (r >> (60 - 4 * k)) & 1 ? alphabet[(r >> (3 * k)) & 7]
                                                : alphabet[1 + (r >> (3 * k)) % 3];
            n = 8;
            break;
        }
        case DSSE_BCD: {
            uint64_t r = diff_rand(env);
            for (unsigned k = 0; k < 9; k++) {
                unsigned lo = (unsigned)(r % 10), hi = (unsigned)((r / 10) % 10);
                v[k] = (uint8_t)(hi << 4 | lo);
                r /= 100;
            }
            v[9] = (diff_rand(env) & 1) ? 0x80 : 0;
            if ((diff_rand(env) & 15) == 0)
                v[diff_rand(env) % 10] = (uint8_t)diff_rand(env); /* invalid digits */
            n = 10;
            break;
        }
        default: {
            uint64_t x = diff_rand_value(env);
            memcpy(v, &x, n = 8);
            break;
        }
        }
        unsigned k = len - i < n ? len - i : n;
        memcpy(p + i, v, k);
        i += k;
    }
}

/* ---- Random states ------------------------------------------------------------------ */

static uint32_t rand_mxcsr(struct diff_env *env, bool no_unmask)
{
    uint64_t r = diff_rand(env);
    uint32_t m = (uint32_t)(r & (3u << 13)); /* rounding */
    if ((r >> 16) % 4 == 0)
        m |= 1u << 6;  /* DAZ */
    if ((r >> 18) % 4 == 0)
        m |= 1u << 15; /* FTZ */
    m |= (r >> 20) % 7 == 0 && !no_unmask ? (uint32_t)((r >> 24) & 0x3f) << 7 : 0x3fu << 7;
    if ((r >> 32) & 1)
        m |= (uint32_t)(r >> 40) & 0x3f; /* sticky flags */
    return m;
}

static void rand_x87(struct diff_env *env, uint8_t *fx, bool no_unmask)
{
    uint64_t r = diff_rand(env);
    static const uint16_t pc[4] = { 0x300, 0x300, 0x200, 0x000 };
    uint16_t fcw = (uint16_t)(0x40 | pc[r & 3] | ((r >> 2) & 3) << 10 | ((r >> 4) & 1) << 12);
    fcw |= (r >> 5) % 8 == 0 && !no_unmask ? (uint16_t)((r >> 8) & 0x3f) : 0x3f;
    uint16_t fsw = (uint16_t)(((r >> 16) & 0x4740) | ((r >> 32) & 7) << 11);
    if ((r >> 35) & 1)
        fsw |= (uint16_t)((r >> 40) & 0x3f);
    if (fsw & ~fcw & 0x3f)
        fsw |= 0x8080; /* ES and B as the hardware derives them */
    memcpy(fx + 0, &fcw, 2);
    memcpy(fx + 2, &fsw, 2);
    uint64_t t = diff_rand(env);
    uint8_t ftw = 0;
    for (unsigned i = 0; i < 8; i++)
        ftw |= ((t >> (4 * i)) & 15) < 11 ? (uint8_t)(1u << i) : 0;
    fx[4] = ftw;
    for (unsigned i = 0; i < 8; i++) {
        memset(fx + FX_ST + 16 * i, 0, 16);
        diff_sse_rand_f80(env, fx + FX_ST + 16 * i);
    }
}

/* The FNINIT state with MXCSR m. */
static void default_fx(uint8_t *fx, uint32_t mxcsr)
{
    memset(fx, 0, 512);
    uint16_t fcw = 0x37f;
    memcpy(fx, &fcw, 2);
    memcpy(fx + FX_MXCSR, &mxcsr, 4);
}

/* Fills st and the arena's initial image; returns the memory operand's
 * address (for the forms with one). */
static uint64_t random_state(struct diff_sse_env *env, const struct diff_sse_form *form,
                             struct sse_state *st)
{
    struct diff_env *d = &env->d;
    const struct diff_form *f = &form->f;
    memset(st, 0, sizeof(*st));
    for (unsigned r = 0; r < 16; r++)
        st->gpr[r] = diff_rand_value(d);
    st->gpr[X86_RSP] = (uintptr_t)d->arena + DIFF_DATA_LEN + DIFF_STACK_LEN / 2 -
                       8 * diff_rand_below(d, 16);
    st->rflags = (diff_rand(d) & (X86_FLAGS_ARITH)) | X86_FLAG_FIXED | X86_FLAG_IF;

    default_fx(st->fx, rand_mxcsr(d, form->no_unmask));
    if (form->x87)
        rand_x87(d, st->fx, form->no_unmask);
    fill_elem(d, st->fx + FX_XMM, 256, (enum diff_sse_elem)form->xmm_elem);

    /* The arena: random bytes around the operand; the operand itself typed. */
    for (unsigned i = 0; i < 2048; i += 8) {
        uint64_t v = diff_rand_value(d);
        memcpy(d->init + DIFF_DATA_LEN / 2 - 1024 + i, &v, 8);
    }
    uint64_t target;
    unsigned align = form->mem_align ? form->mem_align : 1;
    if (f->riprel_at >= 0) {
        target = (uintptr_t)d->arena + (uint64_t)f->riprel_target;
    } else {
        target = (uintptr_t)d->arena + DIFF_DATA_LEN / 2 + diff_rand_below(d, 1024) - 512;
        target &= ~(uint64_t)(align - 1);
        if (align > 1 && diff_rand_below(d, 16) == 0)
            target += 1 + diff_rand_below(d, align - 1); /* now and then misaligned */
    }
    if (form->mem_len)
        fill_elem(d, d->init + (target - (uintptr_t)d->arena), form->mem_len,
                  (enum diff_sse_elem)form->mem_elem);
    if (f->base >= 0 || f->index >= 0) {
        uint64_t idx = 0;
        if (f->index >= 0) {
            idx = diff_rand_below(d, 32);
            st->gpr[f->index] = idx;
        }
        if (f->base >= 0)
            st->gpr[f->base] = target - (uint64_t)(int64_t)f->disp - (idx << f->scale);
    }
    if (f->setup) {
        struct diff_state ds;
        memcpy(ds.gpr, st->gpr, sizeof(ds.gpr));
        ds.rflags = st->rflags;
        ds.rip = 0;
        f->setup(d, f, &ds);
        memcpy(st->gpr, ds.gpr, sizeof(st->gpr));
    }
    return target;
}

/* ---- Comparison and reporting --------------------------------------------------------- */

static void print_fx(const char *what, const uint8_t *fx)
{
    uint16_t fcw, fsw;
    uint32_t mxcsr;
    memcpy(&fcw, fx, 2);
    memcpy(&fsw, fx + 2, 2);
    memcpy(&mxcsr, fx + FX_MXCSR, 4);
    fprintf(stderr, "  %s: fcw=%04x fsw=%04x ftw=%02x mxcsr=%08x\n", what, fcw, fsw, fx[4], mxcsr);
    for (unsigned i = 0; i < 8; i++) {
        uint64_t m;
        uint16_t se;
        memcpy(&m, fx + FX_ST + 16 * i, 8);
        memcpy(&se, fx + FX_ST + 16 * i + 8, 2);
        fprintf(stderr, "    st%u=%04x:%016" PRIx64 "%s", i, se, m, i % 2 ? "\n" : "");
    }
    for (unsigned i = 0; i < 16; i++) {
        uint64_t lo, hi;
        memcpy(&lo, fx + FX_XMM + 16 * i, 8);
        memcpy(&hi, fx + FX_XMM + 16 * i + 8, 8);
        fprintf(stderr, "    xmm%-2u=%016" PRIx64 ":%016" PRIx64 "%s", i, hi, lo,
                i % 2 ? "\n" : "");
    }
}

static void print_gprs(const char *what, const struct sse_state *s)
{
    fprintf(stderr, "  %s gprs:", what);
    for (unsigned r = 0; r < 16; r++)
        fprintf(stderr, "%s%016" PRIx64, r % 4 ? " " : "\n    ", s->gpr[r]);
    fprintf(stderr, "\n    rflags/vector=%" PRIx64 " rip=%" PRIx64 "\n", s->rflags, s->rip);
}

/* The FXSAVE bytes compared: FCW FSW FTW, MXCSR, the 10 bytes of each
 * register and XMM0-15 (not FOP/FIP/FDP, MXCSR_MASK, the slot padding). */
static int fx_diff(const uint8_t *a, const uint8_t *b)
{
    if (memcmp(a, b, 5))
        return 0;
    if (memcmp(a + FX_MXCSR, b + FX_MXCSR, 4))
        return FX_MXCSR;
    for (unsigned i = 0; i < 8; i++) {
        if (memcmp(a + FX_ST + 16 * i, b + FX_ST + 16 * i, 10))
            return FX_ST + 16 * (int)i;
    }
    if (memcmp(a + FX_XMM, b + FX_XMM, 256))
        return FX_XMM;
    return -1;
}

static void report(struct diff_sse_env *env, const struct diff_form *f, const struct sse_state *in,
                   const struct sse_state *nat, const struct sse_state *emu, int sig, int rc,
                   const struct x86_insn *insn, const char *why)
{
    env->mismatches++;
    if (env->reported++ >= 8)
        return;
    fprintf(stderr, "MISMATCH seed=%#" PRIx64 " form \"%s\" bytes:", env->d.seed, f->name);
    for (unsigned i = 0; i < f->len; i++)
        fprintf(stderr, " %02x", f->bytes[i]);
    fprintf(stderr, "\n  %s (op %s, native signal %d, emulator rc %d)\n", why,
            x86_op_name((enum x86_op)insn->op), sig, rc);
    print_gprs("initial", in);
    print_fx("initial", in->fx);
    print_gprs("native", nat);
    print_fx("native", nat->fx);
    print_gprs("emulator", emu);
    print_fx("emulator", emu->fx);
}

/* The one documented inexactness: with an unmasked overflow or underflow
 * the hardware reports PE for the result rounded with an unbounded
 * exponent, the emulator PE of the masked computation. A #XM whose only
 * difference is PE next to an unmasked OE/UE is accepted. */
static bool xm_pe_only(const struct sse_state *in, const struct sse_state *nat,
                       const struct sse_state *emu)
{
    uint32_t m0, mn, me;
    memcpy(&m0, in->fx + FX_MXCSR, 4);
    memcpy(&mn, nat->fx + FX_MXCSR, 4);
    memcpy(&me, emu->fx + FX_MXCSR, 4);
    uint32_t unmasked = ~(m0 >> 7) & 0x3f;
    if (nat->rflags != 19 || !(me & unmasked & 0x18) || ((mn ^ me) & ~0x20u))
        return false;
    uint8_t a[512], b[512];
    memcpy(a, nat->fx, 512);
    memcpy(b, emu->fx, 512);
    memcpy(a + FX_MXCSR, &me, 4);
    return fx_diff(a, b) < 0;
}

static bool compare(struct diff_sse_env *env, const struct diff_form *f,
                    const struct sse_state *in, int sig, const struct sse_state *nat, int rc,
                    const struct sse_state *emu, const struct x86_insn *insn)
{
    const char *why = NULL;
    if (sig) {
        env->faults++;
        if (rc != X86_EXEC_EXCEPTION)
            why = "native faulted, the emulator did not";
        else if (nat->rflags != emu->rflags)
            why = "different exception vectors (rflags/vector)";
        else if (memcmp(emu->gpr, in->gpr, sizeof(in->gpr)) || emu->rip != insn_addr(env) ||
                 memcmp(env->d.arena, env->d.init, DIFF_ARENA_LEN))
            why = "the emulator's fault changed registers or memory";
        else if (fx_diff(nat->fx, emu->fx) >= 0 && !xm_pe_only(in, nat, emu))
            why = "FPU/SSE state at the fault differs";
    } else if (rc != X86_EXEC_OK) {
        why = "the emulator faulted (vector in rflags), native did not";
    } else {
        uint64_t fmask = 0x3fffff & ~(uint64_t)f->undef & ~(uint64_t)X86_FLAG_RF;
        if (memcmp(nat->gpr, emu->gpr, sizeof(nat->gpr)))
            why = "general registers differ";
        else if ((nat->rflags ^ emu->rflags) & fmask)
            why = "RFLAGS differ";
        else if (nat->rip != emu->rip)
            why = "RIP differs";
        else if (memcmp(env->d.native_out, env->d.arena, DIFF_ARENA_LEN))
            why = "memory differs";
        else if (fx_diff(nat->fx, emu->fx) >= 0)
            why = "FPU/SSE state differs";
    }
    if (why)
        report(env, f, in, nat, emu, sig, rc, insn, why);
    return !why;
}

unsigned diff_sse_run_form(struct diff_sse_env *env, const struct diff_sse_form *form,
                           unsigned nstates)
{
    unsigned before = env->mismatches;
    if (generate(env, &form->f)) {
        fprintf(stderr, "code generation failed for %s\n", form->f.name);
        return 1;
    }
    struct x86_cpu *cpu = malloc(sizeof(*cpu));
    struct sse_state *in = aligned_alloc(16, 3 * sizeof(*in));
    if (!cpu || !in) {
        free(cpu);
        free(in);
        return 1;
    }
    struct sse_state *nat = in + 1, *emu = in + 2;
    struct diff_native_map map = { .env = &env->d };
    for (unsigned i = 0; i < nstates; i++) {
        struct x86_insn insn;
        memset(&insn, 0, sizeof(insn));
        uint64_t target = random_state(env, form, in);

        memcpy(env->d.arena, env->d.init, DIFF_ARENA_LEN);
        int sig = run_native(env, in, nat);
        memcpy(env->d.native_out, env->d.arena, DIFF_ARENA_LEN);

        memcpy(env->d.arena, env->d.init, DIFF_ARENA_LEN);
        map.fill_tlb = diff_rand(&env->d) & 1;
        int rc = run_emu(env, cpu, &map, in, emu, &insn);
        /* Fields the form does not compare: take the native bytes. */
        size_t at = (size_t)(target - (uintptr_t)env->d.arena);
        for (unsigned b = 0; b < 32 && at + b < DIFF_ARENA_LEN; b++) {
            if (form->mem_ignore & (1u << b))
                env->d.arena[at + b] = env->d.native_out[at + b];
        }
        env->states++;
        if (!compare(env, &form->f, in, sig, nat, rc, emu, &insn) && env->reported > 8)
            break;
    }
    free(cpu);
    free(in);
    return env->mismatches - before;
}

void diff_sse_run_all(struct diff_sse_env *env, const char *family, struct diff_sse_form *forms,
                      unsigned n, unsigned nstates)
{
    unsigned states0 = env->states, faults0 = env->faults, bad = 0;
    const char *override = getenv("DIFF_STATES"); /* deeper runs by hand */
    if (override && strtoul(override, NULL, 0))
        nstates = (unsigned)strtoul(override, NULL, 0);
    for (unsigned i = 0; i < n; i++)
        bad += diff_sse_run_form(env, &forms[i], nstates);
    fprintf(stderr, "diff %s: %u forms x %u states = %u runs (%u native faults), %u mismatches, "
                    "seed %#" PRIx64 "\n",
            family, n, nstates, env->states - states0, env->faults - faults0, bad, env->d.seed);
    assert_int_equal(bad, 0);
}

/* ---- Fixture and encoding -------------------------------------------------------------- */

int diff_sse_env_init(struct diff_sse_env *env, uint64_t seed)
{
    memset(env, 0, sizeof(*env));
    return diff_env_init(&env->d, seed); /* with diff_native_init() */
}

void diff_sse_env_fini(struct diff_sse_env *env)
{
    diff_env_fini(&env->d);
}

void diff_sse_encode(struct diff_sse_env *env, struct diff_sse_form *form, const struct diff_enc *e,
                     enum diff_sse_elem elem, enum diff_sse_elem mem_elem, unsigned mem_len,
                     unsigned mem_align)
{
    memset(form, 0, sizeof(*form));
    diff_encode(&env->d, &form->f, e);
    form->xmm_elem = (uint8_t)elem;
    form->mem_elem = (uint8_t)mem_elem;
    form->mem_len = (uint8_t)mem_len;
    form->mem_align = (uint8_t)mem_align;
    if (form->f.riprel_at >= 0 && mem_align > 1)
        form->f.riprel_target &= ~(int32_t)(mem_align - 1);
}
