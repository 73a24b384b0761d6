/* SPDX-License-Identifier: MIT */
/*
 * sync.c - events, semaphores and bounded queues.
 *
 * Each object keeps FIFO lists of waiters. Whatever a waker grants (a
 * semaphore unit, a queue item, room in a queue) is handed to the first
 * waiter directly, so a greenlet arriving later cannot overtake one that
 * waits; a waiter that times out or is killed before being granted
 * anything simply leaves its list.
 */
#include <limits.h>
#include <stdlib.h>

#include "loop.h"

/* ---- events -------------------------------------------------------------- */

struct green_event {
    struct green_hub__obj obj;
    int sent; /* HUB_SET */
    void *value;
    struct green_hub__list waiters;
};

int green_event_create(green_event_t **out)
{
    if (!out)
        return GREEN_EINVAL;
    *out = green_hub__obj_new(sizeof **out);
    return *out ? GREEN_OK : GREEN_ENOMEM;
}

int green_event_destroy(green_event_t *ev)
{
    int rc = green_hub__enter(ev);
    if (rc != GREEN_OK)
        return rc;
    if (ev->waiters.n)
        return GREEN_EBUSY;
    free(ev);
    return GREEN_OK;
}

int green_event_send(green_event_t *ev, void *value)
{
    int rc = green_hub__enter(ev);
    if (rc != GREEN_OK)
        return rc;
    if (ev->sent)
        return GREEN_EBUSY;
    HUB_SET(ev->sent, 1);
    ev->value = value;
    while (ev->waiters.head)
        green_hub__grant(ev->obj.hub, green_hub__waiter(ev->waiters.head),
                         value);
    return GREEN_OK;
}

int green_event_wait(green_event_t *ev, double timeout, void **value)
{
    int rc = green_hub__enter_wait(ev, timeout);
    if (rc != GREEN_OK)
        return rc;
    if (ev->sent) {
        if (value)
            *value = ev->value;
        return GREEN_OK;
    }
    struct waiter w = {0};
    rc = green_hub__wait(ev->obj.hub, &ev->waiters, &w, timeout);
    if (rc == GREEN_OK && value)
        *value = w.value;
    return rc;
}

int green_event_ready(const green_event_t *ev)
{
    return ev ? HUB_GET(ev->sent) : GREEN_EINVAL;
}

int green_event_reset(green_event_t *ev)
{
    int rc = green_hub__enter(ev);
    if (rc != GREEN_OK)
        return rc;
    HUB_SET(ev->sent, 0);
    ev->value = NULL;
    return GREEN_OK;
}

/* ---- semaphores ---------------------------------------------------------- */

struct green_sem {
    struct green_hub__obj obj;
    long count; /* HUB_SET */
    struct green_hub__list waiters;
};

int green_sem_create(green_sem_t **out, size_t count)
{
    if (!out)
        return GREEN_EINVAL;
    *out = NULL;
    if (count > LONG_MAX)
        return GREEN_EINVAL;
    struct green_sem *s = green_hub__obj_new(sizeof *s);
    if (!s)
        return GREEN_ENOMEM;
    s->count = (long)count;
    *out = s;
    return GREEN_OK;
}

int green_sem_destroy(green_sem_t *s)
{
    int rc = green_hub__enter(s);
    if (rc != GREEN_OK)
        return rc;
    if (s->waiters.n)
        return GREEN_EBUSY;
    free(s);
    return GREEN_OK;
}

int green_sem_acquire(green_sem_t *s, double timeout)
{
    int rc = green_hub__enter_wait(s, timeout);
    if (rc != GREEN_OK)
        return rc;
    if (s->count > 0 && !s->waiters.n) {
        HUB_SET(s->count, s->count - 1);
        return GREEN_OK;
    }
    struct waiter w = {0};
    rc = green_hub__wait(s->obj.hub, &s->waiters, &w, timeout);
    if (rc != GREEN_OK && w.handoff) {
        /* Granted a unit but failed anyway: give it back. */
        green_sem_release(s);
    }
    return rc;
}

