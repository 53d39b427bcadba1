/* x87/SSE state save and restore (see exec_xsave.h). */
#include "x86/exec_xsave.h"

#include "x86/ctrl.h"
#include "x86/exec_opnd.h"
#include "x86/exec_sse_opnd.h"

#define FX_SIZE 512u
#define XSAVE_SIZE 576u     /* legacy region + 64-byte header */
#define HDR 512u            /* XSAVE header offset */
#define XCOMP_COMPACT (1ull << 63)
#define MXCSR_INIT 0x1f80u
#define FCW_INIT 0x037fu

static int gp0(struct x86_cpu *cpu)
{
    return x86_raise_err(cpu, X86_EXC_GP, 0);
}

/* Number of XMM registers in the image: 16 in 64-bit mode, else 8. */
static unsigned xmm_count(const struct x86_cpu *cpu)
{
    return cpu->mode == X86_MODE_LONG64 ? 16 : 8;
}

/* ---- Image <-> state --------------------------------------------------------- */

/* x87 component: bytes 0-23 (less MXCSR) and 32-159. */
static void put_x87(const struct x86_fxstate *fx, uint8_t *img, bool wide)
{
    put_le16(img + 0, fx->fcw);
    put_le16(img + 2, fx->fsw);
    img[4] = fx->ftw;
    img[5] = 0;
    put_le16(img + 6, fx->fop);
    uint64_t ptr_mask = wide ? ~(uint64_t)0 : 0x0000ffffffffffffull;
    put_le64(img + 8, fx->fip & ptr_mask);
    put_le64(img + 16, fx->fdp & ptr_mask);
    memcpy(img + 32, fx->st, sizeof(fx->st));
}

static void get_x87(struct x86_fxstate *fx, const uint8_t *img, bool wide)
{
    uint64_t ptr_mask = wide ? ~(uint64_t)0 : 0x0000ffffffffffffull;
    fx->fcw = get_le16(img + 0);
    fx->fsw = get_le16(img + 2);
    fx->ftw = img[4];
    fx->fop = get_le16(img + 6);
    fx->fip = get_le64(img + 8) & ptr_mask;
    fx->fdp = get_le64(img + 16) & ptr_mask;
    memcpy(fx->st, img + 32, sizeof(fx->st));
}

/* The x87 initial state (FNINIT plus zeroed pointers and registers). */
static void init_x87(struct x86_fxstate *fx)
{
    fx->fcw = FCW_INIT;
    fx->fsw = 0;
    fx->ftw = 0; /* abridged: all empty */
    fx->fop = 0;
    fx->fip = 0;
    fx->fdp = 0;
    memset(fx->st, 0, sizeof(fx->st));
}

static void put_mxcsr(const struct x86_fxstate *fx, uint8_t *img)
{
    put_le32(img + 24, fx->mxcsr);
    put_le32(img + 28, X86_MXCSR_VALID);
}

static void put_xmm(const struct x86_fxstate *fx, uint8_t *img, unsigned n)
{
    memcpy(img + 160, fx->xmm, 16 * n);
}

static void get_xmm(struct x86_fxstate *fx, const uint8_t *img, unsigned n)
{
    memcpy(fx->xmm, img + 160, 16 * n);
}

/* ---- The memory area ------------------------------------------------------------ */

/* The area's linear address: segmentation for len bytes, then alignment
 * (#GP(0) whatever the segment). */
static int area_la(struct x86_cpu *cpu, const struct x86_insn *in, unsigned len, unsigned align,
                   unsigned kind, uint64_t *la)
{
    if (in->opnd[0].kind != X86_OPND_MEM)
        return x86_raise(cpu, X86_EXC_UD);
    int rc = x86_mem_linear(cpu, in->seg, x86_ea(cpu, in), len, kind, la);
    if (rc)
        return rc;
    return (*la & (align - 1)) ? gp0(cpu) : X86_EXEC_OK;
}

/* Saves go read-modify-write over the whole area, so every page is checked
 * for writing before anything is stored and untouched bytes keep their
 * values. */
static int area_read(struct x86_cpu *cpu, uint64_t la, uint8_t *img, unsigned len, unsigned kind)
{
    return x86_mem_read_la(cpu, la, img, len, x86_mem_acc(cpu, kind));
}

