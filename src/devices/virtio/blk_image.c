/* Raw disk images: open, lock, check; see blk_image.h. */
#include "devices/virtio/blk_image.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static int image_size(int fd, uint64_t *size, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot stat the image: %s", strerror(e));
        return -e;
    }
    if (S_ISBLK(st.st_mode)) {
        if (ioctl(fd, BLKGETSIZE64, size) < 0) {
            int e = errno;
            snprintf(err, errlen, "cannot read the block device size: %s", strerror(e));
            return -e;
        }
    } else if (S_ISREG(st.st_mode)) {
        *size = (uint64_t)st.st_size;
    } else {
        snprintf(err, errlen, "not a regular file or block device");
        return -EINVAL;
    }
    if (*size % BLK_SECTOR_SIZE) {
        snprintf(err, errlen, "size %llu bytes is not a multiple of %d",
                 (unsigned long long)*size, BLK_SECTOR_SIZE);
        return -EINVAL;
    }
    return 0;
}

static int image_lock(int fd, bool readonly, char *err, size_t errlen)
{
    if (flock(fd, (readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0)
        return 0;
    int e = errno;
    if (e == EWOULDBLOCK)
        snprintf(err, errlen, "the image is locked: another process is using it%s",
                 readonly ? " for writing" : "");
    else
        snprintf(err, errlen, "cannot lock the image: %s", strerror(e));
    return -e;
}

int blk_image_open(struct blk_image *img, const char *path, bool readonly, bool direct,
                   bool *direct_refused, char *err, size_t errlen)
{
    *img = (struct blk_image){ .fd = -1, .readonly = readonly };
    *direct_refused = false;
    int flags = (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
    int fd = open(path, flags | (direct ? O_DIRECT : 0));
    if (fd < 0 && direct && errno == EINVAL) {
        *direct_refused = true;
        direct = false;
        fd = open(path, flags);
    }
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot open the image%s: %s",
                 readonly ? "" : " for writing", strerror(e));
        return -e;
    }
    uint64_t size = 0;
    int rc = image_size(fd, &size, err, errlen);
    if (!rc)
        rc = image_lock(fd, readonly, err, errlen);
    if (rc) {
        close(fd);
        return rc;
    }
    img->fd = fd;
    img->size = size;
    img->direct = direct;
    return 0;
}

void blk_image_close(struct blk_image *img)
{
    if (img->fd >= 0)
        close(img->fd);
    img->fd = -1;
}

int blk_image_reopen_buffered(int fd, bool readonly)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    int nfd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    return nfd < 0 ? -errno : nfd;
}
