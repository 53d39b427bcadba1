/* The architectural state of one x86-64 logical processor.
 *
 * This is the common currency between the CPU backends, the loaders (which
 * set up the boot state), the instruction emulator and, later, snapshots:
 * plain data, no pointers. Field encodings follow the SDM. */
#ifndef VMON_X86_STATE_H
#define VMON_X86_STATE_H

#include <stdint.h>

enum x86_gpr {
    X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
    X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
};

/* Segment register numbers in instruction-encoding order, then LDTR and TR. */
enum x86_sreg { X86_ES, X86_CS, X86_SS, X86_DS, X86_FS, X86_GS, X86_LDTR, X86_TR };

/* Segment attributes: descriptor bits 40-47 in bits 0-7, bits 52-55 in 8-11. */
#define X86_SEG_TYPE(a)   ((a) & 0xf)
#define X86_SEG_S         (1u << 4)    /* code/data (not system) */
#define X86_SEG_DPL(a)    (((a) >> 5) & 3)
#define X86_SEG_P         (1u << 7)
#define X86_SEG_AVL       (1u << 8)
#define X86_SEG_L         (1u << 9)    /* 64-bit code */
#define X86_SEG_DB        (1u << 10)   /* default operation size 32 */
#define X86_SEG_G         (1u << 11)   /* 4 KiB limit granularity */
#define X86_SEG_UNUSABLE  (1u << 16)   /* null selector loaded */

struct x86_seg {
    uint64_t base;
    uint32_t limit;  /* expanded byte limit */
    uint16_t sel;
    uint32_t attr;
};

struct x86_dtable {
    uint64_t base;
    uint16_t limit;
};

/* RFLAGS bits */
#define X86_FLAG_CF   (1u << 0)
#define X86_FLAG_FIXED (1u << 1)
#define X86_FLAG_PF   (1u << 2)
#define X86_FLAG_AF   (1u << 4)
#define X86_FLAG_ZF   (1u << 6)
#define X86_FLAG_SF   (1u << 7)
#define X86_FLAG_TF   (1u << 8)
#define X86_FLAG_IF   (1u << 9)
#define X86_FLAG_DF   (1u << 10)
#define X86_FLAG_OF   (1u << 11)
#define X86_FLAG_IOPL (3u << 12)
#define X86_FLAG_NT   (1u << 14)
#define X86_FLAG_RF   (1u << 16)
#define X86_FLAG_VM   (1u << 17)
#define X86_FLAG_AC   (1u << 18)
#define X86_FLAG_VIF  (1u << 19)
#define X86_FLAG_VIP  (1u << 20)
#define X86_FLAG_ID   (1u << 21)

/* Control registers */
#define X86_CR0_PE (1ull << 0)
#define X86_CR0_MP (1ull << 1)
#define X86_CR0_EM (1ull << 2)
#define X86_CR0_TS (1ull << 3)
#define X86_CR0_ET (1ull << 4)
#define X86_CR0_NE (1ull << 5)
#define X86_CR0_WP (1ull << 16)
#define X86_CR0_AM (1ull << 18)
#define X86_CR0_NW (1ull << 29)
#define X86_CR0_CD (1ull << 30)
#define X86_CR0_PG (1ull << 31)

#define X86_CR4_VME (1ull << 0)
#define X86_CR4_PVI (1ull << 1)
#define X86_CR4_TSD (1ull << 2)
#define X86_CR4_DE  (1ull << 3)
#define X86_CR4_PSE (1ull << 4)
#define X86_CR4_PAE (1ull << 5)
#define X86_CR4_MCE (1ull << 6)
#define X86_CR4_PGE (1ull << 7)
#define X86_CR4_PCE (1ull << 8)
#define X86_CR4_OSFXSR (1ull << 9)
#define X86_CR4_OSXMMEXCPT (1ull << 10)
#define X86_CR4_UMIP (1ull << 11)
#define X86_CR4_LA57 (1ull << 12)
#define X86_CR4_FSGSBASE (1ull << 16)
#define X86_CR4_PCIDE (1ull << 17)
#define X86_CR4_OSXSAVE (1ull << 18)
#define X86_CR4_SMEP (1ull << 20)
#define X86_CR4_SMAP (1ull << 21)

#define X86_EFER_SCE (1ull << 0)
#define X86_EFER_LME (1ull << 8)
#define X86_EFER_LMA (1ull << 10)
#define X86_EFER_NXE (1ull << 11)

/* MSR numbers */
#define MSR_IA32_TSC            0x10
#define MSR_IA32_APIC_BASE      0x1b
#define MSR_IA32_MISC_ENABLE    0x1a0
#define MSR_IA32_SYSENTER_CS    0x174
#define MSR_IA32_SYSENTER_ESP   0x175
#define MSR_IA32_SYSENTER_EIP   0x176
#define MSR_IA32_PAT            0x277
#define MSR_IA32_TSC_DEADLINE   0x6e0
#define MSR_EFER                0xc0000080
#define MSR_STAR                0xc0000081
#define MSR_LSTAR               0xc0000082
#define MSR_CSTAR               0xc0000083
#define MSR_SYSCALL_MASK        0xc0000084
#define MSR_FS_BASE             0xc0000100
#define MSR_GS_BASE             0xc0000101
#define MSR_KERNEL_GS_BASE      0xc0000102
#define MSR_TSC_AUX             0xc0000103

