/* The console front end: the host side of whichever guest device carries
 * the console (the 16550 COM1, or virtio-console's hvc0). stdout gets the
 * guest's output, stdin feeds the device. When stdin is a terminal it is put
 * in raw mode while the VM runs (always restored) and Ctrl-A is an escape
 * key: Ctrl-A x quits, Ctrl-A Ctrl-A sends a Ctrl-A, Ctrl-A h prints help.
 * Pipes and files are passed through unchanged (no escape key).
 *
 * The device behind the console is a struct console_port. Input the device
 * cannot take yet stays in a small buffer; while that buffer is full, stdin
 * is not read at all (back-pressure reaches the writer of the pipe). A port
 * that says when it has room again (console_wake) is retried on that
 * signal; the others every CONSOLE_RETRY_MS.
 *
 * Threads: console_read, console_feed and the poll helpers run on the VMM
 * thread; console_write on vCPU threads; console_wake on any thread. */
#ifndef VMON_MACHINE_CONSOLE_H
#define VMON_MACHINE_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <termios.h>

#define CONSOLE_RETRY_MS 10

/* The guest device the console feeds. */
struct console_port {
    /* Takes up to len bytes of input; returns how many it took (0: no room
     * now). Called on the VMM thread. */
    size_t (*receive)(void *ctx, const uint8_t *buf, size_t len);
    void *ctx;
    /* The device calls console_wake() when it can take input again. */
    bool wakes;
};

struct console {
    int in_fd, out_fd;
    bool is_tty;
    bool raw;             /* terminal is in raw mode and must be restored */
    bool in_eof;          /* stdin closed: stop polling it */
    struct termios saved;
    bool escape;          /* Ctrl-A seen */
    uint8_t pending[256]; /* input the guest has not taken yet */
    size_t npending;
    int wake_fd;          /* eventfd written by console_wake, or -1 */
    struct console_port port; /* receive NULL: no device, input waits */
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
/* Restores the terminal and frees the wake descriptor. */
void console_destroy(struct console *c);

/* Connects the console to a device (NULL: none, input is held). */
void console_set_port(struct console *c, const struct console_port *port);

/* Writes guest output; retries on short writes. A chardev write function. */
ssize_t console_write(void *ctx, const uint8_t *buf, size_t len);

/* Reads available input into c->pending, handling the escape key. */
enum console_input console_read(struct console *c);

/* Offers pending input to the port; keeps what it does not take. */
void console_feed(struct console *c);

/* The port has room again (any thread): wakes the VMM thread. ctx is the
 * struct console. */
void console_wake(void *ctx);
/* Clears the wake signal (VMM thread, after wake_fd polled readable). */
void console_clear_wake(struct console *c);

/* For the VMM thread's poll(): the descriptor to watch for input (-1 while
 * stdin is closed or the buffer is full), and the poll timeout (a retry
 * interval while a port that does not wake holds input back, else -1). */
int console_poll_fd(const struct console *c);
int console_poll_timeout(const struct console *c);

#endif
