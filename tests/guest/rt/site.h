/* Fault sites: small assembly functions around one instruction that is
 * expected to raise an exception, with labels the C checks compare the
 * saved RIP against and resume at.
 *
 *     SITE(div0)            function div0(), SysV calling convention
 *         xor %ecx, %ecx
 *     FAULT(div0)           div0_fault: the instruction under test
 *         div %ecx
 *     RESUME(div0)          div0_resume: where the handler resumes
 *         ret
 */
#ifndef VMON_GUEST_RT_SITE_H
#define VMON_GUEST_RT_SITE_H

#ifdef __ASSEMBLER__

#define SITE(n) .globl n, n##_fault, n##_resume; .type n, @function; n:
#define FAULT(n) n##_fault:
#define RESUME(n) n##_resume:

#else

#include "trap.h"

#define SITE_DECLARE(n)                                                                   \
    void n(void);                                                                         \
    extern const char n##_fault[], n##_resume[]

/* Calls a site with one exception expected, resuming at its RESUME label. */
static inline struct trap_record site_run(void (*site)(void), const char *resume)
{
    trap_expect(resume);
    site();
    return trap_result();
}

#endif
#endif
