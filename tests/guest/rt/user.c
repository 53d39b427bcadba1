#include "user.h"

#include "trap.h"

_Noreturn void user_exit_to_kernel(uint64_t value);

static void user_exit_handler(struct trap_frame *f)
{
    if ((f->cs & 3) != 3) {
        trap_default(f); /* only user code may end user_run() */
        return;
    }
    user_exit_to_kernel(f->cs);
}

void user_init(void)
{
    trap_set_gate(USER_EXIT_VECTOR, 3, 0);
    trap_set_handler(USER_EXIT_VECTOR, user_exit_handler);
}
