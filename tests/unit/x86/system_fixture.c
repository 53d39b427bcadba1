/* A little machine for the system-instruction tests (see system_fixture.h). */
#include "system_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/util.h"
#include "x86/paging.h"

/* ---- Physical memory ----------------------------------------------------------- */

static bool phys_read(void *ctx, uint64_t pa, uint64_t *val, unsigned size)
{
    struct sysfix *f = ctx;
    *val = 0;
    if (!range_within(pa, size, SYSFIX_RAM))
        return false;
    memcpy(val, f->mem + pa, size);
    return true;
}

static bool phys_set_bits(void *ctx, uint64_t pa, uint64_t old, uint64_t bits, unsigned size)
{
    struct sysfix *f = ctx;
    (void)old;
    if (!range_within(pa, size, SYSFIX_RAM))
        return false;
    uint64_t v = 0;
    memcpy(&v, f->mem + pa, size);
    v |= bits;
    memcpy(f->mem + pa, &v, size);
    return true;
}

/* Translates [la, la + len) page by page into pa[]; raises #PF/#GP. */
static int translate(struct sysfix *f, uint64_t la, unsigned len, unsigned acc, uint64_t *pa,
                     unsigned *npages)
{
    const struct x86_phys_ops ops = { .read = phys_read, .set_bits = phys_set_bits, .ctx = f };
    unsigned n = 0;
    uint64_t at = la, end = la + len;
    while (at < end) {
        struct x86_walk_result r;
        uint32_t ec;
        int v = x86_walk(&f->cpu.s, &ops, at, acc, &r, &ec);
        if (v == X86_EXC_PF)
            return x86_raise_pf(&f->cpu, ec, at);
        if (v)
            return x86_raise_err(&f->cpu, X86_EXC_GP, 0);
        pa[n++] = r.pa;
        at = (at & ~(uint64_t)0xfff) + 0x1000;
    }
    *npages = n;
    return X86_EXEC_OK;
}

static void copy_phys(struct sysfix *f, uint64_t pa, void *buf, unsigned len, bool write)
{
    for (unsigned i = 0; i < len; i++) {
        if (pa + i >= SYSFIX_RAM) {
            if (!write)
                ((uint8_t *)buf)[i] = 0xff;
            continue;
        }
        if (write)
            f->mem[pa + i] = ((const uint8_t *)buf)[i];
        else
            ((uint8_t *)buf)[i] = f->mem[pa + i];
    }
}

static int mem_access(struct x86_cpu *cpu, uint64_t la, void *buf, unsigned len, unsigned acc,
                  bool write)
{
    struct sysfix *f = cpu->ctx;
    uint64_t pa[3];
    unsigned n = 0;
    assert_true(len >= 1 && len <= 4096);
    int rc = translate(f, la, len, acc, pa, &n);
    if (rc)
        return rc;
    unsigned done = 0;
    for (unsigned i = 0; i < n; i++) {
        unsigned chunk = (unsigned)MIN(len - done, 0x1000 - ((la + done) & 0xfff));
        copy_phys(f, pa[i], (uint8_t *)buf + done, chunk, write);
        done += chunk;
    }
    return X86_EXEC_OK;
}

static int cb_read(struct x86_cpu *cpu, uint64_t la, void *dst, unsigned len, unsigned acc)
{
    return mem_access(cpu, la, dst, len, acc, false);
}

static int cb_write(struct x86_cpu *cpu, uint64_t la, const void *src, unsigned len,
                    unsigned acc)
{
    return mem_access(cpu, la, (void *)src, len, acc, true);
}

static int cb_ptr(struct x86_cpu *cpu, uint64_t la, unsigned len, unsigned acc, void **host)
{
    struct sysfix *f = cpu->ctx;
    uint64_t pa[3];
    unsigned n = 0;
    *host = NULL;
    int rc = translate(f, la, len, acc, pa, &n);
    if (rc)
        return rc;
    if (n == 1 && range_within(pa[0], len, SYSFIX_RAM))
        *host = f->mem + pa[0];
    return X86_EXEC_OK;
}

/* ---- Host services --------------------------------------------------------------- */

static int cb_cpuid(struct x86_cpu *cpu, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    struct sysfix *f = cpu->ctx;
    f->cpuid_calls++;
    f->last_cpuid_leaf = leaf;
    f->last_cpuid_sub = sub;
    out[0] = leaf ^ 0x11111111u;
    out[1] = sub ^ 0x22222222u;
    out[2] = 0x33333333u;
    out[3] = 0x44444444u;
    return X86_EXEC_OK;
}

