/* core/timer: the per-VM timer service, stepped by hand and threaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "core/clock.h"
#include "core/timer.h"

#define MS 1000000ull

struct rec {
    struct timer t;
    int id;
    int *log;      /* shared order log */
    int *nlog;
    int fired;
    uint64_t rearm;        /* re-arm to this deadline when non-zero */
    struct timer *del;     /* timer to delete from the callback */
    bool del_self;
};

static void rec_cb(void *opaque)
{
    struct rec *r = opaque;
    r->fired++;
    if (r->log)
        r->log[(*r->nlog)++] = r->id;
    if (r->del)
        timer_del(r->del);
    if (r->del_self)
        timer_del(&r->t);
    if (r->rearm)
        timer_mod(&r->t, r->rearm);
}

static void test_run_expired_in_deadline_order(void **state)
{
    (void)state;
    struct vclock clk;
    struct timer_queue q;
    int log[8], n = 0;
    struct rec r[4];
    vclock_init_manual(&clk, 0);
    assert_int_equal(timer_queue_init(&q, &clk), 0);
    const uint64_t when[4] = { 300, 100, 200, 100 };
    for (int i = 0; i < 4; i++) {
        r[i] = (struct rec){ .id = i, .log = log, .nlog = &n };
        timer_init(&r[i].t, &q, rec_cb, &r[i]);
        timer_mod(&r[i].t, when[i]);
    }
    assert_int_equal(timer_queue_next_deadline(&q), 100);
    assert_int_equal(timer_queue_run_expired(&q, 99), 0);
    assert_int_equal(timer_queue_run_expired(&q, 200), 3);
    assert_int_equal(n, 3);
    assert_int_equal(log[0], 1); /* equal deadlines keep arming order */
    assert_int_equal(log[1], 3);
    assert_int_equal(log[2], 2);
    assert_false(timer_pending(&r[1].t));
    assert_true(timer_pending(&r[0].t));
    /* Re-arming moves a timer. */
    timer_mod(&r[0].t, 1000);
    assert_int_equal(timer_queue_run_expired(&q, 999), 0);
    assert_int_equal(timer_queue_run_expired(&q, 1000), 1);
    assert_int_equal(r[0].fired, 1);
    timer_queue_destroy(&q);
}

static void test_callback_rearm_delete_cancel(void **state)
{
    (void)state;
    struct vclock clk;
    struct timer_queue q;
    struct rec a = { .id = 0 }, b = { .id = 1 }, c = { .id = 2 };
    vclock_init_manual(&clk, 0);
    assert_int_equal(timer_queue_init(&q, &clk), 0);
    timer_init(&a.t, &q, rec_cb, &a);
    timer_init(&b.t, &q, rec_cb, &b);
    timer_init(&c.t, &q, rec_cb, &c);

    /* A callback that re-arms itself in the past runs once per pass. */
    a.rearm = 5;
    timer_mod(&a.t, 10);
    assert_int_equal(timer_queue_run_expired(&q, 10), 1);
    assert_true(timer_pending(&a.t));
    assert_int_equal(timer_queue_run_expired(&q, 10), 1);
    assert_int_equal(a.fired, 2);
    a.rearm = 0;
    assert_int_equal(timer_queue_run_expired(&q, 10), 1);
    assert_false(timer_pending(&a.t));

    /* A callback deletes another expired timer and itself (no deadlock). */
    a.del = &b.t;
    a.del_self = true;
    a.rearm = 0;
    timer_mod(&a.t, 20);
    timer_mod(&b.t, 21);
    assert_int_equal(timer_queue_run_expired(&q, 30), 1);
    assert_int_equal(b.fired, 0);

    /* Cancel and delete from outside. */
    timer_mod(&b.t, 40);
    timer_mod(&c.t, 40);
    timer_cancel(&b.t);
    timer_del(&c.t);
    assert_int_equal(timer_queue_run_expired(&q, 100), 0);
    assert_int_equal(timer_queue_next_deadline(&q), UINT64_MAX);
    timer_queue_destroy(&q);
}

/* ---- threaded ---------------------------------------------------------- */

struct waiter {
    struct timer t;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool woken;
    uint64_t at_ns;
    struct vclock *clk;
};

