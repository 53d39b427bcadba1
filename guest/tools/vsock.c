/* vsock: a tiny AF_VSOCK tool for vmon's default guest (busybox has none).
 *
 *   vsock listen PORT        accept one connection on PORT, then relay it
 *                            to stdin/stdout (like `nc -l`)
 *   vsock echo PORT          accept one connection on PORT and echo back
 *                            everything it sends until it closes
 *   vsock connect CID PORT   connect to CID:PORT (the host is CID 2) and
 *                            relay it to stdin/stdout
 *
 * The relay ends when the peer closes; end of file on stdin shuts the
 * sending side down, so `echo hi | vsock connect 2 5000` gets its answer.
 * Built statically by guest/build.sh into /usr/bin/vsock. */
#include <errno.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int usage(void)
{
    fputs("usage: vsock listen PORT | vsock echo PORT | vsock connect CID PORT\n", stderr);
    return 2;
}

static int die(const char *what)
{
    fprintf(stderr, "vsock: %s: %s\n", what, strerror(errno));
    return 1;
}

static unsigned parse_num(const char *s, int *ok)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    *ok = *ok && *s && !*end && !errno && v <= 0xffffffffUL;
    return (unsigned)v;
}

/* Writes all of buf; 0 or -1. */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Copies in -> out (out == in for the echo server) and stdin -> sock until
 * the socket's peer closes. */
static int relay(int sock, int in, int out)
{
    char buf[16384];
    int stdin_open = in >= 0;
    for (;;) {
        struct pollfd p[2] = { { sock, POLLIN, 0 }, { stdin_open ? in : -1, POLLIN, 0 } };
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return die("poll");
        }
        if (p[0].revents) {
            ssize_t n = read(sock, buf, sizeof(buf));
            if (n <= 0)
                return n < 0 ? die("read") : 0;
            if (write_all(out, buf, (size_t)n) < 0)
                return die("write");
        }
        if (p[1].revents) {
            ssize_t n = read(in, buf, sizeof(buf));
            if (n <= 0) {
                shutdown(sock, SHUT_WR);
                stdin_open = 0;
            } else if (write_all(sock, buf, (size_t)n) < 0) {
                return die("send");
            }
        }
    }
}

static int serve(unsigned port, int echo)
{
    int l = socket(AF_VSOCK, SOCK_STREAM, 0);
    if (l < 0)
        return die("socket");
    struct sockaddr_vm a = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = port };
    if (bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0)
        return die("listen");
    int s = accept(l, NULL, NULL);
    if (s < 0)
        return die("accept");
    close(l);
    int rc = echo ? relay(s, -1, s) : relay(s, STDIN_FILENO, STDOUT_FILENO);
    close(s);
    return rc;
}

static int connect_to(unsigned cid, unsigned port)
{
    int s = socket(AF_VSOCK, SOCK_STREAM, 0);
    if (s < 0)
        return die("socket");
    struct sockaddr_vm a = { .svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port };
    if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
        return die("connect");
    int rc = relay(s, STDIN_FILENO, STDOUT_FILENO);
    close(s);
    return rc;
}

int main(int argc, char **argv)
{
    int ok = 1;
    if (argc == 3 && !strcmp(argv[1], "listen")) {
        unsigned port = parse_num(argv[2], &ok);
        return ok ? serve(port, 0) : usage();
    }
    if (argc == 3 && !strcmp(argv[1], "echo")) {
        unsigned port = parse_num(argv[2], &ok);
        return ok ? serve(port, 1) : usage();
    }
    if (argc == 4 && !strcmp(argv[1], "connect")) {
        unsigned cid = parse_num(argv[2], &ok), port = parse_num(argv[3], &ok);
        return ok ? connect_to(cid, port) : usage();
    }
    return usage();
}