static int cb_rdtsc(struct x86_cpu *cpu, uint64_t *tsc)
{
    (void)cpu;
    *tsc = 0x123456789abcull;
    return X86_EXEC_OK;
}

static int cb_rdmsr(struct x86_cpu *cpu, uint32_t msr, uint64_t *val)
{
    struct sysfix *f = cpu->ctx;
    if (msr == f->msr_defer)
        return X86_EXEC_UNSUPPORTED;
    if (msr == f->msr_reject || msr < 0x1000 || msr > 0x1003)
        return x86_raise_err(cpu, X86_EXC_GP, 0);
    *val = f->msr_store[msr - 0x1000];
    return X86_EXEC_OK;
}

static int cb_wrmsr(struct x86_cpu *cpu, uint32_t msr, uint64_t val)
{
    struct sysfix *f = cpu->ctx;
    if (msr == f->msr_defer)
        return X86_EXEC_UNSUPPORTED;
    if (msr == f->msr_reject || msr < 0x1000 || msr > 0x1003)
        return x86_raise_err(cpu, X86_EXC_GP, 0);
    f->msr_store[msr - 0x1000] = val;
    return X86_EXEC_OK;
}

static void cb_tlb_flush(struct x86_cpu *cpu, uint64_t la, bool all, bool global)
{
    struct sysfix *f = cpu->ctx;
    if (all) {
        f->flush_all++;
        if (global)
            f->flush_global++;
    } else {
        f->flush_page++;
        f->last_flush_la = la;
    }
}

static const struct x86_emu_ops sysfix_ops = {
    .mem_read = cb_read,
    .mem_write = cb_write,
    .mem_ptr = cb_ptr,
    .cpuid = cb_cpuid,
    .rdtsc = cb_rdtsc,
    .rdmsr = cb_rdmsr,
    .wrmsr = cb_wrmsr,
    .tlb_flush = cb_tlb_flush,
};

/* ---- Descriptors ------------------------------------------------------------------ */

uint64_t sysfix_desc(uint32_t base, uint32_t limit, unsigned type, unsigned dpl, unsigned flags)
{
    uint64_t d = (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16);
    d |= (uint64_t)(type & 0xf) << 40;
    if (!(flags & DF_SYS))
        d |= 1ull << 44;
    d |= (uint64_t)(dpl & 3) << 45;
    if (!(flags & DF_NP))
        d |= 1ull << 47;
    d |= (uint64_t)((limit >> 16) & 0xf) << 48;
    if (flags & DF_L)
        d |= 1ull << 53;
    if (flags & DF_DB)
        d |= 1ull << 54;
    if (flags & DF_G)
        d |= 1ull << 55;
    d |= (uint64_t)(base >> 24) << 56;
    return d;
}

void sysfix_gdt(struct sysfix *f, uint16_t sel, uint64_t desc)
{
    sysfix_wr(f, SYSFIX_GDT + (sel & 0xfff8u), desc, 8);
}

void sysfix_gdt16(struct sysfix *f, uint16_t sel, uint64_t base, uint32_t limit, unsigned type,
                  unsigned dpl)
{
    sysfix_gdt(f, sel, sysfix_desc((uint32_t)base, limit, type, dpl, DF_SYS));
    sysfix_wr(f, SYSFIX_GDT + (sel & 0xfff8u) + 8, base >> 32, 8);
}

uint64_t sysfix_gate(uint16_t sel, uint32_t off, unsigned type, unsigned dpl, unsigned params)
{
    return (off & 0xffff) | ((uint64_t)sel << 16) | ((uint64_t)(params & 0x1f) << 32) |
           ((uint64_t)(type & 0xf) << 40) | ((uint64_t)(dpl & 3) << 45) | (1ull << 47) |
           ((uint64_t)(off >> 16) << 48);
}

void sysfix_idt32(struct sysfix *f, unsigned vector, uint16_t sel, uint32_t off, unsigned type,
                  unsigned dpl)
{
    sysfix_wr(f, SYSFIX_IDT + 8 * vector, sysfix_gate(sel, off, type, dpl, 0), 8);
}

