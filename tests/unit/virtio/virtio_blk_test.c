/* virtio-blk: image checks and locking, request parsing, and requests run
 * end to end on the device's I/O thread against a temporary image. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "devices/virtio/blk_image.h"
#include "devices/virtio/virtio_blk.h"
#include "virtio/virtq_driver.h"

#define DISK_SECTORS 2048 /* 1 MiB */

static char *temp_image(uint64_t size)
{
    char *path = strdup("/tmp/vmon-blk-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)size), 0);
    close(fd);
    return path;
}

static void drop_image(char *path)
{
    unlink(path);
    free(path);
}

/* --- Images --- */

static void test_image_checks(void **s)
{
    (void)s;
    struct blk_image img;
    bool refused;
    char err[200];
    assert_int_equal(blk_image_open(&img, "/nonexistent/disk.img", false, false, &refused, err,
                                    sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "No such file"));
    char *odd = temp_image(1000);
    assert_int_equal(blk_image_open(&img, odd, false, false, &refused, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "not a multiple of 512"));
    struct stat st;
    assert_int_equal(stat(odd, &st), 0);
    assert_int_equal(st.st_size, 1000); /* nothing truncated */
    drop_image(odd);
    assert_true(blk_image_open(&img, "/tmp", true, false, &refused, err, sizeof(err)) < 0);
}

static void test_image_locking(void **s)
{
    (void)s;
    char *path = temp_image(4096);
    struct blk_image a, b, c;
    bool refused;
    char err[200];
    assert_int_equal(blk_image_open(&a, path, false, false, &refused, err, sizeof(err)), 0);
    assert_int_equal(a.size, 4096);
    assert_int_equal(blk_image_open(&b, path, false, false, &refused, err, sizeof(err)),
                     -EWOULDBLOCK);
    assert_non_null(strstr(err, "locked"));
    assert_true(blk_image_open(&b, path, true, false, &refused, err, sizeof(err)) < 0);
    blk_image_close(&a);
    /* Read-only users share the image; a writer is then kept out. */
    assert_int_equal(blk_image_open(&a, path, true, false, &refused, err, sizeof(err)), 0);
    assert_int_equal(blk_image_open(&b, path, true, false, &refused, err, sizeof(err)), 0);
    assert_true(blk_image_open(&c, path, false, false, &refused, err, sizeof(err)) < 0);
    blk_image_close(&a);
    blk_image_close(&b);
    drop_image(path);
}

/* --- Requests end to end --- */

struct fx {
    struct vdrv_mem m;
    struct vdrv_queue d[2];
    struct virtio_blk b;
    char *path;
    int fd; /* the test's own view of the image */
    uint64_t hdr, data, status;
};

static void fx_init_opts(struct fx *f, bool readonly, unsigned nqueues, uint64_t features)
{
    memset(f, 0, sizeof(*f));
    vdrv_mem_init(&f->m, 1 << 20);
    f->path = temp_image(DISK_SECTORS * 512ull);
    f->fd = open(f->path, O_RDWR);
    struct virtio_blk_opts o = {
        .name = "vdt", .serial = "SERIAL-123", .fd = open(f->path, readonly ? O_RDONLY : O_RDWR),
        .size = DISK_SECTORS * 512ull, .readonly = readonly, .nqueues = nqueues,
    };
    assert_int_equal(virtio_blk_init(&f->b, &o, &f->m.gm), 0);
    struct virtio_dev *d = &f->b.vdev;
    virtio_dev_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    virtio_dev_set_driver_features(d, 0, (uint32_t)(features & d->host_features));
    virtio_dev_set_driver_features(d, 1, (uint32_t)((features & d->host_features) >> 32));
    virtio_dev_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                  VIRTIO_STATUS_FEATURES_OK);
    assert_true(virtio_dev_status(d) & VIRTIO_STATUS_FEATURES_OK);
    for (unsigned q = 0; q < nqueues; q++) {
        vdrv_queue_init(&f->d[q], &f->m, 16, features & VIRTIO_BIT(VIRTIO_F_RING_PACKED));
        vdrv_queue_config(&f->d[q], virtio_dev_queue_cfg(d, q));
    }
    virtio_dev_set_status(d, virtio_dev_status(d) | VIRTIO_STATUS_DRIVER_OK);
    assert_true(virtio_dev_status(d) & VIRTIO_STATUS_DRIVER_OK);
    f->hdr = vdrv_alloc(&f->m, 16, 16);
    f->data = vdrv_alloc(&f->m, 65536, 4096);
    f->status = vdrv_alloc(&f->m, 1, 1);
}

