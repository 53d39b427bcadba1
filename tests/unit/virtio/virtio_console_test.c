/* virtio-console: guest output through the transmitq, host input into the
 * receiveq only while the guest has buffers there, the room callback,
 * emergency writes, the size config, a hostile transmit ring, and the
 * console front end (machine/console.c) feeding the device. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "devices/fakes.h"
#include "devices/virtio/virtio_console.h"
#include "machine/console.h"
#include "virtio/virtq_driver.h"

struct fx {
    struct vdrv_mem m;
    struct vdrv_queue rx, tx;
    struct virtio_console c;
    struct fake_out out;
    unsigned rooms; /* room callbacks */
};

static void count_room(void *ctx)
{
    ((struct fx *)ctx)->rooms++;
}

/* Creates the device with options o (NULL: output to f->out, room
 * callbacks counted) and brings it to DRIVER_OK with the given features. */
static void fx_start_opts(struct fx *f, const struct virtio_console_opts *opts, uint16_t cols,
                          uint16_t rows, uint64_t features)
{
    memset(f, 0, sizeof(*f));
    vdrv_mem_init(&f->m, 1 << 20);
    fake_out_init(&f->out);
    struct virtio_console_opts o = {
        .out = &f->out.dev, .room = count_room, .room_ctx = f, .cols = cols, .rows = rows,
    };
    if (opts)
        o = *opts;
    assert_int_equal(virtio_console_init(&f->c, &o, &f->m.gm), 0);
    struct virtio_dev *d = &f->c.vdev;
    features &= d->host_features;
    virtio_dev_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    virtio_dev_set_driver_features(d, 0, (uint32_t)features);
    virtio_dev_set_driver_features(d, 1, (uint32_t)(features >> 32));
    virtio_dev_set_status(d, virtio_dev_status(d) | VIRTIO_STATUS_FEATURES_OK);
    bool packed = features & VIRTIO_BIT(VIRTIO_F_RING_PACKED);
    vdrv_queue_init(&f->rx, &f->m, 16, packed);
    vdrv_queue_init(&f->tx, &f->m, 16, packed);
    vdrv_queue_config(&f->rx, virtio_dev_queue_cfg(d, VIRTIO_CONSOLE_RXQ));
    vdrv_queue_config(&f->tx, virtio_dev_queue_cfg(d, VIRTIO_CONSOLE_TXQ));
    virtio_dev_set_status(d, virtio_dev_status(d) | VIRTIO_STATUS_DRIVER_OK);
    assert_true(virtio_dev_status(d) & VIRTIO_STATUS_DRIVER_OK);
}

static void fx_start(struct fx *f, uint16_t cols, uint16_t rows, uint64_t features)
{
    fx_start_opts(f, NULL, cols, rows, features);
}

static void fx_stop(struct fx *f)
{
    virtio_dev_reset(&f->c.vdev);
    virtio_console_destroy(&f->c);
    vdrv_mem_free(&f->m);
}

#define V1 VIRTIO_BIT(VIRTIO_F_VERSION_1)
#define PACKED VIRTIO_BIT(VIRTIO_F_RING_PACKED)

/* Puts text into guest memory; returns its address. */
static uint64_t guest_text(struct fx *f, const char *s)
{
    uint64_t gpa = vdrv_alloc(&f->m, strlen(s), 1);
    memcpy(vdrv_host(&f->m, gpa), s, strlen(s));
    return gpa;
}

/* The guest writes one chain to its console. */
static void guest_says(struct fx *f, const char *text)
{
    struct vdrv_buf b = { guest_text(f, text), (uint32_t)strlen(text), false };
    vdrv_add(&f->tx, &b, 1, false, 9);
    virtio_dev_queue_notify(&f->c.vdev, VIRTIO_CONSOLE_TXQ);
    uint32_t id, len;
    assert_true(vdrv_used(&f->tx, &id, &len));
}

static void tx_output(bool packed)
{
    struct fx f;
    fx_start(&f, 0, 0, V1 | (packed ? PACKED : 0));
    struct vdrv_buf b[2] = {
        { guest_text(&f, "hello, "), 7, false },
        { guest_text(&f, "host\n"), 5, false },
    };
    vdrv_add(&f.tx, b, 2, false, 3);
    vdrv_add(&f.tx, b, 1, false, 4);
    virtio_dev_queue_notify(&f.c.vdev, VIRTIO_CONSOLE_TXQ);
    assert_int_equal(f.out.len, 19);
    assert_memory_equal(f.out.buf, "hello, host\nhello, ", 19);
    uint32_t id, len;
    assert_true(vdrv_used(&f.tx, &id, &len));
    assert_int_equal(len, 0);
    assert_true(vdrv_used(&f.tx, &id, &len));
    assert_false(vdrv_used(&f.tx, &id, &len));
    fx_stop(&f);
}

static void test_tx_split(void **s)
{
    (void)s;
    tx_output(false);
}

