/* Mnemonics of the operation ids, for diagnostics only. */
#include "x86/insn.h"

#include "common/util.h"

static const char *const op_names[X86_OP_COUNT] = {
#define X(name) [X86_OP_##name] = #name,
#include "x86/ops.def"
#undef X
};

const char *x86_op_name(enum x86_op op)
{
    if ((unsigned)op >= ARRAY_SIZE(op_names))
        return "?";
    return op_names[op];
}
