#ifndef VMON_X86_STATE_DUMP_H
#define VMON_X86_STATE_DUMP_H

#include <stdio.h>

#include "x86/state.h"

/* Prints registers, segments and control registers, one block, to f. */
void x86_state_dump(const struct x86_state *s, FILE *f);

#endif
