/* x87 floating point (SDM Vol. 1, chapter 8; Vol. 2, each instruction's
 * page): loads and stores of single, double, extended, integer and BCD
 * values, arithmetic in all forms (ST(i), memory, integer memory, pop),
 * compares (FCOM FUCOM FICOM FCOMI FUCOMI and their pops, FTST FXAM),
 * constants, FCHS FABS FSQRT FRNDINT FSCALE FXTRACT FPREM FPREM1, the
 * transcendentals, FXCH FCMOVcc FFREE FFREEP FINCSTP FDECSTP, control
 * (FLDCW FNSTCW FNSTSW FNCLEX FNINIT FWAIT FNOP) and the environment
 * instructions (FNSTENV FLDENV FNSAVE FRSTOR: x86/exec_x87_env.h).
 *
 * Computational instructions run on the host's x87 unit
 * (x86/exec_x87_host.h) and are bit-exact. The emulator keeps FOP, FIP
 * and FDP itself (see struct x86_fxstate in x86/state.h). */
#ifndef VMON_X86_EXEC_X87_H
#define VMON_X86_EXEC_X87_H

#include "x86/exec_table.h"

/* The operations of x86_exec_x87: R(H, OP) rows. */
#define X86_X87_HOST_OPS(R, H)                                                       \
    R(H, FLD) R(H, FST) R(H, FSTP) R(H, FILD) R(H, FIST) R(H, FISTP) R(H, FISTTP)   \
    R(H, FBLD) R(H, FBSTP) R(H, FXCH) R(H, FADD) R(H, FADDP) R(H, FIADD)           \
    R(H, FSUB) R(H, FSUBP) R(H, FISUB) R(H, FSUBR) R(H, FSUBRP) R(H, FISUBR)       \
    R(H, FMUL) R(H, FMULP) R(H, FIMUL) R(H, FDIV) R(H, FDIVP) R(H, FIDIV)          \
    R(H, FDIVR) R(H, FDIVRP) R(H, FIDIVR) R(H, FCOM) R(H, FCOMP) R(H, FCOMPP)      \
    R(H, FICOM) R(H, FICOMP) R(H, FUCOM) R(H, FUCOMP) R(H, FUCOMPP) R(H, FCOMI)    \
    R(H, FCOMIP) R(H, FUCOMI) R(H, FUCOMIP) R(H, FTST) R(H, FXAM) R(H, FCHS)       \
    R(H, FABS) R(H, FLD1) R(H, FLDL2T) R(H, FLDL2E) R(H, FLDPI) R(H, FLDLG2)       \
    R(H, FLDLN2) R(H, FLDZ) R(H, F2XM1) R(H, FYL2X) R(H, FPTAN) R(H, FPATAN)       \
    R(H, FXTRACT) R(H, FPREM1) R(H, FDECSTP) R(H, FINCSTP) R(H, FPREM)             \
    R(H, FYL2XP1) R(H, FSQRT) R(H, FSINCOS) R(H, FRNDINT) R(H, FSCALE) R(H, FSIN)  \
    R(H, FCOS) R(H, FCMOVB) R(H, FCMOVE) R(H, FCMOVBE) R(H, FCMOVU) R(H, FCMOVNB)  \
    R(H, FCMOVNE) R(H, FCMOVNBE) R(H, FCMOVNU) R(H, FFREE) R(H, FFREEP) R(H, FLDCW)

#define X86_X87_HOST_ROW(H, op) H(op, x86_exec_x87)

#define X86_EXEC_X87_OPS(H)                                                          \
    X86_X87_HOST_OPS(X86_X87_HOST_ROW, H)                                           \
    H(FNOP, x86_exec_fnop) H(FWAIT, x86_exec_fwait) H(FNSTSW, x86_exec_fnstsw)      \
    H(FNSTCW, x86_exec_fnstcw) H(FNCLEX, x86_exec_fnclex) H(FNINIT, x86_exec_fninit)

int x86_exec_x87(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_fnop(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_fwait(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_fnstsw(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_fnstcw(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_fnclex(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_fninit(struct x86_cpu *cpu, const struct x86_insn *insn);

#endif