void sysfix_idt64(struct sysfix *f, unsigned vector, uint16_t sel, uint64_t off, unsigned type,
                  unsigned dpl, unsigned ist)
{
    uint64_t lo = sysfix_gate(sel, (uint32_t)off, type, dpl, 0) | ((uint64_t)(ist & 7) << 32);
    sysfix_wr(f, SYSFIX_IDT + 16 * vector, lo, 8);
    sysfix_wr(f, SYSFIX_IDT + 16 * vector + 8, off >> 32, 8);
}

/* ---- Set-up ------------------------------------------------------------------------ */

void sysfix_init(struct sysfix *f)
{
    memset(f, 0, sizeof(*f));
    f->mem = calloc(1, SYSFIX_RAM);
    assert_non_null(f->mem);
    x86_cpu_init(&f->cpu, &sysfix_ops, f);
    f->msr_reject = ~0u;

    const unsigned flat = DF_G;
    sysfix_gdt(f, SEL_KCODE32, sysfix_desc(0, 0xfffff, 0xb, 0, flat | DF_DB));
    sysfix_gdt(f, SEL_KCODE64, sysfix_desc(0, 0xfffff, 0xb, 0, flat | DF_L));
    sysfix_gdt(f, SEL_KDATA, sysfix_desc(0, 0xfffff, 0x3, 0, flat | DF_DB));
    sysfix_gdt(f, SEL_UCODE32, sysfix_desc(0, 0xfffff, 0xb, 3, flat | DF_DB));
    sysfix_gdt(f, SEL_UDATA, sysfix_desc(0, 0xfffff, 0x3, 3, flat | DF_DB));
    sysfix_gdt(f, SEL_UCODE64, sysfix_desc(0, 0xfffff, 0xb, 3, flat | DF_L));

    /* Identity map of the first 1 GiB with 2 MiB user-writable pages. */
    sysfix_wr(f, SYSFIX_PML4, (SYSFIX_PML4 + 0x1000) | 0x7, 8);
    sysfix_wr(f, SYSFIX_PML4 + 0x1000, (SYSFIX_PML4 + 0x2000) | 0x7, 8);
    for (uint64_t i = 0; i < 512; i++)
        sysfix_wr(f, SYSFIX_PML4 + 0x2000 + 8 * i, (i << 21) | 0x87, 8);
}

void sysfix_fini(struct sysfix *f)
{
    free(f->mem);
    f->mem = NULL;
}

void sysfix_real(struct sysfix *f)
{
    struct x86_state *s = &f->cpu.s;
    s->cr0 = X86_CR0_ET;
    s->efer = 0;
    s->idt.base = 0;
    s->idt.limit = 0x3ff;
    for (unsigned i = 0; i < 6; i++) {
        s->seg[i].sel = 0;
        s->seg[i].base = 0;
        s->seg[i].limit = 0xffff;
        s->seg[i].attr = X86_SEG_P | X86_SEG_S | 0x3;
    }
    s->seg[X86_CS].sel = SYSFIX_CODE >> 4;
    s->seg[X86_CS].base = SYSFIX_CODE;
    s->seg[X86_CS].attr = X86_SEG_P | X86_SEG_S | 0xb;
    s->rip = 0;
    s->gpr[X86_RSP] = 0x8000;
    s->seg[X86_SS].sel = 0x1000; /* stack at 0x10000 - ... */
    s->seg[X86_SS].base = 0x10000;
    s->rflags = X86_FLAG_FIXED;
    x86_cpu_refresh(&f->cpu);
}

static void load_seg(struct sysfix *f, unsigned sreg, uint16_t sel)
{
    uint64_t d = sysfix_rd(f, SYSFIX_GDT + (sel & 0xfff8u), 8);
    struct x86_seg *sg = &f->cpu.s.seg[sreg];
    uint32_t limit = (uint32_t)(d & 0xffff) | (uint32_t)((d >> 32) & 0xf0000);
    sg->sel = sel;
    sg->base = ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000u);
    sg->attr = (uint32_t)((d >> 40) & 0xff) | (uint32_t)(((d >> 52) & 0xf) << 8);
    sg->limit = (sg->attr & X86_SEG_G) ? (limit << 12) | 0xfff : limit;
}

