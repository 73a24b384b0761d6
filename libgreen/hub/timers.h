/* SPDX-License-Identifier: MIT */
/*
 * timers.h - the hub's clock and its timer heap: a binary min-heap of
 * deadlines ordered by (deadline, arrival), so that equal deadlines fire
 * in the order they were set. A timer is embedded in whatever it times.
 */
#ifndef GREEN_HUB_TIMERS_H
#define GREEN_HUB_TIMERS_H

#include <stddef.h>
#include <stdint.h>

#include "base.h"
#include "green_hub.h"

struct green_hub__timer {
    int64_t deadline; /* ns, CLOCK_MONOTONIC */
    uint64_t seq;     /* arrival order among equal deadlines */
    size_t idx;       /* 1-based index in the heap, 0 when not armed */
};

struct green_hub__heap {
    struct green_hub__timer **v;
    size_t n, cap;
    uint64_t seq;
};

/* CLOCK_MONOTONIC in ns. */
HUB_HIDDEN int64_t green_hub__now_ns(void);

/* GREEN_OK, or GREEN_EINVAL for a NaN timeout. */
static inline int green_hub__check_timeout(double timeout)
{
    return timeout != timeout ? GREEN_EINVAL : GREEN_OK; /* NaN */
}

/* Arms t (not armed) to expire `timeout` seconds (> 0) from now.
 * GREEN_OK or GREEN_ENOMEM (nothing changes). */
HUB_HIDDEN int green_hub__timer_arm(struct green_hub__heap *hp,
                                    struct green_hub__timer *t,
                                    double timeout);

/* Takes armed timer t out of the heap. */
HUB_HIDDEN void green_hub__timer_remove(struct green_hub__heap *hp,
                                        struct green_hub__timer *t);

/* Disarms t if it is armed. */
static inline void green_hub__timer_disarm(struct green_hub__heap *hp,
                                           struct green_hub__timer *t)
{
    if (t->idx)
        green_hub__timer_remove(hp, t);
}

/* The armed timer with the earliest deadline, or NULL. */
static inline struct green_hub__timer *
green_hub__timer_first(const struct green_hub__heap *hp)
{
    return hp->n ? hp->v[0] : NULL;
}

/* How long epoll_wait() may sleep until the first deadline, in ms rounded
 * up (0 if due, -1 if no timer is armed). */
HUB_HIDDEN int green_hub__timer_wait_ms(const struct green_hub__heap *hp);

/* Frees the heap's array (the timers belong to their owners). */
HUB_HIDDEN void green_hub__heap_free(struct green_hub__heap *hp);

#endif /* GREEN_HUB_TIMERS_H */
