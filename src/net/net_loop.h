/* The I/O thread of one NIC: it sleeps in poll() on the backend's
 * descriptors and timers plus an eventfd that vCPU threads write when the
 * guest notifies a queue, and runs the NIC's queue work and the backend's
 * events. Nothing network-related ever runs on a vCPU thread.
 *
 * The loop thread alone touches the NIC's virtqueues while the NIC runs:
 * net_loop_activate() lets it start, net_loop_quiesce() returns once it has
 * stopped and called the client's stop hook. The backend keeps being served
 * while the NIC is stopped (slirp's timers and forwarded ports live on). */
#ifndef VMON_NET_NET_LOOP_H
#define VMON_NET_NET_LOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "net/net_backend.h"

/* What the loop runs on its thread for the NIC. */
struct net_loop_client {
    /* Once per wakeup while running, after the backend's events: kicks has
     * bit q set for each queue notified since the last call. */
    void (*work)(void *ctx, uint64_t kicks);
    /* The loop starts (true) or stops (false) serving the queues. */
    void (*run_state)(void *ctx, bool running);
    void *ctx;
};

struct net_loop {
    struct net_backend *be;
    struct net_loop_client client;
    const char *name;
    pthread_t thread;
    pthread_mutex_t lock; /* want_run, running, exit */
    pthread_cond_t cond;
    bool want_run, running, exit, started;
    int kick_fd;          /* eventfd */
    uint64_t kicks;       /* atomic: queues notified, not yet handed to work() */
    struct pollfd pfd[1 + NET_BACKEND_MAX_POLL];
};

/* Starts the thread (the NIC stopped, the backend served). 0 or -errno. */
int net_loop_start(struct net_loop *l, const char *name, struct net_backend *be,
                   const struct net_loop_client *client);
/* Ends and joins the thread. Safe on a loop that failed to start. */
void net_loop_stop(struct net_loop *l);
/* The NIC was activated: serve its queues (every queue counts as kicked). */
void net_loop_activate(struct net_loop *l);
/* The NIC is reset: returns once the thread no longer touches the queues. */
void net_loop_quiesce(struct net_loop *l);
/* Queue q was notified (any thread). */
void net_loop_kick(struct net_loop *l, unsigned q);

#endif
