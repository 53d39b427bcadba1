/* Unix socket helpers of virtio-vsock; see virtio_vsock_uds.h. */
#include "devices/virtio/virtio_vsock_uds.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* "_4294967295": the longest suffix of a PATH_P. */
#define PORT_SUFFIX_MAX 11

static int uds_addr(struct sockaddr_un *a, const char *path)
{
    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(a->sun_path))
        return -ENAMETOOLONG;
    memcpy(a->sun_path, path, n);
    return 0;
}

/* Is somebody accepting connections on the socket file at path? */
static int uds_in_use(const char *path)
{
    struct sockaddr_un a;
    if (uds_addr(&a, path) < 0)
        return -ENAMETOOLONG;
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0)
        return -errno;
    int rc = connect(s, (struct sockaddr *)&a, sizeof(a));
    int e = errno;
    close(s);
    if (rc == 0 || e == EAGAIN || e == EINPROGRESS)
        return 1; /* accepted, or a full backlog: in use either way */
    return e == ECONNREFUSED ? 0 : -e;
}

int vsock_uds_listen(const char *path, ino_t *ino, char *err, size_t errlen)
{
    struct sockaddr_un a;
    if (uds_addr(&a, path) < 0 || strlen(path) + PORT_SUFFIX_MAX >= sizeof(a.sun_path)) {
        snprintf(err, errlen, "the path is too long (at most %zu bytes, to leave room for _PORT)",
                 sizeof(a.sun_path) - PORT_SUFFIX_MAX - 1);
        return -ENAMETOOLONG;
    }
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            snprintf(err, errlen, "the file exists and is not a socket");
            return -EEXIST;
        }
        int used = uds_in_use(path);
        if (used) {
            snprintf(err, errlen, "%s", used > 0 ? "the socket is in use by another program"
                                               : strerror(-used));
            return used > 0 ? -EADDRINUSE : used;
        }
        unlink(path); /* a stale socket left by a process that ended */
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot create a socket: %s", strerror(e));
        return -e;
    }
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0) {
        int e = errno;
        if (e == ENOENT)
            snprintf(err, errlen, "its directory does not exist");
        else
            snprintf(err, errlen, "cannot listen there: %s", strerror(e));
        close(fd);
        return -e;
    }
    *ino = lstat(path, &st) == 0 ? st.st_ino : 0;
    return fd;
}

void vsock_uds_unlink(const char *path, ino_t ino)
{
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == ino)
        unlink(path);
}

int vsock_uds_connect(const char *path, uint32_t port)
{
    char name[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int n = snprintf(name, sizeof(name), "%s_%u", path, port);
    struct sockaddr_un a;
    if (n < 0 || (size_t)n >= sizeof(name) || uds_addr(&a, name) < 0)
        return -ENAMETOOLONG;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        int e = errno;
        close(fd);
        return e == EAGAIN ? -ECONNREFUSED : -e; /* a full backlog refuses too */
    }
    return fd;
}

int vsock_uds_parse_connect(const char *line, uint32_t *port)
{
    static const char verb[] = "CONNECT ";
    if (strncmp(line, verb, sizeof(verb) - 1))
        return -EINVAL;
    const char *p = line + sizeof(verb) - 1;
    uint64_t v = 0;
    if (*p < '0' || *p > '9')
        return -EINVAL;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > UINT32_MAX)
            return -EINVAL;
    }
    if (*p == '\r')
        p++; /* tolerate "\r\n" from line-oriented tools */
    if (*p)
        return -EINVAL;
    *port = (uint32_t)v;
    return 0;
}
