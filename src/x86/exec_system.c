/* Privileged and system instructions (see exec_system.h). */
#include "x86/exec_system.h"

#include "x86/ctrl.h"
#include "x86/exec_opnd.h"
#include "x86/msr.h"

/* DR6 and DR7 fixed bits (SDM Vol. 3A, 17.2.3-17.2.4): DR6 bits 4-11 and
 * 16-31 read as 1, bit 12 as 0; DR7 bit 10 reads as 1, 11-12 and 14-15
 * as 0. */
#define DR6_WRITABLE 0x0000e00full
#define DR6_FIXED1 0xffff0ff0ull
#define DR7_WRITABLE 0xffff23ffull
#define DR7_FIXED1 0x00000400ull
#define DR6_BD (1ull << 13)
#define DR7_GD (1ull << 13)

static int gp0(struct x86_cpu *cpu)
{
    return x86_raise_err(cpu, X86_EXC_GP, 0);
}

/* ---- Control registers ------------------------------------------------------ */

/* MOV CR: CPL 0 only (#GP(0)); in 64-bit mode the operand has 64 bits. */
int x86_exec_mov_to_cr(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (cpu->cpl != 0)
        return gp0(cpu);
    uint64_t v = x86_gpr_read(cpu, in->opnd[1].reg, in->opnd[1].size);
    switch (in->opnd[0].reg) {
    case 0: return x86_set_cr0(cpu, v);
    case 2: cpu->s.cr2 = v; return X86_EXEC_OK;
    case 3: return x86_set_cr3(cpu, v);
    case 4: return x86_set_cr4(cpu, v);
    case 8: return x86_set_cr8(cpu, v);
    default: return x86_raise(cpu, X86_EXC_UD);
    }
}

int x86_exec_mov_from_cr(struct x86_cpu *cpu, const struct x86_insn *in)
{
    const struct x86_state *s = &cpu->s;
    uint64_t v;
    if (cpu->cpl != 0)
        return gp0(cpu);
    switch (in->opnd[1].reg) {
    case 0: v = s->cr0; break;
    case 2: v = s->cr2; break;
    case 3: v = s->cr3; break;
    case 4: v = s->cr4; break;
    case 8: v = s->cr8; break;
    default: return x86_raise(cpu, X86_EXC_UD);
    }
    x86_gpr_write(cpu, in->opnd[0].reg, in->opnd[0].size, v);
    return X86_EXEC_OK;
}

/* LMSW: loads CR0.PE/MP/EM/TS from the low 4 bits; it can set PE but not
 * clear it. */
int x86_exec_lmsw(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t src;
    if (cpu->cpl != 0)
        return gp0(cpu);
    int rc = x86_opnd_read(cpu, in, 0, &src);
    if (rc)
        return rc;
    uint64_t cr0 = cpu->s.cr0;
    uint64_t v = (cr0 & ~(uint64_t)0xe) | (src & 0xf) | (cr0 & X86_CR0_PE);
    return x86_set_cr0(cpu, v);
}

/* UMIP makes SGDT SIDT SLDT SMSW STR #GP(0) above CPL 0 (Vol. 3A, 2.5). */
static bool umip_blocks(const struct x86_cpu *cpu)
{
    return cpu->cpl > 0 && (cpu->s.cr4 & X86_CR4_UMIP);
}

/* SMSW: CR0 bits 15:0 to memory, or CR0 at the operand size to a register. */
int x86_exec_smsw(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (umip_blocks(cpu))
        return gp0(cpu);
    return x86_opnd_write(cpu, in, 0, cpu->s.cr0);
}

int x86_exec_clts(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    if (cpu->cpl != 0)
        return gp0(cpu);
    cpu->s.cr0 &= ~(uint64_t)X86_CR0_TS;
    return X86_EXEC_OK;
}

/* ---- Debug registers -------------------------------------------------------- */

