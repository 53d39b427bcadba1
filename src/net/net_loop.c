/* The NIC I/O thread; see net_loop.h. */
#include "net/net_loop.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"

static void poke(struct net_loop *l)
{
    uint64_t one = 1;
    ssize_t k = write(l->kick_fd, &one, sizeof(one));
    (void)k; /* a full eventfd counter still wakes the thread */
}

/* Applies run/stop requests; false when the thread must end. */
static bool apply_control(struct net_loop *l)
{
    pthread_mutex_lock(&l->lock);
    bool exit = l->exit;
    bool want = l->want_run && !exit;
    if (want != l->running) {
        l->client.run_state(l->client.ctx, want);
        l->running = want;
        pthread_cond_broadcast(&l->cond);
    }
    pthread_mutex_unlock(&l->lock);
    return !exit;
}

static void wait_events(struct net_loop *l)
{
    int timeout = -1;
    l->pfd[0] = (struct pollfd){ .fd = l->kick_fd, .events = POLLIN };
    unsigned n = l->be->ops->poll_prepare(l->be, l->pfd + 1, NET_BACKEND_MAX_POLL, &timeout);
    int rc = poll(l->pfd, 1 + n, timeout);
    if (rc < 0 && errno != EINTR)
        log_once(LOG_WARN, "%s: poll failed: %s", l->name, strerror(errno));
    if (rc > 0 && l->pfd[0].revents & POLLIN) {
        uint64_t v;
        ssize_t k = read(l->kick_fd, &v, sizeof(v));
        (void)k;
    }
    l->be->ops->poll_dispatch(l->be, l->pfd + 1, n, rc < 0 && errno != EINTR);
}

static void *loop_main(void *arg)
{
    struct net_loop *l = arg;
    while (apply_control(l)) {
        uint64_t kicks = __atomic_exchange_n(&l->kicks, 0, __ATOMIC_ACQUIRE);
        if (l->running)
            l->client.work(l->client.ctx, kicks);
        wait_events(l);
        if (l->running)
            l->client.work(l->client.ctx, __atomic_exchange_n(&l->kicks, 0, __ATOMIC_ACQUIRE));
    }
    return NULL;
}

int net_loop_start(struct net_loop *l, const char *name, struct net_backend *be,
                   const struct net_loop_client *client)
{
    memset(l, 0, sizeof(*l));
    l->be = be;
    l->client = *client;
    l->name = name;
    l->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (l->kick_fd < 0)
        return -errno;
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->cond, NULL);
    int rc = pthread_create(&l->thread, NULL, loop_main, l);
    if (rc) {
        close(l->kick_fd);
        l->kick_fd = -1;
        pthread_mutex_destroy(&l->lock);
        pthread_cond_destroy(&l->cond);
        return -rc;
    }
    l->started = true;
    return 0;
}

void net_loop_stop(struct net_loop *l)
{
    if (!l->started)
        return;
    pthread_mutex_lock(&l->lock);
    l->exit = true;
    pthread_mutex_unlock(&l->lock);
    poke(l);
    pthread_join(l->thread, NULL);
    close(l->kick_fd);
    pthread_mutex_destroy(&l->lock);
    pthread_cond_destroy(&l->cond);
    l->started = false;
}

void net_loop_activate(struct net_loop *l)
{
    if (!l->started)
        return;
    pthread_mutex_lock(&l->lock);
    l->want_run = true;
    pthread_mutex_unlock(&l->lock);
    /* Look at every queue once: buffers may be there already. */
    __atomic_fetch_or(&l->kicks, ~0ull, __ATOMIC_RELEASE);
    poke(l);
}

void net_loop_quiesce(struct net_loop *l)
{
    if (!l->started)
        return;
    pthread_mutex_lock(&l->lock);
    l->want_run = false;
    pthread_mutex_unlock(&l->lock);
    poke(l);
    pthread_mutex_lock(&l->lock);
    while (l->running && !l->exit)
        pthread_cond_wait(&l->cond, &l->lock);
    pthread_mutex_unlock(&l->lock);
    __atomic_store_n(&l->kicks, 0, __ATOMIC_RELAXED);
}

void net_loop_kick(struct net_loop *l, unsigned q)
{
    uint64_t old = __atomic_fetch_or(&l->kicks, 1ull << (q & 63), __ATOMIC_RELEASE);
    if (!old)
        poke(l);
}