static void waiter_cb(void *opaque)
{
    struct waiter *w = opaque;
    pthread_mutex_lock(&w->lock);
    w->woken = true;
    w->at_ns = vclock_ns(w->clk);
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void test_thread_wakes_waiter_without_busy_wait(void **state)
{
    (void)state;
    struct vclock clk;
    struct timer_queue q;
    struct waiter w = { .clk = &clk };
    vclock_init(&clk);
    assert_int_equal(timer_queue_init(&q, &clk), 0);
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.cond, NULL);
    timer_init(&w.t, &q, waiter_cb, &w);
    assert_int_equal(timer_queue_start(&q), 0);

    /* One far timer keeps the thread in a timed sleep during the test. */
    struct rec far = { .id = 9 };
    timer_init(&far.t, &q, rec_cb, &far);
    timer_mod(&far.t, vclock_ns(&clk) + 3600 * 1000 * MS);

    uint64_t cpu0 = cpu_ns();
    uint64_t deadline = vclock_ns(&clk) + 500 * MS;
    timer_mod(&w.t, deadline);
    pthread_mutex_lock(&w.lock);
    while (!w.woken)
        pthread_cond_wait(&w.cond, &w.lock);
    pthread_mutex_unlock(&w.lock);
    uint64_t cpu = cpu_ns() - cpu0;

    assert_true(w.at_ns >= deadline);
    assert_true(w.at_ns < deadline + 200 * MS);
    /* Half a second idle must cost well under 1 % of a core: < 5 ms. */
    assert_true(cpu < 5 * MS);
    assert_int_equal(far.fired, 0);

    timer_queue_stop(&q);
    timer_del(&far.t);
    timer_del(&w.t);
    timer_queue_destroy(&q);
    pthread_cond_destroy(&w.cond);
    pthread_mutex_destroy(&w.lock);
}

struct slow {
    struct timer t;
    atomic_int started, finished;
};

static void slow_cb(void *opaque)
{
    struct slow *s = opaque;
    atomic_store(&s->started, 1);
    struct timespec ts = { 0, 100 * 1000000 };
    nanosleep(&ts, NULL);
    atomic_store(&s->finished, 1);
    timer_mod(&s->t, 0); /* re-arms itself: timer_del must still win */
}

static void test_del_waits_for_running_callback(void **state)
{
    (void)state;
    struct vclock clk;
    struct timer_queue q;
    struct slow s;
    atomic_init(&s.started, 0);
    atomic_init(&s.finished, 0);
    vclock_init(&clk);
    assert_int_equal(timer_queue_init(&q, &clk), 0);
    timer_init(&s.t, &q, slow_cb, &s);
    assert_int_equal(timer_queue_start(&q), 0);
    timer_mod(&s.t, 0);
    while (!atomic_load(&s.started)) {
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
    }
    timer_del(&s.t);
    assert_int_equal(atomic_load(&s.finished), 1);
    assert_false(timer_pending(&s.t));
    timer_queue_stop(&q);
    timer_queue_destroy(&q);
}

static void test_stop_keeps_timers(void **state)
{
    (void)state;
    struct vclock clk;
    struct timer_queue q;
    struct waiter w = { .clk = &clk };
    vclock_init(&clk);
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.cond, NULL);
    assert_int_equal(timer_queue_init(&q, &clk), 0);
    timer_init(&w.t, &q, waiter_cb, &w);
    assert_int_equal(timer_queue_start(&q), 0);
    timer_queue_stop(&q);
    timer_mod(&w.t, vclock_ns(&clk) + 10 * MS);
    struct timespec ts = { 0, 30 * 1000000 };
    nanosleep(&ts, NULL);
    assert_false(w.woken); /* stopped: nothing runs */
    assert_int_equal(timer_queue_start(&q), 0);
    pthread_mutex_lock(&w.lock);
    while (!w.woken)
        pthread_cond_wait(&w.cond, &w.lock);
    pthread_mutex_unlock(&w.lock);
    timer_queue_stop(&q);
    timer_queue_destroy(&q);
    pthread_cond_destroy(&w.cond);
    pthread_mutex_destroy(&w.lock);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_expired_in_deadline_order),
        cmocka_unit_test(test_callback_rearm_delete_cancel),
        cmocka_unit_test(test_thread_wakes_waiter_without_busy_wait),
        cmocka_unit_test(test_del_waits_for_running_callback),
        cmocka_unit_test(test_stop_keeps_timers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
