/* Self-modifying code for the paging guest. */
    .code64
    .section .text

/* uint32_t smc_next(uint32_t v): stores v into the immediate of the very
 * next instruction, then executes it. Processors since the P6 notice a
 * store into already-prefetched instructions (SDM Vol. 3A 11.6
 * "Self-Modifying Code"), so this returns v; a stale decode returns the
 * previous v. The code page is writable in the paging guest's identity
 * map. */
    .globl smc_next
smc_next:
    mov %edi, 1f+1(%rip)
1:  mov $0, %eax                /* b8 imm32 */
    ret