#define ALL_FEATURES (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | \
                      VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) |   \
                      VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES) | VIRTIO_BIT(VIRTIO_BLK_F_MQ) | \
                      VIRTIO_BIT(VIRTIO_BLK_F_FLUSH))

static void fx_init(struct fx *f)
{
    fx_init_opts(f, false, 1, ALL_FEATURES);
}

static void fx_free(struct fx *f)
{
    virtio_blk_destroy(&f->b);
    close(f->fd);
    drop_image(f->path);
    vdrv_mem_free(&f->m);
}

static void set_hdr(struct fx *f, uint32_t type, uint64_t sector)
{
    uint8_t *h = vdrv_host(&f->m, f->hdr);
    put_le32(h, type);
    put_le32(h + 4, 0);
    put_le64(h + 8, sector);
    *(uint8_t *)vdrv_host(&f->m, f->status) = 0xff;
}

/* Waits (up to 5 s) for the device thread to return a buffer. */
static bool wait_used(struct fx *f, unsigned q, uint32_t *len)
{
    uint32_t id;
    for (int i = 0; i < 5000; i++) {
        if (vdrv_used(&f->d[q], &id, len))
            return true;
        nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
    }
    return false;
}

/* Sends header + data (device-readable for writes, writable for reads)
 * + status on queue q; returns the status byte, *len the used length. */
static uint8_t do_req(struct fx *f, unsigned q, uint32_t type, uint64_t sector, uint32_t len,
                      bool data_writable, uint32_t *used_len)
{
    set_hdr(f, type, sector);
    struct vdrv_buf b[3] = {
        { f->hdr, 16, false }, { f->data, len, data_writable }, { f->status, 1, true },
    };
    unsigned n = 0;
    struct vdrv_buf chain[3];
    for (unsigned i = 0; i < 3; i++)
        if (b[i].len)
            chain[n++] = b[i];
    vdrv_add(&f->d[q], chain, n, false, 1);
    virtio_dev_queue_notify(&f->b.vdev, q);
    uint32_t l = 0;
    assert_true(wait_used(f, q, &l));
    if (used_len)
        *used_len = l;
    return *(uint8_t *)vdrv_host(&f->m, f->status);
}

static void test_write_then_read(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f);
    uint8_t *data = vdrv_host(&f.m, f.data);
    for (unsigned i = 0; i < 1024; i++)
        data[i] = (uint8_t)(i * 7);
    uint32_t len;
    assert_int_equal(do_req(&f, 0, VIRTIO_BLK_T_OUT, 3, 1024, false, &len), VIRTIO_BLK_S_OK);
    assert_int_equal(len, 1);
    uint8_t file[1024];
    assert_int_equal(pread(f.fd, file, sizeof(file), 3 * 512), 1024);
    assert_memory_equal(file, data, 1024);
    memset(data, 0, 1024);
    assert_int_equal(do_req(&f, 0, VIRTIO_BLK_T_IN, 3, 1024, true, &len), VIRTIO_BLK_S_OK);
    assert_int_equal(len, 1025);
    assert_memory_equal(file, data, 1024);
    assert_int_equal(do_req(&f, 0, VIRTIO_BLK_T_FLUSH, 0, 0, false, &len), VIRTIO_BLK_S_OK);
    fx_free(&f);
}