/* The dr[] index of DRn: DR4/DR5 alias DR6/DR7 unless CR4.DE (then #UD). */
static int dr_index(struct x86_cpu *cpu, unsigned n, unsigned *idx)
{
    if (n == 4 || n == 5) {
        if (cpu->s.cr4 & X86_CR4_DE)
            return x86_raise(cpu, X86_EXC_UD);
        n += 2;
    }
    if (n > 7)
        return x86_raise(cpu, X86_EXC_UD);
    *idx = n;
    return X86_EXEC_OK;
}

/* CPL 0; with DR7.GD set any DR access is a #DB fault that sets DR6.BD
 * and clears GD for the handler (Vol. 3A, 17.2.4). */
static int dr_access_check(struct x86_cpu *cpu)
{
    if (cpu->cpl != 0)
        return gp0(cpu);
    if (cpu->s.dr[7] & DR7_GD) {
        cpu->s.dr[6] |= DR6_BD;
        cpu->s.dr[7] &= ~DR7_GD;
        return x86_raise(cpu, X86_EXC_DB);
    }
    return X86_EXEC_OK;
}

int x86_exec_mov_to_dr(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned idx = 0;
    int rc = dr_index(cpu, in->opnd[0].reg, &idx);
    if (rc || (rc = dr_access_check(cpu)))
        return rc;
    uint64_t v = x86_gpr_read(cpu, in->opnd[1].reg, in->opnd[1].size);
    if (idx >= 6 && (v >> 32))
        return gp0(cpu);
    if (idx == 6)
        v = (v & DR6_WRITABLE) | DR6_FIXED1;
    else if (idx == 7)
        v = (v & DR7_WRITABLE) | DR7_FIXED1;
    cpu->s.dr[idx] = v;
    return X86_EXEC_OK;
}

int x86_exec_mov_from_dr(struct x86_cpu *cpu, const struct x86_insn *in)
{
    unsigned idx = 0;
    int rc = dr_index(cpu, in->opnd[1].reg, &idx);
    if (rc || (rc = dr_access_check(cpu)))
        return rc;
    x86_gpr_write(cpu, in->opnd[0].reg, in->opnd[0].size, cpu->s.dr[idx]);
    return X86_EXEC_OK;
}

/* ---- TLB and cache control -------------------------------------------------- */

/* The linear address of the memory operand (in->seg <= GS) without any
 * access check: INVLPG does not fault on its address. 32-bit outside
 * 64-bit mode. */
static uint64_t operand_la(const struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t ea = x86_ea(cpu, in);
    if (cpu->mode == X86_MODE_LONG64)
        return ea + (in->seg >= X86_FS ? cpu->s.seg[in->seg].base : 0);
    return (cpu->s.seg[in->seg].base + ea) & 0xffffffffu;
}

int x86_exec_invlpg(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (cpu->cpl != 0)
        return gp0(cpu);
    if (in->opnd[0].kind != X86_OPND_MEM || in->seg > X86_GS)
        return x86_raise(cpu, X86_EXC_UD);
    uint64_t la = operand_la(cpu, in);
    /* A non-canonical address invalidates nothing (and does not fault). */
    if (cpu->mode != X86_MODE_LONG64 || x86_canonical(cpu, la))
        x86_flush_tlb_page(cpu, la);
    return X86_EXEC_OK;
}

/* INVPCID type, [PCID (bits 11:0) | reserved (63:12) | linear address]. */
int x86_exec_invpcid(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint8_t desc[16];
    if (cpu->cpl != 0)
        return gp0(cpu);
    uint64_t type = x86_gpr_read(cpu, in->opnd[0].reg, in->opnd[0].size);
    int rc = x86_mem_read_buf(cpu, in->seg, x86_ea(cpu, in), desc, sizeof(desc));
    if (rc)
        return rc;
    uint64_t pcid = get_le64(desc), la = get_le64(desc + 8);
    bool pcide = cpu->s.cr4 & X86_CR4_PCIDE;
    if (type > 3)
        return gp0(cpu);
    if (type <= 1 && (pcid > 0xfff || (!pcide && pcid != 0)))
        return gp0(cpu);
    switch (type) {
    case 0: /* individual address */
        if (!x86_canonical(cpu, la))
            return gp0(cpu);
        x86_flush_tlb_page(cpu, la);
        break;
    case 2: /* everything, global translations included */
        x86_flush_tlb(cpu, true);
        break;
    default: /* one PCID, or all PCIDs without globals: the TLB is untagged */
        x86_flush_tlb(cpu, false);
        break;
    }
    return X86_EXEC_OK;
}

