/* String instructions (see exec_string.h). */
#include "x86/exec_string.h"

#include "x86/exec_io.h"
#include "x86/exec_opnd.h"

enum str_kind { STR_MOVS, STR_CMPS, STR_STOS, STR_LODS, STR_SCAS, STR_INS, STR_OUTS };

/* Per-instruction constants of a string operation. */
struct str_op {
    enum str_kind kind;
    unsigned size;     /* element size */
    unsigned asize;    /* address size */
    uint64_t amask;
    int64_t step;      /* +size or -size by DF */
    unsigned seg;      /* the rSI side's segment */
};

static inline uint64_t si(const struct x86_cpu *cpu, const struct str_op *o)
{
    return cpu->s.gpr[X86_RSI] & o->amask;
}

static inline uint64_t di(const struct x86_cpu *cpu, const struct str_op *o)
{
    return cpu->s.gpr[X86_RDI] & o->amask;
}

static inline void advance(struct x86_cpu *cpu, const struct str_op *o, unsigned reg, uint64_t n)
{
    uint64_t v = (cpu->s.gpr[reg] + (uint64_t)o->step * n) & o->amask;
    x86_gpr_write(cpu, reg, o->asize, v);
}

/* One iteration. Registers change only after its accesses succeeded. */
static int str_step(struct x86_cpu *cpu, const struct str_op *o)
{
    uint64_t a, b;
    uint32_t pv;
    int rc;
    switch (o->kind) {
    case STR_MOVS:
        if ((rc = x86_mem_read(cpu, o->seg, si(cpu, o), o->size, &a)))
            return rc;
        if ((rc = x86_mem_write(cpu, X86_ES, di(cpu, o), o->size, a)))
            return rc;
        advance(cpu, o, X86_RSI, 1);
        advance(cpu, o, X86_RDI, 1);
        return X86_EXEC_OK;
    case STR_CMPS:
        if ((rc = x86_mem_read(cpu, o->seg, si(cpu, o), o->size, &a)))
            return rc;
        if ((rc = x86_mem_read(cpu, X86_ES, di(cpu, o), o->size, &b)))
            return rc;
        x86_flags_record(cpu, X86_LAZY_SUB, o->size, (a - b) & x86_size_mask(o->size), a, b);
        advance(cpu, o, X86_RSI, 1);
        advance(cpu, o, X86_RDI, 1);
        return X86_EXEC_OK;
    case STR_STOS:
        if ((rc = x86_mem_write(cpu, X86_ES, di(cpu, o), o->size,
                                x86_gpr_read(cpu, X86_RAX, o->size))))
            return rc;
        advance(cpu, o, X86_RDI, 1);
        return X86_EXEC_OK;
    case STR_LODS:
        if ((rc = x86_mem_read(cpu, o->seg, si(cpu, o), o->size, &a)))
            return rc;
        x86_gpr_write(cpu, X86_RAX, o->size, a);
        advance(cpu, o, X86_RSI, 1);
        return X86_EXEC_OK;
    case STR_SCAS:
        a = x86_gpr_read(cpu, X86_RAX, o->size);
        if ((rc = x86_mem_read(cpu, X86_ES, di(cpu, o), o->size, &b)))
            return rc;
        x86_flags_record(cpu, X86_LAZY_SUB, o->size, (a - b) & x86_size_mask(o->size), a, b);
        advance(cpu, o, X86_RDI, 1);
        return X86_EXEC_OK;
    case STR_INS: {
        uint64_t la;
        uint16_t port = (uint16_t)cpu->s.gpr[X86_RDX];
        /* Check the destination before the port read has side effects. */
        if ((rc = x86_mem_linear(cpu, X86_ES, di(cpu, o), o->size, X86_ACC_WRITE, &la)))
            return rc;
        if ((rc = cpu->ops->pio_in(cpu, port, o->size, &pv)))
            return rc;
        if ((rc = x86_mem_write(cpu, X86_ES, di(cpu, o), o->size, pv)))
            return rc;
        advance(cpu, o, X86_RDI, 1);
        return X86_EXEC_OK;
    }
    default: /* STR_OUTS */
        if ((rc = x86_mem_read(cpu, o->seg, si(cpu, o), o->size, &a)))
            return rc;
        if ((rc = cpu->ops->pio_out(cpu, (uint16_t)cpu->s.gpr[X86_RDX], o->size, (uint32_t)a)))
            return rc;
        advance(cpu, o, X86_RSI, 1);
        return X86_EXEC_OK;
    }
}

/* ---- Fast path: ascending REP MOVS / REP STOS on RAM through the TLB ---------- */

/* Elements from seg:off to the end of its page (and before the address-size
 * wrap), at most max; *host points at them, or the result is 0 when the
 * TLB does not map them or a segment check would fail (the slow path then
 * handles the element and raises any fault precisely). */