int green_sem_release(green_sem_t *s)
{
    int rc = green_hub__enter(s);
    if (rc != GREEN_OK)
        return rc;
    if (s->waiters.head) {
        green_hub__grant(s->obj.hub, green_hub__waiter(s->waiters.head),
                         NULL);
        return GREEN_OK;
    }
    if (s->count == LONG_MAX)
        return GREEN_EBUSY;
    HUB_SET(s->count, s->count + 1);
    return GREEN_OK;
}

long green_sem_count(const green_sem_t *s)
{
    return s ? HUB_GET(s->count) : GREEN_EINVAL;
}

/* ---- bounded queues ------------------------------------------------------ */

struct green_queue {
    struct green_hub__obj obj;
    void **ring;
    size_t cap, head;
    size_t count; /* HUB_SET */
    int closed;
    struct green_hub__list getters; /* wait while empty */
    struct green_hub__list putters; /* wait while full; item in w->value */
};

int green_queue_create(green_queue_t **out, size_t capacity)
{
    if (!out)
        return GREEN_EINVAL;
    *out = NULL;
    if (capacity == 0 || capacity > LONG_MAX / sizeof(void *))
        return GREEN_EINVAL;
    struct green_queue *q = green_hub__obj_new(sizeof *q);
    if (!q)
        return GREEN_ENOMEM;
    q->ring = malloc(capacity * sizeof *q->ring);
    if (!q->ring) {
        free(q);
        return GREEN_ENOMEM;
    }
    q->cap = capacity;
    *out = q;
    return GREEN_OK;
}

int green_queue_destroy(green_queue_t *q)
{
    int rc = green_hub__enter(q);
    if (rc != GREEN_OK)
        return rc;
    if (q->getters.n || q->putters.n)
        return GREEN_EBUSY;
    free(q->ring);
    free(q);
    return GREEN_OK;
}

static void ring_push(struct green_queue *q, void *item)
{
    q->ring[(q->head + q->count) % q->cap] = item;
    HUB_SET(q->count, q->count + 1);
}

static void *ring_pop(struct green_queue *q)
{
    void *item = q->ring[q->head];
    q->head = (q->head + 1) % q->cap;
    HUB_SET(q->count, q->count - 1);
    return item;
}

int green_queue_put(green_queue_t *q, void *item, double timeout)
{
    int rc = green_hub__enter_wait(q, timeout);
    if (rc != GREEN_OK)
        return rc;
    if (q->closed)
        return GREEN_ECLOSED;
    if (q->getters.head) {
        /* Getters wait only on an empty queue: hand it over. */
        green_hub__grant(q->obj.hub, green_hub__waiter(q->getters.head),
                         item);
        return GREEN_OK;
    }
    if (q->count < q->cap && !q->putters.n) {
        ring_push(q, item);
        return GREEN_OK;
    }
    struct waiter w = {.value = item};
    /* On GREEN_OK a getter moved the item into the queue. */
    return green_hub__wait(q->obj.hub, &q->putters, &w, timeout);
}

int green_queue_get(green_queue_t *q, void **item, double timeout)
{
    int rc = green_hub__enter_wait(item ? q : NULL, timeout);
    if (rc != GREEN_OK)
        return rc;
    if (q->count) {
        *item = ring_pop(q);
        struct waiter *p = green_hub__waiter(q->putters.head);
        if (p) {
            ring_push(q, p->value);
            green_hub__grant(q->obj.hub, p, p->value);
        }
        return GREEN_OK;
    }
    if (q->closed)
        return GREEN_ECLOSED;
    struct waiter w = {0};
    rc = green_hub__wait(q->obj.hub, &q->getters, &w, timeout);
    if (w.handoff) {
        /* The item is ours even if we were killed meanwhile. */
        *item = w.value;
        return GREEN_OK;
    }
    return rc;
}

int green_queue_close(green_queue_t *q)
{
    int rc = green_hub__enter(q);
    if (rc != GREEN_OK)
        return rc;
    q->closed = 1;
    green_hub__wake_all(q->obj.hub, &q->putters, GREEN_ECLOSED);
    green_hub__wake_all(q->obj.hub, &q->getters, GREEN_ECLOSED);
    return GREEN_OK;
}

long green_queue_size(const green_queue_t *q)
{
    return q ? (long)HUB_GET(q->count) : GREEN_EINVAL;
}