static int area_write(struct x86_cpu *cpu, uint64_t la, const uint8_t *img, unsigned len)
{
    return x86_mem_write_la(cpu, la, img, len, x86_mem_acc(cpu, X86_ACC_WRITE));
}

/* ---- FXSAVE / FXRSTOR --------------------------------------------------------- */

/* CR0.EM -> #UD, CR0.TS -> #NM. */
static int fx_check(struct x86_cpu *cpu)
{
    if (cpu->s.cr0 & X86_CR0_EM)
        return x86_raise(cpu, X86_EXC_UD);
    if (cpu->s.cr0 & X86_CR0_TS)
        return x86_raise(cpu, X86_EXC_NM);
    return X86_EXEC_OK;
}

int x86_exec_fxsave(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint8_t img[FX_SIZE];
    uint64_t la;
    int rc = fx_check(cpu);
    if (rc || (rc = area_la(cpu, in, FX_SIZE, 16, X86_ACC_WRITE, &la)) ||
        (rc = area_read(cpu, la, img, FX_SIZE, X86_ACC_WRITE)))
        return rc;
    const struct x86_fxstate *fx = &cpu->s.fx;
    put_x87(fx, img, in->opsize == 8);
    put_mxcsr(fx, img);
    put_xmm(fx, img, xmm_count(cpu));
    return area_write(cpu, la, img, FX_SIZE);
}

int x86_exec_fxrstor(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint8_t img[FX_SIZE];
    uint64_t la;
    int rc = fx_check(cpu);
    if (rc || (rc = area_la(cpu, in, FX_SIZE, 16, X86_ACC_READ, &la)) ||
        (rc = area_read(cpu, la, img, FX_SIZE, X86_ACC_READ)))
        return rc;
    uint32_t mxcsr = get_le32(img + 24);
    if (mxcsr & ~X86_MXCSR_VALID)
        return gp0(cpu);
    struct x86_fxstate *fx = &cpu->s.fx;
    get_x87(fx, img, in->opsize == 8);
    fx->mxcsr = mxcsr;
    get_xmm(fx, img, xmm_count(cpu));
    return X86_EXEC_OK;
}

/* ---- XSAVE family -------------------------------------------------------------- */

/* CR4.OSXSAVE -> #UD, CR0.TS -> #NM; RFBM = XCR0 AND EDX:EAX. */
static int xsave_check(struct x86_cpu *cpu, uint64_t *rfbm)
{
    if (!(cpu->s.cr4 & X86_CR4_OSXSAVE))
        return x86_raise(cpu, X86_EXC_UD);
    if (cpu->s.cr0 & X86_CR0_TS)
        return x86_raise(cpu, X86_EXC_NM);
    uint64_t mask = (cpu->s.gpr[X86_RDX] << 32) | (uint32_t)cpu->s.gpr[X86_RAX];
    *rfbm = cpu->s.xcr0 & mask;
    if (*rfbm & ~(uint64_t)X86_XCR0_SUPPORTED)
        return X86_EXEC_UNSUPPORTED; /* AVX and beyond: no state to save */
    return X86_EXEC_OK;
}

int x86_exec_xsave(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint8_t img[XSAVE_SIZE];
    uint64_t la, rfbm = 0;
    int rc = xsave_check(cpu, &rfbm);
    if (rc || (rc = area_la(cpu, in, XSAVE_SIZE, 64, X86_ACC_WRITE, &la)) ||
        (rc = area_read(cpu, la, img, XSAVE_SIZE, X86_ACC_WRITE)))
        return rc;
    const struct x86_fxstate *fx = &cpu->s.fx;
    bool compacted = in->op == X86_OP_XSAVEC;
    if (rfbm & X86_XCR0_X87)
        put_x87(fx, img, in->opsize == 8);
    if (rfbm & X86_XCR0_SSE) {
        put_xmm(fx, img, xmm_count(cpu));
        put_mxcsr(fx, img);
    }
    uint64_t bv = get_le64(img + HDR);
    if (compacted) {
        put_le64(img + HDR, rfbm);                      /* XSTATE_BV = RFBM AND XINUSE */
        put_le64(img + HDR + 8, rfbm | XCOMP_COMPACT);  /* XCOMP_BV */
    } else {
        put_le64(img + HDR, (bv & ~rfbm) | rfbm);       /* other bits unchanged */
    }
    return area_write(cpu, la, img, XSAVE_SIZE);
}