/* Exception vectors */
enum x86_vector {
    X86_EXC_DE = 0, X86_EXC_DB = 1, X86_EXC_NMI = 2, X86_EXC_BP = 3, X86_EXC_OF = 4,
    X86_EXC_BR = 5, X86_EXC_UD = 6, X86_EXC_NM = 7, X86_EXC_DF = 8, X86_EXC_TS = 10,
    X86_EXC_NP = 11, X86_EXC_SS = 12, X86_EXC_GP = 13, X86_EXC_PF = 14, X86_EXC_MF = 16,
    X86_EXC_AC = 17, X86_EXC_MC = 18, X86_EXC_XM = 19,
};

/* FXSAVE image (SDM Vol. 1, 10.5.1), also the legacy region of XSAVE.
 *
 * It is also the live x87/MMX/SSE state the emulator works on, kept in
 * exactly the image's form so FXSAVE/FXRSTOR are copies:
 *  - st[i] holds ST(i), in stack order (slot 0 is the top of the stack,
 *    physical register R((TOP + i) & 7)); bytes 10-15 of a slot are unused.
 *    Changing TOP (pushes, pops, FINCSTP, FNINIT, FLDENV, the MMX
 *    transition) rotates the slots so every physical register keeps its
 *    contents, empty ones included.
 *  - ftw is the abridged tag word: bit p = 1 when physical register Rp is
 *    not empty (p is physical, not a stack index).
 *  - fsw holds TOP in bits 13:11; ES and B follow from the flags and masks
 *    (an exception is pending when fsw & ~fcw & 0x3f is not 0).
 *  - MMi is the low 64 bits of physical register Ri; MMX instructions set
 *    TOP = 0 (then slot i is MMi) and all tags valid.
 *  - fop: bits 10:0 of the last non-control x87 instruction (low 3 bits of
 *    its escape byte, then ModRM); fip/fdp: its address and its memory
 *    operand's offset, as the 64-bit image stores them; outside 64-bit
 *    mode the CS/data segment selector is in bits 47:32 (the 32-bit
 *    image's FCS/FDS fields).
 *  - mxcsr: MXCSR; bits above 15 are never set (LDMXCSR #GP). */
struct x86_fxstate {
    uint16_t fcw, fsw;
    uint8_t ftw;       /* abridged tag word */
    uint8_t rsvd1;
    uint16_t fop;
    uint64_t fip, fdp;
    uint32_t mxcsr, mxcsr_mask;
    uint8_t st[8][16]; /* 80-bit registers in 16-byte slots */
    uint8_t xmm[16][16];
    uint8_t rsvd2[96];
} __attribute__((aligned(16)));

_Static_assert(sizeof(struct x86_fxstate) == 512, "FXSAVE area is 512 bytes");

struct x86_state {
    uint64_t gpr[16];
    uint64_t rip;
    uint64_t rflags;
    struct x86_seg seg[8];   /* indexed by enum x86_sreg */
    struct x86_dtable gdt, idt;
    uint64_t cr0, cr2, cr3, cr4, cr8;
    uint64_t dr[8];          /* DR0-DR3, DR6, DR7 in [6] and [7] */
    uint64_t efer;
    uint64_t xcr0;
    /* MSRs the architecture keeps per logical processor */
    uint64_t apic_base;
    uint64_t star, lstar, cstar, fmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t pat, misc_enable, tsc_aux, tsc_deadline;
    struct x86_fxstate fx;
};

/* Current operating mode as the decoder needs it. */
enum x86_mode {
    X86_MODE_REAL,    /* CR0.PE = 0 */
    X86_MODE_VM86,    /* EFLAGS.VM = 1 */
    X86_MODE_PROT16,  /* protected, CS.D = 0 */
    X86_MODE_PROT32,  /* protected, CS.D = 1 */
    X86_MODE_COMPAT16,/* long mode, CS.L = 0, CS.D = 0 */
    X86_MODE_COMPAT32,/* long mode, CS.L = 0, CS.D = 1 */
    X86_MODE_LONG64,  /* long mode, CS.L = 1 */
};

static inline enum x86_mode x86_state_mode(const struct x86_state *s)
{
    if (!(s->cr0 & X86_CR0_PE))
        return X86_MODE_REAL;
    if (s->efer & X86_EFER_LMA) {
        if (s->seg[X86_CS].attr & X86_SEG_L)
            return X86_MODE_LONG64;
        return (s->seg[X86_CS].attr & X86_SEG_DB) ? X86_MODE_COMPAT32 : X86_MODE_COMPAT16;
    }
    if (s->rflags & X86_FLAG_VM)
        return X86_MODE_VM86;
    return (s->seg[X86_CS].attr & X86_SEG_DB) ? X86_MODE_PROT32 : X86_MODE_PROT16;
}

#endif
