/* The host side of the guest's serial console: stdout for output, stdin for
 * input. When stdin is a terminal it is put in raw mode while the VM runs
 * (always restored) and Ctrl-A is an escape key: Ctrl-A x quits, Ctrl-A
 * Ctrl-A sends a Ctrl-A, Ctrl-A h prints help. */
#ifndef VMON_MACHINE_CONSOLE_H
#define VMON_MACHINE_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <termios.h>

struct console {
    int in_fd, out_fd;
    bool is_tty;
    bool raw;             /* terminal is in raw mode and must be restored */
    bool in_eof;          /* stdin closed: stop polling it */
    struct termios saved;
    bool escape;          /* Ctrl-A seen */
    uint8_t pending[256]; /* input the guest has not taken yet */
    size_t npending;
};

enum console_input {
    CONSOLE_INPUT_NONE,
    CONSOLE_INPUT_QUIT, /* Ctrl-A x */
};

void console_init(struct console *c, int in_fd, int out_fd);
/* Enters raw mode when stdin is a terminal. */
int console_start(struct console *c);
/* Restores the terminal. Safe to call more than once. */
void console_restore(struct console *c);

/* Writes guest output; retries on short writes. */
ssize_t console_write(void *ctx, const uint8_t *buf, size_t len);

/* Reads available input into c->pending, handling the escape key. */
enum console_input console_read(struct console *c);

#endif