static void test_bad_ranges_are_io_errors(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f);
    assert_int_equal(do_req(&f, 0, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, 1024, true, NULL),
                     VIRTIO_BLK_S_IOERR);
    assert_int_equal(do_req(&f, 0, VIRTIO_BLK_T_OUT, DISK_SECTORS, 512, false, NULL),
                     VIRTIO_BLK_S_IOERR);
    assert_int_equal(do_req(&f, 0, VIRTIO_BLK_T_IN, UINT64_MAX, 512, true, NULL),
                     VIRTIO_BLK_S_IOERR);
    assert_int_equal(do_req(&f, 0, VIRTIO_BLK_T_IN, 0, 100, true, NULL), VIRTIO_BLK_S_IOERR);
    assert_int_equal(do_req(&f, 0, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, 512, true, NULL),
                     VIRTIO_BLK_S_OK); /* the last sector is fine */
    assert_int_equal(do_req(&f, 0, 99, 0, 0, false, NULL), VIRTIO_BLK_S_UNSUPP);
    assert_false(virtio_dev_broken(&f.b.vdev));
    fx_free(&f);
}

static void test_get_id(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f);
    uint8_t *data = vdrv_host(&f.m, f.data);
    memset(data, 0xee, 32);
    uint32_t len;
    assert_int_equal(do_req(&f, 0, VIRTIO_BLK_T_GET_ID, 0, 20, true, &len), VIRTIO_BLK_S_OK);
    assert_int_equal(len, 21);
    uint8_t want[20] = "SERIAL-123";
    assert_memory_equal(data, want, 20);
    assert_int_equal(data[20], 0xee); /* nothing past the buffer */
    fx_free(&f);
}

static void put_seg(uint8_t *p, uint64_t sector, uint32_t count, uint32_t flags)
{
    put_le64(p, sector);
    put_le32(p + 8, count);
    put_le32(p + 12, flags);
}

static void test_discard_and_write_zeroes(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f);
    uint8_t ones[4096];
    memset(ones, 0xff, sizeof(ones));
    for (int i = 0; i < 4; i++)
        assert_int_equal(pwrite(f.fd, ones, sizeof(ones), i * 4096), 4096);
    uint8_t *seg = vdrv_host(&f.m, f.data);
    /* Two segments: sectors 0-1 and 16-23, unmapping allowed for the second. */
    put_seg(seg, 0, 2, 0);
    put_seg(seg + 16, 16, 8, VIRTIO_BLK_WZ_F_UNMAP);
    assert_int_equal(do_req(&f, 0, VIRTIO_BLK_T_WRITE_ZEROES, 0, 32, false, NULL),
                     VIRTIO_BLK_S_OK);
    uint8_t back[16384];
    assert_int_equal(pread(f.fd, back, sizeof(back), 0), (ssize_t)sizeof(back));
    for (unsigned i = 0; i < sizeof(back); i++) {
        bool zero = i < 1024 || (i >= 16 * 512 && i < 24 * 512);
        if (back[i] != (zero ? 0 : 0xff))
            fail_msg("byte %u is %#x", i, back[i]);
    }
    put_seg(seg, 4, 4, 0);
    assert_int_equal(do_req(&f, 0, VIRTIO_BLK_T_DISCARD, 0, 16, false, NULL), VIRTIO_BLK_S_OK);
    put_seg(seg, 4, 4, VIRTIO_BLK_WZ_F_UNMAP); /* unmap is for write zeroes only */
    assert_int_equal(do_req(&f, 0, VIRTIO_BLK_T_DISCARD, 0, 16, false, NULL),
                     VIRTIO_BLK_S_UNSUPP);
    put_seg(seg, DISK_SECTORS - 1, 2, 0);
    assert_int_equal(do_req(&f, 0, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false, NULL),
                     VIRTIO_BLK_S_IOERR);
    assert_int_equal(do_req(&f, 0, VIRTIO_BLK_T_DISCARD, 0, 24, false, NULL),
                     VIRTIO_BLK_S_IOERR); /* not whole segments */
    fx_free(&f);
}

