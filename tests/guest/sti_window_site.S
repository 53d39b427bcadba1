/* sti_window's site: STI, then straight-line code until CLI. */
#include "rt/site.h"

    .code64
    .section .text

SITE(sti_nops)
FAULT(sti_nops)
    sti
    nop                 /* the STI shadow: no interrupt before this one ends */
    nop
    nop
    cli
RESUME(sti_nops)
    ret
