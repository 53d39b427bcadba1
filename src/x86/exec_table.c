/* The dispatch table: every family's X86_EXEC_<FAMILY>_OPS list, one
 * designated initializer per operation (see exec_table.h). A duplicate
 * entry is a compile error (-Woverride-init). */
#include "x86/exec_table.h"

#include "x86/exec_alu.h"
#include "x86/exec_bcd.h"
#include "x86/exec_bit.h"
#include "x86/exec_branch.h"
#include "x86/exec_dtable.h"
#include "x86/exec_far.h"
#include "x86/exec_int.h"
#include "x86/exec_io.h"
#include "x86/exec_misc.h"
#include "x86/exec_mov.h"
#include "x86/exec_muldiv.h"
#include "x86/exec_seg.h"
#include "x86/exec_shift.h"
#include "x86/exec_sse_cvt.h"
#include "x86/exec_sse_fp.h"
#include "x86/exec_sse_int.h"
#include "x86/exec_sse_mov.h"
#include "x86/exec_sse_str.h"
#include "x86/exec_stack.h"
#include "x86/exec_string.h"
#include "x86/exec_syscall.h"
#include "x86/exec_system.h"
#include "x86/exec_x87.h"
#include "x86/exec_x87_env.h"
#include "x86/exec_xchg.h"
#include "x86/exec_xsave.h"

#define X86_EXEC_ENTRY(op, fn) [X86_OP_##op] = fn,

const x86_exec_fn x86_exec_handlers[X86_OP_COUNT] = {
    X86_EXEC_ALU_OPS(X86_EXEC_ENTRY)
    X86_EXEC_SHIFT_OPS(X86_EXEC_ENTRY)
    X86_EXEC_MULDIV_OPS(X86_EXEC_ENTRY)
    X86_EXEC_BCD_OPS(X86_EXEC_ENTRY)
    X86_EXEC_BIT_OPS(X86_EXEC_ENTRY)
    X86_EXEC_MOV_OPS(X86_EXEC_ENTRY)
    X86_EXEC_SEG_OPS(X86_EXEC_ENTRY)
    X86_EXEC_XCHG_OPS(X86_EXEC_ENTRY)
    X86_EXEC_STACK_OPS(X86_EXEC_ENTRY)
    X86_EXEC_BRANCH_OPS(X86_EXEC_ENTRY)
    X86_EXEC_STRING_OPS(X86_EXEC_ENTRY)
    X86_EXEC_IO_OPS(X86_EXEC_ENTRY)
    X86_EXEC_MISC_OPS(X86_EXEC_ENTRY)
    X86_EXEC_FAR_OPS(X86_EXEC_ENTRY)
    X86_EXEC_INT_OPS(X86_EXEC_ENTRY)
    X86_EXEC_SYSTEM_OPS(X86_EXEC_ENTRY)
    X86_EXEC_DTABLE_OPS(X86_EXEC_ENTRY)
    X86_EXEC_SYSCALL_OPS(X86_EXEC_ENTRY)
    X86_EXEC_XSAVE_OPS(X86_EXEC_ENTRY)
    X86_EXEC_SSE_MOV_OPS(X86_EXEC_ENTRY)
    X86_EXEC_SSE_INT_OPS(X86_EXEC_ENTRY)
    X86_EXEC_SSE_FP_OPS(X86_EXEC_ENTRY)
    X86_EXEC_SSE_CVT_OPS(X86_EXEC_ENTRY)
    X86_EXEC_SSE_STR_OPS(X86_EXEC_ENTRY)
    X86_EXEC_X87_OPS(X86_EXEC_ENTRY)
    X86_EXEC_X87_ENV_OPS(X86_EXEC_ENTRY)
};