static void test_read_only_disk(void **s)
{
    (void)s;
    struct fx f;
    fx_init_opts(&f, true, 1, ALL_FEATURES);
    assert_true(f.b.vdev.host_features & VIRTIO_BIT(VIRTIO_BLK_F_RO));
    assert_false(f.b.vdev.host_features & VIRTIO_BIT(VIRTIO_BLK_F_DISCARD));
    assert_int_equal(do_req(&f, 0, VIRTIO_BLK_T_OUT, 0, 512, false, NULL), VIRTIO_BLK_S_IOERR);
    assert_int_equal(do_req(&f, 0, VIRTIO_BLK_T_IN, 0, 512, true, NULL), VIRTIO_BLK_S_OK);
    uint8_t *seg = vdrv_host(&f.m, f.data);
    put_seg(seg, 0, 1, 0);
    assert_int_equal(do_req(&f, 0, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false, NULL),
                     VIRTIO_BLK_S_UNSUPP); /* not offered */
    fx_free(&f);
}

static void test_second_queue_and_packed_ring(void **s)
{
    (void)s;
    struct fx f;
    fx_init_opts(&f, false, 2, ALL_FEATURES | VIRTIO_BIT(VIRTIO_F_RING_PACKED));
    assert_int_equal(get_le16(f.b.config + VIRTIO_BLK_CFG_NUM_QUEUES), 2);
    assert_int_equal(get_le64(f.b.config + VIRTIO_BLK_CFG_CAPACITY), DISK_SECTORS);
    memset(vdrv_host(&f.m, f.data), 0x42, 4096);
    assert_int_equal(do_req(&f, 1, VIRTIO_BLK_T_OUT, 8, 4096, false, NULL), VIRTIO_BLK_S_OK);
    uint8_t back[4096];
    assert_int_equal(pread(f.fd, back, sizeof(back), 8 * 512), 4096);
    assert_int_equal(back[4095], 0x42);
    assert_int_equal(do_req(&f, 0, VIRTIO_BLK_T_IN, 8, 4096, true, NULL), VIRTIO_BLK_S_OK);
    fx_free(&f);
}

/* Unanswerable chains: the device needs a reset. */
static void test_malformed_requests_need_reset(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f);
    set_hdr(&f, VIRTIO_BLK_T_IN, 0);
    struct vdrv_buf shorthdr[2] = { { f.hdr, 8, false }, { f.status, 1, true } };
    vdrv_add(&f.d[0], shorthdr, 2, false, 0);
    virtio_dev_queue_notify(&f.b.vdev, 0);
    for (int i = 0; i < 5000 && !virtio_dev_broken(&f.b.vdev); i++)
        nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
    assert_true(virtio_dev_broken(&f.b.vdev));
    assert_int_equal(vdrv_split_used_idx(&f.d[0]), 0);
    virtio_dev_reset(&f.b.vdev);
    assert_int_equal(virtio_dev_status(&f.b.vdev), 0);
    fx_free(&f);

    /* The status byte in a device-readable buffer. */
    fx_init(&f);
    set_hdr(&f, VIRTIO_BLK_T_FLUSH, 0);
    struct vdrv_buf rostatus[2] = { { f.hdr, 16, false }, { f.status, 1, false } };
    vdrv_add(&f.d[0], rostatus, 2, false, 0);
    virtio_dev_queue_notify(&f.b.vdev, 0);
    for (int i = 0; i < 5000 && !virtio_dev_broken(&f.b.vdev); i++)
        nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
    assert_true(virtio_dev_broken(&f.b.vdev));
    assert_int_equal(*(uint8_t *)vdrv_host(&f.m, f.status), 0xff);
    fx_free(&f);
}

/* Requests split oddly: header over two buffers, status sharing the data
 * buffer's last byte. */