/* Header checks of XRSTOR (SDM Vol. 1, 13.8.1 and 13.8.2). */
static bool xrstor_header_ok(const struct x86_cpu *cpu, const uint8_t *hdr)
{
    uint64_t xstate_bv = get_le64(hdr), xcomp_bv = get_le64(hdr + 8);
    uint64_t xcr0 = cpu->s.xcr0;
    if (!(xcomp_bv & XCOMP_COMPACT)) {
        /* Standard form: XSTATE_BV within XCR0, bytes 23:8 zero. */
        return !(xstate_bv & ~xcr0) && xcomp_bv == 0 && get_le64(hdr + 16) == 0;
    }
    /* Compacted form: XCOMP_BV[62:0] within XCR0, XSTATE_BV within
     * XCOMP_BV[62:0], bytes 63:16 zero. */
    if ((xcomp_bv & ~XCOMP_COMPACT & ~xcr0) || (xstate_bv & ~(xcomp_bv & ~XCOMP_COMPACT)))
        return false;
    for (unsigned i = 16; i < 64; i++) {
        if (hdr[i])
            return false;
    }
    return true;
}

int x86_exec_xrstor(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint8_t img[XSAVE_SIZE];
    uint64_t la, rfbm = 0;
    int rc = xsave_check(cpu, &rfbm);
    if (rc || (rc = area_la(cpu, in, XSAVE_SIZE, 64, X86_ACC_READ, &la)) ||
        (rc = area_read(cpu, la, img, XSAVE_SIZE, X86_ACC_READ)))
        return rc;
    if (!xrstor_header_ok(cpu, img + HDR))
        return gp0(cpu);
    uint64_t xstate_bv = get_le64(img + HDR);
    bool compacted = get_le64(img + HDR + 8) & XCOMP_COMPACT;

    /* MXCSR: the standard form loads it whenever RFBM[1] or RFBM[2] is set;
     * the compacted form only with XSTATE_BV[1], else it initialises it. */
    struct x86_fxstate *fx = &cpu->s.fx;
    uint32_t mxcsr = fx->mxcsr;
    if (!compacted && (rfbm & (X86_XCR0_SSE | (1ull << 2))))
        mxcsr = get_le32(img + 24);
    else if (compacted && (rfbm & X86_XCR0_SSE))
        mxcsr = (xstate_bv & X86_XCR0_SSE) ? get_le32(img + 24) : MXCSR_INIT;
    if (mxcsr & ~X86_MXCSR_VALID)
        return gp0(cpu);

    if (rfbm & X86_XCR0_X87) {
        if (xstate_bv & X86_XCR0_X87)
            get_x87(fx, img, in->opsize == 8);
        else
            init_x87(fx);
    }
    if (rfbm & X86_XCR0_SSE) {
        if (xstate_bv & X86_XCR0_SSE)
            get_xmm(fx, img, xmm_count(cpu));
        else
            memset(fx->xmm, 0, 16 * xmm_count(cpu));
    }
    fx->mxcsr = mxcsr;
    return X86_EXEC_OK;
}

/* ---- XGETBV / XSETBV ---------------------------------------------------------- */

/* XGETBV: ECX = 0 reads XCR0; ECX = 1 the components in use (all enabled
 * ones, see exec_xsave.h). */
int x86_exec_xgetbv(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    if (!(cpu->s.cr4 & X86_CR4_OSXSAVE))
        return x86_raise(cpu, X86_EXC_UD);
    uint32_t idx = (uint32_t)cpu->s.gpr[X86_RCX];
    if (idx > 1)
        return gp0(cpu);
    uint64_t v = cpu->s.xcr0;
    x86_gpr_write(cpu, X86_RAX, 4, v);
    x86_gpr_write(cpu, X86_RDX, 4, v >> 32);
    return X86_EXEC_OK;
}

int x86_exec_xsetbv(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    if (!(cpu->s.cr4 & X86_CR4_OSXSAVE))
        return x86_raise(cpu, X86_EXC_UD);
    if (cpu->cpl != 0 || (uint32_t)cpu->s.gpr[X86_RCX] != 0)
        return gp0(cpu);
    return x86_set_xcr0(cpu, (cpu->s.gpr[X86_RDX] << 32) | (uint32_t)cpu->s.gpr[X86_RAX]);
}
