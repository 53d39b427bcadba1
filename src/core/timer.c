#include "core/timer.h"

#include <errno.h>
#include <time.h>

#include "common/log.h"

/* The thread never sleeps longer than this at once, so that an absurd
 * deadline cannot overflow the timespec arithmetic. */
#define TIMER_MAX_SLEEP_NS (3600ull * VCLOCK_NS_PER_SEC)

int timer_queue_init(struct timer_queue *q, struct vclock *clock)
{
    pthread_condattr_t attr;
    int err;

    *q = (struct timer_queue){ .clock = clock };
    err = pthread_mutex_init(&q->lock, NULL);
    if (err)
        return -err;
    err = pthread_condattr_init(&attr);
    if (!err)
        err = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (!err)
        err = pthread_cond_init(&q->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (err) {
        pthread_mutex_destroy(&q->lock);
        return -err;
    }
    err = pthread_cond_init(&q->idle, NULL);
    if (err) {
        pthread_cond_destroy(&q->wake);
        pthread_mutex_destroy(&q->lock);
        return -err;
    }
    return 0;
}

void timer_queue_destroy(struct timer_queue *q)
{
    pthread_cond_destroy(&q->idle);
    pthread_cond_destroy(&q->wake);
    pthread_mutex_destroy(&q->lock);
}

/* Unlinks t if armed. Called with q->lock held. */
static void queue_remove(struct timer_queue *q, struct timer *t)
{
    if (!t->armed)
        return;
    for (struct timer **pp = &q->head; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    t->next = NULL;
    t->armed = false;
}

/* Inserts t after every timer with a deadline <= its own (FIFO among equal
 * deadlines). Called with q->lock held. */
static void queue_insert(struct timer_queue *q, struct timer *t)
{
    struct timer **pp = &q->head;
    while (*pp && (*pp)->deadline <= t->deadline)
        pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
    t->armed = true;
    t->seq = ++q->seq;
}

/* Runs the callback of t, which the caller has just unlinked. Drops the
 * lock around the call. */
static void queue_run_one(struct timer_queue *q, struct timer *t)
{
    q->running = t;
    q->runner = pthread_self();
    pthread_mutex_unlock(&q->lock);
    t->cb(t->opaque);
    pthread_mutex_lock(&q->lock);
    q->running = NULL;
    pthread_cond_broadcast(&q->idle);
}

static struct timespec host_deadline(uint64_t remaining_ns)
{
    if (remaining_ns > TIMER_MAX_SLEEP_NS)
        remaining_ns = TIMER_MAX_SLEEP_NS;
    uint64_t abs = vclock_host_ns() + remaining_ns;
    return (struct timespec){ .tv_sec = (time_t)(abs / VCLOCK_NS_PER_SEC),
                              .tv_nsec = (long)(abs % VCLOCK_NS_PER_SEC) };
}

static void *queue_thread(void *arg)
{
    struct timer_queue *q = arg;

    pthread_mutex_lock(&q->lock);
    while (!q->stopping) {
        struct timer *t = q->head;
        if (!t) {
            pthread_cond_wait(&q->wake, &q->lock);
            continue;
        }
        uint64_t now = vclock_ns(q->clock);
        if (t->deadline <= now) {
            queue_remove(q, t);
            queue_run_one(q, t);
            continue;
        }
        struct timespec ts = host_deadline(t->deadline - now);
        pthread_cond_timedwait(&q->wake, &q->lock, &ts);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

int timer_queue_start(struct timer_queue *q)
{
    pthread_mutex_lock(&q->lock);
    if (q->started) {
        pthread_mutex_unlock(&q->lock);
        return 0;
    }
    q->stopping = false;
    int err = pthread_create(&q->thread, NULL, queue_thread, q);
    if (!err)
        q->started = true;
    pthread_mutex_unlock(&q->lock);
    if (err)
        log_error("timer: cannot start the timer thread (error %d)", err);
    return -err;
}

void timer_queue_stop(struct timer_queue *q)
{
    pthread_mutex_lock(&q->lock);
    if (!q->started) {
        pthread_mutex_unlock(&q->lock);
        return;
    }
    q->stopping = true;
    pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->lock);
    pthread_join(q->thread, NULL);
    pthread_mutex_lock(&q->lock);
    q->started = false;
    q->stopping = false;
    pthread_mutex_unlock(&q->lock);
}

unsigned timer_queue_run_expired(struct timer_queue *q, uint64_t now_ns)
{
    unsigned n = 0;

    pthread_mutex_lock(&q->lock);
    uint64_t last_seq = q->seq;
    for (;;) {
        struct timer *t = q->head;
        while (t && t->deadline <= now_ns && t->seq > last_seq)
            t = t->next;
        if (!t || t->deadline > now_ns)
            break;
        queue_remove(q, t);
        queue_run_one(q, t);
        n++;
    }
    pthread_mutex_unlock(&q->lock);
    return n;
}

uint64_t timer_queue_next_deadline(struct timer_queue *q)
{
    pthread_mutex_lock(&q->lock);
    uint64_t d = q->head ? q->head->deadline : UINT64_MAX;
    pthread_mutex_unlock(&q->lock);
    return d;
}

void timer_init(struct timer *t, struct timer_queue *q, void (*cb)(void *opaque), void *opaque)
{
    *t = (struct timer){ .q = q, .cb = cb, .opaque = opaque };
}

void timer_mod(struct timer *t, uint64_t deadline_ns)
{
    struct timer_queue *q = t->q;

    pthread_mutex_lock(&q->lock);
    if (t->deleting) {
        /* The callback re-arms while timer_del waits for it: deletion wins. */
        pthread_mutex_unlock(&q->lock);
        return;
    }
    queue_remove(q, t);
    t->deadline = deadline_ns;
    queue_insert(q, t);
    /* Only a new earliest deadline shortens the thread's sleep. */
    if (q->head == t)
        pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->lock);
}

void timer_cancel(struct timer *t)
{
    struct timer_queue *q = t->q;

    pthread_mutex_lock(&q->lock);
    queue_remove(q, t);
    pthread_mutex_unlock(&q->lock);
}

void timer_del(struct timer *t)
{
    struct timer_queue *q = t->q;

    pthread_mutex_lock(&q->lock);
    queue_remove(q, t);
    if (q->running == t && !pthread_equal(q->runner, pthread_self())) {
        t->deleting = true;
        while (q->running == t)
            pthread_cond_wait(&q->idle, &q->lock);
        t->deleting = false;
    }
    pthread_mutex_unlock(&q->lock);
}

bool timer_pending(struct timer *t)
{
    pthread_mutex_lock(&t->q->lock);
    bool armed = t->armed;
    pthread_mutex_unlock(&t->q->lock);
    return armed;
}
