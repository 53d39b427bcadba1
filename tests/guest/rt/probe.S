/* Memory accesses that may fault (rt/probe.h): each has a _fault label on
 * the accessing instruction and a _resume label after it. */
#include "site.h"

    .code64
    .section .text

SITE(probe_read)                /* rdi = address; returns the quadword */
    xor %eax, %eax
FAULT(probe_read)
    mov (%rdi), %rax
RESUME(probe_read)
    ret

SITE(probe_write)               /* rdi = address, rsi = quadword */
FAULT(probe_write)
    mov %rsi, (%rdi)
RESUME(probe_write)
    ret

SITE(probe_jump)                /* rdi = address; the fault is at the target */
FAULT(probe_jump)
    jmp *%rdi
RESUME(probe_jump)
    ret
