#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>

#include "devices/fakes.h"
#include "devices/legacy/uart16550.h"

struct fixture {
    struct uart u;
    struct fake_irq irq;
    struct fake_out out;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    fake_irq_init(&f->irq);
    fake_out_init(&f->out);
    struct irq_line line = fake_irq_line(&f->irq, 4);
    if (uart_init(&f->u, &line, &f->out.dev) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    uart_destroy(&f->u);
    free(f);
    return 0;
}

static uint8_t rd(struct fixture *f, unsigned off)
{
    return (uint8_t)uart_ops.read(&f->u, off, 1);
}

static void wr(struct fixture *f, unsigned off, uint8_t v)
{
    uart_ops.write(&f->u, off, v, 1);
}

static bool line(struct fixture *f)
{
    return f->irq.level[4];
}

static void test_reset_state(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(rd(f, UART_IIR_FCR), UART_IIR_NONE);
    assert_int_equal(rd(f, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
    assert_int_equal(rd(f, UART_MSR), UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD);
    assert_int_equal(rd(f, UART_IER_DLM), 0);
    assert_int_equal(rd(f, UART_LCR), 0);
    assert_int_equal(rd(f, UART_MCR), 0);
    assert_false(line(f));
    /* Scratch register holds what was written. */
    wr(f, UART_SCR, 0xa5);
    assert_int_equal(rd(f, UART_SCR), 0xa5);
}

static void test_divisor_latch(void **state)
{
    struct fixture *f = *state;
    wr(f, UART_LCR, UART_LCR_DLAB | 0x03);
    wr(f, UART_RBR_THR_DLL, 0x01);
    wr(f, UART_IER_DLM, 0x02);
    assert_int_equal(rd(f, UART_RBR_THR_DLL), 0x01);
    assert_int_equal(rd(f, UART_IER_DLM), 0x02);
    assert_int_equal(f->out.len, 0); /* DLL writes are not output */
    wr(f, UART_LCR, 0x03);
    assert_int_equal(rd(f, UART_LCR), 0x03);
    assert_int_equal(rd(f, UART_IER_DLM), 0); /* IER, not DLM */
    wr(f, UART_RBR_THR_DLL, 'x');
    assert_int_equal(f->out.len, 1);
    assert_int_equal(f->out.buf[0], 'x');
    wr(f, UART_LCR, UART_LCR_DLAB);
    assert_int_equal(rd(f, UART_RBR_THR_DLL), 0x01); /* unchanged by THR */
    assert_int_equal(rd(f, UART_IER_DLM), 0x02);
}

static void test_ier_writable_bits(void **state)
{
    struct fixture *f = *state;
    wr(f, UART_IER_DLM, 0xff);
    assert_int_equal(rd(f, UART_IER_DLM), 0x0f);
    wr(f, UART_IER_DLM, 0);
    assert_int_equal(rd(f, UART_IER_DLM), 0);
}

static void test_thre_interrupt(void **state)
{
    struct fixture *f = *state;
    wr(f, UART_MCR, UART_MCR_OUT2);
    assert_false(line(f));
    /* Enabling ETBEI with THR empty raises THRE at once. */
    wr(f, UART_IER_DLM, UART_IER_ETBEI);
    assert_true(line(f));
    assert_int_equal(f->irq.rises[4], 1);
    /* Reading IIR while THRE is the source clears it. */
    assert_int_equal(rd(f, UART_IIR_FCR), UART_IIR_THRE);
    assert_false(line(f));
    assert_int_equal(rd(f, UART_IIR_FCR), UART_IIR_NONE);
    /* Each transmitted byte empties THR again: one new edge per byte. */
    wr(f, UART_RBR_THR_DLL, 'a');
    wr(f, UART_RBR_THR_DLL, 'b');
    assert_true(line(f));
    assert_int_equal(f->irq.rises[4], 3);
    assert_memory_equal(f->out.buf, "ab", 2);
    /* Disabling ETBEI drops it; re-enabling raises it again. */
    wr(f, UART_IER_DLM, 0);
    assert_false(line(f));
    assert_int_equal(rd(f, UART_IIR_FCR), UART_IIR_NONE);
    wr(f, UART_IER_DLM, UART_IER_ETBEI);
    assert_int_equal(rd(f, UART_IIR_FCR), UART_IIR_THRE);
}

/* The check in Linux's serial8250_do_startup: with THRI enabled and THR
 * empty, IIR must not say "no interrupt" (else UART_BUG_THRE). */
static void test_linux_thre_probe(void **state)
{
    struct fixture *f = *state;
    wr(f, UART_IER_DLM, UART_IER_ETBEI);
    uint8_t iir1 = rd(f, UART_IIR_FCR);
    wr(f, UART_IER_DLM, 0);
    wr(f, UART_IER_DLM, UART_IER_ETBEI);
    uint8_t iir = rd(f, UART_IIR_FCR);
    wr(f, UART_IER_DLM, 0);
    assert_false(iir1 & UART_IIR_NONE);
    assert_false(iir & UART_IIR_NONE);
}

static void test_out2_gates_irq(void **state)
{
    struct fixture *f = *state;
    wr(f, UART_IER_DLM, UART_IER_ERBFI);
    assert_int_equal(uart_receive(&f->u, (const uint8_t *)"z", 1), 1);
    assert_int_equal(rd(f, UART_IIR_FCR), UART_IIR_RDA);
    assert_false(line(f)); /* pending, but OUT2 is off */
    wr(f, UART_MCR, UART_MCR_OUT2);
    assert_true(line(f));
    wr(f, UART_MCR, 0);
    assert_false(line(f));
    wr(f, UART_MCR, UART_MCR_OUT2);
    assert_int_equal(rd(f, UART_RBR_THR_DLL), 'z');
    assert_false(line(f));
}

static void test_fifo_trigger_levels(void **state)
{
    struct fixture *f = *state;
    static const unsigned levels[4] = { 1, 4, 8, 14 };
    wr(f, UART_MCR, UART_MCR_OUT2);
    wr(f, UART_IER_DLM, UART_IER_ERBFI);
    for (unsigned t = 0; t < 4; t++) {
        wr(f, UART_IIR_FCR, (uint8_t)(UART_FCR_ENABLE | UART_FCR_CLEAR_RX | t << 6));
        assert_int_equal(rd(f, UART_IIR_FCR), UART_IIR_FIFOS | UART_IIR_NONE);
        uint8_t data[16];
        for (unsigned i = 0; i < 16; i++)
            data[i] = (uint8_t)(0x40 + i);
        if (levels[t] > 1) {
            /* Below the trigger level: character timeout. */
            assert_int_equal(uart_receive(&f->u, data, levels[t] - 1), levels[t] - 1);
            assert_int_equal(rd(f, UART_IIR_FCR), UART_IIR_FIFOS | UART_IIR_CTI);
            assert_true(line(f));
            assert_int_equal(uart_receive(&f->u, data + levels[t] - 1, 1), 1);
        } else {
            assert_int_equal(uart_receive(&f->u, data, 1), 1);
        }
        assert_int_equal(rd(f, UART_IIR_FCR), UART_IIR_FIFOS | UART_IIR_RDA);
        /* Draining in order; back below the trigger level, then empty. */
        for (unsigned i = 0; i < levels[t]; i++) {
            assert_true(rd(f, UART_LSR) & UART_LSR_DR);
            assert_int_equal(rd(f, UART_RBR_THR_DLL), 0x40 + i);
            if (i + 1 < levels[t])
                assert_int_equal(rd(f, UART_IIR_FCR), UART_IIR_FIFOS | UART_IIR_CTI);
        }
        assert_false(rd(f, UART_LSR) & UART_LSR_DR);
        assert_int_equal(rd(f, UART_IIR_FCR), UART_IIR_FIFOS | UART_IIR_NONE);
        assert_false(line(f));
    }
}

static void test_host_input_is_flow_controlled(void **state)
{
    struct fixture *f = *state;
    uint8_t data[20];
    for (unsigned i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)i;
    wr(f, UART_IIR_FCR, UART_FCR_ENABLE);
    assert_int_equal(uart_can_receive(&f->u), 16);
    assert_int_equal(uart_receive(&f->u, data, 10), 10);
    assert_int_equal(uart_can_receive(&f->u), 6);
    /* Only what fits is taken; the caller keeps the rest: no overrun. */
    assert_int_equal(uart_receive(&f->u, data + 10, 10), 6);
    assert_int_equal(uart_can_receive(&f->u), 0);
    assert_int_equal(uart_receive(&f->u, data + 16, 4), 0);
    uint8_t lsr = rd(f, UART_LSR);
    assert_false(lsr & UART_LSR_OE);
    assert_true(lsr & UART_LSR_DR);
    for (unsigned i = 0; i < 16; i++)
        assert_int_equal(rd(f, UART_RBR_THR_DLL), i);
    assert_int_equal(uart_can_receive(&f->u), 16);
    assert_int_equal(uart_receive(&f->u, data + 16, 4), 4);
    assert_int_equal(rd(f, UART_RBR_THR_DLL), 16);
}

static void test_non_fifo_mode_holds_one_byte(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(uart_can_receive(&f->u), 1);
    assert_int_equal(uart_receive(&f->u, (const uint8_t *)"ab", 2), 1);
    assert_false(rd(f, UART_LSR) & UART_LSR_OE);
    assert_int_equal(rd(f, UART_RBR_THR_DLL), 'a');
    assert_int_equal(rd(f, UART_IIR_FCR), UART_IIR_NONE); /* no FIFO bits */
    /* RBR keeps its last value when empty. */
    assert_int_equal(rd(f, UART_RBR_THR_DLL), 'a');
}

static void test_fcr_clears_and_toggles(void **state)
{
    struct fixture *f = *state;
    wr(f, UART_IIR_FCR, UART_FCR_ENABLE);
    assert_int_equal(uart_receive(&f->u, (const uint8_t *)"hello", 5), 5);
    wr(f, UART_IIR_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
    assert_false(rd(f, UART_LSR) & UART_LSR_DR);
    assert_int_equal(uart_receive(&f->u, (const uint8_t *)"hi", 2), 2);
    wr(f, UART_IIR_FCR, 0); /* disabling the FIFOs empties them */
    assert_false(rd(f, UART_LSR) & UART_LSR_DR);
    assert_int_equal(uart_can_receive(&f->u), 1);
}

static void test_iir_priorities(void **state)
{
    struct fixture *f = *state;
    wr(f, UART_MCR, UART_MCR_OUT2 | UART_MCR_LOOP);
    (void)rd(f, UART_MSR);
    wr(f, UART_IER_DLM, UART_IER_ERBFI | UART_IER_ETBEI | UART_IER_ELSI | UART_IER_EDSSI);
    /* THR write in loopback: byte lands in RBR, THR empties again; a second
     * one overruns the 1-byte holding register; RTS toggles CTS. */
    wr(f, UART_RBR_THR_DLL, 'q');
    wr(f, UART_RBR_THR_DLL, 'r');
    wr(f, UART_MCR, UART_MCR_OUT2 | UART_MCR_LOOP | UART_MCR_RTS);
    assert_int_equal(rd(f, UART_IIR_FCR), UART_IIR_RLS);
    (void)rd(f, UART_LSR);
    assert_int_equal(rd(f, UART_IIR_FCR), UART_IIR_RDA);
    assert_int_equal(rd(f, UART_RBR_THR_DLL), 'q');
    assert_int_equal(rd(f, UART_IIR_FCR), UART_IIR_THRE); /* read clears it */
    uint8_t msr = rd(f, UART_IIR_FCR);
    assert_int_equal(msr, UART_IIR_MSR);
    assert_true(line(f));
    assert_true(rd(f, UART_MSR) & UART_MSR_DCTS);
    assert_int_equal(rd(f, UART_IIR_FCR), UART_IIR_NONE);
    assert_false(line(f));
}

static void test_loopback(void **state)
{
    struct fixture *f = *state;
    /* Linux's autoconfig loopback check: MCR = LOOP | OUT2 | RTS gives
     * MSR lines CTS and DCD (0x90). */
    wr(f, UART_MCR, UART_MCR_LOOP | 0x0a);
    assert_int_equal(rd(f, UART_MSR) & 0xf0, 0x90);
    wr(f, UART_MCR, UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_OUT1);
    assert_int_equal(rd(f, UART_MSR) & 0xf0, UART_MSR_DSR | UART_MSR_RI);
    /* Host input is disconnected; transmitted bytes come back. */
    assert_int_equal(uart_can_receive(&f->u), 0);
    assert_int_equal(uart_receive(&f->u, (const uint8_t *)"x", 1), 0);
    /* Linux's size_fifo(): write more than fits, count what comes back. */
    wr(f, UART_IIR_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX | UART_FCR_CLEAR_TX);
    for (unsigned i = 0; i < 40; i++)
        wr(f, UART_RBR_THR_DLL, (uint8_t)i);
    /* The bytes that did not fit are lost: overrun. */
    uint8_t lsr = rd(f, UART_LSR);
    assert_true(lsr & UART_LSR_OE);
    assert_false(rd(f, UART_LSR) & UART_LSR_OE); /* cleared by reading LSR */
    unsigned count = 0;
    while ((rd(f, UART_LSR) & UART_LSR_DR) && count < 100)
        assert_int_equal(rd(f, UART_RBR_THR_DLL), count++);
    assert_int_equal(count, UART_FIFO_SIZE);
    assert_int_equal(f->out.len, 0);
    /* Leaving loopback: lines back to CTS|DSR|DCD, input reconnected. */
    wr(f, UART_MCR, 0);
    assert_int_equal(rd(f, UART_MSR) & 0xf0, UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD);
    assert_int_equal(uart_can_receive(&f->u), 16);
}

static void test_msr_deltas(void **state)
{
    struct fixture *f = *state;
    wr(f, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1);
    (void)rd(f, UART_MSR);
    wr(f, UART_MCR, UART_MCR_LOOP); /* RI falls: trailing edge */
    assert_int_equal(rd(f, UART_MSR) & 0x0f, UART_MSR_TERI);
    wr(f, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1); /* RI rises: no TERI */
    assert_int_equal(rd(f, UART_MSR) & 0x0f, 0);
    wr(f, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1 | UART_MCR_OUT2 | UART_MCR_DTR);
    assert_int_equal(rd(f, UART_MSR) & 0x0f, UART_MSR_DDCD | UART_MSR_DDSR);
    assert_int_equal(rd(f, UART_MSR) & 0x0f, 0);
}

static void test_wide_access_is_split(void **state)
{
    struct fixture *f = *state;
    uint64_t v = uart_ops.read(&f->u, UART_LSR, 2);
    assert_int_equal(v & 0xff, UART_LSR_THRE | UART_LSR_TEMT);
    assert_int_equal(v >> 8, UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD);
    uart_ops.write(&f->u, UART_LCR, 0x4403, 2); /* LCR = 3, MCR = 0x44 & 0x1f */
    assert_int_equal(rd(f, UART_LCR), 0x03);
    assert_int_equal(rd(f, UART_MCR), 0x04);
    /* 8-byte accesses at the end stay inside the 8 registers. */
    (void)uart_ops.read(&f->u, 4, 8);
    uart_ops.write(&f->u, 7, ~0ull, 8);
    assert_int_equal(rd(f, UART_SCR), 0xff);
}

static void test_wait_room_times_out(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(uart_wait_room(&f->u, 10), 1);
    assert_int_equal(uart_receive(&f->u, (const uint8_t *)"a", 1), 1);
    assert_int_equal(uart_wait_room(&f->u, 0), 0);
    assert_int_equal(uart_wait_room(&f->u, 20), 0);
}

struct waiter {
    struct uart *u;
    size_t room;
};

static void *waiter_main(void *arg)
{
    struct waiter *w = arg;
    w->room = uart_wait_room(w->u, 10000);
    return NULL;
}

static void test_wait_room_wakes_on_read(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(uart_receive(&f->u, (const uint8_t *)"a", 1), 1);
    struct waiter w = { &f->u, 0 };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, waiter_main, &w), 0);
    assert_int_equal(rd(f, UART_RBR_THR_DLL), 'a');
    pthread_join(t, NULL);
    assert_int_equal(w.room, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reset_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_divisor_latch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ier_writable_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_thre_interrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_linux_thre_probe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out2_gates_irq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo_trigger_levels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_input_is_flow_controlled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_fifo_mode_holds_one_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fcr_clears_and_toggles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_iir_priorities, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loopback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_msr_deltas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wide_access_is_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_room_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_room_wakes_on_read, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
