/* The console front end; see console.h. */
#include "machine/console.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define CTRL_A 0x01

void console_init(struct console *c, int in_fd, int out_fd)
{
    memset(c, 0, sizeof(*c));
    c->in_fd = in_fd;
    c->out_fd = out_fd;
    c->is_tty = isatty(in_fd);
    c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

int console_start(struct console *c)
{
    if (!c->is_tty)
        return 0;
    if (tcgetattr(c->in_fd, &c->saved) < 0)
        return -errno;
    struct termios raw = c->saved;
    raw.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    raw.c_oflag &= ~(tcflag_t)OPOST;
    raw.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    raw.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    raw.c_cflag |= CS8;
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    if (tcsetattr(c->in_fd, TCSAFLUSH, &raw) < 0)
        return -errno;
    c->raw = true;
    return 0;
}

void console_restore(struct console *c)
{
    if (c->raw) {
        tcsetattr(c->in_fd, TCSAFLUSH, &c->saved);
        c->raw = false;
    }
}

void console_destroy(struct console *c)
{
    console_restore(c);
    if (c->wake_fd >= 0)
        close(c->wake_fd);
    c->wake_fd = -1;
}

void console_set_port(struct console *c, const struct console_port *port)
{
    c->port = port ? *port : (struct console_port){ 0 };
}

ssize_t console_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct console *c = ctx;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(c->out_fd, buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return done ? (ssize_t)done : -1;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

static const char console_help[] =
    "\r\nC-a x    exit vmon\r\nC-a C-a  send C-a to the guest\r\nC-a h    this help\r\n";

static void console_push(struct console *c, uint8_t b)
{
    if (c->npending < sizeof(c->pending))
        c->pending[c->npending++] = b;
}

enum console_input console_read(struct console *c)
{
    if (c->in_eof)
        return CONSOLE_INPUT_NONE;
    uint8_t buf[128];
    size_t room = sizeof(c->pending) - c->npending;
    if (room == 0)
        return CONSOLE_INPUT_NONE;
    ssize_t n = read(c->in_fd, buf, room < sizeof(buf) ? room : sizeof(buf));
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        c->in_eof = true;
        return CONSOLE_INPUT_NONE;
    }
    for (ssize_t i = 0; i < n; i++) {
        uint8_t b = buf[i];
        if (!c->is_tty) {
            console_push(c, b);
            continue;
        }
        if (c->escape) {
            c->escape = false;
            if (b == 'x' || b == 'X')
                return CONSOLE_INPUT_QUIT;
            if (b == 'h' || b == 'H' || b == '?')
                console_write(c, (const uint8_t *)console_help, sizeof(console_help) - 1);
            else
                console_push(c, b == CTRL_A ? CTRL_A : b);
            continue;
        }
        if (b == CTRL_A)
            c->escape = true;
        else
            console_push(c, b);
    }
    return CONSOLE_INPUT_NONE;
}

void console_feed(struct console *c)
{
    if (!c->npending || !c->port.receive)
        return;
    size_t taken = c->port.receive(c->port.ctx, c->pending, c->npending);
    if (taken > c->npending)
        taken = c->npending;
    memmove(c->pending, c->pending + taken, c->npending - taken);
    c->npending -= taken;
}

void console_wake(void *ctx)
{
    struct console *c = ctx;
    uint64_t one = 1;
    if (c->wake_fd >= 0) {
        ssize_t n = write(c->wake_fd, &one, sizeof(one));
        (void)n;
    }
}

void console_clear_wake(struct console *c)
{
    uint64_t v;
    if (c->wake_fd >= 0) {
        ssize_t n = read(c->wake_fd, &v, sizeof(v));
        (void)n;
    }
}

int console_poll_fd(const struct console *c)
{
    return c->in_eof || c->npending == sizeof(c->pending) ? -1 : c->in_fd;
}

int console_poll_timeout(const struct console *c)
{
    bool woken = c->port.receive && c->port.wakes && c->wake_fd >= 0;
    return c->npending && !woken ? CONSOLE_RETRY_MS : -1;
}
