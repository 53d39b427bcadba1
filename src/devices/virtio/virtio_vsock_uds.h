/* The host side of virtio-vsock: Unix stream sockets in Firecracker's
 * model. The device listens on PATH; a guest connection to host port P
 * goes to PATH_P. Helpers here only deal with the sockets and their path
 * rules; the packet protocol lives in virtio_vsock.c. */
#ifndef VMON_DEVICES_VIRTIO_VIRTIO_VSOCK_UDS_H
#define VMON_DEVICES_VIRTIO_VIRTIO_VSOCK_UDS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Longest handshake line "CONNECT <port>\n" vmon reads. */
#define VSOCK_UDS_LINE_MAX 32

/* Creates the listening socket at path (non-blocking, close-on-exec). A
 * stale socket file (nobody accepts on it) is replaced; a path in use, a
 * file that is not a socket, a missing directory or a path too long for
 * PATH_P are refused. *ino gets the socket file's inode (for
 * vsock_uds_unlink). Returns the fd or -errno with a reason in err. */
int vsock_uds_listen(const char *path, ino_t *ino, char *err, size_t errlen);

/* Removes the socket file if it is still the one vsock_uds_listen made. */
void vsock_uds_unlink(const char *path, ino_t ino);

/* Connects (non-blocking, close-on-exec) to PATH_port. Returns the fd or
 * -errno (-ECONNREFUSED, -ENOENT: nobody listens). */
int vsock_uds_connect(const char *path, uint32_t port);

/* Parses a handshake line without its '\n': "CONNECT <port>", port a
 * decimal number below 2^32. Returns 0 or -EINVAL. */
int vsock_uds_parse_connect(const char *line, uint32_t *port);

#endif