static void test_parse_odd_layouts(void **s)
{
    (void)s;
    uint8_t mem[64] = { 0 };
    put_le32(mem, VIRTIO_BLK_T_IN);
    put_le64(mem + 8, 77);
    struct iovec iov[3] = {
        { mem, 5 }, { mem + 5, 11 }, { mem + 32, 32 }, /* 31 data bytes + status */
    };
    struct virtq_chain c = { .iov = iov, .max_iov = 3, .nout = 2, .nin = 1, .out_len = 16,
                             .in_len = 32 };
    struct virtio_blk_req r;
    assert_int_equal(virtio_blk_req_parse(&c, &r), 0);
    assert_int_equal(r.type, VIRTIO_BLK_T_IN);
    assert_int_equal(r.sector, 77);
    assert_ptr_equal(r.status, mem + 63);
    assert_int_equal(r.ndata, 1);
    assert_int_equal(r.data_len, 31);
    assert_int_equal(r.data[0].iov_len, 31);

    /* OUT: data follows the header inside the same buffer. */
    put_le32(mem, VIRTIO_BLK_T_OUT);
    struct iovec iov2[2] = { { mem, 48 }, { mem + 60, 1 } };
    struct virtq_chain c2 = { .iov = iov2, .max_iov = 2, .nout = 1, .nin = 1, .out_len = 48,
                              .in_len = 1 };
    assert_int_equal(virtio_blk_req_parse(&c2, &r), 0);
    assert_int_equal(r.type, VIRTIO_BLK_T_OUT);
    assert_int_equal(r.data_len, 32);
    assert_ptr_equal(r.data[0].iov_base, mem + 16);
    /* No writable byte, or a short header: cannot be answered. */
    c2.nin = 0, c2.in_len = 0;
    assert_int_equal(virtio_blk_req_parse(&c2, &r), -EINVAL);
    struct iovec iov3[2] = { { mem, 12 }, { mem + 60, 1 } };
    struct virtq_chain c3 = { .iov = iov3, .max_iov = 2, .nout = 1, .nin = 1, .out_len = 12,
                              .in_len = 1 };
    assert_int_equal(virtio_blk_req_parse(&c3, &r), -EINVAL);
}

static void test_reset_quiesces_and_restarts(void **s)
{
    (void)s;
    struct fx f;
    fx_init(&f);
    assert_int_equal(do_req(&f, 0, VIRTIO_BLK_T_IN, 0, 4096, true, NULL), VIRTIO_BLK_S_OK);
    /* Leave requests in the ring, then reset: nothing may touch them later. */
    set_hdr(&f, VIRTIO_BLK_T_IN, 0);
    struct vdrv_buf b[3] = { { f.hdr, 16, false }, { f.data, 4096, true }, { f.status, 1, true } };
    for (int i = 0; i < 4; i++)
        vdrv_add(&f.d[0], b, 3, false, 0);
    virtio_dev_queue_notify(&f.b.vdev, 0);
    virtio_dev_reset(&f.b.vdev);
    assert_false(f.b.vq[0].active);
    /* Set up again from scratch and use it. */
    struct virtio_dev *d = &f.b.vdev;
    virtio_dev_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    virtio_dev_set_driver_features(d, 1, 1);
    virtio_dev_set_status(d, virtio_dev_status(d) | VIRTIO_STATUS_FEATURES_OK);
    vdrv_queue_init(&f.d[0], &f.m, 16, false);
    vdrv_queue_config(&f.d[0], virtio_dev_queue_cfg(d, 0));
    virtio_dev_set_status(d, virtio_dev_status(d) | VIRTIO_STATUS_DRIVER_OK);
    assert_int_equal(do_req(&f, 0, VIRTIO_BLK_T_FLUSH, 0, 0, false, NULL), VIRTIO_BLK_S_OK);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_image_checks),
        cmocka_unit_test(test_image_locking),
        cmocka_unit_test(test_write_then_read),
        cmocka_unit_test(test_bad_ranges_are_io_errors),
        cmocka_unit_test(test_get_id),
        cmocka_unit_test(test_discard_and_write_zeroes),
        cmocka_unit_test(test_read_only_disk),
        cmocka_unit_test(test_second_queue_and_packed_ring),
        cmocka_unit_test(test_malformed_requests_need_reset),
        cmocka_unit_test(test_parse_odd_layouts),
        cmocka_unit_test(test_reset_quiesces_and_restarts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
