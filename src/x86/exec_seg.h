/* Segment register loads for data and stack segments: MOV Sreg, POP Sreg,
 * LDS LES LFS LGS LSS, and MOV from a segment register (SDM Vol. 2 "MOV",
 * "POP", "LDS/LES/LFS/LGS/LSS"; Vol. 3A 3.4 and 5.5-5.6). */
#ifndef VMON_X86_EXEC_SEG_H
#define VMON_X86_EXEC_SEG_H

#include <stdint.h>

#include "x86/exec_table.h"

#define X86_EXEC_SEG_OPS(H)                                                      \
    H(MOV_TO_SREG, x86_exec_mov_to_sreg) H(MOV_FROM_SREG, x86_exec_mov_from_sreg)\
    H(LDS, x86_exec_lxs) H(LES, x86_exec_lxs) H(LFS, x86_exec_lxs)               \
    H(LGS, x86_exec_lxs) H(LSS, x86_exec_lxs)

int x86_exec_mov_to_sreg(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_mov_from_sreg(struct x86_cpu *cpu, const struct x86_insn *insn);
int x86_exec_lxs(struct x86_cpu *cpu, const struct x86_insn *insn);

/* Loads data/stack segment register sreg (ES, SS, DS, FS, GS) with selector
 * sel as MOV Sreg does: real and virtual-8086 mode set base = sel << 4;
 * protected modes read and check the descriptor and set its accessed bit.
 * Faults: #GP(sel), #SS(sel), #NP(sel), #GP(0) for a null SS, and whatever
 * the descriptor-table read raises. Loading SS sets cpu->intr_shadow. */
int x86_seg_load(struct x86_cpu *cpu, unsigned sreg, uint16_t sel);

/* Reads the 8-byte descriptor for sel from the GDT or LDT (implicit
 * supervisor access). Raises #GP(sel) beyond the table limit. *la receives
 * the descriptor's linear address. */
int x86_seg_read_desc(struct x86_cpu *cpu, uint16_t sel, uint64_t *desc, uint64_t *la);

/* Unpacks a code/data descriptor into a segment cache (SDM Vol. 3A, 3.4.5). */
void x86_seg_from_desc(struct x86_seg *sg, uint16_t sel, uint64_t desc);

#endif
