/* Running a piece of guest code at CPL 3 and coming back. */
#ifndef VMON_GUEST_RT_USER_H
#define VMON_GUEST_RT_USER_H

#include <stdint.h>

/* User code ends user_run() with INT3: vector 3 through a DPL-3 gate, which
 * user_init() installs. (INT3 rather than some INT n: the software-backed
 * KVM of this project's test host raises #UD for any other INT n at CPL 3.) */
#define USER_EXIT_VECTOR 3

void user_init(void);

/* Enters entry at CPL 3 (CS/SS the user selectors, RSP = stack_top,
 * RFLAGS = rflags) with IRETQ and returns when the user code executes INT3;
 * returns the CS saved by that INT3 (its low bits are the CPL the code ran
 * at). TSS.RSP0 must name a stack other than the caller's. */
uint64_t user_run(void (*entry)(void), uint64_t stack_top, uint64_t rflags);

#endif