static void test_tx_packed(void **s)
{
    (void)s;
    tx_output(true);
}

/* Input waits for receive buffers: nothing is taken without one, a buffer
 * takes at most its size, and the rest goes into the next buffer. */
static void test_rx_backpressure(void **s)
{
    (void)s;
    struct fx f;
    fx_start(&f, 0, 0, V1 | VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
    unsigned rooms = f.rooms;
    assert_int_equal(rooms, 1); /* activation: buffers may be there already */
    guest_says(&f, "$ ");
    assert_int_equal(f.rooms, rooms + 1); /* the guest's console is up */
    assert_int_equal(virtio_console_receive(&f.c, (const uint8_t *)"abcdef", 6), 0);

    uint64_t b1 = vdrv_alloc(&f.m, 4, 1), b2 = vdrv_alloc(&f.m, 64, 1);
    struct vdrv_buf rb = { b1, 4, true };
    vdrv_add(&f.rx, &rb, 1, false, 0);
    virtio_dev_queue_notify(&f.c.vdev, VIRTIO_CONSOLE_RXQ);
    assert_int_equal(f.rooms, rooms + 2); /* the guest added a buffer */

    assert_int_equal(virtio_console_receive(&f.c, (const uint8_t *)"abcdef", 6), 4);
    uint32_t id, len;
    assert_true(vdrv_used(&f.rx, &id, &len));
    assert_int_equal(len, 4);
    assert_memory_equal(vdrv_host(&f.m, b1), "abcd", 4);
    assert_int_equal(virtio_console_receive(&f.c, (const uint8_t *)"ef", 2), 0);

    rb = (struct vdrv_buf){ b2, 64, true };
    vdrv_add(&f.rx, &rb, 1, false, 1);
    assert_int_equal(virtio_console_receive(&f.c, (const uint8_t *)"ef", 2), 2);
    assert_true(vdrv_used(&f.rx, &id, &len));
    assert_int_equal(len, 2);
    assert_memory_equal(vdrv_host(&f.m, b2), "ef", 2);
    assert_false(vdrv_used(&f.rx, &id, &len));
    fx_stop(&f);
}

/* Input waits until the guest has written once (Linux drops earlier
 * input), and nothing is taken after a reset. */
static void test_rx_waits_for_guest(void **s)
{
    (void)s;
    struct fx f;
    fx_start(&f, 0, 0, V1);
    struct vdrv_buf rb = { vdrv_alloc(&f.m, 16, 1), 16, true };
    vdrv_add(&f.rx, &rb, 1, false, 0);
    assert_int_equal(virtio_console_receive(&f.c, (const uint8_t *)"x", 1), 0);
    guest_says(&f, "login: ");
    assert_int_equal(virtio_console_receive(&f.c, (const uint8_t *)"x", 1), 1);
    vdrv_add(&f.rx, &rb, 1, false, 1);
    virtio_dev_reset(&f.c.vdev);
    assert_int_equal(virtio_console_receive(&f.c, (const uint8_t *)"x", 1), 0);
    virtio_console_destroy(&f.c);
    vdrv_mem_free(&f.m);
}

static void test_emergency_write_and_size(void **s)
{
    (void)s;
    struct fx f;
    fx_start(&f, 100, 40, V1 | VIRTIO_BIT(VIRTIO_CONSOLE_F_EMERG_WRITE) |
                              VIRTIO_BIT(VIRTIO_CONSOLE_F_SIZE));
    struct virtio_dev *d = &f.c.vdev;
    assert_true(d->host_features & VIRTIO_BIT(VIRTIO_CONSOLE_F_SIZE));
    assert_int_equal(virtio_dev_config_read(d, VIRTIO_CONSOLE_CFG_COLS, 2), 100);
    assert_int_equal(virtio_dev_config_read(d, VIRTIO_CONSOLE_CFG_ROWS, 2), 40);
    uint32_t gen = virtio_dev_config_generation(d);
    virtio_console_resize(&f.c, 132, 50);
    assert_int_equal(virtio_dev_config_read(d, VIRTIO_CONSOLE_CFG_COLS, 2), 132);
    assert_int_equal(virtio_dev_config_read(d, VIRTIO_CONSOLE_CFG_ROWS, 2), 50);
    assert_int_not_equal(virtio_dev_config_generation(d), gen);
    virtio_dev_config_write(d, VIRTIO_CONSOLE_CFG_EMERG_WR, 'E', 4);
    virtio_dev_config_write(d, VIRTIO_CONSOLE_CFG_COLS, 'X', 2); /* not an emergency write */
    assert_int_equal(f.out.len, 1);
    assert_int_equal(f.out.buf[0], 'E');
    fx_stop(&f);

    /* No terminal size: no F_SIZE; emergency write not negotiated: ignored. */
    fx_start(&f, 0, 0, V1);
    assert_false(f.c.vdev.host_features & VIRTIO_BIT(VIRTIO_CONSOLE_F_SIZE));
    virtio_dev_config_write(&f.c.vdev, VIRTIO_CONSOLE_CFG_EMERG_WR, 'E', 4);
    assert_int_equal(f.out.len, 0);
    fx_stop(&f);
}

/* A transmit buffer outside guest RAM breaks the device (NEEDS_RESET)
 * without touching memory; later notifications are ignored. */
static void test_tx_hostile(void **s)
{
    (void)s;
    struct fx f;
    fx_start(&f, 0, 0, V1);
    struct vdrv_buf bad = { (1 << 20) - 2, 64, false };
    vdrv_add(&f.tx, &bad, 1, false, 0);
    virtio_dev_queue_notify(&f.c.vdev, VIRTIO_CONSOLE_TXQ);
    assert_true(virtio_dev_broken(&f.c.vdev));
    assert_int_equal(f.out.len, 0);
    assert_int_equal(virtio_console_receive(&f.c, (const uint8_t *)"x", 1), 0);
    fx_stop(&f);
}

static bool readable(int fd)
{
    struct pollfd p = { fd, POLLIN, 0 };
    return poll(&p, 1, 0) == 1;
}

/* The console front end (machine/console.c) on pipes, feeding the device:
 * input stops being read while 256 bytes wait, the device's room signal
 * (not a timer) says when to retry, and guest output reaches out_fd. */
static void test_front_end_backpressure(void **s)
{
    (void)s;
    int in[2], out[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    struct console con;
    console_init(&con, in[0], out[1]);
    assert_true(con.wake_fd >= 0);
    struct chardev to_out = { console_write, &con };
    struct virtio_console_opts o = { .out = &to_out, .room = console_wake, .room_ctx = &con };
    struct fx f;
    fx_start_opts(&f, &o, 0, 0, V1);
    console_set_port(&con, &(struct console_port){ virtio_console_receive, &f.c, true });
    console_clear_wake(&con); /* activation's signal */

    uint8_t data[300];
    for (unsigned i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)('a' + i % 26);
    assert_int_equal(write(in[1], data, sizeof(data)), (ssize_t)sizeof(data));
    assert_int_equal(console_poll_fd(&con), in[0]);
    while (console_poll_fd(&con) >= 0) /* reads 128 bytes at a time */
        assert_int_equal(console_read(&con), CONSOLE_INPUT_NONE);
    assert_int_equal(con.npending, sizeof(con.pending));
    assert_int_equal(console_poll_fd(&con), -1);      /* full: stdin not read */
    assert_int_equal(console_poll_timeout(&con), -1); /* and no retry timer */
    console_feed(&con);
    assert_int_equal(con.npending, sizeof(con.pending)); /* guest console not up */

    guest_says(&f, "$ ");
    assert_true(readable(con.wake_fd));
    console_clear_wake(&con);
    assert_false(readable(con.wake_fd));
    char echo[8];
    assert_int_equal(read(out[0], echo, sizeof(echo)), 2);
    assert_memory_equal(echo, "$ ", 2);
    console_feed(&con);
    assert_int_equal(con.npending, sizeof(con.pending)); /* no receive buffer yet */

    uint64_t gpa = vdrv_alloc(&f.m, 100, 1);
    struct vdrv_buf rb = { gpa, 100, true };
    vdrv_add(&f.rx, &rb, 1, false, 0);
    virtio_dev_queue_notify(&f.c.vdev, VIRTIO_CONSOLE_RXQ);
    assert_true(readable(con.wake_fd));
    console_clear_wake(&con);
    console_feed(&con);
    assert_int_equal(con.npending, sizeof(con.pending) - 100);
    assert_memory_equal(vdrv_host(&f.m, gpa), data, 100);
    assert_int_equal(console_poll_fd(&con), in[0]); /* room again: read on */
    assert_int_equal(console_read(&con), CONSOLE_INPUT_NONE);
    assert_int_equal(con.npending, sizeof(data) - 100);
    assert_memory_equal(con.pending, data + 100, sizeof(data) - 100);

    /* A port that cannot signal room (the UART) is retried on a timer. */
    console_set_port(&con, &(struct console_port){ virtio_console_receive, &f.c, false });
    assert_int_equal(console_poll_timeout(&con), CONSOLE_RETRY_MS);
    console_set_port(&con, NULL);
    console_feed(&con); /* no device: input waits */
    assert_int_equal(con.npending, sizeof(data) - 100);

    fx_stop(&f);
    console_destroy(&con);
    close(in[0]);
    close(in[1]);
    close(out[0]);
    close(out[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tx_split),
        cmocka_unit_test(test_tx_packed),
        cmocka_unit_test(test_rx_backpressure),
        cmocka_unit_test(test_rx_waits_for_guest),
        cmocka_unit_test(test_emergency_write_and_size),
        cmocka_unit_test(test_tx_hostile),
        cmocka_unit_test(test_front_end_backpressure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
