/* The CPU state the backend tests start their guests in: 64-bit mode,
 * paging through cr3, flat kernel segments (CS 0x08, data 0x10). */
#ifndef VMON_TESTS_UNIT_CPU_LONG_MODE_H
#define VMON_TESTS_UNIT_CPU_LONG_MODE_H

#include "x86/state.h"

static inline void long_mode_flat(struct x86_state *s, uint64_t cr3)
{
    s->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG | X86_CR0_WP;
    s->cr3 = cr3;
    s->cr4 = X86_CR4_PAE;
    s->efer = X86_EFER_LME | X86_EFER_LMA;
    for (unsigned i = 0; i < 6; i++)
        s->seg[i] = (struct x86_seg){ .limit = 0xffffffff, .sel = 0x10,
                                      .attr = X86_SEG_P | X86_SEG_S | 0x3 | X86_SEG_G | X86_SEG_DB };
    s->seg[X86_CS] = (struct x86_seg){ .limit = 0xffffffff, .sel = 0x08,
                                       .attr = X86_SEG_P | X86_SEG_S | 0xb | X86_SEG_G | X86_SEG_L };
    s->rflags = X86_FLAG_FIXED;
}

#endif