int x86_exec_wbinvd(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    return cpu->cpl != 0 ? gp0(cpu) : X86_EXEC_OK;
}

/* Checks a linear address like a byte read would (segmentation done by the
 * caller): paging through mem_ptr when available, which raises #PF. */
static int probe_la(struct x86_cpu *cpu, uint64_t la)
{
    void *host = NULL;
    if (!cpu->ops->mem_ptr)
        return X86_EXEC_OK;
    return cpu->ops->mem_ptr(cpu, la, 1, x86_mem_acc(cpu, X86_ACC_READ), &host);
}

int x86_exec_clflush(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint64_t la;
    int rc = x86_mem_linear(cpu, in->seg, x86_ea(cpu, in), 1, X86_ACC_READ, &la);
    if (rc || (rc = probe_la(cpu, la)))
        return rc;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return X86_EXEC_OK;
}

/* ---- MONITOR / MWAIT -------------------------------------------------------- */

int x86_exec_monitor(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (cpu->cpl != 0)
        return x86_raise(cpu, X86_EXC_UD);
    if ((uint32_t)cpu->s.gpr[X86_RCX] != 0) /* no extensions */
        return gp0(cpu);
    unsigned seg = (in->flags & X86_PFX_SEG) ? in->seg : X86_DS;
    uint64_t off = cpu->s.gpr[X86_RAX] & x86_size_mask(in->addrsize), la;
    int rc = x86_mem_linear(cpu, seg, off, 1, X86_ACC_READ, &la);
    if (rc)
        return rc;
    return probe_la(cpu, la);
}

/* MWAIT: ECX bit 0 (interrupts as break events) is the only extension. */
int x86_exec_mwait(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    if (cpu->cpl != 0)
        return x86_raise(cpu, X86_EXC_UD);
    if ((uint32_t)cpu->s.gpr[X86_RCX] & ~1u)
        return gp0(cpu);
    return X86_EXEC_OK;
}

/* ---- SMAP, MSRs, processor id ---------------------------------------------- */

/* CLAC / STAC: only at CPL 0 (#UD otherwise). */
int x86_exec_clac(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (cpu->cpl != 0)
        return x86_raise(cpu, X86_EXC_UD);
    if (in->op == X86_OP_STAC)
        cpu->s.rflags |= X86_FLAG_AC;
    else
        cpu->s.rflags &= ~(uint64_t)X86_FLAG_AC;
    return X86_EXEC_OK;
}

int x86_exec_rdmsr(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    uint64_t v;
    if (cpu->cpl != 0)
        return gp0(cpu);
    int rc = x86_msr_read(cpu, (uint32_t)cpu->s.gpr[X86_RCX], &v);
    if (rc)
        return rc;
    x86_gpr_write(cpu, X86_RAX, 4, v);
    x86_gpr_write(cpu, X86_RDX, 4, v >> 32);
    return X86_EXEC_OK;
}

int x86_exec_wrmsr(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    if (cpu->cpl != 0)
        return gp0(cpu);
    uint64_t v = (cpu->s.gpr[X86_RDX] << 32) | (uint32_t)cpu->s.gpr[X86_RAX];
    return x86_msr_write(cpu, (uint32_t)cpu->s.gpr[X86_RCX], v);
}

/* RDPID: IA32_TSC_AUX into a 32-bit (64-bit in 64-bit mode) register. */
int x86_exec_rdpid(struct x86_cpu *cpu, const struct x86_insn *in)
{
    x86_gpr_write(cpu, in->opnd[0].reg, in->opnd[0].size, cpu->s.tsc_aux);
    return X86_EXEC_OK;
}

int x86_exec_sys_ud(struct x86_cpu *cpu, const struct x86_insn *in)
{
    (void)in;
    return x86_raise(cpu, X86_EXC_UD);
}
