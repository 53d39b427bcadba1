/* The per-VM timer service: callbacks at guest-clock deadlines.
 *
 * A timer_queue owns one host thread that sleeps (pthread_cond_timedwait on
 * CLOCK_MONOTONIC) until the earliest deadline and runs the expired
 * callbacks one after the other, without holding the queue lock: a callback
 * may arm, re-arm or delete any timer, itself included. An idle queue costs
 * no CPU time at all.
 *
 * Tests may leave the thread stopped and step the queue by hand with
 * timer_queue_run_expired() against a manual vclock.
 *
 * Guarantees:
 *  - timer_mod() and timer_cancel() never wait; they may be called with any
 *    device lock held.
 *  - After timer_del() returns, the callback is not running and will not run
 *    until the timer is armed again. To give that guarantee timer_del() waits
 *    for a callback that is running on the queue thread, so it must not be
 *    called while holding a lock that callback takes. Called from inside a
 *    callback (on the thread running callbacks) it does not wait. While it
 *    waits, timer_mod() of that timer (e.g. the callback re-arming itself)
 *    is ignored.
 *  - After timer_cancel() the timer will not start running, but a callback
 *    that has already started may still be running. Devices cancel under
 *    their own lock and re-check their state in the callback (under the same
 *    lock), so a callback that lost the race does nothing. */
#ifndef VMON_CORE_TIMER_H
#define VMON_CORE_TIMER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/clock.h"

struct timer_queue;

struct timer {
    struct timer_queue *q;
    void (*cb)(void *opaque);
    void *opaque;
    uint64_t deadline; /* guest ns; meaningful while armed */
    uint64_t seq;      /* arming order, for run_expired's single pass */
    bool armed;
    bool deleting;     /* timer_del is waiting: timer_mod is ignored */
    struct timer *next; /* in the queue's list, sorted by deadline */
};

struct timer_queue {
    pthread_mutex_t lock;
    pthread_cond_t wake;    /* the thread sleeps here */
    pthread_cond_t idle;    /* broadcast whenever a callback returns */
    struct vclock *clock;
    struct timer *head;     /* armed timers, earliest first */
    struct timer *running;  /* timer whose callback is executing, or NULL */
    pthread_t runner;       /* thread executing it (valid while running) */
    uint64_t seq;
    pthread_t thread;
    bool started;
    bool stopping;
};

/* Returns 0 or -errno. */
int timer_queue_init(struct timer_queue *q, struct vclock *clock);
/* The queue must be stopped and no timer armed any more. */
void timer_queue_destroy(struct timer_queue *q);

/* Starts the callback thread. Returns 0 or -errno. */
int timer_queue_start(struct timer_queue *q);
/* Stops the thread; armed timers stay armed and fire after a restart. When
 * it returns no callback is running. Must not be called from a callback. */
void timer_queue_stop(struct timer_queue *q);

/* Runs, on the calling thread, the callbacks of the timers whose deadline is
 * <= now_ns, earliest first. Timers armed while it runs wait for the next
 * call, so a callback that re-arms itself cannot loop. For tests and for
 * callers that drive time themselves; not while the thread runs. Returns
 * the number of callbacks run. */
unsigned timer_queue_run_expired(struct timer_queue *q, uint64_t now_ns);

/* Deadline of the earliest armed timer, or UINT64_MAX. */
uint64_t timer_queue_next_deadline(struct timer_queue *q);

void timer_init(struct timer *t, struct timer_queue *q, void (*cb)(void *opaque), void *opaque);
/* Arms (or re-arms) t to fire once at guest time deadline_ns. A deadline in
 * the past fires as soon as the queue runs. */
void timer_mod(struct timer *t, uint64_t deadline_ns);
/* Disarms t and waits for its running callback (see above). */
void timer_del(struct timer *t);
/* Disarms t without waiting (see above). */
void timer_cancel(struct timer *t);
bool timer_pending(struct timer *t);

#endif
