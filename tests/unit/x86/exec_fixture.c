/* A small machine for the executor's unit tests (see exec_fixture.h). */
#include "exec_fixture.h"

#include <stdlib.h>
#include <string.h>

static struct fx *fx_of(struct x86_cpu *cpu)
{
    return cpu->ctx;
}

/* Identity-mapped memory; the hole and anything past the end fault. */
static void *fx_map(struct x86_cpu *cpu, uint64_t la, unsigned len, unsigned acc)
{
    struct fx *f = fx_of(cpu);
    if (la + len < la || la + len > FX_MEM_LEN)
        return NULL;
    if (f->hole_lo != f->hole_hi && la < f->hole_hi && la + len > f->hole_lo)
        return NULL;
    if (f->fill_tlb && (la & 0xfff) + len <= 0x1000) {
        bool user = (acc & X86_ACC_USER) != 0;
        unsigned perms = X86_TLB_R | X86_TLB_W | X86_TLB_X;
        if (user)
            perms |= X86_TLB_UR | X86_TLB_UW | X86_TLB_UX;
        x86_tlb_fill(cpu, la, f->mem + (la & ~0xfffull), perms);
    }
    return f->mem + la;
}

static int fx_fault(struct x86_cpu *cpu, uint64_t la, unsigned acc)
{
    uint64_t addr = la;
    struct fx *f = fx_of(cpu);
    if (f->hole_lo != f->hole_hi && la < f->hole_lo)
        addr = f->hole_lo; /* the first byte that faults */
    return x86_raise_pf(cpu, (acc & X86_ACC_WRITE) ? X86_PF_W : 0, addr);
}

static int fx_read(struct x86_cpu *cpu, uint64_t la, void *dst, unsigned len, unsigned acc)
{
    fx_of(cpu)->mem_calls++;
    void *p = fx_map(cpu, la, len, acc);
    if (!p)
        return fx_fault(cpu, la, acc);
    memcpy(dst, p, len);
    return X86_EXEC_OK;
}

static int fx_write(struct x86_cpu *cpu, uint64_t la, const void *src, unsigned len, unsigned acc)
{
    fx_of(cpu)->mem_calls++;
    void *p = fx_map(cpu, la, len, acc);
    if (!p)
        return fx_fault(cpu, la, acc);
    memcpy(p, src, len);
    return X86_EXEC_OK;
}

static int fx_ptr(struct x86_cpu *cpu, uint64_t la, unsigned len, unsigned acc, void **host)
{
    *host = fx_map(cpu, la, len, acc);
    return *host ? X86_EXEC_OK : fx_fault(cpu, la, acc);
}

static int fx_in(struct x86_cpu *cpu, uint16_t port, unsigned size, uint32_t *val)
{
    struct fx *f = fx_of(cpu);
    f->last_port = port;
    f->ins++;
    *val = f->in_value & (uint32_t)(~0ull >> (64 - 8 * size));
    f->in_value++;
    return X86_EXEC_OK;
}

static int fx_out(struct x86_cpu *cpu, uint16_t port, unsigned size, uint32_t val)
{
    struct fx *f = fx_of(cpu);
    (void)size;
    f->last_port = port;
    f->last_out = val;
    f->outs++;
    return X86_EXEC_OK;
}

static int fx_io_bitmap(struct x86_cpu *cpu, uint16_t port, unsigned size, bool *allowed)
{
    (void)port;
    (void)size;
    *allowed = fx_of(cpu)->io_allowed;
    return X86_EXEC_OK;
}

static int fx_rdtsc(struct x86_cpu *cpu, uint64_t *tsc)
{
    *tsc = fx_of(cpu)->tsc;
    return X86_EXEC_OK;
}

static int fx_rdrand(struct x86_cpu *cpu, bool seed, uint64_t *val, bool *ok)
{
    *val = seed ? 0x5eed5eed5eed5eedull : 0x1234567890abcdefull;
    *ok = fx_of(cpu)->rand_ok;
    return X86_EXEC_OK;
}

static int fx_cpuid(struct x86_cpu *cpu, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    (void)cpu;
    out[0] = leaf;
    out[1] = sub;
    out[2] = 0xc0ffee;
    out[3] = 0xdecaf;
    return X86_EXEC_OK;
}

static const struct x86_emu_ops fx_ops = {
    .mem_read = fx_read,
    .mem_write = fx_write,
    .mem_ptr = fx_ptr,
    .pio_in = fx_in,
    .pio_out = fx_out,
    .io_bitmap = fx_io_bitmap,
    .cpuid = fx_cpuid,
    .rdtsc = fx_rdtsc,
    .rdrand = fx_rdrand,
};

static struct x86_seg flat(uint16_t sel, uint32_t type, uint32_t extra)
{
    return (struct x86_seg){ .base = 0, .limit = 0xffffffff, .sel = sel,
                             .attr = X86_SEG_P | X86_SEG_S | type | X86_SEG_G | extra };
}

void fx_init(struct fx *f, enum x86_mode mode)
{
    memset(f, 0, sizeof(*f));
    f->mem = calloc(1, FX_MEM_LEN);
    x86_cpu_init(&f->cpu, &fx_ops, f);
    struct x86_state s = f->cpu.s;
    if (mode == X86_MODE_REAL) {
        for (unsigned i = 0; i < 6; i++) {
            s.seg[i].base = 0;
            s.seg[i].sel = 0;
        }
        s.rip = 0x1000;
    } else {
        s.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
        for (unsigned i = 0; i < 6; i++)
            s.seg[i] = flat(0x10, 0x3, X86_SEG_DB);
        s.seg[X86_CS] = flat(0x08, 0xb, mode == X86_MODE_LONG64 ? X86_SEG_L : X86_SEG_DB);
        if (mode == X86_MODE_LONG64) {
            s.cr0 |= X86_CR0_PG;
            s.cr4 |= X86_CR4_PAE;
            s.efer |= X86_EFER_LME | X86_EFER_LMA;
        }
    }
    s.gpr[X86_RSP] = 0x8000;
    x86_cpu_set_state(&f->cpu, &s);
}

void fx_fini(struct fx *f)
{
    free(f->mem);
}

void fx_set_cpl(struct fx *f, unsigned cpl)
{
    struct x86_state *s = &f->cpu.s;
    s->seg[X86_CS].sel = (uint16_t)((s->seg[X86_CS].sel & ~3u) | cpl);
    s->seg[X86_SS].sel = (uint16_t)((s->seg[X86_SS].sel & ~3u) | cpl);
    s->seg[X86_CS].attr = (s->seg[X86_CS].attr & ~(3u << 5)) | (cpl << 5);
    s->seg[X86_SS].attr = (s->seg[X86_SS].attr & ~(3u << 5)) | (cpl << 5);
    x86_cpu_refresh(&f->cpu);
}

int fx_run(struct fx *f, uint64_t at, const void *code, size_t len)
{
    memcpy(f->mem + at, code, len);
    f->cpu.s.rip = at - f->cpu.s.seg[X86_CS].base;
    return x86_emulate_one(&f->cpu, NULL);
}