/* Common protected-mode tables: GDT, IDT, TR and LDTR. */
static void tables(struct sysfix *f, bool lm)
{
    struct x86_state *s = &f->cpu.s;
    s->gdt.base = SYSFIX_GDT;
    s->gdt.limit = 0xfff;
    s->idt.base = SYSFIX_IDT;
    s->idt.limit = 0xfff;
    if (lm) {
        sysfix_gdt16(f, SEL_TSS, SYSFIX_TSS, 0x67, 0xb, 0);
        sysfix_wr(f, SYSFIX_TSS + 4, SYSFIX_KSTACK, 8);      /* RSP0 */
        sysfix_wr(f, SYSFIX_TSS + 0x24, SYSFIX_IST1, 8);     /* IST1 */
    } else {
        sysfix_gdt(f, SEL_TSS, sysfix_desc(SYSFIX_TSS, 0x67, 0xb, 0, DF_SYS));
        sysfix_wr(f, SYSFIX_TSS + 4, SYSFIX_KSTACK, 4);      /* ESP0 */
        sysfix_wr(f, SYSFIX_TSS + 8, SEL_KDATA, 2);          /* SS0 */
    }
    load_seg(f, X86_TR, SEL_TSS);
    s->seg[X86_TR].attr &= ~(uint32_t)X86_SEG_S;
    s->seg[X86_LDTR] = (struct x86_seg){ .attr = X86_SEG_UNUSABLE };
}

void sysfix_prot32(struct sysfix *f, unsigned cpl)
{
    struct x86_state *s = &f->cpu.s;
    tables(f, false);
    s->cr0 = X86_CR0_ET | X86_CR0_PE;
    s->efer = 0;
    uint16_t cs = cpl ? SEL_UCODE32 : SEL_KCODE32, ds = cpl ? SEL_UDATA : SEL_KDATA;
    load_seg(f, X86_CS, cs);
    for (unsigned r = X86_ES; r <= X86_GS; r++) {
        if (r != X86_CS)
            load_seg(f, r, ds);
    }
    s->rip = SYSFIX_CODE;
    s->gpr[X86_RSP] = cpl ? SYSFIX_USTACK : SYSFIX_KSTACK;
    s->rflags = X86_FLAG_FIXED;
    x86_cpu_refresh(&f->cpu);
    assert_int_equal(f->cpu.cpl, cpl);
}

void sysfix_long64(struct sysfix *f, unsigned cpl)
{
    struct x86_state *s = &f->cpu.s;
    tables(f, true);
    s->cr3 = SYSFIX_PML4;
    s->cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
    s->efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_SCE | X86_EFER_NXE;
    s->cr0 = X86_CR0_ET | X86_CR0_PE | X86_CR0_PG | X86_CR0_WP | X86_CR0_NE;
    uint16_t cs = cpl ? SEL_UCODE64 : SEL_KCODE64, ds = cpl ? SEL_UDATA : SEL_KDATA;
    load_seg(f, X86_CS, cs);
    for (unsigned r = X86_ES; r <= X86_GS; r++) {
        if (r != X86_CS)
            load_seg(f, r, ds);
    }
    s->rip = SYSFIX_CODE;
    s->gpr[X86_RSP] = cpl ? SYSFIX_USTACK : SYSFIX_KSTACK;
    s->rflags = X86_FLAG_FIXED;
    x86_cpu_refresh(&f->cpu);
    assert_int_equal(f->cpu.mode, X86_MODE_LONG64);
    assert_int_equal(f->cpu.cpl, cpl);
}

/* ---- Running and memory ------------------------------------------------------------ */

int sysfix_run(struct sysfix *f, const void *bytes, unsigned len)
{
    const struct x86_state *s = &f->cpu.s;
    uint64_t la = s->seg[X86_CS].base + s->rip;
    assert_true(range_within(la, len, SYSFIX_RAM)); /* identity-mapped code */
    memcpy(f->mem + la, bytes, len);
    return x86_emulate_one(&f->cpu, NULL);
}

uint64_t sysfix_rd(const struct sysfix *f, uint64_t pa, unsigned size)
{
    uint64_t v = 0;
    assert_true(range_within(pa, size, SYSFIX_RAM));
    memcpy(&v, f->mem + pa, size);
    return v;
}

void sysfix_wr(struct sysfix *f, uint64_t pa, uint64_t val, unsigned size)
{
    assert_true(range_within(pa, size, SYSFIX_RAM));
    memcpy(f->mem + pa, &val, size);
}

void sysfix_expect_exc(const struct sysfix *f, int rc, unsigned vector, uint32_t error)
{
    assert_int_equal(rc, X86_EXEC_EXCEPTION);
    assert_int_equal(f->cpu.exc.vector, vector);
    assert_int_equal(f->cpu.exc.error_code, error);
}