static uint64_t chunk(struct x86_cpu *cpu, const struct str_op *o, unsigned seg, uint64_t off,
                      unsigned kind, uint64_t max, uint8_t **host)
{
    uint64_t la;
    if (x86_mem_linear(cpu, seg, off, o->size, kind, &la))
        return 0;
    uint64_t n = MIN(0x1000 - (la & 0xfff), o->amask - off + 1) / o->size;
    n = MIN(n, max);
    if (n == 0 || x86_mem_linear(cpu, seg, off, (unsigned)(n * o->size), kind, &la))
        return 0;
    /* GUEST: the segment checks above cover all n elements, the TLB entry
     * maps this linear page with the needed permission, and n elements end
     * within the page (n is bounded by the bytes left in it). */
    *host = x86_tlb_lookup(cpu, la, (unsigned)(n * o->size), x86_mem_acc(cpu, kind));
    return *host ? n : 0;
}

static void fill(uint8_t *d, uint64_t v, unsigned size, uint64_t n)
{
    if (size == 1) {
        memset(d, (int)(v & 0xff), n);
        return;
    }
    for (uint64_t i = 0; i < n; i++)
        memcpy(d + i * size, &v, size); /* little-endian host */
}

/* Runs whole in-page chunks while they hit the TLB; returns the number of
 * elements done (registers updated accordingly). */
static uint64_t rep_fast(struct x86_cpu *cpu, const struct str_op *o, uint64_t count)
{
    uint64_t done = 0;
    while (done < count) {
        uint8_t *d, *s = NULL;
        uint64_t n = chunk(cpu, o, X86_ES, di(cpu, o), X86_ACC_WRITE, count - done, &d);
        if (n && o->kind == STR_MOVS)
            n = chunk(cpu, o, o->seg, si(cpu, o), X86_ACC_READ, n, &s);
        if (n == 0)
            break;
        size_t len = (size_t)(n * o->size);
        if (o->kind == STR_STOS) {
            fill(d, cpu->s.gpr[X86_RAX], o->size, n);
        } else {
            /* Forward element copies into an overlapping higher destination
             * replicate the pattern; memmove would not: leave it to the
             * slow path. */
            if ((uintptr_t)d > (uintptr_t)s && (uintptr_t)d < (uintptr_t)s + len)
                break;
            memmove(d, s, len);
            advance(cpu, o, X86_RSI, n);
        }
        advance(cpu, o, X86_RDI, n);
        done += n;
    }
    return done;
}

/* ---- The repeat loop ---------------------------------------------------------------- */

static int str_run(struct x86_cpu *cpu, const struct x86_insn *in, enum str_kind kind)
{
    struct str_op o = {
        .kind = kind,
        .size = in->opsize,
        .asize = in->addrsize,
        .amask = x86_size_mask(in->addrsize),
        .step = (cpu->s.rflags & X86_FLAG_DF) ? -(int64_t)in->opsize : (int64_t)in->opsize,
        .seg = in->seg,
    };
    int rc;
    if (kind == STR_INS || kind == STR_OUTS) {
        if ((rc = x86_io_check(cpu, (uint16_t)cpu->s.gpr[X86_RDX], o.size)))
            return rc;
        if (!(kind == STR_INS ? (void *)cpu->ops->pio_in : (void *)cpu->ops->pio_out))
            return X86_EXEC_UNSUPPORTED;
    }
    if (!(in->flags & (X86_PFX_REP | X86_PFX_REPNE)))
        return str_step(cpu, &o);

    bool conditional = kind == STR_CMPS || kind == STR_SCAS;
    bool while_equal = in->flags & X86_PFX_REP; /* REPE; else REPNE */
    uint64_t count = x86_count_read(cpu, o.asize);
    unsigned budget = X86_REP_BATCH;
    /* The fast path is tried first and again after each slow step, until
     * it fails twice in a row (e.g. MMIO, an empty TLB). */
    unsigned fast_misses = (kind == STR_MOVS || kind == STR_STOS) && o.step > 0 &&
                                   !(cpu->s.rflags & X86_FLAG_AC)
                               ? 0
                               : 2;

    while (count != 0 && budget != 0) {
        if (fast_misses < 2) {
            uint64_t n = rep_fast(cpu, &o, MIN(count, budget));
            fast_misses = n ? 0 : fast_misses + 1;
            count -= n;
            budget -= (unsigned)n;
            x86_count_write(cpu, o.asize, count);
            if (count == 0 || budget == 0)
                break;
        }
        if ((rc = str_step(cpu, &o)))
            return rc;
        x86_count_write(cpu, o.asize, --count);
        budget--;
        if (conditional && !(x86_flags_compute(cpu) & X86_FLAG_ZF) == while_equal)
            return X86_EXEC_OK;
    }
    if (count != 0)
        cpu->next_rip = cpu->s.rip; /* resume on the next call */
    return X86_EXEC_OK;
}

int x86_exec_movs(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return str_run(cpu, in, STR_MOVS);
}

int x86_exec_cmps(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return str_run(cpu, in, STR_CMPS);
}

int x86_exec_stos(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return str_run(cpu, in, STR_STOS);
}

int x86_exec_lods(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return str_run(cpu, in, STR_LODS);
}

int x86_exec_scas(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return str_run(cpu, in, STR_SCAS);
}

int x86_exec_ins(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return str_run(cpu, in, STR_INS);
}

int x86_exec_outs(struct x86_cpu *cpu, const struct x86_insn *in)
{
    return str_run(cpu, in, STR_OUTS);
}
