/* A raw disk image file for virtio-blk: opened, checked and locked once,
 * before the VM is built, so that every problem is reported up front.
 *
 * The lock is flock(2) on the open file: exclusive for a writable image,
 * shared for a read-only one, so two vmon processes cannot both write an
 * image (nor one write what another reads). It lasts while any descriptor
 * of the open file lives. Nothing is ever created or truncated. */
#ifndef VMON_DEVICES_VIRTIO_BLK_IMAGE_H
#define VMON_DEVICES_VIRTIO_BLK_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BLK_SECTOR_SIZE 512

struct blk_image {
    int fd;
    uint64_t size;  /* bytes, a multiple of BLK_SECTOR_SIZE */
    bool readonly;
    bool direct;    /* fd has O_DIRECT */
};

/* Opens path (read-only when readonly; with O_DIRECT when direct), locks it
 * and checks it is a regular file or block device whose size is a multiple
 * of 512. A file system that refuses O_DIRECT gets a buffered open and
 * *direct_refused = true. Returns 0 or -errno with a one-line reason (not
 * naming the path) in err. */
int blk_image_open(struct blk_image *img, const char *path, bool readonly, bool direct,
                   bool *direct_refused, char *err, size_t errlen);
void blk_image_close(struct blk_image *img);

/* A second descriptor of the same open image without O_DIRECT (through
 * /proc/self/fd), for requests O_DIRECT cannot take. Returns it or -errno. */
int blk_image_reopen_buffered(int fd, bool readonly);

#endif
