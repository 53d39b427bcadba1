/* Flag instructions (CLC STC CMC CLD STD SALC), no-operations (NOP PAUSE,
 * prefetches, fences), #UD instructions (UD0 UD1 UD2) and host services
 * reached through callbacks (CPUID RDTSC RDTSCP RDRAND RDSEED). SDM Vol. 2,
 * each instruction's page. */
#ifndef VMON_X86_EXEC_MISC_H
#define VMON_X86_EXEC_MISC_H

#include "x86/exec_table.h"

#define X86_EXEC_MISC_OPS(H)                                                     \
    H(CLC, x86_exec_clc) H(STC, x86_exec_stc) H(CMC, x86_exec_cmc)               \
    H(CLD, x86_exec_cld) H(STD, x86_exec_std) H(SALC, x86_exec_salc)             \
    H(NOP, x86_exec_nop) H(PAUSE, x86_exec_nop) H(PREFETCHNTA, x86_exec_nop)     \
    H(PREFETCHT0, x86_exec_nop) H(PREFETCHT1, x86_exec_nop)                      \
    H(PREFETCHT2, x86_exec_nop) H(PREFETCH, x86_exec_nop)                        \
    H(PREFETCHW, x86_exec_nop) H(LFENCE, x86_exec_fence) H(SFENCE, x86_exec_fence)\
    H(MFENCE, x86_exec_fence) H(UD0, x86_exec_ud) H(UD1, x86_exec_ud)            \
    H(UD2, x86_exec_ud) H(CPUID, x86_exec_cpuid) H(RDTSC, x86_exec_rdtsc)        \
    H(RDTSCP, x86_exec_rdtsc) H(RDRAND, x86_exec_rdrand) H(RDSEED, x86_exec_rdrand)

int x86_exec_clc(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_stc(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_cmc(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_cld(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_std(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_salc(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_nop(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_fence(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_ud(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_cpuid(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_rdtsc(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_rdrand(struct x86_cpu *cpu, const struct x86_insn *insn);

#endif
